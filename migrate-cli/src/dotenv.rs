//! The `.env` file: the nearest one (this folder or a parent), read by the CLI into its environment and by
//! an embedding application as settings. Its values are never shown in errors: they hold database URLs and
//! passwords.

use std::path::{Path, PathBuf};

/// The nearest `.env`, if any.
fn find() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|dir| dir.join(".env"))
        .find(|p| p.is_file())
}

/// Loads the nearest `.env` into the environment, without overriding variables already set. Only for the
/// CLI's entry, before any other thread runs: changing the environment while other threads run is unsound.
pub(crate) fn load() -> Result<(), String> {
    let Some(path) = find() else {
        return Ok(());
    };
    dotenvy::from_path(&path).map_err(|e| error(&path, e))
}

/// The entries of the nearest `.env`, without touching the environment.
pub(crate) fn entries() -> Result<Vec<(String, String)>, String> {
    let Some(path) = find() else {
        return Ok(Vec::new());
    };
    dotenvy::from_path_iter(&path)
        .map_err(|e| error(&path, e))?
        .map(|entry| entry.map_err(|e| error(&path, e)))
        .collect()
}

/// What is wrong with the file at `path`, naming the entry's key and line but never its value.
fn error(path: &Path, e: dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(line, index) => {
            let key = line
                .trim_start()
                .trim_start_matches("export ")
                .split(['=', ' ', '\t'])
                .next()
                .unwrap_or_default()
                .to_owned();
            let line_number = std::fs::read_to_string(path).ok().and_then(|text| {
                text.find(&line)
                    .map(|at| text[..at].matches('\n').count() + 1)
            });
            format!(
                "invalid .env file {}{}: cannot parse the entry {key:?} at character {} of its line (an unterminated quote or \
                 a stray character?); its value is not shown, as it may hold a password",
                path.display(),
                line_number.map(|n| format!(", line {n}")).unwrap_or_default(),
                index + 1
            )
        }
        other => format!("invalid .env file {}: {other}", path.display()),
    }
}
