//! The rows that made a statement fail, named from the server's error.

use postgres::error::{DbError, SqlState};
use postgres::Client;

/// The rows that made `error` (a migration's failure; its cause is looked for down the chain of sources)
/// fail, when the server's error says which:
/// - a `NOT NULL` that met NULLs (a `SET NOT NULL`, a column added `NOT NULL` without a default): how many
///   rows are NULL there and the keys of the first three, read on `client`;
/// - a `CHECK` constraint that existing rows break (the `VALIDATE` of the safe `NOT NULL` recipe, of a
///   constraint added `NOT VALID`): how many rows break it and the keys of the first three, when the
///   constraint is still there to read (it was committed before the `VALIDATE`).
///
/// A unique index or a foreign key names its key in the server's own detail, which the error shows already.
/// `None` for any other error, or when the rows cannot be read (the table is gone with the rolled-back
/// migration, say).
pub fn rows_at_fault(
    client: &mut Client,
    error: &(dyn std::error::Error + 'static),
) -> Option<String> {
    let db = server_error(error)?;
    let code = db.code();
    let (schema, table) = (db.schema()?, db.table()?);
    if *code == SqlState::NOT_NULL_VIOLATION {
        let column = db.column()?;
        let condition = format!("{} IS NULL", migrate_dsl::ident(column));
        return breaking(client, schema, table, &condition, &format!("have {column} NULL"));
    }
    if *code == SqlState::CHECK_VIOLATION {
        let constraint = db.constraint()?;
        let expression: String = client
            .query_one(
                "SELECT pg_catalog.pg_get_expr(co.conbin, co.conrelid) FROM pg_catalog.pg_constraint co \
                 JOIN pg_catalog.pg_class c ON c.oid = co.conrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND co.conname = $3 AND co.contype = 'c'",
                &[&schema, &table, &constraint],
            )
            .ok()?
            .get(0);
        return breaking(
            client,
            schema,
            table,
            &format!("NOT ({expression})"),
            &format!("break {constraint}, CHECK {}", parenthesized(&expression)),
        );
    }
    None
}

/// `expression` in parentheses, once: the catalog gives most of them so already.
fn parenthesized(expression: &str) -> String {
    match expression.starts_with('(') && expression.ends_with(')') {
        true => expression.to_owned(),
        false => format!("({expression})"),
    }
}


/// The server's error at the bottom of `error`'s chain of sources.
fn server_error<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e DbError> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(db) = e.downcast_ref::<postgres::Error>().and_then(|e| e.as_db_error()) {
            return Some(db);
        }
        if let Some(db) = e.downcast_ref::<DbError>() {
            return Some(db);
        }
        cause = e.source();
    }
    None
}

/// "3 of 120 row(s) of users have email NULL, e.g. id=4; id=9; id=17": the rows where `condition` holds,
/// `what` they do; the key is the primary key's columns, or the row's physical place (`ctid`) in a table
/// without one.
fn breaking(
    client: &mut Client,
    schema: &str,
    table: &str,
    condition: &str,
    what: &str,
) -> Option<String> {
    let key_columns: Vec<String> = client
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey) \
             WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary \
             ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)",
            &[&schema, &table],
        )
        .ok()?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let qualified = format!("{}.{}", migrate_dsl::ident(schema), migrate_dsl::ident(table));
    let order = if key_columns.is_empty() {
        "ctid".to_owned()
    } else {
        key_columns.iter().map(|c| migrate_dsl::ident(c)).collect::<Vec<_>>().join(", ")
    };
    let key = if key_columns.is_empty() {
        "'ctid=' || ctid::text".to_owned()
    } else {
        key_columns
            .iter()
            .map(|c| format!("'{}=' || coalesce({}::text, 'NULL')", c.replace('\'', "''"), migrate_dsl::ident(c)))
            .collect::<Vec<_>>()
            .join(" || ', ' || ")
    };
    let row = client
        .query_one(
            &format!(
                "SELECT (SELECT pg_catalog.count(*) FROM {qualified}), \
                 (SELECT pg_catalog.count(*) FROM {qualified} WHERE {condition}), \
                 ARRAY(SELECT {key} FROM {qualified} WHERE {condition} ORDER BY {order} LIMIT 3)",
            ),
            &[],
        )
        .ok()?;
    let (rows, breaking, keys): (i64, i64, Vec<String>) = (row.get(0), row.get(1), row.get(2));
    if breaking == 0 {
        return None;
    }
    let shown = match schema {
        "public" => table.to_owned(),
        _ => format!("{schema}.{table}"),
    };
    Some(format!(
        "{breaking} of {rows} row(s) of {shown} {what}, e.g. {}",
        keys.join("; ")
    ))
}
