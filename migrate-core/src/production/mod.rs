//! Production statistics, read only: what a review needs to know about the real tables (sizes, row
//! estimates, activity, indexes, the settings that decide how long DDL takes), read from catalog and
//! statistics views alone, never from the tables' rows, over a session that cannot write.
//!
//! A review connects to production (or a replica) with credentials someone pasted into CI: the guard makes
//! sure that session could not change anything even by mistake. A standby cannot write; on a primary the role
//! must be neither a superuser nor able to write to any table, to create in any schema, or to create in the
//! database; otherwise [`connect`] refuses, naming what it could write, unless told to go on. Every read runs
//! in a read-only transaction too.

use postgres::{Client, IsolationLevel};

/// Why production could not be read, or may not be.
#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    /// The session could write: a superuser, or a role with write rights on a primary.
    #[error(
        "the session as role {role:?} could write to production ({}); use a role that can only read \
         statistics (e.g. one granted pg_read_all_stats and nothing else), a standby, or say that a writable \
         session is meant",
        .could.join("; ")
    )]
    Writable { role: String, could: Vec<String> },
    /// A query on the catalog or the statistics views failed.
    #[error("cannot {context}: {}", crate::error::describe_pg(.source))]
    Database {
        context: &'static str,
        #[source]
        source: postgres::Error,
    },
}

fn database(context: &'static str) -> impl FnOnce(postgres::Error) -> ProductionError {
    move |source| ProductionError::Database { context, source }
}

/// Who the review reads production as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The role the session runs as.
    pub role: String,
    /// The server's version, as `server_version` shows it.
    pub server_version: String,
    /// A standby (`pg_is_in_recovery()`): nothing can be written there.
    pub standby: bool,
    /// What the role could write, when a writable session was allowed; empty otherwise.
    pub could_write: Vec<String>,
}

/// Checks the session before anything is read: refused with [`ProductionError::Writable`] when it could
/// write, unless `allow_writable`.
pub fn connect(client: &mut Client, allow_writable: bool) -> Result<Session, ProductionError> {
    let row = client
        .query_one(
            "SELECT current_user::text, current_setting('server_version'), pg_catalog.pg_is_in_recovery(), \
             r.rolsuper, pg_catalog.has_database_privilege(current_database(), 'CREATE') \
             FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .map_err(database("read the session's role"))?;
    let (role, server_version, standby): (String, String, bool) = (row.get(0), row.get(1), row.get(2));
    let mut could = Vec::new();
    if !standby {
        if row.get::<_, bool>(3) {
            could.push("it is a superuser".to_owned());
        }
        if row.get::<_, bool>(4) {
            could.push("it may create schemas in the database".to_owned());
        }
        could.extend(writable_objects(client)?);
    }
    if !could.is_empty() && !allow_writable {
        return Err(ProductionError::Writable { role, could });
    }
    Ok(Session {
        role,
        server_version,
        standby,
        could_write: could,
    })
}

/// The schemas the role may create in and the tables it may change, a few named.
fn writable_objects(client: &mut Client) -> Result<Vec<String>, ProductionError> {
    const SHOWN: i64 = 3;
    let row = client
        .query_one(
            "WITH s AS (SELECT quote_ident(n.nspname) AS name FROM pg_catalog.pg_namespace n \
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
               AND pg_catalog.has_schema_privilege(n.oid, 'CREATE')), \
             t AS (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_%' \
               AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) \
             SELECT (SELECT count(*) FROM s), (SELECT array_agg(name ORDER BY name) FROM (SELECT name FROM s ORDER BY name LIMIT $1) x), \
                    (SELECT count(*) FROM t), (SELECT array_agg(name ORDER BY name) FROM (SELECT name FROM t ORDER BY name LIMIT $1) y)",
            &[&SHOWN],
        )
        .map_err(database("read what the session's role may write"))?;
    let mut could = Vec::new();
    let listed = |count: i64, names: Option<Vec<String>>, what: &str| {
        let names = names.unwrap_or_default().join(", ");
        let more = if count > SHOWN {
            format!(" and {} more", count - SHOWN)
        } else {
            String::new()
        };
        format!("{what} {names}{more}")
    };
    let (schemas, tables): (i64, i64) = (row.get(0), row.get(2));
    if schemas > 0 {
        could.push(listed(schemas, row.get(1), "it may create in schema(s)"));
    }
    if tables > 0 {
        could.push(listed(tables, row.get(3), "it may change table(s)"));
    }
    Ok(could)
}

/// One table as production has it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    /// Schema-qualified, as `quote_ident` writes each part.
    pub table: String,
    /// The planner's row estimate (`reltuples`); `None` for a table never analysed or vacuumed.
    pub rows: Option<f64>,
    /// The table's own size in bytes (heap), without indexes and TOAST.
    pub table_bytes: i64,
    /// With indexes and TOAST.
    pub total_bytes: i64,
    /// Its indexes and their sizes, by name.
    pub indexes: Vec<(String, i64)>,
    /// What the statistics collector counted since its last reset; `None` when it has nothing.
    pub activity: Option<Activity>,
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
/// the [`SETTINGS`], read in one read-only transaction.
pub fn read(client: &mut Client, tables: &[String]) -> Result<Snapshot, ProductionError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(database("start a read-only transaction"))?;
    let rows = tx
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
               CASE WHEN c.reltuples >= 0 THEN c.reltuples::float8 END, \
               pg_catalog.pg_relation_size(c.oid), pg_catalog.pg_total_relation_size(c.oid), \
               ARRAY(SELECT i.indexrelid::regclass::text FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid \
                     ORDER BY 1), \
               ARRAY(SELECT pg_catalog.pg_relation_size(i.indexrelid) FROM pg_catalog.pg_index i \
                     WHERE i.indrelid = c.oid ORDER BY i.indexrelid::regclass::text), \
               s.seq_scan, s.idx_scan, s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_live_tup, s.n_dead_tup \
             FROM unnest($1::text[]) WITH ORDINALITY AS w(name, at) \
             JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(w.name) \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid \
             ORDER BY w.at",
            &[&tables],
        )
        .map_err(database("read the tables' sizes and statistics"))?;
    let stats = rows
        .iter()
        .map(|r| {
            let names: Vec<String> = r.get(4);
            let sizes: Vec<i64> = r.get(5);
            let activity = r.get::<_, Option<i64>>(6).map(|seq_scans| Activity {
                seq_scans,
                index_scans: r.get::<_, Option<i64>>(7).unwrap_or(0),
                inserted: r.get(8),
                updated: r.get(9),
                deleted: r.get(10),
                live_rows: r.get(11),
                dead_rows: r.get(12),
            });
            TableStats {
                table: r.get(0),
                rows: r.get(1),
                table_bytes: r.get(2),
                total_bytes: r.get(3),
                indexes: names.into_iter().zip(sizes).collect(),
                activity,
            }
        })
        .collect();
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
