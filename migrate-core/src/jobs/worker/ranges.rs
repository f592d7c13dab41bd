//! The key ranges of a job's walk: claimed one at a time under the job's advisory lock, and the end of a
//! walk (the job finished, walked again for rows left, or failed naming them).

use postgres::types::Type;
use postgres::Client;

use super::{fail, JobTurn, CATCH_UP_WALKS, MAX_BATCH_ATTEMPTS};
use crate::backfill::dense_key::DenseKey;
use crate::backfill::executor::Executor;
use crate::error::Error;
use crate::one_trip;

impl JobTurn<'_, '_> {
    /// Where the job's current walk stands (its number, and the last key claimed or where it starts), under
    /// the job's advisory lock for the rest of `tx`: claims and the end of a walk are one at a time. `None`
    /// when the job is no longer active. For the end of a walk; a claim sends the same statements as one
    /// message (see [`JobTurn::claim`]).
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

    /// The batch this worker runs next: a pending one no worker holds when there is one (one a stopped or
    /// killed worker left, or one whose attempt failed and is retried: it goes first, as its range was
    /// claimed first), else the next key range of the walk, claimed: up to `limit` rows (or keys of a
    /// dense key) after the last range claimed, its end found by the executor. Two round trips for a dense
    /// key (see `one_trip`): the transaction begun with the job's advisory lock (its own statement before
    /// the read: each statement of the message reads a snapshot taken when it starts, after the last
    /// claim committed), where the walk stands ([`JobTurn::locked_walk`]'s read) and a pending batch no
    /// worker holds, locked; then the range inserted with the COMMIT.
    pub(super) fn claim(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        dense: &mut Option<DenseKey>,
        limit: u32,
    ) -> Result<Claim, Error> {
        let context = format!("cannot claim a batch of background job {}", self.job.id);
        let failed = |e: postgres::Error| Error::database(context.clone())(e);
        let table = self.table();
        let (jobs, batches, id) = (table.jobs(), table.job_batches(), self.job.id);
        let sql = format!(
            "BEGIN; SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext({}), {id}::int8::int4); \
             SELECT j.state, j.walk, pg_catalog.array_to_json(COALESCE((SELECT b.last_key FROM {batches} b \
             WHERE b.job = j.id AND b.walk = j.walk ORDER BY b.id DESC LIMIT 1), j.walk_from))::text \
             FROM {jobs} j WHERE j.id = {id}; \
             SELECT id FROM {batches} WHERE job = {id} AND state = 'pending' AND attempts < {MAX_BATCH_ATTEMPTS} \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            migrate_dsl::literal(&jobs)
        );
        let (mut open, sent) = one_trip::begin(client, &sql).map_err(|f| failed(f.error))?;
        let rows = sent.rows();
        // Statements 0 to 3: BEGIN, the lock, the walk, the pending batch.
        let Some(walk) = rows
            .iter()
            .find(|(at, row)| *at == 2 && row.get(0) == Some("active"))
            .map(|(_, row)| row)
        else {
            return Ok(Claim::NotActive);
        };
        let number: i32 = walk
            .get(1)
            .and_then(|w| w.parse().ok())
            .ok_or(Error::Internal("a background job without its walk"))?;
        let cursor = one_trip::key_of_json(walk.get(2));
        let abandoned = rows
            .iter()
            .find(|(at, _)| *at == 3)
            .and_then(|(_, row)| row.get(0))
            .and_then(|b| b.parse::<i64>().ok());
        if let Some(batch) = abandoned {
            open.commit_with("").map_err(|f| failed(f.error))?;
            return Ok(Claim::Claimed(batch));
        }
        // The job's ranges are rows whether they match the condition or not (the batch's UPDATE applies
        // it): the planner then walks the key's index.
        let Some(end) = exec
            .range_end(open.client(), dense, &cursor, (limit, true))
            .map_err(&failed)?
        else {
            return Ok(Claim::Exhausted);
        };
        let inserted = open
            .commit_with(&format!(
                "INSERT INTO {batches} (job, walk, after_key, last_key, worker) VALUES ({id}, {number}, {}, {}, {}) \
                 RETURNING id",
                one_trip::text_array(cursor.as_deref()),
                one_trip::text_array(Some(&end.key)),
                migrate_dsl::literal(self.worker),
            ))
            .map_err(|f| failed(f.error))?;
        let batch: i64 = inserted
            .rows()
            .first()
            .and_then(|(_, row)| row.get(0))
            .and_then(|b| b.parse().ok())
            .ok_or(Error::Internal("a claimed batch without its id"))?;
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
