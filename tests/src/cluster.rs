//! A throwaway PostgreSQL cluster of a test's own, for faults that must not touch the shared server:
//! restarting it (fast and immediate shutdown) in the middle of a run. It is a [`Server`] started from the
//! installed server's binaries (the newest under /usr/lib/postgresql), so it needs no download.

use std::path::PathBuf;

pub use crate::pg_versions::{Server, Shutdown};

/// The newest installed server's `bin` folder and its major.
fn server_bin() -> (PathBuf, u32) {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(major, bin)| (bin, major)).expect(
        "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)",
    )
}

/// `initdb` and start a cluster of the installed server.
///
/// # Panics
///
/// When there is no installed server or it does not start.
pub fn start() -> Server {
    let (bin, major) = server_bin();
    Server::start_from(bin, major).unwrap_or_else(|e| panic!("{e}"))
}
