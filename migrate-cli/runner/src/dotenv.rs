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

/// What is wrong with the file at `path`, naming the entry's key and line but never its value, nor any text of
/// a line that is no `KEY=value` entry (a bare URL or password pasted on a line of its own).
fn error(path: &Path, e: dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(line, index) => {
            let line_number = std::fs::read_to_string(path).ok().and_then(|text| {
                text.find(&line)
                    .map(|at| text[..at].matches('\n').count() + 1)
            });
            let what = match key_of(&line) {
                Some(key) => format!("the entry {key:?}"),
                None => "a line that is no KEY=value entry".to_owned(),
            };
            format!(
                "invalid .env file {}{}: cannot parse {what} at character {} of its line (an unterminated quote, a \
                 stray character, or a value without its KEY=?); the text is not shown, as it may hold a password",
                path.display(),
                line_number.map(|n| format!(", line {n}")).unwrap_or_default(),
                index + 1
            )
        }
        other => format!("invalid .env file {}: {other}", path.display()),
    }
}

/// The key of a `KEY=value` line (`export` allowed before it), when the line starts with one: a name of
/// letters, digits, `_` and `.` followed by `=`. Anything else may be a value, so it has no key to show.
fn key_of(line: &str) -> Option<&str> {
    let text = line.trim_start();
    let text = text.strip_prefix("export ").unwrap_or(text).trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (key, rest) = text.split_at(end);
    (!key.is_empty() && rest.trim_start().starts_with('=')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn only_a_key_followed_by_an_equals_sign_is_named() {
        assert_eq!(
            key_of("DATABASE_URL='postgres://u:pw@h/db"),
            Some("DATABASE_URL")
        );
        assert_eq!(key_of("  export A.B = x"), Some("A.B"));
        assert_eq!(key_of("postgres://u:pw@h/db"), None);
        assert_eq!(key_of("hunter2"), None);
        assert_eq!(key_of("DATABASE_URL postgres://u:pw@h/db"), None);
        assert_eq!(key_of("pw-with=equals"), None);
    }
}
