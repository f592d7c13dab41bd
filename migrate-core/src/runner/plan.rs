//! Stage 3 of a run: the chosen steps checked before anything changes. Steps that cannot share the run's
//! one transaction are refused; the server must accept writes and the role hold the rights their
//! bookkeeping needs (`access`), and what that check read of the session is what puts it back before each
//! step. For review (`sql`, `--dry-run`), the steps show what they will meet: their backfills' key columns
//! and, for a `down`, what it restores.

use postgres::Client;

use crate::access::{self, session_restore_sql, Needs};
use crate::error::Error;
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::settings::Settings;

use super::select::{self, Selection};

/// Checks a run's steps before the first one runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan<'r, 'a> {
    pub(super) settings: &'r Settings<'a>,
}

impl<'a> Plan<'_, 'a> {
    /// Refuses `steps` when the run is one transaction and one of them cannot run in it.
    pub(super) fn check_single_transaction(&self, steps: &[Step<'a>]) -> Result<(), Error> {
        select::check_single_transaction(steps, self.settings.single_transaction)
    }

    /// Refuses a read-only server or a role without a right that `needs` needs; what it read of the
    /// session, when it read anything, is where each step starts from (see [`restore_from`]).
    pub(super) fn check_access(
        &self,
        client: &mut Client,
        needs: &Needs,
    ) -> Result<Option<access::Checked>, Error> {
        access::check(client, &self.settings.table, needs)
    }

    /// What the steps of `selected` need, each rendered and dropped in turn: one step is held at a time,
    /// so memory does not grow with the number of pending migrations.
    pub(super) fn needs_each(
        &self,
        selection: &Selection<'a>,
        selected: &[&'a Migration],
        direction: Direction,
    ) -> Result<Needs, Error> {
        let mut needs = Needs::default();
        for m in selected {
            needs.add(&selection.step(m, direction)?);
        }
        Ok(needs)
    }

    /// `steps` for review: backfills show the primary key columns of tables that exist, and a `down` what
    /// it restores.
    pub(super) fn show(&self, client: &mut Client, steps: &mut [Step<'a>]) -> Result<(), Error> {
        for step in steps.iter_mut() {
            // A key's widening as it would run on the database as it is now; where the catalog cannot say
            // yet (a migration before it creates the table) or refuses, the plan without it, which says so.
            if step.needs_catalog() {
                match step.resolve_catalog(client) {
                    Ok(resolved) => *step = resolved,
                    Err(Error::Invalid { error, .. }) => step.note(&format!(
                        "-- refused on this database as it is now (it may not be when earlier migrations ran): {error}"
                    )),
                    Err(e) => return Err(e),
                }
            }
        }
        for step in steps {
            step.show_backfill_keys(client)?;
            if step.direction == Direction::Down {
                step.show_restores(client, &self.settings.table)?;
            }
        }
        Ok(())
    }
}

/// The statements that put the session back before each step (see `Executor::execute_each`), from what the
/// access check read, when it read anything.
pub(super) fn restore_from(checked: Option<access::Checked>) -> Option<String> {
    checked.map(|c| session_restore_sql(&c.search_path, &c.set_role))
}
