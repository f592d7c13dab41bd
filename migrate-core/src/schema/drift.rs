//! Drift: how a database's live schema differs from the schema its applied migrations give (built on a
//! scratch database up to exactly the applied version). Each object that differs is named with what
//! happened to it: added by hand, changed (the lines that differ), or missing.

use serde::Serialize;

use super::description::{SchemaDescription, SchemaObject};

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In the database, made by no migration.
    Added,
    /// Made by the migrations, and gone from the database.
    Missing,
    /// In both, described differently.
    Changed,
}

impl Change {
    /// What happened, as the drift reports say it.
    pub fn describe(&self) -> &'static str {
        match self {
            Change::Added => "added (by no migration)",
            Change::Missing => "missing (a migration made it)",
            Change::Changed => "changed",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// `table`, `function`, ...
    pub kind: &'static str,
    /// Schema-qualified.
    pub name: String,
    pub change: Change,
    /// Of a changed object: its lines only the migrations give (`-`) and only the database has (`+`), header
    /// included when it differs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

/// Objects (`kind name`, as the schema file writes their header) the comparison leaves out: `*` matches any
/// run of characters, e.g. `schema monitoring`, `table monitoring.*`, `extension *`.
#[derive(Debug, Clone, Default)]
pub struct Ignore(Vec<String>);

impl Ignore {
    pub fn new(patterns: impl IntoIterator<Item = impl Into<String>>) -> Ignore {
        Ignore(patterns.into_iter().map(Into::into).collect())
    }

    fn covers(&self, object: &SchemaObject) -> bool {
        let header = format!("{} {}", object.kind().word(), object.name());
        self.0.iter().any(|pattern| glob(pattern, &header))
    }
}

/// `pattern` with `*` as any run of characters, matched against the whole of `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The header and lines of `object`, as the schema file shows them.
fn shown(object: &SchemaObject) -> Vec<String> {
    let text = SchemaDescription::new(vec![object.clone()]).render();
    text.lines()
        .skip_while(|line| line.starts_with("--") || line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How `live` differs from `expected`, object by object, in the schema file's order; empty when they are the
/// same but for what `ignore` covers.
pub fn compare(expected: &SchemaDescription, live: &SchemaDescription, ignore: &Ignore) -> Vec<Drift> {
    let key = |o: &SchemaObject| (o.kind().word(), o.name().to_owned());
    let find = |list: &SchemaDescription, k: &(&str, String)| {
        list.objects().iter().find(|o| key(o) == *k).cloned()
    };
    let mut drifts = Vec::new();
    for object in expected.objects().iter().filter(|o| !ignore.covers(o)) {
        match find(live, &key(object)) {
            None => drifts.push(Drift {
                kind: object.kind().word(),
                name: object.name().to_owned(),
                change: Change::Missing,
                lines: Vec::new(),
            }),
            Some(now) if now != *object => {
                let (before, after) = (shown(object), shown(&now));
                let mut lines: Vec<String> = before
                    .iter()
                    .filter(|l| !after.contains(l))
                    .map(|l| format!("- {l}"))
                    .collect();
                lines.extend(after.iter().filter(|l| !before.contains(l)).map(|l| format!("+ {l}")));
                drifts.push(Drift {
                    kind: object.kind().word(),
                    name: object.name().to_owned(),
                    change: Change::Changed,
                    lines,
                });
            }
            Some(_) => {}
        }
    }
    for object in live.objects().iter().filter(|o| !ignore.covers(o)) {
        if find(expected, &key(object)).is_none() {
            drifts.push(Drift {
                kind: object.kind().word(),
                name: object.name().to_owned(),
                change: Change::Added,
                lines: Vec::new(),
            });
        }
    }
    drifts
}

#[cfg(test)]
mod tests;
