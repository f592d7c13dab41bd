//! The note the installed `migrate` hands the runner it starts when it has just compared, by content, every
//! file that runner was built from with what its build read: its freshness check found nothing changed, or
//! the build it ran left every input as cargo read it. The runner then skips its own comparison of the
//! migrations folder with what it compiled ([`crate::settings::check_compiled_content`]), which reads and
//! hashes every migration file again: at thousands of migrations, most of an unoptimised runner's start and
//! a visible part of the edit→run loop.
//!
//! The note names the executable by its length and modification time, so it is worth nothing to another
//! binary, or to this one rebuilt since; a runner started any other way (`cargo run`, directly, by a
//! deploy) has no note that matches and compares the folder itself.

use std::path::Path;
use std::time::UNIX_EPOCH;

/// The environment variable that carries the note.
pub const ENV: &str = "MIGRATE_CHECKED_RUNNER";

/// What names the executable at `exe` in the note, or `None` when its length or time cannot be read.
pub fn note(exe: &Path) -> Option<String> {
    let meta = std::fs::metadata(exe).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "{}:{}.{:09}",
        meta.len(),
        modified.as_secs(),
        modified.subsec_nanos()
    ))
}

/// Whether the installed `migrate` checked this very executable before starting it.
pub(crate) fn by_installed_migrate() -> bool {
    let Some(given) = std::env::var_os(ENV) else {
        return false;
    };
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    note(&exe).is_some_and(|own| given == *own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_changes_when_the_executable_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("runner");
        std::fs::write(&exe, b"first build").unwrap();
        let first = note(&exe).unwrap();
        assert_eq!(note(&exe).as_deref(), Some(first.as_str()));
        // Same length, another time: a rebuild that happened to give the same size.
        std::fs::write(&exe, b"other build").unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::open(&exe)
            .unwrap()
            .set_times(std::fs::FileTimes::new().set_modified(later))
            .unwrap();
        assert_ne!(note(&exe).unwrap(), first);
        assert_eq!(note(&dir.path().join("missing")), None);
    }
}
