//! The tables, rendered from the model (`CREATE TABLE` with their columns, the columns' storage), and what
//! the model leaves out but the SQL has always written: the storage of an extension's tables' columns.

use super::*;

/// The relations the model holds and renders (the tables other than an extension's; every view and
/// materialized view, an extension's too), as a condition on `c` (a `pg_class` row): the text queries of the
/// parts still read here leave them out.
pub(super) fn in_model() -> String {
    format!(
        "(c.relkind IN ('v', 'm') OR (c.relkind IN ('r', 'p') AND {}))",
        not_extension_member("pg_class", "c.oid")
    )
}

/// An index of a table or materialized view the model holds, as a condition on `c` (the index's `pg_class`
/// row): the model renders its comment.
pub(super) fn index_in_model() -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_index xi JOIN pg_class xc ON xc.oid = xi.indrelid \
         WHERE xi.indexrelid = c.oid AND (xc.relkind = 'm' OR (xc.relkind IN ('r', 'p') AND {})))",
        not_extension_member("pg_class", "xc.oid")
    )
}

/// The tables in the order they were created, each with the columns it defines itself, then the columns'
/// storage where it is not their type's (the model's tables, then an extension's: the model leaves those
/// out, and the SQL has always set their storage).
pub(super) fn tables(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    model: &Model,
    out: &mut Out,
) -> Result<(), Error> {
    for statement in crate::schema::render::sql::tables(model) {
        out.push(statement);
    }
    let sql = format!(
        "SELECT 'ALTER TABLE ' || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)) \
           || ' ALTER COLUMN ' || quote_ident(a.attname) || ' SET STORAGE ' \
           || CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' \
              ELSE 'EXTENDED' END \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND a.attstorage <> t.typstorage \
         AND {relation_filter} AND NOT {} ORDER BY a.attrelid, a.attnum",
        not_extension_member("pg_class", "c.oid")
    );
    for row in query(tx, "storage of extensions' tables", &sql)? {
        out.push(col(&row, 0));
    }
    Ok(())
}
