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

/// A throwaway primary with one streaming standby (`pg_basebackup -R`, application name `name`), both of the
/// installed server on 127.0.0.1. The standby is stopped first when the pair is dropped.
#[derive(Debug)]
pub struct Replicated {
    // Field order is drop order: the standby stops before its primary.
    pub standby: Server,
    pub primary: Server,
}

impl Replicated {
    /// Replay on the standby stops (`pg_wal_replay_pause()`): it still receives WAL, and its replay
    /// position, as the primary's `pg_stat_replication` shows it, stays where it is.
    pub fn pause_replay(&self) {
        self.on_standby("SELECT pg_wal_replay_pause()");
    }

    /// Replay goes on (`pg_wal_replay_resume()`).
    pub fn resume_replay(&self) {
        self.on_standby("SELECT pg_wal_replay_resume()");
    }

    fn on_standby(&self, sql: &str) {
        let mut client = postgres::Client::connect(&self.standby.admin_url(), postgres::NoTls)
            .expect("connect to the standby");
        client.batch_execute(sql).expect(sql);
    }

    /// Bytes between the primary's current WAL position and the standby's replay position, as the primary
    /// sees it now.
    pub fn replay_lag_bytes(&self) -> i64 {
        let mut client = postgres::Client::connect(&self.primary.admin_url(), postgres::NoTls)
            .expect("connect to the primary");
        client
            .query_one(
                "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 \
                 FROM pg_stat_replication",
                &[],
            )
            .expect("pg_stat_replication")
            .get(0)
    }
}

/// A primary and a streaming standby named `name` (see [`Replicated`]); with `slot`, the standby streams
/// from that physical replication slot.
///
/// # Panics
///
/// When either does not start.
pub fn start_with_standby(name: &str, slot: Option<&str>) -> Replicated {
    let primary = start();
    let standby = primary
        .start_standby(name, slot)
        .unwrap_or_else(|e| panic!("{e}"));
    Replicated { standby, primary }
}
