//! Running a batched backfill: primary-key keyset batches, each its own transaction that also records how
//! far it got, so an interrupted backfill resumes after the last committed batch.
//!
//! The progress is keyed to what it describes: a fingerprint of the application of its migration (the journal's
//! attempt), the table and the columns it fills as they are in the catalog (re-created, they are others), its
//! primary key, the condition and the work. A backfill whose migration was edited, reverted or repaired (or
//! whose table's key changed) since it was interrupted starts over rather than resuming from a cursor of
//! another walk, which could skip rows. And a cursor alone is never trusted: before its migration may be
//! recorded, no row may still match the backfill's condition (rows that do are walked again).

use std::time::{Duration, Instant};

use migrate_dsl::{Backfill, BatchWork};
use postgres::types::Type;
use postgres::GenericClient;

use crate::batch_size::BatchSizer;
use crate::error::DataCause;
use crate::estimate::Remaining;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::retry::{GaveUp, LockRetry};
use crate::throttle::{self, BackfillSettings, Stopped, Throttle};
use crate::user_code::UserCode;

mod batch;
pub(crate) mod dense_key;
pub(crate) mod executor;
pub(crate) mod kept;
mod walker;
use batch::*;
use dense_key::*;
use executor::{BatchError, Executor};
use walker::*;

/// Where a backfill is recorded: which migration, which operation.
pub(crate) struct Origin<'a> {
    pub migration: crate::Migration,
    /// The migration's checksum: Rust batch code cannot be compared, its source can.
    pub checksum: &'a str,
    pub position: usize,
    /// The application of the migration this run continues (the journal's): a position saved by another one
    /// belongs to a walk of another state of the table.
    pub attempt: &'a str,
}

/// How many times a backfill walks its table again for rows that still match its condition after its walk,
/// before it gives up naming them.
const CATCH_UP_WALKS: u32 = 2;

/// Why a backfill stopped, and what it had committed by then.
#[derive(Debug)]
pub(crate) struct Failure {
    pub cause: DataCause,
    /// Batches committed by this run.
    pub batches: u64,
    /// Rows done in all, earlier runs included.
    pub rows: u64,
}

impl Failure {
    fn before_any_batch(cause: DataCause) -> Self {
        Failure {
            cause,
            batches: 0,
            rows: 0,
        }
    }

    /// One of the backfill's own queries failed outside its batches, with `rows` done in all by then.
    fn database(context: &'static str, rows: u64) -> impl FnOnce(postgres::Error) -> Failure {
        move |e| Failure {
            cause: DataCause::database(context)(e),
            batches: 0,
            rows,
        }
    }
}

/// The table holding the progress of unfinished backfills, next to the migrations table.
pub(crate) fn progress_table(table: &MigrationsTable) -> String {
    table.backfills()
}

pub(crate) struct Key {
    pub(crate) column: String,
    pub(crate) sql_type: String,
}

/// What a backfill runs with, besides its own definition.
pub(crate) struct Context<'a> {
    /// The migrations table, next to which the progress is kept.
    pub table: &'a MigrationsTable,
    /// How long a batch may keep retrying after lock timeouts.
    pub retry_budget: Duration,
    /// Where a request to stop arrives; the backfill stops after the batch in progress.
    pub interrupt: &'a Interrupt,
    /// How backfills pace themselves, unless the backfill says otherwise.
    pub settings: &'a BackfillSettings,
    /// Who blocks a batch's locks, when watched.
    pub lock_watch: &'a crate::blockers::LockWatch,
}

/// Runs the backfill to the end: walks its table, walks again for rows that still match its condition, then
/// forgets its position and runs `finish` (the caller's bookkeeping) in one transaction. Returns the number
/// of rows updated (or handed to Rust code).
pub(crate) fn run(
    conn: &mut postgres::Client,
    spec: &Backfill,
    origin: &Origin<'_>,
    context: &Context<'_>,
    finish: &mut dyn FnMut(&mut postgres::Transaction<'_>) -> Result<(), postgres::Error>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<u64, Failure> {
    let _running = context.interrupt.backfill();
    let progress = progress_table(context.table);
    prepare_progress_table(conn, &progress)?;
    // A restore walks the table like the backfill it reverts, with the kept values as its assignments.
    let (restoring, restore_spec) = match spec.work() {
        BatchWork::Restore { up_position, .. } => {
            let kept = kept::find(conn, context.table, origin.migration.name(), *up_position)
                .map_err(Failure::database("cannot read the kept values", 0))?
                .ok_or_else(|| {
                    Failure::before_any_batch(DataCause::KeptValuesGone {
                        table: spec.table().quoted(),
                        up_position: *up_position,
                    })
                })?;
            let (set, condition) = kept
                .restore(conn, &spec.table().quoted())
                .map_err(Failure::database("cannot index the kept values", 0))?;
            let restore = spec.with_work(BatchWork::Set(set), Some(condition));
            (Some(kept), Some(restore))
        }
        _ => (None, None),
    };
    let spec = restore_spec.as_ref().unwrap_or(spec);
    let mut finish = |tx: &mut postgres::Transaction<'_>| {
        if let Some(kept) = &restoring {
            kept.forget(tx)?;
        }
        finish(tx)
    };
    let finish: &mut dyn FnMut(&mut postgres::Transaction<'_>) -> Result<(), postgres::Error> =
        &mut finish;
    let mut walk = plan_walk(conn, spec, origin, progress, context.table)?;
    walk.restoring = restoring.is_some();
    let start = start_position(conn, &walk, events)?;

    // Waiting for the WAL flush of every small batch would dominate the run. Without it, a server crash
    // can lose the last few batches, together with their progress rows (same transactions), so the
    // backfill resumes before them: nothing is skipped. Reset below, and on errors by the caller's
    // session end or the next migration's own settings.
    conn.batch_execute("SET synchronous_commit = off")
        .map_err(Failure::database("cannot set synchronous_commit", 0))?;
    let result = run_batches(conn, &walk, start, context, events)
        .and_then(|done| catch_up(conn, &walk, done, context, events));
    let reset = conn.batch_execute("RESET synchronous_commit");
    let done = result?;
    reset.map_err(Failure::database("cannot reset synchronous_commit", done))?;
    finish_walk(conn, &walk.record, done, finish)?;
    Ok(done)
}

/// What a backfill that stopped in its walk committed, as a `down` of its migration finds it: its batches
/// are effects to undo with the rest of the part applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Committed {
    /// The rows its saved position counts as done; `None` when only its kept values are left (a restore of
    /// them was stopped, say).
    pub rows: Option<u64>,
}

/// Whether the backfill at `position` of `migration` committed anything that is not recorded as done: a saved
/// position, or values kept for its `down` (their list entry is made before the first batch).
pub(crate) fn committed(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    position: usize,
) -> Result<Option<Committed>, postgres::Error> {
    let progress = progress_table(table);
    let at = i32::try_from(position).unwrap_or(i32::MAX);
    let rows = if crate::history::relation_exists(conn, &progress)? {
        conn.query_opt(
            &format!("SELECT rows_done FROM {progress} WHERE migration = $1 AND position = $2"),
            &[&migration, &at],
        )?
        .map(|row| u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    } else {
        None
    };
    if rows.is_some() || kept::find(conn, table, migration, position)?.is_some() {
        return Ok(Some(Committed { rows }));
    }
    Ok(None)
}

/// Forgets the saved position of the backfill at `position` of `migration` (its kept values, which its
/// restore reads, stay).
pub(crate) fn forget_position(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    position: usize,
) -> Result<(), postgres::Error> {
    let progress = progress_table(table);
    if crate::history::relation_exists(conn, &progress)? {
        let at = i32::try_from(position).unwrap_or(i32::MAX);
        conn.execute(
            &format!("DELETE FROM {progress} WHERE migration = $1 AND position = $2"),
            &[&migration, &at],
        )?;
    }
    Ok(())
}

/// Creates the progress table if it is missing; one that an older version created gets its fingerprint
/// column.
fn prepare_progress_table(conn: &mut impl GenericClient, progress: &str) -> Result<(), Failure> {
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {progress} (migration text NOT NULL, position integer NOT NULL, \
         cursor text[] NOT NULL, rows_done bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
         fingerprint text, PRIMARY KEY (migration, position))"
    ))
    .map_err(Failure::database(
        "cannot create the backfill progress table",
        0,
    ))?;
    // Tables created by versions before the fingerprint get the column; their rows have none, so they
    // count as recorded for another definition.
    let has_fingerprint: bool = conn
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = $1::text::regclass \
             AND attname = 'fingerprint' AND NOT attisdropped)",
            &[&progress],
        )
        .map_err(Failure::database(
            "cannot read the backfill progress table",
            0,
        ))?
        .get(0);
    if !has_fingerprint {
        conn.batch_execute(&format!(
            "ALTER TABLE {progress} ADD COLUMN IF NOT EXISTS fingerprint text"
        ))
        .map_err(Failure::database(
            "cannot add the fingerprint to the backfill progress table",
            0,
        ))?;
    }
    Ok(())
}

/// Plans the walk once, before its first batch: the table's primary key, and what the progress it records
/// is keyed to (see [`fingerprint`]).
fn plan_walk<'a>(
    conn: &mut impl GenericClient,
    spec: &'a Backfill,
    origin: &'a Origin<'a>,
    progress: String,
    table: &MigrationsTable,
) -> Result<Walk<'a>, Failure> {
    let target = spec.table().quoted();
    let keys = primary_key(conn, &target).map_err(Failure::before_any_batch)?;
    let identity = identity(conn, spec, &target).map_err(Failure::database(
        "cannot read the backfill's table in the catalog",
        0,
    ))?;
    let keep = match spec.keeps_previous_values() {
        true => {
            let columns = spec.assigned_columns().unwrap_or_default();
            let at = (origin.migration.name(), origin.position);
            let keeping = kept::prepare(conn, table, at, &target, &keys, &columns)
                .map_err(|problem| Failure::before_any_batch(DataCause::CannotKeep { problem }))?;
            Some(keeping)
        }
        false => None,
    };
    Ok(Walk {
        restoring: false,
        spec,
        origin,
        record: Record {
            fingerprint: fingerprint(spec, &target, &keys, origin, &identity),
            table: progress,
            migration: origin.migration.name(),
            position: i32::try_from(origin.position).unwrap_or(i32::MAX),
        },
        exec: Executor::new(target, keys, spec).keeping(keep),
    })
}

/// Where the walk starts, with the rows it has left counted: after the recorded cursor when the recorded
/// progress belongs to this walk, else from the start.
fn start_position(
    conn: &mut impl GenericClient,
    walk: &Walk<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Position, Failure> {
    let (cursor, done) = recorded_progress(conn, walk, events)?;
    let sql = format!(
        "SELECT pg_catalog.count(*) FROM {} WHERE {}",
        walk.exec.target,
        walk.exec.keys_after()
    );
    let row = conn
        .query_one(&sql, &[&cursor])
        .map_err(Failure::database("cannot count the rows to backfill", 0))?;
    let total = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0) + done;
    Ok(Position {
        cursor,
        done,
        total,
    })
}

/// The cursor and rows done that an interrupted run recorded, when they belong to this walk. Progress
/// recorded for another walk is discarded, saying why: resuming from its cursor could skip rows.
fn recorded_progress(
    conn: &mut impl GenericClient,
    walk: &Walk<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(Option<Vec<String>>, u64), Failure> {
    let record = &walk.record;
    let resumed = conn
        .query_opt(
            &format!(
                "SELECT cursor, rows_done, fingerprint FROM {} WHERE migration = $1 AND position = $2",
                record.table
            ),
            &[&record.migration, &record.position],
        )
        .map_err(Failure::database("cannot read the backfill progress", 0))?
        .map(|row| {
            (
                row.get::<_, Vec<String>>(0),
                row.get::<_, i64>(1),
                row.get::<_, Option<String>>(2),
            )
        });
    match resumed {
        Some((cursor, done, Some(recorded))) if recorded == record.fingerprint => {
            Ok((Some(cursor), u64::try_from(done).unwrap_or(0)))
        }
        Some((_, done, recorded)) => {
            let reason = if recorded.is_none() {
                "its progress was recorded by an older version, which did not record what it described"
            } else {
                "the position was saved by another application of its migration (since reverted or repaired), \
                 or the backfill changed since (its table or the columns it fills re-created, its primary key, \
                 condition or work), so it belongs to another walk"
            };
            record
                .clear(conn)
                .map_err(Failure::database("cannot discard the backfill progress", 0))?;
            events(Event::BackfillRestarted {
                name: walk.origin.migration.name(),
                table: &walk.exec.target,
                rows_discarded: u64::try_from(done).unwrap_or(0),
                reason,
            });
            Ok((None, 0))
        }
        None => Ok((None, 0)),
    }
}

/// The backfill's last transaction: its progress forgotten together with the caller's bookkeeping
/// (`finish`), so that the progress stays for as long as the migration is not recorded.
fn finish_walk(
    conn: &mut impl GenericClient,
    record: &Record<'_>,
    done: u64,
    finish: &mut dyn FnMut(&mut postgres::Transaction<'_>) -> Result<(), postgres::Error>,
) -> Result<(), Failure> {
    let mut tx = conn.transaction().map_err(Failure::database(
        "cannot start the backfill's last transaction",
        done,
    ))?;
    record
        .clear(&mut tx)
        .map_err(Failure::database("cannot clear the backfill progress", done))?;
    finish(&mut tx).map_err(Failure::database(
        "cannot record that the backfill finished",
        done,
    ))?;
    tx.commit().map_err(Failure::database(
        "cannot commit the end of the backfill",
        done,
    ))?;
    Ok(())
}

/// After the walk: while rows still match the backfill's condition (written since by something that does
/// not fill them, or passed by a walk), the table is walked again for them, at most [`CATCH_UP_WALKS`] times;
/// rows left after that fail the backfill, naming how many. Only a condition that names a column the backfill
/// fills says which rows are left ([`Backfill::completion_check`]); without one there is nothing to count.
/// With a single integer key the walk again starts just before the first row left (read by the same scan that
/// counts them): rows an application inserts behind the walk are at the end of the key, and walking the whole
/// table again for them took a fifth of the backfill's time. A row that starts to match lower down meanwhile
/// is found by the next count.
fn catch_up(
    conn: &mut postgres::Client,
    walk: &Walk<'_>,
    mut done: u64,
    context: &Context<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<u64, Failure> {
    let Some(condition) = walk.spec.completion_check() else {
        return Ok(done);
    };
    // The key's lowest value: a row there has nothing before it to start after.
    let (first_left, lowest) = match walk.exec.keys.as_slice() {
        [key] => match key.sql_type.as_str() {
            "smallint" => (Some(&key.column), i64::from(i16::MIN)),
            "integer" => (Some(&key.column), i64::from(i32::MIN)),
            "bigint" => (Some(&key.column), i64::MIN),
            _ => (None, 0),
        },
        _ => (None, 0),
    };
    let first_left = first_left.map_or_else(
        || "NULL::int8".to_owned(),
        |column| format!("pg_catalog.min({})::int8", migrate_dsl::ident(column)),
    );
    let count = format!(
        "SELECT pg_catalog.count(*), {first_left} FROM {} WHERE ({condition})",
        walk.exec.target
    );
    for walks in 1.. {
        let (left, first) = conn
            .query_one(&count, &[])
            .map(|row| {
                (
                    u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
                    row.get::<_, Option<i64>>(1),
                )
            })
            .map_err(|e| Failure {
                cause: DataCause::database("cannot count the rows still to backfill")(e),
                batches: 0,
                rows: done,
            })?;
        if left == 0 {
            break;
        }
        if walks > CATCH_UP_WALKS {
            return Err(Failure {
                cause: DataCause::RowsLeft {
                    table: walk.exec.target.clone(),
                    condition: condition.to_owned(),
                    rows: left,
                    walks,
                },
                batches: 0,
                rows: done,
            });
        }
        events(Event::BackfillRestarted {
            name: walk.origin.migration.name(),
            table: &walk.exec.target,
            rows_discarded: 0,
            reason: &format!(
                "{left} row(s) still match its condition after its walk: walking the table again for them"
            ),
        });
        let again = Position {
            // The walk takes the rows after its cursor; the lowest key has nothing before it.
            cursor: first
                .filter(|&key| key > lowest)
                .map(|key| vec![(key - 1).to_string()]),
            done,
            total: done + left,
        };
        done = run_batches(conn, walk, again, context, events)?;
    }
    Ok(done)
}

/// The catalog's identity of the backfill's table and of the columns it fills: a table or column dropped
/// and created again since a position was saved has another, and the position is not resumed.
fn identity(
    conn: &mut impl GenericClient,
    spec: &Backfill,
    target: &str,
) -> Result<String, postgres::Error> {
    let columns = spec.assigned_columns().unwrap_or_default();
    let row = conn.query_one(
        "SELECT c.oid::int8, ARRAY(SELECT a.attnum::int4 FROM pg_catalog.pg_attribute a \
         WHERE a.attrelid = c.oid AND a.attname = ANY($2) AND NOT a.attisdropped ORDER BY a.attname) \
         FROM pg_catalog.pg_class c WHERE c.oid = $1::text::regclass",
        &[&target, &columns],
    )?;
    let (oid, attnums): (i64, Vec<i32>) = (row.get(0), row.get(1));
    Ok(format!("{oid} {attnums:?}"))
}

/// What the progress of a backfill describes: table, primary key (names and types, in order), condition and
/// work. Rust batch code cannot be compared, so the migration's checksum stands for it. The batch size and
/// pause are left out: resuming with other values walks the same rows.
fn fingerprint(
    spec: &Backfill,
    target: &str,
    keys: &[Key],
    origin: &Origin<'_>,
    identity: &str,
) -> String {
    let checksum = origin.checksum;
    let keys: Vec<String> = keys
        .iter()
        .map(|k| format!("{} {}", migrate_dsl::ident(&k.column), k.sql_type))
        .collect();
    let work = match spec.work() {
        BatchWork::Set(assignments) => format!("set {assignments}"),
        BatchWork::Rust(_) => format!("rust code of the migration with checksum {checksum}"),
        // Resolved to its assignments before the walk is planned.
        BatchWork::Restore { columns, .. } => format!("restore {columns:?}"),
    };
    let work = match spec.keeps_previous_values() {
        true => format!("{work} keeping the previous values"),
        false => work,
    };
    crate::migration::checksum(&format!(
        "attempt {}\ntable {target} {identity}\nkey {}\nwhere {}\nwork {work}\n",
        origin.attempt,
        keys.join(", "),
        spec.condition().unwrap_or("")
    ))
}

/// A backfill's walk over its table, planned once before the first batch: the executor of its batches
/// (table, primary key, condition, work), and where each batch records how far it got.
struct Walk<'a> {
    spec: &'a Backfill,
    origin: &'a Origin<'a>,
    exec: Executor<'a>,
    record: Record<'a>,
    /// The walk puts back kept values (a `down`'s restore).
    restoring: bool,
}

impl Walk<'_> {
    /// Where batch code runs, for messages from inside it.
    fn code(&self) -> UserCode {
        UserCode {
            migration: self.origin.migration,
            position: self.origin.position,
            op: "backfill",
            transactional: false,
        }
    }
}

/// Where a walk stands: after the key `cursor` (none before the first batch), with `done` of `total` rows
/// done, earlier interrupted runs included.
struct Position {
    cursor: Option<Vec<String>>,
    done: u64,
    total: u64,
}

/// Where a batch records the backfill's progress, in the batch's own transaction: committed together with
/// the batch, or not at all.
struct Record<'a> {
    /// The progress table.
    table: String,
    migration: &'a str,
    position: i32,
    fingerprint: String,
}

impl Record<'_> {
    /// Records that the walk got to `cursor` with `done` rows done, in the batch's transaction: committed
    /// together with the batch, or not at all.
    fn save(
        &self,
        conn: &mut impl GenericClient,
        cursor: &Vec<String>,
        done: i64,
    ) -> Result<(), postgres::Error> {
        // Typed: one round trip, in every batch.
        conn.query_typed(
            &format!(
                "INSERT INTO {} (migration, position, fingerprint, cursor, rows_done) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (migration, position) DO UPDATE SET cursor = EXCLUDED.cursor, \
                 rows_done = EXCLUDED.rows_done, fingerprint = EXCLUDED.fingerprint, \
                 updated_at = pg_catalog.clock_timestamp()",
                self.table
            ),
            &[
                (&self.migration, Type::TEXT),
                (&self.position, Type::INT4),
                (&self.fingerprint, Type::TEXT),
                (cursor, Type::TEXT_ARRAY),
                (&done, Type::INT8),
            ],
        )?;
        Ok(())
    }

    /// The statement of [`Record::save`] with its values written in, for a batch's last message (see
    /// `one_trip`).
    fn save_sql(&self, cursor: &[String], done: i64) -> String {
        format!(
            "INSERT INTO {} (migration, position, fingerprint, cursor, rows_done) VALUES ({}, {}, {}, {}, {done}) \
             ON CONFLICT (migration, position) DO UPDATE SET cursor = EXCLUDED.cursor, \
             rows_done = EXCLUDED.rows_done, fingerprint = EXCLUDED.fingerprint, \
             updated_at = pg_catalog.clock_timestamp()",
            self.table,
            migrate_dsl::literal(self.migration),
            self.position,
            migrate_dsl::literal(&self.fingerprint),
            crate::one_trip::text_array(Some(cursor)),
        )
    }

    /// Forgets the progress: the backfill finished, or starts over.
    fn clear(&self, conn: &mut impl GenericClient) -> Result<u64, postgres::Error> {
        conn.execute(
            &format!(
                "DELETE FROM {} WHERE migration = $1 AND position = $2",
                self.table
            ),
            &[&self.migration, &self.position],
        )
    }
}

/// A key given as the `text[]` expression `array` (text per column: a parameter such as `$1::text[]`, or
/// a literal, see `one_trip`) in the key's own types: `CAST((array)[1] AS t1), CAST((array)[2] AS t2)`.
pub(crate) fn key_in(keys: &[Key], array: &str) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| format!("CAST(({array})[{}] AS {})", i + 1, k.sql_type))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the database says about a backfill's table, for plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyLookup {
    /// The primary key columns, in key order.
    Columns(Vec<String>),
    /// The table exists without a primary key: the backfill will fail.
    NoPrimaryKey,
    /// No such table (yet).
    NoTable,
}

/// The primary key columns of `target` (a quoted, possibly schema-qualified name) as the database has them
/// now. Read-only.
pub(crate) fn lookup_key(
    conn: &mut impl GenericClient,
    target: &str,
) -> Result<KeyLookup, postgres::Error> {
    if !crate::history::relation_exists(conn, target)? {
        return Ok(KeyLookup::NoTable);
    }
    let rows = conn.query(
        "SELECT a.attname::text FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
         WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisprimary \
         ORDER BY array_position(i.indkey::int2[], a.attnum)",
        &[&target],
    )?;
    if rows.is_empty() {
        return Ok(KeyLookup::NoPrimaryKey);
    }
    Ok(KeyLookup::Columns(rows.iter().map(|r| r.get(0)).collect()))
}

/// The primary key columns and types of `target`, in key order.
pub(crate) fn primary_key(
    conn: &mut impl GenericClient,
    target: &str,
) -> Result<Vec<Key>, DataCause> {
    let rows = conn
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = $1::text::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            &[&target],
        )
        .map_err(DataCause::database(format!(
            "cannot read the primary key of {target}"
        )))?;
    if rows.is_empty() {
        return Err(DataCause::NoPrimaryKey {
            table: target.to_owned(),
        });
    }
    Ok(rows
        .iter()
        .map(|r| Key {
            column: r.get(0),
            sql_type: r.get(1),
        })
        .collect())
}

#[cfg(test)]
mod tests;
