//! The sweep of every catalog of the database for objects of kinds neither the typed model nor the
//! description reads: what `diff` lists as not generated rather than leave out silently.

use std::collections::BTreeMap;

use postgres::Transaction;

use super::query::{col, literal, query};
use crate::error::Error;

/// Object kinds, as `pg_identify_object` names them, that the model reads or whose differences the
/// description lists (see `diff`'s `uncovered`); every other kind an object of the database has is listed by the
/// sweep. Kept as the list of what is handled, not of what is not, so a kind this list has never heard of
/// (one a later PostgreSQL adds) is listed rather than left out.
const HANDLED: [&str; 31] = [
    "schema",
    "extension",
    "type",
    "table",
    "toast table",
    "index",
    "sequence",
    "view",
    "materialized view",
    "composite type",
    "foreign table",
    "function",
    "procedure",
    "aggregate",
    "operator",
    "operator class",
    "operator family",
    // Members of operator families and classes (PostgreSQL 16 and later call them "access method operator"
    // and "access method procedure").
    "operator of access method",
    "function of access method",
    "access method operator",
    "access method procedure",
    "cast",
    "table constraint",
    "domain constraint",
    "default value",
    "rule",
    "trigger",
    "policy",
    "default acl",
    "event trigger",
    "statistics object",
];

/// Column types that hold object identifiers as numbers (which differ between two databases built
/// alike; a `regproc` column reads as a name and stays), parse trees (which hold them too), transaction
/// ids and privileges (whose entries name the owner, which `diff` does not compare): left out of a swept
/// object's definition.
const UNCOMPARED_TYPES: &str = "'oid', 'oidvector', 'pg_node_tree', 'xid', 'aclitem[]'";

/// What a swept object's catalog row does not hold but its definition is: a text search configuration's
/// mapping of token types to dictionaries (in `pg_ts_config_map`, rows without an `oid`).
fn extra_definition(catalog: &str) -> &'static str {
    match catalog {
        "pg_ts_config" => {
            " || COALESCE((SELECT pg_catalog.string_agg(m.maptokentype || ' ' || m.mapseqno || ' ' \
               || m.mapdict::pg_catalog.regdictionary::pg_catalog.text, ', ' ORDER BY m.maptokentype, m.mapseqno) \
               FROM pg_catalog.pg_ts_config_map m WHERE m.mapcfg = x.oid), '')"
        }
        _ => "",
    }
}

/// The objects of the database that neither the model nor the description reads, by kind and identity
/// (`("publication", "pub")`), each with its catalog row as JSON but for [`UNCOMPARED_TYPES`]: what tells
/// a changed object from the same one.
#[derive(Debug, Default)]
pub(crate) struct Others {
    pub(crate) objects: BTreeMap<(String, String), String>,
    /// Catalogs the session may not read, whose objects are not compared.
    pub(crate) unread: Vec<String>,
}

/// Sweeps every catalog of the database (not the shared ones: roles, databases and tablespaces belong to
/// the server) whose rows are objects (they have an `oid`), for objects made after initdb that are not an
/// extension's members, outside the system schemas, of a kind not in [`HANDLED`]. Which catalogs there are
/// is read from the server, so one a later PostgreSQL adds is swept too; one whose rows PostgreSQL does not
/// call objects (`pg_enum`: an enum's values are its type's) is refused by `pg_identify_object` and skipped.
pub(crate) fn others(tx: &mut Transaction<'_>) -> Result<Others, Error> {
    let catalogs = query(
        tx,
        "catalogs",
        &format!(
            "SELECT c.relname, pg_catalog.has_table_privilege(c.oid, 'SELECT'), COALESCE((SELECT string_agg(quote_literal(a.attname), ', ') FROM pg_catalog.pg_attribute a \
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                 AND (a.attname = 'oid' OR pg_catalog.format_type(a.atttypid, NULL) IN ({UNCOMPARED_TYPES}))), '') \
             FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND c.relkind = 'r' AND NOT c.relisshared \
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'oid' \
                 AND a.atttypid = 'oid'::pg_catalog.regtype) \
             ORDER BY 1"
        ),
    )?;
    let handled: Vec<String> = HANDLED.iter().map(|k| literal(k)).collect();
    let mut out = Others::default();
    for catalog in &catalogs {
        let (name, readable, skipped) = (col(catalog, 0), col(catalog, 1) == "t", col(catalog, 2));
        let quoted = format!("pg_catalog.\"{}\"", name.replace('"', "\"\""));
        let source = match (readable, name) {
            (true, _) => quoted.clone(),
            // Only superusers read it (it holds passwords); its view shows the mappings without them.
            (false, "pg_user_mapping") => {
                "(SELECT m.umid AS oid FROM pg_catalog.pg_user_mappings m)".to_owned()
            }
            (false, _) => {
                out.unread.push(quoted);
                continue;
            }
        };
        let sql = format!(
            "SELECT i.type, i.identity, o.definition FROM ( \
               SELECT {class}::pg_catalog.regclass::pg_catalog.oid AS classid, x.oid AS objid, \
                 (pg_catalog.to_jsonb(x) - ARRAY[{skipped}]::pg_catalog.text[])::pg_catalog.text{extra} AS definition \
               FROM {source} x WHERE x.oid >= 16384) o \
             CROSS JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.objid, 0) i \
             WHERE i.type <> ALL (ARRAY[{handled}]) \
               AND COALESCE(i.schema NOT IN ('pg_catalog', 'information_schema') \
                 AND i.schema NOT LIKE 'pg\\_toast%' AND i.schema NOT LIKE 'pg\\_temp\\_%', true) \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = o.classid \
                 AND d.objid = o.objid AND d.deptype = 'e')",
            class = literal(&quoted),
            extra = extra_definition(name),
            handled = handled.join(", ")
        );
        // In a savepoint: the catalog whose rows are not objects fails the whole query, and only it is skipped.
        let mut savepoint = tx.savepoint("sweep").map_err(|error| Error::Database {
            context: "cannot describe the schema (objects of other kinds)".to_owned(),
            error,
        })?;
        let rows = match query(&mut savepoint, "objects of other kinds", &sql) {
            Ok(rows) => rows,
            Err(Error::Database { error, .. })
                if error.as_db_error().is_some_and(|e| not_an_object_class(e.message())) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        for row in rows {
            out.objects
                .insert((col(&row, 0).to_owned(), col(&row, 1).to_owned()), col(&row, 2).to_owned());
        }
    }
    Ok(out)
}

/// Whether the server refused a catalog because its rows are not objects: PostgreSQL 13 to 17 say
/// "unrecognized object class", 18 says "unsupported object class" (both with SQLSTATE XX000, which any
/// internal error shares, so the words are what tells it).
fn not_an_object_class(message: &str) -> bool {
    message.starts_with("unrecognized object class") || message.starts_with("unsupported object class")
}
