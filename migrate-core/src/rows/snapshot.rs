//! Fingerprints of every table's rows, and what a `down` did not give back.
//!
//! A table's fingerprint is its number of rows and, per column, how many values are not NULL and an MD5
//! of the column's values as text, sorted: the column's values as a multiset, whatever order the rows are
//! in and whichever physical place a rewrite gives them. Comparing columns one by one names the column at
//! fault; values that stay in a column but move to other rows are not seen.

use std::collections::BTreeMap;
use std::fmt;

use postgres::{Client, SimpleQueryMessage};
use serde::Serialize;

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::reader::query::{bookkeeping_filter, user_schema};
use crate::trace::catalog::results;

/// Every table's fingerprint, by name as shown (`public.` left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    tables: BTreeMap<String, TablePrint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TablePrint {
    rows: i64,
    columns: BTreeMap<String, ColumnPrint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnPrint {
    /// Values that are not NULL.
    values: i64,
    /// MD5 of the values as text, sorted; `None` when every value is NULL.
    digest: Option<String>,
}

impl Snapshot {
    /// Reads the fingerprint of every table of the database's own schemas (the bookkeeping tables left
    /// out): one catalog query, then one query per table, sent together.
    ///
    /// # Errors
    ///
    /// A query that fails, naming what it was for.
    pub fn take(client: &mut Client, bookkeeping: &MigrationsTable) -> Result<Snapshot, Error> {
        let sql = format!(
            "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
             a.attname, pg_catalog.quote_ident(a.attname) \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {} AND {} \
             ORDER BY 1, a.attnum",
            user_schema("n"),
            bookkeeping_filter(bookkeeping, "n.nspname", "c.relname"),
        );
        let messages = client
            .simple_query(&sql)
            .map_err(Error::database("cannot read the tables to fingerprint"))?;
        let [rows] = results::<1>(&messages);
        // (qualified name, [(column, quoted column)])
        let mut tables: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for row in rows {
            let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
            let (table, column, quoted) = (text(0), text(1), text(2));
            match tables.last_mut() {
                Some((name, columns)) if *name == table => columns.push((column, quoted)),
                _ => tables.push((table, vec![(column, quoted)])),
            }
        }
        if tables.is_empty() {
            return Ok(Snapshot::default());
        }
        let queries: Vec<String> = tables
            .iter()
            .map(|(table, columns)| {
                let per_column: Vec<String> = columns
                    .iter()
                    .map(|(_, c)| {
                        format!(
                            "pg_catalog.count({c}), pg_catalog.md5(pg_catalog.string_agg({c}::text, E'\\x1f' \
                             ORDER BY {c}::text))"
                        )
                    })
                    .collect();
                format!(
                    "SELECT pg_catalog.count(*), {} FROM {table}",
                    per_column.join(", ")
                )
            })
            .collect();
        let messages = client
            .simple_query(&queries.join(";\n"))
            .map_err(Error::database("cannot fingerprint the tables' rows"))?;
        let answers: Vec<Vec<Option<String>>> = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => {
                    Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
                }
                _ => None,
            })
            .collect();
        let number = |v: Option<&Option<String>>| {
            v.and_then(|v| v.as_deref()?.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let tables = tables
            .into_iter()
            .zip(answers)
            .map(|((table, columns), answer)| {
                let columns = columns
                    .into_iter()
                    .enumerate()
                    .map(|(i, (name, _))| {
                        let print = ColumnPrint {
                            values: number(answer.get(1 + 2 * i)),
                            digest: answer.get(2 + 2 * i).cloned().flatten(),
                        };
                        (name, print)
                    })
                    .collect();
                let shown = super::shown(&table).to_owned();
                (
                    shown,
                    TablePrint {
                        rows: number(answer.first()),
                        columns,
                    },
                )
            })
            .collect();
        Ok(Snapshot { tables })
    }

    /// The rows of `table` (as shown), if it exists.
    pub fn rows(&self, table: &str) -> Option<i64> {
        self.tables.get(table).map(|t| t.rows)
    }

    /// Every table's rows, by name as shown.
    pub fn row_counts(&self) -> impl Iterator<Item = (&str, i64)> {
        self.tables.iter().map(|(t, p)| (t.as_str(), p.rows))
    }
}

/// What the rows and values after a `down` say about it, against those before the `up`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DataFinding {
    /// The table has another number of rows after the `down` than before the `up`, and the `up` did
    /// not change how many it has.
    RowsNotRestored {
        table: String,
        before: i64,
        after_down: i64,
    },
    /// A column has fewer values after the `down` than before the `up`, which did not change it in place
    /// (it kept it as it was, or dropped or renamed it).
    ValuesLost {
        table: String,
        column: String,
        before: i64,
        after_down: i64,
        /// Where the `up` put the column's values: another column of the table holding the same ones.
        moved_to: Option<String>,
        /// Whether that column is gone after the `down`.
        moved_to_dropped: bool,
    },
    /// A column has as many values after the `down` as before the `up`, but others.
    ValuesChanged { table: String, column: String },
    /// A note: the `up` adds or deletes rows of the table, so its values are not compared (its `down`
    /// is not expected to put deleted rows back).
    RowsChangedByUp {
        table: String,
        before: i64,
        after_up: i64,
    },
    /// A note: the `up` changes the column's values in place (a data migration), so its `down` is not
    /// expected to give them back.
    ValuesChangedByUp { table: String, column: String },
}

impl DataFinding {
    /// Whether this fails the migration (else it is a note).
    pub fn is_problem(&self) -> bool {
        !matches!(
            self,
            DataFinding::RowsChangedByUp { .. } | DataFinding::ValuesChangedByUp { .. }
        )
    }
}

impl fmt::Display for DataFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataFinding::RowsNotRestored {
                table,
                before,
                after_down,
            } => write!(
                f,
                "{table} has {after_down} row(s) after the down, {before} before the up: the down does not \
                 give every row back"
            ),
            DataFinding::ValuesLost {
                table,
                column,
                before,
                after_down,
                moved_to,
                moved_to_dropped,
            } => {
                write!(
                    f,
                    "{table}.{column} loses data: {before} value(s) before the up, {after_down} after the down"
                )?;
                match moved_to {
                    Some(to) if *moved_to_dropped => write!(
                        f,
                        "; the up moved them to {table}.{to}, which the down drops without copying them back"
                    ),
                    Some(to) => write!(
                        f,
                        "; the up moved them to {table}.{to}, and the down does not copy them back"
                    ),
                    None => write!(f, "; the down does not put them back"),
                }
            }
            DataFinding::ValuesChanged { table, column } => write!(
                f,
                "{table}.{column} has other values after the down than before the up"
            ),
            DataFinding::RowsChangedByUp {
                table,
                before,
                after_up,
            } => write!(
                f,
                "the up changes the rows of {table} ({before} before, {after_up} after), so its values were \
                 not compared"
            ),
            DataFinding::ValuesChangedByUp { table, column } => write!(
                f,
                "the up changes {table}.{column} in place (a data migration), so its down is not expected to \
                 give the old values back"
            ),
        }
    }
}

/// What the `down` did not give back of the rows and values before the `up`: problems, and notes on what
/// the `up` changed on purpose. A table or column missing after the `down` is left to the schema's check.
pub fn compare(before: &Snapshot, after_up: &Snapshot, after_down: &Snapshot) -> Vec<DataFinding> {
    let mut findings = Vec::new();
    for (table, b) in &before.tables {
        let Some(d) = after_down.tables.get(table) else {
            continue;
        };
        let u = after_up.tables.get(table);
        if let Some(u) = u.filter(|u| u.rows != b.rows) {
            if d != b {
                findings.push(DataFinding::RowsChangedByUp {
                    table: table.clone(),
                    before: b.rows,
                    after_up: u.rows,
                });
            }
            continue;
        }
        if d.rows != b.rows {
            findings.push(DataFinding::RowsNotRestored {
                table: table.clone(),
                before: b.rows,
                after_down: d.rows,
            });
            continue;
        }
        for (column, bc) in &b.columns {
            let Some(dc) = d.columns.get(column) else {
                continue;
            };
            if dc == bc {
                continue;
            }
            if u.and_then(|u| u.columns.get(column)).is_some_and(|uc| uc != bc) {
                findings.push(DataFinding::ValuesChangedByUp {
                    table: table.clone(),
                    column: column.clone(),
                });
                continue;
            }
            if dc.values >= bc.values {
                findings.push(DataFinding::ValuesChanged {
                    table: table.clone(),
                    column: column.clone(),
                });
                continue;
            }
            // The column the up filled with these values, if one of those it added holds them.
            let moved_to = u.and_then(|u| {
                u.columns
                    .iter()
                    .find(|(name, uc)| !b.columns.contains_key(*name) && *uc == bc)
                    .map(|(name, _)| name.clone())
            });
            let moved_to_dropped = moved_to
                .as_ref()
                .is_some_and(|m| !d.columns.contains_key(m));
            findings.push(DataFinding::ValuesLost {
                table: table.clone(),
                column: column.clone(),
                before: bc.values,
                after_down: dc.values,
                moved_to,
                moved_to_dropped,
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: i64, digest: &str) -> ColumnPrint {
        ColumnPrint {
            values,
            digest: (values > 0).then(|| digest.to_owned()),
        }
    }

    /// A table as written in a test: its name, rows and columns.
    type Written<'a> = (&'a str, i64, &'a [(&'a str, ColumnPrint)]);

    fn snapshot(tables: &[Written<'_>]) -> Snapshot {
        Snapshot {
            tables: tables
                .iter()
                .map(|(name, rows, columns)| {
                    (
                        (*name).to_owned(),
                        TablePrint {
                            rows: *rows,
                            columns: columns
                                .iter()
                                .map(|(c, p)| ((*c).to_owned(), p.clone()))
                                .collect(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The rename's expand and contract in one migration, with a `down` that adds the old column back
    /// empty: the old column is named, with where its values went.
    #[test]
    fn a_down_that_drops_the_column_the_up_filled_loses_data() {
        let id = column(3, "ids");
        let before = snapshot(&[("comments", 3, &[("id", id.clone()), ("contents", column(3, "texts"))])]);
        let after_up = snapshot(&[("comments", 3, &[("id", id.clone()), ("body", column(3, "texts"))])]);
        let after_down = snapshot(&[("comments", 3, &[("id", id), ("contents", column(0, ""))])]);
        let findings = compare(&before, &after_up, &after_down);
        assert_eq!(
            findings,
            vec![DataFinding::ValuesLost {
                table: "comments".to_owned(),
                column: "contents".to_owned(),
                before: 3,
                after_down: 0,
                moved_to: Some("body".to_owned()),
                moved_to_dropped: true,
            }]
        );
        assert!(findings[0].is_problem());
        assert_eq!(
            findings[0].to_string(),
            "comments.contents loses data: 3 value(s) before the up, 0 after the down; the up moved them to \
             comments.body, which the down drops without copying them back"
        );
    }

    /// A data migration's changes are notes; a down that changes what the up left alone, or loses rows,
    /// is a problem; what comes back as it was is nothing.
    #[test]
    fn what_the_up_changed_on_purpose_is_a_note() {
        let before = snapshot(&[
            ("users", 4, &[("email", column(4, "mixed case")), ("name", column(3, "names"))]),
            ("logs", 10, &[("line", column(10, "lines"))]),
            ("tags", 2, &[("tag", column(2, "tags"))]),
        ]);
        let after_up = snapshot(&[
            ("users", 4, &[("email", column(4, "lower case")), ("name", column(3, "names"))]),
            ("logs", 6, &[("line", column(6, "fewer lines"))]),
            ("tags", 2, &[("tag", column(2, "tags"))]),
        ]);
        let after_down = snapshot(&[
            ("users", 4, &[("email", column(4, "lower case")), ("name", column(3, "other names"))]),
            ("logs", 6, &[("line", column(6, "fewer lines"))]),
            ("tags", 1, &[("tag", column(1, "one tag"))]),
        ]);
        let findings = compare(&before, &after_up, &after_down);
        let problems: Vec<bool> = findings.iter().map(DataFinding::is_problem).collect();
        assert_eq!(
            findings,
            vec![
                DataFinding::RowsChangedByUp {
                    table: "logs".to_owned(),
                    before: 10,
                    after_up: 6
                },
                DataFinding::RowsNotRestored {
                    table: "tags".to_owned(),
                    before: 2,
                    after_down: 1
                },
                DataFinding::ValuesChangedByUp {
                    table: "users".to_owned(),
                    column: "email".to_owned()
                },
                DataFinding::ValuesChanged {
                    table: "users".to_owned(),
                    column: "name".to_owned()
                },
            ]
        );
        assert_eq!(problems, [false, true, false, true]);
        assert!(compare(&before, &after_up, &before).is_empty());
    }
}
