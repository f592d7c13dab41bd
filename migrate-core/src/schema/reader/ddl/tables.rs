//! The tables, rendered from the model (`CREATE TABLE` with their columns, the columns' storage; an
//! extension's tables' storage too, which the extension does not set), and the condition the text queries
//! of the parts still read here use to leave out what the model renders.

use super::*;

/// The relations the model holds and renders (tables, foreign tables, views and materialized views, an
/// extension's too), as a condition on `c` (a `pg_class` row): the text queries of the parts still read here
/// leave them out.
pub(super) fn in_model() -> String {
    "(c.relkind IN ('r', 'p', 'f', 'v', 'm'))".to_owned()
}

/// An index of a table or materialized view the model holds, as a condition on `c` (the index's `pg_class`
/// row): the model renders its comment.
pub(super) fn index_in_model() -> String {
    "EXISTS (SELECT 1 FROM pg_index xi JOIN pg_class xc ON xc.oid = xi.indrelid \
     WHERE xi.indexrelid = c.oid AND xc.relkind IN ('r', 'p', 'm'))"
        .to_owned()
}

/// The tables in the order they were created, each with the columns it defines itself, then the columns'
/// storage where it is not their type's (the model's tables, then an extension's, whose storage the SQL
/// has always set).
pub(super) fn tables(model: &Model, out: &mut Out) {
    for statement in crate::schema::render::sql::tables(model) {
        out.push(statement);
    }
}
