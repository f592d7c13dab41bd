//! The model's views and materialized views as SQL: `CREATE VIEW` / `CREATE MATERIALIZED VIEW` each after
//! the views it reads, a materialized view's indexes, clustering, replica identity and statistics objects,
//! and the comments and privileges of views, their columns and indexes. An extension's views are not
//! created (the extension makes them), but what was added to them is written, as the SQL always has.

use std::collections::{BTreeMap, BTreeSet};

use migrate_dsl::literal;

use super::tables::{column_privilege, Ordered};
use crate::schema::model::{Model, View};

fn by_creation(model: &Model) -> Vec<&View> {
    let mut views: Vec<&View> = model.views.values().collect();
    views.sort_by_key(|view| view.created);
    views
}

/// `CREATE VIEW` and `CREATE MATERIALIZED VIEW` (`WITH DATA` when it was filled) for each view but an
/// extension's, in the order they were created, each after the views it reads (one replaced to read a view
/// made after it comes after that one).
pub(crate) fn views(model: &Model) -> Vec<String> {
    let by_oid: BTreeMap<u32, &View> = model
        .views
        .values()
        .filter(|view| !view.of_extension)
        .map(|view| (view.created, view))
        .collect();
    // Depth-first, in creation order; `done` also breaks cycles, which PostgreSQL does not allow anyway.
    fn visit<'m>(view: &'m View, by_oid: &BTreeMap<u32, &'m View>, done: &mut BTreeSet<u32>, out: &mut Vec<&'m View>) {
        if !done.insert(view.created) {
            return;
        }
        for read in &view.reads {
            if let Some(&read) = by_oid.get(read) {
                visit(read, by_oid, done, out);
            }
        }
        out.push(view);
    }
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    for &view in by_oid.values() {
        visit(view, &by_oid, &mut done, &mut order);
    }
    order.into_iter().map(create_view).collect()
}

fn create_view(view: &View) -> String {
    let options = if view.options.is_empty() {
        String::new()
    } else {
        let options: Vec<String> = view
            .options
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!(" WITH ({})", options.join(", "))
    };
    let query = view.query.trim_end().trim_end_matches(';');
    if view.materialized {
        format!(
            "CREATE MATERIALIZED VIEW {}{options} AS\n{query}\nWITH {}DATA",
            view.quoted,
            if view.populated { "" } else { "NO " }
        )
    } else {
        format!("CREATE VIEW {}{options} AS\n{query}", view.quoted)
    }
}

/// `CREATE INDEX` for each index of the materialized views (an extension's too), with its tablespace; and,
/// apart, `CLUSTER ON` and `REPLICA IDENTITY USING INDEX` for those they apply to. Each with its index's
/// oid: the caller merges them with the tables', in one creation order.
pub(crate) fn view_indexes(model: &Model) -> (Ordered, Ordered) {
    let mut created = Vec::new();
    let mut after = Vec::new();
    for view in model.views.values() {
        for index in view.indexes.values() {
            let mut sql = index.definition.clone();
            if let Some(tablespace) = &index.tablespace {
                sql.push_str(&format!(" TABLESPACE {tablespace}"));
            }
            created.push((index.created, sql));
            if index.clustered {
                after.push((
                    index.created,
                    format!("ALTER TABLE {} CLUSTER ON {}", view.quoted, index.quoted.0),
                ));
            }
            if index.replica_identity {
                after.push((
                    index.created,
                    format!("ALTER TABLE {} REPLICA IDENTITY USING INDEX {}", view.quoted, index.quoted.0),
                ));
            }
        }
    }
    (created, after)
}

/// `CREATE STATISTICS` for each statistics object of the materialized views (an extension's too), with its
/// oid: the caller merges them with the tables', in one creation order.
pub(crate) fn view_statistics(model: &Model) -> Ordered {
    model
        .views
        .values()
        .flat_map(|view| view.statistics.iter().cloned())
        .collect()
}

/// `REPLICA IDENTITY NOTHING` or `FULL` of each materialized view (an extension's too; one by an index is
/// written with the indexes), in the order they were created.
pub(crate) fn view_security(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for view in by_creation(model).into_iter().filter(|view| view.materialized) {
        match view.replica_identity {
            'n' => out.push(format!("ALTER TABLE {} REPLICA IDENTITY NOTHING", view.quoted)),
            'f' => out.push(format!("ALTER TABLE {} REPLICA IDENTITY FULL", view.quoted)),
            _ => {}
        }
    }
    out
}

/// `COMMENT ON VIEW` or `MATERIALIZED VIEW`, `COMMENT ON COLUMN` and `COMMENT ON INDEX` for each comment
/// on a view, an extension's too (the caller sorts them with the others).
pub(crate) fn view_comments(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for view in model.views.values() {
        if let Some(comment) = &view.comment {
            let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
            out.push(format!("COMMENT ON {kind} {} IS {}", view.quoted, literal(comment)));
        }
        for index in view.indexes.values() {
            if let Some(comment) = &index.comment {
                out.push(format!("COMMENT ON INDEX {} IS {}", index.quoted.1, literal(comment)));
            }
        }
        for column in &view.columns {
            if let Some(comment) = &column.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {}.{} IS {}",
                    view.quoted,
                    column.quoted,
                    literal(comment)
                ));
            }
        }
    }
    out
}

/// `GRANT` and `REVOKE` on each view, an extension's too (its privileges' lines as statements on `TABLE ..`,
/// the revokes first), in the order the views were created.
pub(crate) fn view_privileges(model: &Model) -> Vec<String> {
    by_creation(model)
        .into_iter()
        .flat_map(|view| super::privilege_statements(&format!("TABLE {}", view.quoted), &view.privileges))
        .collect()
}

/// `GRANT SELECT (col) ON TABLE v TO role` (or `REVOKE`) for each line of each view column's privileges, an
/// extension's views' too.
pub(crate) fn view_column_privileges(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for view in by_creation(model) {
        for column in &view.columns {
            for line in &column.privileges {
                out.extend(column_privilege(&view.quoted, &column.quoted, line));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::test_view as view;

    fn model(views: Vec<View>) -> Model {
        let mut model = Model::default();
        for view in views {
            let name = view.quoted.clone();
            model.views.insert(("app".to_owned(), name), view);
        }
        model
    }

    /// Views are created in the order they were, but each after those it reads (a view replaced to read
    /// one made after it), an extension's not at all; a materialized view `WITH DATA` or not, as it was,
    /// with its options.
    #[test]
    fn views_are_created_after_the_views_they_read() {
        let mut first = view("app.first", " SELECT n\n   FROM app.later;");
        first.created = 10;
        first.reads = vec![5, 20];
        let mut later = view("app.later", " SELECT 1 AS n;");
        later.created = 20;
        let mut totals = view("app.\"Totals\"", " SELECT 2 AS n;");
        totals.created = 15;
        totals.materialized = true;
        totals.populated = false;
        totals.options = vec![("fillfactor".to_owned(), "70".to_owned())];
        let mut theirs = view("app.theirs", " SELECT 3 AS n;");
        theirs.created = 12;
        theirs.of_extension = true;
        assert_eq!(
            views(&model(vec![first, later, totals, theirs])),
            [
                "CREATE VIEW app.later AS\n SELECT 1 AS n",
                "CREATE VIEW app.first AS\n SELECT n\n   FROM app.later",
                "CREATE MATERIALIZED VIEW app.\"Totals\" WITH (fillfactor=70) AS\n SELECT 2 AS n\nWITH NO DATA",
            ]
        );
    }

    /// A materialized view's replica identity, comments (its own, its columns', its indexes') and
    /// privileges become statements on it, an extension's too.
    #[test]
    fn a_views_replica_identity_comments_and_privileges_become_statements() {
        let mut totals = view("app.\"Totals\"", " SELECT 2 AS n;");
        totals.materialized = true;
        totals.of_extension = true;
        totals.replica_identity = 'f';
        totals.comment = Some("it's \\ summed".to_owned());
        totals.privileges = vec!["grant SELECT to PUBLIC".to_owned(), "revoke SELECT from alice".to_owned()];
        let mut plain = view("app.plain", " SELECT 1 AS n;");
        plain.replica_identity = 'n';
        let model = model(vec![totals, plain]);
        assert_eq!(view_security(&model), ["ALTER TABLE app.\"Totals\" REPLICA IDENTITY FULL"]);
        assert_eq!(
            view_comments(&model),
            ["COMMENT ON MATERIALIZED VIEW app.\"Totals\" IS E'it''s \\\\ summed'"]
        );
        assert_eq!(
            view_privileges(&model),
            [
                "REVOKE SELECT ON TABLE app.\"Totals\" FROM alice",
                "GRANT SELECT ON TABLE app.\"Totals\" TO PUBLIC"
            ]
        );
    }
}
