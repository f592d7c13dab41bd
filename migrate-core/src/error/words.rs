//! How messages write what stopped a run: a signal by its name, a wait or a time budget in minutes and
//! seconds.

use std::time::Duration;

/// `SIGINT`, `SIGTERM`, or `signal N`. SIGPIPE is what the CLI requests a stop with when its output is
/// closed.
pub fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        1 => "SIGHUP".to_owned(),
        13 => "SIGPIPE".to_owned(),
        n => format!("signal {n}"),
    }
}

/// A wait as a message gives it: `2m 30s`, `45.2 s`.
pub(crate) fn describe_wait(t: Duration) -> String {
    if t >= Duration::from_secs(60) {
        format!("{}m {}s", t.as_secs() / 60, t.as_secs() % 60)
    } else {
        format!("{:.1} s", t.as_secs_f64())
    }
}
