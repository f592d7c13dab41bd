//! `verify`: proves on a scratch database that every migration's `down` undoes its `up`.

use crate::stdio::{errln, outln};
use std::process::ExitCode;

use anyhow::{Context, Result};
use migrate_core::{
    Direction, DownTarget, Migration, MigrationsTable, Migrator, Registry, UpTarget,
};
use migrate_dsl::DslError;
use postgres::Client;
use similar::TextDiff;

use crate::connect::Target;
use crate::schema_file;
use crate::scratch::Scratch;
use crate::settings::Settings;

/// Applies every migration one by one on a new database; after each, runs its `down` and compares the
/// schema with the one before its `up`, then runs `up` again and compares with the first `up`.
///
/// A migration whose `down` cannot run by design is skipped, and stays applied (forward only) so that the ones
/// after it are checked on the schema they expect: a `down` that refuses (`pgm.irreversible(..)`, a squashed
/// baseline), a derived `down` that cannot be derived, and a written, empty `down` (a forward-only
/// migration) that leaves the schema of its `up` in place. Each skip is listed with its reason; only a real
/// difference fails.
pub fn verify(settings: &Settings, registry: &Registry, db: &Target) -> Result<ExitCode> {
    let scratch = Scratch::create(db, settings, "verify", "verify")?;
    let mut verifier = Verifier {
        client: scratch.target().connect(settings.connect_timeout)?,
        // A connection of its own for reading the schema, so the migrations' session settings never matter.
        reader: scratch.target().connect(settings.connect_timeout)?,
        table: &settings.table,
        migrator: Migrator::new(registry.migrations.as_slice())
            .table(settings.table.clone())
            .timeouts(settings.timeouts.clone())
            .finish_jobs(true),
    };
    outln!(
        "verifying {} migration(s) on a scratch database ({})",
        registry.migrations.len(),
        scratch.name()
    );
    let mut failures = 0;
    let mut skipped = 0;
    for m in registry.migrations.as_slice() {
        match verifier.round_trip(m)? {
            Verdict::Ok => {}
            Verdict::Skipped => skipped += 1,
            Verdict::Failed => failures += 1,
        }
    }
    if !registry.repeatables.is_empty()
        && verifier.repeatables_again(registry.repeatables.as_slice())? == Verdict::Failed
    {
        failures += 1;
    }
    drop(verifier);
    drop(scratch);
    let checked = registry.migrations.len() - skipped;
    if failures > 0 {
        errln!("error: {failures} migration(s) failed verification");
        return Ok(ExitCode::FAILURE);
    }
    match skipped {
        0 => outln!("every down undoes its up"),
        _ => outln!(
            "every down undoes its up: {checked} migration(s) checked, {skipped} skipped (listed above: their \
             `down` does not run by design)"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// How one migration (or the repeatable ones together) came through verification; already printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Skipped,
    Failed,
}

/// The scratch database's sessions and the migrator that `verify` runs on them, held together so that each
/// step of a migration's round trip is a method instead of a closure over all of them.
struct Verifier<'a> {
    client: Client,
    reader: Client,
    table: &'a MigrationsTable,
    migrator: Migrator<'a>,
}

impl<'a> Verifier<'a> {
    /// The scratch database's schema now, read on the reader's session.
    fn schema(&mut self) -> Result<String> {
        schema_file::text_of(&mut self.reader, self.table)
    }

    /// Applies the next migration; `what` names the step in the error.
    fn up_one(&mut self, m: &Migration, what: &str) -> Result<()> {
        match self
            .migrator
            .run_up(&mut self.client, &UpTarget::Count(1), &mut |_| {})
        {
            Ok(_) => Ok(()),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("{} failed during verify ({what})", m.name()))),
        }
    }

    /// One migration's `up`, `down` and `up` again, with the schema read before and after each; prints the
    /// result.
    fn round_trip(&mut self, m: &Migration) -> Result<Verdict> {
        let before = self.schema()?;
        self.up_one(m, "up")?;
        let after_up = self.schema()?;
        // A `down` that refuses does so before touching anything: the migration stays applied.
        match self
            .migrator
            .run_down(&mut self.client, &DownTarget::Count(1), &mut |_| {})
        {
            Ok(_) => {}
            Err(e) => match irreversible(&e) {
                Some(why) => {
                    outln!("skip  {}: {why}; applied forward only", m.name());
                    return Ok(Verdict::Skipped);
                }
                None => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("{} failed during verify (down)", m.name())))
                }
            },
        }
        let after_down = self.schema()?;
        if after_down != before && forward_only(m) {
            // Its empty `down` undid nothing, as written: record it as applied again (nothing runs) and go on.
            self.record_again(m)?;
            outln!(
                "skip  {}: its written `down` is empty (a forward-only migration), so reverting it leaves its \
                 `up`'s changes in place; applied forward only",
                m.name()
            );
            return Ok(Verdict::Skipped);
        }
        self.up_one(m, "up again")?;
        let after_redo = self.schema()?;
        let schemas = RoundTrip {
            before,
            after_up,
            after_down,
            after_redo,
        };
        let (problems, notes) = schemas.findings();
        Ok(print_findings(m, problems, notes))
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
    fn repeatables_again(&mut self, repeatables: &'a [Migration]) -> Result<Verdict> {
        let migrator = self.migrator.clone().repeatables(repeatables);
        migrator
            .run_up(&mut self.client, &UpTarget::All, &mut |_| {})
            .context(
                "a repeatable migration failed during verify (applied after the migrations)",
            )?;
        let first = self.schema()?;
        let again = migrator.run_repeatables_again(&mut self.client, &mut |_| {});
        match again {
            Ok(_) => {
                let second = self.schema()?;
                if second == first {
                    outln!(
                        "ok    {} repeatable migration(s): applied again on top of themselves, same schema",
                        repeatables.len()
                    );
                    Ok(Verdict::Ok)
                } else {
                    outln!(
                        "FAIL  repeatable migrations: applied again on top of themselves, they give another schema:\n  --- after the first application\n  +++ after applying them again"
                    );
                    for line in diff(&first, &second).lines() {
                        outln!("  {line}");
                    }
                    Ok(Verdict::Failed)
                }
            }
            Err(e) => {
                outln!(
                    "FAIL  repeatable migrations cannot be applied again on top of themselves (as the next change of \
                     a file will be): {e}"
                );
                Ok(Verdict::Failed)
            }
        }
    }
}

/// The schemas one migration's round trip went through.
struct RoundTrip {
    before: String,
    after_up: String,
    after_down: String,
    after_redo: String,
}

/// A difference that fails verification: what it means, the labels of the two schemas, and their diff.
type Problem = (&'static str, &'static str, &'static str, String);

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
        if after_down != before && same_but_column_order(after_down, before) {
            notes.push("its down restores every column, but not their order (PostgreSQL adds a column at the end)");
        } else if after_down != before {
            problems.push((
                "its down does not restore the schema before its up",
                "before up",
                "after down",
                diff(before, after_down),
            ));
        }
        if after_redo != after_up && same_but_column_order(after_redo, after_up) {
            notes.push("up after down gives the same schema with the columns in another order");
        } else if after_redo != after_up {
            problems.push((
                "up after down gives another schema than the first up",
                "after the first up",
                "after up again",
                diff(after_up, after_redo),
            ));
        }
        (problems, notes)
    }
}

/// `ok` with the notes, or `FAIL` with each problem's diff.
fn print_findings(m: &Migration, problems: Vec<Problem>, notes: Vec<&str>) -> Verdict {
    if problems.is_empty() {
        outln!("ok    {}", m.name());
        for note in notes {
            outln!("  note: {note}");
        }
        return Verdict::Ok;
    }
    outln!("FAIL  {} ({})", m.name(), m.display_path());
    for (what, from, to, diff) in problems {
        outln!("  {what}:\n  --- {from}\n  +++ {to}");
        for line in diff.lines() {
            outln!("  {line}");
        }
    }
    Verdict::Failed
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
