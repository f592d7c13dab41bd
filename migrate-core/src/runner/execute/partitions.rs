//! Indexes and foreign keys built partition by partition: each partition's statements sent on their own
//! (with the lock-timeout retries), the whole recorded in the journal once the parent's index or constraint
//! holds, so that a run stopped part-way goes on from the partitions left.

use std::time::Instant;

use postgres::Client;

use migrate_dsl::{Action, Statement};

use crate::error::{Error, Outcome};
use crate::events::Event;
use crate::history::journal;
use crate::plan::Step;

use super::stepwise::{entry, statement_error};
use super::Executor;

/// Rounds over a table's partitions before an index built per partition must be valid.
const PARTITION_ROUNDS: usize = 3;

impl<'a> Executor<'_, 'a> {
    /// The partitions' indexes of an index built partition by partition: for each partition whose index is
    /// not attached yet, its build (`CONCURRENTLY`, retried after lock timeouts, an invalid leftover of a
    /// failed build dropped first) and its attach, each sent on its own. Partitions created meanwhile get
    /// the index from PostgreSQL; ones attached by another route are looked at again, at most
    /// [`PARTITION_ROUNDS`] times, until the parent's index is valid.
    pub(super) fn commit_partitions(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: &Statement,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let spec = match &unit.action {
            Some(Action::IndexPartitions(spec)) => spec,
            Some(Action::ConstrainPartitions(fk)) => {
                return self.commit_partition_constraints(client, step, unit, fk, outcome, events)
            }
            _ => return Err(Error::Internal("a partitions group without its index")),
        };
        let name = step.migration.name();
        let entry = entry(unit);
        journal::set_running(client, &self.settings.table, name, &entry)?;
        let started = Instant::now();
        let failed =
            |sql: String, source: postgres::Error| statement_error(step, unit, sql, source, outcome);
        for _ in 0..PARTITION_ROUNDS {
            let pending = crate::partition_index::pending(client, spec)
                .map_err(|e| failed("-- the partitions of the table, read from the catalog".to_owned(), e))?
                .map_err(|why| super::guard::restore_failed(step, unit, why, outcome))?;
            let total = pending.len();
            for (done, partition) in pending.iter().enumerate() {
                let built = Instant::now();
                for sql in partition.statements() {
                    self.run_unit(client, step, unit, sql, events)
                        .map_err(|e| statement_error(step, unit, sql.clone(), e, outcome))?;
                }
                events(Event::PartitionIndexed {
                    name,
                    index: &partition.index,
                    partition: &partition.partition,
                    done: done + 1,
                    total,
                    elapsed: built.elapsed(),
                });
            }
            if crate::partition_index::is_valid(client, spec)
                .map_err(|e| failed("-- whether the index is valid".to_owned(), e))?
            {
                self.statement_ran(step, unit, started, events);
                return journal::advance(client, &self.settings.table, name, &[entry]);
            }
        }
        Err(super::guard::restore_failed(
            step,
            unit,
            format!(
                "the index {} is still not valid after {PARTITION_ROUNDS} rounds over the partitions: \
                 partitions keep changing; run the migration again",
                spec.index.quoted()
            ),
            outcome,
        ))
    }

    /// A foreign key per partition: on each leaf whose constraint is not validated yet, `ADD .. NOT VALID`
    /// (when missing) and `VALIDATE`, each sent on its own with the lock-timeout retries; the table's own
    /// `ADD CONSTRAINT`, the next unit, then attaches them.
    fn commit_partition_constraints(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: &Statement,
        fk: &migrate_dsl::PartitionConstraint,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let name = step.migration.name();
        let entry = entry(unit);
        journal::set_running(client, &self.settings.table, name, &entry)?;
        let started = Instant::now();
        let pending = crate::partition_index::pending_constraints(client, fk).map_err(|e| {
            statement_error(
                step,
                unit,
                "-- the partitions of the table, read from the catalog".to_owned(),
                e,
                outcome,
            )
        })?;
        let total = pending.len();
        let constraint = migrate_dsl::ident(fk.name.as_str());
        for (done, (partition, statements)) in pending.iter().enumerate() {
            let built = Instant::now();
            for sql in statements {
                self.run_unit(client, step, unit, sql, events)
                    .map_err(|e| statement_error(step, unit, sql.clone(), e, outcome))?;
            }
            events(Event::PartitionIndexed {
                name,
                index: &constraint,
                partition,
                done: done + 1,
                total,
                elapsed: built.elapsed(),
            });
        }
        self.statement_ran(step, unit, started, events);
        journal::advance(client, &self.settings.table, name, &[entry])
    }
}
