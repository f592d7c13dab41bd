//! Data preconditions, checked on production where the review's role may read the rows: the built-in
//! checks that a pending statement will succeed on the rows production has (no NULLs before `SET NOT NULL`,
//! no duplicates before a unique index or constraint, no orphans before a foreign key is validated, no
//! violating rows before a `CHECK` is, every value castable before a type change, none outside a narrowed
//! enum), and the migrations' own ([`migrate_dsl::MigrationBuilder::precondition`]).
//!
//! Each check is derived from the statement's SQL ([`Deriver`]), and runs as one bounded read in a read-only
//! transaction of its own, under [`DATA_CHECK_TIMEOUT`]: a count that stops at [`COUNT_BOUND`] rows (a lower
//! bound then), an anti-join or a `GROUP BY` the table's indexes can serve, and, when the whole table cannot
//! be read in time, the same count on a [`SAMPLE_PERCENT`] sample (`TABLESAMPLE SYSTEM`), named as such. A
//! role that may not read a table (neither `SELECT` on it nor `pg_read_all_data`) runs no check on it: the
//! review says which checks it could not run and the grant that lets it.

mod derive;
mod read;

use std::time::Duration;

use postgres::Client;

use crate::review::{Level, MigrationReview, Review, ReviewFinding};

pub use derive::Deriver;
pub use read::{Count, Outcome, Read};

use super::{database, ProductionError};

/// The longest one check reads production.
pub const DATA_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// A count of offending rows stops here: beyond it, the figure is a lower bound.
pub const COUNT_BOUND: u64 = 1_000_000;

/// The share of the table a check reads, in percent, when the whole table takes longer than
/// [`DATA_CHECK_TIMEOUT`].
pub const SAMPLE_PERCENT: f64 = 1.0;

/// A table or a type, as a statement names it: each part's value (an unquoted name folded to lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relation {
    parts: Vec<String>,
}

impl Relation {
    pub fn new(parts: Vec<String>) -> Self {
        Relation { parts }
    }

    /// As SQL, each part quoted.
    pub fn sql(&self) -> String {
        self.parts
            .iter()
            .map(|p| migrate_dsl::ident(p))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// As the review shows tables: `public` left out.
    pub fn shown(&self) -> String {
        match self.parts.as_slice() {
            [schema, name] if schema == "public" => name.clone(),
            parts => parts.join("."),
        }
    }
}

/// What must hold on existing rows for a statement to succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// `SET NOT NULL` (or a validated `CHECK (c IS NOT NULL)`, a primary key): no NULL in the column.
    NoNulls { table: Relation, column: String },
    /// A unique index or constraint: no two rows with the same values of `columns` (SQL expressions),
    /// among the rows `predicate` selects. With `nulls_distinct`, rows with a NULL in them never collide.
    NoDuplicates {
        table: Relation,
        columns: Vec<String>,
        predicate: Option<String>,
        nulls_distinct: bool,
    },
    /// A foreign key validated: every row whose `columns` are all set has its match in `referenced`
    /// (`referenced_columns`; none: its primary key).
    NoOrphans {
        table: Relation,
        constraint: Option<String>,
        columns: Vec<String>,
        referenced: Relation,
        referenced_columns: Vec<String>,
    },
    /// A `CHECK` validated: no row for which `expression` is false.
    Satisfies {
        table: Relation,
        constraint: Option<String>,
        expression: String,
    },
    /// A type change: every value of the column castable to `to` (through `using`, when given).
    Castable {
        table: Relation,
        column: String,
        to: String,
        using: Option<String>,
    },
    /// A change to an enum type (a narrowed one, say): no value outside its labels (`None`: as production
    /// defines the type).
    InEnum {
        table: Relation,
        column: String,
        to: String,
        labels: Option<Vec<String>>,
    },
    /// `VALIDATE CONSTRAINT` of a constraint no pending statement adds: what it checks, as production
    /// defines it.
    Validate { table: Relation, constraint: String },
}

impl Check {
    /// The table whose rows it reads.
    pub fn table(&self) -> &Relation {
        match self {
            Check::NoNulls { table, .. }
            | Check::NoDuplicates { table, .. }
            | Check::NoOrphans { table, .. }
            | Check::Satisfies { table, .. }
            | Check::Castable { table, .. }
            | Check::InEnum { table, .. }
            | Check::Validate { table, .. } => table,
        }
    }

    /// What must hold, in words: `no NULL in orders.note`.
    pub fn describe(&self) -> String {
        match self {
            Check::NoNulls { table, column } => format!("no NULL in {}.{column}", table.shown()),
            Check::NoDuplicates {
                table,
                columns,
                predicate,
                ..
            } => format!(
                "no duplicate ({}) in {}{}",
                columns.join(", "),
                table.shown(),
                predicate
                    .as_ref()
                    .map(|p| format!(" where {p}"))
                    .unwrap_or_default()
            ),
            Check::NoOrphans {
                table,
                columns,
                referenced,
                referenced_columns,
                ..
            } => format!(
                "no orphan of {} ({}) in {} ({})",
                table.shown(),
                columns.join(", "),
                referenced.shown(),
                if referenced_columns.is_empty() {
                    "its primary key".to_owned()
                } else {
                    referenced_columns.join(", ")
                }
            ),
            Check::Satisfies {
                table, expression, ..
            } => format!("every row of {} satisfies CHECK ({expression})", table.shown()),
            Check::Castable {
                table,
                column,
                to,
                using,
            } => format!(
                "every {}.{column} castable to {to}{}",
                table.shown(),
                using
                    .as_ref()
                    .map(|u| format!(" (USING {u})"))
                    .unwrap_or_default()
            ),
            Check::InEnum {
                table,
                column,
                to,
                labels,
            } => format!(
                "no value of {}.{column} outside {to}{}",
                table.shown(),
                labels
                    .as_ref()
                    .map(|l| format!(
                        " ({})",
                        l.iter()
                            .map(|l| migrate_dsl::literal(l))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .unwrap_or_default()
            ),
            Check::Validate { table, constraint } => format!(
                "constraint {constraint} of {} holds (as production defines it)",
                table.shown()
            ),
        }
    }

    /// The value a read failed on, in words: `a value of orders.qty does not cast to integer`.
    fn failing_value(&self) -> String {
        match self {
            Check::Castable {
                table,
                column,
                to,
                using,
            } => format!(
                "a value of {}.{column} does not cast to {to}{}",
                table.shown(),
                using
                    .as_ref()
                    .map(|u| format!(" (USING {u})"))
                    .unwrap_or_default()
            ),
            other => format!("{} does not hold", other.describe()),
        }
    }

    /// The offending rows, in words, after their count: `rows of orders have note NULL`.
    fn offending(&self) -> String {
        match self {
            Check::NoNulls { table, column } => {
                format!("rows of {} have {column} NULL", table.shown())
            }
            Check::NoDuplicates { table, columns, .. } => format!(
                "values of ({}) appear more than once in {}",
                columns.join(", "),
                table.shown()
            ),
            Check::NoOrphans {
                table,
                columns,
                referenced,
                ..
            } => format!(
                "rows of {} have a {} with no match in {}",
                table.shown(),
                columns.join(", "),
                referenced.shown()
            ),
            Check::Satisfies {
                table, expression, ..
            } => format!("rows of {} violate CHECK ({expression})", table.shown()),
            Check::Castable { table, column, to, .. } => {
                format!("rows of {} have a {column} not castable to {to}", table.shown())
            }
            Check::InEnum { table, column, to, .. } => {
                format!("rows of {} have a {column} outside {to}", table.shown())
            }
            Check::Validate { table, constraint } => {
                format!("rows of {} violate {constraint}", table.shown())
            }
        }
    }
}

/// Who reads production, and how: what the checks' words and grants need.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The session's role.
    pub role: String,
    /// The server's major version.
    pub major: u32,
    /// The longest one read may take ([`DATA_CHECK_TIMEOUT`]).
    pub timeout: Duration,
}

/// A migration's own preconditions (`pgm.precondition(..)`), as the review runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnPreconditions {
    pub migration: String,
    /// Each `(name, query)`, in the order the migration records them.
    pub preconditions: Vec<(String, String)>,
}

/// Runs one built-in check on `client` (a session [`super::connect`] checked), each read under `timeout`.
pub fn check(
    client: &mut Client,
    check: &Check,
    timeout: Duration,
) -> Result<Outcome, ProductionError> {
    let reader = read::reader(client, timeout)?;
    read::run(client, &reader, check)
}

/// The built-in checks of every pending statement of `review` and the migrations' own preconditions, run on
/// `client` (a session [`super::connect`] checked), each read under `timeout` ([`DATA_CHECK_TIMEOUT`]), and
/// added to `review` as findings: a check that fails is an error on its statement, one that holds a note,
/// one that could not run a warning that says why and what grant lets it. A statement after one of the
/// pending statements that may write the same table (a backfill, data code, an `UPDATE`) is judged on rows
/// that may have changed by then: its failure is a warning saying so.
pub fn check_review(
    client: &mut Client,
    review: &mut Review,
    preconditions: &[OwnPreconditions],
    timeout: Duration,
) -> Result<(), ProductionError> {
    let reader = read::reader(client, timeout)?;
    let mut deriver = Deriver::new();
    // Statements that may write a table before a later check reads it: `(table, #position op)`.
    let mut writers: Vec<(Option<String>, String)> = Vec::new();
    for migration in &mut review.migrations {
        if let Some(own) = preconditions
            .iter()
            .find(|p| p.migration == migration.name)
        {
            for (name, sql) in &own.preconditions {
                let outcome = read::precondition(client, &reader, sql)?;
                migration.findings.push(precondition_finding(&reader, name, &outcome));
            }
        }
        check_statements(client, &reader, &mut deriver, &mut writers, migration)?;
    }
    Ok(())
}

fn check_statements(
    client: &mut Client,
    reader: &Reader,
    deriver: &mut Deriver,
    writers: &mut Vec<(Option<String>, String)>,
    migration: &mut MigrationReview,
) -> Result<(), ProductionError> {
    let mut done: Vec<String> = Vec::new();
    for statement in &mut migration.statements {
        for check in deriver.statement(&statement.sql) {
            let key = check.describe();
            if done.contains(&key) {
                continue;
            }
            done.push(key);
            let outcome = read::run(client, reader, &check)?;
            let table = check.table().shown();
            let written_by = writers
                .iter()
                .find(|(t, _)| t.as_deref().is_none_or(|t| t == table))
                .map(|(_, by)| by.clone());
            if let Some(finding) = finding(&check, &outcome, written_by.as_deref()) {
                statement.findings.push(ReviewFinding {
                    line: statement.line.map(|l| l as usize),
                    ..finding
                });
            }
        }
        let writes = may_write(&statement.operation, &statement.sql, statement.table.as_deref());
        if let Some(writes) = writes {
            writers.push((
                writes,
                format!(
                    "#{} ({}) of {}",
                    statement.position, statement.operation, migration.name
                ),
            ));
        }
    }
    Ok(())
}

/// Whether a statement may change rows that a later check reads: `Some(None)` for any table (data code),
/// `Some(Some(table))` for the one it writes, `None` when it writes no rows. A backfill (alone, or the one
/// an online change runs) writes its table; raw SQL is read for statements that start with a verb that
/// writes rows.
fn may_write(op: &str, sql: &str, table: Option<&str>) -> Option<Option<String>> {
    if op == "db" {
        return Some(None);
    }
    if matches!(op, "backfill" | "rename_column_online" | "change_column_type_online")
        || sql.trim_start().starts_with("-- backfill")
    {
        return Some(table.map(str::to_owned));
    }
    let mut writes = None;
    for part in sql.split(';') {
        let words: Vec<String> = part
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '"'))
            .filter(|w| !w.is_empty())
            .map(|w| w.replace('"', "").to_lowercase())
            .collect();
        match words.first().map(String::as_str) {
            Some("update" | "insert" | "delete" | "merge" | "copy") => {
                let table = words[1..]
                    .iter()
                    .find(|w| !matches!(w.as_str(), "into" | "from" | "only"))
                    .map(|w| w.strip_prefix("public.").unwrap_or(w).to_owned());
                // A second table written: any table, for simplicity's sake.
                writes = match writes {
                    None => Some(table),
                    Some(_) => Some(None),
                };
            }
            // A common table expression may write anything.
            Some("with") => writes = Some(None),
            _ => {}
        }
    }
    writes
}

/// The finding for a built-in check's outcome; none for a table production does not have yet.
fn finding(
    check: &Check,
    outcome: &Outcome,
    written_by: Option<&str>,
) -> Option<ReviewFinding> {
    let (rule, level, message) = match outcome {
        Outcome::NewTable | Outcome::CannotFail => return None,
        Outcome::Holds { read } => (
            "data-check",
            Level::Note,
            format!("holds on production: {} ({})", check.describe(), read.describe()),
        ),
        Outcome::Fails { count, read } => {
            let message = format!(
                "would fail on production: {} {} ({})",
                count.describe(),
                check.offending(),
                read.describe()
            );
            match written_by {
                Some(by) => (
                    "data-check",
                    Level::Warning,
                    format!("{message}; unless {by}, which runs before it and may write the table, changes them"),
                ),
                None => ("would-fail", Level::Error, message),
            }
        }
        Outcome::Error { message } => {
            let message = format!(
                "would fail on production: {}: {message}",
                check.failing_value()
            );
            match written_by {
                Some(by) => (
                    "data-check",
                    Level::Warning,
                    format!("{message}; unless {by}, which runs before it and may write the table, changes the rows"),
                ),
                None => ("would-fail", Level::Error, message),
            }
        }
        Outcome::Unchecked { why, grant } => (
            "data-check-not-run",
            Level::Warning,
            format!(
                "not checked on production: {} ({why}){}",
                check.describe(),
                grant
                    .as_ref()
                    .map(|g| format!("; {g} lets the review check it"))
                    .unwrap_or_default()
            ),
        ),
    };
    Some(ReviewFinding {
        rule: rule.to_owned(),
        level,
        message,
        line: None,
    })
}

/// The finding for a migration's own precondition.
fn precondition_finding(
    reader: &Reader,
    name: &str,
    outcome: &read::PreconditionOutcome,
) -> ReviewFinding {
    use crate::precondition::Verdict;
    let (level, message) = match outcome {
        read::PreconditionOutcome::Answered(Verdict::Holds) => (
            Level::Note,
            format!("precondition {name:?} holds on production"),
        ),
        read::PreconditionOutcome::Answered(Verdict::False) => (
            Level::Error,
            format!("precondition {name:?} does not hold on production: its query returned false; `up` would refuse the migration"),
        ),
        read::PreconditionOutcome::Answered(Verdict::Rows(rows)) => (
            Level::Error,
            format!(
                "precondition {name:?} does not hold on production: {}; `up` would refuse the migration",
                rows.describe()
            ),
        ),
        read::PreconditionOutcome::NotAllowed(why) => (
            Level::Warning,
            format!(
                "precondition {name:?} not checked on production ({why}); {} lets the review check it",
                read::grant_any(reader)
            ),
        ),
        read::PreconditionOutcome::Failed(why) => (
            Level::Warning,
            format!("precondition {name:?} not checked on production: {why}"),
        ),
    };
    ReviewFinding {
        rule: "precondition".to_owned(),
        level,
        message,
        line: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders() -> Relation {
        Relation::new(vec!["public".into(), "orders".into()])
    }

    #[test]
    fn statements_that_write_rows_before_a_check_are_told_apart() {
        assert_eq!(may_write("db", "-- pgm.db: fill", None), Some(None));
        assert_eq!(
            may_write("backfill", "-- backfill \"orders\" in batches", Some("orders")),
            Some(Some("orders".to_owned()))
        );
        assert_eq!(
            may_write("sql", "UPDATE public.orders SET note = '' WHERE note IS NULL", None),
            Some(Some("orders".to_owned()))
        );
        assert_eq!(
            may_write("sql", "INSERT INTO a SELECT 1; DELETE FROM b", None),
            Some(None)
        );
        assert_eq!(may_write("set_not_null", "ALTER TABLE \"orders\" ALTER COLUMN \"note\" SET NOT NULL", None), None);
        // A foreign key's `ON UPDATE` is no statement of its own.
        assert_eq!(
            may_write("sql", "ALTER TABLE o ADD FOREIGN KEY (w) REFERENCES w ON UPDATE CASCADE", None),
            None
        );
    }

    #[test]
    fn what_each_outcome_says() {
        let check = Check::NoNulls {
            table: orders(),
            column: "note".into(),
        };
        let fails = Outcome::Fails {
            count: Count::Exact(500_000),
            read: Read::Whole,
        };
        let sampled = Outcome::Fails {
            count: Count::About {
                estimate: 501_200.0,
                in_sample: 5_012,
            },
            read: Read::Sample {
                percent: 1.0,
                after: DATA_CHECK_TIMEOUT,
            },
        };
        let unchecked = Outcome::Unchecked {
            why: "role r may not read orders: it reads statistics only".into(),
            grant: Some("`GRANT SELECT ON \"public\".\"orders\" TO \"r\"`".into()),
        };
        let lines: Vec<String> = [
            finding(&check, &fails, None),
            finding(&check, &fails, Some("#1 (backfill) of 20261129000001_fill_notes")),
            finding(&check, &sampled, None),
            finding(&check, &Outcome::Holds { read: Read::Whole }, None),
            finding(&check, &unchecked, None),
            finding(&check, &Outcome::NewTable, None),
        ]
        .into_iter()
        .flatten()
        .map(|f| format!("{}: {}: {}", f.level.word(), f.rule, f.message))
        .collect();
        insta::assert_debug_snapshot!(lines, @r###"
        [
            "error: would-fail: would fail on production: 500,000 rows of orders have note NULL (read whole)",
            "warning: data-check: would fail on production: 500,000 rows of orders have note NULL (read whole); unless #1 (backfill) of 20261129000001_fill_notes, which runs before it and may write the table, changes them",
            "error: would-fail: would fail on production: about 501,200 rows of orders have note NULL (estimated from a 1% sample, TABLESAMPLE SYSTEM (1): the whole table takes longer than 5s)",
            "note: data-check: holds on production: no NULL in orders.note (read whole)",
            "warning: data-check-not-run: not checked on production: no NULL in orders.note (role r may not read orders: it reads statistics only); `GRANT SELECT ON \"public\".\"orders\" TO \"r\"` lets the review check it",
        ]
        "###);
    }
}
