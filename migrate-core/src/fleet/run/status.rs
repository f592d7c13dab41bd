//! Where every target of a fleet stands: read without a lock, the schema targets of one database together.

use std::collections::HashMap;

use postgres::types::Type;

use super::*;
use crate::fleet::Location;
use crate::history::{AppliedMigration, History};
use crate::status::StatusReport;

/// A status with nothing read yet: the target's name and no error.
fn blank(name: &str) -> TargetStatus {
    TargetStatus {
        name: name.to_owned(),
        version: None,
        applied: 0,
        pending: 0,
        contracts_pending: 0,
        phase: None,
        problems: Vec::new(),
        slowest: None,
        unreachable: false,
        error: None,
        duration: std::time::Duration::ZERO,
    }
}

impl Fleet<'_, '_> {
    /// Where every target stands, read without a lock and changing nothing (a missing schema or
    /// migrations table is read as nothing applied). In the order given. The schema targets of one database
    /// are read with two queries for all of them (their schemas' tables, then every migrations table at
    /// once); a target with more to read (a failure mark, a migration in progress, repeatable migrations,
    /// rows newer than every file) is then read on its own, as every target of a database alone is.
    pub fn status(
        &self,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> Vec<TargetStatus> {
        let pool = Pool::new(self.options.parallel);
        // Schema targets of one database are read together, one round trip for all of them; what that read
        // leaves (targets with more to read, other targets) is read one target at a time.
        let batched = self.status_batched(&pool, stop);
        let work = |i: usize| {
            let status = match &batched[i] {
                Some(status) => status.clone(),
                None => self.status_one(&pool, i),
            };
            events(FleetEvent::Read {
                index: i,
                target: &self.targets[i],
                status: &status,
            });
            Attempt::Finished {
                result: status,
                failed: false,
            }
        };
        let outcome = schedule::run(&self.read_plan(), stop, &|_| {}, &work);
        outcome
            .slots
            .into_iter()
            .zip(&self.names)
            .map(|(slot, name)| match slot {
                Slot::Ran(status) => status,
                slot => TargetStatus {
                    error: Some(TargetError::message(match slot {
                        Slot::Panicked(message) => format!("panicked: {message}"),
                        _ => "not read: the run was stopped first".to_owned(),
                    })),
                    ..blank(name)
                },
            })
            .collect()
    }

    /// The statuses the batched reads give, by target (`None`: to be read on its own).
    fn status_batched(&self, pool: &Pool, stop: &Stop) -> Vec<Option<TargetStatus>> {
        let mut out = vec![None; self.targets.len()];
        // Repeatable migrations have a table of their own to read per target.
        if self.migrator.has_repeatables() {
            return out;
        }
        let mut databases: HashMap<Location, Vec<usize>> = HashMap::new();
        for (i, t) in self.targets.iter().enumerate() {
            if t.schema.is_none() {
                continue;
            }
            if let Ok(location) = self.connector.locate(t) {
                databases.entry(location).or_default().push(i);
            }
        }
        let groups: Vec<Vec<usize>> = databases.into_values().filter(|g| g.len() > 1).collect();
        // The group reads go through the schedule as targets do: within the parallel limit and each server's
        // budget, nothing new once a stop is requested.
        let servers: Vec<usize> = groups.iter().map(|g| self.servers[g[0]]).collect();
        let names: Vec<String> = groups.iter().map(|g| self.names[g[0]].clone()).collect();
        let plan = Plan {
            servers: &servers,
            names: &names,
            ..self.read_plan()
        };
        let work = |g: usize| {
            let group = &groups[g];
            let started = Instant::now();
            // A database that cannot be read this way is read target by target, which says why.
            let read = self.read_group(pool, group).map(|read| {
                let each = started.elapsed() / u32::try_from(group.len()).unwrap_or(1).max(1);
                read.into_iter()
                    .map(|(i, mut status)| {
                        status.duration = each;
                        (i, status)
                    })
                    .collect::<Vec<_>>()
            });
            Attempt::Finished {
                result: read,
                failed: false,
            }
        };
        for slot in schedule::run(&plan, stop, &|_| {}, &work).slots {
            if let Slot::Ran(Some(read)) = slot {
                for (i, status) in read {
                    out[i] = Some(status);
                }
            }
        }
        out
    }

    /// The statuses of `group` (schema targets of one database) that two queries tell whole: which of their
    /// tables exist, then every migrations table's rows at once. Targets with more to read are left out.
    fn read_group(&self, pool: &Pool, group: &[usize]) -> Option<Vec<(usize, TargetStatus)>> {
        let first = &self.targets[group[0]];
        let mut session = pool.checkout(self.connector, first, "").ok()?;
        let table = self.migrator.migrations_table().name().to_owned();
        let schemas: Vec<&str> = group
            .iter()
            .filter_map(|&i| self.targets[i].schema.as_deref())
            .collect();
        // Which schemas have the migrations table, and whether each has a failure mark or a migration in
        // progress (their tables stay once made: their rows count).
        let rows = session
            .client
            .query_typed(
                "SELECT s.schema, c.relname = $2, c.relname = $2 || '_failed', c.relname = $2 || '_journal' \
                 FROM pg_catalog.unnest($1::text[]) AS s(schema) \
                 JOIN pg_catalog.pg_namespace n ON n.nspname = s.schema \
                 JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
                 AND c.relname IN ($2, $2 || '_failed', $2 || '_journal') AND c.relkind IN ('r', 'p')",
                &[(&schemas, Type::TEXT_ARRAY), (&table, Type::TEXT)],
            )
            .ok()?;
        #[derive(Default, Clone, Copy)]
        struct Tables {
            migrations: bool,
            failed: bool,
            journal: bool,
        }
        let mut tables: HashMap<String, Tables> = HashMap::new();
        for r in &rows {
            let entry = tables.entry(r.get(0)).or_default();
            entry.migrations |= r.get::<_, bool>(1);
            entry.failed |= r.get::<_, bool>(2);
            entry.journal |= r.get::<_, bool>(3);
        }
        // One select per schema that has the table, with the count of its marks and journal rows: a schema
        // whose table has no row still gives one (its counts), with a NULL id.
        let quoted = |schema: &str, suffix: &str| {
            format!("{}.{}", migrate_dsl::ident(schema), migrate_dsl::ident(&format!("{table}{suffix}")))
        };
        let mut selects = Vec::new();
        for (k, &i) in group.iter().enumerate() {
            let Some(schema) = self.targets[i].schema.as_deref() else { continue };
            let Some(t) = tables.get(schema).filter(|t| t.migrations) else { continue };
            let count = |exists: bool, suffix: &str| {
                if exists {
                    format!("(SELECT pg_catalog.count(*) FROM {})", quoted(schema, suffix))
                } else {
                    "0::bigint".to_owned()
                }
            };
            selects.push(format!(
                "SELECT {k}, m.id::bigint, m.name::text, m.run_on::timestamptz, m.checksum::text, \
                 m.execution_ms::bigint, {} + {} FROM (SELECT 1) AS one LEFT JOIN {} AS m ON true",
                count(t.failed, "_failed"),
                count(t.journal, "_journal"),
                quoted(schema, ""),
            ));
        }
        let mut applied: HashMap<usize, (Vec<AppliedMigration>, i64)> = HashMap::new();
        if !selects.is_empty() {
            let messages = session
                .client
                .query(&format!("{} ORDER BY 1, 2", selects.join(" UNION ALL ")), &[])
                .ok()?;
            for r in &messages {
                let k: i32 = r.try_get(0).ok()?;
                let entry = applied.entry(usize::try_from(k).unwrap_or(usize::MAX)).or_default();
                entry.1 = r.try_get::<_, Option<i64>>(6).ok().flatten().unwrap_or(0);
                let (Ok(Some(id)), Ok(Some(name)), Ok(Some(run_on))) = (
                    r.try_get::<_, Option<i64>>(1),
                    r.try_get::<_, Option<String>>(2),
                    r.try_get::<_, Option<chrono::DateTime<chrono::Utc>>>(3),
                ) else {
                    continue;
                };
                entry.0.push(AppliedMigration {
                    id,
                    name,
                    run_on,
                    checksum: r.try_get(4).ok().flatten(),
                    execution_ms: r.try_get(5).ok().flatten(),
                });
            }
        }
        pool.checkin(first, session);
        let migrations = self.migrator.migrations();
        let mut out = Vec::new();
        for (k, &i) in group.iter().enumerate() {
            let t = &self.targets[i];
            let (rows, marks) = applied.remove(&k).unwrap_or_default();
            if marks > 0 {
                continue;
            }
            let history = History::of_rows(migrations, &rows);
            if !crate::history::ahead_names(migrations, &history).is_empty() {
                continue;
            }
            let table = t.migrations_table(self.migrator.migrations_table()).ok()?;
            let exists = t
                .schema
                .as_deref()
                .and_then(|schema| tables.get(schema))
                .is_some_and(|t| t.migrations);
            let status = StatusReport::new(table.to_string(), exists, migrations, history, Vec::new())
                .with_contracts()
                .into_status();
            let mut target = blank(&t.name);
            summarize(&mut target, &status);
            out.push((i, target));
        }
        Some(out)
    }

    fn status_one(&self, pool: &Pool, i: usize) -> TargetStatus {
        let started = Instant::now();
        let t = &self.targets[i];
        let mut out = blank(&t.name);
        let read = match t.migrations_table(self.migrator.migrations_table()) {
            Err(e) => Err(TargetError::of(&e)),
            Ok(table) => match pool.checkout(self.connector, t, "") {
                Err(e) => {
                    out.unreachable = e.unreachable;
                    Err(TargetError::refused(e.message, e.sqlstate))
                }
                Ok(mut session) => {
                    let status = self
                        .migrator
                        .clone()
                        .table(table)
                        .status(&mut session.client)
                        .map_err(|e| TargetError::of(&e));
                    if status.is_ok() {
                        pool.checkin(t, session);
                    }
                    status
                }
            },
        };
        match read {
            Err(e) => out.error = Some(e),
            Ok(status) => summarize(&mut out, &status),
        }
        out.duration = started.elapsed();
        out
    }
}


/// `out` filled in from the target's `status`.
fn summarize(out: &mut TargetStatus, status: &crate::status::Status) {
        let s = status.summary;
        out.applied =
            s.applied + s.changed + s.renamed + s.unverified + s.missing + s.adopted;
        out.pending = s.pending + s.out_of_order;
        out.contracts_pending = s.contracts_pending;
        out.phase = Some(if out.pending == 0 {
            Phase::Current
        } else if status.expand_only().0.is_empty() && s.contracts_pending > 0 {
            Phase::Expanded
        } else {
            Phase::Behind
        });
        for e in &status.migrations {
            if let Some(applied) = &e.applied {
                if out.version.as_deref().is_none_or(|v| v < e.name.as_str()) {
                    out.version = Some(e.name.clone());
                }
                if let Some(ms) = applied.execution_ms {
                    if out
                        .slowest
                        .as_ref()
                        .is_none_or(|(_, slowest)| ms > *slowest)
                    {
                        out.slowest = Some((e.name.clone(), ms));
                    }
                }
            }
            let problem = match e.state {
                State::Changed => format!("CHANGED {}", e.name),
                State::Missing => format!("MISSING FILE {}", e.name),
                State::Ahead if e.is_blocking_ahead() => format!(
                    "AHEAD {} ({}, applied by a newer release)",
                    e.name,
                    e.phase.as_deref().unwrap_or("unknown")
                ),
                State::OutOfOrder => format!("OUT OF ORDER {}", e.name),
                State::Renamed => format!(
                    "RENAMED {} -> {}",
                    e.renamed_from.as_deref().unwrap_or("?"),
                    e.name
                ),
                State::Failed => format!(
                    "FAILED {} (part-way, {} statement(s) committed)",
                    e.name,
                    e.failure.as_ref().map_or(0, |f| f.committed)
                ),
                _ => continue,
            };
            out.problems.push(problem);
        }
}
