//! `verify`: proves on a scratch database that every migration's `down` undoes its `up`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use migrate_core::{DownTarget, Migrator, Registry, UpTarget};
use postgres::Client;
use similar::TextDiff;

use crate::connect::Target;
use crate::schema_file;
use crate::scratch::Scratch;
use crate::settings::Settings;

/// Applies every migration one by one on a new database; after each, runs its `down` and compares the
/// schema with the one before its `up`, then runs `up` again and compares with the first `up`.
pub fn verify(settings: &Settings, registry: &Registry, db: &Target) -> Result<ExitCode> {
    let scratch = Scratch::create(db, settings, "verify", "verify")?;
    let mut client = scratch.target().connect(settings.connect_timeout)?;
    // A connection of its own for reading the schema, so the migrations' session settings never matter.
    let mut reader = scratch.target().connect(settings.connect_timeout)?;
    let migrator = Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone());
    let mut schema = || schema_file::text_of(&mut reader, &settings.table);
    println!(
        "verifying {} migration(s) on a scratch database ({})",
        registry.migrations.len(),
        scratch.name()
    );
    let mut failures = 0;
    for m in registry.migrations.as_slice() {
        let before = schema()?;
        let step = |client: &mut Client, what: &str, run: &dyn Fn(&mut Client) -> Result<()>| {
            run(client).with_context(|| format!("{} failed during verify ({what})", m.name()))
        };
        step(&mut client, "up", &|c| {
            migrator.run_up(c, &UpTarget::Count(1), &mut |_| {})?;
            Ok(())
        })?;
        let after_up = schema()?;
        step(&mut client, "down", &|c| {
            migrator.run_down(c, &DownTarget::Count(1), &mut |_| {})?;
            Ok(())
        })?;
        let after_down = schema()?;
        step(&mut client, "up again", &|c| {
            migrator.run_up(c, &UpTarget::Count(1), &mut |_| {})?;
            Ok(())
        })?;
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
            println!("ok    {}", m.name());
            for note in notes {
                println!("  note: {note}");
            }
            continue;
        }
        failures += 1;
        println!("FAIL  {} ({})", m.name(), m.display_path());
        for (what, from, to, diff) in problems {
            println!("  {what}:\n  --- {from}\n  +++ {to}");
            for line in diff.lines() {
                println!("  {line}");
            }
        }
    }
    drop(client);
    drop(reader);
    drop(scratch);
    if failures > 0 {
        eprintln!("error: {failures} migration(s) failed verification");
        return Ok(ExitCode::FAILURE);
    }
    println!("every down undoes its up");
    Ok(ExitCode::SUCCESS)
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
