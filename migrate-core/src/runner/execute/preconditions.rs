//! A migration's own preconditions ([`migrate_dsl::MigrationBuilder::precondition`]), checked before its
//! first statement: a precondition that does not hold refuses the migration with nothing of it run.

use postgres::GenericClient;

use migrate_dsl::{Action, Statement};

use crate::error::{Error, PreconditionError};
use crate::plan::Step;
use crate::precondition::{evaluate, Verdict};

use super::Executor;

impl<'a> Executor<'_, 'a> {
    /// Before the first statement of `step`, in its first transaction (outside a transaction, on its own):
    /// each of its preconditions, wherever the migration recorded it, in order. Only when `units` is the
    /// whole migration: a run that continues a migration stopped part-way passed them when it started. A
    /// traced run (`migrate trace`, a review's scratch databases) skips them: its rows (none, or generated)
    /// say nothing of the data a precondition is about; a review runs them on production instead.
    pub(super) fn check_preconditions(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        units: &[Statement],
    ) -> Result<(), Error> {
        let has_any = step
            .statements()
            .iter()
            .any(|s| matches!(s.action, Some(Action::Precondition(_))));
        // Most migrations have none: their units are not counted again (outside a transaction, that splits
        // their SQL).
        if !has_any || self.settings.observer.is_some() || step.fake || units.len() != step.units().len() {
            return Ok(());
        }
        let m = step.migration;
        for unit in units {
            let Some(Action::Precondition(precondition)) = &unit.action else {
                continue;
            };
            let verdict = evaluate(conn, precondition.sql());
            if matches!(verdict, Ok(Verdict::Holds)) {
                continue;
            }
            return Err(Error::Precondition(Box::new(PreconditionError {
                name: m.name().to_owned(),
                path: m.display_path(),
                direction: step.direction,
                position: unit.position,
                line: m.line_of(unit.recorded_at),
                precondition: precondition.name().to_owned(),
                sql: precondition.sql().to_owned(),
                verdict,
            })));
        }
        Ok(())
    }
}
