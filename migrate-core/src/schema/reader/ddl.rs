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
//! Every kind is rendered from the typed model ([`crate::schema::render::sql`]): an extension's tables too,
//! which the extension creates but whose parts a user added (constraints, indexes, row-level security and
//! policies, statistics objects, storage, comments, privileges) the SQL writes after the other tables'.
//! Views and materialized views, triggers and rules come from the model too, and so do the comments and
//! privileges a user gave an extension's schemas, sequences, functions and types
//! ([`Model::extension_members`], which the description and `diff` do not read). Nothing is read as text
//! here: the only query is the model's read.

use postgres::Transaction;

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::Model;

mod tables;
use tables::tables;

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
}

/// The schema as SQL in two parts (see [`crate::schema::Ddl`]): up to the tables, their columns and the sequences'
/// ownership, where kept rows load; then everything that a row could set off or be checked by (constraints,
/// indexes, foreign keys, triggers, rules, policies) and the views, created once the rows are there (a
/// materialized view `WITH DATA` is filled from them).
pub(crate) fn ddl(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
) -> Result<(Vec<String>, Vec<String>), Error> {
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
    comments(&model, &mut out);
    privileges(&model, &mut out);
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

/// Comments, sorted, rendered from `model`: an extension's schemas', sequences', functions' and types'
/// ([`Model::extension_members`]) among the others.
fn comments(model: &Model, out: &mut Out) {
    let mut rows = crate::schema::render::sql::extension_member_comments(model);
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
}

/// Privileges, rendered from `model`: the schemas', then an extension's types', sequences' and functions'
/// ([`Model::extension_members`]), then each other kind's.
fn privileges(model: &Model, out: &mut Out) {
    for statement in crate::schema::render::sql::schema_privileges(model) {
        out.push(statement);
    }
    for statement in crate::schema::render::sql::extension_member_privileges(model) {
        out.push(statement);
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
        out.push("GRANT USAGE ON SCHEMA a TO PUBLIC;");
        assert_eq!(
            out.statements,
            ["CREATE SCHEMA a", "GRANT USAGE ON SCHEMA a TO PUBLIC"]
        );
    }
}
