//! Timing a process for the benchmark binaries (`bench`, `peers`): wall time and peak memory, measured the same
//! way for every tool so their figures compare.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the environment of a benchmark binary started again by [`timed`] as the spawner of one command.
const SPAWNER: &str = "MIGRATE_TIMING_SPAWNER";

/// The first word of the spawner's report, the last line it writes to its standard error.
const REPORT: &str = "migrate-timing-report";

/// Runs `cmd`: its wall time and the maximum RSS (KiB) of the child and its waited-for children, from the
/// child's own resource usage (`wait4`), as `/usr/bin/time` reports it but without a `time` process's own
/// start (a millisecond or more) counted into every figure: for a command of ten milliseconds that drew the
/// ratio of two tools towards 1. Output is read and kept for a failure's message. Panics with the output when
/// it fails: a tool that fails mid-benchmark makes the figures meaningless.
///
/// The command is started by a spawner, this binary started again (see [`spawner_main`]), which times it
/// and reports. Not by this process itself: the kernel counts the memory of the process a child is started
/// from (its pages until the child's `exec`) into the child's peak, so every command started by a benchmark
/// holding 13 MiB peaked at 13 MiB or more, whatever it used. The spawner, just started, holds a few MiB.
pub fn timed(cmd: &mut Command) -> (Duration, u64) {
    let exe = std::env::current_exe().expect("this binary's path");
    let mut spawner = Command::new(exe);
    spawner.env(SPAWNER, "1");
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => spawner.env(key, value),
            None => spawner.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        spawner.current_dir(dir);
    }
    spawner
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = spawner.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The report's line is the spawner's last, but a process the command left behind may still write after
    // it: the last line that is a report.
    let at = stderr.rfind(&format!("\n{REPORT} "));
    let own = at.map_or(&*stderr, |at| &stderr[..at]);
    let numbers: Vec<i64> = at
        .and_then(|at| stderr[at + 1..].lines().next())
        .and_then(|line| line.strip_prefix(REPORT))
        .map(|r| {
            r.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [wall_ns, rss_kib, status] = numbers[..] else {
        panic!(
            "{cmd:?}: no timing report from the spawner ({}): {stderr}",
            output.status
        );
    };
    let status = i32::try_from(status).unwrap_or(-1);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed (wait status {status}): {}{own}",
        String::from_utf8_lossy(&output.stdout),
    );
    (
        Duration::from_nanos(u64::try_from(wall_ns).unwrap_or(0)),
        u64::try_from(rss_kib).unwrap_or(0),
    )
}

/// To call first in the `main` of a binary that uses [`timed`]: when this process is [`timed`]'s spawner, it
/// runs the command in its arguments (with its own standard streams and environment), times it, writes its
/// report as the last line of its standard error, and exits. What a `Command` cannot tell (`env_clear`,
/// `arg0`, `pre_exec`) does not reach the command: the benchmarks use none of them.
pub fn spawner_main() {
    if std::env::var_os(SPAWNER).is_none() {
        return;
    }
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("the timing spawner needs a command");
        std::process::exit(2);
    };
    let mut cmd = Command::new(&program);
    cmd.args(args).env_remove(SPAWNER);
    let started = Instant::now();
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("{}: {e}", program.to_string_lossy());
            std::process::exit(2);
        }
    };
    let pid = libc::pid_t::try_from(child.id()).expect("a process id");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct, which wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this process's own child, not yet waited for (`child` is never waited on below), and
    // both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        eprintln!("wait4: {}", std::io::Error::last_os_error());
        std::process::exit(2);
    }
    // Reaped already: dropping `child` neither waits nor kills.
    drop(child);
    // KiB, as Linux counts it (macOS counts bytes).
    let rss_kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss / 1024
    } else {
        usage.ru_maxrss
    };
    eprintln!("\n{REPORT} {} {rss_kib} {status}", wall.as_nanos());
    std::process::exit(0);
}
