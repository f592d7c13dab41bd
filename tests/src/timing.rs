//! Timing a process for the benchmark binaries (`bench`, `peers`): wall time and peak memory, measured the same
//! way for every tool so their figures compare.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd`: its wall time and the maximum RSS (KiB) of the child and its waited-for children, from the
/// child's own resource usage (`wait4`), as `/usr/bin/time` reports it but without a `time` process around
/// it, whose own start (a millisecond or more) was counted into every figure: for a command of ten
/// milliseconds that drew the ratio of two tools towards 1. Output is read and kept for a failure's message.
/// Panics with the output when it fails: a tool that fails mid-benchmark makes the figures meaningless.
pub fn timed(cmd: &mut Command) -> (Duration, u64) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    // Drained while it runs: a command that writes more than a pipe holds would otherwise never end.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let pid = libc::pid_t::try_from(child.id()).expect("a process id");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct, which wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this process's own child, not yet waited for (`child` is never waited on below), and
    // both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(
        waited,
        pid,
        "wait4 of {cmd:?}: {}",
        std::io::Error::last_os_error()
    );
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed (wait status {status}): {}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    // Reaped already: dropping `child` neither waits nor kills.
    drop(child);
    let rss_kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    (wall, rss_kib)
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    })
}
