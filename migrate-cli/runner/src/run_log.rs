//! The JSON run log of `up`, `down` and `redo` (`--log-format json` on stdout, `--log-file FILE`): one JSON
//! object per line for every event of the run, for CI logs and dashboards. docs/json-log.md documents the
//! records; the engine's events become records in one place ([`migrate_core::Event::log_record`]).
//!
//! Every record has `v` (the schema's version, 1), `time` (RFC 3339, UTC, milliseconds) and `event`. The run
//! adds three records of its own around the engine's: `run_started`, then `run_finished` or `error`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use migrate_core::{Event, Ran};
use serde_json::{json, Value};

use crate::args::{LogArgs, LogFormat};
use crate::output::RunOutput;

/// The version of the records' schema: raised when a field changes meaning or goes away (new fields and new
/// records do not raise it).
pub const SCHEMA_VERSION: u32 = 1;

/// Where a run's events go: the text for people, and the JSON records where asked.
pub struct RunLog {
    command: &'static str,
    /// What the text for people has drawn so far (the backfill's bar, the pause last shown).
    output: RunOutput,
    stdout: bool,
    file: Option<(BufWriter<File>, String)>,
    started: Instant,
}

impl RunLog {
    /// The log `args` ask for, for `command` (`up`, `down`, `redo`). With `--log-format json` the text for
    /// people goes to stderr from now on.
    pub fn open(args: &LogArgs, command: &'static str) -> Result<RunLog> {
        let file = match &args.log_file {
            Some(path) => Some((open_file(path)?, crate::schema_file::shown(path))),
            None => None,
        };
        let stdout = args.log_format == LogFormat::Json;
        if stdout {
            crate::stdio::text_to_stderr();
        }
        Ok(RunLog {
            command,
            output: RunOutput::default(),
            stdout,
            file,
            started: Instant::now(),
        })
    }

    /// Whether anything is recorded.
    fn recording(&self) -> bool {
        self.stdout || self.file.is_some()
    }

    /// `run_started`: the command, its target, the tool's version and the database (without its password).
    pub fn start(&mut self, target: Value, database: &str) {
        self.record(
            "run_started",
            json!({
                "command": self.command,
                "target": target,
                "version": env!("CARGO_PKG_VERSION"),
                "database": database,
            }),
        );
    }

    /// An event of the engine: shown to people, and recorded.
    pub fn event(&mut self, event: Event<'_>) {
        if self.recording() {
            let (name, fields) = event.log_record();
            self.record(name, fields);
        }
        self.output.print_event(event);
    }

    /// `run_finished`: what ran, and how long the whole run took.
    pub fn finish(&mut self, ran: &[Ran]) {
        let migrations: Vec<Value> = ran
            .iter()
            .map(|r| json!({ "migration": r.name, "direction": r.direction.to_string() }))
            .collect();
        self.record(
            "run_finished",
            json!({
                "command": self.command,
                "migrations": migrations,
                "duration_ms": self.started.elapsed().as_millis() as u64,
            }),
        );
    }

    /// `error`: the run failed with `error` (the message people get on stderr too).
    pub fn error(&mut self, error: &anyhow::Error) {
        self.record(
            "error",
            json!({
                "command": self.command,
                "message": crate::error_message(error),
                "duration_ms": self.started.elapsed().as_millis() as u64,
            }),
        );
    }

    /// Records an `error` when `result` is one (a failure before or around the run), and hands it back.
    pub fn check<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.error(e);
        }
        result
    }

    /// Records `result`'s outcome (`run_finished` or `error`) and hands it back.
    pub fn outcome(&mut self, result: Result<Vec<Ran>>) -> Result<Vec<Ran>> {
        match &result {
            Ok(ran) => self.finish(ran),
            Err(e) => self.error(e),
        }
        result
    }

    fn record(&mut self, event: &str, fields: Value) {
        if !self.recording() {
            return;
        }
        let line = line(
            event,
            &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            &fields,
        );
        if self.stdout {
            crate::stdio::write_record(&line);
        }
        if let Some((file, shown)) = &mut self.file {
            // The run goes on without its log file: it says so once, on stderr.
            if writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .is_err()
            {
                crate::stdio::errln!(
                    "warning: cannot write the run log to {shown}; the run goes on without it"
                );
                self.file = None;
            }
        }
    }
}

/// One record: `v`, `time` and `event` first, then `fields` (an object), on one line.
fn line(event: &str, time: &str, fields: &Value) -> String {
    let mut line = format!(
        "{{\"v\":{SCHEMA_VERSION},\"time\":{},\"event\":{}",
        json!(time),
        json!(event)
    );
    if let Value::Object(fields) = fields {
        for (key, value) in fields {
            line.push_str(&format!(",{}:{value}", json!(key)));
        }
    }
    line.push('}');
    line
}

/// Opens `path` for appending (created if missing): each run adds its records after the earlier runs'.
fn open_file(path: &Path) -> Result<BufWriter<File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    Ok(BufWriter::new(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_starts_with_its_version_time_and_event() {
        let line = line(
            "statement",
            "2026-11-22T10:15:02.120Z",
            &json!({ "sql": "SELECT \"a\"", "line": 3 }),
        );
        assert_eq!(
            line,
            r#"{"v":1,"time":"2026-11-22T10:15:02.120Z","event":"statement","line":3,"sql":"SELECT \"a\""}"#
        );
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["sql"], "SELECT \"a\"");
    }
}
