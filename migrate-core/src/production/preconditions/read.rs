//! The bounded reads: each check in a read-only transaction of its own, under a statement timeout, first
//! over the whole table (counting offending rows up to a bound), then, when that takes too long, over a
//! sample that the result names.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Transaction};

use super::{
    database, Check, Deriver, ProductionError, Reader, Relation, COUNT_BOUND, SAMPLE_PERCENT,
};
use crate::precondition::{evaluate, Verdict};

/// How many offending rows a check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    Exact(u64),
    /// The count stopped at the bound.
    AtLeast(u64),
    /// Scaled from a sample: `in_sample` found there.
    About { estimate: f64, in_sample: u64 },
}

impl Count {
    pub fn describe(&self) -> String {
        match self {
            Count::Exact(n) => grouped(*n),
            Count::AtLeast(n) => format!("at least {}", grouped(*n)),
            Count::About { estimate, .. } => format!("about {}", grouped(estimate.round() as u64)),
        }
    }
}

/// A timeout in words: `5s`, `200ms`.
pub(super) fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// `500000` as `500,000`: a count of rows a reviewer compares with the table's, exactly.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// How much of the table a check read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Read {
    /// Every row (up to the bound of offending rows).
    Whole,
    /// A sample of `percent` of the table's pages, `TABLESAMPLE SYSTEM (percent)`: the whole table took
    /// longer than `after`.
    Sample { percent: f64, after: Duration },
}

impl Read {
    pub fn describe(&self) -> String {
        match self {
            Read::Whole => "read whole".to_owned(),
            Read::Sample { percent, after } => format!(
                "estimated from a {percent}% sample, TABLESAMPLE SYSTEM ({percent}): the whole table takes \
                 longer than {}",
                seconds(*after)
            ),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Production does not have the table (a pending migration creates it): no rows to check.
    NewTable,
    /// The change cannot fail on any value: a type change along an implicit cast (`integer` to `bigint`).
    CannotFail,
    Holds { read: Read },
    Fails { count: Count, read: Read },
    /// The read failed the way the statement would (a value not castable): the server's message.
    Error { message: String },
    /// The check could not run: why, and the grant that lets it when that is what it lacks.
    Unchecked { why: String, grant: Option<String> },
}

/// What a migration's own precondition answered on production.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PreconditionOutcome {
    Answered(Verdict),
    /// The role may not read what it reads.
    NotAllowed(String),
    Failed(String),
}

/// The session's role and server major.
pub(super) fn reader(client: &mut Client, timeout: Duration) -> Result<Reader, ProductionError> {
    let row = client
        .query_one(
            "SELECT current_user::text, pg_catalog.current_setting('server_version_num')::int / 10000",
            &[],
        )
        .map_err(database("read the session's role"))?;
    Ok(Reader {
        role: row.get(0),
        major: row.get::<_, i32>(1).try_into().unwrap_or(0),
        timeout,
    })
}

/// The grant that lets the role read every table: `pg_read_all_data` from PostgreSQL 14.
pub(super) fn grant_any(reader: &Reader) -> String {
    let role = migrate_dsl::ident(&reader.role);
    if reader.major >= 14 {
        format!("`GRANT pg_read_all_data TO {role}`")
    } else {
        format!("`GRANT SELECT ON <table> TO {role}`")
    }
}

fn grant(reader: &Reader, tables: &[&Relation]) -> String {
    let role = migrate_dsl::ident(&reader.role);
    let on: Vec<String> = tables.iter().map(|t| t.sql()).collect();
    let select = format!("`GRANT SELECT ON {} TO {role}`", on.join(", "));
    if reader.major >= 14 {
        format!("`GRANT pg_read_all_data TO {role}` (every table) or {select}")
    } else {
        select
    }
}

/// A read-only transaction with the checks' statement timeout.
fn transaction(client: &mut Client, timeout: Duration) -> Result<Transaction<'_>, ProductionError> {
    crate::production::read_only(
        client,
        "statement_timeout",
        timeout,
        "set the check's statement timeout",
    )
}

/// Runs a migration's own precondition in a read-only transaction.
pub(super) fn precondition(
    client: &mut Client,
    reader: &Reader,
    sql: &str,
) -> Result<PreconditionOutcome, ProductionError> {
    let mut tx = transaction(client, reader.timeout)?;
    let outcome = match evaluate(&mut tx, sql) {
        Ok(verdict) => PreconditionOutcome::Answered(verdict),
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            PreconditionOutcome::NotAllowed(crate::error::describe_pg(&e))
        }
        Err(e) if e.code() == Some(&SqlState::QUERY_CANCELED) => PreconditionOutcome::Failed(format!(
            "it did not finish within {}",
            seconds(reader.timeout)
        )),
        Err(e) => PreconditionOutcome::Failed(format!(
            "its query failed: {}",
            crate::error::describe_pg(&e)
        )),
    };
    let _ = tx.rollback();
    Ok(outcome)
}

/// Runs `check` on production.
pub(super) fn run(
    client: &mut Client,
    reader: &Reader,
    check: &Check,
) -> Result<Outcome, ProductionError> {
    if let Check::Castable {
        table,
        column,
        to,
        using: None,
    } = check
    {
        if widens(client, table, column, to)? {
            return Ok(Outcome::CannotFail);
        }
    }
    let mut tables = vec![check.table()];
    if let Check::NoOrphans { referenced, .. } = check {
        tables.push(referenced);
    }
    let mut unreadable = Vec::new();
    for table in &tables {
        let row = client
            .query_one(
                "SELECT c.oid IS NOT NULL, c.oid IS NOT NULL AND pg_catalog.has_table_privilege(c.oid, 'SELECT') \
                 FROM (SELECT pg_catalog.to_regclass($1) AS oid) c",
                &[&table.sql()],
            )
            .map_err(database("read whether the role may read a table"))?;
        let (exists, readable): (bool, bool) = (row.get(0), row.get(1));
        if !exists {
            // The checked table is new: empty. A referenced table that is new is too: every row is an orphan,
            // which the trace's scratch run shows; nothing to read here.
            return Ok(Outcome::NewTable);
        }
        if !readable {
            unreadable.push(*table);
        }
    }
    if !unreadable.is_empty() {
        let names: Vec<String> = unreadable.iter().map(|t| t.shown()).collect();
        return Ok(Outcome::Unchecked {
            why: format!(
                "role {} may not read {}: it reads statistics only",
                reader.role,
                names.join(" or ")
            ),
            grant: Some(grant(reader, &unreadable)),
        });
    }
    let check = match resolve(client, check)? {
        Ok(check) => check,
        Err(why) => return Ok(Outcome::Unchecked { why, grant: None }),
    };
    let Some(query) = count_query(&check, reader) else {
        return cast_all(client, reader, &check);
    };
    match count(client, reader, &query(""))? {
        Ok(n) => Ok(outcome(n, Read::Whole)),
        Err(e) if e.code() == Some(&SqlState::QUERY_CANCELED) => {
            if matches!(check, Check::NoDuplicates { .. }) {
                // Duplicates are pairs of rows: a sample of each holds too few of them to tell.
                return Ok(Outcome::Unchecked {
                    why: format!(
                        "the whole table takes longer than {} to read, and a sample cannot tell duplicates",
                        seconds(reader.timeout)
                    ),
                    grant: None,
                });
            }
            let sample = format!(" TABLESAMPLE SYSTEM ({SAMPLE_PERCENT})");
            let read = Read::Sample {
                percent: SAMPLE_PERCENT,
                after: reader.timeout,
            };
            match count(client, reader, &query(&sample))? {
                Ok(0) => Ok(Outcome::Holds { read }),
                Ok(n) => Ok(Outcome::Fails {
                    count: Count::About {
                        estimate: n as f64 * 100.0 / SAMPLE_PERCENT,
                        in_sample: n,
                    },
                    read,
                }),
                Err(e) => Ok(unchecked(reader, &e)),
            }
        }
        Err(e) => Ok(failed(reader, &check, &e)),
    }
}

fn outcome(n: u64, read: Read) -> Outcome {
    match n {
        0 => Outcome::Holds { read },
        n if n >= COUNT_BOUND => Outcome::Fails {
            count: Count::AtLeast(n),
            read,
        },
        n => Outcome::Fails {
            count: Count::Exact(n),
            read,
        },
    }
}

/// A query of the check's own that failed: the way the statement fails (a data error) or a reason it could
/// not run.
fn failed(reader: &Reader, check: &Check, e: &postgres::Error) -> Outcome {
    let data_error = e.code().is_some_and(|c| c.code().starts_with("22"));
    if data_error && matches!(check, Check::Castable { .. } | Check::InEnum { .. }) {
        return Outcome::Error {
            message: crate::error::describe_pg(e),
        };
    }
    unchecked(reader, e)
}

fn unchecked(reader: &Reader, e: &postgres::Error) -> Outcome {
    if e.code() == Some(&SqlState::QUERY_CANCELED) {
        return Outcome::Unchecked {
            why: format!(
                "the read did not finish within {}, not even on a sample",
                seconds(reader.timeout)
            ),
            grant: None,
        };
    }
    Outcome::Unchecked {
        why: format!("its read failed: {}", crate::error::describe_pg(e)),
        grant: None,
    }
}

/// Runs one count in a read-only transaction of its own: the count, or the query's error.
fn count(
    client: &mut Client,
    reader: &Reader,
    sql: &str,
) -> Result<Result<u64, postgres::Error>, ProductionError> {
    let mut tx = transaction(client, reader.timeout)?;
    let result = tx
        .query_one(sql, &[])
        .map(|r| r.get::<_, i64>(0).max(0) as u64);
    let _ = tx.rollback();
    Ok(result)
}

/// What a check that production must define further checks: a `VALIDATE CONSTRAINT` of a constraint
/// production has, as its definition says; an enum type change, with the labels production has. `Err`
/// says why it cannot be checked.
fn resolve(
    client: &mut Client,
    check: &Check,
) -> Result<Result<Check, String>, ProductionError> {
    match check {
        Check::Validate { table, constraint } => {
            let rows = client
                .query(
                    "SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint \
                     WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2",
                    &[&table.sql(), constraint],
                )
                .map_err(database("read a constraint's definition"))?;
            let Some(definition) = rows.first().map(|r| r.get::<_, String>(0)) else {
                return Ok(Err(format!(
                    "production has no constraint {constraint} on {}, and no pending statement that adds it was read",
                    table.shown()
                )));
            };
            let definition = definition.trim_end_matches("NOT VALID").trim_end();
            let sql = format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                table.sql(),
                migrate_dsl::ident(constraint)
            );
            match Deriver::new().statement(&sql).into_iter().next() {
                Some(Check::Validate { .. }) | None => Ok(Err(format!(
                    "constraint {constraint} is of a kind this check does not read ({definition})"
                ))),
                Some(resolved) => resolve(client, &resolved),
            }
        }
        Check::Castable {
            table,
            column,
            to,
            using: None,
        } => {
            let labels: Option<Vec<String>> = client
                .query_one(
                    "SELECT CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                       WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END \
                     FROM (SELECT pg_catalog.to_regtype($1) AS oid) r \
                     LEFT JOIN pg_catalog.pg_type t ON t.oid = r.oid",
                    &[to],
                )
                .map_err(database("read a type's definition"))?
                .get(0);
            Ok(Ok(match labels {
                Some(labels) => Check::InEnum {
                    table: table.clone(),
                    column: column.clone(),
                    to: to.clone(),
                    labels: Some(labels),
                },
                None => check.clone(),
            }))
        }
        Check::InEnum {
            table,
            column,
            to,
            labels: None,
        } => resolve(
            client,
            &Check::Castable {
                table: table.clone(),
                column: column.clone(),
                to: to.clone(),
                using: None,
            },
        ),
        Check::NoOrphans {
            table,
            constraint,
            columns,
            referenced,
            referenced_columns,
        } if referenced_columns.is_empty() => {
            let key: Vec<String> = client
                .query_one(
                    "SELECT ARRAY(SELECT a.attname::text \
                       FROM pg_catalog.pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n) \
                       JOIN pg_catalog.pg_attribute a ON a.attnum = k.attnum \
                       WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisprimary \
                         AND a.attrelid = i.indrelid ORDER BY k.n)",
                    &[&referenced.sql()],
                )
                .map_err(database("read a table's primary key"))?
                .get(0);
            if key.len() != columns.len() {
                return Ok(Err(format!(
                    "{} has no primary key of {} column(s) on production for the foreign key to reference",
                    referenced.shown(),
                    columns.len()
                )));
            }
            Ok(Ok(Check::NoOrphans {
                table: table.clone(),
                constraint: constraint.clone(),
                columns: columns.clone(),
                referenced: referenced.clone(),
                referenced_columns: key,
            }))
        }
        other => Ok(Ok(other.clone())),
    }
}

/// A count's SQL for a sample clause (`""`: the whole table).
type CountQuery = Box<dyn Fn(&str) -> String>;

/// The count of offending rows for `check`, with the sample clause to put after the table (`""` for the
/// whole table); `None` for a check that is read by casting every value instead ([`cast_all`]).
fn count_query(check: &Check, reader: &Reader) -> Option<CountQuery> {
    let bounded = |table: &Relation, condition: String| -> CountQuery {
        let table = table.sql();
        Box::new(move |sample: &str| {
            format!(
                "SELECT count(*) FROM (SELECT 1 FROM {table} AS c{sample} WHERE {condition} LIMIT {COUNT_BOUND}) s"
            )
        })
    };
    let q = migrate_dsl::ident;
    Some(match check {
        Check::NoNulls { table, column } => bounded(table, format!("c.{} IS NULL", q(column))),
        Check::Satisfies {
            table, expression, ..
        } => bounded(table, format!("NOT ({expression})")),
        Check::InEnum {
            table,
            column,
            labels: Some(labels),
            ..
        } => {
            let labels: Vec<String> = labels.iter().map(|l| migrate_dsl::literal(l)).collect();
            bounded(
                table,
                format!(
                    "c.{col} IS NOT NULL AND c.{col}::text <> ALL (ARRAY[{}]::text[])",
                    labels.join(", "),
                    col = q(column)
                ),
            )
        }
        Check::Castable {
            table,
            column,
            to,
            using: None,
        } if reader.major >= 16 => bounded(
            table,
            format!(
                "c.{col} IS NOT NULL AND NOT pg_catalog.pg_input_is_valid(c.{col}::text, {})",
                migrate_dsl::literal(to),
                col = q(column)
            ),
        ),
        Check::NoOrphans {
            table,
            columns,
            referenced,
            referenced_columns,
            ..
        } => {
            // An anti-join that the referenced table's key index serves.
            let matched = columns
                .iter()
                .zip(referenced_columns)
                .map(|(c, r)| format!("p.{} = c.{}", q(r), q(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            let set: Vec<String> = columns
                .iter()
                .map(|c| format!("c.{} IS NOT NULL", q(c)))
                .collect();
            let referenced_sql = format!("{} AS p", referenced.sql());
            bounded(
                table,
                format!(
                    "{} AND NOT EXISTS (SELECT 1 FROM {referenced_sql} WHERE {matched})",
                    set.join(" AND ")
                ),
            )
        }
        Check::NoDuplicates {
            table,
            columns,
            predicate,
            nulls_distinct,
        } => {
            let mut conditions: Vec<String> = Vec::new();
            if *nulls_distinct {
                conditions.extend(columns.iter().map(|c| format!("({c}) IS NOT NULL")));
            }
            if let Some(p) = predicate {
                conditions.push(format!("({p})"));
            }
            if conditions.is_empty() {
                conditions.push("true".to_owned());
            }
            let table = table.sql();
            let (columns, conditions) = (columns.join(", "), conditions.join(" AND "));
            Box::new(move |sample: &str| {
                format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {table} AS c{sample} WHERE {conditions} \
                     GROUP BY {columns} HAVING count(*) > 1 LIMIT {COUNT_BOUND}) s"
                )
            })
        }
        Check::Castable { .. } | Check::InEnum { .. } | Check::Validate { .. } => return None,
    })
}

/// A type change through `USING`, or on a server without `pg_input_is_valid` (before 16): every value
/// cast as the statement casts it, which fails on the first that is not castable, as the statement would.
fn cast_all(client: &mut Client, reader: &Reader, check: &Check) -> Result<Outcome, ProductionError> {
    let Check::Castable {
        table,
        column,
        to,
        using,
    } = check
    else {
        return Ok(Outcome::Unchecked {
            why: "no read for this check".to_owned(),
            grant: None,
        });
    };
    let value = using
        .clone()
        .unwrap_or_else(|| format!("c.{}", migrate_dsl::ident(column)));
    let sql = format!(
        "SELECT count(({value})::{to}) FROM {} AS c",
        table.sql()
    );
    Ok(match count(client, reader, &sql)? {
        Ok(_) => Outcome::Holds { read: Read::Whole },
        Err(e) if e.code().is_some_and(|c| c.code().starts_with("22")) => Outcome::Error {
            message: crate::error::describe_pg(&e),
        },
        Err(e) => failed(reader, check, &e),
    })
}

/// Whether changing `column` of `table` to `to` cannot fail: an implicit cast (PostgreSQL's own lossless
/// ones: `integer` to `bigint`, `timestamp` to `timestamptz`) to a type without a modifier (`varchar(20)`
/// may be too short).
fn widens(
    client: &mut Client,
    table: &Relation,
    column: &str,
    to: &str,
) -> Result<bool, ProductionError> {
    if to.contains('(') {
        return Ok(false);
    }
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a \
               JOIN pg_catalog.pg_cast k ON k.castsource = a.atttypid AND k.castcontext = 'i' \
               WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 \
                 AND k.casttarget = pg_catalog.to_regtype($3) AND a.atttypid <> k.casttarget)",
            &[&table.sql(), &column, &to],
        )
        .map_err(database("read a column's type"))?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_a_reviewer_compares_them() {
        assert_eq!(Count::Exact(500_000).describe(), "500,000");
        assert_eq!(Count::Exact(7).describe(), "7");
        assert_eq!(Count::AtLeast(COUNT_BOUND).describe(), "at least 1,000,000");
        let about = Count::About {
            estimate: 501_200.0,
            in_sample: 5_012,
        };
        assert_eq!(about.describe(), "about 501,200");
    }
}
