//! `migrate trace`: what a migration will lock, shown before it runs.
//!
//! Public for migrate-cli (`migrate trace`); not a stable API.
//!
//! The traced migrations run on a scratch database built from the migrations before them ([`run`]; or, to
//! trace their `down`, [`run_down`]: applied with those, then reverted), through the real runner (its
//! transactions, its transaction breaks, its statements outside a transaction), with an observer attached
//! ([`crate::observer`]). Around each statement the observer reads, on the migration's own session:
//!
//! - the relation locks the session holds (`pg_locks`), so each statement's new locks and the strongest lock
//!   held on each relation until the commit are known, with what each mode blocks ([`LockMode::blocks`]);
//! - every relation's file (`pg_class.relfilenode`): a new one means a rewrite;
//! - every constraint's `convalidated`: a constraint that became validated was checked against the rows;
//! - each table's row statistics (the server's cumulative ones plus those the session has not reported yet):
//!   a new sequential scan that read rows means the statement read the whole table (an `UPDATE` or `DELETE`
//!   of every row, a copy, a backfill's batches), with the rows it updated and deleted;
//! - the server's `DEBUG1` messages (the session runs with `client_min_messages = debug1`), which name each
//!   table the statement read whole: `verifying table "t"` (a constraint or `NOT NULL` checked),
//!   `validating foreign key constraint "fk"`, `building index "i" on table "t"`, and what it proved without
//!   reading (`existing constraints on column "t.c" are sufficient to prove that it does not contain nulls`).
//!
//! Statements outside a transaction are watched from a second connection while they run (see the
//! `watcher` module). The gate: a statement that rewrites or scans a table while the transaction holds an
//! `ACCESS EXCLUSIVE` lock on a relation that existed before it is a finding, unless the migration accepts it
//! with `// trace: allow rewrite|scan -- <reason>`.

mod allow;
pub(crate) mod catalog;
mod data;
mod locks;
mod report;

mod tracer;
mod watcher;

use postgres::Client;

use crate::error::Error;
use crate::migration::{Direction, Migration};
use crate::runner::{DownTarget, Migrator, UpTarget};

pub use allow::GateKind;
pub use catalog::RelationKind;
pub use data::{DataKind, DataStep, Rate, PROBE_ROWS};
pub use locks::{Blocks, LockMode};
pub use report::{
    Allowed, GateFinding, Lock, MigrationTrace, Observed, RelationRef, Scan, SeededSize, Seeding,
    SkippedTable, StatementTrace, Trace, TransactionTrace,
};

/// What to put in the scratch database before the traced migrations run, so their durations mean something.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Generated rows for every table (0: none).
    pub rows: u64,
    /// SQL to run first (`--data FILE`): its label (the file) and its text.
    pub data: Option<(&'a str, &'a str)>,
    /// Fill only these tables (as the trace names them) and the tables they reference; `None`: every table.
    pub only: Option<&'a [String]>,
    /// Measure each data step's rate with a probe before it runs (a review's calibration; see
    /// [`DataStep::probe`]).
    pub probe_rates: bool,
}

/// Why a trace could not be made. Nothing outside the scratch database is changed in any case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// `// trace: allow` comments that cannot be read: `(file, line, message)`.
    #[error(
        "malformed `// trace: allow` comment(s):\n{}",
        .0.iter().map(|(file, line, message)| format!("  {file}:{line}: {message}")).collect::<Vec<_>>().join("\n")
    )]
    Allow(Vec<(String, usize, String)>),
    /// The migrations before the traced ones do not apply (for a trace of `down`s, the traced ones too).
    #[error("the migrations the trace starts from do not apply to the scratch database: {0}")]
    Base(#[source] Error),
    /// A trace of `down`s named a repeatable migration, which has none.
    #[error(
        "{0} is a repeatable migration: it has no `down` to trace (a trace of `down`s takes versioned migrations)"
    )]
    NoDown(String),
    /// The data file failed.
    #[error("the data file {file} failed: {}", crate::error::describe_pg(.source))]
    Data {
        file: String,
        #[source]
        source: postgres::Error,
    },
    /// A traced migration failed (or a query of the trace's own did).
    #[error(transparent)]
    Run(#[from] Error),
}

/// Traces `traced` (names of `migrator`'s migrations, in any order; each is applied after every migration
/// before it) on `client`, a connection to an empty scratch database whose notices arrive where `migrator`'s
/// [`Notices`](crate::Notices) collect them; `watcher` is a second connection to it. Migrations between traced
/// ones are applied without being traced. A repeatable migration (`repeatable_<name>`, one of
/// [`Migrator::repeatable_migrations`]) is traced where `up` runs it: after every versioned migration (those
/// not traced applied first), with the repeatable ones before it in name order applied untraced.
pub fn run(
    migrator: &Migrator<'_>,
    client: &mut Client,
    watcher: Client,
    traced: &[String],
    options: &Options<'_>,
) -> Result<Trace, TraceError> {
    let all = migrator.migrations();
    let selection = Selection::of(migrator, traced)?;
    let Some((first, last)) = selection.span(all.len()) else {
        return Ok(Trace {
            direction: Direction::Up,
            applied_before: 0,
            rows: None,
            data_file: None,
            migrations: Vec::new(),
        });
    };
    let mut allows = self::allows(
        all.iter()
            .enumerate()
            .filter(|(i, _)| selection.versioned.contains(i))
            .map(|(_, m)| m),
    )?;
    allows.extend(self::allows(selection.repeatables.iter().copied())?);

    if first > 0 {
        // Applied already when the scratch database was built further by the caller (a review traces
        // migrations one at a time on one database): the target is reached, and nothing runs.
        migrator
            .run_up(client, &UpTarget::To(all[first - 1].name().to_owned()), &mut |_| {})
            .map_err(TraceError::Base)?;
    }
    let rows = fill(migrator, client, options)?;

    let tracer = tracer::Tracer::new(
        migrator.migrations_table().clone(),
        watcher::Watcher::start(watcher),
        &allows,
    )
    .probing(options.probe_rates);
    let runners = Runners {
        plain: migrator,
        traced: migrator.clone().observer(&tracer),
        tracer: &tracer,
    };
    debug_messages(client, true)?;
    for (index, _) in all.iter().enumerate().take(last + 1).skip(first) {
        runners.up_one(client, selection.versioned.contains(&index))?;
    }
    if !selection.repeatables.is_empty() {
        if let Some(newest) = all.last().filter(|_| last + 1 < all.len()) {
            migrator.run_up(client, &UpTarget::To(newest.name().to_owned()), &mut |_| {})?;
        }
        runners.up_repeatables(client, &selection.repeatables)?;
    }
    debug_messages(client, false)?;
    drop(runners);
    Ok(Trace {
        direction: Direction::Up,
        applied_before: first,
        rows,
        data_file: options.data.map(|(file, _)| file.to_owned()),
        migrations: tracer.finish(),
    })
}

/// The migrations a trace of `up` names: the versioned ones by position, in order, and the repeatable ones in
/// name order, each once.
struct Selection<'m> {
    versioned: Vec<usize>,
    repeatables: Vec<&'m Migration>,
}

impl<'m> Selection<'m> {
    /// The migrations of `migrator` that `traced` names (a repeatable one by name, a versioned one by name or
    /// version); a name that is neither is refused.
    fn of(migrator: &Migrator<'m>, traced: &[String]) -> Result<Selection<'m>, Error> {
        let all = migrator.migrations();
        let repeatables = migrator.repeatable_migrations();
        let mut selected: Vec<usize> = Vec::new();
        let mut selected_repeatables: Vec<&Migration> = Vec::new();
        for name in traced {
            if let Some(m) = repeatables.iter().find(|m| m.name() == name) {
                if !selected_repeatables.iter().any(|r| r.name() == m.name()) {
                    selected_repeatables.push(m);
                }
                continue;
            }
            select_versioned(&mut selected, all, name)?;
        }
        selected.sort_unstable();
        // Repeatable migrations run after every versioned one, as `up` runs them.
        selected_repeatables.sort_by_key(|m| m.name());
        Ok(Selection {
            versioned: selected,
            repeatables: selected_repeatables,
        })
    }

    /// The positions of the first and the last versioned migration the trace runs, of `count`: those
    /// between them are applied untraced. `None` when nothing is traced.
    fn span(&self, count: usize) -> Option<(usize, usize)> {
        match (self.versioned.first(), self.versioned.last()) {
            (Some(&first), Some(&last)) => Some((first, last)),
            _ if self.repeatables.is_empty() => None,
            // Only repeatable migrations: every versioned one is the base.
            _ => Some((count, count.saturating_sub(1))),
        }
    }
}

/// How a trace runs each migration on the scratch database: through `traced`, which reports to `tracer`, or
/// through `plain`, untraced.
struct Runners<'r, 'm> {
    plain: &'r Migrator<'m>,
    traced: Migrator<'r>,
    tracer: &'r tracer::Tracer,
}

impl Runners<'_, '_> {
    /// Applies the next versioned migration, traced or not.
    fn up_one(&self, client: &mut Client, traced: bool) -> Result<(), Error> {
        let run = if traced {
            self.traced
                .run_up(client, &UpTarget::Count(1), &mut |event| {
                    self.tracer.event(&event)
                })
        } else {
            self.plain.run_up(client, &UpTarget::Count(1), &mut |_| {})
        };
        run.map(drop)
    }

    /// Applies the repeatable migrations up to the last of `selected`, tracing those selected.
    fn up_repeatables(&self, client: &mut Client, selected: &[&Migration]) -> Result<(), Error> {
        // Every repeatable migration in name order up to the last traced one, the others applied untraced:
        // a traced one then finds the views and functions of the ones before it, as on a database where
        // they were applied.
        let last_traced = selected.last().map_or("", |m| m.name());
        let repeatables = self.plain.repeatable_migrations();
        for m in repeatables.iter().filter(|m| m.name() <= last_traced) {
            let name = [m.name().to_owned()];
            if selected.iter().any(|r| r.name() == m.name()) {
                self.traced
                    .run_named_repeatables(client, &name, &mut |event| self.tracer.event(&event))?;
            } else {
                self.plain.run_named_repeatables(client, &name, &mut |_| {})?;
            }
        }
        Ok(())
    }
}

/// Traces the `down` of `traced` (names of `migrator`'s versioned migrations, in any order) on `client`, a
/// connection to an empty scratch database (`watcher` is a second one): every migration up to the newest
/// traced one is applied, then `options`' data and rows are put in, then the migrations are reverted one at
/// a time, newest first, down to the oldest traced one, through the runner `down` uses. The traced ones are
/// observed; those between them are reverted without being traced.
pub fn run_down(
    migrator: &Migrator<'_>,
    client: &mut Client,
    watcher: Client,
    traced: &[String],
    options: &Options<'_>,
) -> Result<Trace, TraceError> {
    let all = migrator.migrations();
    let mut selected: Vec<usize> = Vec::new();
    for name in traced {
        if migrator
            .repeatable_migrations()
            .iter()
            .any(|m| m.name() == name)
        {
            return Err(TraceError::NoDown(name.clone()));
        }
        select_versioned(&mut selected, all, name)?;
    }
    selected.sort_unstable();
    let (Some(&first), Some(&last)) = (selected.first(), selected.last()) else {
        return Ok(Trace {
            direction: Direction::Down,
            applied_before: 0,
            rows: None,
            data_file: None,
            migrations: Vec::new(),
        });
    };
    let allows = self::allows(selected.iter().map(|&i| &all[i]))?;
    migrator
        .run_up(
            client,
            &UpTarget::To(all[last].name().to_owned()),
            &mut |_| {},
        )
        .map_err(TraceError::Base)?;
    let rows = fill(migrator, client, options)?;

    let tracer = tracer::Tracer::new(
        migrator.migrations_table().clone(),
        watcher::Watcher::start(watcher),
        &allows,
    )
    .probing(options.probe_rates);
    let traced_migrator = migrator.clone().observer(&tracer);
    debug_messages(client, true)?;
    for index in (first..=last).rev() {
        let one = DownTarget::Count(1);
        if selected.contains(&index) {
            traced_migrator.run_down(client, &one, &mut |event| tracer.event(&event))?;
        } else {
            migrator.run_down(client, &one, &mut |_| {})?;
        }
    }
    debug_messages(client, false)?;
    drop(traced_migrator);
    Ok(Trace {
        direction: Direction::Down,
        applied_before: last + 1,
        rows,
        data_file: options.data.map(|(file, _)| file.to_owned()),
        migrations: tracer.finish(),
    })
}

/// Runs `--data FILE`, then fills the tables for `--rows N`: what the traced statements then find.
fn fill(
    migrator: &Migrator<'_>,
    client: &mut Client,
    options: &Options<'_>,
) -> Result<Option<Seeding>, TraceError> {
    if let Some((file, sql)) = options.data {
        client
            .batch_execute(sql)
            .map_err(|source| TraceError::Data {
                file: file.to_owned(),
                source,
            })?;
    }
    if options.rows == 0 {
        return Ok(None);
    }
    Ok(Some(crate::rows::fill(
        client,
        migrator.migrations_table(),
        options.rows,
        options.only,
    )?))
}

/// Asks the server for its `DEBUG1` messages on the migrations' session (which say what a statement read
/// whole), or stops asking.
fn debug_messages(client: &mut Client, on: bool) -> Result<(), Error> {
    if on {
        client
            .batch_execute("SET client_min_messages = debug1")
            .map_err(Error::database(
                "cannot ask the server for its DEBUG1 messages",
            ))
    } else {
        client
            .batch_execute("RESET client_min_messages")
            .map_err(Error::database("cannot reset client_min_messages"))
    }
}

/// The `// trace: allow` comments of the selected migrations, or every malformed one.
fn allows<'m>(
    selected: impl Iterator<Item = &'m Migration>,
) -> Result<Vec<(&'m Migration, Vec<allow::Allow>)>, TraceError> {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    for m in selected {
        match allow::parse(m.source()) {
            Ok(allows) => found.push((m, allows)),
            Err(errors) => bad.extend(
                errors
                    .into_iter()
                    .map(|(line, message)| (m.display_path(), line, message)),
            ),
        }
    }
    if bad.is_empty() {
        Ok(found)
    } else {
        Err(TraceError::Allow(bad))
    }
}


/// Adds to `selected` (once) the position in `all` of the versioned migration `name`, given by its full name
/// or its version.
fn select_versioned(selected: &mut Vec<usize>, all: &[Migration], name: &str) -> Result<(), Error> {
    let index = all
        .iter()
        .position(|m| m.name() == name || m.version() == name)
        .ok_or_else(|| Error::UnknownMigration {
            name: name.to_owned(),
        })?;
    if !selected.contains(&index) {
        selected.push(index);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use migrate_dsl::MigrationBuilder;

    use super::*;
    use crate::migration::Definition;
    use crate::registry::Migrations;

    fn up(_: &mut MigrationBuilder) {}

    const fn migration(name: &'static str) -> Definition {
        Definition {
            name,
            path: "migrations/m.rs",
            source: "",
            up,
            down: None,
        }
    }

    static VERSIONED: Migrations = Migrations::new(&[
        migration("20260101000001_a"),
        migration("20260101000002_b"),
        migration("20260101000003_c"),
        migration("20260101000004_d"),
    ]);
    static REPEATABLES: Migrations = Migrations::new(&[
        migration("repeatable_views"),
        migration("repeatable_functions"),
    ]);

    fn selection(traced: &[&str]) -> Result<Selection<'static>, Error> {
        let migrator = Migrator::new(&VERSIONED).repeatables(&REPEATABLES);
        let traced: Vec<String> = traced.iter().map(|&t| t.to_owned()).collect();
        Selection::of(&migrator, &traced)
    }

    fn names(selection: &Selection<'_>) -> Vec<&'static str> {
        selection.repeatables.iter().map(|m| m.name()).collect()
    }

    /// Versioned migrations are traced in order by name or version, repeatable ones in name order, each
    /// once whatever the order given; a name that is neither is refused.
    #[test]
    fn a_trace_selects_each_named_migration_once_in_the_order_up_runs_them() {
        let s = selection(&[
            "20260101000003",
            "repeatable_views",
            "20260101000001_a",
            "repeatable_functions",
            "20260101000003_c",
            "repeatable_views",
        ])
        .expect("known names");
        assert_eq!(s.versioned, [0, 2]);
        assert_eq!(names(&s), ["repeatable_functions", "repeatable_views"]);
        assert!(matches!(
            selection(&["20260101000009_z"]),
            Err(Error::UnknownMigration { name }) if name == "20260101000009_z"
        ));
    }

    /// The span runs from the first traced versioned migration to the last; with only repeatable ones
    /// traced it is empty, past every versioned one, which are all the base; with nothing traced there is none.
    #[test]
    fn a_trace_runs_from_its_first_to_its_last_versioned_migration() {
        let count = VERSIONED.len();
        let span = |traced: &[&str]| selection(traced).expect("known names").span(count);
        assert_eq!(span(&["20260101000004_d", "20260101000002_b"]), Some((1, 3)));
        assert_eq!(span(&["repeatable_views"]), Some((4, 3)));
        assert_eq!(span(&[]), None);
    }
}
