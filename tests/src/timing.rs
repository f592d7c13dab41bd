//! Timing a process for the benchmark binaries (`bench`, `peers`): wall time and peak memory, measured the same
//! way for every tool so their figures compare.

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `cmd` under `/usr/bin/time`: its wall time and the maximum RSS (KiB) of the child and its waited-for
/// children. Panics with the output when it fails: a tool that fails mid-benchmark makes the figures meaningless.
pub fn timed(cmd: &mut Command) -> (Duration, u64) {
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let started = Instant::now();
    let output = wrapped.output().expect("/usr/bin/time");
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let rss_kib = std::fs::read_to_string(out.path())
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    (wall, rss_kib)
}
