//! The own-object checks of statements whose `IF [NOT] EXISTS` the engine added (so a migration can run
//! again after failing part-way, never to skip an object that is not its own), and restoring what a
//! `CREATE OR REPLACE` of the `up` replaced.

use postgres::GenericClient;

use migrate_dsl::{Object, Restore, Safeguard, Statement};

use crate::error::{Error, NotOwnedError, Outcome, RestoreError, StatementError};
use crate::events::Event;
use crate::plan::Step;
use crate::safeguard;

use super::Migrator;

impl<'a> Migrator<'a> {
    /// The own-object checks of a transactional migration, once, in its first transaction and before any of
    /// its statements (a `--fake` run sends none, so it checks nothing).
    pub(super) fn check_first_segment(
        &self,
        tx: &mut impl GenericClient,
        step: &Step<'a>,
        first: bool,
    ) -> Result<(), Error> {
        if first && !self.fake {
            self.check_safeguards(tx, step, &step.units())
        } else {
            Ok(())
        }
    }

    /// Before the first statement of a migration: every safeguarded statement's object must be this
    /// migration's own, so a refusal comes before anything of it runs. Objects an earlier statement of the
    /// same migration touches are checked just before their own statement instead (by [`Self::guard`]).
    pub(super) fn check_safeguards(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        units: &[Statement],
    ) -> Result<(), Error> {
        for (index, unit) in units.iter().enumerate() {
            let Some(safeguard) = &unit.safeguard else {
                continue;
            };
            let touched_before = match safeguard.object() {
                // Objects looked up by name: an earlier statement naming it may change it.
                Some(object @ (Object::Index { .. } | Object::Constraint { .. })) => {
                    let bare = match object {
                        Object::Index { name, .. } => name.name().as_str().to_lowercase(),
                        Object::Constraint { name, .. } => name.as_str().to_lowercase(),
                        _ => String::new(),
                    };
                    units[..index].iter().any(|u| {
                        u.safeguard
                            .as_ref()
                            .and_then(Safeguard::object)
                            .is_some_and(|o| o.same_as(object))
                            || u.sql.to_lowercase().contains(&bare)
                    })
                }
                // A column's NOT NULL: checked at the start, whatever the recipe's own statements before it.
                Some(_) if matches!(safeguard, Safeguard::SetsNotNull(_)) => false,
                Some(_) => continue,
                // A grant: what is held can only grow from earlier statements, and is checked again.
                None => false,
            };
            if !touched_before {
                self.refuse_unless_own(conn, step, unit, safeguard, Outcome::RolledBack)?;
            }
        }
        Ok(())
    }

    /// Just before a safeguarded statement: the check again (an earlier statement may have changed the
    /// object), then the record it needs.
    pub(super) fn guard(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        safeguard: &Safeguard,
        outcome: Outcome,
    ) -> Result<(), Error> {
        self.refuse_unless_own(conn, step, unit, safeguard, outcome)?;
        safeguard::record(conn, self.at(step, unit.position), safeguard, &unit.sql)
    }

    pub(super) fn refuse_unless_own(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        safeguard: &Safeguard,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let at = self.at(step, unit.position);
        let Some(refusal) = safeguard::check(conn, at, safeguard, &unit.sql)? else {
            return Ok(());
        };
        let owner = match (refusal.present, safeguard.object()) {
            (true, Some(object)) => Some(safeguard::owner(conn, at, self.migrations, object)),
            _ => None,
        };
        Err(Error::NotOwned(Box::new(NotOwnedError {
            name: step.migration.name().to_owned(),
            path: step.migration.display_path(),
            direction: step.direction,
            position: unit.position,
            op: unit.op,
            line: step.migration.line_of(unit.recorded_at),
            sql: unit.sql.clone(),
            safeguard: safeguard.clone(),
            problem: refusal.problem,
            owner,
            outcome,
        })))
    }

    /// Puts back what a `CREATE OR REPLACE` of the `up` replaced, as recorded then, or drops the object.
    pub(super) fn restore(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        restore: &Restore,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let m = step.migration;
        let statements =
            match safeguard::restore_statements(conn, self.at(step, unit.position), restore)? {
                Ok(statements) => statements,
                Err(message) => {
                    return Err(Error::Restore(Box::new(RestoreError {
                        name: m.name().to_owned(),
                        path: m.display_path(),
                        direction: step.direction,
                        position: unit.position,
                        message,
                        outcome,
                    })))
                }
            };
        for sql in statements {
            self.notices.take();
            let result = self.run_unit(conn, step, &sql, events);
            self.report_notices(step, unit, events);
            if let Err(source) = result {
                return Err(Error::Statement(Box::new(StatementError {
                    name: m.name().to_owned(),
                    path: m.display_path(),
                    direction: step.direction,
                    position: unit.position,
                    op: unit.op,
                    line: m.line_of(unit.recorded_at),
                    sql,
                    source,
                    outcome,
                })));
            }
        }
        Ok(())
    }

    fn at<'s>(&'s self, step: &'s Step<'a>, position: usize) -> safeguard::At<'s> {
        safeguard::At {
            table: &self.table,
            migration: step.migration,
            direction: step.direction,
            position,
        }
    }
}
