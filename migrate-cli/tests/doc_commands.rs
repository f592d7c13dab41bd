//! Every `migrate` command line of the README and the guide parses as the CLI defines it:
//! a flag renamed or removed in the code fails here, naming the file, the line and clap's error. The
//! walkthrough and the fleet guide's worked example are also replayed against a real server by the tests
//! crate; the other chapters' shell blocks show commands against the reader's own database, so they are
//! checked as far as that can go without it: the command, its flags and their values.

use std::path::{Path, PathBuf};

use clap::Parser;
use migrate_cli::Cli;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root")
}

/// The Markdown files of the README and the guide.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a folder entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
}

/// The `migrate` command lines in the shell blocks of `text` (`sh`, `bash`, `shell`, `console`), with their
/// line numbers: `migrate ...` and `cargo run -p migrate-cli -- ...`, a `$ ` prompt and a trailing comment
/// taken off, continuation lines joined.
fn command_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut shell = false;
    let mut fenced = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            fenced = !fenced;
            shell = fenced && matches!(info.trim(), "sh" | "bash" | "shell" | "console");
            continue;
        }
        if !shell {
            continue;
        }
        let (number, mut joined) = match pending.take() {
            Some((number, before)) => (number, format!("{before} {}", trimmed)),
            None => (i + 1, trimmed.trim_start_matches("$ ").to_owned()),
        };
        if let Some(rest) = joined.strip_suffix('\\') {
            pending = Some((number, rest.trim_end().to_owned()));
            continue;
        }
        // A comment: ` #` outside quotes, which the command lines here never quote.
        if let Some(at) = joined.find(" #") {
            joined.truncate(at);
        }
        // The shell's own part: a redirection of the output, a pipe, the next command.
        if let Some(at) = [" > ", " >> ", " 2> ", " | ", " && ", " || ", "; "]
            .iter()
            .filter_map(|operator| joined.find(operator))
            .min()
        {
            joined.truncate(at);
        }
        let command = joined.trim();
        let args = if let Some(rest) = command.strip_prefix("cargo run -p migrate-cli -- ") {
            rest
        } else if let Some(rest) = command.strip_prefix("migrate ") {
            rest
        } else {
            continue;
        };
        out.push((number, args.to_owned()));
    }
    out
}

#[test]
fn every_documented_migrate_command_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in documents() {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (line, args) in command_lines(&text) {
            let shown = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            let Some(words) = shlex::split(&args) else {
                failures.push(format!(
                    "{shown}:{line}: cannot split `{args}` as a shell would"
                ));
                continue;
            };
            checked += 1;
            let argv = std::iter::once("migrate".to_owned()).chain(words);
            if let Err(e) = Cli::try_parse_from(argv) {
                // `--help` and `--version` end parsing on purpose.
                if !matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ) {
                    failures.push(format!("{shown}:{line}: `migrate {args}`: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The README's first steps alone have five; far fewer means the blocks were not found.
    assert!(checked >= 40, "only {checked} command lines found");
}

#[test]
fn command_lines_are_found_in_shell_blocks_only() {
    let text = "```sh\nmigrate up --to 1   # a comment\n$ migrate status \\\n    --json\ncargo run -p migrate-cli -- sql\nls\nmigrate man > migrate.1\nmigrate status | head && ls\n```\n\n```text\nmigrate not-a-command\n```\n";
    assert_eq!(
        command_lines(text),
        [
            (2, "up --to 1".to_owned()),
            (3, "status --json".to_owned()),
            (5, "sql".to_owned()),
            (7, "man".to_owned()),
            (8, "status".to_owned())
        ]
    );
}

/// The ```toml blocks of `text` with the line of their fence, leaving out snippets of a Cargo manifest: the
/// rest show `migrate.toml`.
fn migrate_toml_blocks(text: &str) -> Vec<(usize, String)> {
    const CARGO: [&str; 10] = [
        "[package]",
        "[dependencies]",
        "[build-dependencies]",
        "[dev-dependencies]",
        "[profile",
        "[[bin]]",
        "[workspace",
        "= { package",
        "= { path",
        "= { git",
    ];
    let mut out = Vec::new();
    let mut block: Option<(usize, String)> = None;
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fenced = !fenced;
            if fenced && info.trim() == "toml" {
                block = Some((i + 1, String::new()));
            } else if let Some((at, body)) = block.take() {
                if !CARGO.iter().any(|c| body.contains(c)) {
                    out.push((at, body));
                }
            }
            continue;
        }
        if let Some((_, body)) = &mut block {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Every `migrate.toml` the README and the guide show is read by the CLI's own loader, which refuses an unknown
/// key or a value of the wrong kind: a setting renamed in the code fails here with the file and line. The CLI
/// loads it for `status` and stops, with no `[runner]` to forward to, before it connects anywhere.
#[test]
fn every_documented_migrate_toml_loads() {
    let scratch = std::env::temp_dir().join(format!("doc-toml-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in documents() {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (line, body) in migrate_toml_blocks(&text) {
            checked += 1;
            let file = scratch.join("migrate.toml");
            std::fs::write(&file, &body).expect("write the block");
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
                .current_dir(&scratch)
                .arg("--config")
                .arg(&file)
                .arg("status")
                // Nothing may connect: a closed port makes an attempt fail loudly instead.
                .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
                .env(
                    "CONTROL_DATABASE_URL",
                    "postgres://nobody@127.0.0.1:1/control",
                )
                .env("EU_1_DIRECT_URL", "postgres://nobody@127.0.0.1:1/eu")
                .env("SHARD_2_URL", "postgres://nobody@127.0.0.1:1/shard")
                .output()
                .expect("run migrate");
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !stderr.contains("has no [runner] table") {
                failures.push(format!(
                    "{shown}:{line}: migrate.toml not loaded:\n{stderr}"
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The cookbook's backfill settings and the fleet guide's two: fewer means the blocks were not found.
    assert!(checked >= 3, "only {checked} migrate.toml blocks found");
}

#[test]
fn toml_blocks_of_a_cargo_manifest_are_left_out() {
    let text = "```toml\n[fleet]\nparallel = 4\n```\n\n```toml\nmigrate-core = { package = \"x\", version = \"0.1\" }\n```\n\n```toml\n[profile.dev]\ndebug = 1\n```\n";
    assert_eq!(
        migrate_toml_blocks(text),
        [(1, "[fleet]\nparallel = 4\n".to_owned())]
    );
}
