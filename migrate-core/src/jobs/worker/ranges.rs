//! The key ranges of a job's walk: claimed one at a time under the job's advisory lock, and the end of a
//! walk (the job finished, walked again for rows left, or failed naming them).

use postgres::types::Type;
use postgres::Client;

use super::{fail, JobTurn, CATCH_UP_WALKS};
use crate::backfill::{key_param, Key};
use crate::error::Error;

impl JobTurn<'_, '_> {
    /// Where the job's current walk stands (its number, and the last key claimed or where it starts), under
    /// the job's advisory lock for the rest of `tx`: claims and the end of a walk are one at a time. `None`
    /// when the job is no longer active.
    fn locked_walk(
        &self,
        tx: &mut postgres::Transaction<'_>,
    ) -> Result<Option<Walk>, postgres::Error> {
        let table = self.table();
        tx.execute(
            "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1), $2::int8::int4)",
            &[&table.jobs(), &self.job.id],
        )?;
        let Some(row) = tx.query_opt(
            &format!("SELECT state, walk, walk_from FROM {} WHERE id = $1", table.jobs()),
            &[&self.job.id],
        )?
        else {
            return Ok(None);
        };
        if row.get::<_, &str>(0) != "active" {
            return Ok(None);
        }
        let walk: i32 = row.get(1);
        let from: Option<Vec<String>> = row.get(2);
        let last = tx.query_opt(
            &format!(
                "SELECT last_key FROM {} WHERE job = $1 AND walk = $2 ORDER BY id DESC LIMIT 1",
                table.job_batches()
            ),
            &[&self.job.id, &walk],
        )?;
        Ok(Some(Walk {
            number: walk,
            cursor: last.map(|r| r.get(0)).or(from),
        }))
    }

    /// Claims the next key range of the walk: up to `limit` rows after the last range claimed.
    pub(super) fn claim(&self, client: &mut Client, keys: &[Key], limit: u32) -> Result<Claim, Error> {
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
        let Some(end) = range_end(&mut tx, self.relation, keys, &cursor, limit).map_err(&failed)?
        else {
            return Ok(Claim::Exhausted);
        };
        let batch: i64 = tx
            .query_one(
                &format!(
                    "INSERT INTO {} (job, walk, after_key, last_key, worker) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id",
                    self.table().job_batches()
                ),
                &[&self.job.id, &walk, &cursor, &end, &self.worker],
            )
            .map_err(&failed)?
            .get(0);
        tx.commit().map_err(&failed)?;
        Ok(Claim::Claimed(batch))
    }

    /// At the end of a walk: once no batch is pending, the job finishes when no row still matches its
    /// condition; otherwise the table is walked again from the first row left, at most
    /// [`CATCH_UP_WALKS`] times.
    pub(super) fn finish(&self, client: &mut Client, keys: &[Key]) -> Result<Finish, Error> {
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
        if range_end(&mut tx, self.relation, keys, &cursor, 1).map_err(&failed)?.is_some() {
            return Ok(Finish::Again);
        }
        let left = match self.spec.completion_check() {
            None => None,
            Some(condition) => {
                let first = match keys {
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

/// The quoted key columns, comma-separated.
pub(super) fn key_columns(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| migrate_dsl::ident(&k.column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key of the `limit`-th row after `cursor` (whether it matches the condition or not: the planner then
/// walks the key's index), or of the last row when fewer are left; `None` when none is.
fn range_end(
    tx: &mut postgres::Transaction<'_>,
    target: &str,
    keys: &[Key],
    cursor: &Option<Vec<String>>,
    limit: u32,
) -> Result<Option<Vec<String>>, postgres::Error> {
    let list = key_columns(keys);
    let as_text: Vec<String> = keys
        .iter()
        .map(|k| format!("{}::text", migrate_dsl::ident(&k.column)))
        .collect();
    let desc: Vec<String> = keys
        .iter()
        .map(|k| format!("{} DESC", migrate_dsl::ident(&k.column)))
        .collect();
    let after = format!("($1::text[] IS NULL OR ({list}) > ({}))", key_param(keys, 1));
    let sql = format!(
        "SELECT COALESCE(\
         (SELECT ARRAY[{key}] FROM {target} WHERE {after} ORDER BY {list} OFFSET {skip} LIMIT 1), \
         (SELECT ARRAY[{key}] FROM {target} WHERE {after} ORDER BY {desc} LIMIT 1))",
        key = as_text.join(", "),
        desc = desc.join(", "),
        skip = limit.saturating_sub(1),
    );
    let rows = tx.query_typed(&sql, &[(cursor, Type::TEXT_ARRAY)])?;
    Ok(rows.first().and_then(|row| row.get::<_, Option<Vec<String>>>(0)))
}
