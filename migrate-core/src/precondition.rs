//! Evaluating a migration's own precondition ([`migrate_dsl::MigrationBuilder::precondition`]): the query's
//! answer, a boolean or offending rows, as one verdict. `up` runs it in the migration's transaction before
//! the migration's first statement; a review runs it on production in its read-only transaction.
//!
//! The query is wrapped as a subquery (`SELECT .. FROM (<query>) AS precondition`), so its answer is read
//! the same way whatever it returns: its columns' types from the prepared statement, and at most
//! [`PRECONDITION_ROWS_SHOWN`] + 1 rows, each as the row's text form, so a value of any type prints and the
//! read stops early on a table full of offending rows.

use postgres::types::Type;
use postgres::GenericClient;

pub use migrate_dsl::PRECONDITION_ROWS_SHOWN;

/// What a precondition's query answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// True, or no rows.
    Holds,
    /// A boolean answer that is false (or NULL).
    False,
    /// Offending rows.
    Rows(Offending),
}

/// The first offending rows of a precondition that returned rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offending {
    /// The query's column names.
    pub columns: Vec<String>,
    /// Up to [`PRECONDITION_ROWS_SHOWN`] rows, each in PostgreSQL's text form of a row: `(a@example.com,2)`.
    pub rows: Vec<String>,
    /// Whether it returned more rows than those.
    pub more: bool,
}

impl Offending {
    /// `2 offending rows (email, count): (a@x,2); (b@x,3)`, or `at least 11 offending rows ...`, on one line.
    pub fn describe(&self) -> String {
        let count = if self.more {
            format!("at least {} offending rows", self.rows.len() + 1)
        } else if self.rows.len() == 1 {
            "1 offending row".to_owned()
        } else {
            format!("{} offending rows", self.rows.len())
        };
        let shown = if self.more {
            format!(", the first {}", self.rows.len())
        } else {
            String::new()
        };
        format!(
            "{count} ({}{shown}): {}",
            self.columns.join(", "),
            self.rows.join("; ")
        )
    }
}

/// Runs `sql` on `conn` and reads its answer: one boolean column is true when every row it returns is true;
/// any other answer holds when it has no rows.
pub fn evaluate(conn: &mut impl GenericClient, sql: &str) -> Result<Verdict, postgres::Error> {
    // A line break before the closing parenthesis: the query may end with a `--` comment.
    let wrapped = format!("SELECT * FROM (\n{sql}\n) AS precondition");
    let prepared = conn.prepare(&wrapped)?;
    let columns: Vec<String> = prepared
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let limit = PRECONDITION_ROWS_SHOWN + 1;
    if prepared.columns().len() == 1 && *prepared.columns()[0].type_() == Type::BOOL {
        let rows = conn.query(
            &format!("SELECT p.* FROM (\n{sql}\n) AS p LIMIT {limit}"),
            &[],
        )?;
        let all_true = rows.iter().all(|r| r.get::<_, Option<bool>>(0) == Some(true));
        return Ok(if all_true {
            Verdict::Holds
        } else {
            Verdict::False
        });
    }
    let rows = conn.query(
        &format!("SELECT p::text FROM (\n{sql}\n) AS p LIMIT {limit}"),
        &[],
    )?;
    if rows.is_empty() {
        return Ok(Verdict::Holds);
    }
    let mut text: Vec<String> = rows
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect();
    let more = text.len() > PRECONDITION_ROWS_SHOWN;
    text.truncate(PRECONDITION_ROWS_SHOWN);
    Ok(Verdict::Rows(Offending {
        columns,
        rows: text,
        more,
    }))
}
