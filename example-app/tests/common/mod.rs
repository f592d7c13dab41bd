//! Helpers shared by the example app's tests: an in-process server per app phase, a minimal HTTP/1.1
//! client over a plain TCP stream (so the tests see exactly what a browser gets), and the app binary run
//! as a child process.
#![allow(dead_code)] // Not every helper is used by every test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use example_app::phase::Phase;
use example_app::web::{self, AppState};

/// Starts the app as `phase` against `url` on `runtime`, on a free local port; it runs until the runtime
/// is dropped.
pub fn start_app(runtime: &tokio::runtime::Runtime, url: &str, phase: Phase) -> SocketAddr {
    let pool = example_app::database::pool(url).expect("pool");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local address");
    runtime.spawn(web::serve(
        listener,
        AppState {
            pool,
            phase,
            migrations_table: "\"public\".\"pgmigrations\"".to_owned(),
        },
        std::future::pending(),
    ));
    addr
}

/// An HTTP response: status, the `Location` header if any, and the body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// `GET path`.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// `POST path` with `fields` as an url-encoded form, as a browser sends it.
pub fn post_form(addr: SocketAddr, path: &str, fields: &[(&str, &str)]) -> Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    request(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn request(addr: SocketAddr, raw: &str) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to the app");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(raw.as_bytes()).expect("send the request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read the response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let location = lines
        .filter_map(|l| l.split_once(": "))
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.to_owned());
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "test client reads plain bodies only"
    );
    Response {
        status,
        location,
        body: body.to_owned(),
    }
}

/// The id of the post titled `title` on `page` (its `<article id="post-N">`).
pub fn post_id(page: &str, title: &str) -> String {
    let at = page
        .find(&format!("<h2>{title}</h2>"))
        .unwrap_or_else(|| panic!("{title} on the page:\n{page}"));
    let start = page[..at].rfind("id=\"post-").expect("the post's article") + "id=\"post-".len();
    page[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

/// The app binary as a child process with piped output. Dropping it (a failed assertion included) stops
/// it with SIGTERM, so it can stop the local cluster it may have started, and waits for it.
pub struct AppProcess(pub Child);

impl Drop for AppProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.0.id().to_string())
                .status();
            let _ = self.0.wait();
        }
    }
}

pub fn spawn_app(configure: impl FnOnce(&mut Command)) -> AppProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_example-app"));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    configure(&mut cmd);
    AppProcess(cmd.spawn().expect("example-app starts"))
}

/// Reads the child's stdout lines until one contains `serving on http://`; returns the URL and the lines
/// before it. Panics with what was printed if it does not come within `timeout`.
pub fn wait_for_url(stdout: ChildStdout, timeout: Duration) -> (String, Vec<String>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(timeout) {
            Ok(line) => {
                if let Some(at) = line.find("http://") {
                    let url = line[at..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    return (url, seen);
                }
                seen.push(line);
            }
            Err(_) => panic!(
                "the app printed no URL within {timeout:?}; it printed:\n{}",
                seen.join("\n")
            ),
        }
    }
}

/// Asks the child to stop as Ctrl-C or a container runtime would (SIGTERM), so it can clean up.
pub fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// `host:port` of an `http://host:port/` URL.
pub fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("host:port")
}
