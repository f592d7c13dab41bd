//! `verify`: proves on a scratch database that every migration's `down` undoes its `up` (see
//! [`crate::verification`]); with `--with-data`, on generated rows.

use crate::stdio::{errln, outln};
use std::process::ExitCode;

use anyhow::Result;
use migrate_core::rows::Generation;
use migrate_core::Registry;

use crate::args::VerifyArgs;
use crate::connect::Target;
use crate::settings::Settings;
use crate::verification::{self, Progress, Verification};

/// Runs the verification and prints each migration's result as it comes (or, with `--json`, the whole
/// result at the end); exit status 1 when one failed.
pub fn verify(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    args: &VerifyArgs,
) -> Result<ExitCode> {
    let generation = args.with_data.then(|| generation(args, settings));
    let rows = generation.as_ref().map(describe).unwrap_or_default();
    let verification = verification::verify(
        settings,
        registry,
        db,
        generation.as_ref(),
        &mut |progress| match progress {
            _ if args.json => {}
            Progress::Started { scratch } => outln!(
                "verifying {} migration(s) on a scratch database ({scratch}){rows}",
                registry.migrations.len(),
            ),
            Progress::Checked(checked) => crate::stdio::write_out(format_args!("{checked}")),
        },
    )?;
    if let Some(generation) = &generation {
        unmatched_counts(generation, &verification);
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&verification)?);
    } else {
        summary(&verification);
    }
    Ok(if verification.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The rows asked for: `--rows` (N for every table, TABLE=N for one), else `[verify]` of `migrate.toml`, else
/// [`Generation::default`]'s; `--seed`, else the file's, else the default's. The counts are in range: the flag's
/// parser and the file's check ([`crate::config`]) hold them to the same one.
fn generation(args: &VerifyArgs, settings: &Settings) -> Generation {
    let file = settings.config.file.verify.clone().unwrap_or_default();
    let default = Generation::default();
    let mut generation = Generation {
        rows: file.rows.unwrap_or(default.rows),
        per_table: file.rows_per_table.unwrap_or_default(),
        seed: args.seed.or(file.seed).unwrap_or(default.seed),
    };
    for rows in &args.rows {
        match rows.table.clone() {
            Some(table) => {
                generation.per_table.insert(table, rows.rows);
            }
            None => generation.rows = rows.rows,
        }
    }
    generation
}

/// ", with generated rows (100 per table, orders 5000; seed 1)".
fn describe(generation: &Generation) -> String {
    let mut counts = vec![format!("{} per table", generation.rows)];
    counts.extend(
        generation
            .per_table
            .iter()
            .map(|(table, rows)| format!("{table} {rows}")),
    );
    format!(
        ", with generated rows ({}; seed {})",
        counts.join(", "),
        generation.seed
    )
}

/// A warning for each table count (`--rows TABLE=N`, `[verify.rows_per_table]`) that named no table the run
/// filled or tried to: a name misspelt, or of a table no migration makes.
fn unmatched_counts(generation: &Generation, verification: &Verification) {
    let seen: Vec<&str> = verification
        .migrations
        .iter()
        .filter_map(|m| m.rows.as_ref())
        .flat_map(|rows| {
            rows.filled
                .iter()
                .map(String::as_str)
                .chain(rows.skipped.iter().map(|s| s.table.as_str()))
        })
        .collect();
    for name in generation.per_table.keys() {
        if !seen
            .iter()
            .any(|table| generation.count_named(table) == Some(name))
        {
            errln!(
                "warning: rows were set for table {name:?}, but no table of that name was filled: check its name \
                 (`orders`, `billing.invoices`)"
            );
        }
    }
}

/// The last line: what failed, or what passed and what was skipped.
fn summary(verification: &Verification) {
    if verification.failed > 0 {
        errln!(
            "error: {} migration(s) failed verification",
            verification.failed
        );
        return;
    }
    match verification.skipped {
        0 => outln!("every down undoes its up"),
        skipped => outln!(
            "every down undoes its up: {} migration(s) checked, {skipped} skipped (listed above: their \
             `down` does not run by design)",
            verification.checked
        ),
    }
}
