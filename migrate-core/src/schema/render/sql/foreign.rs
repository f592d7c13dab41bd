//! The model's foreign tables as SQL: not created (`squash` refuses a schema whose copy's description
//! differs), but their statistics objects (with the tables', in [`super::statistics`]), comments and
//! privileges are written, as the SQL's text queries always wrote them.

use migrate_dsl::literal;

use crate::schema::model::{Model, Table};

fn by_creation(model: &Model) -> Vec<&Table> {
    let mut foreign: Vec<&Table> = model.foreign_tables.values().collect();
    foreign.sort_by_key(|table| table.created);
    foreign
}

/// `COMMENT ON FOREIGN TABLE`, `COMMENT ON COLUMN` and `COMMENT ON CONSTRAINT` for each comment of each
/// foreign table (the caller sorts them with the others).
pub(crate) fn foreign_table_comments(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for foreign in model.foreign_tables.values() {
        if let Some(comment) = &foreign.comment {
            out.push(format!(
                "COMMENT ON FOREIGN TABLE {} IS {}",
                foreign.quoted,
                literal(comment)
            ));
        }
        for constraint in foreign.constraints.values().chain(foreign.other_constraints.values()) {
            if let Some(comment) = &constraint.comment {
                out.push(format!(
                    "COMMENT ON CONSTRAINT {} ON {} IS {}",
                    constraint.quoted,
                    foreign.quoted,
                    literal(comment)
                ));
            }
        }
        for column in &foreign.columns {
            if let Some(comment) = &column.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {}.{} IS {}",
                    foreign.quoted,
                    column.quoted,
                    literal(comment)
                ));
            }
        }
    }
    out
}

/// `GRANT` and `REVOKE` on each foreign table (`ON TABLE`, which names a foreign table too) and on its
/// columns, in the order they were created.
pub(crate) fn foreign_table_privileges(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for foreign in by_creation(model) {
        out.extend(super::privilege_statements(
            &format!("TABLE {}", foreign.quoted),
            &foreign.privileges,
        ));
    }
    for foreign in by_creation(model) {
        for column in &foreign.columns {
            for line in &column.privileges {
                out.extend(super::column_privilege(&foreign.quoted, &column.quoted, line));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::Column;

    /// A foreign table's comments name it as one; its privileges are granted `ON TABLE`, revokes first,
    /// its columns' after.
    #[test]
    fn a_foreign_tables_comments_and_privileges_become_statements() {
        let mut model = Model::default();
        let note = Column {
            name: "Note".to_owned(),
            data_type: "text".to_owned(),
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            comment: Some("a \"note\"".to_owned()),
            quoted: "\"Note\"".to_owned(),
            local: true,
            virtual_generated: false,
            quoted_collation: None,
            identity_sequence: None,
            storage: None,
            privileges: vec!["grant UPDATE to pg_monitor".to_owned()],
        };
        model.foreign_tables.insert(
            ("app".to_owned(), "Remote".to_owned()),
            Table {
                quoted: "app.\"Remote\"".to_owned(),
                comment: Some("it's \\ there".to_owned()),
                privileges: vec![
                    "grant SELECT to pg_monitor".to_owned(),
                    "revoke TRUNCATE from PUBLIC".to_owned(),
                ],
                columns: vec![note],
                ..Table::default()
            },
        );
        assert_eq!(
            foreign_table_comments(&model),
            [
                "COMMENT ON FOREIGN TABLE app.\"Remote\" IS E'it''s \\\\ there'",
                "COMMENT ON COLUMN app.\"Remote\".\"Note\" IS 'a \"note\"'",
            ]
        );
        assert_eq!(
            foreign_table_privileges(&model),
            [
                "REVOKE TRUNCATE ON TABLE app.\"Remote\" FROM PUBLIC",
                "GRANT SELECT ON TABLE app.\"Remote\" TO pg_monitor",
                "GRANT UPDATE (\"Note\") ON TABLE app.\"Remote\" TO pg_monitor",
            ]
        );
    }
}
