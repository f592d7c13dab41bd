//! What a command runs, chosen from the compiled migrations and the bookkeeping rows alone (no database):
//! the pending or applied migrations a target names, in the order they run, and the checks that refuse a
//! run before anything changes (renamed, missing and changed files, out-of-order migrations, targets on
//! the wrong side, counts larger than what there is).

use std::collections::HashSet;

use crate::error::Error;
use crate::events::Event;
use crate::history::{History, Newest};
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::status::{Classified, State};

use super::{DownTarget, UpTarget};

/// The choice of steps for one run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Selection<'a> {
    pub migrations: &'a [Migration],
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
    /// `--fake`: the steps only change the bookkeeping.
    pub fake: bool,
    /// The server's major version, for the migrations' version gates.
    pub server: u32,
    /// Whether migrations a newer release applied are reverted with the `down` their rows recorded (they
    /// are then among `migrations`); a refusal says whether that was tried.
    pub recorded_downs: bool,
}

impl<'a> Selection<'a> {
    /// Finds a migration by its full name or its timestamp.
    pub fn find(&self, name: &str) -> Result<&'a Migration, Error> {
        find(self.migrations, name)
    }

    /// The steps `up` runs to reach `target`, oldest first.
    pub fn up(&self, applied: &History, target: &UpTarget) -> Result<Vec<Step<'a>>, Error> {
        self.up_migrations(applied, target)?
            .into_iter()
            .map(|m| self.step(m, Direction::Up))
            .collect()
    }

    /// The migrations `up` applies to reach `target`, oldest first, without their steps (see
    /// [`Selection::up`]).
    pub fn up_migrations(
        &self,
        applied: &History,
        target: &UpTarget,
    ) -> Result<Vec<&'a Migration>, Error> {
        let pending = self.pending(applied)?;
        let selected = self.up_target(pending, target)?;
        self.check_in_order(&selected, applied)?;
        Ok(selected)
    }

    /// The pending migrations (out of order ones too), in registry order, once no file is renamed, missing
    /// or changed.
    fn pending(&self, applied: &History) -> Result<Vec<&'a Migration>, Error> {
        // Classified, not a full status: with every migration applied this is all a no-op `up` does, and it
        // must not hold a copy of each row.
        let classified = Classified::of(self.migrations, applied);
        self.check_files(&classified, applied)?;
        Ok(self
            .migrations
            .iter()
            .zip(&classified.states)
            .filter(|(_, state)| matches!(state, State::Pending | State::OutOfOrder))
            .map(|(m, _)| m)
            .collect())
    }

    /// Refuses renamed, missing and changed files: `up` would run again what was applied.
    fn check_files(&self, classified: &Classified, applied: &History) -> Result<(), Error> {
        // Before the renames: `repair` of those would leave these to be forgotten and run again.
        let lookalikes = classified.lookalikes(self.migrations, applied);
        if !lookalikes.is_empty() {
            return Err(Error::AmbiguousRename { lookalikes });
        }
        let renames = classified.renames(self.migrations, applied);
        if !renames.is_empty() {
            return Err(Error::Renamed { renames });
        }
        if !classified.squashed.is_empty() {
            // Rows a pending baseline stands for: `up` says why it cannot record it (as when it tries).
            if let Some(refusal) = crate::squash::refusal(self.migrations, applied) {
                return Err(refusal);
            }
        }
        let mut missing = classified.missing_names(applied);
        // Newer than every file here: a newer release's, which the caller judges by their recorded phases.
        let newest = Newest::of(self.migrations);
        missing.retain(|name| !newest.is_ahead(name));
        // Recordable, yet not recorded (rows given as they are, not as `up` records them): their files are
        // gone all the same.
        missing.extend(
            classified
                .squashed
                .iter()
                .map(|&(r, _)| applied.name(r).to_owned()),
        );
        if !missing.is_empty() {
            missing.sort();
            return Err(Error::MissingFiles { names: missing });
        }
        let changed = classified.names(self.migrations, State::Changed);
        if !changed.is_empty() {
            return Err(Error::Changed { names: changed });
        }
        Ok(())
    }

    /// The migrations of `pending` that `target` names.
    fn up_target(
        &self,
        pending: Vec<&'a Migration>,
        target: &UpTarget,
    ) -> Result<Vec<&'a Migration>, Error> {
        Ok(match target {
            UpTarget::All => pending,
            UpTarget::Count(n) if *n > pending.len() => {
                return Err(Error::CountTooLarge {
                    action: "apply",
                    asked: *n,
                    available: pending.len(),
                    state: "pending",
                });
            }
            UpTarget::Count(n) => pending.into_iter().take(*n).collect(),
            UpTarget::To(name) => {
                // An applied target is reached, not an error: replicas starting together all ask for it, and
                // the ones that got the lock after the first find it applied. What is still pending up to it
                // (out of order) is selected all the same.
                let target = self.find(name)?;
                pending
                    .into_iter()
                    .filter(|m| m.name() <= target.name())
                    .collect()
            }
            UpTarget::ExpandOnly => {
                // Recorded here and again below: recording is cheap, and the steps stay built in one place.
                // A migration that waits for background jobs counts as one (see `Migration::contract`).
                let first_contract = pending.iter().position(|m| m.contract().is_some());
                let mut pending = pending;
                if let Some(at) = first_contract {
                    pending.truncate(at);
                }
                pending
            }
        })
    }

    /// Refuses a migration of `selected` older than the newest applied one, unless out of order is allowed.
    fn check_in_order(&self, selected: &[&Migration], applied: &History) -> Result<(), Error> {
        if self.allow_out_of_order {
            return Ok(());
        }
        if let Some(newest) = applied.names().max() {
            let older: Vec<String> = selected
                .iter()
                .filter(|m| m.name() < newest)
                .map(|m| m.name().to_owned())
                .collect();
            if !older.is_empty() {
                return Err(Error::OutOfOrder {
                    pending: older,
                    newest_applied: newest.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The steps `down` runs to reach `target`, newest application first. Reports each applied migration
    /// whose file changed since it ran (it is reverted as it is now).
    pub fn down(
        &self,
        applied: &History,
        target: &DownTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Step<'a>>, Error> {
        if applied.is_empty() {
            return Err(Error::NothingApplied);
        }
        // Newest application first: `down` undoes what happened last.
        let newest_first: Vec<usize> = (0..applied.len()).rev().collect();
        let selected: Vec<usize> = match target {
            DownTarget::All => newest_first,
            DownTarget::Count(n) if *n > newest_first.len() => {
                return Err(Error::CountTooLarge {
                    action: "revert",
                    asked: *n,
                    available: newest_first.len(),
                    state: "applied",
                });
            }
            DownTarget::Count(n) => newest_first.into_iter().take(*n).collect(),
            DownTarget::To(name) => {
                let target = self.find(name).map(|m| m.name().to_owned()).or_else(|e| {
                    applied
                        .names()
                        .find(|a| a == name)
                        .map(str::to_owned)
                        .ok_or(e)
                })?;
                let Some(row) = (0..applied.len()).find(|&i| applied.name(i) == target) else {
                    return Err(Error::NotApplied { name: target });
                };
                newest_first
                    .into_iter()
                    .filter(|&i| applied.id(i) > applied.id(row))
                    .collect()
            }
        };
        let compiled: HashSet<&str> = self.migrations.iter().map(|m| m.name()).collect();
        // Rows adopted from another tool have no file by design: not missing, a stop (below).
        let missing: Vec<String> = selected
            .iter()
            .filter(|&&i| !compiled.contains(applied.name(i)) && !applied.is_adopted(i))
            .map(|&i| applied.name(i).to_owned())
            .collect();
        // Newer than every file: a newer release's, not a file that went missing.
        let newest = Newest::of(self.migrations);
        let ahead: Vec<String> = missing
            .iter()
            .filter(|name| newest.is_ahead(name))
            .cloned()
            .collect();
        if !ahead.is_empty() {
            return Err(Error::AheadDown {
                names: ahead,
                recorded_tried: self.recorded_downs,
            });
        }
        if !missing.is_empty() {
            let classified = Classified::of(self.migrations, applied);
            let lookalikes: Vec<(String, Vec<String>)> = classified
                .lookalikes(self.migrations, applied)
                .into_iter()
                .filter(|(old, _)| missing.contains(old))
                .collect();
            if !lookalikes.is_empty() {
                return Err(Error::AmbiguousRename { lookalikes });
            }
            let renames: Vec<(String, String)> = classified
                .renames(self.migrations, applied)
                .into_iter()
                .filter(|(old, _)| missing.contains(old))
                .collect();
            if !renames.is_empty() {
                return Err(Error::Renamed { renames });
            }
            let squashed = classified
                .squashed
                .iter()
                .any(|&(r, _)| missing.iter().any(|n| n == applied.name(r)));
            if squashed {
                if let Some(refusal) = crate::squash::refusal(self.migrations, applied) {
                    return Err(refusal);
                }
            }
            return Err(Error::MissingFiles { names: missing });
        }
        // Newest first: the first adopted row is where `down` stops, after the ones before it in `selected`.
        if let Some((after, tool)) = selected
            .iter()
            .enumerate()
            .find_map(|(at, &i)| applied.adopted_from(i).map(|tool| (at, tool)))
        {
            return Err(Error::AdoptedStop {
                name: applied.name(selected[after]).to_owned(),
                tool: tool.to_owned(),
                after,
            });
        }
        selected
            .into_iter()
            .map(|i| {
                let m = self.find(applied.name(i))?;
                // An unknown checksum (a row without one) is not evidence of an edit.
                if applied.matches(i, m) == Some(false) {
                    events(Event::ChangedSinceApplied { name: m.name() });
                }
                self.step(m, Direction::Down)
            })
            .collect()
    }

    /// The steps of `redo`: the last `count` applied migrations reverted, then exactly those applied again,
    /// oldest first. Both are prepared before anything runs, so a broken `up` stops the redo up front.
    pub fn redo(
        &self,
        applied: &History,
        count: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(Vec<Step<'a>>, Vec<Step<'a>>), Error> {
        let down = self.down(applied, &DownTarget::Count(count), events)?;
        let mut up: Vec<Step<'a>> = down
            .iter()
            .map(|s| self.step(s.migration, Direction::Up))
            .collect::<Result<_, _>>()?;
        up.sort_by(|a, b| a.migration.name().cmp(b.migration.name()));
        Ok((down, up))
    }

    /// One step as this run takes it ([`Step::for_run`]).
    pub fn step(&self, migration: &'a Migration, direction: Direction) -> Result<Step<'a>, Error> {
        Step::for_run(migration, direction, self.server, self.fake)
    }
}

/// Finds a migration by its full name or its timestamp.
pub(super) fn find<'a>(migrations: &'a [Migration], name: &str) -> Result<&'a Migration, Error> {
    migrations
        .iter()
        .find(|m| m.name() == name || m.version() == name)
        .ok_or_else(|| Error::UnknownMigration {
            name: name.to_owned(),
        })
}

/// `--single-transaction` cannot hold a migration that must run outside one; refused before any change.
pub(super) fn check_single_transaction(
    steps: &[Step<'_>],
    single_transaction: bool,
) -> Result<(), Error> {
    match steps.iter().find(|s| !s.transactional) {
        Some(step) if single_transaction => Err(Error::NeedsNoTransaction {
            name: step.migration.name().to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use migrate_dsl::MigrationBuilder;

    use super::*;
    use crate::history::AppliedMigration;
    use crate::migration::Definition;
    use crate::registry::Migrations;

    fn create(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE t (id int)");
    }

    fn drop(pgm: &mut MigrationBuilder) {
        pgm.sql("DROP TABLE t");
    }

    fn contract(pgm: &mut MigrationBuilder) {
        pgm.contract("the old app no longer reads t");
        pgm.sql("DROP TABLE old");
    }

    fn outside(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("CREATE INDEX CONCURRENTLY i ON t (id)");
    }

    const fn migration(name: &'static str, source: &'static str) -> Definition {
        Definition {
            name,
            path: "/migrations/m.rs",
            source,
            up: create,
            down: Some(drop),
        }
    }

    static MIGRATIONS: Migrations = Migrations::new(&[
        migration("20240101000001_a", "a"),
        migration("20240101000002_b", "b"),
        Definition {
            up: contract,
            ..migration("20240101000003_c", "c")
        },
        migration("20240101000004_d", "d"),
    ]);

    fn selection(allow_out_of_order: bool, fake: bool) -> Selection<'static> {
        Selection {
            migrations: &MIGRATIONS,
            allow_out_of_order,
            fake,
            server: 17,
            recorded_downs: false,
        }
    }

    /// Rows as the table holds them, oldest application first, with the compiled checksums.
    fn applied(names: &[&str]) -> Vec<AppliedMigration> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| AppliedMigration {
                id: i as i64 + 1,
                name: (*name).to_owned(),
                run_on: chrono::DateTime::UNIX_EPOCH,
                checksum: MIGRATIONS
                    .iter()
                    .find(|m| m.name() == *name)
                    .map(Migration::checksum),
                execution_ms: Some(1),
            })
            .collect()
    }

    fn h(rows: &[AppliedMigration]) -> History<'static> {
        History::from(rows)
    }

    fn names(steps: &[Step<'_>]) -> Vec<&'static str> {
        steps.iter().map(|s| s.migration.name()).collect()
    }

    #[test]
    fn up_takes_the_pending_migrations_oldest_first() {
        let s = selection(false, false);
        let steps = s
            .up(&h(&applied(&["20240101000001_a"])), &UpTarget::All)
            .unwrap();
        assert_eq!(
            names(&steps),
            ["20240101000002_b", "20240101000003_c", "20240101000004_d"]
        );
        assert!(steps
            .iter()
            .all(|s| s.direction == Direction::Up && !s.fake));
        let steps = s.up(&History::default(), &UpTarget::Count(2)).unwrap();
        assert_eq!(names(&steps), ["20240101000001_a", "20240101000002_b"]);
        let steps = s
            .up(&History::default(), &UpTarget::To("20240101000002".into()))
            .unwrap();
        assert_eq!(names(&steps), ["20240101000001_a", "20240101000002_b"]);
        let steps = s.up(&History::default(), &UpTarget::ExpandOnly).unwrap();
        assert_eq!(
            names(&steps),
            ["20240101000001_a", "20240101000002_b"],
            "stops before the first contract"
        );
    }

    #[test]
    fn up_refuses_targets_it_cannot_reach() {
        let s = selection(false, false);
        let err = s.up(&h(&applied(&["20240101000001_a"])), &UpTarget::Count(4));
        assert!(matches!(
            err,
            Err(Error::CountTooLarge {
                asked: 4,
                available: 3,
                ..
            })
        ));
        // An applied target is reached: nothing to apply, no error.
        let reached = s
            .up(
                &h(&applied(&["20240101000001_a"])),
                &UpTarget::To("20240101000001_a".into()),
            )
            .expect("reached");
        assert!(reached.is_empty(), "{:?}", names(&reached));
        let err = s.up(&History::default(), &UpTarget::To("nope".into()));
        assert!(matches!(err, Err(Error::UnknownMigration { name }) if name == "nope"));
    }

    #[test]
    fn up_refuses_out_of_order_migrations_unless_allowed() {
        let rows = applied(&["20240101000002_b"]);
        match selection(false, false).up(&h(&rows), &UpTarget::All) {
            Err(Error::OutOfOrder {
                pending,
                newest_applied,
            }) => {
                assert_eq!(pending, ["20240101000001_a"]);
                assert_eq!(newest_applied, "20240101000002_b");
            }
            other => panic!("expected OutOfOrder, got {other:?}"),
        }
        let steps = selection(true, false)
            .up(&h(&rows), &UpTarget::All)
            .unwrap();
        assert_eq!(
            names(&steps),
            ["20240101000001_a", "20240101000003_c", "20240101000004_d"]
        );
    }

    #[test]
    fn up_refuses_missing_changed_and_renamed_files() {
        let s = selection(false, false);
        let mut rows = applied(&["20240101000001_a"]);
        rows.push(AppliedMigration {
            id: 2,
            name: "20240101000002_gone".into(),
            checksum: Some("0".repeat(64)),
            ..rows[0].clone()
        });
        assert!(
            matches!(s.up(&h(&rows), &UpTarget::All), Err(Error::MissingFiles { names }) if names == ["20240101000002_gone"])
        );
        let mut rows = applied(&["20240101000001_a"]);
        rows[0].checksum = Some(crate::migration::checksum("edited"));
        assert!(
            matches!(s.up(&h(&rows), &UpTarget::All), Err(Error::Changed { names }) if names == ["20240101000001_a"])
        );
        // Applied under an old name, with the content of a compiled migration.
        let mut rows = applied(&["20240101000001_a"]);
        rows[0].name = "20240101000001_old".into();
        assert!(
            matches!(s.up(&h(&rows), &UpTarget::All), Err(Error::Renamed { renames }) if renames == [("20240101000001_old".to_owned(), "20240101000001_a".to_owned())])
        );
    }

    #[test]
    fn down_reverts_the_newest_applications_first() {
        let s = selection(false, false);
        let rows = applied(&["20240101000001_a", "20240101000003_c", "20240101000002_b"]);
        let steps = s
            .down(&h(&rows), &DownTarget::Count(2), &mut |_| {})
            .unwrap();
        assert_eq!(names(&steps), ["20240101000002_b", "20240101000003_c"]);
        assert!(steps.iter().all(|s| s.direction == Direction::Down));
        let steps = s
            .down(
                &h(&rows),
                &DownTarget::To("20240101000001".into()),
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(names(&steps), ["20240101000002_b", "20240101000003_c"]);
        let steps = s.down(&h(&rows), &DownTarget::All, &mut |_| {}).unwrap();
        assert_eq!(steps.len(), 3);
        assert!(matches!(
            s.down(&History::default(), &DownTarget::Count(1), &mut |_| {}),
            Err(Error::NothingApplied)
        ));
        assert!(matches!(
            s.down(&h(&rows), &DownTarget::Count(4), &mut |_| {}),
            Err(Error::CountTooLarge { available: 3, .. })
        ));
        let err = s.down(
            &h(&rows),
            &DownTarget::To("20240101000004_d".into()),
            &mut |_| {},
        );
        assert!(
            matches!(&err, Err(Error::NotApplied { .. })),
            "{err:?}"
        );
    }

    /// A row adopted from node-pg-migrate is no missing file: `down` stops at it before reverting anything,
    /// naming it, its tool and how many were applied after it; `down --to` it reverts those.
    #[test]
    fn down_stops_at_an_adopted_row() {
        let s = selection(false, false);
        let mut rows = applied(&["1700000000000_js", "20240101000001_a", "20240101000002_b"]);
        rows[0].checksum = Some("adopted:node-pg-migrate".to_owned());
        for target in [DownTarget::All, DownTarget::Count(3)] {
            let err = s.down(&h(&rows), &target, &mut |_| {});
            assert!(
                matches!(&err, Err(Error::AdoptedStop { name, tool, after: 2 })
                    if name == "1700000000000_js" && tool == "node-pg-migrate"),
                "{err:?}"
            );
        }
        let steps = s
            .down(&h(&rows), &DownTarget::To("1700000000000_js".into()), &mut |_| {})
            .unwrap();
        assert_eq!(names(&steps), ["20240101000002_b", "20240101000001_a"]);
        let err = s.down(&h(&rows[..1]), &DownTarget::Count(1), &mut |_| {});
        assert!(matches!(&err, Err(Error::AdoptedStop { after: 0, .. })), "{err:?}");
    }

    #[test]
    fn down_reports_an_edited_file_and_refuses_a_missing_one() {
        let s = selection(false, false);
        let mut rows = applied(&["20240101000001_a", "20240101000002_b"]);
        rows[1].checksum = Some(crate::migration::checksum("edited"));
        let mut changed = Vec::new();
        let steps = s
            .down(&h(&rows), &DownTarget::Count(2), &mut |e| {
                if let Event::ChangedSinceApplied { name } = e {
                    changed.push(name.to_owned());
                }
            })
            .unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(changed, ["20240101000002_b"]);

        rows[1].name = "20240101000000_gone".into();
        rows[1].checksum = None;
        assert!(matches!(
            s.down(&h(&rows), &DownTarget::Count(1), &mut |_| {}),
            Err(Error::MissingFiles { names }) if names == ["20240101000000_gone"]
        ));
        // Newer than every file: a newer release's, whose `down` this binary does not have.
        rows[1].name = "20240101000009_newer".into();
        assert!(matches!(
            s.down(&h(&rows), &DownTarget::Count(1), &mut |_| {}),
            Err(Error::AheadDown { names, recorded_tried: false }) if names == ["20240101000009_newer"]
        ));
        // Without the missing one, the rest reverts.
        assert!(s
            .down(&h(&rows[..1]), &DownTarget::Count(1), &mut |_| {})
            .is_ok());
    }

    #[test]
    fn a_fake_run_keeps_only_the_bookkeeping() {
        fn raw_only(pgm: &mut MigrationBuilder) {
            pgm.sql("SELECT 1");
        }
        // Raw SQL has no derived `down`: a real revert refuses it, a fake one does not need it.
        static UNDERIVABLE: Migrations = Migrations::new(&[Definition {
            up: raw_only,
            down: None,
            ..migration("20240101000001_a", "a")
        }]);
        let real = Selection {
            migrations: &UNDERIVABLE,
            ..selection(false, false)
        };
        let fake = Selection { fake: true, ..real };
        let rows = applied(&["20240101000001_a"]);
        assert!(matches!(
            real.down(&h(&rows), &DownTarget::Count(1), &mut |_| {}),
            Err(Error::Invalid { .. })
        ));
        let steps = fake
            .down(&h(&rows), &DownTarget::Count(1), &mut |_| {})
            .unwrap();
        assert!(steps[0].fake && steps[0].statements().is_empty());
        let steps = fake.up(&History::default(), &UpTarget::All).unwrap();
        assert!(steps[0].fake && steps[0].statements().is_empty());
    }

    #[test]
    fn redo_reverts_then_applies_the_same_migrations_oldest_first() {
        let s = selection(false, false);
        let rows = applied(&["20240101000001_a", "20240101000002_b", "20240101000003_c"]);
        let (down, up) = s.redo(&h(&rows), 2, &mut |_| {}).unwrap();
        assert_eq!(names(&down), ["20240101000003_c", "20240101000002_b"]);
        assert_eq!(names(&up), ["20240101000002_b", "20240101000003_c"]);
        assert!(up.iter().all(|s| s.direction == Direction::Up));
    }

    #[test]
    fn a_single_transaction_cannot_hold_a_migration_outside_one() {
        static OUTSIDE: Migrations = Migrations::new(&[Definition {
            up: outside,
            ..migration("20240101000001_a", "a")
        }]);
        let s = Selection {
            migrations: &OUTSIDE,
            ..selection(false, false)
        };
        let steps = s.up(&History::default(), &UpTarget::All).unwrap();
        assert!(check_single_transaction(&steps, false).is_ok());
        assert!(matches!(
            check_single_transaction(&steps, true),
            Err(Error::NeedsNoTransaction { name }) if name == "20240101000001_a"
        ));
    }
}
