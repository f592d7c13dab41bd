//! `verify`: proves on a scratch database that every migration's `down` undoes its `up`.

use crate::stdio::{errln, outln};
use std::process::ExitCode;

use anyhow::{Context, Result};
use migrate_core::{Direction, DownTarget, Migrator, Registry, UpTarget};
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
    let mut client = scratch.target().connect(settings.connect_timeout)?;
    // A connection of its own for reading the schema, so the migrations' session settings never matter.
    let mut reader = scratch.target().connect(settings.connect_timeout)?;
    let migrator = Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone());
    let mut schema = || schema_file::text_of(&mut reader, &settings.table);
    outln!(
        "verifying {} migration(s) on a scratch database ({})",
        registry.migrations.len(),
        scratch.name()
    );
    let mut failures = 0;
    let mut skipped = 0;
    for m in registry.migrations.as_slice() {
        let before = schema()?;
        let step = |client: &mut Client, what: &str, run: &dyn Fn(&mut Client) -> Result<()>| {
            run(client).with_context(|| format!("{} failed during verify ({what})", m.name()))
        };
        let up = |c: &mut Client| -> Result<()> {
            migrator.run_up(c, &UpTarget::Count(1), &mut |_| {})?;
            Ok(())
        };
        step(&mut client, "up", &up)?;
        let after_up = schema()?;
        // A `down` that refuses does so before touching anything: the migration stays applied.
        match migrator.run_down(&mut client, &DownTarget::Count(1), &mut |_| {}) {
            Ok(_) => {}
            Err(e) => match irreversible(&e) {
                Some(why) => {
                    skipped += 1;
                    outln!("skip  {}: {why}; applied forward only", m.name());
                    continue;
                }
                None => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("{} failed during verify (down)", m.name())))
                }
            },
        }
        let after_down = schema()?;
        if after_down != before && forward_only(m) {
            // Its empty `down` undid nothing, as written: record it as applied again (nothing runs) and go on.
            migrator
                .clone()
                .fake(true)
                .run_up(&mut client, &UpTarget::Count(1), &mut |_| {})
                .with_context(|| {
                    format!("{} failed during verify (recording it again)", m.name())
                })?;
            skipped += 1;
            outln!(
                "skip  {}: its written `down` is empty (a forward-only migration), so reverting it leaves its \
                 `up`'s changes in place; applied forward only",
                m.name()
            );
            continue;
        }
        step(&mut client, "up again", &up)?;
        let after_redo = schema()?;
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        if after_down != before && same_but_column_order(&after_down, &before) {
            notes.push("its down restores every column, but not their order (PostgreSQL adds a column at the end)");
        } else if after_down != before {
            problems.push((
                "its down does not restore the schema before its up",
                "before up",
                "after down",
                diff(&before, &after_down),
            ));
        }
        if after_redo != after_up && same_but_column_order(&after_redo, &after_up) {
            notes.push("up after down gives the same schema with the columns in another order");
        } else if after_redo != after_up {
            problems.push((
                "up after down gives another schema than the first up",
                "after the first up",
                "after up again",
                diff(&after_up, &after_redo),
            ));
        }
        if problems.is_empty() {
            outln!("ok    {}", m.name());
            for note in notes {
                outln!("  note: {note}");
            }
            continue;
        }
        failures += 1;
        outln!("FAIL  {} ({})", m.name(), m.display_path());
        for (what, from, to, diff) in problems {
            outln!("  {what}:\n  --- {from}\n  +++ {to}");
            for line in diff.lines() {
                outln!("  {line}");
            }
        }
    }
    // Repeatable migrations: applied after every migration, then each again on top of itself, as the next
    // change of its file will be; the second application must run and leave the same schema.
    if !registry.repeatables.is_empty() {
        let migrator = migrator
            .clone()
            .repeatables(registry.repeatables.as_slice());
        migrator
            .run_up(&mut client, &UpTarget::All, &mut |_| {})
            .context(
                "a repeatable migration failed during verify (applied after the migrations)",
            )?;
        let first = schema()?;
        let again = migrator.run_repeatables_again(&mut client, &mut |_| {});
        match again {
            Ok(_) => {
                let second = schema()?;
                if second == first {
                    outln!(
                        "ok    {} repeatable migration(s): applied again on top of themselves, same schema",
                        registry.repeatables.len()
                    );
                } else {
                    failures += 1;
                    outln!(
                        "FAIL  repeatable migrations: applied again on top of themselves, they give another schema:\n  --- after the first application\n  +++ after applying them again"
                    );
                    for line in diff(&first, &second).lines() {
                        outln!("  {line}");
                    }
                }
            }
            Err(e) => {
                failures += 1;
                outln!(
                    "FAIL  repeatable migrations cannot be applied again on top of themselves (as the next change of \
                     a file will be): {e}"
                );
            }
        }
    }
    drop(client);
    drop(reader);
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
fn forward_only(m: &migrate_core::Migration) -> bool {
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
