//! The two tables behind background jobs, next to the migrations table: `<name>_jobs` (one row per queued
//! job: its migration and operation, its state, which walk over its table it is on) and `<name>_batches`
//! (one row per key range a worker claimed: pending until the batch that updates it commits, with the
//! rows it did). A batch's row is marked done in the batch's own transaction, so a batch is applied once
//! or not at all; a killed worker's pending batch is free for any other worker (`FOR UPDATE SKIP LOCKED`).

use postgres::GenericClient;

use crate::history::MigrationsTable;

use super::{Job, JobState};

/// The tables' `CREATE`s; run by the migration that queues the first job, in its transaction.
pub(crate) fn create_sql(table: &MigrationsTable) -> String {
    let (jobs, batches) = (table.jobs(), table.job_batches());
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
           updated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()); \
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

/// Records a job for the backfill at `position` of `migration`, in the migration's transaction: the job
/// exists exactly when the migration is recorded. A job left active by an earlier application (reverted
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
    }
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    let jobs = table.jobs();
    conn.execute(
        &format!(
            "UPDATE {jobs} SET state = 'cancelled', updated_at = pg_catalog.clock_timestamp() \
             WHERE migration = $1 AND position = $2 AND state NOT IN ('finished', 'cancelled')"
        ),
        &[&migration, &position],
    )?;
    // The table's size as the planner knows it, for the estimate of the time left: counting the rows
    // here would read the whole table in the migration's transaction.
    conn.execute(
        &format!(
            "INSERT INTO {jobs} (migration, position, checksum, target, estimated_rows) \
             SELECT $1, $2, $3, $4, GREATEST(c.reltuples, 0)::int8 \
             FROM pg_catalog.pg_class c WHERE c.oid = $4::text::regclass"
        ),
        &[&migration, &position, &checksum, &target],
    )?;
    Ok(())
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
