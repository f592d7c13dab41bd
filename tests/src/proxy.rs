//! A TCP proxy on 127.0.0.1 in front of the test server that can be frozen: from then on it accepts
//! connections and reads nothing, and forwards nothing on the ones it has, as a stopped proxy process or a
//! network that drops packets would. The kernel still completes handshakes and acknowledges data, so only a
//! client-side time limit notices.
//!
//! It can also count the statements its clients send ([`Proxy::counting_statements`]), for a test that a
//! command sends one statement less, or hold the server's first answer on each connection a while
//! ([`Proxy::slow_to_answer`]), as a login that takes long (SCRAM on a loaded machine) does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The proxy; it lives (its threads keep running) until the test process ends.
pub struct Proxy {
    port: u16,
    frozen: Arc<AtomicBool>,
}

impl Proxy {
    /// Forwards `127.0.0.1:<a free port>` to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Proxy {
        Proxy::start_tapped(upstream, None, Duration::ZERO)
    }

    /// [`start`](Self::start), holding the server's first bytes on each connection for `delay`: every login
    /// through it takes at least that long.
    pub fn slow_to_answer(upstream: &str, delay: Duration) -> Proxy {
        Proxy::start_tapped(upstream, None, delay)
    }

    /// [`start`](Self::start), counting the statements clients send: the extended protocol's `Parse` and
    /// the simple protocol's `Query` messages. The messages must be readable, so the clients connect
    /// without TLS (`sslmode=disable`).
    pub fn counting_statements(upstream: &str) -> (Proxy, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        (
            Proxy::start_tapped(upstream, Some(count.clone()), Duration::ZERO),
            count,
        )
    }

    fn start_tapped(
        upstream: &str,
        statements: Option<Arc<AtomicUsize>>,
        first_answer_delay: Duration,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_owned();
        let flag = frozen.clone();
        std::thread::spawn(move || {
            // Accepted connections of a frozen proxy are kept open, unanswered.
            let mut held = Vec::new();
            for client in listener.incoming().flatten() {
                if flag.load(Ordering::SeqCst) {
                    held.push(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                // Only what the client sends is read for statements.
                let tap = statements.clone().map(Messages::new);
                for (from, to, tap, delay) in [
                    (client.try_clone(), server.try_clone(), tap, Duration::ZERO),
                    (
                        server.try_clone(),
                        client.try_clone(),
                        None,
                        first_answer_delay,
                    ),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else {
                        continue;
                    };
                    let flag = flag.clone();
                    std::thread::spawn(move || pump(from, to, &flag, tap, delay));
                }
                held.push(client);
            }
        });
        Proxy { port, frozen }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("the URL parses");
        url.set_host(Some("127.0.0.1")).expect("set host");
        url.set_port(Some(self.port)).expect("set port");
        url.to_string()
    }

    /// From now on nothing passes, and new connections are accepted but never answered.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    frozen: &AtomicBool,
    mut tap: Option<Messages>,
    mut first_delay: Duration,
) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 16 * 1024];
    loop {
        if frozen.load(Ordering::SeqCst) {
            // Silence, with the connections left open.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(tap) = &mut tap {
                    tap.read(&buf[..n]);
                }
                std::thread::sleep(std::mem::take(&mut first_delay));
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Follows the messages of a client's stream as it passes, however the reads cut it, and counts its
/// statements. The first message (the start-up packet) has a length but no type byte; every later one a
/// type byte, then a length that counts itself but not the type.
struct Messages {
    statements: Arc<AtomicUsize>,
    started: bool,
    header: Vec<u8>,
    body_left: usize,
}

impl Messages {
    fn new(statements: Arc<AtomicUsize>) -> Messages {
        Messages {
            statements,
            started: false,
            header: Vec::with_capacity(5),
            body_left: 0,
        }
    }

    fn read(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let skipped = self.body_left.min(bytes.len());
                self.body_left -= skipped;
                bytes = &bytes[skipped..];
                continue;
            }
            let header_len = if self.started { 5 } else { 4 };
            let taken = (header_len - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..taken]);
            bytes = &bytes[taken..];
            if self.header.len() < header_len {
                return;
            }
            let mut len = [0u8; 4];
            len.copy_from_slice(&self.header[header_len - 4..]);
            if self.started && matches!(self.header[0], b'P' | b'Q') {
                self.statements.fetch_add(1, Ordering::SeqCst);
            }
            self.body_left = (u32::from_be_bytes(len) as usize).saturating_sub(4);
            self.header.clear();
            self.started = true;
        }
    }
}
