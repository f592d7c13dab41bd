//! The schema as executable SQL, read from the same catalog as the description: what `squash` writes into a
//! baseline migration. Every name is schema-qualified (the queries run with an empty `search_path`), and the
//! statements are ordered so that each one finds what it refers to on an empty database:
//!
//! schemas, extensions, types (creation order), sequences, functions that refer to no table, tables (columns
//! with types, collations, defaults, identity and generated expressions), the remaining functions, sequence
//! ownership; then (after the place where kept rows load, see [`crate::schema::Ddl`]) constraints other than foreign
//! keys, views (dependencies first), indexes, foreign keys, triggers, rules, row-level security and policies,
//! replica identity, statistics objects, comments and privileges.
//!
//! Rows load where `pg_dump` loads them, between the two parts: no trigger or rule exists yet to fire on them
//! (an audit trigger would log them again, a `BEFORE` trigger rewrite them), no foreign key to depend on the
//! order of the tables, and materialized views are created, and filled, from them.
//!
//! What the description covers but this does not produce (aggregates, operators, operator families, casts,
//! default privileges, event triggers, foreign tables, ...) is not silently dropped: `squash` applies the
//! result to a scratch database and refuses when its description differs from the original's. (A foreign
//! table's statistics objects, comments and privileges are written though the table is not: the copy then
//! fails on them instead.)
//!
//! Most kinds are rendered from the typed model ([`crate::schema::render::sql`]): an extension's tables too,
//! which the extension creates but whose parts a user added (constraints, indexes, row-level security and
//! policies, statistics objects, storage, comments, privileges) the SQL writes after the other tables'.
//! Views and materialized views, triggers and rules come from the model too. Still read as text here: the
//! comments and privileges a user gave an extension's schemas, sequences, functions and types, which the
//! model leaves out.

use postgres::Transaction;

use super::query::{
    bookkeeping_filter, col, not_extension_member, opt, query, user_schema,
};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::Model;

mod tables;
use tables::{in_model, index_in_model, tables};

/// The first statement of a baseline: function bodies are checked when they are called, not when created,
/// so a function may refer to a table created after it.
pub const PREAMBLE: &str = "SET LOCAL check_function_bodies = off";

struct Out {
    statements: Vec<String>,
}

impl Out {
    fn push(&mut self, sql: impl Into<String>) {
        let sql: String = sql.into();
        let sql = sql.trim_end().trim_end_matches(';').trim_end().to_owned();
        if !sql.is_empty() {
            self.statements.push(sql);
        }
    }

    /// One statement per line of `text` (the queries aggregate statements with newlines only where each
    /// statement is one line).
    fn lines(&mut self, text: Option<&str>) {
        for line in text.unwrap_or_default().lines() {
            self.push(line);
        }
    }
}

/// The schema as SQL in two parts (see [`crate::schema::Ddl`]): up to the tables, their columns and the sequences'
/// ownership, where kept rows load; then everything that a row could set off or be checked by (constraints,
/// indexes, foreign keys, triggers, rules, policies) and the views, created once the rows are there (a
/// materialized view `WITH DATA` is filled from them).
pub(crate) fn ddl(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let relation_filter = format!(
        "{} AND {}",
        user_schema("n"),
        bookkeeping_filter(table, "n.nspname", "c.relname")
    );
    let mut out = Out {
        statements: Vec::new(),
    };
    let model = super::typed::read(tx, table)?;
    for statement in crate::schema::render::sql::schemas(&model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::extensions(&model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::enums(&model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::types(&model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::sequences(&model) {
        out.push(statement);
    }
    for definition in crate::schema::render::sql::functions(&model, false) {
        out.push(definition);
    }
    tables(&model, &mut out);
    for definition in crate::schema::render::sql::functions(&model, true) {
        out.push(definition);
    }
    for statement in crate::schema::render::sql::sequence_owners(&model) {
        out.push(statement);
    }
    let before_data = std::mem::take(&mut out.statements);
    constraints(&model, false, &mut out);
    // Views and materialized views, each after the views it reads.
    for statement in crate::schema::render::sql::views(&model) {
        out.push(statement);
    }
    indexes(&model, &mut out);
    constraints(&model, true, &mut out);
    for statement in crate::schema::render::sql::triggers_and_rules(&model) {
        out.push(statement);
    }
    security(&model, &mut out);
    statistics(&model, &mut out);
    comments(tx, &relation_filter, &model, &mut out)?;
    privileges(tx, &relation_filter, &model, &mut out)?;
    Ok((before_data, out.statements))
}

/// Constraints other than NOT NULL (on their columns) and constraint triggers (with the triggers), not
/// those a partition or child table inherits: foreign keys when `foreign`, the others otherwise, rendered
/// from the model (an extension's tables' too, after the others'; not foreign tables', which are not
/// created).
fn constraints(model: &Model, foreign: bool, out: &mut Out) {
    for statement in crate::schema::render::sql::constraints(model, foreign) {
        out.push(statement);
    }
}

/// Indexes other than those of constraints and those a partition's index is attached to (an index on a
/// partitioned table is created on its partitions too, so `ON ONLY` is dropped), then which index a table is
/// clustered on and which one is its replica identity.
/// Those of the model's tables (an extension's too) and materialized views, rendered from it.
/// read here.
fn indexes(model: &Model, out: &mut Out) {
    // One creation order (by oid) for the tables' and the materialized views' indexes.
    let (mut created, mut after) = crate::schema::render::sql::indexes(model);
    let (views, views_after) = crate::schema::render::sql::view_indexes(model);
    created.extend(views);
    after.extend(views_after);
    // Stable: an index's `CLUSTER ON` stays before its `REPLICA IDENTITY`.
    created.sort_by_key(|(oid, _)| *oid);
    after.sort_by_key(|(oid, _)| *oid);
    for (_, statement) in created.into_iter().chain(after) {
        out.push(statement);
    }
}

/// Row-level security, policies and replica identity (other than by index, done with the indexes). The
/// tables' (an extension's after the others'), the materialized views' replica identity and the policies,
/// rendered from `model`.
fn security(model: &Model, out: &mut Out) {
    for statement in crate::schema::render::sql::security(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::view_security(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::policies(model) {
        out.push(statement);
    }
}

/// Statistics objects in the order they were created: the model's tables', foreign tables' and
/// materialized views'.
fn statistics(model: &Model, out: &mut Out) {
    let mut statistics = crate::schema::render::sql::statistics(model);
    statistics.extend(crate::schema::render::sql::view_statistics(model));
    statistics.sort_by_key(|(oid, _)| *oid);
    for (_, statement) in statistics {
        out.push(statement);
    }
}

/// The types whose comments and privileges these queries write: the enums, domains and ranges of
/// extensions (the model leaves an extension's members out, so it renders the others' only).
fn unmodelled_types() -> String {
    format!(
        "(t.typtype IN ('e', 'd', 'r') AND NOT {})",
        not_extension_member("pg_type", "t.oid")
    )
}

/// Comments, sorted: those of the kinds `model` holds rendered from it, the others read here.
fn comments(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    model: &Model,
    out: &mut Out,
) -> Result<(), Error> {
    let relation_kind = "CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' \
         WHEN 'S' THEN 'SEQUENCE' WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'f' THEN 'FOREIGN TABLE' \
         WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END";
    // Schemas, sequences and functions: only extensions' (the model leaves an extension's members out).
    let sql = format!(
        "SELECT 'COMMENT ON SCHEMA ' || quote_ident(n.nspname) || ' IS ' || quote_literal(d.description) \
         FROM pg_namespace n JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass \
         WHERE {} AND NOT {} AND (n.oid >= 16384 OR d.description <> 'standard public schema') \
         UNION ALL \
         SELECT 'COMMENT ON ' || CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || format_type(t.oid, NULL) \
           || ' IS ' || quote_literal(d.description) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass \
         WHERE {unmodelled_types} AND {} \
         UNION ALL \
         SELECT 'COMMENT ON ' || CASE WHEN d.objsubid = 0 THEN {relation_kind} || ' ' || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)) \
             ELSE 'COLUMN ' || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)) || '.' || quote_ident(a.attname) END \
           || ' IS ' || quote_literal(d.description) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 \
         WHERE {relation_filter} AND c.relkind <> 'c' AND (c.relkind <> 'S' OR NOT {extension_sequence}) \
           AND NOT {in_model} AND NOT {index_in_model} \
         UNION ALL \
         SELECT 'COMMENT ON ' || CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END \
           || pg_catalog.textin(pg_catalog.regprocedureout(p.oid::regprocedure)) || ' IS ' || quote_literal(d.description) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass \
         WHERE p.prokind IN ('f', 'p') AND {} AND NOT {}",
        user_schema("n"),
        not_extension_member("pg_namespace", "n.oid"),
        user_schema("n"),
        user_schema("n"),
        not_extension_member("pg_proc", "p.oid"),
        unmodelled_types = unmodelled_types(),
        extension_sequence = not_extension_member("pg_class", "c.oid"),
        in_model = in_model(),
        index_in_model = index_in_model(),
    );
    let mut rows: Vec<String> = query(tx, "comments", &sql)?
        .iter()
        .map(|r| col(r, 0).to_owned())
        .collect();
    rows.extend(crate::schema::render::sql::enum_comments(model));
    rows.extend(crate::schema::render::sql::schema_comments(model));
    rows.extend(crate::schema::render::sql::function_comments(model));
    rows.extend(crate::schema::render::sql::sequence_comments(model));
    rows.extend(crate::schema::render::sql::type_comments(model));
    rows.extend(crate::schema::render::sql::table_comments(model));
    rows.extend(crate::schema::render::sql::view_comments(model));
    rows.extend(crate::schema::render::sql::trigger_comments(model));
    rows.extend(crate::schema::render::sql::foreign_table_comments(model));
    rows.sort();
    for row in rows {
        out.push(row);
    }
    Ok(())
}

/// `GRANT`/`REVOKE` statements turning an object's default privileges (or those initdb gave it) into
/// what it has, leaving out the owner's own. `on` is the SQL text naming the object (`TABLE x`).
#[allow(clippy::too_many_arguments)]
fn acl_statements(
    acl: &str,
    kind: char,
    owner: &str,
    class: &str,
    oid: &str,
    subid: &str,
    on: &str,
) -> String {
    // The query gives `grant p1, p2 to role` / `revoke p1 from role` lines; rewrite them into SQL.
    let changes = super::query::privileges(acl, kind, owner, class, oid, subid);
    format!(
        "(SELECT string_agg(CASE WHEN l LIKE 'grant %' THEN \
            'GRANT ' || regexp_replace(substr(l, 7), ' to ', ' ON ' || {on} || ' TO ') \
          ELSE 'REVOKE ' || regexp_replace(substr(l, 8), ' from ', ' ON ' || {on} || ' FROM ') END, \
          chr(10) ORDER BY l LIKE 'grant %', l) \
         FROM regexp_split_to_table({changes}, chr(10)) l)"
    )
}

/// Privileges: those of the kinds `model` holds rendered from it, the others read here.
fn privileges(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    model: &Model,
    out: &mut Out,
) -> Result<(), Error> {
    let relation = acl_statements(
        "c.relacl",
        'r',
        "c.relowner",
        "pg_class",
        "c.oid",
        "0",
        "CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass))",
    );
    let sequence = acl_statements(
        "c.relacl",
        's',
        "c.relowner",
        "pg_class",
        "c.oid",
        "0",
        "'SEQUENCE ' || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass))",
    );
    let function = acl_statements(
        "p.proacl",
        'f',
        "p.proowner",
        "pg_proc",
        "p.oid",
        "0",
        "CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END || pg_catalog.textin(pg_catalog.regprocedureout(p.oid::regprocedure))",
    );
    let type_ = acl_statements(
        "t.typacl",
        'T',
        "t.typowner",
        "pg_type",
        "t.oid",
        "0",
        "CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || format_type(t.oid, NULL)",
    );
    // The sequences and functions of extensions: the model leaves them out.
    let sql = format!(
        "SELECT {type_} FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
           WHERE {} AND {} \
         UNION ALL SELECT CASE WHEN c.relkind = 'S' THEN {sequence} ELSE {relation} END \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE (c.relkind IN ('r', 'p', 'f') OR (c.relkind = 'S' AND NOT {})) \
             AND {relation_filter} AND NOT {in_model} \
         UNION ALL SELECT {function} FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           WHERE p.prokind IN ('f', 'p') AND {} AND NOT {}",
        unmodelled_types(),
        user_schema("n"),
        not_extension_member("pg_class", "c.oid"),
        user_schema("n"),
        not_extension_member("pg_proc", "p.oid"),
        in_model = in_model(),
    );
    for statement in crate::schema::render::sql::schema_privileges(model) {
        out.push(statement);
    }
    for row in query(tx, "privileges", &sql)? {
        out.lines(opt(&row, 0));
    }
    for statement in crate::schema::render::sql::view_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::sequence_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::function_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::enum_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::type_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::table_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::column_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::view_column_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::foreign_table_privileges(model) {
        out.push(statement);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_lose_their_terminator_and_empty_ones_are_dropped() {
        let mut out = Out {
            statements: Vec::new(),
        };
        out.push("CREATE SCHEMA a;  \n");
        out.push(" ; ");
        out.push("");
        out.lines(Some(
            "GRANT USAGE ON SCHEMA a TO PUBLIC;\n\nCOMMENT ON SCHEMA a IS 'x';",
        ));
        out.lines(None);
        assert_eq!(
            out.statements,
            [
                "CREATE SCHEMA a",
                "GRANT USAGE ON SCHEMA a TO PUBLIC",
                "COMMENT ON SCHEMA a IS 'x'"
            ]
        );
    }

    #[test]
    fn acl_statements_turn_the_changes_into_grants_and_revokes_on_the_object() {
        let sql = acl_statements(
            "c.relacl",
            'r',
            "c.relowner",
            "pg_class",
            "c.oid",
            "0",
            "'TABLE x'",
        );
        // The changes are computed against the initial privileges, else the kind's defaults.
        assert!(sql.contains("coalesce(c.relacl, acldefault('r', c.relowner))"));
        assert!(sql.contains("ip.classoid = 'pg_class'::regclass AND ip.objsubid = 0"));
        assert!(sql.contains("' ON ' || 'TABLE x' || ' TO '"));
        assert!(sql.contains("' ON ' || 'TABLE x' || ' FROM '"));
    }
}
