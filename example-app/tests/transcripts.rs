//! The walkthrough's transcripts are real: parts 0 to 2 of `docs/walkthrough.md` are replayed in order on a
//! fresh database, every `migrate ...` and `cargo run -p example-app ...` command of their `sh` and `console`
//! blocks is run (the runner and app binaries, from the repository root, as `cargo run` would), and the output
//! shown in each `console` block must be what the command prints.
//!
//! In the comparison, `...` in a transcript stands for any lines, `(N ms)` for any time, a date and time for
//! any, the database URL for the test's database, and a served port for any port (apps listen on a free one
//! and keep serving, like the reader's terminals, until the test ends). The schema file is a copy of
//! `example-app/schema.sql` in a temporary folder, and is shown under that name. Setup lines the test does itself
//! (`psql`, `echo ... > .env`, `alias`) are skipped; any other command fails the test, so a new kind of step
//! needs a rule here.

use super::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{spawn_app, wait_for_url, AppProcess};
use tests::TestDb;

const DOC_URL: &str = "postgres://postgres@127.0.0.1:5432/walkthrough";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// One command of the walkthrough, with the output its transcript shows (`None` in a `sh` block).
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    expected: Option<Vec<String>>,
}

/// The commands of `text` up to the heading `stop`, in order.
fn steps(text: &str, stop: &str) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut block: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with(stop) {
            break;
        }
        if let Some(kind) = line.strip_prefix("```") {
            block = match block {
                None => Some(kind.trim()),
                Some(_) => None,
            };
            continue;
        }
        match block {
            Some("sh") => {
                let command = line.split(" #").next().unwrap_or_default().trim();
                if !command.is_empty() && !command.starts_with('#') {
                    out.push(Step {
                        line: i + 1,
                        command: command.to_owned(),
                        expected: None,
                    });
                }
            }
            Some("console") => match line.strip_prefix("$ ") {
                Some(command) => out.push(Step {
                    line: i + 1,
                    command: command.to_owned(),
                    expected: Some(Vec::new()),
                }),
                None => {
                    let step = out.last_mut().expect("output after a command");
                    step.expected
                        .as_mut()
                        .expect("a console command")
                        .push(line.to_owned());
                }
            },
            _ => {}
        }
    }
    out
}

/// Replaces what varies from run to run.
fn normalise(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    // `(123 ms)` -> `(N ms)`
    while let Some(at) = rest.find('(') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(" ms)") {
            out.push_str("(N ms)");
            rest = &after[digits + 4..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    // A `YYYY-MM-DD HH:MM:SS` time.
    let bytes: Vec<char> = out.chars().collect();
    let shape = "dddd-dd-dd dd:dd:dd";
    let mut result = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let fits = i + shape.len() <= bytes.len()
            && shape.chars().zip(&bytes[i..]).all(|(s, c)| match s {
                'd' => c.is_ascii_digit(),
                other => other == *c,
            });
        if fits {
            result.push_str("<time>");
            i += shape.len();
        } else {
            result.push(bytes[i]);
            i += 1;
        }
    }
    // A served port.
    if let Some(at) = result.find("http://127.0.0.1:") {
        let start = at + "http://127.0.0.1:".len();
        let digits = result[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        result.replace_range(start..start + digits, "PORT");
    }
    result.trim_end().to_owned()
}

/// Whether `actual` matches `expected`, where a `...` line stands for any lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, actual_rest)| a == first && matches(rest, actual_rest)),
    }
}

struct Replay {
    db: TestDb,
    config: PathBuf,
    schema_file: PathBuf,
    /// The apps started by the walkthrough, serving until the end like the reader's terminals.
    apps: Vec<AppProcess>,
}

impl Replay {
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(root())
            .env("DATABASE_URL", self.db.url())
            .env("MIGRATE_CONFIG", &self.config);
        for var in [
            "MIGRATIONS_TABLE",
            "MIGRATIONS_SCHEMA",
            "MIGRATIONS_DIR",
            "APP_PHASE",
            "PORT",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Runs `step`; its output lines (stdout, then stderr), or `None` for a setup line the test skips.
    fn run(&mut self, step: &Step) -> Option<Vec<String>> {
        let words: Vec<&str> = step.command.split_whitespace().collect();
        let output: Output = match words.as_slice() {
            ["psql", ..] | ["echo", ..] | ["alias", ..] => return None,
            ["migrate", args @ ..] => self
                .command(env!("CARGO_BIN_EXE_example-app-migrate"))
                .args(args)
                .output()
                .expect("the runner runs"),
            ["cargo", "run", "-q", "-p", "example-app", "--", args @ ..]
            | ["cargo", "run", "-p", "example-app", "--", args @ ..] => {
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| if a.starts_with("808") { "0" } else { a })
                    .collect();
                if args.contains(&"--no-serve") || !args.contains(&"--port") {
                    // It checks and exits (or is refused): run it to the end.
                    let mut cmd = self.command(env!("CARGO_BIN_EXE_example-app"));
                    cmd.args(&args);
                    if !args.contains(&"--no-serve") {
                        cmd.arg("--no-serve");
                    }
                    cmd.output().expect("the app runs")
                } else {
                    let config = self.config.clone();
                    let url = self.db.url().to_owned();
                    let mut app = spawn_app(|c| {
                        c.current_dir(root())
                            .args(&args)
                            .env("DATABASE_URL", url)
                            .env("MIGRATE_CONFIG", config);
                        for var in ["MIGRATIONS_TABLE", "MIGRATIONS_SCHEMA", "MIGRATIONS_DIR"] {
                            c.env_remove(var);
                        }
                    });
                    let stdout = app.0.stdout.take().expect("stdout");
                    let (url, mut lines) = wait_for_url(stdout, Duration::from_secs(120));
                    lines.push(format!("serving on {url} (Ctrl-C stops)"));
                    self.apps.push(app);
                    return Some(lines.iter().map(|l| self.shown(l)).collect());
                }
            }
            _ => panic!(
                "walkthrough line {}: no rule to replay `{}`",
                step.line, step.command
            ),
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Some(text.lines().map(|l| self.shown(l)).collect())
    }

    /// A line of real output as the walkthrough shows it.
    fn shown(&self, line: &str) -> String {
        let mut line = line.replace(
            &self.schema_file.display().to_string(),
            "example-app/schema.sql",
        );
        if let Some(at) = line.find("postgres://") {
            let end = line[at..]
                .find(char::is_whitespace)
                .map_or(line.len(), |e| at + e);
            line.replace_range(at..end, DOC_URL);
        }
        normalise(&line)
    }
}

#[test]
fn the_walkthrough_transcripts_are_real_output() {
    let doc = std::fs::read_to_string(root().join("docs/walkthrough.md")).expect("the walkthrough");
    let steps = steps(&doc, "## 3. ");
    assert!(
        steps.len() > 15,
        "the parser found the commands: {steps:#?}"
    );
    assert!(steps.iter().filter(|s| s.expected.is_some()).count() > 8);

    // The repository's settings, with the schema file in a temporary folder: a copy of the committed one,
    // newer than the migration files as in the reader's checkout, so runs have nothing to note about it.
    let scratch = tempfile::tempdir().expect("temp dir");
    let schema_file = scratch.path().join("schema.sql");
    std::fs::copy(root().join("example-app/schema.sql"), &schema_file)
        .expect("copy the committed schema file");
    let config = scratch.path().join("migrate.toml");
    let settings = std::fs::read_to_string(root().join("migrate.toml")).expect("migrate.toml");
    let settings: String = settings
        .lines()
        .map(|l| {
            if l.starts_with("migrations_dir") {
                format!(
                    "migrations_dir = {:?}",
                    root().join("example-app/migrations")
                )
            } else if l.starts_with("schema_file") {
                format!("schema_file = {schema_file:?}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, settings).expect("write the settings");

    let mut replay = Replay {
        db: TestDb::new(),
        config,
        schema_file,
        apps: Vec::new(),
    };
    let mut wrong = Vec::new();
    for step in &steps {
        let Some(actual) = replay.run(step) else {
            continue;
        };
        if let Some(expected) = &step.expected {
            let expected: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
            if !matches(&expected, &actual) {
                wrong.push(format!(
                    "walkthrough line {}: $ {}\n--- shown:\n{}\n--- real:\n{}",
                    step.line,
                    step.command,
                    expected.join("\n"),
                    actual.join("\n")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn the_comparison_allows_only_what_varies() {
    assert_eq!(
        normalise(
            "applied  x (12 ms) on 2026-11-23 13:40:01 at http://127.0.0.1:40123/ (Ctrl-C stops)"
        ),
        "applied  x (N ms) on <time> at http://127.0.0.1:PORT/ (Ctrl-C stops)"
    );
    let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    assert!(matches(&lines("a\n...\nd"), &lines("a\nb\nc\nd")));
    assert!(matches(&lines("a\n...\nd"), &lines("a\nd")));
    assert!(!matches(&lines("a\nd"), &lines("a\nb\nd")));
    assert!(!matches(&lines("a\n...\nd"), &lines("a\nb\nc")));
}
