//! Steps: a migration rendered for one direction, ready to run or to show.
//!
//! Public for migrate-cli (`sql`, `--dry-run`); not a stable API: [`Step`](crate::Step) is re-exported at the
//! crate's root.

use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

use migrate_dsl::{split_statements, Action, KeyCatalog, MigrationBuilder, Statement, WidenKeyOnline};
use postgres::GenericClient;

use crate::backfill::{lookup_key, KeyLookup};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::migration::{Direction, Migration};
use crate::timeouts::Timeouts;

/// One migration in one direction, with its SQL rendered. Building every step of a run before running the
/// first one means an invalid migration stops the run before anything changes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Step<'m> {
    pub migration: &'m Migration,
    pub direction: Direction,
    /// Whether it runs inside a transaction (see [`migrate_dsl::MigrationBuilder::is_transactional`]).
    pub transactional: bool,
    /// The migration's own `lock_timeout`, if it set one.
    pub lock_timeout: Option<Duration>,
    /// Where the migration called `pgm.lock_timeout(..)`, if it did.
    pub lock_timeout_at: Option<&'static Location<'static>>,
    /// Why the migration is a contract (`pgm.contract(..)`), when its `up` is marked one and this step
    /// applies it; `None` for an expand and for every `down`.
    pub contract: Option<String>,
    /// Where the migration called `pgm.contract(..)`, when [`contract`](Self::contract) is set.
    pub contract_at: Option<&'static Location<'static>>,
    /// Why an `up` not marked contract is one all the same: it makes the database refuse what the app
    /// version still running may write (see [`crate::phase`]), and its file does not accept that.
    pub stricter: Option<String>,
    /// `--fake`: only the bookkeeping changes; none of the migration's statements run (it has none here).
    pub fake: bool,
    /// The server an `up` was planned for, whose `down` its row records ([`Step::recorded_down`]).
    server_for_down: Option<u32>,
    /// How the step was recorded, to record it again with the catalog ([`Step::resolve_catalog`]).
    source: Source,
    /// Whether an operation needs the catalog before the step runs (a key's widening).
    needs_catalog: bool,
    /// What the catalog said for each such operation, once read ([`Step::resolve_catalog`]), by
    /// [`catalog_key`]: saved with a migration in progress, so that it goes on as it started.
    catalogs: Vec<(String, KeyCatalog)>,
    statements: Vec<Statement>,
}

/// Names a key's widening in the saved catalogs: its table and column, the same in every phase and in the
/// phase's undo.
fn catalog_key(op: &WidenKeyOnline) -> String {
    format!("{}.{}", op.table().quoted(), op.column().as_str())
}

/// What the catalog says about a key's widening (`None`: not read; `Err`: the refusal).
type CatalogLookup<'c> = dyn FnMut(&WidenKeyOnline, usize) -> Option<Result<KeyCatalog, String>> + 'c;

/// How a step was recorded and rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// For no server in particular (review).
    Review,
    /// For a server of this major.
    Server(u32),
    /// The part of an `up` that took effect, undone, on a server of this major.
    UndoPart(u32, Vec<usize>),
}

/// A migration's `down`, rendered for the server when its `up` runs and kept in its applied row, so that an
/// older release of the application (whose binary has no file for it, after a rollback) can judge and revert
/// it. Only a `down` of plain SQL is kept: one with Rust data code, a backfill or a restore of a recorded
/// definition needs the migration's own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDown {
    /// The statements as they are sent, one round trip each.
    pub statements: Vec<String>,
    pub transactional: bool,
}

impl RecordedDown {
    /// The `down` of `down` (a step in that direction), when it is plain SQL.
    fn of(down: &Step<'_>) -> Option<RecordedDown> {
        // Its statements depend on the catalog when it runs.
        if down.needs_catalog {
            return None;
        }
        let units = down.units();
        let plain = units
            .iter()
            .all(|u| matches!(u.action, None | Some(Action::Note)));
        plain.then(|| RecordedDown {
            statements: units
                .into_iter()
                .filter(|u| u.action.is_none())
                .map(|u| u.sql)
                .collect(),
            transactional: down.transactional,
        })
    }
}

impl<'m> Step<'m> {
    /// Why the step is a contract: the migration's mark, else its stricter changes; `None` for an expand and
    /// for every `down`. What the deploy plan, `sql` and the applied row's phase go by.
    pub fn phase_contract(&self) -> Option<&str> {
        self.contract.as_deref().or(self.stricter.as_deref())
    }

    /// Records and renders `migration` in `direction` for no server in particular: each
    /// [`since_pg`](migrate_dsl::MigrationBuilder::since_pg) shows both branches. For review only (`sql NAME`,
    /// which has no database); what runs is planned with [`for_server`](Self::for_server).
    pub fn new(migration: &'m Migration, direction: Direction) -> Result<Self, Error> {
        Self::build(migration, direction, Source::Review, &mut |_, _| None)
    }

    /// Records and renders `migration` in `direction` as it runs on a PostgreSQL `server_major` server:
    /// version gates take that server's branch, and an option the server does not have is an error naming it
    /// (before anything runs).
    pub fn for_server(
        migration: &'m Migration,
        direction: Direction,
        server_major: u32,
    ) -> Result<Self, Error> {
        let mut step = Self::build(
            migration,
            direction,
            Source::Server(server_major),
            &mut |_, _| None,
        )?;
        if direction == Direction::Up {
            step.server_for_down = Some(server_major);
        }
        Ok(step)
    }

    /// Like [`for_server`](Self::for_server), for `lint --pg-version`: gates take that major's branch, and
    /// options are left to the lint rules.
    pub fn for_lint(
        migration: &'m Migration,
        direction: Direction,
        pg_version: u32,
    ) -> Result<Self, Error> {
        let pgm = migration
            .build(direction)?
            .resolve_since_pg(pg_version)
            .map_err(|error| Error::Invalid {
                name: migration.name().to_owned(),
                path: migration.display_path(),
                direction,
                error,
            })?;
        Self::from_builder(migration, direction, Source::Review, pgm)
    }

    /// Records `migration` in `direction` as `source` says, each key's widening given what `catalog`
    /// read (`None`: left to be read before the step runs).
    fn build(
        migration: &'m Migration,
        direction: Direction,
        source: Source,
        catalog: &mut CatalogLookup<'_>,
    ) -> Result<Self, Error> {
        let invalid = |error| Error::Invalid {
            name: migration.name().to_owned(),
            path: migration.display_path(),
            direction,
            error,
        };
        let pgm = match &source {
            Source::Review => migration.build(direction)?,
            Source::Server(major) => migration
                .build(direction)?
                .for_server(*major)
                .map_err(invalid)?,
            Source::UndoPart(major, done) => migration
                .build(Direction::Up)?
                .for_server(*major)
                .and_then(|up| up.reversed_part(done))
                .map_err(invalid)?,
        };
        let pgm = if pgm.needs_catalog() {
            let mut unread = false;
            let resolved = pgm
                .resolve_keys(&mut |op, position| {
                    catalog(op, position).unwrap_or_else(|| {
                        unread = true;
                        Ok(KeyCatalog::new("integer", "<primary key>"))
                    })
                })
                .map_err(invalid)?;
            if unread {
                pgm
            } else {
                resolved
            }
        } else {
            pgm
        };
        Self::from_builder(migration, direction, source, pgm)
    }

    fn from_builder(
        migration: &'m Migration,
        direction: Direction,
        source: Source,
        pgm: MigrationBuilder,
    ) -> Result<Self, Error> {
        let invalid = |source| Error::Invalid {
            name: migration.name().to_owned(),
            path: migration.display_path(),
            direction,
            error: source,
        };
        let statements = pgm.statements().map_err(invalid)?;
        let stricter = (direction == Direction::Up && pgm.contract_reason().is_none())
            .then(|| crate::phase::unmarked_contract(&statements, migration.source()))
            .flatten();
        Ok(Step {
            migration,
            direction,
            transactional: pgm.is_transactional(),
            lock_timeout: pgm.own_lock_timeout(),
            lock_timeout_at: pgm.lock_timeout_location(),
            contract: pgm
                .contract_reason()
                .filter(|_| direction == Direction::Up)
                .map(str::to_owned),
            contract_at: pgm
                .contract_location()
                .filter(|_| direction == Direction::Up),
            stricter,
            fake: false,
            server_for_down: None,
            needs_catalog: pgm.needs_catalog(),
            catalogs: Vec::new(),
            source,
            statements,
        })
    }

    /// Puts `comment` (SQL comment lines) before the step's statements, for review: nothing runs for it.
    pub fn note(&mut self, comment: &str) {
        let Some(first) = self.statements.first() else {
            return;
        };
        let note = Statement {
            sql: comment.to_owned(),
            action: Some(Action::Note),
            new_transaction: false,
            safeguard: None,
            ..first.clone()
        };
        self.statements.insert(0, note);
    }

    /// Whether the step must read the catalog before it runs ([`resolve_catalog`](Self::resolve_catalog)).
    pub fn needs_catalog(&self) -> bool {
        self.needs_catalog
    }

    /// The step rendered again with what the catalog says now about each key it widens (the foreign keys
    /// that reference it, the indexes to copy): what runs. An operation the catalog refuses is an error
    /// naming the migration and why. A step without such an operation is returned as it is.
    pub fn resolve_catalog(&self, conn: &mut impl GenericClient) -> Result<Self, Error> {
        self.resolve_catalog_saved(conn, None)
    }

    /// [`resolve_catalog`](Self::resolve_catalog), taking each key's catalog from `saved` (what
    /// [`saved_catalogs`](Self::saved_catalogs) gave when the migration started) where it has one: a
    /// migration stopped part-way goes on, or is undone, with the statements it started with, even when
    /// foreign keys or indexes were added or dropped meanwhile.
    pub(crate) fn resolve_catalog_saved(
        &self,
        conn: &mut impl GenericClient,
        saved: Option<&str>,
    ) -> Result<Self, Error> {
        if !self.needs_catalog {
            return Ok(self.clone());
        }
        // Unreadable (written by another version of this tool): read again, as without it.
        let saved: Vec<(String, KeyCatalog)> = saved
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        let mut failed = None;
        let mut catalogs = Vec::new();
        let mut step = Self::build(
            self.migration,
            self.direction,
            self.source.clone(),
            &mut |op, _| {
                let key = catalog_key(op);
                let read = match saved.iter().find(|(k, _)| *k == key) {
                    Some((_, catalog)) => Ok(catalog.clone()),
                    None => match crate::widen_key::read(conn, op) {
                        Ok(read) => read,
                        Err(e) => {
                            failed = Some(e);
                            Err(String::new())
                        }
                    },
                };
                if let Ok(catalog) = &read {
                    catalogs.push((key, catalog.clone()));
                }
                Some(read)
            },
        );
        if let Some(e) = failed {
            return Err(Error::database(format!(
                "migration {}: cannot read the catalog for its key's widening",
                self.migration.name()
            ))(e));
        }
        if let Ok(step) = &mut step {
            step.server_for_down = self.server_for_down;
            step.fake = self.fake;
            step.catalogs = catalogs;
            if self.fake {
                step.statements = Vec::new();
            }
        }
        step
    }

    /// What the catalog said for the step's keys ([`resolve_catalog`](Self::resolve_catalog)), as the
    /// journal keeps it; `None` when the step depends on no catalog.
    pub(crate) fn saved_catalogs(&self) -> Option<String> {
        if self.catalogs.is_empty() {
            return None;
        }
        serde_json::to_string(&self.catalogs).ok()
    }

    /// What undoes the part of `migration`'s `up` that took effect on a PostgreSQL `server_major` server when a
    /// run stopped part-way: `done[i]` of the rendered statements of its operation `i + 1` took effect (see
    /// [`MigrationBuilder::reversed_part`]). A `down` of a migration that is not recorded as applied.
    pub(crate) fn undoing_part(
        migration: &'m Migration,
        server_major: u32,
        done: &[usize],
    ) -> Result<Self, Error> {
        Self::build(
            migration,
            Direction::Down,
            Source::UndoPart(server_major, done.to_vec()),
            &mut |_, _| None,
        )
    }

    /// `migration` in `direction` as a run takes it: the one place `--fake` is decided, so that the
    /// runner reads it from the step. A fake `down` is not even recorded: it runs no SQL, so it needs no
    /// `down`, and one that cannot be derived is fine. A fake `up` is recorded (an invalid migration is still
    /// refused), then keeps only its bookkeeping.
    pub fn for_run(
        migration: &'m Migration,
        direction: Direction,
        server_major: u32,
        fake: bool,
    ) -> Result<Self, Error> {
        match (fake, direction) {
            (true, Direction::Down) => Ok(Step::fake(migration, direction)),
            (true, Direction::Up) => {
                Step::for_server(migration, direction, server_major).map(Step::into_fake)
            }
            (false, _) => Step::for_server(migration, direction, server_major),
        }
    }

    /// `migration` in `direction` for `--fake`, which runs none of its statements: nothing is recorded or
    /// rendered, so a `down` that cannot be derived (or an `up` that no longer records) can still be faked.
    pub fn fake(migration: &'m Migration, direction: Direction) -> Self {
        Step {
            migration,
            direction,
            transactional: true,
            lock_timeout: None,
            lock_timeout_at: None,
            contract: None,
            contract_at: None,
            stricter: None,
            fake: true,
            server_for_down: None,
            source: Source::Review,
            needs_catalog: false,
            catalogs: Vec::new(),
            statements: Vec::new(),
        }
    }

    /// This step as `--fake` runs it: its bookkeeping only, in the same kind of transaction (or none).
    pub fn into_fake(self) -> Self {
        Step {
            transactional: self.transactional,
            server_for_down: self.server_for_down,
            ..Step::fake(self.migration, self.direction)
        }
    }

    /// The migration's `down` as its applied row records it, rendered for the server this `up` was planned
    /// for (see [`RecordedDown`]); `None` for any other step, and when the `down` is not plain SQL or cannot
    /// be derived (the `up` still runs; nothing is recorded). Rendered when asked, when the row is written:
    /// planning a run does not pay for it.
    pub fn recorded_down(&self) -> Option<RecordedDown> {
        let server = self.server_for_down?;
        let down = Self::build(
            self.migration,
            Direction::Down,
            Source::Server(server),
            &mut |_, _| None,
        )
        .ok()?;
        RecordedDown::of(&down)
    }

    /// Whether the step sends none of its migration's SQL (a `--fake` step, or a migration without
    /// statements): the runner then writes only the bookkeeping, with no timeouts, journal or safeguard
    /// checks. The executor asks this rather than `fake`, which only reports and cleans up.
    pub fn sends_nothing(&self) -> bool {
        self.statements.is_empty()
    }

    /// The rendered statements, one or more per operation, before raw SQL is split.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The units sent to the server, one round trip each. Outside a transaction, raw SQL holding several
    /// statements is split: a multi-statement query would run as one implicit transaction, which
    /// `CREATE INDEX CONCURRENTLY` refuses.
    pub fn units(&self) -> Vec<Statement> {
        if self.transactional {
            return self.statements.clone();
        }
        self.statements
            .iter()
            .flat_map(|s| {
                if s.action.is_some() {
                    return vec![s.clone()];
                }
                split_statements(&s.sql)
                    .into_iter()
                    .enumerate()
                    .map(|(i, part)| Statement {
                        position: s.position,
                        op: s.op,
                        sql: part.sql.to_owned(),
                        action: None,
                        // A statement that starts a transaction of its own still does once split: its
                        // first part does (the engine groups the parts that follow with it).
                        new_transaction: s.new_transaction && i == 0,
                        safeguard: s.safeguard.clone(),
                        recorded_at: s.recorded_at,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Step<'_> {
    /// Shows each backfill's real primary key columns in its plan instead of `<primary key>`, read from the
    /// database as it is now (read-only). Where the table has no primary key, or does not exist yet (an
    /// earlier migration of the same run creates it), the placeholder stays with a line saying so.
    pub fn show_backfill_keys(&mut self, conn: &mut impl GenericClient) -> Result<(), Error> {
        for statement in &mut self.statements {
            let Some(Action::Backfill(spec) | Action::Queue(spec)) = &statement.action else {
                continue;
            };
            let table = spec.table().quoted();
            let lookup = lookup_key(conn, &table).map_err(Error::database(format!(
                "cannot read the primary key of {table} for the backfill's plan"
            )))?;
            let lines = match lookup {
                KeyLookup::Columns(columns) => spec.plan_sql(Some(&columns)),
                KeyLookup::NoPrimaryKey => {
                    let mut lines = spec.plan_sql(None);
                    lines.push(format!(
                        "-- {table} has no primary key, so this backfill will fail when it starts: add one in an earlier migration"
                    ));
                    lines
                }
                KeyLookup::NoTable => {
                    let mut lines = spec.plan_sql(None);
                    lines.push(format!(
                        "-- <primary key>: {table} does not exist in the database yet (a migration before this one creates it); its primary key is read when the backfill starts"
                    ));
                    lines
                }
            };
            statement.sql = lines.join("\n");
        }
        Ok(())
    }

    /// Shows what each `restore_previous` of a derived `down` will run, read from what the engine recorded
    /// when the `up` ran (read-only): the previous definition, or the drop when nothing existed, or why it
    /// cannot be restored.
    pub fn show_restores(
        &mut self,
        conn: &mut impl GenericClient,
        table: &MigrationsTable,
    ) -> Result<(), Error> {
        let migration = self.migration;
        let direction = self.direction;
        for statement in &mut self.statements {
            let Some(Action::Restore(restore)) = &statement.action else {
                continue;
            };
            let at = crate::safeguard::At {
                table,
                migration,
                direction,
                position: statement.position,
            };
            let mut lines = vec![format!(
                "-- restore_previous: {} as it was before operation #{} of the `up`, as recorded then:",
                restore.object.describe(),
                restore.up_position
            )];
            match crate::safeguard::restore_statements(conn, at, restore)? {
                Ok(sql) if sql.is_empty() => {
                    lines.push("--   (nothing to run: it is as it was)".to_owned())
                }
                Ok(sql) => lines.extend(
                    sql.iter()
                        .flat_map(|s| s.lines())
                        .map(|line| format!("--   {line}")),
                ),
                Err(why) => lines.push(format!("--   cannot be restored: {why}")),
            }
            statement.sql = lines.join("\n");
        }
        Ok(())
    }

    /// The statements of a transactional migration grouped into the transactions they run in: a statement
    /// marked [`Statement::new_transaction`] starts a new one (unless nothing came before it).
    pub fn segments(&self) -> Vec<Vec<Statement>> {
        let mut segments: Vec<Vec<Statement>> = vec![Vec::new()];
        for unit in self.units() {
            let current_is_empty = segments.last().is_none_or(Vec::is_empty);
            if unit.new_transaction && !current_is_empty {
                segments.push(Vec::new());
            }
            if let Some(current) = segments.last_mut() {
                current.push(unit);
            }
        }
        segments
    }
}

/// The SQL `up` runs for the repeatable migrations in `steps` (the new and changed ones, in name order): each
/// in a transaction of its own that also records its checksum in `<table>_repeat`.
pub fn repeatable_script(
    steps: &[Step<'_>],
    table: &MigrationsTable,
    timeouts: &Timeouts,
) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        let m = step.migration;
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "-- {} (repeatable, applied again when its file changes): {}\nBEGIN;",
            m.name(),
            m.display_path()
        );
        for sql in timeouts.set_sql(step.lock_timeout, true) {
            let _ = writeln!(out, "{sql};");
        }
        for unit in &step.statements {
            let sql = unit.sql.trim_end();
            let end = if sql.ends_with(';') { "" } else { ";" };
            let _ = writeln!(out, "{sql}{end}");
        }
        let _ = writeln!(
            out,
            "-- records the checksum: INSERT INTO {} (name, checksum, execution_ms) VALUES ('{}', '{}', ..) ON CONFLICT (name) DO UPDATE ..\nCOMMIT;",
            table.repeats(),
            m.name(),
            m.checksum()
        );
    }
    out
}

/// The exact SQL a run sends, for review (`sql`, `--dry-run`): transaction control, every statement, and the
/// bookkeeping with its bound values shown in a comment. A [`fake`](Step::fake) step shows its bookkeeping
/// only, which is all that `--fake` changes.
pub fn script(
    steps: &[Step<'_>],
    table: &MigrationsTable,
    timeouts: &Timeouts,
    single_transaction: bool,
) -> String {
    let mut out = String::new();
    if steps.is_empty() {
        out.push_str("-- nothing to run\n");
        return out;
    }
    if single_transaction {
        out.push_str("BEGIN;\n");
    }
    for (i, step) in steps.iter().enumerate() {
        if i > 0 || single_transaction {
            out.push('\n');
        }
        step_script(&mut out, step, table, timeouts, single_transaction);
    }
    if single_transaction {
        out.push_str("\nCOMMIT;\n");
    }
    out
}

/// One step of [`script`]: its header, its own transaction (unless the run has one for all), its statements
/// and its bookkeeping.
fn step_script(
    out: &mut String,
    step: &Step<'_>,
    table: &MigrationsTable,
    timeouts: &Timeouts,
    single_transaction: bool,
) {
    let m = step.migration;
    let _ = writeln!(
        out,
        "-- {} ({}): {}",
        m.name(),
        step.direction,
        m.display_path()
    );
    if let Some(reason) = step.phase_contract() {
        let _ = writeln!(
            out,
            "-- contract: {} (an expand-only `up` leaves it for after the rollout)",
            reason.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    let fake = step.fake;
    let own_transaction = step.transactional && !single_transaction;
    if fake {
        out.push_str(
            "-- faked: only the bookkeeping changes; none of the migration's statements run\n",
        );
    } else if !step.transactional {
        out.push_str("-- runs outside a transaction: each step commits on its own, recorded as it commits, so a stopped run is continued by the next\n");
    }
    if own_transaction {
        out.push_str("BEGIN;\n");
    }
    let in_transaction = step.transactional || single_transaction;
    if !fake {
        statements_script(out, step, timeouts, in_transaction, own_transaction);
    }
    match step.direction {
        Direction::Up => {
            let recorded = crate::history::PhaseAndDown::of(step);
            let down = match &recorded.down {
                Some(down) => format!(
                    "its down as rendered ({} statement(s)), $6 = {}",
                    down.statements.len(),
                    down.transactional
                ),
                None => "NULL (no down of plain SQL), $6 = NULL".to_owned(),
            };
            let _ = writeln!(
                out,
                "{}; -- $1 = {}, $2 = {}, $3 = run time in ms, $4 = {}, $5 = {down}",
                table.insert_sql(),
                migrate_dsl::literal(m.name()),
                migrate_dsl::literal(&m.checksum()),
                migrate_dsl::literal(recorded.phase),
            );
        }
        Direction::Down => {
            let _ = writeln!(
                out,
                "{}; -- $1 = {}",
                table.delete_sql(),
                migrate_dsl::literal(m.name())
            );
        }
    }
    if !in_transaction && !fake {
        for sql in timeouts.reset_sql(step.lock_timeout) {
            let _ = writeln!(out, "{sql};");
        }
    }
    if own_transaction {
        out.push_str("COMMIT;\n");
    }
}

/// The timeouts and statements of a step that is not faked, with the transaction breaks of a migration in
/// its own transaction, and a line saying why when it has no statement.
fn statements_script(
    out: &mut String,
    step: &Step<'_>,
    timeouts: &Timeouts,
    in_transaction: bool,
    own_transaction: bool,
) {
    for sql in timeouts.set_sql(step.lock_timeout, in_transaction) {
        let _ = writeln!(out, "{sql};");
    }
    let segments = if own_transaction {
        step.segments()
    } else {
        vec![step.units()]
    };
    if step.statements.is_empty() {
        // A valid, deliberate no-op (an empty `down` declares a forward-only migration): only the
        // bookkeeping changes.
        let what = match (step.direction, step.migration.down().is_some()) {
            (Direction::Up, _) => "the `up` is empty",
            (Direction::Down, true) => {
                "the written `down` is empty (a forward-only migration): reverting it only removes its bookkeeping row"
            }
            (Direction::Down, false) => "the derived `down` has nothing to undo",
        };
        let _ = writeln!(out, "-- no operations: {what}");
    }
    let units = segments.iter().enumerate().flat_map(|(i, segment)| {
        segment
            .iter()
            .enumerate()
            .map(move |(j, unit)| (i > 0 && j == 0, unit))
    });
    for (starts_transaction, unit) in units {
        if starts_transaction {
            out.push_str("COMMIT;\n-- a new transaction, so the locks taken above are not held while it runs\nBEGIN;\n");
            for sql in timeouts.set_sql(step.lock_timeout, true) {
                let _ = writeln!(out, "{sql};");
            }
        }
        if let Some(safeguard) = &unit.safeguard {
            let _ = writeln!(out, "-- {}", safeguard.describe());
        }
        let sql = unit.sql.trim_end();
        // Actions (data code, backfills) stand as comments: no terminator.
        let end = if sql.ends_with(';') || unit.action.is_some() {
            ""
        } else {
            ";"
        };
        let _ = writeln!(out, "{sql}{end}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use migrate_dsl::prelude::*;

    use super::*;
    use crate::migration::Definition;

    fn create(pgm: &mut MigrationBuilder) {
        pgm.create_table("t", [column("id", "int")]);
        pgm.add_constraint("t", "id_positive", Constraint::check("id > 0"))
            .not_valid();
        pgm.validate_constraint("t", "id_positive");
    }

    fn outside(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.lock_timeout(Duration::from_secs(2));
        pgm.sql("CREATE INDEX CONCURRENTLY i ON t (id); CREATE INDEX CONCURRENTLY j ON t (id)");
    }

    fn contract(pgm: &mut MigrationBuilder) {
        pgm.contract("the old app\n  still reads t");
        pgm.drop_table("old");
    }

    fn nothing(_: &mut MigrationBuilder) {}

    fn not_null_outside(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.set_not_null("t", "id");
    }

    static NOT_NULL_OUTSIDE: Migration = Migration::defined(&Definition {
        name: "20240101000004_not_null_outside",
        path: "migrations/20240101000004_not_null_outside.rs",
        source: "not_null_outside",
        up: not_null_outside,
        down: None,
    });

    /// Outside a transaction, the units the engine sends keep where a transaction of their own starts (a
    /// `VALIDATE` after the `NOT VALID` check): once split, they were all sent in one transaction, holding the
    /// check's lock through the scan.
    #[test]
    fn units_outside_a_transaction_keep_their_transaction_breaks() {
        let step = Step::for_server(&NOT_NULL_OUTSIDE, Direction::Up, 15).expect("plans");
        let starts: Vec<bool> = step.units().iter().map(|u| u.new_transaction).collect();
        assert_eq!(starts, [false, true, true, false]);
    }

    static CREATE: Migration = Migration::defined(&Definition {
        name: "20240101000001_create",
        path: "migrations/20240101000001_create.rs",
        source: "create",
        up: create,
        down: None,
    });
    static OUTSIDE: Migration = Migration::defined(&Definition {
        name: "20240101000002_outside",
        path: "migrations/20240101000002_outside.rs",
        source: "outside",
        up: outside,
        down: None,
    });
    static CONTRACT: Migration = Migration::defined(&Definition {
        name: "20240101000003_contract",
        path: "migrations/20240101000003_contract.rs",
        source: "contract",
        up: contract,
        down: Some(nothing),
    });

    fn step(m: &'static Migration, direction: Direction) -> Step<'static> {
        Step::for_server(m, direction, 15).expect("the test migration plans")
    }

    /// `out` with the bookkeeping statements and checksums as placeholders: `history` and `migration` own
    /// their text; what is pinned here is where `script` puts them.
    fn shown(out: String, table: &MigrationsTable) -> String {
        let mut out = out
            .replace(&table.insert_sql(), "[insert]")
            .replace(&table.delete_sql(), "[delete]");
        for m in [&CREATE, &OUTSIDE, &CONTRACT] {
            out = out.replace(&m.checksum(), "[checksum]");
        }
        out
    }

    fn timeouts() -> Timeouts {
        Timeouts {
            statement_timeout: Some(Duration::from_secs(60)),
            ..Timeouts::default()
        }
    }

    #[test]
    fn no_steps_say_so() {
        let out = script(&[], &MigrationsTable::default(), &timeouts(), false);
        assert_eq!(out, "-- nothing to run\n");
    }

    #[test]
    fn a_validate_commits_what_came_before_and_runs_in_a_transaction_of_its_own() {
        let create = step(&CREATE, Direction::Up);
        assert_eq!(
            create.segments().iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 1]
        );
        let table = MigrationsTable::default();
        insta::assert_snapshot!(shown(script(&[create], &table, &timeouts(), false), &table), @r#"
        -- 20240101000001_create (up): migrations/20240101000001_create.rs
        BEGIN;
        SET LOCAL lock_timeout = '500ms';
        SET LOCAL statement_timeout = '60000ms';
        CREATE TABLE "t" (
            "id" int
        );
        ALTER TABLE "t" ADD CONSTRAINT "id_positive" CHECK (id > 0) NOT VALID;
        COMMIT;
        -- a new transaction, so the locks taken above are not held while it runs
        BEGIN;
        SET LOCAL lock_timeout = '500ms';
        SET LOCAL statement_timeout = '60000ms';
        ALTER TABLE "t" VALIDATE CONSTRAINT "id_positive";
        [insert]; -- $1 = '20240101000001_create', $2 = '[checksum]', $3 = run time in ms, $4 = 'expand', $5 = its down as rendered (2 statement(s)), $6 = true
        COMMIT;
        "#);
    }

    #[test]
    fn outside_a_transaction_raw_sql_is_split_and_the_session_timeouts_are_reset() {
        let outside = step(&OUTSIDE, Direction::Up);
        assert!(!outside.transactional);
        assert_eq!(outside.statements().len(), 1);
        assert_eq!(outside.units().len(), 2, "one round trip per statement");
        let table = MigrationsTable::default();
        insta::assert_snapshot!(shown(script(&[outside], &table, &timeouts(), false), &table), @r#"
        -- 20240101000002_outside (up): migrations/20240101000002_outside.rs
        -- runs outside a transaction: each step commits on its own, recorded as it commits, so a stopped run is continued by the next
        SET lock_timeout = '2000ms';
        SET statement_timeout = '60000ms';
        CREATE INDEX CONCURRENTLY i ON t (id);
        CREATE INDEX CONCURRENTLY j ON t (id);
        [insert]; -- $1 = '20240101000002_outside', $2 = '[checksum]', $3 = run time in ms, $4 = 'expand', $5 = NULL (no down of plain SQL), $6 = NULL
        RESET lock_timeout;
        RESET statement_timeout;
        "#);
    }

    #[test]
    fn a_single_transaction_wraps_every_step_and_a_contract_says_why() {
        let steps = [step(&CREATE, Direction::Up), step(&CONTRACT, Direction::Up)];
        let table = MigrationsTable::default();
        insta::assert_snapshot!(shown(script(&steps, &table, &timeouts(), true), &table), @r#"
        BEGIN;

        -- 20240101000001_create (up): migrations/20240101000001_create.rs
        SET LOCAL lock_timeout = '500ms';
        SET LOCAL statement_timeout = '60000ms';
        CREATE TABLE "t" (
            "id" int
        );
        ALTER TABLE "t" ADD CONSTRAINT "id_positive" CHECK (id > 0) NOT VALID;
        ALTER TABLE "t" VALIDATE CONSTRAINT "id_positive";
        [insert]; -- $1 = '20240101000001_create', $2 = '[checksum]', $3 = run time in ms, $4 = 'expand', $5 = its down as rendered (2 statement(s)), $6 = true

        -- 20240101000003_contract (up): migrations/20240101000003_contract.rs
        -- contract: the old app still reads t (an expand-only `up` leaves it for after the rollout)
        SET LOCAL lock_timeout = '500ms';
        SET LOCAL statement_timeout = '60000ms';
        DROP TABLE "old";
        [insert]; -- $1 = '20240101000003_contract', $2 = '[checksum]', $3 = run time in ms, $4 = 'contract', $5 = its down as rendered (0 statement(s)), $6 = true

        COMMIT;
        "#);
    }

    #[test]
    fn a_fake_step_shows_its_bookkeeping_only() {
        let fake = step(&CREATE, Direction::Up).into_fake();
        assert!(fake.fake && fake.statements().is_empty());
        let table = MigrationsTable::default();
        insta::assert_snapshot!(shown(script(&[fake], &table, &timeouts(), false), &table), @r#"
        -- 20240101000001_create (up): migrations/20240101000001_create.rs
        -- faked: only the bookkeeping changes; none of the migration's statements run
        BEGIN;
        [insert]; -- $1 = '20240101000001_create', $2 = '[checksum]', $3 = run time in ms, $4 = 'expand', $5 = its down as rendered (2 statement(s)), $6 = true
        COMMIT;
        "#);
    }

    #[test]
    fn an_empty_written_down_says_it_only_removes_the_bookkeeping_row() {
        let down = step(&CONTRACT, Direction::Down);
        assert_eq!(down.contract, None, "a down is never a contract");
        let table = MigrationsTable::default();
        insta::assert_snapshot!(shown(script(&[down], &table, &timeouts(), false), &table), @r#"
        -- 20240101000003_contract (down): migrations/20240101000003_contract.rs
        BEGIN;
        SET LOCAL lock_timeout = '500ms';
        SET LOCAL statement_timeout = '60000ms';
        -- no operations: the written `down` is empty (a forward-only migration): reverting it only removes its bookkeeping row
        [delete]; -- $1 = '20240101000003_contract'
        COMMIT;
        "#);
    }

    #[test]
    fn a_repeatable_records_its_checksum_in_its_own_transaction() {
        let steps = [step(&CREATE, Direction::Up), step(&CONTRACT, Direction::Up)];
        let table = MigrationsTable::new("app", "migrations").expect("valid name");
        insta::assert_snapshot!(shown(repeatable_script(&steps[1..], &table, &Timeouts::default()), &table), @r#"
        -- 20240101000003_contract (repeatable, applied again when its file changes): migrations/20240101000003_contract.rs
        BEGIN;
        SET LOCAL lock_timeout = '500ms';
        DROP TABLE "old";
        -- records the checksum: INSERT INTO "app"."migrations_repeat" (name, checksum, execution_ms) VALUES ('20240101000003_contract', '[checksum]', ..) ON CONFLICT (name) DO UPDATE ..
        COMMIT;
        "#);
    }
}
