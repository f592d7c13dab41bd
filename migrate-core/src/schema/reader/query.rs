//! Reading the catalog: one query's rows as text, the SQL fragments every catalog query shares (what is a
//! user's schema, what is the engine's own bookkeeping, privileges), and the quoting they need.

use postgres::{SimpleQueryMessage, Transaction};

use crate::error::Error;
use crate::history::MigrationsTable;

pub(crate) type Row = Vec<Option<String>>;

/// Suffixes of the engine's own tables next to the migrations table (backfill progress, failure marks, what
/// `CREATE OR REPLACE` replaced, the journal of migrations in progress, background jobs and their batches,
/// what fleet runs did): bookkeeping, not schema. Their owned sequences go with them.
const BOOKKEEPING_SUFFIXES: [&str; 8] = [
    "_backfill", "_failed", "_previous", "_journal", "_kept", "_jobs", "_batches", "_runs",
];

pub(crate) fn query(tx: &mut Transaction<'_>, what: &str, sql: &str) -> Result<Vec<Row>, Error> {
    let messages = tx.simple_query(sql).map_err(|error| Error::Database {
        context: format!("cannot describe the schema ({what})"),
        error,
    })?;
    Ok(messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

pub(crate) fn col(row: &Row, i: usize) -> &str {
    row.get(i).and_then(|v| v.as_deref()).unwrap_or("")
}

pub(crate) fn opt(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|v| v.as_deref())
}

pub(crate) fn flag(row: &Row, i: usize) -> bool {
    col(row, i) == "t"
}

pub(crate) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Not a system schema (`pg_catalog`, `information_schema`, TOAST and temporary schemas).
pub(crate) fn user_schema(alias: &str) -> String {
    format!(
        "{alias}.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND {alias}.nspname NOT LIKE 'pg\\_toast%' AND {alias}.nspname NOT LIKE 'pg\\_temp\\_%'"
    )
}

/// Not an extension's member: the extension itself stands for everything it installed.
pub(crate) fn not_extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass \
         AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

/// `schema.name` quoted only where needed, as PostgreSQL prints names.
pub(super) fn qualified(schema: &str, name: &str) -> String {
    format!("quote_ident({schema}) || '.' || quote_ident({name})")
}

/// A scalar subquery: what was granted or revoked on an object compared with what it had when created
/// (its initial privileges when initdb made it, as for schema `public`, else the built-in default for its
/// kind), one `grant ...` / `revoke ...` line per role, sorted. The owner's own privileges are left out,
/// so the text does not depend on who ran the migrations. NULL when nothing changed.
pub(super) fn privileges(
    acl: &str,
    kind: char,
    owner: &str,
    class: &str,
    oid: &str,
    subid: &str,
) -> String {
    acl_changes(
        &format!("coalesce({acl}, acldefault('{kind}', {owner}))"),
        &format!(
            "coalesce((SELECT ip.initprivs FROM pg_init_privs ip WHERE ip.objoid = {oid} \
             AND ip.classoid = '{class}'::regclass AND ip.objsubid = {subid}), acldefault('{kind}', {owner}))"
        ),
        owner,
    )
}

/// A scalar subquery: the entries of ACL `actual` missing from ACL `base` as `grant` lines, those of `base`
/// missing from `actual` as `revoke` lines, one per role and grant option, leaving out `owner`'s.
pub(super) fn acl_changes(actual: &str, base: &str, owner: &str) -> String {
    format!(
        "(WITH actual AS (SELECT a.grantee, a.privilege_type, a.is_grantable \
            FROM aclexplode({actual}) a WHERE a.grantee <> {owner}), \
          base AS (SELECT a.grantee, a.privilege_type, a.is_grantable \
            FROM aclexplode({base}) a WHERE a.grantee <> {owner}), \
          changes AS (SELECT 'grant' AS verb, g.* FROM (SELECT * FROM actual EXCEPT SELECT * FROM base) g \
            UNION ALL SELECT 'revoke', r.* FROM (SELECT * FROM base EXCEPT SELECT * FROM actual) r) \
        SELECT string_agg(line, chr(10) ORDER BY line) FROM ( \
          SELECT verb || ' ' || string_agg(privilege_type, ', ' ORDER BY privilege_type) \
            || CASE WHEN verb = 'grant' THEN ' to ' ELSE ' from ' END \
            || CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END \
            || CASE WHEN is_grantable THEN ' with grant option' ELSE '' END AS line \
          FROM changes GROUP BY verb, grantee, is_grantable) lines)"
    )
}

/// The setting under which the engine's tables are left out in every schema, not only the migrations table's
/// (see [`describe_schemas`](crate::schema::describe_schemas)): each tenant schema of a fleet has its own.
pub(crate) const BOOKKEEPING_IN_EVERY_SCHEMA: &str = "migrate.bookkeeping_in_every_schema";

/// `(schema, name)` pairs left out: the migrations table and the engine's tables named after it.
pub(crate) fn bookkeeping_filter(table: &MigrationsTable, schema: &str, name: &str) -> String {
    let names: Vec<String> = std::iter::once(table.name().to_owned())
        .chain(
            BOOKKEEPING_SUFFIXES
                .iter()
                .map(|suffix| format!("{}{suffix}", table.name())),
        )
        .map(|n| literal(&n))
        .collect();
    // The side tables of backfills' kept values: `<name>_kept_<digest>`.
    let side_tables = crate::backfill::kept::side_table_prefix(table)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!(
        "NOT coalesce(({schema} = {} OR current_setting('{BOOKKEEPING_IN_EVERY_SCHEMA}', true) = 'on') \
         AND ({name} IN ({}) OR {name} LIKE {}), false)",
        literal(table.schema()),
        names.join(", "),
        literal(&format!("{side_tables}%"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(""), "''");
    }

    #[test]
    fn the_bookkeeping_filter_names_the_migrations_table_and_every_table_named_after_it() {
        let table = MigrationsTable::new("app", "it's").expect("valid name");
        assert_eq!(
            bookkeeping_filter(&table, "n.nspname", "c.relname"),
            "NOT coalesce((n.nspname = 'app' OR current_setting('migrate.bookkeeping_in_every_schema', true) = 'on') \
             AND (c.relname IN ('it''s', 'it''s_backfill', 'it''s_failed', \
             'it''s_previous', 'it''s_journal', 'it''s_kept', 'it''s_jobs', 'it''s_batches', 'it''s_runs') OR c.relname LIKE 'it''s\\_kept\\_%'), false)"
        );
    }

    #[test]
    fn system_schemas_are_left_out_by_name_and_prefix() {
        let filter = user_schema("n");
        for excluded in [
            "'pg_catalog'",
            "'information_schema'",
            "'pg\\_toast%'",
            "'pg\\_temp\\_%'",
        ] {
            assert!(filter.contains(excluded), "{filter} misses {excluded}");
        }
    }
}
