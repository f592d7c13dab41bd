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

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The engine's messages speak to applications that embed it as much as to the CLI: a command-line flag
    /// (`--retry`, `--to`) in one would be wrong for them. The runner adds the flag on a `hint:` line. This
    /// reads every source file of the crate, up to its test module, outside comments.
    #[test]
    fn no_message_names_a_command_line_flag() {
        fn visit(dir: &Path, found: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                panic!("cannot read {}", dir.display());
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && path.file_name().is_some_and(|n| n != "tests.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let lines: Vec<&str> = text.lines().collect();
                    for (i, line) in lines.iter().enumerate() {
                        // An inline test module ends what is read (a `mod tests;` line does not).
                        let next = lines.get(i + 1).copied().unwrap_or_default();
                        if line.trim() == "#[cfg(test)]" && next.trim_start().starts_with("mod tests {") {
                            break;
                        }
                        let code = line.trim_start();
                        if code.starts_with("//") {
                            continue;
                        }
                        let flag = code.match_indices("--").any(|(at, _)| {
                            code[at + 2..].starts_with(|c: char| c.is_ascii_lowercase())
                        });
                        if flag {
                            found.push(format!("{}:{}: {code}", path.display(), i + 1));
                        }
                    }
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        visit(&src, &mut found);
        assert!(found.is_empty(), "{}", found.join("\n"));
        // The check sees what it looks for.
        let mut planted = Vec::new();
        let dir = std::env::temp_dir().join(format!("flags-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.rs"), "// `--to` in a comment\nlet m = \"use --retry\";\n").unwrap();
        visit(&dir, &mut planted);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(planted.len(), 1, "{planted:?}");
    }

    /// The placeholders of `line` directly followed by a verb's ending (`d`, `ed`, `ing`, `er`): a word made
    /// by appending letters, which English does not always allow ("canceld", "retryd", "stoping").
    fn appended_endings(line: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (open, _) in line.match_indices('{') {
            let Some(close) = line[open..].find('}').map(|c| open + c) else {
                continue;
            };
            let inside = &line[open + 1..close];
            if !inside.chars().all(|c| c.is_ascii_alphanumeric() || "_.:?".contains(c)) {
                continue;
            }
            let after = &line[close + 1..];
            let word: String = after.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            if ["d", "ed", "ing", "er"].contains(&word.as_str()) {
                found.push(format!("{{{inside}}}{word}"));
            }
        }
        found
    }

    /// No message builds a verb's form by appending letters to a placeholder: every form is written out.
    /// Reads the sources of the engine, the DSL, the runner and the front end.
    #[test]
    fn no_message_builds_a_word_by_appending_letters() {
        fn visit(dir: &Path, found: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                panic!("cannot read {}", dir.display());
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (i, line) in text.lines().enumerate() {
                        for hit in appended_endings(line) {
                            found.push(format!("{}:{}: {hit}", path.display(), i + 1));
                        }
                    }
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for crate_src in ["migrate-core/src", "migrate-dsl/src", "migrate-cli/src", "migrate-cli/runner/src"] {
            visit(&root.join(crate_src), &mut found);
        }
        assert!(found.is_empty(), "{}", found.join("\n"));
        // The check sees what it looks for, and leaves units and plain words alone.
        let planted = concat!("\"can be {verb", "}d\", \"{", "}ing\"");
        assert_eq!(appended_endings(planted), [concat!("{verb", "}d"), concat!("{", "}ing")]);
        assert!(appended_endings("\"{}s, {}ms, {n} done, {more}locks\"").is_empty());
    }
}
