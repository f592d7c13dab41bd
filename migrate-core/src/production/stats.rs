//! The tables' sizes, row estimates and activity, and the settings, as production has them.

use postgres::error::SqlState;
use postgres::{Client, Transaction};

use super::{database, read_only, ProductionError, READ_LOCK_TIMEOUT};

/// One table as production has it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    /// Schema-qualified, as `quote_ident` writes each part.
    pub table: String,
    /// The planner's row estimate (`reltuples`); `None` for a table never analysed or vacuumed.
    pub rows: Option<f64>,
    /// The table's own size in bytes (heap), without indexes and TOAST; 0 when `unread`.
    pub table_bytes: i64,
    /// With indexes and TOAST; 0 when `unread`.
    pub total_bytes: i64,
    /// Its indexes and their sizes, by name; empty when `unread`.
    pub indexes: Vec<(String, i64)>,
    /// What the statistics collector counted since its last reset; `None` when it has nothing.
    pub activity: Option<Activity>,
    /// Why its sizes could not be read (a lock held on it in production made the read wait longer than
    /// [`READ_LOCK_TIMEOUT`]); its row estimate and activity, which take no lock, are still read.
    pub unread: Option<String>,
    /// Its primary key, when it is one `smallint` or `integer` column: how far its values have gone towards
    /// the type's limit.
    pub key: Option<KeyUse>,
}

/// How much of its type's range a `smallint` or `integer` primary key has used: the key that runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub column: String,
    /// `smallint` or `integer`.
    pub type_name: String,
    /// The highest value taken: the column's maximum, or its sequence's last value (an identity or
    /// `serial` column) when that is higher; `None` when the role may read neither (see `unread`).
    pub used: Option<i64>,
    /// The type's largest value.
    pub limit: i64,
    /// Why `used` is unknown.
    pub unread: Option<String>,
    /// The columns whose single-column foreign keys reference it, each `table.column (type)`: what widening
    /// the key widens too.
    pub referenced_by: Vec<String>,
}

/// A table's activity, as `pg_stat_user_tables` counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub seq_scans: i64,
    pub index_scans: i64,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    pub live_rows: i64,
    pub dead_rows: i64,
}

/// The settings that decide how long a migration's statements take and how they lock.
pub const SETTINGS: &[&str] = &[
    "maintenance_work_mem",
    "max_parallel_maintenance_workers",
    "work_mem",
    "shared_buffers",
    "effective_io_concurrency",
    "statement_timeout",
    "lock_timeout",
];

/// What a review reads of production, at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The tables asked for that production has, in the order asked.
    pub tables: Vec<TableStats>,
    /// The [`SETTINGS`], by name, each with its unit.
    pub settings: Vec<(String, String)>,
}

/// What production has of `tables` (names as the migration writes them; ones it lacks are left out) and
/// the [`SETTINGS`], read in one read-only transaction. A table whose sizes cannot be read within
/// [`READ_LOCK_TIMEOUT`] (the size functions take a lock that an `ACCESS EXCLUSIVE` holder makes wait) is
/// kept with [`TableStats::unread`] saying so; nothing waits longer.
pub fn read(client: &mut Client, tables: &[String]) -> Result<Snapshot, ProductionError> {
    let mut tx = read_only(
        client,
        "lock_timeout",
        READ_LOCK_TIMEOUT,
        "set the read's lock timeout",
    )?;
    // Catalog and statistics only: none of this locks the tables.
    let rows = tx
        .query(
            "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
               CASE WHEN c.reltuples >= 0 THEN c.reltuples::float8 END, \
               s.seq_scan, s.idx_scan, s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_live_tup, s.n_dead_tup \
             FROM unnest($1::text[]) WITH ORDINALITY AS w(name, at) \
             JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(w.name) \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid \
             ORDER BY w.at",
            &[&tables],
        )
        .map_err(database("read the tables' row estimates and statistics"))?;
    let mut stats = Vec::with_capacity(rows.len());
    for r in &rows {
        let activity = r.get::<_, Option<i64>>(3).map(|seq_scans| Activity {
            seq_scans,
            index_scans: r.get::<_, Option<i64>>(4).unwrap_or(0),
            inserted: r.get(5),
            updated: r.get(6),
            deleted: r.get(7),
            live_rows: r.get(8),
            dead_rows: r.get(9),
        });
        let mut table = TableStats {
            table: r.get(1),
            rows: r.get(2),
            table_bytes: 0,
            total_bytes: 0,
            indexes: Vec::new(),
            activity,
            unread: None,
            key: None,
        };
        sizes(&mut tx, r.get(0), &mut table)?;
        let locked = table.unread.is_some();
        table.key = key_use(&mut tx, r.get(0), &table.table, locked)?;
        stats.push(table);
    }
    let settings = tx
        .query(
            "SELECT name, setting || coalesce(' ' || unit, '') FROM pg_catalog.pg_settings \
             WHERE name = ANY($1) ORDER BY name",
            &[&SETTINGS],
        )
        .map_err(database("read the server's settings"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    tx.commit().map_err(database("end the read-only transaction"))?;
    Ok(Snapshot {
        tables: stats,
        settings,
    })
}

/// How far table `oid`'s primary key has gone, when it is one `smallint` or `integer` column: its sequence's
/// last value (an identity or `serial` column, where the role may read or use the sequence) and the column's
/// maximum (an index scan of the key, where the role may read the table and, `locked`, no lock made its sizes
/// wait already), each in a savepoint.
fn key_use(
    tx: &mut Transaction<'_>,
    oid: u32,
    table: &str,
    locked: bool,
) -> Result<Option<KeyUse>, ProductionError> {
    let Some(row) = tx
        .query_opt(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, NULL), a.attnum, \
               CASE a.atttypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767 ELSE 2147483647 END::int8, \
               pg_catalog.pg_get_serial_sequence($2, a.attname) \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = $1 AND i.indisprimary AND i.indnkeyatts = 1 \
               AND a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype)",
            &[&oid, &table],
        )
        .map_err(database("read the tables' primary keys"))?
    else {
        return Ok(None);
    };
    let (column, type_name, attnum, limit, sequence): (String, String, i16, i64, Option<String>) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    // A partition's copy of a partitioned table's foreign key (`conparentid`) is the same key.
    let referenced_by = tx
        .query(
            "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
               a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
             FROM pg_catalog.pg_constraint co \
             JOIN pg_catalog.pg_class c ON c.oid = co.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1] \
             WHERE co.contype = 'f' AND co.confrelid = $1 AND co.conparentid = 0 \
               AND pg_catalog.array_length(co.conkey, 1) = 1 AND co.confkey[1] = $2 \
             ORDER BY 1, 2",
            &[&oid, &attnum],
        )
        .map_err(database("read the foreign keys that reference a primary key"))?
        .iter()
        .map(|r| {
            let table: String = r.get(0);
            let shown = table.strip_prefix("public.").unwrap_or(&table).to_owned();
            format!("{shown}.{} ({})", r.get::<_, String>(1), r.get::<_, String>(2))
        })
        .collect();
    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
    let mut reads = Vec::new();
    if let Some(sequence) = &sequence {
        reads.push(format!(
            "SELECT CASE WHEN pg_catalog.has_sequence_privilege({seq}, 'SELECT, USAGE') \
             THEN pg_catalog.pg_sequence_last_value({seq}::pg_catalog.regclass) END",
            seq = migrate_dsl::literal(sequence)
        ));
    }
    // A table whose sizes waited out the lock timeout would make its maximum wait as long again.
    if !locked {
        reads.push(format!("SELECT pg_catalog.max({quoted})::int8 FROM {table}"));
    }
    let mut used: Option<i64> = None;
    let mut refused = None;
    for sql in reads {
        let mut savepoint = tx.transaction().map_err(database("start a savepoint"))?;
        match savepoint.query_one(sql.as_str(), &[]) {
            Ok(r) => {
                if let Some(v) = r.get::<_, Option<i64>>(0) {
                    used = Some(used.map_or(v, |u| u.max(v)));
                }
                savepoint.commit().map_err(database("release the savepoint"))?;
            }
            Err(e)
                if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
                    || e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) =>
            {
                refused = Some(format!(
                    "not read: {}",
                    e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned())
                ));
                savepoint.rollback().map_err(database("roll back to the savepoint"))?;
            }
            Err(e) => return Err(database("read how far a primary key has gone")(e)),
        }
    }
    let unread = match used {
        Some(_) => None,
        None if locked => Some(
            "not read: a lock held on the table in production made its sizes wait already".to_owned(),
        ),
        None => Some(refused.unwrap_or_else(|| "no value taken yet".to_owned())),
    };
    Ok(Some(KeyUse {
        column,
        type_name,
        used,
        limit,
        unread,
        referenced_by,
    }))
}

/// The sizes of table `oid` and its indexes, in a savepoint: when a lock held in production makes them
/// wait past the lock timeout, `table` says so and the read goes on with the next table.
fn sizes(tx: &mut Transaction<'_>, oid: u32, table: &mut TableStats) -> Result<(), ProductionError> {
    let mut savepoint = tx
        .transaction()
        .map_err(database("start a savepoint"))?;
    let read = savepoint.query_one(
        "SELECT pg_catalog.pg_relation_size(c.oid), pg_catalog.pg_total_relation_size(c.oid), \
           ARRAY(SELECT i.indexrelid::regclass::text FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid \
                 ORDER BY 1), \
           ARRAY(SELECT pg_catalog.pg_relation_size(i.indexrelid) FROM pg_catalog.pg_index i \
                 WHERE i.indrelid = c.oid ORDER BY i.indexrelid::regclass::text) \
         FROM pg_catalog.pg_class c WHERE c.oid = $1",
        &[&oid],
    );
    match read {
        Ok(r) => {
            table.table_bytes = r.get(0);
            table.total_bytes = r.get(1);
            let names: Vec<String> = r.get(2);
            let sizes: Vec<i64> = r.get(3);
            table.indexes = names.into_iter().zip(sizes).collect();
            savepoint
                .commit()
                .map_err(database("release the savepoint"))?;
        }
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            table.unread = Some(format!(
                "its size was not read: a lock held on it in production made the read wait over {} ms",
                READ_LOCK_TIMEOUT.as_millis()
            ));
            savepoint
                .rollback()
                .map_err(database("roll back to the savepoint"))?;
        }
        Err(e) => return Err(database("read the tables' sizes")(e)),
    }
    Ok(())
}
