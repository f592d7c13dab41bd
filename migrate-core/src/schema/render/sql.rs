//! The typed model's objects as SQL statements that recreate them on an empty database, each kind at its
//! place in the order of [`crate::schema::reader::ddl`].

use migrate_dsl::literal;
use crate::schema::model::Model;

mod extension_members;
pub(crate) use extension_members::{extension_member_comments, extension_member_privileges};
mod foreign;
pub(crate) use foreign::{foreign_table_comments, foreign_table_privileges};
mod objects;
pub(crate) use objects::{
    function_comments, function_privileges, functions, schema_comments, schema_privileges, schemas,
    sequence_comments, sequence_owners, sequence_privileges, sequences,
};
mod types;
pub(crate) use types::{type_comments, type_privileges, types};
mod triggers;
pub(crate) use triggers::{trigger_comments, triggers_and_rules};
mod tables;
pub(crate) use tables::{
    column_privilege, column_privileges, constraints, indexes, security, statistics, table_comments,
    table_privileges, tables,
};
mod views;
pub(crate) use views::{
    view_column_privileges, view_comments, view_indexes, view_privileges, view_security, view_statistics,
    views,
};

/// `GRANT` and `REVOKE` on `on` (`SCHEMA app`): an object's privileges' lines (`grant USAGE to alice`,
/// sorted) as statements, the revokes first.
pub(super) fn privilege_statements(on: &str, lines: &[String]) -> Vec<String> {
    let (grants, revokes): (Vec<&String>, Vec<&String>) =
        lines.iter().partition(|line| line.starts_with("grant "));
    let mut out = Vec::new();
    for line in revokes {
        let rest = line.strip_prefix("revoke ").unwrap_or(line);
        out.push(format!(
            "REVOKE {}",
            rest.replacen(" from ", &format!(" ON {on} FROM "), 1)
        ));
    }
    for line in grants {
        let rest = line.strip_prefix("grant ").unwrap_or(line);
        out.push(format!(
            "GRANT {}",
            rest.replacen(" to ", &format!(" ON {on} TO "), 1)
        ));
    }
    out
}

/// `CREATE EXTENSION` for each extension, in the order they were created (one may need another).
pub(crate) fn extensions(model: &Model) -> Vec<String> {
    let mut extensions: Vec<_> = model.extensions.values().collect();
    extensions.sort_by_key(|extension| extension.created);
    extensions
        .into_iter()
        .map(|extension| {
            let (name, schema) = &extension.quoted;
            format!("CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {schema}")
        })
        .collect()
}

/// `CREATE TYPE .. AS ENUM` for each enum, in the order they were created. An enum refers to no other type,
/// so all of them come before the other types.
pub(crate) fn enums(model: &Model) -> Vec<String> {
    let mut enums: Vec<_> = model.enums.values().collect();
    enums.sort_by_key(|enum_| enum_.created);
    enums
        .into_iter()
        .map(|enum_| {
            let labels: Vec<String> = enum_.labels.iter().map(|l| literal(l)).collect();
            format!("CREATE TYPE {} AS ENUM ({})", enum_.quoted, labels.join(", "))
        })
        .collect()
}

/// `COMMENT ON TYPE` for each enum with a comment (the caller sorts them with the other comments).
pub(crate) fn enum_comments(model: &Model) -> Vec<String> {
    model
        .enums
        .values()
        .filter_map(|enum_| {
            let comment = enum_.comment.as_deref()?;
            Some(format!("COMMENT ON TYPE {} IS {}", enum_.quoted, literal(comment)))
        })
        .collect()
}

/// `GRANT` and `REVOKE` on each enum: its privileges' lines (`grant USAGE to alice`, sorted) as statements,
/// the revokes first.
pub(crate) fn enum_privileges(model: &Model) -> Vec<String> {
    model
        .enums
        .values()
        .flat_map(|enum_| privilege_statements(&format!("TYPE {}", enum_.quoted), &enum_.privileges))
        .collect()
}

/// `CREATE POLICY` for each policy of every table, in the order they were created, an extension's tables'
/// after the others'.
pub(crate) fn policies(model: &Model) -> Vec<String> {
    let mut policies: Vec<_> = model
        .tables
        .values()
        .flat_map(|table| table.policies.values().map(move |policy| (table, policy)))
        .collect();
    policies.sort_by_key(|(table, policy)| (table.of_extension, policy.created));
    policies
        .into_iter()
        .map(|(table, policy)| {
            let command = match policy.command {
                'r' => "SELECT",
                'a' => "INSERT",
                'w' => "UPDATE",
                'd' => "DELETE",
                _ => "ALL",
            };
            let mut sql = format!(
                "CREATE POLICY {} ON {} AS {} FOR {command} TO {}",
                policy.quoted,
                table.quoted,
                if policy.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
                policy.quoted_roles
            );
            if let Some(using) = &policy.using {
                sql.push_str(&format!(" USING ({using})"));
            }
            if let Some(check) = &policy.with_check {
                sql.push_str(&format!(" WITH CHECK ({check})"));
            }
            sql
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Enum, Extension};

    fn enum_(quoted: &str, labels: &[&str], created: u32) -> Enum {
        Enum {
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            quoted: quoted.to_owned(),
            privileges: Vec::new(),
            comment: None,
            created,
        }
    }

    /// Enums are created in the order they were, their labels as literals.
    #[test]
    fn enums_are_created_in_creation_order_with_their_labels_as_literals() {
        let mut model = Model::default();
        model
            .enums
            .insert(("a".to_owned(), "later".to_owned()), enum_("a.later", &["x"], 20));
        model.enums.insert(
            ("b".to_owned(), "First".to_owned()),
            enum_("b.\"First\"", &["it's", "a\\b"], 10),
        );
        assert_eq!(
            enums(&model),
            [
                "CREATE TYPE b.\"First\" AS ENUM ('it''s', E'a\\\\b')",
                "CREATE TYPE a.later AS ENUM ('x')"
            ]
        );
    }

    /// An enum's comment and its privileges' lines become statements on the type, revokes before grants.
    #[test]
    fn an_enums_comment_and_privileges_become_statements() {
        let mut model = Model::default();
        let mut mood = enum_("app.mood", &["ok"], 10);
        mood.comment = Some("how it's going".to_owned());
        mood.privileges = vec![
            "grant USAGE to \"to \"".to_owned(),
            "grant USAGE to bob with grant option".to_owned(),
            "revoke USAGE from PUBLIC".to_owned(),
        ];
        model.enums.insert(("app".to_owned(), "mood".to_owned()), mood);
        assert_eq!(
            enum_comments(&model),
            ["COMMENT ON TYPE app.mood IS 'how it''s going'"]
        );
        assert_eq!(
            enum_privileges(&model),
            [
                "REVOKE USAGE ON TYPE app.mood FROM PUBLIC",
                "GRANT USAGE ON TYPE app.mood TO \"to \"",
                "GRANT USAGE ON TYPE app.mood TO bob with grant option"
            ]
        );
    }

    /// Extensions are created in the order they were (an extension may need one created before it), not in
    /// the order of their names, with the names as the server quoted them.
    #[test]
    fn extensions_are_created_in_creation_order_with_their_quoted_names() {
        let mut model = Model::default();
        for (name, quoted, created) in [("a_later", "a_later", 20), ("Zeta", "\"Zeta\"", 10)] {
            model.extensions.insert(
                name.to_owned(),
                Extension {
                    schema: "ext".to_owned(),
                    quoted: (quoted.to_owned(), "ext".to_owned()),
                    created,
                },
            );
        }
        assert_eq!(
            extensions(&model),
            [
                "CREATE EXTENSION IF NOT EXISTS \"Zeta\" WITH SCHEMA ext",
                "CREATE EXTENSION IF NOT EXISTS a_later WITH SCHEMA ext"
            ]
        );
    }

    /// Policies are created in the order they were, whatever their tables, with their names, roles and
    /// expressions as the server printed them.
    #[test]
    fn policies_are_created_in_creation_order_as_the_server_printed_them() {
        let mut model = Model::default();
        for (name, quoted, policies) in [
            ("a", "app.a", vec![("late", 30, 'r', true, "PUBLIC", Some("(id > 0)"), None)]),
            (
                "B",
                "app.\"B\"",
                vec![("First", 10, '*', false, "alice, \"Bob\"", None, Some("(true)"))],
            ),
        ] {
            let mut table = crate::schema::model::Table {
                quoted: quoted.to_owned(),
                unlogged: false,
                partition_key: None,
                partition_of: None,
                columns: Vec::new(),
                constraints: Default::default(),
                indexes: Default::default(),
                triggers: Default::default(),
                policies: Default::default(),
                row_security: true,
                force_row_security: false,
                grants: Vec::new(),
                comment: None,
                ..Default::default()
            };
            for (policy, created, command, permissive, roles, using, check) in policies {
                table.policies.insert(
                    policy.to_owned(),
                    crate::schema::model::Policy {
                        quoted: if policy == "First" { "\"First\"".to_owned() } else { policy.to_owned() },
                        command,
                        permissive,
                        roles: Vec::new(),
                        quoted_roles: roles.to_owned(),
                        using: using.map(str::to_owned),
                        with_check: check.map(str::to_owned),
                        comment: None,
                        created,
                    },
                );
            }
            model.tables.insert(("app".to_owned(), name.to_owned()), table);
        }
        assert_eq!(
            policies(&model),
            [
                "CREATE POLICY \"First\" ON app.\"B\" AS RESTRICTIVE FOR ALL TO alice, \"Bob\" WITH CHECK ((true))",
                "CREATE POLICY late ON app.a AS PERMISSIVE FOR SELECT TO PUBLIC USING ((id > 0))"
            ]
        );
    }
}
