//! Colour for the text people read: on a terminal only, and never when `NO_COLOR` is set to anything but the
//! empty string (<https://no-color.org>). Output to a pipe or a file (CI logs, `| less`) stays plain.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// A colour for a word of the output.
#[derive(Debug, Clone, Copy)]
pub enum Colour {
    /// Done: `applied`, `reverted`.
    Green,
    /// Worth a look: warnings, retries, notices.
    Yellow,
    /// Failed: `error:`.
    Red,
}

/// Where the text goes.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// `text` in `colour` when `stream` is a terminal and `NO_COLOR` does not forbid it, else `text` as it is.
pub fn paint(text: &str, colour: Colour, stream: Stream) -> String {
    if !enabled(stream) {
        return text.to_owned();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Yellow => "33",
        Colour::Red => "31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn enabled(stream: Stream) -> bool {
    static STDOUT: OnceLock<bool> = OnceLock::new();
    static STDERR: OnceLock<bool> = OnceLock::new();
    let allowed = || std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match stream {
        // Text meant for stdout goes to stderr while stdout carries the JSON run log.
        Stream::Stdout if crate::stdio::text_on_stderr() => enabled(Stream::Stderr),
        Stream::Stdout => *STDOUT.get_or_init(|| allowed() && std::io::stdout().is_terminal()),
        Stream::Stderr => *STDERR.get_or_init(|| allowed() && std::io::stderr().is_terminal()),
    }
}
