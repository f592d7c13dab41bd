//! Generated rows in every table: `trace --rows N` (and a review's calibration) fills each table so that
//! a scan or rewrite takes time and its duration means something; `verify --with-data` fills each empty
//! table before a migration, with values that look like an application's, so that its `up` and `down` run
//! on rows.
//!
//! Parents are filled before the tables that reference them. A column with a default (an identity or
//! generated column included) keeps it; a foreign key takes the referenced table's rows (a key to the table
//! itself, or within a cycle of keys, has none to take yet: it stays NULL, or leaves the table empty when
//! it is `NOT NULL`); any other column
//! gets a value of its type (numbers, text of the column's length, booleans, times, intervals, enum labels,
//! empty arrays, UUIDs, JSON, points). A nullable column of another type stays NULL; a table with a `NOT
//! NULL` column of another type, or whose rows a constraint or trigger refuses, is skipped and the reason
//! kept.
//!
//! Two styles ([`Style`]):
//! - **dense** (`trace`): row `i` gets values made from `i`, every column filled, keys taken in turn. What
//!   a trace measures is the time a statement takes, which NULLs or repeated values would not change,
//!   and a `SET NOT NULL` traced must not fail on a NULL the generator made.
//! - **varied** (`verify --with-data`): values drawn from a seed, so a run is repeatable. A nullable column
//!   is NULL in about one row in eight; a column outside every unique index repeats values (drawn from a
//!   third as many as there are rows), so a unique index added later meets duplicates, as it would on
//!   real data; a column in a unique index and a foreign key whose columns are unique stay distinct. Each
//!   enum label is used. Rows a `CHECK` constraint refuses are left out (the constraint is applied to the
//!   generated rows as a filter) and rows that would break a unique index are dropped (`ON CONFLICT DO
//!   NOTHING`), so a table gets at most the rows asked for.

use std::collections::{BTreeMap, HashSet};

use postgres::Client;

use crate::error::{describe_pg, Error};
use crate::history::MigrationsTable;
use crate::schema::reader::query::{bookkeeping_filter, user_schema};
use crate::trace::catalog::results;

use super::{Generation, SeededSize, Seeding, SkippedTable};

/// How the values are made: see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Dense,
    Varied { seed: u64 },
}

#[derive(Debug)]
struct Column {
    name: String,
    not_null: bool,
    /// A default, identity or generated column: left to the server.
    server_fills: bool,
    /// In a unique index (a primary key included): its values are kept distinct in the varied style.
    unique: bool,
    /// An identity or generated column (a default alone is not: a foreign key column with a default still
    /// takes the referenced rows).
    identity_or_generated: bool,
    /// The base type of a domain (the type itself otherwise), for what takes no domain (`enum_range`).
    base_type_name: String,
    category: String,
    base_type: String,
    typmod: i32,
    /// `format_type`, for a typed `NULL` or an empty array.
    type_name: String,
}

/// A `CHECK` constraint: its expression and the columns it reads.
#[derive(Debug)]
struct Check {
    expression: String,
    columns: Vec<String>,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
    checks: Vec<Check>,
    /// A deferrable unique or exclusion constraint, which `ON CONFLICT` refuses as an arbiter.
    deferrable_unique: bool,
}

impl Table {
    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A foreign key: the referencing columns, the referenced table and its columns.
#[derive(Debug)]
struct ForeignKey {
    columns: Vec<String>,
    parent: u32,
    parent_columns: Vec<String>,
}

/// The tables, and the foreign keys between them (by the referencing table).
#[derive(Debug)]
struct Catalog {
    tables: BTreeMap<u32, Table>,
    keys: Vec<(u32, ForeignKey)>,
}

/// Fills every table (or, with `only`, the tables named there, as the trace shows them, and the tables they
/// reference) with `rows` generated rows (at most `i32::MAX`), in the dense style; each is vacuumed and
/// analysed after.
pub(crate) fn fill(
    client: &mut Client,
    bookkeeping: &MigrationsTable,
    rows: u64,
    only: Option<&[String]>,
) -> Result<Seeding, Error> {
    let rows = rows.min(i32::MAX as u64);
    let catalog = read(client, bookkeeping)?;
    let wanted = only.map(|names| with_parents(&catalog, names));
    let mut seeding = Seeding {
        rows_per_table: rows,
        filled: Vec::new(),
        skipped: Vec::new(),
        sizes: Vec::new(),
    };
    let mut filled: HashSet<u32> = HashSet::new();
    for oid in order(&catalog) {
        if wanted.as_ref().is_some_and(|w| !w.contains(&oid)) {
            continue;
        }
        fill_one(client, &catalog, oid, rows, Style::Dense, &mut filled, &mut seeding)?;
    }
    Ok(seeding)
}

/// Fills each table that has no rows with the rows `generation` asks for it, in the varied style; a table
/// with rows keeps them (and its rows are what the tables referencing it take). What `verify --with-data`
/// does before each migration.
///
/// # Errors
///
/// A catalog query that fails. A table whose rows cannot be made or are refused is not an error: it is
/// listed in [`Seeding::skipped`] with the reason.
pub fn fill_empty(
    client: &mut Client,
    bookkeeping: &MigrationsTable,
    generation: &Generation,
) -> Result<Seeding, Error> {
    let catalog = read(client, bookkeeping)?;
    let mut filled = with_rows(client, &catalog)?;
    let mut seeding = Seeding {
        rows_per_table: generation.rows,
        filled: Vec::new(),
        skipped: Vec::new(),
        sizes: Vec::new(),
    };
    let style = Style::Varied {
        seed: generation.seed,
    };
    for oid in order(&catalog) {
        if filled.contains(&oid) {
            continue;
        }
        let rows = generation
            .rows_for(super::shown(&catalog.tables[&oid].name))
            .min(i32::MAX as u64);
        if rows == 0 {
            continue;
        }
        fill_one(client, &catalog, oid, rows, style, &mut filled, &mut seeding)?;
    }
    Ok(seeding)
}

/// Deletes every row of every table of the database's own schemas (the bookkeeping tables left out), in
/// one `TRUNCATE`: what `verify --with-data` does after an `up` failed on the generated rows, to apply it
/// on empty tables and go on.
///
/// # Errors
///
/// A query that fails.
pub fn empty_all(client: &mut Client, bookkeeping: &MigrationsTable) -> Result<(), Error> {
    let catalog = read(client, bookkeeping)?;
    if catalog.tables.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = catalog.tables.values().map(|t| t.name.as_str()).collect();
    client
        .batch_execute(&format!("TRUNCATE {} CASCADE", names.join(", ")))
        .map_err(Error::database("cannot empty the tables"))
}

/// Fills one table, recording it in `seeding` as filled (with its size) or skipped (with the reason).
fn fill_one(
    client: &mut Client,
    catalog: &Catalog,
    oid: u32,
    rows: u64,
    style: Style,
    filled: &mut HashSet<u32>,
    seeding: &mut Seeding,
) -> Result<(), Error> {
    let table = &catalog.tables[&oid];
    let table_keys: Vec<&ForeignKey> = catalog
        .keys
        .iter()
        .filter(|(child, _)| *child == oid)
        .map(|(_, k)| k)
        .collect();
    let sql = match insert_sql(table, &table_keys, &catalog.tables, filled, rows, style) {
        Ok(sql) => sql,
        Err(reason) => {
            seeding.skipped.push(SkippedTable {
                table: table.name.clone(),
                reason,
            });
            return Ok(());
        }
    };
    // Dense (a trace): vacuumed as well as analyzed, as a production table is. A table just filled would
    // otherwise draw an autovacuum, whose lock the migration's statement would wait for (until autovacuum
    // gives way, a second later), and that wait would be measured as the statement's.
    let after = match style {
        Style::Dense => format!("VACUUM (ANALYZE) {}", table.name),
        Style::Varied { .. } => format!("ANALYZE {}", table.name),
    };
    match client
        .batch_execute(&sql)
        .and_then(|()| client.batch_execute(&after))
    {
        Ok(()) => {
            seeding.sizes.push(size(client, oid, &table.name)?);
            seeding.filled.push(table.name.clone());
            filled.insert(oid);
        }
        Err(e) => seeding.skipped.push(SkippedTable {
            table: table.name.clone(),
            reason: describe_pg(&e),
        }),
    }
    Ok(())
}

/// The tables of `names` (as the trace shows them: `public` left out) and every table they reference,
/// directly or not: what must be filled for theirs to be.
fn with_parents(catalog: &Catalog, names: &[String]) -> HashSet<u32> {
    let mut wanted: HashSet<u32> = catalog
        .tables
        .iter()
        .filter(|(_, t)| {
            let shown = super::shown(&t.name);
            names.iter().any(|n| n == shown || *n == t.name)
        })
        .map(|(oid, _)| *oid)
        .collect();
    loop {
        let parents: Vec<u32> = catalog
            .keys
            .iter()
            .filter(|(child, key)| wanted.contains(child) && !wanted.contains(&key.parent))
            .map(|(_, key)| key.parent)
            .collect();
        if parents.is_empty() {
            return wanted;
        }
        wanted.extend(parents);
    }
}

/// The tables that have a row already, asked in one query.
fn with_rows(client: &mut Client, catalog: &Catalog) -> Result<HashSet<u32>, Error> {
    if catalog.tables.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = catalog
        .tables
        .iter()
        .map(|(oid, t)| format!("SELECT {oid} WHERE EXISTS (SELECT FROM {})", t.name))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let messages = client
        .simple_query(&sql)
        .map_err(Error::database("cannot read which tables have rows"))?;
    let [rows] = results::<1>(&messages);
    Ok(rows
        .iter()
        .filter_map(|row| row.first()?.as_deref()?.parse().ok())
        .collect())
}


/// A filled table's size, right after it was filled and analysed.
fn size(client: &mut Client, oid: u32, name: &str) -> Result<SeededSize, Error> {
    let row = client
        .query_one(
            "SELECT greatest(c.reltuples, 0)::float8, pg_catalog.pg_relation_size(c.oid), \
             pg_catalog.pg_total_relation_size(c.oid) FROM pg_catalog.pg_class c WHERE c.oid = $1",
            &[&oid],
        )
        .map_err(Error::database("cannot read the size of a table filled with rows"))?;
    Ok(SeededSize {
        table: super::shown(name).to_owned(),
        rows: row.get(0),
        table_bytes: row.get(1),
        total_bytes: row.get(2),
    })
}

/// The tables with their columns and checks, and the foreign keys between them.
fn read(client: &mut Client, bookkeeping: &MigrationsTable) -> Result<Catalog, Error> {
    let tables_filter = format!(
        "c.relkind IN ('r', 'p') AND NOT c.relispartition AND {} AND {}",
        user_schema("n"),
        bookkeeping_filter(bookkeeping, "n.nspname", "c.relname"),
    );
    let sql = format!(
        "SELECT c.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
         pg_catalog.quote_ident(a.attname), a.attnotnull, \
         a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', \
         t.typcategory, bt.typname, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, \
         pg_catalog.format_type(a.atttypid, a.atttypmod), \
         EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique \
         AND a.attnum = ANY (i.indkey)), \
         a.attidentity <> '' OR a.attgenerated <> '', t.typtype = 'd' AND t.typnotnull, \
         pg_catalog.format_type(bt.oid, NULL), \
         EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND NOT i.indimmediate) \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
         WHERE {tables_filter} \
         ORDER BY c.oid, a.attnum;\n\
         SELECT co.oid, co.conrelid, co.confrelid, pg_catalog.quote_ident(a.attname), \
         pg_catalog.quote_ident(fa.attname) \
         FROM pg_catalog.pg_constraint co \
         CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(co.conkey), pg_catalog.unnest(co.confkey)) \
         WITH ORDINALITY AS k(col, fcol, ord) \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.col \
         JOIN pg_catalog.pg_attribute fa ON fa.attrelid = co.confrelid AND fa.attnum = k.fcol \
         WHERE co.contype = 'f' ORDER BY co.oid, k.ord;\n\
         SELECT co.conrelid, pg_catalog.pg_get_expr(co.conbin, co.conrelid), \
         (SELECT pg_catalog.array_to_json(pg_catalog.array_agg(pg_catalog.quote_ident(a.attname))) \
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = co.conrelid AND a.attnum = ANY (co.conkey)) \
         FROM pg_catalog.pg_constraint co \
         JOIN pg_catalog.pg_class c ON c.oid = co.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE co.contype = 'c' AND {tables_filter} ORDER BY co.conrelid, co.conname",
    );
    let messages = client.simple_query(&sql).map_err(Error::database(
        "cannot read the tables to fill with rows",
    ))?;
    let [column_rows, key_rows, check_rows] = results::<3>(&messages).map(|rows| {
        rows.into_iter()
            .map(|row| {
                row.into_iter()
                    .map(Option::unwrap_or_default)
                    .collect::<Vec<String>>()
            })
            .collect::<Vec<_>>()
    });
    let mut tables: BTreeMap<u32, Table> = BTreeMap::new();
    for row in column_rows {
        let Ok(oid) = row[0].parse::<u32>() else {
            continue;
        };
        tables
            .entry(oid)
            .or_insert_with(|| Table {
                name: row[1].clone(),
                columns: Vec::new(),
                checks: Vec::new(),
                deferrable_unique: false,
            })
            .columns
            .push(Column {
                name: row[2].clone(),
                not_null: row[3] == "t",
                server_fills: row[4] == "t",
                category: row[5].clone(),
                base_type: row[6].clone(),
                typmod: row[7].parse().unwrap_or(-1),
                type_name: row[8].clone(),
                unique: row[9] == "t",
                identity_or_generated: row[10] == "t",
                base_type_name: row[12].clone(),
            });
        if let Some(table) = tables.get_mut(&oid) {
            // A domain declared NOT NULL refuses NULL wherever it is used.
            if row[11] == "t" {
                if let Some(column) = table.columns.last_mut() {
                    column.not_null = true;
                }
            }
            table.deferrable_unique = row[13] == "t";
        }
    }
    for row in check_rows {
        let (Ok(oid), Ok(columns)) = (
            row[0].parse::<u32>(),
            serde_json::from_str::<Vec<String>>(&row[2]),
        ) else {
            continue;
        };
        if let Some(table) = tables.get_mut(&oid) {
            table.checks.push(Check {
                expression: row[1].clone(),
                columns,
            });
        }
    }
    let mut keys: Vec<(String, u32, ForeignKey)> = Vec::new();
    for row in key_rows {
        let (Ok(child), Ok(parent)) = (row[1].parse::<u32>(), row[2].parse::<u32>()) else {
            continue;
        };
        match keys.last_mut() {
            Some((oid, _, key)) if *oid == row[0] => {
                key.columns.push(row[3].clone());
                key.parent_columns.push(row[4].clone());
            }
            _ => keys.push((
                row[0].clone(),
                child,
                ForeignKey {
                    columns: vec![row[3].clone()],
                    parent,
                    parent_columns: vec![row[4].clone()],
                },
            )),
        }
    }
    Ok(Catalog {
        tables,
        keys: keys
            .into_iter()
            .map(|(_, child, key)| (child, key))
            .collect(),
    })
}

/// Parents before the tables that reference them; tables in a cycle in the order of their oids.
fn order(catalog: &Catalog) -> Vec<u32> {
    let Catalog { tables, keys } = catalog;
    let mut done: Vec<u32> = Vec::new();
    let mut left: Vec<u32> = tables.keys().copied().collect();
    while !left.is_empty() {
        let ready: Vec<u32> = left
            .iter()
            .copied()
            .filter(|oid| {
                keys.iter().all(|(child, key)| {
                    *child != *oid
                        || key.parent == *oid
                        || !tables.contains_key(&key.parent)
                        || done.contains(&key.parent)
                })
            })
            .collect();
        // A cycle: take the first table left; its keys into the cycle get NULL, or it is skipped.
        let next = if ready.is_empty() {
            vec![left[0]]
        } else {
            ready
        };
        left.retain(|oid| !next.contains(oid));
        done.extend(next);
    }
    done
}

/// The `INSERT` that fills `table`, or why it cannot be filled.
fn insert_sql(
    table: &Table,
    keys: &[&ForeignKey],
    tables: &BTreeMap<u32, Table>,
    filled: &HashSet<u32>,
    rows: u64,
    style: Style,
) -> Result<String, String> {
    let mut insert = Insert {
        style,
        rows,
        ..Insert::default()
    };
    for (i, key) in keys.iter().copied().enumerate() {
        insert.foreign_key(i, key, table, tables, filled)?;
    }
    insert.other_columns(table)?;
    Ok(insert.sql(table))
}

/// An `INSERT ... SELECT` over the row numbers `g.i` as it is built: a CTE and a join for each referenced
/// table whose rows are taken, and the target columns with their values.
struct Insert<'k> {
    style: Style,
    rows: u64,
    ctes: Vec<String>,
    joins: Vec<String>,
    targets: Vec<String>,
    values: Vec<String>,
    /// The columns a foreign key fills or leaves NULL.
    keyed: HashSet<&'k str>,
}

impl Default for Insert<'_> {
    fn default() -> Self {
        Insert {
            style: Style::Dense,
            rows: 0,
            ctes: Vec::new(),
            joins: Vec::new(),
            targets: Vec::new(),
            values: Vec::new(),
            keyed: HashSet::new(),
        }
    }
}

/// `hashint8extended(g.i, salt)` as a number from 0 to 2^31 - 1: the same for the same seed and row, spread
/// evenly.
fn drawn(salt: i64) -> String {
    format!("(pg_catalog.hashint8extended(g.i, {salt}) & 2147483647)")
}

impl<'k> Insert<'k> {
    /// A salt for column or key `index` and what is drawn for it (`purpose`), from the seed.
    fn salt(&self, purpose: u64, index: usize) -> i64 {
        let Style::Varied { seed } = self.style else {
            return 0;
        };
        seed.wrapping_mul(1_000_003)
            .wrapping_add(purpose.wrapping_mul(10_007))
            .wrapping_add(index as u64) as i64
    }

    /// `value`, or NULL in about one row in eight when the style is varied and `nullable`.
    fn maybe_null(&self, value: String, nullable: bool, index: usize) -> String {
        match self.style {
            Style::Varied { .. } if nullable => format!(
                "CASE WHEN {} % 8 = 0 THEN NULL ELSE {value} END",
                drawn(self.salt(2, index))
            ),
            _ => value,
        }
    }

    /// Foreign key `i` of `table`: its columns take the referenced table's rows. A key sharing a column with
    /// an earlier one, or whose columns the server fills, is left out.
    fn foreign_key(
        &mut self,
        i: usize,
        key: &'k ForeignKey,
        table: &Table,
        tables: &BTreeMap<u32, Table>,
        filled: &HashSet<u32>,
    ) -> Result<(), String> {
        if key.columns.iter().any(|c| self.keyed.contains(c.as_str())) {
            return Ok(());
        }
        let columns: Vec<Option<&Column>> = key.columns.iter().map(|c| table.column(c)).collect();
        if columns
            .iter()
            .all(|c| c.is_some_and(|c| c.identity_or_generated))
        {
            return Ok(());
        }
        self.keyed.extend(key.columns.iter().map(String::as_str));
        if !filled.contains(&key.parent) {
            return without_parent_rows(key, table, tables);
        }
        let Some(parent) = tables.get(&key.parent) else {
            return Ok(());
        };
        let unique = columns.iter().any(|c| c.is_some_and(|c| c.unique));
        let nullable = columns.iter().all(|c| c.is_some_and(|c| !c.not_null));
        self.take_rows(i, key, parent, unique, nullable);
        Ok(())
    }

    /// Row `g.i` takes `key`'s columns from a row of `parent` through a CTE: dense, or for a key in a unique
    /// index, row `g.i` modulo its number of rows; varied, a row drawn from the seed (NULL in about one row
    /// in eight when every column is nullable).
    fn take_rows(&mut self, i: usize, key: &ForeignKey, parent: &Table, unique: bool, nullable: bool) {
        let alias = format!("fk{}", i + 1);
        let picked: Vec<String> = key
            .parent_columns
            .iter()
            .enumerate()
            .map(|(j, c)| format!("{c} AS k{}", j + 1))
            .collect();
        self.ctes.push(format!(
            "{alias} AS (SELECT {}, pg_catalog.row_number() OVER () AS rn FROM {})",
            picked.join(", "),
            parent.name
        ));
        let count = format!("(SELECT pg_catalog.count(*) FROM {alias})");
        let row = match self.style {
            Style::Varied { .. } if !unique => format!("{} % {count}", drawn(self.salt(3, i))),
            _ => format!("(g.i - 1) % {count}"),
        };
        self.joins
            .push(format!("JOIN {alias} ON {alias}.rn = {row} + 1"));
        for (j, c) in key.columns.iter().enumerate() {
            self.targets.push(c.clone());
            let value = format!("{alias}.k{}", j + 1);
            self.values
                .push(self.maybe_null(value, nullable && !unique, 1000 + i));
        }
    }

    /// A generated value for each column that neither the server nor a foreign key fills; a column of a type
    /// without one stays NULL, or leaves the table empty when it is NOT NULL.
    fn other_columns(&mut self, table: &Table) -> Result<(), String> {
        for (index, column) in table.columns.iter().enumerate() {
            if column.server_fills || self.keyed.contains(column.name.as_str()) {
                continue;
            }
            let made = match self.style {
                Style::Dense => value(column, "g.i", "pg_catalog.textin(pg_catalog.int4out(g.i))"),
                Style::Varied { seed } => self.varied_value(column, index, seed),
            };
            match made {
                Some(value) => {
                    self.targets.push(column.name.clone());
                    self.values.push(value);
                }
                None if column.not_null => {
                    return Err(format!(
                        "no value can be generated for column {} of type {}",
                        column.name, column.type_name
                    ))
                }
                // Nullable: left NULL.
                None => {}
            }
        }
        Ok(())
    }

    /// Column `index`'s value in the varied style: from the row number when it is in a unique index, else
    /// drawn from a third as many values as rows; cast to its type; sometimes NULL when nullable.
    fn varied_value(&self, column: &Column, index: usize, seed: u64) -> Option<String> {
        let n = if column.unique {
            "g.i::int8".to_owned()
        } else {
            let distinct = (self.rows / 3).max(2);
            format!("({} % {distinct} + 1)", drawn(self.salt(1, index)))
        };
        let text = format!("('{seed}:' || {n}::text)");
        let value = match column.category.as_str() {
            // Every label, not only the first.
            "E" => format!(
                "(pg_catalog.enum_range(NULL::{t}))[({n} % pg_catalog.array_length(pg_catalog.enum_range(\
                 NULL::{t}), 1) + 1)::int4]",
                t = column.base_type_name
            ),
            "U" if column.base_type == "uuid" => format!("pg_catalog.md5({text})::uuid"),
            // From a fixed time, not the clock: the same seed gives the same rows.
            "D" => format!(
                "TIMESTAMPTZ '2026-01-01 00:00:00+00' - pg_catalog.make_interval(secs => {n})"
            ),
            _ => value(column, &n, &text)?,
        };
        let cast = format!("CAST({value} AS {})", column.type_name);
        Some(self.maybe_null(cast, !column.not_null && !column.unique, index))
    }

    /// The statement that inserts the rows into `table`.
    fn sql(self, table: &Table) -> String {
        let with = if self.ctes.is_empty() {
            String::new()
        } else {
            format!("WITH {} ", self.ctes.join(", "))
        };
        let rows = self.rows;
        let series = format!("pg_catalog.generate_series(1, {rows}) AS g(i)");
        if self.style == Style::Dense || self.targets.is_empty() {
            // No column list and no values: every column takes its default.
            let columns = if self.targets.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.targets.join(", "))
            };
            let conflicts = match self.style {
                Style::Varied { .. } if !table.deferrable_unique => " ON CONFLICT DO NOTHING",
                _ => "",
            };
            return format!(
                "{with}INSERT INTO {}{columns} SELECT {} FROM {series} {}{conflicts}",
                table.name,
                self.values.join(", "),
                self.joins.join(" ")
            );
        }
        // Varied: the generated rows are named by column, so that every check whose columns they all
        // give filters them.
        let named: Vec<String> = self
            .values
            .iter()
            .zip(&self.targets)
            .map(|(v, c)| format!("{v} AS {c}"))
            .collect();
        let checks: Vec<String> = table
            .checks
            .iter()
            .filter(|check| check.columns.iter().all(|c| self.targets.contains(c)))
            .map(|check| format!("({}) IS NOT FALSE", check.expression))
            .collect();
        let filter = if checks.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", checks.join(" AND "))
        };
        let columns = self.targets.join(", ");
        // PostgreSQL takes no deferrable constraint as `ON CONFLICT`'s arbiter: there, the columns in a unique
        // index are distinct already, and a duplicate (a short text cut from two values) fails the table.
        let conflicts = match table.deferrable_unique {
            false => " ON CONFLICT DO NOTHING",
            true => "",
        };
        format!(
            "{with}INSERT INTO {} ({columns}) SELECT {columns} FROM (SELECT {} FROM {series} {}) AS r{filter}\
             {conflicts}",
            table.name,
            named.join(", "),
            self.joins.join(" ")
        )
    }
}

/// A foreign key of `table` whose referenced table has no rows: its columns stay NULL, unless one of them
/// is NOT NULL (and not the server's to fill), which leaves the table empty.
fn without_parent_rows(
    key: &ForeignKey,
    table: &Table,
    tables: &BTreeMap<u32, Table>,
) -> Result<(), String> {
    let required: Vec<&str> = key
        .columns
        .iter()
        .filter(|c| {
            table
                .column(c)
                .is_some_and(|c| c.not_null && !c.server_fills)
        })
        .map(String::as_str)
        .collect();
    if !required.is_empty() {
        let parent = tables
            .get(&key.parent)
            .map_or("its referenced table", |t| t.name.as_str());
        return Err(format!(
            "{} references {parent}, which has no rows (it was skipped, or is in a cycle of foreign keys)",
            required.join(", ")
        ));
    }
    // Nullable: left NULL.
    Ok(())
}

/// A value of `column`'s type made from the number `n` (an integer expression) and a text made from it
/// (`text`), or `None` for a type this does not know. Assignment casts turn each into the column's type.
fn value(column: &Column, n: &str, text: &str) -> Option<String> {
    Some(match column.category.as_str() {
        "N" => match column.base_type.as_str() {
            "int2" => format!("{n} % 32767"),
            // numeric(p, s) holds p - s digits before the point.
            "numeric" if column.typmod >= 4 => {
                let precision = ((column.typmod - 4) >> 16) & 0xffff;
                let scale = (column.typmod - 4) & 0xffff;
                match precision - scale {
                    digits if digits <= 0 => "0".to_owned(),
                    digits if digits >= 9 => n.to_owned(),
                    digits => format!("{n} % {}", 10_i64.pow(digits as u32)),
                }
            }
            _ => n.to_owned(),
        },
        "S" => {
            let length = match column.base_type.as_str() {
                "varchar" | "bpchar" if column.typmod > 4 => (column.typmod - 4).min(32),
                _ => 32,
            };
            format!("pg_catalog.substr(pg_catalog.md5({text}), 1, {length})")
        }
        "B" => format!("({n} % 2 = 0)"),
        "D" => format!("pg_catalog.now() - pg_catalog.make_interval(secs => {n})"),
        "T" => format!("pg_catalog.make_interval(secs => {n})"),
        "E" => format!("pg_catalog.enum_first(NULL::{})", column.type_name),
        "A" => format!("'{{}}'::{}", column.type_name),
        "U" => match column.base_type.as_str() {
            "uuid" => "pg_catalog.gen_random_uuid()".to_owned(),
            "jsonb" => format!("pg_catalog.jsonb_build_object('n', {n})"),
            "json" => format!("pg_catalog.json_build_object('n', {n})"),
            _ => return None,
        },
        "G" if column.base_type == "point" => format!("pg_catalog.point({n}, {n})"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, not_null: bool, category: &str, base_type: &str) -> Column {
        Column {
            name: name.to_owned(),
            not_null,
            server_fills: false,
            unique: false,
            identity_or_generated: false,
            base_type_name: base_type.to_owned(),
            category: category.to_owned(),
            base_type: base_type.to_owned(),
            typmod: -1,
            type_name: base_type.to_owned(),
        }
    }

    fn tables() -> BTreeMap<u32, Table> {
        let id = Column {
            server_fills: true,
            ..column("id", true, "N", "int8")
        };
        BTreeMap::from([
            (
                1,
                Table {
                    name: "public.users".to_owned(),
                    columns: vec![id, column("email", true, "S", "text")],
                    checks: Vec::new(),
                    deferrable_unique: false,
                },
            ),
            (
                2,
                Table {
                    name: "public.posts".to_owned(),
                    columns: vec![
                        column("author", true, "N", "int8"),
                        column("editor", false, "N", "int8"),
                        column("shape", false, "X", "box"),
                        column("draft", true, "B", "bool"),
                    ],
                    checks: Vec::new(),
                    deferrable_unique: false,
                },
            ),
        ])
    }

    fn key(column: &str) -> ForeignKey {
        ForeignKey {
            columns: vec![column.to_owned()],
            parent: 1,
            parent_columns: vec!["id".to_owned()],
        }
    }

    /// A foreign key takes the referenced table's rows in turn, a column the server fills is left to it, a
    /// nullable one without a generated value stays NULL.
    #[test]
    fn a_table_is_filled_from_its_parents_rows_and_generated_values() {
        let tables = tables();
        let (author, editor) = (key("author"), key("editor"));
        let filled = HashSet::from([1]);
        assert_eq!(
            insert_sql(&tables[&1], &[], &tables, &filled, 10, Style::Dense).as_deref(),
            Ok("INSERT INTO public.users (email) SELECT pg_catalog.substr(pg_catalog.md5(\
                pg_catalog.textin(pg_catalog.int4out(g.i))), 1, 32) FROM pg_catalog.generate_series(1, 10) \
                AS g(i) ")
        );
        assert_eq!(
            insert_sql(&tables[&2], &[&author, &editor], &tables, &filled, 5, Style::Dense).as_deref(),
            Ok("WITH fk1 AS (SELECT id AS k1, pg_catalog.row_number() OVER () AS rn FROM public.users), \
                fk2 AS (SELECT id AS k1, pg_catalog.row_number() OVER () AS rn FROM public.users) \
                INSERT INTO public.posts (author, editor, draft) SELECT fk1.k1, fk2.k1, (g.i % 2 = 0) \
                FROM pg_catalog.generate_series(1, 5) AS g(i) \
                JOIN fk1 ON fk1.rn = (g.i - 1) % (SELECT pg_catalog.count(*) FROM fk1) + 1 \
                JOIN fk2 ON fk2.rn = (g.i - 1) % (SELECT pg_catalog.count(*) FROM fk2) + 1")
        );
    }

    /// A referenced table without rows leaves a nullable key NULL, and refuses the table for a NOT NULL one;
    /// so does a NOT NULL column of a type without a generated value.
    #[test]
    fn a_table_that_cannot_be_filled_says_why() {
        let mut tables = tables();
        let (author, editor) = (key("author"), key("editor"));
        let none = HashSet::new();
        assert_eq!(
            insert_sql(&tables[&2], &[&editor], &tables, &none, 5, Style::Dense).as_deref(),
            Ok("INSERT INTO public.posts (author, draft) SELECT g.i, (g.i % 2 = 0) \
                FROM pg_catalog.generate_series(1, 5) AS g(i) ")
        );
        assert_eq!(
            insert_sql(&tables[&2], &[&author], &tables, &none, 5, Style::Dense),
            Err("author references public.users, which has no rows (it was skipped, or is in a cycle of \
                 foreign keys)"
                .to_owned())
        );
        tables.get_mut(&2).expect("posts").columns[2].not_null = true;
        assert_eq!(
            insert_sql(&tables[&2], &[&author], &tables, &HashSet::from([1]), 5, Style::Dense),
            Err("no value can be generated for column shape of type box".to_owned())
        );
    }
}
