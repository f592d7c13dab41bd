//! The own-object checks of statements whose `IF [NOT] EXISTS` the engine added (so a migration can run
//! again after failing part-way, never to skip an object that is not its own), and restoring what a
//! `CREATE OR REPLACE` of the `up` replaced.

use postgres::GenericClient;

use migrate_dsl::{Object, Restore, Safeguard, Statement};

use crate::error::{Error, NotOwnedError, Outcome, RestoreError, StatementError};
use crate::events::Event;
use crate::plan::Step;
use crate::safeguard::{self, Refusal};

use super::Executor;

impl<'a> Executor<'_, 'a> {
    /// The own-object checks of a transactional migration, once, in the first transaction a run sends and
    /// before any of its statements (`units`, those still to run; a step that sends none checks
    /// nothing).
    pub(super) fn check_first_segment(
        &self,
        tx: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        first: bool,
        units: &[Statement],
    ) -> Result<(), Error> {
        if first && !units.is_empty() {
            self.check_safeguards(tx, step, units)
        } else {
            Ok(())
        }
    }

    /// Before the first statement of a migration: its preconditions must hold, and every safeguarded
    /// statement's object must be this migration's own, so a refusal comes before anything of it runs.
    /// Objects an earlier statement of the same migration touches are checked just before their own
    /// statement instead (by [`Self::guard`]).
    pub(super) fn check_safeguards(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        units: &[Statement],
    ) -> Result<(), Error> {
        self.check_preconditions(conn, step, units)?;
        for (index, unit) in units.iter().enumerate() {
            let Some(safeguard) = &unit.safeguard else {
                continue;
            };
            if checked_first(units, index) {
                self.refuse_unless_own(conn, step, unit, safeguard, Outcome::RolledBack)?;
            }
        }
        Ok(())
    }

    /// Just before a safeguarded statement: the check again (an earlier statement may have changed the
    /// object), then the record it needs.
    pub(super) fn guard(
        &self,
        conn: &mut (impl GenericClient + Send),
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
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        unit: &Statement,
        safeguard: &Safeguard,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let at = self.at(step, unit.position);
        let Some(refusal) = safeguard::check(conn, at, safeguard, &unit.sql)? else {
            return Ok(());
        };
        let owner = in_the_way(&refusal, safeguard)
            .map(|object| safeguard::owner(conn, at, self.settings.migrations, object));
        Err(not_owned(
            step,
            unit,
            safeguard,
            refusal.problem,
            owner,
            outcome,
        ))
    }

    /// Puts back what a `CREATE OR REPLACE` of the `up` replaced, as recorded then, or drops the object.
    pub(super) fn restore(
        &self,
        conn: &mut (impl GenericClient + Send),
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
                Err(message) => return Err(restore_failed(step, unit, message, outcome)),
            };
        for sql in statements {
            self.settings.notices.take();
            let result = self.run_unit(conn, step, unit, &sql, events);
            self.report_notices(step, unit, events);
            if let Err(failed) = result {
                return Err(failed.into_error(m.name(), |source| {
                    Error::Statement(Box::new(StatementError {
                        name: m.name().to_owned(),
                        path: m.display_path(),
                        direction: step.direction,
                        position: unit.position,
                        op: unit.op,
                        line: m.line_of(unit.recorded_at),
                        sql,
                        // What the engine built to restore an object, not SQL of the file.
                        sql_lines: Default::default(),
                        source,
                        outcome,
                        sent_after: 0,
                        left: None,
                    }))
                }));
            }
        }
        Ok(())
    }

    fn at<'s>(&'s self, step: &'s Step<'a>, position: usize) -> safeguard::At<'s> {
        safeguard::At {
            table: &self.settings.table,
            migration: step.migration,
            direction: step.direction,
            position,
        }
    }
}

/// Whether statement `index`'s safeguard is checked before the migration's first statement, so that a
/// refusal comes before anything of the migration ran, rather than only just before its own statement
/// ([`Executor::guard`] checks every one there again).
fn checked_first(units: &[Statement], index: usize) -> bool {
    let Some(safeguard) = &units[index].safeguard else {
        return false;
    };
    match safeguard.object() {
        // Objects looked up by name: an earlier statement naming it may change it (create the index that a
        // later statement drops, rename the constraint), so checking it before that statement ran would
        // refuse what the migration itself is about to do.
        Some(object @ (Object::Index { .. } | Object::Constraint { .. })) => {
            let bare = match object {
                Object::Index { name, .. } => name.name().as_str().to_lowercase(),
                Object::Constraint { name, .. } => name.as_str().to_lowercase(),
                _ => String::new(),
            };
            !units[..index].iter().any(|u| {
                u.safeguard
                    .as_ref()
                    .and_then(Safeguard::object)
                    .is_some_and(|o| o.same_as(object))
                    || u.sql.to_lowercase().contains(&bare)
            })
        }
        // A column's NOT NULL: checked at the start, whatever the recipe's own statements before it.
        Some(_) if matches!(safeguard, Safeguard::SetsNotNull(_)) => true,
        // What a `CREATE OR REPLACE` replaces (a function, a view, an operator family) is recorded just before
        // its statement; there is nothing to refuse.
        Some(_) => false,
        // A grant: what is held can only grow from earlier statements, and is checked again.
        None => true,
    }
}

/// The object whose owner a refusal names: only one in the way (it exists where it should not), since a
/// missing object has no owner to look up, and a grant is about several.
fn in_the_way<'s>(refusal: &Refusal, safeguard: &'s Safeguard) -> Option<&'s Object> {
    safeguard.object().filter(|_| refusal.present)
}

/// The refusal of a safeguarded statement: the migration, the operation and its line, the statement, what is
/// wrong with the object and, when it is in the way, the migration that most likely owns it.
fn not_owned(
    step: &Step<'_>,
    unit: &Statement,
    safeguard: &Safeguard,
    problem: String,
    owner: Option<String>,
    outcome: Outcome,
) -> Error {
    Error::NotOwned(Box::new(NotOwnedError {
        name: step.migration.name().to_owned(),
        path: step.migration.display_path(),
        direction: step.direction,
        position: unit.position,
        op: unit.op,
        line: step.migration.line_of(unit.recorded_at),
        sql: unit.sql.clone(),
        safeguard: safeguard.clone(),
        problem,
        owner,
        outcome,
    }))
}

/// An engine step of `unit` that cannot go on (`message` says why): a derived `down` that cannot put back
/// what the `up`'s `CREATE OR REPLACE` replaced, an index per partition that cannot be built.
pub(super) fn restore_failed(
    step: &Step<'_>,
    unit: &Statement,
    message: String,
    outcome: Outcome,
) -> Error {
    Error::Restore(Box::new(RestoreError {
        name: step.migration.name().to_owned(),
        path: step.migration.display_path(),
        direction: step.direction,
        position: unit.position,
        op: unit.op,
        message,
        outcome,
    }))
}

#[cfg(test)]
mod tests {
    use migrate_dsl::prelude::*;
    use migrate_dsl::Action;

    use super::*;
    use crate::runner::test_support::statements;
    use crate::migration::{Definition, Direction, Migration};

    /// For each statement with a safeguard: its operation, and whether it is checked before the first
    /// statement.
    fn checked_first_of(units: &[Statement]) -> Vec<(&'static str, bool)> {
        (0..units.len())
            .filter(|&i| units[i].safeguard.is_some())
            .map(|i| (units[i].op, checked_first(units, i)))
            .collect()
    }

    #[test]
    fn an_index_no_earlier_statement_names_is_checked_first() {
        let units = statements(|pgm| {
            pgm.sql("CREATE INDEX t_w_index ON t (w)");
            pgm.create_index("t", ["v"]).concurrently();
        });
        assert_eq!(checked_first_of(&units), [("create_index", true)]);
        // A statement without a safeguard has nothing to check.
        assert!(!checked_first(&units, 0));
    }

    #[test]
    fn an_index_an_earlier_statement_touches_is_checked_only_before_its_own() {
        // The drop of the index the migration builds itself: it does not exist before the migration runs.
        let units = statements(|pgm| {
            pgm.create_index("t", ["v"]).concurrently();
            pgm.drop_index("t", ["v"]).concurrently();
        });
        assert_eq!(
            checked_first_of(&units),
            [("create_index", true), ("drop_index", false)]
        );
        // Raw SQL naming it, whatever the case: a rename, say.
        let units = statements(|pgm| {
            pgm.sql("ALTER INDEX T_V_OLD RENAME TO T_V_INDEX");
            pgm.create_index("t", ["v"]).concurrently();
        });
        assert_eq!(checked_first_of(&units), [("create_index", false)]);
    }

    #[test]
    fn a_leftover_constraint_defers_to_earlier_statements_a_not_null_does_not() {
        let units = statements(|pgm| {
            pgm.set_not_null("t", "v");
        });
        assert_eq!(
            checked_first_of(&units),
            [("set_not_null", true), ("set_not_null", true)]
        );
        let units = statements(|pgm| {
            pgm.sql("ALTER TABLE t ADD CONSTRAINT t_v_not_null CHECK (v IS NOT NULL) NOT VALID");
            pgm.set_not_null("t", "v");
        });
        assert!(matches!(
            units[1].safeguard,
            Some(Safeguard::ClearsLeftover(_))
        ));
        assert!(matches!(units[3].safeguard, Some(Safeguard::SetsNotNull(_))));
        assert_eq!(
            checked_first_of(&units),
            [("set_not_null", false), ("set_not_null", true)]
        );
    }

    #[test]
    fn a_grant_is_checked_first_a_replaced_definition_is_only_recorded() {
        let units = statements(|pgm| {
            pgm.sql("GRANT SELECT ON posts TO reporting");
            pgm.grant_on_tables(["posts"], [Privilege::Select], ["reporting"]);
            pgm.create_view("published", "SELECT * FROM posts").or_replace();
        });
        assert!(matches!(
            units[2].safeguard,
            Some(Safeguard::RecordsPrevious(_))
        ));
        assert_eq!(
            checked_first_of(&units),
            [("grant_on_tables", true), ("create_view", false)]
        );
    }

    #[test]
    fn only_an_object_in_the_way_has_an_owner_to_name() {
        let units = statements(|pgm| {
            pgm.create_index("t", ["v"]).concurrently();
            pgm.grant_on_tables(["posts"], [Privilege::Select], ["reporting"]);
        });
        let index = units[0].safeguard.as_ref().expect("a safeguard");
        let grant = units[1].safeguard.as_ref().expect("a safeguard");
        let refusal = |present| Refusal {
            problem: "already exists".to_owned(),
            present,
        };
        assert_eq!(in_the_way(&refusal(true), index), index.object());
        assert!(in_the_way(&refusal(true), index).is_some());
        assert_eq!(in_the_way(&refusal(false), index), None);
        assert_eq!(in_the_way(&refusal(true), grant), None);
    }

    fn build_index(pgm: &mut MigrationBuilder) {
        pgm.create_index("t", ["v"]).concurrently();
    }

    /// The line of the `create_index` call above.
    const BUILD_INDEX_LINE: u32 = line!() - 4;

    fn replace_view(pgm: &mut MigrationBuilder) {
        pgm.create_view("published", "SELECT * FROM posts").or_replace();
    }

    /// Migrations whose file is this one, so the errors name their lines.
    static INDEX: Migration = Migration::defined(&Definition {
        name: "20240101000002_index",
        path: file!(),
        source: "build_index",
        up: build_index,
        down: None,
    });

    static VIEW: Migration = Migration::defined(&Definition {
        name: "20240101000003_view",
        path: "migrations/20240101000003_view.rs",
        source: "replace_view",
        up: replace_view,
        down: None,
    });

    #[test]
    fn a_refusal_names_the_migration_the_call_the_object_and_its_owner() {
        let step = Step::for_server(&INDEX, Direction::Up, 15).expect("plans");
        let units = step.units();
        let safeguard = units[0].safeguard.as_ref().expect("a safeguard");
        let error = not_owned(
            &step,
            &units[0],
            safeguard,
            "already exists (an index on t)".to_owned(),
            Some("20240101000001_first".to_owned()),
            Outcome::RolledBack,
        );
        assert!(matches!(&error, Error::NotOwned(n) if n.line == Some(BUILD_INDEX_LINE)));
        let message = error.to_string();
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "migration 20240101000002_index refused in `up` at operation #1 (create_index), {}:{BUILD_INDEX_LINE}: \
                 index \"t_v_index\" on \"t\" already exists (an index on t); it belongs to 20240101000001_first",
                file!()
            )
        );
        assert_eq!(lines[1], format!("    {}", units[0].sql));
        assert!(lines[1].contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS"));
        assert_eq!(
            lines.last().copied(),
            Some("  rolled back: nothing of this `up` was applied, and it is not recorded as applied")
        );
        // Without an owner, the problem ends the line.
        let error = not_owned(
            &step,
            &units[0],
            safeguard,
            "already exists (an index on t)".to_owned(),
            None,
            Outcome::PartiallyApplied { committed: 2 },
        );
        let message = error.to_string();
        assert!(
            message
                .lines()
                .next()
                .is_some_and(|l| l.ends_with("already exists (an index on t)")),
            "{message}"
        );
        assert!(
            message.ends_with("2 earlier statement(s) of this `up` were committed and it is not recorded as applied; it is marked as failed part-way: check what failed, then retrying 20240101000002_index with `up` clears the mark and continues from the statement that failed"),
            "{message}"
        );
    }

    #[test]
    fn a_restore_that_cannot_run_names_the_migration_and_what_is_left() {
        let step = Step::for_server(&VIEW, Direction::Down, 15).expect("plans");
        let units = step.units();
        let restore = units
            .iter()
            .find(|u| matches!(u.action, Some(Action::Restore(_))))
            .expect("the derived down restores the replaced view");
        let error = restore_failed(
            &step,
            restore,
            "nothing was recorded of what it replaced".to_owned(),
            Outcome::RolledBack,
        );
        assert_eq!(
            error.to_string(),
            format!(
                "migration 20240101000003_view (migrations/20240101000003_view.rs) failed in `down` at operation #{} \
                 (restore_previous): nothing was recorded of what it replaced\n  \
                 rolled back: nothing of this `down` was applied, and it stays recorded as applied",
                restore.position
            )
        );
    }
}
