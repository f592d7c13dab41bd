//! `// trace: allow <what>[, <what>] -- <reason>` comments in a migration file: the migration accepts that an
//! `ACCESS EXCLUSIVE` lock is held across a rewrite (`rewrite`) or a scan (`scan`), and the trace's gate lets
//! it pass. Like lint's suppressions, one covers the whole file and needs its reason.

use serde::Serialize;

/// What the gate stops: an `ACCESS EXCLUSIVE` lock held while a statement rewrites or scans a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// The statement rewrote a table or index (its file changed).
    Rewrite,
    /// The statement read every row of a table: a constraint or `NOT NULL` checked, a foreign key validated,
    /// an index built.
    Scan,
}

impl GateKind {
    /// The word used in `// trace: allow`.
    pub fn name(self) -> &'static str {
        match self {
            GateKind::Rewrite => "rewrite",
            GateKind::Scan => "scan",
        }
    }
}

/// One `// trace: allow` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allow {
    pub kinds: Vec<GateKind>,
    pub reason: String,
    /// 1-based line in the migration file.
    pub line: usize,
}

/// Every `// trace: allow` comment in `source`, or what is wrong with each malformed one (`line: message`).
pub(crate) fn parse(source: &str) -> Result<Vec<Allow>, Vec<(usize, String)>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let Some(body) = directive(line) else {
            continue;
        };
        match parse_directive(body) {
            Ok((kinds, reason)) => found.push(Allow {
                kinds,
                reason,
                line: i + 1,
            }),
            Err(message) => errors.push((i + 1, message)),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// The text after `trace:` when the line's comment starts with it.
fn directive(line: &str) -> Option<&str> {
    let comment = &line[line.find("//")?..];
    comment
        .trim_start_matches(['/', '!'])
        .trim_start()
        .strip_prefix("trace:")
}

fn parse_directive(body: &str) -> Result<(Vec<GateKind>, String), String> {
    let body = body.trim();
    let Some(rest) = body.strip_prefix("allow") else {
        return Err(format!(
            "expected `// trace: allow rewrite|scan -- <reason>`, found `trace: {body}`"
        ));
    };
    let (names, reason) = rest.split_once("--").unwrap_or((rest, ""));
    let mut kinds = Vec::new();
    for name in names.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
        kinds.push(match name {
            "rewrite" => GateKind::Rewrite,
            "scan" => GateKind::Scan,
            other => {
                return Err(format!(
                    "unknown `trace: allow` kind `{other}`; write `rewrite` or `scan`"
                ))
            }
        });
    }
    if kinds.is_empty() {
        return Err(
            "`trace: allow` names nothing; write `// trace: allow rewrite|scan -- <reason>`"
                .to_owned(),
        );
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(
            "`trace: allow` needs a reason after `--`: why may the table be locked for the rewrite or scan?"
                .to_owned(),
        );
    }
    Ok((kinds, reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_name_kinds_and_need_a_reason() {
        let source = "use x;\n// trace: allow rewrite, scan -- posts has 40 rows\npgm.sql(\"..\"); // trace: allow scan -- small\n";
        let allows = parse(source).unwrap();
        assert_eq!(allows.len(), 2);
        assert_eq!(allows[0].kinds, [GateKind::Rewrite, GateKind::Scan]);
        assert_eq!(allows[0].line, 2);
        assert_eq!(allows[1].reason, "small");
        let errors =
            parse("// trace: allow rewrite\n// trace: allow nap -- x\n// trace: deny scan -- x\n")
                .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 3]);
        assert!(errors[0].1.contains("needs a reason"), "{errors:?}");
    }
}
