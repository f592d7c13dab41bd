//! How messages name what stopped a run: a signal by its name.

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
