//! How serious a finding is, by the size of the table it is about.
//!
//! A lint rule flags a statement whatever the table: a rewrite of a 100-row table and of a 50-million-row
//! one look the same in SQL. With production's sizes a review can tell them apart: a rule whose risk grows
//! with the table (a rewrite, a scan under a lock, an index built without `CONCURRENTLY`) is a note below
//! its threshold's `note_below` rows, an error from `error_from` rows, a warning between, and a warning when
//! the size is unknown. Rules whose risk does not depend on size (a rename the running app still reads, a
//! `json` column) keep the warning lint gives them. Each threshold can be set per rule in `migrate.toml`
//! (`[review.thresholds]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A finding's level, least serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing found.
    Ok,
    /// Worth knowing; safe at this size.
    Note,
    /// Look at it: risky, or the size is unknown.
    Warning,
    /// Do not merge as it is.
    Error,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Rows below which a size-dependent finding is a note, and from which it is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub note_below: u64,
    pub error_from: u64,
}

/// The default threshold: a table under ten thousand rows is rewritten or scanned in well under a second;
/// one of a million rows takes seconds to minutes, with every query on it waiting.
pub const DEFAULT_THRESHOLD: Threshold = Threshold {
    note_below: 10_000,
    error_from: 1_000_000,
};

/// The lint rules whose risk grows with the table's size (their names).
pub const SIZE_RULES: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "constraint-missing-not-valid",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "changing-column-type",
    "adding-field-with-default",
    "adding-required-field",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "adding-serial-field",
    "whole-table-update",
    "require-where-clause",
    "adding-field-with-check",
    "adding-field-with-foreign-key",
    "adding-field-with-unique",
];

/// The thresholds in force: the default and each rule's own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Thresholds {
    pub default: Option<Threshold>,
    /// By rule name.
    pub rules: BTreeMap<String, Threshold>,
}

impl Thresholds {
    /// The threshold for `rule`.
    pub fn of(&self, rule: &str) -> Threshold {
        self.rules
            .get(rule)
            .copied()
            .or(self.default)
            .unwrap_or(DEFAULT_THRESHOLD)
    }

    /// Rule names given a threshold that no size-dependent rule has: a typo would otherwise be ignored.
    pub fn unknown_rules(&self) -> Vec<&str> {
        self.rules
            .keys()
            .map(String::as_str)
            .filter(|r| !SIZE_RULES.contains(r))
            .collect()
    }

    /// The level of a finding of `rule` on a table of `rows` (`None`: unknown), and the reason in words.
    pub fn level(&self, rule: &str, rows: Option<f64>) -> (Level, Option<String>) {
        if !SIZE_RULES.contains(&rule) {
            return (Level::Warning, None);
        }
        let Some(rows) = rows else {
            return (Level::Warning, Some("table size unknown".to_owned()));
        };
        let t = self.of(rule);
        let shown = super::assess::count(rows);
        if rows < t.note_below as f64 {
            (
                Level::Note,
                Some(format!(
                    "{shown} rows: below {} ({rule} threshold)",
                    t.note_below
                )),
            )
        } else if rows >= t.error_from as f64 {
            (
                Level::Error,
                Some(format!(
                    "{shown} rows: at or above {} ({rule} threshold)",
                    t.error_from
                )),
            )
        } else {
            (Level::Warning, Some(format!("{shown} rows")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_rule_is_a_note_on_a_small_table_and_an_error_on_a_big_one() {
        let t = Thresholds::default();
        assert_eq!(t.level("changing-column-type", Some(100.0)).0, Level::Note);
        assert_eq!(
            t.level("changing-column-type", Some(50_000.0)).0,
            Level::Warning
        );
        assert_eq!(
            t.level("changing-column-type", Some(50_000_000.0)).0,
            Level::Error
        );
        assert_eq!(t.level("changing-column-type", None).0, Level::Warning);
        assert_eq!(t.level("renaming-column", Some(50_000_000.0)).0, Level::Warning);
    }

    #[test]
    fn a_rule_threshold_overrides_the_default_and_unknown_rules_are_named() {
        let mut t = Thresholds {
            default: Some(Threshold {
                note_below: 10,
                error_from: 20,
            }),
            ..Thresholds::default()
        };
        t.rules.insert(
            "changing-column-type".into(),
            Threshold {
                note_below: 1_000,
                error_from: 2_000,
            },
        );
        t.rules.insert(
            "no-such-rule".into(),
            Threshold {
                note_below: 1,
                error_from: 2,
            },
        );
        assert_eq!(t.level("changing-column-type", Some(500.0)).0, Level::Note);
        assert_eq!(t.level("adding-serial-field", Some(500.0)).0, Level::Error);
        assert_eq!(t.unknown_rules(), ["no-such-rule"]);
    }
}
