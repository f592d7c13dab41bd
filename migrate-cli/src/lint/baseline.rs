//! The baseline file of `lint` (`migrate_core::lint::Baseline`): where it is, reading it, writing it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::lint::{Baseline, Report, BASELINE_FILE};

use migrate_runner::args::BaselineArgs;
use migrate_runner::schema_file::shown;
use migrate_runner::stdio::outln;

/// `--baseline FILE`, else `lint-baseline.json` next to `migrate.toml` (in the current folder without one).
pub(super) fn path(config: &migrate_runner::config::Config, args: &BaselineArgs) -> PathBuf {
    match (&args.baseline, &config.root) {
        (Some(file), _) => file.clone(),
        (None, Some(root)) => root.join(BASELINE_FILE),
        (None, None) => PathBuf::from(BASELINE_FILE),
    }
}

/// The baseline at `path`: none when the default file does not exist; one named with `--baseline`
/// (`named`) must.
pub(super) fn read(path: &Path, named: bool) -> Result<Option<Baseline>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the lint baseline {}", shown(path)))
        }
    };
    Baseline::from_json(&text).map(Some).with_context(|| {
        format!(
            "cannot read the lint baseline {}: write it again with `migrate lint --write-baseline`",
            shown(path)
        )
    })
}

/// `--write-baseline`: the baseline accepting every finding of `report` (and what the file accepted for the
/// migrations not linted now) written to `path`.
pub(super) fn write(report: &Report, path: &Path, whole: bool) -> Result<ExitCode> {
    let previous = read(path, false)?;
    let baseline = Baseline::accepting(report, previous.as_ref(), whole);
    std::fs::write(path, baseline.to_json())
        .with_context(|| format!("cannot write the lint baseline {}", shown(path)))?;
    outln!(
        "wrote {}: it accepts {} finding(s) in {} migration(s); `lint` reports only findings not in it (commit it \
         with the migrations)",
        shown(path),
        baseline.count(),
        baseline.migrations()
    );
    Ok(ExitCode::SUCCESS)
}
