//! The tables, rendered from the model (`CREATE TABLE` with their columns, the columns' storage; an
//! extension's tables' storage too, which the extension does not set).

use super::*;

/// The tables in the order they were created, each with the columns it defines itself, then the columns'
/// storage where it is not their type's (the model's tables, then an extension's, whose storage the SQL
/// has always set).
pub(super) fn tables(model: &Model, out: &mut Out) {
    for statement in crate::schema::render::sql::tables(model) {
        out.push(statement);
    }
}
