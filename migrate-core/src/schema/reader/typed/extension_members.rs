//! The query of what a user gave an extension's own objects ([`ExtensionMember`]): the comments and
//! privileges of the enums, domains and ranges, sequences, functions and procedures, and schemas an
//! extension made, which the other queries leave out (the extension stands for them). One query, its rows
//! in the order the SQL writes their privileges: types, sequences, functions, each in creation order, then
//! schemas.

use postgres::Transaction;

use super::super::query::{not_extension_member, opt, privileges, query, user_schema};
use super::{lines, owned, with_extensions};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::{ExtensionMember, Model};

/// The SQL word of a row's kind (the query's own words, as `'static` text).
fn kind(word: &str) -> &'static str {
    match word {
        "DOMAIN" => "DOMAIN",
        "SEQUENCE" => "SEQUENCE",
        "FUNCTION" => "FUNCTION",
        "PROCEDURE" => "PROCEDURE",
        "SCHEMA" => "SCHEMA",
        _ => "TYPE",
    }
}

/// The extension members with a comment or privileges other than their initial ones (what the extension's
/// script gave them, else their kind's default). Names as the server prints them (`format_type`,
/// `regclass`, `regprocedure`: qualified and quoted where needed); an extension's sequences only outside the
/// engine's bookkeeping (`table`), as the other relations.
pub(super) fn extension_members(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &mut Model,
) -> Result<(), Error> {
    let member = |catalog: &str, oid: &str| format!("NOT {}", not_extension_member(catalog, oid));
    let sql = format!(
        "SELECT m.kind, m.name, m.comment, m.privileges FROM ( \
           SELECT 0 AS part, t.oid AS created, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind, \
             format_type(t.oid, NULL) AS name, d.description AS comment, {type_privileges} AS privileges \
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
           LEFT JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0 \
           WHERE t.typtype IN ('e', 'd', 'r') AND {type_member} AND {schema} \
         UNION ALL \
           SELECT 1, c.oid, 'SEQUENCE', pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), \
             d.description, {sequence_privileges} \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 \
           WHERE c.relkind = 'S' AND {sequence_member} AND {relations} \
         UNION ALL \
           SELECT 2, p.oid, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, \
             pg_catalog.textin(pg_catalog.regprocedureout(p.oid::regprocedure)), d.description, {function_privileges} \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0 \
           WHERE p.prokind IN ('f', 'p') AND {function_member} AND {schema} \
         UNION ALL \
           SELECT 3, n.oid, 'SCHEMA', quote_ident(n.nspname), \
             CASE WHEN n.oid >= 16384 OR d.description <> 'standard public schema' THEN d.description END, NULL \
           FROM pg_namespace n \
           LEFT JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0 \
           WHERE {schema_member} AND {schema} \
         ) m WHERE m.comment IS NOT NULL OR m.privileges IS NOT NULL ORDER BY m.part, m.created",
        type_privileges = privileges("t.typacl", 'T', "t.typowner", "pg_type", "t.oid", "0"),
        sequence_privileges = privileges("c.relacl", 's', "c.relowner", "pg_class", "c.oid", "0"),
        function_privileges = privileges("p.proacl", 'f', "p.proowner", "pg_proc", "p.oid", "0"),
        type_member = member("pg_type", "t.oid"),
        sequence_member = member("pg_class", "c.oid"),
        function_member = member("pg_proc", "p.oid"),
        schema_member = member("pg_namespace", "n.oid"),
        schema = user_schema("n"),
        relations = with_extensions(table),
    );
    for row in query(tx, "extension members", &sql)? {
        model.extension_members.push(ExtensionMember {
            kind: kind(opt(&row, 0).unwrap_or_default()),
            name: opt(&row, 1).unwrap_or_default().to_owned(),
            comment: owned(&row, 2),
            privileges: lines(&row, 3),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::kind;

    #[test]
    fn the_query_words_become_the_kinds() {
        for word in ["DOMAIN", "SEQUENCE", "FUNCTION", "PROCEDURE", "SCHEMA", "TYPE"] {
            assert_eq!(kind(word), word);
        }
    }
}
