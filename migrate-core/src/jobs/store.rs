//! The two tables behind background jobs, next to the migrations table: `<name>_jobs` (one row per queued
//! job: its migration and operation, its state, which walk over its table it is on) and `<name>_batches`
//! (one row per key range a worker claimed: pending until the batch that updates it commits, with the
//! rows it did). A batch's row is marked done in the batch's own transaction, so a batch is applied once
//! or not at all; a killed worker's pending batch is free for any other worker (`FOR UPDATE SKIP LOCKED`).

use postgres::GenericClient;

use crate::history::MigrationsTable;

use super::{Job, JobState};

/// What a job records of the session that queued it, so that its workers run where its migration ran: the
/// `search_path` and role setting then (a fleet's schema target runs with `search_path` set to its schema;
/// a worker's own session may have any), and the table it fills as that `search_path` resolved it, schema
/// included. Added to a jobs table made before them (their rows have none: see [`JobSession`]).
const SESSION_COLUMNS: [&str; 3] = ["search_path text", "role text", "relation text"];

/// The tables' `CREATE`s; run by the migration that queues the first job, in its transaction.
pub(crate) fn create_sql(table: &MigrationsTable) -> String {
    let (jobs, batches) = (table.jobs(), table.job_batches());
    let session = SESSION_COLUMNS.join(", ");
    format!(
        "CREATE TABLE IF NOT EXISTS {jobs} (\
           id bigserial PRIMARY KEY, \
           migration text NOT NULL, \
           position integer NOT NULL, \
           checksum text NOT NULL, \
           target text NOT NULL, \
           state text NOT NULL DEFAULT 'active' \
             CHECK (state IN ('active', 'paused', 'failed', 'finished', 'cancelled')), \
           walk integer NOT NULL DEFAULT 1, \
           walk_from text[], \
           estimated_rows bigint NOT NULL DEFAULT 0, \
           error text, \
           queued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
           finished_at timestamptz, \
           updated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
           {session}); \
         CREATE TABLE IF NOT EXISTS {batches} (\
           job bigint NOT NULL, \
           id bigserial, \
           walk integer NOT NULL, \
           after_key text[], \
           last_key text[] NOT NULL, \
           state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')), \
           rows bigint NOT NULL DEFAULT 0, \
           attempts integer NOT NULL DEFAULT 0, \
           error text, \
           worker text, \
           created_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
           done_at timestamptz, \
           PRIMARY KEY (job, id))"
    )
}

/// Whether the jobs table exists (a database where no migration queued a job has none).
pub(crate) fn exists(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<bool, postgres::Error> {
    crate::history::relation_exists(conn, &table.jobs())
}

/// Every job with its progress, oldest first; `only` restricts them to one migration's.
pub(crate) fn list(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    only: Option<&str>,
) -> Result<Vec<Job>, postgres::Error> {
    if !exists(conn, table)? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT j.id, j.migration, j.position, j.target, j.state, j.estimated_rows, j.error, j.walk, \
           pg_catalog.to_char(j.queued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), \
           COALESCE(b.rows, 0)::int8, COALESCE(b.done, 0)::int8, COALESCE(b.pending, 0)::int8, \
           b.seconds::float8 \
         FROM {jobs} j LEFT JOIN LATERAL (\
           SELECT pg_catalog.sum(rows) FILTER (WHERE state = 'done') AS rows, \
             pg_catalog.count(*) FILTER (WHERE state = 'done') AS done, \
             pg_catalog.count(*) FILTER (WHERE state = 'pending') AS pending, \
             EXTRACT(epoch FROM pg_catalog.max(done_at) - pg_catalog.min(created_at)) AS seconds \
           FROM {batches} WHERE job = j.id) b ON true \
         WHERE $1::text IS NULL OR j.migration = $1 ORDER BY j.id",
        jobs = table.jobs(),
        batches = table.job_batches(),
    );
    let rows = conn.query(&sql, &[&only])?;
    Ok(rows
        .iter()
        .map(|row| Job {
            id: row.get(0),
            migration: row.get(1),
            position: usize::try_from(row.get::<_, i32>(2)).unwrap_or(0),
            table: row.get(3),
            state: JobState::parse(row.get(4)),
            estimated_rows: u64::try_from(row.get::<_, i64>(5)).unwrap_or(0),
            error: row.get(6),
            walk: u32::try_from(row.get::<_, i32>(7)).unwrap_or(1),
            queued_at: row.get(8),
            rows_done: u64::try_from(row.get::<_, i64>(9)).unwrap_or(0),
            batches_done: u64::try_from(row.get::<_, i64>(10)).unwrap_or(0),
            batches_pending: u64::try_from(row.get::<_, i64>(11)).unwrap_or(0),
            seconds: row.get(12),
        })
        .collect())
}

/// Records a job for the backfill of `target` at `position` of `migration` (a key's widening queues one per
/// table under one operation), in the migration's transaction: the job exists exactly when the migration is
/// recorded. A job left active by an earlier application (reverted
/// without the engine's cancel) is cancelled: the new one walks the table from the start.
pub(crate) fn queue(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    position: usize,
    checksum: &str,
    target: &str,
) -> Result<(), postgres::Error> {
    // Checked first: `IF NOT EXISTS` alone would have the server say "already exists, skipping" for each
    // job after the first.
    if !exists(conn, table)? {
        conn.batch_execute(&create_sql(table))?;
    } else {
        add_session_columns(conn, table)?;
    }
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    let jobs = table.jobs();
    conn.execute(
        &format!(
            "UPDATE {jobs} SET state = 'cancelled', updated_at = pg_catalog.clock_timestamp() \
             WHERE migration = $1 AND position = $2 AND target = $3 AND state NOT IN ('finished', 'cancelled')"
        ),
        &[&migration, &position, &target],
    )?;
    // The table's size as the planner knows it, for the estimate of the time left: counting the rows
    // here would read the whole table in the migration's transaction.
    // The session's settings as the migration has them at this point (its own `SET LOCAL`s included).
    conn.execute(
        &format!(
            "INSERT INTO {jobs} (migration, position, checksum, target, estimated_rows, search_path, role, relation) \
             SELECT $1, $2, $3, $4, GREATEST(c.reltuples, 0)::int8, \
               pg_catalog.current_setting('search_path'), pg_catalog.current_setting('role'), \
               pg_catalog.format('%I.%I', n.nspname, c.relname) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = $4::text::regclass"
        ),
        &[&migration, &position, &checksum, &target],
    )?;
    Ok(())
}

/// Adds the [`SESSION_COLUMNS`] to a jobs table made before them; checked first, as `IF NOT EXISTS` alone
/// would have the server say "already exists, skipping".
fn add_session_columns(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<(), postgres::Error> {
    let jobs = table.jobs();
    let has: bool = conn
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = $1::text::regclass \
             AND attname = 'relation' AND NOT attisdropped)",
            &[&jobs],
        )?
        .get(0);
    if !has {
        let add: Vec<String> = SESSION_COLUMNS
            .iter()
            .map(|column| format!("ADD COLUMN IF NOT EXISTS {column}"))
            .collect();
        conn.batch_execute(&format!("ALTER TABLE {jobs} {}", add.join(", ")))?;
    }
    Ok(())
}

/// What job `id` recorded of the session that queued it (see [`SESSION_COLUMNS`]); each `None` for a job
/// queued before they were recorded.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobSession {
    pub search_path: Option<String>,
    pub role: Option<String>,
    /// The table, schema-qualified and quoted.
    pub relation: Option<String>,
}

/// Job `id`'s [`JobSession`]. Read through the row as JSON, so a jobs table without the columns reads as none.
pub(crate) fn session_of(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    id: i64,
) -> Result<JobSession, postgres::Error> {
    let row = conn.query_opt(
        &format!(
            "SELECT pg_catalog.to_jsonb(j) ->> 'search_path', pg_catalog.to_jsonb(j) ->> 'role', \
             pg_catalog.to_jsonb(j) ->> 'relation' \
             FROM {} j WHERE id = $1",
            table.jobs()
        ),
        &[&id],
    )?;
    Ok(row.map_or_else(JobSession::default, |row| JobSession {
        search_path: row.get(0),
        role: row.get(1),
        relation: row.get(2),
    }))
}

/// Cancels the jobs of `migration` that have not finished, in a transaction of its own, before the
/// migration is reverted. Waits for batches in progress to commit (they hold the job's row `FOR SHARE`);
/// no batch starts after it. Returns the jobs cancelled.
pub(crate) fn cancel_of(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
) -> Result<Vec<i64>, postgres::Error> {
    if !exists(conn, table)? {
        return Ok(Vec::new());
    }
    let rows = conn.query(
        &format!(
            "UPDATE {} SET state = 'cancelled', updated_at = pg_catalog.clock_timestamp() \
             WHERE migration = $1 AND state IN ('active', 'paused', 'failed') RETURNING id",
            table.jobs()
        ),
        &[&migration],
    )?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Moves job `id` from one of the states `from` to `to`; returns its state before, or `None` when there is
/// no such job. A job in another state is left as it is.
pub(crate) fn change_state(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    id: i64,
    from: &[JobState],
    to: JobState,
) -> Result<Option<JobState>, postgres::Error> {
    if !exists(conn, table)? {
        return Ok(None);
    }
    let jobs = table.jobs();
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let mut tx = conn.transaction()?;
    let Some(row) = tx.query_opt(
        &format!("SELECT state FROM {jobs} WHERE id = $1 FOR NO KEY UPDATE"),
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let before = JobState::parse(row.get(0));
    if from.contains(&before.as_str()) {
        tx.execute(
            &format!(
                "UPDATE {jobs} SET state = $2, error = CASE WHEN $2 = 'active' THEN NULL ELSE error END, \
                 updated_at = pg_catalog.clock_timestamp() WHERE id = $1"
            ),
            &[&id, &to.as_str()],
        )?;
        if to == JobState::Active {
            // A retry: the batches that failed get their attempts back.
            tx.execute(
                &format!(
                    "UPDATE {} SET attempts = 0 WHERE job = $1 AND state = 'pending'",
                    table.job_batches()
                ),
                &[&id],
            )?;
        }
    }
    tx.commit()?;
    Ok(Some(before))
}
