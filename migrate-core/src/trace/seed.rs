//! `migrate trace --rows N`: generated rows in every table of the scratch database before the traced
//! migrations run, so that a scan or rewrite takes time and its duration means something.
//!
//! Each table gets `N` rows, parents before the tables that reference them. A column with a default (an
//! identity or generated column included) keeps it; a foreign key takes the referenced table's rows in turn;
//! any other column gets a value of its type made from the row number (numbers, text of the column's length,
//! booleans, times, intervals, the first label of an enum, empty arrays, UUIDs, JSON, points). A nullable
//! column of another type stays NULL; a table with a `NOT NULL` column of another type, or whose rows a
//! constraint or trigger refuses, is skipped and the reason kept: the trace says which tables stayed empty.

use std::collections::{BTreeMap, HashSet};

use postgres::Client;

use crate::error::{describe_pg, Error};
use crate::history::MigrationsTable;
use crate::schema::reader::query::{bookkeeping_filter, user_schema};

use super::report::{SeededSize, Seeding, SkippedTable};

#[derive(Debug)]
struct Column {
    name: String,
    not_null: bool,
    /// A default, identity or generated column: left to the server.
    server_fills: bool,
    category: String,
    base_type: String,
    typmod: i32,
    /// `format_type`, for a typed `NULL` or an empty array.
    type_name: String,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
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

/// Fills every table (or, with `only`, the tables named there, as the trace shows them, and the tables they
/// reference) with `rows` generated rows (at most `i32::MAX`).
pub(crate) fn fill(
    client: &mut Client,
    bookkeeping: &MigrationsTable,
    rows: u64,
    only: Option<&[String]>,
) -> Result<Seeding, Error> {
    let rows = rows.min(i32::MAX as u64);
    let (tables, keys) = read(client, bookkeeping)?;
    let wanted = only.map(|names| with_parents(&tables, &keys, names));
    let mut filled: Vec<String> = Vec::new();
    let mut filled_oids: HashSet<u32> = HashSet::new();
    let mut skipped: Vec<SkippedTable> = Vec::new();
    let mut sizes: Vec<SeededSize> = Vec::new();
    for oid in order(&tables, &keys) {
        if wanted.as_ref().is_some_and(|w| !w.contains(&oid)) {
            continue;
        }
        let table = &tables[&oid];
        let table_keys: Vec<&ForeignKey> = keys
            .iter()
            .filter(|(child, _)| *child == oid)
            .map(|(_, k)| k)
            .collect();
        match insert_sql(table, &table_keys, &tables, &filled_oids, rows) {
            Err(reason) => skipped.push(SkippedTable {
                table: table.name.clone(),
                reason,
            }),
            // Vacuumed as well as analyzed, as a production table is: a table just filled would otherwise
            // draw an autovacuum, whose lock the migration's statement would wait for (until autovacuum gives
            // way, a second later), and that wait would be measured as the statement's.
            Ok(sql) => match client
                .batch_execute(&sql)
                .and_then(|()| client.batch_execute(&format!("VACUUM (ANALYZE) {}", table.name)))
            {
                Ok(()) => {
                    sizes.push(size(client, oid, &table.name)?);
                    filled.push(table.name.clone());
                    filled_oids.insert(oid);
                }
                Err(e) => skipped.push(SkippedTable {
                    table: table.name.clone(),
                    reason: describe_pg(&e),
                }),
            },
        }
    }
    Ok(Seeding {
        rows_per_table: rows,
        filled,
        skipped,
        sizes,
    })
}

/// The tables of `names` (as the trace shows them: `public` left out) and every table they reference,
/// directly or not: what must be filled for theirs to be.
fn with_parents(
    tables: &BTreeMap<u32, Table>,
    keys: &[(u32, ForeignKey)],
    names: &[String],
) -> HashSet<u32> {
    let mut wanted: HashSet<u32> = tables
        .iter()
        .filter(|(_, t)| {
            let shown = as_traced(&t.name);
            names.iter().any(|n| n == shown || *n == t.name)
        })
        .map(|(oid, _)| *oid)
        .collect();
    loop {
        let parents: Vec<u32> = keys
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

/// A table's schema-qualified name as the trace shows it: `public` left out.
fn as_traced(name: &str) -> &str {
    name.strip_prefix("public.").unwrap_or(name)
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
        table: as_traced(name).to_owned(),
        rows: row.get(0),
        table_bytes: row.get(1),
        total_bytes: row.get(2),
    })
}

/// The tables with their columns, and the foreign keys between them (by the referencing table).
#[allow(clippy::type_complexity)]
fn read(
    client: &mut Client,
    bookkeeping: &MigrationsTable,
) -> Result<(BTreeMap<u32, Table>, Vec<(u32, ForeignKey)>), Error> {
    let sql = format!(
        "SELECT c.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
         pg_catalog.quote_ident(a.attname), a.attnotnull, \
         a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', \
         t.typcategory, bt.typname, a.atttypmod, pg_catalog.format_type(a.atttypid, a.atttypmod) \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {} AND {} \
         ORDER BY c.oid, a.attnum;\n\
         SELECT co.oid, co.conrelid, co.confrelid, pg_catalog.quote_ident(a.attname), \
         pg_catalog.quote_ident(fa.attname) \
         FROM pg_catalog.pg_constraint co \
         CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(co.conkey), pg_catalog.unnest(co.confkey)) \
         WITH ORDINALITY AS k(col, fcol, ord) \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.col \
         JOIN pg_catalog.pg_attribute fa ON fa.attrelid = co.confrelid AND fa.attnum = k.fcol \
         WHERE co.contype = 'f' ORDER BY co.oid, k.ord",
        user_schema("n"),
        bookkeeping_filter(bookkeeping, "n.nspname", "c.relname"),
    );
    let messages = client.simple_query(&sql).map_err(Error::database(
        "cannot read the tables to fill with rows",
    ))?;
    let [column_rows, key_rows] = super::catalog::results::<2>(&messages).map(|rows| {
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
            });
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
    Ok((
        tables,
        keys.into_iter()
            .map(|(_, child, key)| (child, key))
            .collect(),
    ))
}

/// Parents before the tables that reference them; tables in a cycle in the order of their oids.
fn order(tables: &BTreeMap<u32, Table>, keys: &[(u32, ForeignKey)]) -> Vec<u32> {
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
) -> Result<String, String> {
    let mut insert = Insert::default();
    for (i, key) in keys.iter().copied().enumerate() {
        insert.foreign_key(i, key, table, tables, filled)?;
    }
    insert.other_columns(table)?;
    Ok(insert.sql(table, rows))
}

/// An `INSERT ... SELECT` over the row numbers `g.i` as it is built: a CTE and a join for each referenced
/// table whose rows are taken in turn, and the target columns with their values.
#[derive(Default)]
struct Insert<'k> {
    ctes: Vec<String>,
    joins: Vec<String>,
    targets: Vec<String>,
    values: Vec<String>,
    /// The columns a foreign key fills or leaves NULL.
    keyed: HashSet<&'k str>,
}

impl<'k> Insert<'k> {
    /// Foreign key `i` of `table`: its columns take the referenced table's rows in turn. A key sharing a
    /// column with an earlier one, or whose columns the server fills, is left out.
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
        if key
            .columns
            .iter()
            .all(|c| table.column(c).is_some_and(|c| c.server_fills))
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
        self.take_rows(&format!("fk{}", i + 1), key, parent);
        Ok(())
    }

    /// Row `g.i` takes `key`'s columns from row `g.i` of `parent`, modulo its number of rows, through the CTE
    /// `alias`.
    fn take_rows(&mut self, alias: &str, key: &ForeignKey, parent: &Table) {
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
        self.joins.push(format!(
            "JOIN {alias} ON {alias}.rn = (g.i - 1) % (SELECT pg_catalog.count(*) FROM {alias}) + 1"
        ));
        for (j, c) in key.columns.iter().enumerate() {
            self.targets.push(c.clone());
            self.values.push(format!("{alias}.k{}", j + 1));
        }
    }

    /// A generated value for each column that neither the server nor a foreign key fills; a column of a type
    /// without one stays NULL, or leaves the table empty when it is NOT NULL.
    fn other_columns(&mut self, table: &Table) -> Result<(), String> {
        for column in &table.columns {
            if column.server_fills || self.keyed.contains(column.name.as_str()) {
                continue;
            }
            match value(column) {
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

    /// The statement that inserts `rows` rows into `table`.
    fn sql(self, table: &Table, rows: u64) -> String {
        let with = if self.ctes.is_empty() {
            String::new()
        } else {
            format!("WITH {} ", self.ctes.join(", "))
        };
        // No column list and no values: every column takes its default.
        let columns = if self.targets.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.targets.join(", "))
        };
        format!(
            "{with}INSERT INTO {}{columns} SELECT {} FROM pg_catalog.generate_series(1, {rows}) AS g(i) {}",
            table.name,
            self.values.join(", "),
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

/// A value of `column`'s type made from the row number `g.i` (an `integer`), or `None` for a type this does
/// not know. Assignment casts turn each into the column's type.
fn value(column: &Column) -> Option<String> {
    let row_text = "pg_catalog.textin(pg_catalog.int4out(g.i))";
    Some(match column.category.as_str() {
        "N" => match column.base_type.as_str() {
            "int2" => "g.i % 32767".to_owned(),
            // numeric(p, s) holds p - s digits before the point.
            "numeric" if column.typmod >= 4 => {
                let precision = ((column.typmod - 4) >> 16) & 0xffff;
                let scale = (column.typmod - 4) & 0xffff;
                match precision - scale {
                    digits if digits <= 0 => "0".to_owned(),
                    digits if digits >= 9 => "g.i".to_owned(),
                    digits => format!("g.i % {}", 10_i64.pow(digits as u32)),
                }
            }
            _ => "g.i".to_owned(),
        },
        "S" => {
            let length = match column.base_type.as_str() {
                "varchar" | "bpchar" if column.typmod > 4 => (column.typmod - 4).min(32),
                _ => 32,
            };
            format!("pg_catalog.substr(pg_catalog.md5({row_text}), 1, {length})")
        }
        "B" => "(g.i % 2 = 0)".to_owned(),
        "D" => "pg_catalog.now() - pg_catalog.make_interval(secs => g.i)".to_owned(),
        "T" => "pg_catalog.make_interval(secs => g.i)".to_owned(),
        "E" => format!("pg_catalog.enum_first(NULL::{})", column.type_name),
        "A" => format!("'{{}}'::{}", column.type_name),
        "U" => match column.base_type.as_str() {
            "uuid" => "pg_catalog.gen_random_uuid()".to_owned(),
            "jsonb" => "pg_catalog.jsonb_build_object('n', g.i)".to_owned(),
            "json" => "pg_catalog.json_build_object('n', g.i)".to_owned(),
            _ => return None,
        },
        "G" if column.base_type == "point" => "pg_catalog.point(g.i, g.i)".to_owned(),
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
            insert_sql(&tables[&1], &[], &tables, &filled, 10).as_deref(),
            Ok("INSERT INTO public.users (email) SELECT pg_catalog.substr(pg_catalog.md5(\
                pg_catalog.textin(pg_catalog.int4out(g.i))), 1, 32) FROM pg_catalog.generate_series(1, 10) \
                AS g(i) ")
        );
        assert_eq!(
            insert_sql(&tables[&2], &[&author, &editor], &tables, &filled, 5).as_deref(),
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
            insert_sql(&tables[&2], &[&editor], &tables, &none, 5).as_deref(),
            Ok("INSERT INTO public.posts (author, draft) SELECT g.i, (g.i % 2 = 0) \
                FROM pg_catalog.generate_series(1, 5) AS g(i) ")
        );
        assert_eq!(
            insert_sql(&tables[&2], &[&author], &tables, &none, 5),
            Err("author references public.users, which has no rows (it was skipped, or is in a cycle of \
                 foreign keys)"
                .to_owned())
        );
        tables.get_mut(&2).expect("posts").columns[2].not_null = true;
        assert_eq!(
            insert_sql(&tables[&2], &[&author], &tables, &HashSet::from([1]), 5),
            Err("no value can be generated for column shape of type box".to_owned())
        );
    }
}
