//! Kept values: what a backfill with `keep_previous_values` overwrote, so its `down` can put it back.
//!
//! Each such backfill has a side table of its own (the table's primary key and the previous values of the
//! columns it writes), next to the migrations table, listed in `<migrations table>_kept` with what the
//! restore needs to find it: the migration and the backfill's position in its `up`, the table, the key and
//! the columns. Rows go into the side table in each batch's transaction, before its UPDATE, from the same
//! snapshot; a row kept twice (a walk again for rows left, a walk started over) is restored to its first
//! value, the one before the backfill. The `down` walks the table again, puts the values back, and drops the side table and
//! its entry in the restore's last transaction. A later migration's `drop_kept_values` or `migrate kept
//! --drop` drop them earlier; the `down` then refuses, naming them.

use postgres::GenericClient;

use crate::history::MigrationsTable;

use super::Key;

/// The list of side tables, next to the migrations table.
pub(crate) fn registry(table: &MigrationsTable) -> String {
    table.derived("_kept")
}

/// Creates the list of side tables when it is missing.
fn prepare_registry(conn: &mut impl GenericClient, registry: &str) -> Result<(), postgres::Error> {
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {registry} (migration text NOT NULL, position integer NOT NULL, \
         target text NOT NULL, side_table text NOT NULL, keys text[] NOT NULL, columns text[] NOT NULL, \
         kept_at timestamptz NOT NULL DEFAULT pg_catalog.now(), PRIMARY KEY (migration, position))"
    ))
}

/// The side table of the backfill at `position` of `migration`'s `up`: named after the migrations table and
/// a digest of both, so it is found again by the `down` and two backfills never share one.
fn side_table(table: &MigrationsTable, migration: &str, position: usize) -> String {
    let digest = crate::checksum::checksum(&format!("{migration}\n{position}"));
    let digest = &digest[..digest.len().min(DIGEST_CHARS)];
    format!(
        "{}.{}",
        migrate_dsl::ident(table.schema()),
        migrate_dsl::ident(&format!("{}{digest}", side_table_prefix(table)))
    )
}

/// Hex digits of the digest that ends a side table's name.
const DIGEST_CHARS: usize = 10;
const SIDE_TABLE_INFIX: &str = "_kept_";

/// What every side table's name starts with, `_kept_` and the digest following: the migrations table's name,
/// cut (at a character boundary) so the whole name fits in 63 bytes. The schema description leaves these
/// tables out as bookkeeping.
pub(crate) fn side_table_prefix(table: &MigrationsTable) -> String {
    let mut name = table.name().to_owned();
    while name.len() + SIDE_TABLE_INFIX.len() + DIGEST_CHARS > migrate_dsl::MAX_IDENTIFIER_BYTES {
        name.pop();
    }
    format!("{name}{SIDE_TABLE_INFIX}")
}

/// Where a walk keeps the values it overwrites.
pub(super) struct Keeping {
    /// The side table, quoted.
    side: String,
    /// The key and value columns, quoted, in the side table's order.
    columns: String,
}

impl Keeping {
    /// The statement that keeps the batch's rows (`$1` the cursor, `$2` the batch's last key, as the batch's
    /// UPDATE has them) before it overwrites them; `rows` selects the same rows as the UPDATE.
    pub(super) fn statement(&self, target: &str, rows: &str) -> String {
        let Keeping { side, columns } = self;
        // In the batch's REPEATABLE READ transaction (see `batch`): the UPDATE overwrites exactly what this
        // read, or fails and the batch is retried. Each row goes in with the
        // id of the batch's transaction, and a row kept again (a walk again for rows left, a walk started
        // over) is a second row: the restore takes the first. No index while the walk writes, and no check
        // for a row kept before: a primary key with `ON CONFLICT DO NOTHING` took the backfill's time again.
        format!(
            "INSERT INTO {side} ({columns}, kept_in) SELECT {columns}, pg_catalog.pg_current_xact_id() \
             FROM {target} WHERE {rows}"
        )
    }
}

/// Creates the side table of this backfill (and the list) when missing: its key as the table's, and the
/// columns it writes with their types. Committed before the first batch.
pub(super) fn prepare(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    (migration, position): (&str, usize),
    target: &str,
    keys: &[Key],
    columns: &[String],
) -> Result<Keeping, String> {
    let describe = |e: postgres::Error| crate::error::describe_pg(&e);
    let key_names: Vec<&str> = keys.iter().map(|k| k.column.as_str()).collect();
    if let Some(column) = columns.iter().find(|c| key_names.contains(&c.as_str())) {
        return Err(format!(
            "keep_previous_values cannot keep {}: it is a primary key column, which the walk goes by",
            migrate_dsl::ident(column)
        ));
    }
    let types = conn
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
             FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::text::regclass AND a.attname = ANY ($2) \
             AND a.attnum > 0 AND NOT a.attisdropped",
            &[&target, &columns],
        )
        .map_err(describe)?;
    let mut definitions: Vec<String> = keys
        .iter()
        .map(|k| format!("{} {}", migrate_dsl::ident(&k.column), k.sql_type))
        .collect();
    for column in columns {
        let Some(row) = types.iter().find(|r| r.get::<_, &str>(0) == column) else {
            return Err(format!(
                "{target} has no column {} to keep",
                migrate_dsl::ident(column)
            ));
        };
        definitions.push(format!(
            "{} {}",
            migrate_dsl::ident(column),
            row.get::<_, &str>(1)
        ));
    }
    let quoted_keys: Vec<String> = key_names.iter().map(|k| migrate_dsl::ident(k)).collect();
    let side = side_table(table, migration, position);
    let registry = registry(table);
    let mut tx = conn.transaction().map_err(describe)?;
    prepare_registry(&mut tx, &registry).map_err(describe)?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {side} ({}, kept_in xid8 NOT NULL)",
        definitions.join(", ")
    ))
    .map_err(describe)?;
    tx.execute(
        &format!(
            "INSERT INTO {registry} (migration, position, target, side_table, keys, columns) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (migration, position) DO NOTHING"
        ),
        &[
            &migration,
            &i32::try_from(position).unwrap_or(i32::MAX),
            &target,
            &side,
            &key_names,
            &columns,
        ],
    )
    .map_err(describe)?;
    tx.commit().map_err(describe)?;
    let all: Vec<String> = quoted_keys
        .iter()
        .cloned()
        .chain(columns.iter().map(|c| migrate_dsl::ident(c)))
        .collect();
    Ok(Keeping {
        side,
        columns: all.join(", "),
    })
}

/// The kept values of the backfill at `position` of `migration`'s `up`, as the restore needs them.
pub(crate) struct Kept {
    pub side: String,
    pub keys: Vec<String>,
    pub columns: Vec<String>,
    migration: String,
    position: i32,
    registry: String,
}

/// What the `down` of the backfill at `up_position` of `migration` restores from; `None` when nothing is
/// kept (dropped, or never kept).
pub(crate) fn find(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    up_position: usize,
) -> Result<Option<Kept>, postgres::Error> {
    let registry = registry(table);
    if !crate::history::relation_exists(conn, &registry)? {
        return Ok(None);
    }
    let position = i32::try_from(up_position).unwrap_or(i32::MAX);
    let row = conn.query_opt(
        &format!(
            "SELECT side_table, keys, columns FROM {registry} WHERE migration = $1 AND position = $2 \
             AND pg_catalog.to_regclass(side_table) IS NOT NULL"
        ),
        &[&migration, &position],
    )?;
    Ok(row.map(|row| Kept {
        side: row.get(0),
        keys: row.get(1),
        columns: row.get(2),
        migration: migration.to_owned(),
        position,
        registry,
    }))
}

impl Kept {
    /// Indexes the side table by key for the restore's lookups (once: a restore that resumes finds it),
    /// then gives the restore's SQL assignments and condition for the table `target` (as the UPDATE names
    /// it): every column back to its first kept value, on the rows that have one.
    pub(crate) fn restore(
        &self,
        conn: &mut impl GenericClient,
        target: &str,
    ) -> Result<(String, String), postgres::Error> {
        let side = &self.side;
        let quoted = |names: &[String], alias: &str| {
            names
                .iter()
                .map(|n| format!("{alias}{}", migrate_dsl::ident(n)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let indexed: bool = conn
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_catalog.pg_index WHERE indrelid = $1::text::regclass)",
                &[side],
            )?
            .get(0);
        if !indexed {
            // Built once over the whole table: cheaper than keeping an index up to date batch by batch.
            conn.batch_execute(&format!(
                "CREATE INDEX ON {side} ({}, kept_in)",
                quoted(&self.keys, "")
            ))?;
        }
        let same_row = format!(
            "({}) = ({})",
            quoted(&self.keys, "kept."),
            quoted(&self.keys, &format!("{target}."))
        );
        let set = format!(
            "({}) = (SELECT {} FROM {side} kept WHERE {same_row} ORDER BY kept.kept_in LIMIT 1)",
            quoted(&self.columns, ""),
            quoted(&self.columns, "kept.")
        );
        // A scalar subquery, not `EXISTS`: the planner turns `EXISTS` into a join, which for a batch of
        // thousands of rows read the whole side table, once per batch.
        let condition = format!("(SELECT true FROM {side} kept WHERE {same_row} LIMIT 1)");
        Ok((set, condition))
    }

    /// Drops the side table and its entry, in the restore's last transaction.
    pub(crate) fn forget(&self, tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
        forget(tx, &self.registry, &self.side, &self.migration, self.position)
    }
}

/// Drops one side table and its entry in `registry`.
fn forget(
    conn: &mut impl GenericClient,
    registry: &str,
    side: &str,
    migration: &str,
    position: i32,
) -> Result<(), postgres::Error> {
    conn.batch_execute(&format!("DROP TABLE IF EXISTS {side}"))?;
    conn.execute(
        &format!("DELETE FROM {registry} WHERE migration = $1 AND position = $2"),
        &[&migration, &position],
    )?;
    Ok(())
}

/// One entry of the list of kept values, for `migrate kept`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptValues {
    /// The migration whose backfill kept them.
    pub migration: String,
    /// The backfill's 1-based position in that migration's `up`.
    pub position: i32,
    /// The table it overwrote, quoted as the migration names it.
    pub table: String,
    /// The columns whose previous values are kept.
    pub columns: Vec<String>,
    /// The side table, quoted.
    pub side_table: String,
    /// Rows kept.
    pub rows: i64,
    /// Its size on disk, in bytes.
    pub bytes: i64,
}

/// Which kept values.
#[derive(Debug, Clone, Copy)]
pub enum KeptSelection<'a> {
    /// Those of one migration's backfills.
    Migration(&'a str),
    /// Those of backfills of one table (quoted as the migrations name it, or as `drop_kept_values` does).
    Table(&'a str),
    /// All of them.
    All,
}

impl KeptSelection<'_> {
    /// The condition on the list's rows, with its one parameter (`$1`).
    fn condition(&self) -> (&'static str, &str) {
        match *self {
            KeptSelection::Migration(name) => ("migration = $1", name),
            // The same table however it is named (`"orders"`, `"public"."orders"`), or, gone, the same text.
            KeptSelection::Table(target) => (
                "coalesce(pg_catalog.to_regclass(target) = pg_catalog.to_regclass($1), target = $1)",
                target,
            ),
            // Every row; the one parameter is there, unused.
            KeptSelection::All => ("$1::text = ''", ""),
        }
    }
}

/// The selected kept values, oldest migration first, their rows counted (the statistics of a side table just
/// filled are not there yet).
pub fn list(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    selection: KeptSelection<'_>,
) -> Result<Vec<KeptValues>, postgres::Error> {
    let registry = registry(table);
    if !crate::history::relation_exists(conn, &registry)? {
        return Ok(Vec::new());
    }
    let (condition, param) = selection.condition();
    let rows = conn.query(
        &format!(
            "SELECT migration, position, target, columns, side_table, \
             pg_catalog.to_regclass(side_table) IS NOT NULL, \
             COALESCE(pg_catalog.pg_total_relation_size(pg_catalog.to_regclass(side_table)), 0) \
             FROM {registry} WHERE {condition} ORDER BY migration, position"
        ),
        &[&param],
    )?;
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        let side_table: String = r.get(4);
        let rows = match r.get::<_, bool>(5) {
            true => conn
                .query_one(&format!("SELECT pg_catalog.count(*) FROM {side_table}"), &[])?
                .get(0),
            false => 0,
        };
        kept.push(KeptValues {
            migration: r.get(0),
            position: r.get(1),
            table: r.get(2),
            columns: r.get(3),
            side_table,
            rows,
            bytes: r.get(6),
        });
    }
    Ok(kept)
}

/// Drops the selected kept values (side tables and entries) in the caller's transaction, without reading
/// them (a contract's `drop_kept_values` runs in its migration's transaction); returns how many. The
/// `down`s of their backfills can no longer restore them, and say so.
pub(crate) fn drop_kept(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    selection: KeptSelection<'_>,
) -> Result<usize, postgres::Error> {
    let registry = registry(table);
    if !crate::history::relation_exists(conn, &registry)? {
        return Ok(0);
    }
    let (condition, param) = selection.condition();
    let chosen = conn.query(
        &format!("SELECT side_table, migration, position FROM {registry} WHERE {condition}"),
        &[&param],
    )?;
    for row in &chosen {
        forget(conn, &registry, row.get(0), row.get(1), row.get(2))?;
    }
    Ok(chosen.len())
}
