//! Suppression comments in migration files: `// lint: allow <rule>[, <rule>...] -- <reason>`.
//!
//! A suppression covers its rules in the whole migration file, both directions. It is read from the file's
//! source (compiled into the registry for the checksum), so it needs no attribute or macro. The reason is
//! required because a silenced finding is a decision a reviewer should be able to read later.

use super::error::SuppressionError;
use super::rules::Rule;

/// One `// lint: allow` comment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Suppression {
    pub rules: Vec<Rule>,
    pub reason: String,
    /// 1-based line in the migration file.
    pub line: usize,
}

/// Every suppression in `source`, or every malformed one. `path` only labels the errors.
pub fn parse(path: &str, source: &str) -> Result<Vec<Suppression>, Vec<SuppressionError>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let line_no = i + 1;
        let Some(body) = directive(line) else {
            continue;
        };
        match parse_directive(body, line_no) {
            Ok(s) => found.push(s),
            Err(message) => errors.push(SuppressionError {
                path: path.to_owned(),
                line: line_no,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// The text after `lint:` when the line's comment starts with it (`//`, `///` or `//!`).
fn directive(line: &str) -> Option<&str> {
    let comment = &line[line.find("//")?..];
    let text = comment.trim_start_matches(['/', '!']).trim_start();
    text.strip_prefix("lint:")
}

fn parse_directive(body: &str, line: usize) -> Result<Suppression, String> {
    let body = body.trim();
    let Some(rest) = body.strip_prefix("allow") else {
        return Err(format!(
            "expected `// lint: allow <rule> -- <reason>`, found `lint: {body}`"
        ));
    };
    let (names, reason) = match rest.split_once("--") {
        Some((names, reason)) => (names, reason.trim()),
        None => (rest, ""),
    };
    let names: Vec<&str> = names
        .split([',', ' ', '\t'])
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(
            "`lint: allow` names no rule; write `// lint: allow <rule> -- <reason>`".to_owned(),
        );
    }
    let mut rules = Vec::new();
    for name in names {
        match Rule::from_name(name) {
            Some(rule) => rules.push(rule),
            None => {
                return Err(format!(
                "unknown lint rule `{name}`; the rules are listed in docs/reference/lint-rules.md"
            ))
            }
        }
    }
    if reason.is_empty() {
        return Err(format!(
            "`lint: allow {}` has no reason; write why it is safe after ` -- `",
            rules
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Suppression {
        rules,
        reason: reason.to_owned(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_reason() {
        let src = "use x;\n// lint: allow ban-drop-column, renaming-table -- the code stopped using it in v12\nfn up() {}\n    pgm.x(); // lint: allow ban-drop-table -- empty since 2024";
        let s = parse("m.rs", src).expect("valid");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].rules, [Rule::BanDropColumn, Rule::RenamingTable]);
        assert_eq!(s[0].reason, "the code stopped using it in v12");
        assert_eq!(s[0].line, 2);
        assert_eq!((s[1].rules[0], s[1].line), (Rule::BanDropTable, 4));
    }

    #[test]
    fn unknown_rules_missing_reasons_and_other_verbs_are_errors_with_lines() {
        let src = "//! lint: allow no-such-rule -- why\n// lint: allow ban-drop-table\n// lint: allow ban-drop-table --   \n// lint: deny x\n// lint: allow -- x\n// a comment about lint: not a directive";
        let errors = parse("m.rs", src).expect_err("invalid");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        assert!(errors[0]
            .message
            .contains("unknown lint rule `no-such-rule`"));
        assert!(errors[1].message.contains("has no reason"));
        assert!(errors[3].message.contains("expected `// lint: allow"));
        assert_eq!(
            errors[1].to_string(),
            "m.rs:2: `lint: allow ban-drop-table` has no reason; write why it is safe after ` -- `"
        );
    }
}
