//! The key ranges of a job's walk: claimed one at a time under the job's advisory lock, and the end of a
//! walk (the job finished, walked again for rows left, or failed naming them).

use postgres::types::Type;
use postgres::Client;

use super::{fail, JobTurn, CATCH_UP_WALKS, MAX_BATCH_ATTEMPTS};
use crate::backfill::dense_key::DenseKey;
use crate::backfill::executor::Executor;
use crate::error::Error;

impl JobTurn<'_, '_> {
    /// Where the job's current walk stands (its number, and the last key claimed or where it starts), under
    /// the job's advisory lock for the rest of `tx`: claims and the end of a walk are one at a time. `None`
    /// when the job is no longer active. Each statement one round trip (typed, not prepared first): they run
    /// once a batch, and every worker waits on the lock.
    fn locked_walk(
        &self,
        tx: &mut postgres::Transaction<'_>,
    ) -> Result<Option<Walk>, postgres::Error> {
        let table = self.table();
        // Its own statement, before the read: a statement reads the snapshot taken when it started, and the
        // last claim committed may be after that.
        tx.query_typed(
            "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1), $2::int8::int4)",
            &[(&table.jobs(), Type::TEXT), (&self.job.id, Type::INT8)],
        )?;
        let rows = tx.query_typed(
            &format!(
                "SELECT j.state, j.walk, COALESCE((SELECT b.last_key FROM {} b WHERE b.job = j.id \
                 AND b.walk = j.walk ORDER BY b.id DESC LIMIT 1), j.walk_from) FROM {} j WHERE j.id = $1",
                table.job_batches(),
                table.jobs()
            ),
            &[(&self.job.id, Type::INT8)],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        if row.get::<_, &str>(0) != "active" {
            return Ok(None);
        }
        Ok(Some(Walk {
            number: row.get(1),
            cursor: row.get(2),
        }))
    }

    /// A pending batch of the job that no worker holds (one a stopped or killed worker left, or one whose
    /// attempt failed and is retried), locked for the rest of `tx`.
    fn abandoned(&self, tx: &mut postgres::Transaction<'_>) -> Result<Option<i64>, postgres::Error> {
        let rows = tx.query_typed(
            &format!(
                "SELECT id FROM {} WHERE job = $1 AND state = 'pending' AND attempts < $2 ORDER BY id LIMIT 1 \
                 FOR UPDATE SKIP LOCKED",
                self.table().job_batches()
            ),
            &[(&self.job.id, Type::INT8), (&MAX_BATCH_ATTEMPTS, Type::INT4)],
        )?;
        Ok(rows.first().map(|row| row.get(0)))
    }

    /// The batch this worker runs next: a pending one no worker holds when there is one (it goes first, as
    /// its range was claimed first), else the next key range of the walk, claimed: up to `limit` rows (or
    /// keys of a dense key) after the last range claimed, its end found by the executor.
    pub(super) fn claim(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        dense: &mut Option<DenseKey>,
        limit: u32,
    ) -> Result<Claim, Error> {
        let context = format!("cannot claim a batch of background job {}", self.job.id);
        let failed = |e: postgres::Error| Error::database(context.clone())(e);
        let mut tx = client.transaction().map_err(&failed)?;
        let Some(Walk {
            number: walk,
            cursor,
        }) = self.locked_walk(&mut tx).map_err(&failed)?
        else {
            return Ok(Claim::NotActive);
        };
        if let Some(batch) = self.abandoned(&mut tx).map_err(&failed)? {
            tx.commit().map_err(&failed)?;
            return Ok(Claim::Claimed(batch));
        }
        // The job's ranges are rows whether they match the condition or not (the batch's UPDATE applies
        // it): the planner then walks the key's index.
        let Some(end) = exec
            .range_end(&mut tx, dense, &cursor, (limit, true))
            .map_err(&failed)?
        else {
            return Ok(Claim::Exhausted);
        };
        let end = end.key;
        let inserted = tx
            .query_typed(
                &format!(
                    "INSERT INTO {} (job, walk, after_key, last_key, worker) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id",
                    self.table().job_batches()
                ),
                &[
                    (&self.job.id, Type::INT8),
                    (&walk, Type::INT4),
                    (&cursor, Type::TEXT_ARRAY),
                    (&end, Type::TEXT_ARRAY),
                    (&self.worker, Type::TEXT),
                ],
            )
            .map_err(&failed)?;
        let batch: i64 = inserted
            .first()
            .map(|row| row.get(0))
            .ok_or(Error::Internal("a claimed batch without its id"))?;
        tx.commit().map_err(&failed)?;
        Ok(Claim::Claimed(batch))
    }

    /// At the end of a walk: once no batch is pending, the job finishes when no row still matches its
    /// condition; otherwise the table is walked again from the first row left, at most
    /// [`CATCH_UP_WALKS`] times.
    pub(super) fn finish(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        dense: &mut Option<DenseKey>,
    ) -> Result<Finish, Error> {
        let (job, table) = (self.job, self.table());
        let context = format!("cannot finish background job {}", job.id);
        let failed = |e: postgres::Error| Error::database(context.clone())(e);
        let mut tx = client.transaction().map_err(&failed)?;
        let Some(Walk {
            number: walk,
            cursor,
        }) = self.locked_walk(&mut tx).map_err(&failed)?
        else {
            return Ok(Finish::NotActive);
        };
        let pending: i64 = tx
            .query_one(
                &format!(
                    "SELECT pg_catalog.count(*) FROM {} WHERE job = $1 AND state = 'pending'",
                    table.job_batches()
                ),
                &[&job.id],
            )
            .map_err(&failed)?
            .get(0);
        if pending > 0 {
            return Ok(Finish::InFlight);
        }
        // Rows written after the last claim at the end of the key: the walk goes on.
        if exec
            .range_end(&mut tx, dense, &cursor, (1, true))
            .map_err(&failed)?
            .is_some()
        {
            return Ok(Finish::Again);
        }
        let left = match self.spec.completion_check() {
            None => None,
            Some(condition) => {
                let first = match exec.keys.as_slice() {
                    [key] if ["smallint", "integer", "bigint"].contains(&key.sql_type.as_str()) => {
                        format!("pg_catalog.min({})::int8", migrate_dsl::ident(&key.column))
                    }
                    _ => "NULL::int8".to_owned(),
                };
                let row = tx
                    .query_one(
                        &format!("SELECT pg_catalog.count(*), {first} FROM {} WHERE ({condition})", self.relation),
                        &[],
                    )
                    .map_err(&failed)?;
                let (count, first): (i64, Option<i64>) = (row.get(0), row.get(1));
                (count > 0).then_some((count, first, condition))
            }
        };
        let jobs = table.jobs();
        let Some((count, first, condition)) = left else {
            tx.execute(
                &format!(
                    "UPDATE {jobs} SET state = 'finished', finished_at = pg_catalog.clock_timestamp(), \
                     updated_at = pg_catalog.clock_timestamp() WHERE id = $1"
                ),
                &[&job.id],
            )
            .map_err(&failed)?;
            tx.commit().map_err(&failed)?;
            return Ok(Finish::Finished);
        };
        if walk > CATCH_UP_WALKS {
            let error = format!(
                "{count} row(s) of {} still match its condition ({condition}) after {walk} walks: something \
                 writes such rows without filling them (the application version still running?)",
                self.relation
            );
            fail(&mut tx, table, job.id, &error)?;
            tx.commit().map_err(&failed)?;
            return Ok(Finish::Failed);
        }
        // The next walk starts just before the first row left, when the key says where that is.
        let from: Option<Vec<String>> = first.map(|key| vec![key.saturating_sub(1).to_string()]);
        tx.execute(
            &format!(
                "UPDATE {jobs} SET walk = walk + 1, walk_from = $2, updated_at = pg_catalog.clock_timestamp() \
                 WHERE id = $1"
            ),
            &[&job.id, &from],
        )
        .map_err(&failed)?;
        tx.commit().map_err(&failed)?;
        Ok(Finish::Again)
    }
}


/// The walk a job is on: its number, and the last key claimed (or where it starts).
struct Walk {
    number: i32,
    cursor: Option<Vec<String>>,
}

pub(super) enum Claim {
    /// A new range, pending as this batch.
    Claimed(i64),
    Exhausted,
    NotActive,
}

pub(super) enum Finish {
    Finished,
    /// Other workers have batches in progress (or a stopped worker left one pending).
    InFlight,
    /// There is more to walk.
    Again,
    Failed,
    NotActive,
}
