//! A run must not hang on a server that stopped answering: a proxy or server process that is stopped, or a
//! network that drops packets, leaves a query waiting forever, since the kernel still acknowledges what is
//! sent to a live socket. During `up`, `down` and `redo` a thread checks, every `timeout`, that the server
//! answers `SELECT 1` on a new connection within `timeout`; when it does not, the run stops with an error
//! (exit status 1) after at most about three times `timeout`. A server that answers with an error (too many
//! connections, say) is alive: only silence counts.

use std::sync::mpsc;
use std::time::Duration;

use crate::connect::Target;

/// Starts the checks for the rest of the process; a zero `timeout` turns them off.
pub fn start(target: &Target, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    let target = target.clone();
    let _ = std::thread::Builder::new()
        .name("server-check".to_owned())
        .spawn(move || loop {
            std::thread::sleep(timeout);
            if let Err(silence) = check(&target, timeout) {
                eprintln!(
                    "error: the server of {} stopped answering: {silence}; the run stops here instead of waiting \
                     forever. What the migration in progress did is for the server to say once it answers again: a \
                     migration in a transaction is rolled back when its connection ends, one outside a transaction \
                     stays marked with the statements it committed; run `status` then",
                    target.display
                );
                std::process::exit(1);
            }
        });
}

fn check(target: &Target, timeout: Duration) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let probe = target.clone();
    let _ = std::thread::Builder::new()
        .name("server-check-probe".to_owned())
        .spawn(move || {
            let result = probe
                .connect_unchecked(timeout)
                .and_then(|mut c| c.simple_query("SELECT 1").map(|_| ()).map_err(Into::into));
            let _ = tx.send(result.map_err(|e| format!("{e:#}")));
        });
    // Connecting may take up to `timeout`, the query as long again.
    match rx.recv_timeout(timeout * 2) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) if message.contains("timed out") || message.contains("timeout") => {
            Err(format!(
                "a check on a new connection got no reply within {}s ({message})",
                timeout.as_secs()
            ))
        }
        // Any answer, even an error, shows the server (or what is in front of it) is there.
        Ok(Err(_)) => Ok(()),
        Err(_) => Err(format!(
            "a check on a new connection (SELECT 1) got no reply within {}s",
            (timeout * 2).as_secs()
        )),
    }
}
