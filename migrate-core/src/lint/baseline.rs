//! The lint baseline: findings accepted as they are, kept in a file of their own (`lint-baseline.json` next to
//! `migrate.toml`) instead of in the migration files.
//!
//! A project that brings its history over (`import`), or starts linting late, has findings in migrations that
//! ran long ago and will never be edited: an edit, even a `// lint: allow` comment, changes a file's checksum,
//! and every database then reports it changed. The baseline accepts them, and `lint` then reports only
//! findings not in it, as ESLint's suppressions file and PHPStan's baseline do.
//!
//! An entry counts the findings of one rule in one direction of one migration, not their lines or statements:
//! an applied migration does not change, and a count survives a new version of this tool rendering a statement
//! differently. More findings of that rule there than the entry accepts cannot be told apart, so all of them are
//! reported; fewer leave a note that the entry can shrink (`lint --write-baseline` again).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::report::{Note, Report};
use crate::migration::Direction;

/// The file's default name, next to `migrate.toml` (or in the current folder without one).
pub const BASELINE_FILE: &str = "lint-baseline.json";

/// The version of the file's layout this crate reads and writes.
pub const BASELINE_VERSION: u32 = 1;

/// Findings accepted as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    /// By migration, then direction, then rule.
    pub accepted: Vec<Accepted>,
}

/// How many findings of one rule one direction of one migration may have.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Accepted {
    pub migration: String,
    /// `up` or `down`.
    pub direction: String,
    /// The rule's name, as the report prints it (`require-concurrent-index-creation`).
    pub rule: String,
    pub count: usize,
}

/// A baseline file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    #[error("it is not a lint baseline this version reads: {0}")]
    Json(#[from] serde_json::Error),
    #[error("it is of version {found}, and this version reads version {BASELINE_VERSION}")]
    Version { found: u32 },
}

/// The key of an entry: migration, direction, rule.
type Key = (String, String, String);

impl Baseline {
    /// Reads a baseline from its JSON text.
    pub fn from_json(text: &str) -> Result<Baseline, BaselineError> {
        let baseline: Baseline = serde_json::from_str(text)?;
        if baseline.version != BASELINE_VERSION {
            return Err(BaselineError::Version {
                found: baseline.version,
            });
        }
        Ok(baseline)
    }

    /// The file's text: one entry a line or so, sorted, so that a change is a readable diff.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// How many findings it accepts in all.
    pub fn count(&self) -> usize {
        self.accepted.iter().map(|a| a.count).sum()
    }

    /// In how many migrations.
    pub fn migrations(&self) -> usize {
        let mut names: Vec<&str> = self.accepted.iter().map(|a| a.migration.as_str()).collect();
        names.dedup();
        names.len()
    }

    fn counts(&self) -> BTreeMap<Key, usize> {
        let mut counts = BTreeMap::new();
        for a in &self.accepted {
            *counts
                .entry((a.migration.clone(), a.direction.clone(), a.rule.clone()))
                .or_default() += a.count;
        }
        counts
    }

    /// Moves the findings of `report` that this baseline accepts to [`MigrationLint::baselined`]
    /// (`super::MigrationLint`), and notes where the counts differ: more findings of a rule than accepted
    /// are all reported (which ones are new cannot be told), fewer mean the entry can shrink. Returns how
    /// many entries can shrink, for a front end to say how its users write the baseline again.
    pub fn apply(&self, report: &mut Report) -> usize {
        let counts = self.counts();
        let mut shrinkable = 0;
        for m in &mut report.migrations {
            let direction = direction_name(m.direction);
            let mut found: BTreeMap<String, usize> = BTreeMap::new();
            for f in &m.findings {
                *found.entry(f.rule.name().to_owned()).or_default() += 1;
            }
            let accepted_here = counts
                .iter()
                .filter(|((name, dir, _), _)| *name == m.name && *dir == direction)
                .map(|((_, _, rule), &count)| (rule.clone(), count));
            let accepted_rules: Vec<(String, usize)> = accepted_here.collect();
            for (rule, accepted) in accepted_rules {
                let n = found.get(&rule).copied().unwrap_or(0);
                if n <= accepted {
                    let (taken, kept) = std::mem::take(&mut m.findings)
                        .into_iter()
                        .partition(|f| f.rule.name() == rule);
                    m.findings = kept;
                    m.baselined.extend::<Vec<_>>(taken);
                }
                let message = if n > accepted {
                    format!(
                        "the lint baseline accepts {accepted} finding(s) of {rule} here and there are {n}: all are \
                         listed, as which are new cannot be told"
                    )
                } else if n < accepted {
                    shrinkable += 1;
                    format!(
                        "the lint baseline accepts {accepted} finding(s) of {rule} here and there are {n}: \
                         writing the baseline again shrinks it"
                    )
                } else {
                    continue;
                };
                m.notes.push(Note {
                    line: None,
                    message,
                });
            }
        }
        shrinkable
    }

    /// The baseline that accepts every finding `report` lists (not silenced, not yet accepted, or accepted by
    /// a previous baseline), with the entries of `previous` that `report` says nothing about: those of the other
    /// direction, and, when `whole` (every migration was linted), none of a migration the report lacks, as its
    /// file is gone.
    pub fn accepting(report: &Report, previous: Option<&Baseline>, whole: bool) -> Baseline {
        let linted: std::collections::BTreeSet<(String, String)> = report
            .migrations
            .iter()
            .map(|m| (m.name.clone(), direction_name(m.direction).to_owned()))
            .collect();
        let directions: std::collections::BTreeSet<String> = report
            .migrations
            .iter()
            .map(|m| direction_name(m.direction).to_owned())
            .collect();
        let mut accepted: Vec<Accepted> = previous
            .map(|p| p.accepted.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                // Written again below from what was linted now; with every migration linted, the entries of
                // the others are of migrations that are gone.
                let relinted = linted.contains(&(a.migration.clone(), a.direction.clone()))
                    || (whole && directions.contains(&a.direction));
                !relinted
            })
            .collect();
        for m in &report.migrations {
            let mut found: BTreeMap<&str, usize> = BTreeMap::new();
            for f in m.findings.iter().chain(&m.baselined) {
                *found.entry(f.rule.name()).or_default() += 1;
            }
            accepted.extend(found.into_iter().map(|(rule, count)| Accepted {
                migration: m.name.clone(),
                direction: direction_name(m.direction).to_owned(),
                rule: rule.to_owned(),
                count,
            }));
        }
        accepted.sort();
        Baseline {
            version: BASELINE_VERSION,
            accepted,
        }
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Finding, MigrationLint, Rule};

    fn finding(rule: Rule) -> Finding {
        Finding {
            rule,
            op: Some((1, "sql")),
            line: Some(4),
            statement: "CREATE INDEX i ON t (c)".to_owned(),
            detail: None,
        }
    }

    fn migration(name: &str, findings: Vec<Finding>) -> MigrationLint {
        MigrationLint {
            name: name.to_owned(),
            path: format!("migrations/{name}.rs"),
            direction: Direction::Up,
            findings,
            silenced: Vec::new(),
            unparsable: Vec::new(),
            notes: Vec::new(),
            baselined: Vec::new(),
        }
    }

    const INDEX: Rule = Rule::RequireConcurrentIndexCreation;
    const DROP: Rule = Rule::BanDropColumn;

    /// Written from one report, the baseline accepts exactly its findings; a second report with one finding
    /// more of a rule lists every finding of that rule there (with a note), and one with fewer a note only.
    #[test]
    fn accepts_what_it_counted_and_reports_the_rest() {
        let old = migration("20240101000000_old", vec![finding(INDEX), finding(DROP)]);
        let baseline = Baseline::accepting(
            &Report {
                migrations: vec![old.clone()],
            },
            None,
            true,
        );
        assert_eq!(baseline.count(), 2);
        let again = Baseline::from_json(&baseline.to_json()).unwrap();
        assert_eq!(again, baseline);

        let mut same = Report {
            migrations: vec![
                old.clone(),
                migration("20250101000000_new", vec![finding(INDEX)]),
            ],
        };
        assert_eq!(baseline.apply(&mut same), 0);
        assert_eq!(same.migrations[0].findings, []);
        assert_eq!(same.migrations[0].baselined.len(), 2);
        assert!(same.migrations[0].notes.is_empty());
        assert_eq!(
            same.migrations[1].findings.len(),
            1,
            "a new migration is not in it"
        );

        let mut more = Report {
            migrations: vec![migration(
                "20240101000000_old",
                vec![finding(INDEX), finding(INDEX), finding(DROP)],
            )],
        };
        baseline.apply(&mut more);
        let m = &more.migrations[0];
        assert_eq!(m.findings, [finding(INDEX), finding(INDEX)]);
        assert_eq!(m.baselined, [finding(DROP)]);
        assert!(m.notes[0].message.contains(
            "accepts 1 finding(s) of require-concurrent-index-creation here and there are 2"
        ));

        let mut fewer = Report {
            migrations: vec![migration("20240101000000_old", vec![finding(DROP)])],
        };
        assert_eq!(baseline.apply(&mut fewer), 1);
        assert_eq!(fewer.migrations[0].findings, []);
        assert!(fewer.migrations[0].notes[0]
            .message
            .contains("writing the baseline again shrinks it"));
    }

    /// Written again from a partial lint, it keeps what that lint did not look at; from a whole one, it drops
    /// the migrations that are gone.
    #[test]
    fn a_rewrite_keeps_what_was_not_linted() {
        let a = migration("20240101000000_a", vec![finding(INDEX)]);
        let b = migration("20240101000001_b", vec![finding(DROP)]);
        let both = Baseline::accepting(
            &Report {
                migrations: vec![a.clone(), b],
            },
            None,
            true,
        );
        let only_a = Report {
            migrations: vec![a.clone()],
        };
        assert_eq!(Baseline::accepting(&only_a, Some(&both), false), both);
        let whole = Baseline::accepting(&only_a, Some(&both), true);
        assert_eq!(whole.migrations(), 1);
        assert_eq!(whole.accepted[0].migration, "20240101000000_a");
        assert!(matches!(
            Baseline::from_json("{\"version\": 2, \"accepted\": []}"),
            Err(BaselineError::Version { found: 2 })
        ));
    }
}
