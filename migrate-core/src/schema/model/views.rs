//! Views and materialized views, with their parts: columns, a materialized view's indexes and statistics
//! objects. `diff` compares what [`View::same_view`] names (and the comment apart); the rest is what the
//! description and the SQL show.

use std::collections::BTreeMap;

use super::tables::{Column, Index};
use super::QName;

/// A view or materialized view. The model holds an extension's too ([`View::of_extension`]): the
/// description and `diff` leave them out and the SQL does not create them, but it writes what was added to
/// them (comments, privileges, indexes, statistics objects, replica identity), as it always has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    pub materialized: bool,
    /// `pg_get_viewdef`, trimmed, without its `;`: what `diff` compares and writes.
    pub definition: String,
    /// In their order. `diff` compares their names only.
    pub columns: Vec<Column>,
    /// Its options (`security_barrier`, `check_option`, a materialized view's storage parameters), each
    /// split at its `=`.
    pub options: Vec<(String, String)>,
    pub comment: Option<String>,
    /// Relations it reads (tables and views), for the order of drops and creates.
    pub depends_on: Vec<QName>,
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// `pg_get_viewdef` as the server prints it (a leading space, a closing `;`): what the description
    /// shows under `as`.
    pub query: String,
    /// A materialized view filled when created (`WITH DATA`), not `WITH NO DATA`.
    pub populated: bool,
    /// Its access method, quoted, when not `heap` (a materialized view's).
    pub access_method: Option<String>,
    /// Its tablespace, quoted, when not the database's default (a materialized view's).
    pub tablespace: Option<String>,
    /// `relreplident`, which only a materialized view's description and SQL show: `d` (default), `n`
    /// (nothing), `f` (full), `i` (an index's).
    pub replica_identity: char,
    /// A materialized view's indexes, by name: their definition, comment, state, tablespace and oid for
    /// the description and the SQL, their elements for `diff`, which writes them as a table's.
    pub indexes: BTreeMap<String, Index>,
    /// A materialized view's statistics objects: `pg_get_statisticsobjdef` and oid (see
    /// [`super::Table::statistics`]).
    pub statistics: Vec<(u32, String)>,
    /// What was granted or revoked on it relative to its defaults, as the description's lines (see
    /// [`super::Table::privileges`]).
    pub privileges: Vec<String>,
    /// The oids of the relations its rules read (the tables and views in [`View::depends_on`], every rule's,
    /// ascending): the SQL creates each view after the views it reads.
    pub reads: Vec<u32>,
    /// One an extension installed (or was given with `ALTER EXTENSION .. ADD`).
    pub of_extension: bool,
    /// Its oid: the SQL creates views in the order they were created, but after those they read.
    pub created: u32,
}

impl View {
    /// What `diff` compares of two views (their comments apart): kind, query, columns' names, options and
    /// what they read. Not what only the description and the SQL show.
    pub fn same_view(&self, other: &View) -> bool {
        self.materialized == other.materialized
            && self.definition == other.definition
            && self.column_names() == other.column_names()
            && self.options == other.options
            && self.depends_on == other.depends_on
    }

    /// Its columns' names, in their order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|column| column.name.as_str()).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A view with `quoted` and `query`, nothing else.
    pub(crate) fn view(quoted: &str, query: &str) -> View {
        View {
            materialized: false,
            definition: query.trim().trim_end_matches(';').to_owned(),
            columns: Vec::new(),
            options: Vec::new(),
            comment: None,
            depends_on: Vec::new(),
            quoted: quoted.to_owned(),
            query: query.to_owned(),
            populated: true,
            access_method: None,
            tablespace: None,
            replica_identity: 'd',
            indexes: BTreeMap::new(),
            statistics: Vec::new(),
            privileges: Vec::new(),
            reads: Vec::new(),
            of_extension: false,
            created: 0,
        }
    }

    /// `diff` compares what a view does, not what only the description and the SQL show of it: two views
    /// that differ in those alone are the same view.
    #[test]
    fn views_differing_only_in_what_is_shown_are_the_same_view() {
        let before = view("app.v", " SELECT 1 AS a;");
        let mut after = before.clone();
        after.quoted = "app.\"v\"".to_owned();
        after.query = "SELECT 1 AS a".to_owned();
        after.privileges = vec!["grant SELECT to PUBLIC".to_owned()];
        after.statistics = vec![(16400, "CREATE STATISTICS app.s ON a, b FROM app.v".to_owned())];
        after.reads = vec![16384];
        after.created = 16390;
        after.comment = Some("compared apart".to_owned());
        assert!(before.same_view(&after));
        for changed in [
            View { materialized: true, ..before.clone() },
            View { definition: "SELECT 2 AS a".to_owned(), ..before.clone() },
            View { options: vec![("security_barrier".to_owned(), "true".to_owned())], ..before.clone() },
            View { depends_on: vec![("app".to_owned(), "t".to_owned())], ..before.clone() },
        ] {
            assert!(!before.same_view(&changed), "{changed:?}");
        }
    }
}
