//! Proving on a scratch database that every migration's `down` undoes its `up`: what `migrate verify` prints
//! and [`crate::testing::verify_with_data`] returns.
//!
//! Each migration is applied on its own, then its `down` runs and the schema is compared with the one before
//! its `up`; then it is applied again and compared with the first `up`. With generated rows
//! ([`Generation`]), each empty table is filled before the migration, the rows' fingerprints
//! ([`migrate_core::rows::Snapshot`]) are taken before the `up`, after it and after the `down`, and what the
//! `down` did not give back is a problem; an `up` that fails on the rows is one too, with the rows at fault.
//!
//! A migration whose `down` cannot run by design is skipped, and stays applied (forward only) so that the ones
//! after it are checked on the schema they expect: a `down` that refuses (`pgm.irreversible(..)`, a squashed
//! baseline), a derived `down` that cannot be derived, and a written, empty `down` (a forward-only migration)
//! that leaves the schema of its `up` in place. Each skip says why; only a real difference fails.

use std::fmt;

use anyhow::{Context, Result};
use migrate_core::rows::{self, Copies, DataFinding, Generation, Snapshot};
use migrate_core::{
    Direction, DownTarget, Migration, MigrationsTable, Migrator, Registry, UpTarget,
};
use migrate_dsl::DslError;
use postgres::Client;
use serde::Serialize;
use similar::TextDiff;

use crate::connect::Target;
use crate::schema_file;
use crate::scratch::Scratch;
use crate::settings::Settings;

/// The result of a verification, migration by migration.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Verification {
    /// The rows the tables were filled with, when they were.
    pub with_data: Option<DataSettings>,
    pub migrations: Vec<Checked>,
    /// The repeatable migrations, applied again on top of themselves, when there are any.
    pub repeatables: Option<Checked>,
    /// Migrations checked (not skipped).
    pub checked: usize,
    pub skipped: usize,
    /// Migrations (and the repeatable ones together) that failed.
    pub failed: usize,
}

impl Verification {
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.failed == 0
    }

    /// Panics, with every finding, when something failed: for a test.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "verification failed:\n{self}");
    }
}

impl fmt::Display for Verification {
    /// What `migrate verify` prints for each migration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for checked in self.migrations.iter().chain(&self.repeatables) {
            write!(f, "{checked}")?;
        }
        Ok(())
    }
}

/// The rows of a verification with data.
#[derive(Debug, Clone, Serialize)]
pub struct DataSettings {
    pub rows: u64,
    pub per_table: std::collections::BTreeMap<String, u64>,
    pub seed: u64,
}

/// How one migration (or the repeatable ones together) came through.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Checked {
    /// The migration's name, or `repeatable migrations`.
    pub name: String,
    /// Its file, as shown in messages.
    pub file: String,
    pub verdict: Verdict,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub problems: Vec<Problem>,
    pub notes: Vec<String>,
    /// With data: the tables filled before the migration, and those left empty with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<rows::Seeding>,
    /// The repeatable migrations' count (for `repeatable migrations` only).
    #[serde(skip)]
    repeatables: Option<usize>,
}

/// A migration's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Skipped,
    Failed,
}

/// What fails a migration.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// `schema_not_restored`, `schema_differs_after_redo`, `up_fails_on_rows`, `up_again_fails_on_rows`,
    /// `repeatables_differ`, `repeatables_fail`, or the data finding's kind (`values_lost`,
    /// `values_changed`, `rows_not_restored`).
    pub kind: String,
    pub message: String,
    /// The two schemas' difference, unified, with the labels of each side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<SchemaDiff>,
    /// The rows that made a statement fail, when the server's error says which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_at_fault: Option<String>,
    /// The data finding, with its table and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<DataFinding>,
}

/// Two schemas' difference.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaDiff {
    pub from: &'static str,
    pub to: &'static str,
    pub lines: String,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for table in self.rows.iter().flat_map(|r| &r.skipped) {
            writeln!(
                f,
                "note  {}: table {} left empty: {}",
                self.name, table.table, table.reason
            )?;
        }
        match (self.verdict, self.repeatables) {
            (Verdict::Skipped, _) => {
                let reason = self.skip_reason.as_deref().unwrap_or_default();
                return writeln!(f, "skip  {}: {reason}; applied forward only", self.name);
            }
            (Verdict::Ok, Some(count)) => writeln!(
                f,
                "ok    {count} repeatable migration(s): applied again on top of themselves, same schema"
            )?,
            (Verdict::Ok, None) => writeln!(f, "ok    {}", self.name)?,
            (Verdict::Failed, Some(_)) => {}
            (Verdict::Failed, None) => writeln!(f, "FAIL  {} ({})", self.name, self.file)?,
        }
        for problem in &self.problems {
            match (&problem.diff, self.repeatables) {
                (Some(diff), Some(_)) => writeln!(
                    f,
                    "FAIL  {}:\n  --- {}\n  +++ {}",
                    problem.message, diff.from, diff.to
                )?,
                (None, Some(_)) => writeln!(f, "FAIL  {}", problem.message)?,
                (Some(diff), None) => writeln!(
                    f,
                    "  {}:\n  --- {}\n  +++ {}",
                    problem.message, diff.from, diff.to
                )?,
                (None, None) => writeln!(f, "  {}", problem.message.replace('\n', "\n  "))?,
            }
            if let Some(rows) = &problem.rows_at_fault {
                writeln!(f, "  rows at fault: {rows}")?;
            }
            for line in problem.diff.iter().flat_map(|d| d.lines.lines()) {
                writeln!(f, "  {line}")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        Ok(())
    }
}

/// What a verification tells as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// The scratch database is made.
    Started { scratch: &'a str },
    /// A migration (or the repeatable ones together) is checked.
    Checked(&'a Checked),
}

/// Verifies every migration of `registry` on a scratch database made next to `admin`'s, filling the tables
/// with rows first when `data` is given; `progress` sees each migration's result as it comes.
///
/// # Errors
///
/// The scratch database cannot be made or reached, or a migration fails in a way that is not a finding
/// (its `up` fails on empty tables, its `down` fails).
pub fn verify(
    settings: &Settings,
    registry: &Registry,
    admin: &Target,
    data: Option<&Generation>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Verification> {
    let scratch = Scratch::create(admin, settings, "verify", "verify")?;
    progress(Progress::Started {
        scratch: scratch.name(),
    });
    let mut verifier = Verifier {
        client: scratch.target().connect(settings.connect_timeout)?,
        // A connection of its own for reading the schema and the rows, so the migrations' session settings
        // never matter.
        reader: scratch.target().connect(settings.connect_timeout)?,
        table: &settings.table,
        migrator: Migrator::new(registry.migrations.as_slice())
            .table(settings.table.clone())
            .timeouts(settings.timeouts.clone())
            .finish_jobs(true),
        data,
        copies: None,
    };
    let mut verification = Verification {
        with_data: data.map(|g| DataSettings {
            rows: g.rows,
            per_table: g.per_table.clone(),
            seed: g.seed,
        }),
        migrations: Vec::new(),
        repeatables: None,
        checked: 0,
        skipped: 0,
        failed: 0,
    };
    for m in registry.migrations.as_slice() {
        let checked = verifier.round_trip(m)?;
        progress(Progress::Checked(&checked));
        match checked.verdict {
            Verdict::Ok => verification.checked += 1,
            Verdict::Skipped => verification.skipped += 1,
            Verdict::Failed => {
                verification.checked += 1;
                verification.failed += 1;
            }
        }
        verification.migrations.push(checked);
    }
    if !registry.repeatables.is_empty() {
        let checked = verifier.repeatables_again(registry.repeatables.as_slice())?;
        progress(Progress::Checked(&checked));
        if checked.verdict == Verdict::Failed {
            verification.failed += 1;
        }
        verification.repeatables = Some(checked);
    }
    drop(verifier);
    drop(scratch);
    Ok(verification)
}

/// The scratch database's sessions and the migrator that `verify` runs on them, held together so that each
/// step of a migration's round trip is a method instead of a closure over all of them.
struct Verifier<'a> {
    client: Client,
    reader: Client,
    table: &'a MigrationsTable,
    migrator: Migrator<'a>,
    data: Option<&'a Generation>,
    /// With data: the rows as they were before the migration being checked, to show rows a finding is
    /// about.
    copies: Option<Copies>,
}

/// A migration's result as it is built.
fn checked(m: &Migration, verdict: Verdict) -> Checked {
    Checked {
        name: m.name().to_owned(),
        file: m.display_path(),
        verdict,
        skip_reason: None,
        problems: Vec::new(),
        notes: Vec::new(),
        rows: None,
        repeatables: None,
    }
}

/// A problem that is a message alone.
fn problem(kind: &str, message: String) -> Problem {
    Problem {
        kind: kind.to_owned(),
        message,
        diff: None,
        rows_at_fault: None,
        finding: None,
    }
}

impl<'a> Verifier<'a> {
    /// The scratch database's schema now, read on the reader's session.
    fn schema(&mut self) -> Result<String> {
        schema_file::text_of(&mut self.reader, self.table)
    }

    /// With data: copies of the rows as they are now (the ones of the migration before dropped).
    fn copy_rows(&mut self) -> Result<()> {
        if let Some(copies) = self.copies.take() {
            copies.drop_all(&mut self.reader)?;
        }
        if self.data.is_some() {
            self.copies = Some(Copies::take(&mut self.reader, self.table)?);
        }
        Ok(())
    }

    /// The rows' fingerprints now, when verifying with data.
    fn rows(&mut self) -> Result<Option<Snapshot>> {
        match self.data {
            None => Ok(None),
            Some(_) => Ok(Some(Snapshot::take(&mut self.reader, self.table)?)),
        }
    }

    /// Applies the next migration.
    fn up_one(&mut self) -> Result<(), migrate_core::Error> {
        self.migrator
            .run_up(&mut self.client, &UpTarget::Count(1), &mut |_| {})
            .map(|_| ())
    }

    /// Applies the next migration; with data, a failure is a problem (with the rows at fault) and the
    /// migration is applied again on emptied tables, so that the ones after it are still checked. `what`
    /// names the step in the error.
    fn up_or_problem(
        &mut self,
        m: &Migration,
        what: &str,
        kind: &str,
        result: &mut Checked,
    ) -> Result<bool> {
        let error = match self.up_one() {
            Ok(()) => return Ok(true),
            Err(e) if self.data.is_none() => {
                return Err(anyhow::Error::new(e)
                    .context(format!("{} failed during verify ({what})", m.name())))
            }
            Err(e) => e,
        };
        let mut failed = problem(
            kind,
            format!("its {what} fails on the generated rows: {error}"),
        );
        failed.rows_at_fault = rows::rows_at_fault(&mut self.reader, &error);
        result.problems.push(failed);
        result.verdict = Verdict::Failed;
        rows::empty_all(&mut self.reader, self.table)?;
        match self.up_one() {
            Ok(()) => {
                result.notes.push(format!(
                    "applied again on empty tables to go on ({what}); the rows are generated again for the \
                     next migration"
                ));
                Ok(false)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "{} failed during verify ({what}), on the generated rows and again on empty tables",
                m.name()
            ))),
        }
    }

    /// One migration's `up`, `down` and `up` again, with the schema (and the rows) read before and after
    /// each.
    fn round_trip(&mut self, m: &Migration) -> Result<Checked> {
        let mut result = checked(m, Verdict::Ok);
        if let Some(generation) = self.data {
            result.rows = Some(rows::fill_empty(&mut self.reader, self.table, generation)?);
        }
        let before = self.schema()?;
        let rows_before = self.rows()?;
        self.copy_rows()?;
        let on_rows = self.up_or_problem(m, "up", "up_fails_on_rows", &mut result)?;
        let after_up = self.schema()?;
        let rows_after_up = self.rows()?;
        // A `down` that refuses does so before touching anything: the migration stays applied.
        if let Err(e) = self
            .migrator
            .run_down(&mut self.client, &DownTarget::Count(1), &mut |_| {})
        {
            return match irreversible(&e) {
                Some(why) if result.verdict == Verdict::Ok => {
                    result.verdict = Verdict::Skipped;
                    result.skip_reason = Some(why);
                    Ok(result)
                }
                // Its `up` failed on the rows already: that stays the finding.
                Some(_) => Ok(result),
                None => Err(anyhow::Error::new(e)
                    .context(format!("{} failed during verify (down)", m.name()))),
            };
        }
        let after_down = self.schema()?;
        if after_down != before && forward_only(m) {
            // Its empty `down` undid nothing, as written: record it as applied again (nothing runs) and go on.
            self.record_again(m)?;
            if result.verdict == Verdict::Ok {
                result.verdict = Verdict::Skipped;
                result.skip_reason = Some(
                    "its written `down` is empty (a forward-only migration), so reverting it leaves its `up`'s \
                     changes in place"
                        .to_owned(),
                );
            }
            return Ok(result);
        }
        // What the down did not give back, with example rows read now, before the up runs again.
        let mut data_problems = Vec::new();
        let mut data_notes = Vec::new();
        if let (true, Some(b), Some(u), Some(d)) =
            (on_rows, rows_before, rows_after_up, self.rows()?)
        {
            for finding in rows::compare(&b, &u, &d) {
                if finding.is_problem() {
                    let mut p = problem(kind_of(&finding), finding.to_string());
                    p.rows_at_fault = self
                        .copies
                        .as_ref()
                        .and_then(|copies| copies.example(&mut self.reader, &finding));
                    p.finding = Some(finding);
                    data_problems.push(p);
                } else {
                    data_notes.push(finding.to_string());
                }
            }
        }
        self.up_or_problem(m, "up again", "up_again_fails_on_rows", &mut result)?;
        let after_redo = self.schema()?;
        let schemas = RoundTrip {
            before,
            after_up,
            after_down,
            after_redo,
        };
        let (problems, notes) = schemas.findings();
        result.problems.extend(problems);
        result.notes.extend(notes.into_iter().map(str::to_owned));
        result.problems.extend(data_problems);
        result.notes.extend(data_notes);
        if !result.problems.is_empty() {
            result.verdict = Verdict::Failed;
        }
        Ok(result)
    }

    /// Records the reverted migration as applied again, without running anything.
    fn record_again(&mut self, m: &Migration) -> Result<()> {
        self.migrator
            .clone()
            .fake(true)
            .run_up(&mut self.client, &UpTarget::Count(1), &mut |_| {})
            .with_context(|| format!("{} failed during verify (recording it again)", m.name()))?;
        Ok(())
    }

    /// Repeatable migrations: applied after every migration, then each again on top of itself, as the next
    /// change of its file will be; the second application must run and leave the same schema.
    fn repeatables_again(&mut self, repeatables: &'a [Migration]) -> Result<Checked> {
        let migrator = self.migrator.clone().repeatables(repeatables);
        migrator
            .run_up(&mut self.client, &UpTarget::All, &mut |_| {})
            .context(
                "a repeatable migration failed during verify (applied after the migrations)",
            )?;
        let mut result = Checked {
            name: "repeatable migrations".to_owned(),
            file: String::new(),
            verdict: Verdict::Ok,
            skip_reason: None,
            problems: Vec::new(),
            notes: Vec::new(),
            rows: None,
            repeatables: Some(repeatables.len()),
        };
        let first = self.schema()?;
        match migrator.run_repeatables_again(&mut self.client, &mut |_| {}) {
            Ok(_) => {
                let second = self.schema()?;
                if second != first {
                    let mut p = problem(
                        "repeatables_differ",
                        "repeatable migrations: applied again on top of themselves, they give another schema"
                            .to_owned(),
                    );
                    p.diff = Some(SchemaDiff {
                        from: "after the first application",
                        to: "after applying them again",
                        lines: diff(&first, &second),
                    });
                    result.problems.push(p);
                }
            }
            Err(e) => result.problems.push(problem(
                "repeatables_fail",
                format!(
                    "repeatable migrations cannot be applied again on top of themselves (as the next change of \
                     a file will be): {e}"
                ),
            )),
        }
        if !result.problems.is_empty() {
            result.verdict = Verdict::Failed;
        }
        Ok(result)
    }
}

/// A data finding's kind, as its JSON names it.
fn kind_of(finding: &DataFinding) -> &'static str {
    match finding {
        DataFinding::RowsNotRestored { .. } => "rows_not_restored",
        DataFinding::ValuesLost { .. } => "values_lost",
        DataFinding::ValuesChanged { .. } => "values_changed",
        _ => "data",
    }
}

/// The schemas one migration's round trip went through.
struct RoundTrip {
    before: String,
    after_up: String,
    after_down: String,
    after_redo: String,
}

impl RoundTrip {
    /// The differences that fail the migration, and those let through with a note (column order only).
    fn findings(&self) -> (Vec<Problem>, Vec<&'static str>) {
        let RoundTrip {
            before,
            after_up,
            after_down,
            after_redo,
        } = self;
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let mut schema_problem = |kind: &str, message: &str, from, to, lines| {
            let mut p = problem(kind, message.to_owned());
            p.diff = Some(SchemaDiff { from, to, lines });
            problems.push(p);
        };
        if after_down != before && same_but_column_order(after_down, before) {
            notes.push("its down restores every column, but not their order (PostgreSQL adds a column at the end)");
        } else if after_down != before {
            schema_problem(
                "schema_not_restored",
                "its down does not restore the schema before its up",
                "before up",
                "after down",
                diff(before, after_down),
            );
        }
        if after_redo != after_up && same_but_column_order(after_redo, after_up) {
            notes.push("up after down gives the same schema with the columns in another order");
        } else if after_redo != after_up {
            schema_problem(
                "schema_differs_after_redo",
                "up after down gives another schema than the first up",
                "after the first up",
                "after up again",
                diff(after_up, after_redo),
            );
        }
        (problems, notes)
    }
}

/// Why a `down` that refused before touching the database cannot be verified, when it refused by design: the
/// migration declares it irreversible, or its derived `down` has no reverse for one of its operations.
fn irreversible(e: &migrate_core::Error) -> Option<String> {
    let migrate_core::Error::Invalid { error, .. } = e else {
        return None;
    };
    match error {
        DslError::Refused { reason, .. } => Some(format!("its `down` refuses: {reason}")),
        DslError::Irreversible { .. } => Some(format!("its derived `down` cannot run: {error}")),
        _ => None,
    }
}

/// Whether the migration has a written `down` that records nothing: it declares itself forward-only.
fn forward_only(m: &Migration) -> bool {
    m.down().is_some()
        && m.build(Direction::Down)
            .is_ok_and(|pgm| pgm.operations().is_empty())
}

/// Whether two schemas differ only in the order of columns within `CREATE TABLE` statements: a `down` that
/// re-adds a dropped column cannot put it back in its old position, and that is not worth failing on.
fn same_but_column_order(a: &str, b: &str) -> bool {
    normalize_column_order(a) == normalize_column_order(b)
}

/// The schema with each object's run of `column` lines sorted.
fn normalize_column_order(schema: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut columns: Vec<&str> = Vec::new();
    for line in schema.lines() {
        if line.starts_with("  column ") {
            columns.push(line);
            continue;
        }
        columns.sort_unstable();
        out.append(&mut columns);
        out.push(line);
    }
    columns.sort_unstable();
    out.append(&mut columns);
    out.join("\n")
}

/// The changed lines with two lines of context, unified-diff style.
fn diff(a: &str, b: &str) -> String {
    TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(2)
        .to_string()
        .lines()
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::same_but_column_order;

    #[test]
    fn column_order_alone_is_not_a_difference() {
        let a = "table public.t\n  column a integer\n  column b text\n  constraint t_pkey PRIMARY KEY (a)\n";
        let b = "table public.t\n  column b text\n  column a integer\n  constraint t_pkey PRIMARY KEY (a)\n";
        assert!(same_but_column_order(a, b));
        let c = "table public.t\n  column b text\n  column a bigint\n  constraint t_pkey PRIMARY KEY (a)\n";
        assert!(!same_but_column_order(a, c));
    }
}
