//! The statements that read and write rows rather than the catalog: a backfill, a background job, an
//! `UPDATE`, `DELETE` or `INSERT ... SELECT` of raw SQL. For each, what a review needs to estimate it on
//! production: its table, the query whose planned row count is the rows it writes, the rows the traced run
//! wrote, and (asked for by a review's calibration) its rate measured on the scratch database's rows.
//!
//! The rate is measured by a probe right before the statement runs, on the table as the migrations before
//! it left it (the triggers an online rename keeps included): the same assignments over the first
//! [`PROBE_ROWS`] rows, in the statement's batches (a backfill's walk of the primary key) or as the one
//! statement it is, then rolled back. The calibration's generated rows rarely match the statement's own
//! condition (`note IS NULL` where every generated note is set), so its run alone often writes nothing to
//! time; a background job's run only queues it.

use migrate_dsl::{Action, BatchWork, Statement};
use postgres::SimpleQueryMessage;
use serde::Serialize;

use crate::observer::Session;

/// Rows a probe writes at most (then rolls back): enough for a rate that does not hang on one batch.
pub const PROBE_ROWS: u64 = 20_000;

/// What kind of data step a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// A batched backfill (`pgm.backfill`, `pgm.backfill_with`): each batch its own transaction, during
    /// the deploy.
    Backfill,
    /// A backfill queued as a background job (`.in_background()`): the migration only queues it; workers
    /// run its batches after the deploy.
    Job,
    /// An `UPDATE`, `DELETE` or `INSERT ... SELECT` of raw SQL: one statement.
    Statement,
}

/// A statement that writes rows, as the trace saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DataStep {
    pub kind: DataKind,
    /// The table it writes, as the trace names it.
    pub table: String,
    /// A query whose planned row count is the rows it writes (`SELECT 1 FROM t WHERE <its condition>`);
    /// `None` when it writes every row of `table`.
    pub rows_query: Option<String>,
    /// Why the rows it writes can only be bounded by the table's (a condition the review cannot plan, or
    /// rows that come from another table), when `rows_query` is `None` for that reason.
    pub unbounded: Option<String>,
    /// Rows per batch, for a backfill or job (the first batch's when the size adapts).
    pub batch_rows: Option<u32>,
    /// Rows the traced run wrote in `table` (updated, deleted or inserted).
    pub written: u64,
    /// Its rate measured by the probe, when one ran.
    pub probe: Option<Rate>,
    /// Why no probe measured it, when one was asked for.
    pub unprobed: Option<String>,
}

/// Rows written in a time, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub rows: u64,
    pub seconds: f64,
    /// How they were written, in words (`in batches of 1000 rows`).
    pub how: String,
}

impl Rate {
    pub fn per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-6)
    }
}

/// What a data step is, before it runs: its kind, table as written, the probe it can have.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    pub kind: DataKind,
    /// The table as the SQL names it (quoted, maybe schema-qualified).
    pub table: String,
    pub rows_query: Option<String>,
    pub unbounded: Option<String>,
    pub batch_rows: Option<u32>,
    probe: Probe,
}

/// How a data step's rate can be measured.
#[derive(Debug, Clone, PartialEq)]
enum Probe {
    /// A backfill's SQL assignments, in batches of `rows` over the primary key.
    Batches { set: String, rows: u32 },
    /// One `UPDATE <relation> SET <set>` over the probe's rows.
    Update { relation: String, set: String },
    /// One `DELETE FROM <relation>` over the probe's rows.
    Delete { relation: String },
    /// None, and why.
    No(&'static str),
}

/// The data step `unit` is, if it is one.
pub(crate) fn planned(unit: &Statement) -> Option<Planned> {
    let backfill = |b: &migrate_dsl::Backfill, kind| {
        let table = b.table().quoted();
        let probe = match b.work() {
            BatchWork::Set(set) => Probe::Batches {
                set: set.clone(),
                rows: b.rows_per_batch().max(1),
            },
            BatchWork::Rust(_) => Probe::No("its batches run Rust code, which a probe cannot run twice"),
            BatchWork::Restore { .. } => Probe::No("it puts back kept values"),
        };
        Planned {
            kind,
            rows_query: b
                .condition()
                .map(|c| format!("SELECT 1 FROM {table} WHERE ({c})")),
            table,
            unbounded: None,
            batch_rows: Some(b.rows_per_batch()),
            probe,
        }
    };
    match &unit.action {
        Some(Action::Backfill(b)) => return Some(backfill(b, DataKind::Backfill)),
        Some(Action::Queue(b)) => return Some(backfill(b, DataKind::Job)),
        Some(_) => return None,
        None => {}
    }
    // Raw SQL that holds several statements is one of them only when the others write nothing.
    let parts = migrate_dsl::split_statements(&unit.sql);
    let mut found = parts.iter().filter_map(|p| statement(p.sql));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// An `UPDATE`, `DELETE` or `INSERT ... SELECT` (one statement, comments aside).
fn statement(sql: &str) -> Option<Planned> {
    let sql = without_leading_comments(sql).trim_end().trim_end_matches(';');
    let first = first_word(sql)?.to_ascii_uppercase();
    let (kind_word, rest) = match first.as_str() {
        "UPDATE" => ("UPDATE", &sql[6..]),
        "DELETE" => {
            let rest = sql[6..].trim_start();
            let from = first_word(rest)?;
            if !from.eq_ignore_ascii_case("from") {
                return None;
            }
            ("DELETE", &rest[4..])
        }
        "INSERT" => {
            let rest = sql[6..].trim_start();
            if !first_word(rest)?.eq_ignore_ascii_case("into") {
                return None;
            }
            ("INSERT", &rest[4..])
        }
        _ => return None,
    };
    let ends = ["RETURNING"];
    let rest = match keyword(rest, &ends) {
        Some((at, _)) => &rest[..at],
        None => rest,
    };
    let rest = rest.trim();
    let rest = match first_word(rest) {
        Some(w) if w.eq_ignore_ascii_case("only") => rest[4..].trim_start(),
        _ => rest,
    };
    let table = relation_name(rest)?;
    let planned = |relation: &str, from: Option<&str>, condition: Option<&str>, probe| {
        let from = from.map(|f| format!(", {f}")).unwrap_or_default();
        Planned {
            kind: DataKind::Statement,
            table: table.clone(),
            rows_query: condition.map(|c| format!("SELECT 1 FROM {relation}{from} WHERE {c}")),
            unbounded: None,
            batch_rows: None,
            probe,
        }
    };
    match kind_word {
        "UPDATE" => {
            let (set_at, _) = keyword(rest, &["SET"])?;
            let relation = rest[..set_at].trim();
            let after = &rest[set_at + 3..];
            let from = keyword(after, &["FROM"]).map(|(at, _)| at);
            let where_at = keyword(after, &["WHERE"]).map(|(at, _)| at);
            let set = &after[..from.or(where_at).unwrap_or(after.len())];
            let from_list = from.map(|f| after[f + 4..where_at.unwrap_or(after.len())].trim());
            let condition = where_at.map(|w| after[w + 5..].trim());
            let probe = if from_list.is_some() {
                Probe::No("its assignments read other tables (UPDATE ... FROM)")
            } else {
                Probe::Update {
                    relation: relation.to_owned(),
                    set: set.trim().to_owned(),
                }
            };
            Some(planned(relation, from_list, condition, probe))
        }
        "DELETE" => {
            let using = keyword(rest, &["USING"]).map(|(at, _)| at);
            let where_at = keyword(rest, &["WHERE"]).map(|(at, _)| at);
            let relation = rest[..using.or(where_at).unwrap_or(rest.len())].trim();
            let using_list = using.map(|u| rest[u + 5..where_at.unwrap_or(rest.len())].trim());
            let condition = where_at.map(|w| rest[w + 5..].trim());
            let probe = Probe::Delete {
                relation: relation.to_owned(),
            };
            Some(planned(relation, using_list, condition, probe))
        }
        _ => {
            // INSERT INTO t [(columns)] SELECT ...: the rows its query returns (not `VALUES`: a few rows).
            let (select_at, _) = keyword(rest, &["SELECT", "WITH"])?;
            let query = &rest[select_at..];
            let query = match keyword(query, &["ON"]) {
                Some((at, _)) => &query[..at],
                None => query,
            };
            Some(Planned {
                kind: DataKind::Statement,
                table,
                rows_query: Some(query.trim().to_owned()),
                // Its target's rows bound nothing: without the planner, its rows are not known.
                unbounded: Some("the rows it inserts come from its query".to_owned()),
                batch_rows: None,
                probe: Probe::No("the rows it inserts come from its query"),
            })
        }
    }
}

/// `sql` past its leading blank lines and `--` comments.
fn without_leading_comments(mut sql: &str) -> &str {
    loop {
        sql = sql.trim_start();
        if sql.starts_with("--") {
            sql = sql.find('\n').map_or("", |n| &sql[n + 1..]);
        } else {
            return sql;
        }
    }
}

/// The first word of `sql` (letters).
fn first_word(sql: &str) -> Option<&str> {
    let end = sql
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(sql.len());
    (end > 0).then(|| &sql[..end])
}

/// The name at the start of `sql`: quoted or bare parts joined by dots.
fn relation_name(sql: &str) -> Option<String> {
    let mut end = 0;
    let bytes = sql.as_bytes();
    let mut quoted = false;
    while end < bytes.len() {
        let c = bytes[end];
        if c == b'"' {
            quoted = !quoted;
        } else if !(quoted || c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$') {
            break;
        }
        end += 1;
    }
    (end > 0).then(|| sql[..end].to_owned())
}

/// The first of `words` that `sql` has at its top level (outside quotes and parentheses), as a whole word
/// in any case: its offset and which.
fn keyword<'w>(sql: &str, words: &[&'w str]) -> Option<(usize, &'w str)> {
    let bytes = sql.as_bytes();
    let (mut depth, mut i) = (0i32, 0usize);
    let word_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            c if depth == 0 && word_char(c) && (i == 0 || !word_char(bytes[i - 1])) => {
                let end = (i..bytes.len())
                    .find(|&j| !word_char(bytes[j]))
                    .unwrap_or(bytes.len());
                if let Some(w) = words.iter().find(|w| sql[i..end].eq_ignore_ascii_case(w)) {
                    return Some((i, w));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Measures `planned`'s rate on `conn` (the scratch database), in a transaction (or, in the migration's own,
/// a savepoint) rolled back after: nothing it wrote stays.
pub(crate) fn probe(
    conn: &mut dyn Session,
    planned: &Planned,
    in_transaction: bool,
) -> Result<Rate, String> {
    let (begin, end) = if in_transaction {
        ("SAVEPOINT migrate_probe", "ROLLBACK TO SAVEPOINT migrate_probe; RELEASE SAVEPOINT migrate_probe")
    } else {
        ("BEGIN", "ROLLBACK")
    };
    if let Probe::No(why) = planned.probe {
        return Err(why.to_owned());
    }
    conn.simple_query(begin).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let measured = run_probe(conn, planned);
    let seconds = started.elapsed().as_secs_f64();
    conn.simple_query(end).map_err(|e| e.to_string())?;
    let (rows, how) = measured.map_err(|e| crate::error::describe_pg(&e))?;
    if rows == 0 {
        return Err("the scratch database's table had no rows to probe".to_owned());
    }
    Ok(Rate { rows, seconds, how })
}

/// The probe's writes: rows written and how.
fn run_probe(conn: &mut dyn Session, planned: &Planned) -> Result<(u64, String), postgres::Error> {
    let table = &planned.table;
    let first_rows = format!("ctid = ANY(ARRAY(SELECT ctid FROM ONLY {table} LIMIT {PROBE_ROWS}))");
    match &planned.probe {
        Probe::Update { relation, set } => {
            let n = affected(&conn.simple_query(&format!(
                "UPDATE {relation} SET {set} WHERE {first_rows}"
            ))?);
            Ok((n, "as one statement".to_owned()))
        }
        Probe::Delete { relation } => {
            let n = affected(&conn.simple_query(&format!(
                "DELETE FROM {relation} WHERE {first_rows}"
            ))?);
            Ok((n, "as one statement".to_owned()))
        }
        Probe::Batches { set, rows } => batches(conn, table, set, *rows),
        Probe::No(_) => Ok((0, String::new())),
    }
}

/// The backfill's batches: the next `size` rows by primary key, each one `UPDATE`, as the engine walks.
fn batches(
    conn: &mut dyn Session,
    table: &str,
    set: &str,
    size: u32,
) -> Result<(u64, String), postgres::Error> {
    let keys = rows_of(&conn.simple_query(&format!(
        "SELECT pg_catalog.quote_ident(a.attname), pg_catalog.format_type(a.atttypid, a.atttypmod) \
         FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
         WHERE i.indrelid = pg_catalog.to_regclass({}) AND i.indisprimary \
         ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)",
        migrate_dsl::literal(table)
    ))?);
    if keys.is_empty() {
        return Ok((0, String::new()));
    }
    let columns: Vec<String> = keys.iter().map(|k| k[0].clone().unwrap_or_default()).collect();
    let types: Vec<String> = keys.iter().map(|k| k[1].clone().unwrap_or_default()).collect();
    let cols = columns.join(", ");
    let desc = columns
        .iter()
        .map(|c| format!("{c} DESC"))
        .collect::<Vec<_>>()
        .join(", ");
    let as_text = columns
        .iter()
        .map(|c| format!("{c}::text"))
        .collect::<Vec<_>>()
        .join(", ");
    let (mut cursor, mut done) = (None::<Vec<String>>, 0u64);
    while done < PROBE_ROWS {
        let after = match &cursor {
            None => String::new(),
            Some(values) => {
                let literals: Vec<String> = values
                    .iter()
                    .zip(&types)
                    .map(|(v, t)| format!("{}::{t}", migrate_dsl::literal(v)))
                    .collect();
                format!("WHERE ({cols}) > ({})", literals.join(", "))
            }
        };
        let rows = rows_of(&conn.simple_query(&format!(
            "WITH b AS (SELECT {cols} FROM {table} {after} ORDER BY {cols} LIMIT {size}), \
             u AS (UPDATE {table} SET {set} WHERE ({cols}) IN (SELECT {cols} FROM b) RETURNING 1) \
             SELECT (SELECT count(*) FROM u), last.* FROM (SELECT {as_text} FROM b ORDER BY {desc} LIMIT 1) last"
        ))?);
        let Some(row) = rows.first() else { break };
        done += row[0].as_deref().and_then(|n| n.parse().ok()).unwrap_or(0);
        cursor = Some(row[1..].iter().map(|v| v.clone().unwrap_or_default()).collect());
    }
    Ok((done, format!("in batches of {size} rows by primary key")))
}

/// The rows a command reported it changed.
fn affected(messages: &[SimpleQueryMessage]) -> u64 {
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0)
}

/// The rows of a simple query's (first) result, each value as text.
fn rows_of(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// The oid of `table` (as SQL names it) on `conn`, to name it as the trace does.
pub(crate) fn oid_of(conn: &mut dyn Session, table: &str) -> Result<Option<u32>, postgres::Error> {
    let rows = rows_of(&conn.simple_query(&format!(
        "SELECT pg_catalog.to_regclass({})::oid",
        migrate_dsl::literal(table)
    ))?);
    Ok(rows
        .first()
        .and_then(|r| r[0].as_deref())
        .and_then(|v| v.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sql_that_writes_rows_is_read_for_its_table_and_the_rows_it_writes() {
        let update = statement("-- fill\nUPDATE orders o SET note = '' WHERE o.note IS NULL RETURNING id;")
            .expect("an UPDATE");
        assert_eq!(update.table, "orders");
        assert_eq!(
            update.rows_query.as_deref(),
            Some("SELECT 1 FROM orders o WHERE o.note IS NULL")
        );
        assert_eq!(
            update.probe,
            Probe::Update {
                relation: "orders o".into(),
                set: "note = ''".into()
            }
        );
        let joined = statement(
            r#"UPDATE "app"."orders" SET total = s.total FROM sums s WHERE s.id = orders.id AND (x = 'a where')"#,
        )
        .expect("an UPDATE ... FROM");
        assert_eq!(joined.table, r#""app"."orders""#);
        assert_eq!(
            joined.rows_query.as_deref(),
            Some(r#"SELECT 1 FROM "app"."orders", sums s WHERE s.id = orders.id AND (x = 'a where')"#)
        );
        assert!(matches!(joined.probe, Probe::No(_)));
        let every = statement("update orders set note = ''").expect("an UPDATE of every row");
        assert_eq!(every.rows_query, None);
        let delete = statement("DELETE FROM ONLY orders USING gone g WHERE g.id = orders.id")
            .expect("a DELETE");
        assert_eq!(delete.table, "orders");
        assert_eq!(
            delete.rows_query.as_deref(),
            Some("SELECT 1 FROM orders, gone g WHERE g.id = orders.id")
        );
        let insert = statement("INSERT INTO archive (id) SELECT id FROM orders WHERE old ON CONFLICT DO NOTHING")
            .expect("an INSERT ... SELECT");
        assert_eq!(insert.table, "archive");
        assert_eq!(
            insert.rows_query.as_deref(),
            Some("SELECT id FROM orders WHERE old")
        );
        assert!(insert.unbounded.is_some(), "the target's rows bound nothing");
        assert_eq!(delete.unbounded, None);
        assert_eq!(statement("INSERT INTO t VALUES (1)"), None);
        assert_eq!(statement("ALTER TABLE orders ADD COLUMN updated text"), None);
        assert_eq!(statement("SELECT 1"), None);
    }
}
