//! The rows of every table as they were before a migration, kept in temporary tables of one session, so that
//! a finding of [`super::compare`] can show rows it is about: `id=4: 'Ada Lovelace' became 'Ada Lovelace '`.
//!
//! Each row is kept as one `jsonb` value, not in columns of the table's types: a temporary table with a column
//! of an enum or a domain depends on that type, and a migration that drops the type (the usual rewrite of an
//! enum) would fail on it.

use std::collections::BTreeMap;

use postgres::Client;

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::reader::query::{bookkeeping_filter, user_schema};

use super::DataFinding;

/// The copies, by table as shown (`public.` left out).
#[derive(Debug, Default)]
pub struct Copies {
    tables: BTreeMap<String, Copied>,
}

#[derive(Debug)]
struct Copied {
    /// The temporary table holding the rows.
    temp: String,
    /// The table, schema-qualified and quoted.
    qualified: String,
    /// Its primary key's columns, as the catalog names them; a table without one is not copied.
    key: Vec<String>,
}

/// How many rows an example shows.
const EXAMPLES: usize = 3;

impl Copies {
    /// Copies every table with a primary key (the bookkeeping tables left out) into a temporary table of
    /// `client`'s session, where they stay until [`Copies::drop_all`] or the session's end.
    ///
    /// # Errors
    ///
    /// A query that fails.
    pub fn take(client: &mut Client, bookkeeping: &MigrationsTable) -> Result<Copies, Error> {
        let sql = format!(
            "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
               (SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.at) \
                FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, at) \
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {} AND {} ORDER BY 1",
            user_schema("n"),
            bookkeeping_filter(bookkeeping, "n.nspname", "c.relname"),
        );
        let rows = client
            .query(sql.as_str(), &[])
            .map_err(Error::database("cannot read the tables to copy"))?;
        let mut copies = Copies::default();
        let mut statements = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let qualified: String = row.get(0);
            let key: Option<Vec<String>> = row.get(1);
            let temp = format!("migrate_rows_before_{i}");
            statements.push(format!(
                "DROP TABLE IF EXISTS pg_temp.{temp}; CREATE TEMPORARY TABLE {temp} AS \
                 SELECT pg_catalog.to_jsonb(t) AS r FROM {qualified} AS t"
            ));
            let shown = super::shown(&qualified).to_owned();
            copies.tables.insert(
                shown,
                Copied {
                    temp,
                    qualified,
                    key: key.unwrap_or_default(),
                },
            );
        }
        if !statements.is_empty() {
            client
                .batch_execute(&statements.join(";\n"))
                .map_err(Error::database("cannot copy the tables' rows"))?;
        }
        Ok(copies)
    }

    /// Rows `finding` is about, compared by primary key with the table as it is now: for a column, rows whose
    /// value is not the one they had (`id=4: 'a' became NULL`); for rows not given back, rows that are gone
    /// (`id=7 is gone`). `None` for a finding of another kind, a table without a primary key, or when the
    /// rows cannot be read (the table or column is not there any more).
    pub fn example(&self, client: &mut Client, finding: &DataFinding) -> Option<String> {
        let (table, column) = match finding {
            DataFinding::ValuesLost { table, column, .. }
            | DataFinding::ValuesChanged { table, column } => (table, Some(column)),
            DataFinding::RowsNotRestored { table, .. } => (table, None),
            _ => return None,
        };
        let copied = self.tables.get(table)?;
        if copied.key.is_empty() {
            return None;
        }
        // Keys and values compared as JSON, the form the copy keeps them in: fields named by the columns.
        let field = |name: &str| migrate_dsl::literal(name);
        let key_text = copied
            .key
            .iter()
            .map(|k| {
                format!(
                    "{} || coalesce(b.r->>{}, 'NULL')",
                    migrate_dsl::literal(&format!("{k}=")),
                    field(k)
                )
            })
            .collect::<Vec<_>>()
            .join(" || ', ' || ");
        let order = copied
            .key
            .iter()
            .map(|k| format!("b.r->{}", field(k)))
            .collect::<Vec<_>>()
            .join(", ");
        let join = copied
            .key
            .iter()
            .map(|k| format!("pg_catalog.to_jsonb(a)->{f} = b.r->{f}", f = field(k)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let (temp, now) = (&copied.temp, &copied.qualified);
        let shown: Vec<String> = match column {
            Some(column) => {
                let c = field(column);
                let sql = format!(
                    "SELECT {key_text}, b.r->>{c}, pg_catalog.to_jsonb(a)->>{c} FROM pg_temp.{temp} b \
                     LEFT JOIN {now} a ON {join} \
                     WHERE b.r->{c} IS DISTINCT FROM pg_catalog.to_jsonb(a)->{c} ORDER BY {order} LIMIT {EXAMPLES}"
                );
                client
                    .query(sql.as_str(), &[])
                    .ok()?
                    .iter()
                    .map(|r| {
                        let key: String = r.get(0);
                        let (was, is): (Option<String>, Option<String>) = (r.get(1), r.get(2));
                        format!("{key}: {} became {}", value(was), value(is))
                    })
                    .collect()
            }
            None => {
                let sql = format!(
                    "SELECT {key_text} FROM pg_temp.{temp} b \
                     WHERE NOT EXISTS (SELECT FROM {now} a WHERE {join}) ORDER BY {order} LIMIT {EXAMPLES}"
                );
                client
                    .query(sql.as_str(), &[])
                    .ok()?
                    .iter()
                    .map(|r| format!("{} is gone", r.get::<_, String>(0)))
                    .collect()
            }
        };
        (!shown.is_empty()).then(|| format!("e.g. {}", shown.join("; ")))
    }

    /// Drops the temporary tables.
    ///
    /// # Errors
    ///
    /// A statement that fails.
    pub fn drop_all(self, client: &mut Client) -> Result<(), Error> {
        let drops: Vec<String> = self
            .tables
            .values()
            .map(|c| format!("DROP TABLE IF EXISTS pg_temp.{}", c.temp))
            .collect();
        if drops.is_empty() {
            return Ok(());
        }
        client
            .batch_execute(&drops.join(";\n"))
            .map_err(Error::database("cannot drop the copies of the tables' rows"))
    }
}

/// A value as an example shows it: quoted, cut at 40 characters; `NULL` for none.
fn value(v: Option<String>) -> String {
    match v {
        None => "NULL".to_owned(),
        Some(v) if v.chars().count() > 40 => {
            format!("'{}...'", v.chars().take(40).collect::<String>())
        }
        Some(v) => format!("'{v}'"),
    }
}
