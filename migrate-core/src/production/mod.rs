//! Production statistics, read only: what a review needs to know about the real tables (sizes, row
//! estimates, activity, indexes, the settings that decide how long DDL takes), read from catalog and
//! statistics views alone, never from the tables' rows, over a session that cannot write.
//!
//! A review connects to production (or a replica) with credentials someone pasted into CI: the guard makes
//! sure that session could not change anything even by mistake. A standby cannot write; on a primary,
//! [`connect`] looks at everything the role can reach (below: what passes) and refuses, naming the way
//! it could write, unless told to go on. Every read runs in a read-only transaction, and no read
//! waits behind a lock longer than [`READ_LOCK_TIMEOUT`].
//!
//! # What passes
//!
//! The session's role, and every role it reaches through membership of any kind (inherited or only
//! reachable with `SET ROLE`, and the session user's when they differ), must have:
//!
//! - none of the attributes `SUPERUSER`, `CREATEROLE`, `CREATEDB`, `REPLICATION`;
//! - no predefined role but [`READ_ONLY_PREDEFINED`];
//! - no role it may grant to others (`WITH ADMIN OPTION`);
//! - nothing it owns, in this database or another one, and no privilege in another database of the cluster
//!   (which a session here cannot inspect);
//! - no `CREATE` on a database or a schema; no `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `TRIGGER` (or
//!   `MAINTAIN`) on a table, view or foreign table, nor `INSERT`/`UPDATE` on any of their columns; no `USAGE`
//!   or `UPDATE` on a sequence; no `USAGE` on a foreign-data wrapper or server; no `UPDATE` on a large object
//!   (and `lo_compat_privileges` off when large objects exist);
//! - no `EXECUTE` on a `SECURITY DEFINER` function owned by a role it does not reach (it would run with its
//!   owner's rights, whatever they are);
//! - no parameter privilege (PostgreSQL 15 and later): `ALTER SYSTEM` on any setting, or `SET` on one a
//!   plain role may not set.
//!
//! What every role may do passes: `CONNECT`, `TEMPORARY` (tables that only its session sees), creating large
//! objects of its own, `SELECT`, `REFERENCES`, `USAGE` on schemas, types and languages, `CREATE` on a
//! tablespace (it needs `CREATE` on a schema to use it), and `EXECUTE` on functions that run with its own
//! rights.

mod identity;
pub mod preconditions;
mod reach;
mod rows;
mod stats;

use std::time::Duration;

use postgres::Client;

pub use identity::{identity, ServerIdentity};
pub use reach::READ_ONLY_PREDEFINED;
pub use rows::planned_rows;
pub use stats::{read, Activity, KeyUse, Snapshot, TableStats, SETTINGS};

/// The longest a read of production waits for a lock (a table's size takes a lock that a migration running
/// there, or any `ACCESS EXCLUSIVE` holder, makes wait): a table it cannot read in time is reported as such.
pub const READ_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// Why production could not be read, or may not be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProductionError {
    /// The session could write: a superuser, or a role that can reach a way to write on a primary.
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

/// A read-only transaction on production with one snapshot for all its reads, and `limit` on its
/// `setting` (`lock_timeout` or `statement_timeout`): no read of the review waits or runs longer. `what`
/// names the limit in an error ("the read's lock timeout").
fn read_only<'c>(
    client: &'c mut Client,
    setting: &str,
    limit: Duration,
    what: &'static str,
) -> Result<postgres::Transaction<'c>, ProductionError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(database("start a read-only transaction"))?;
    tx.batch_execute(&format!("SET LOCAL {setting} = '{}ms'", limit.as_millis()))
        .map_err(database(what))?;
    Ok(tx)
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
/// write, unless `allow_writable`. It also sets the session's `lock_timeout` to [`READ_LOCK_TIMEOUT`], so no
/// later read waits longer behind a lock.
pub fn connect(client: &mut Client, allow_writable: bool) -> Result<Session, ProductionError> {
    client
        .batch_execute(&format!(
            "SET lock_timeout = '{}ms'",
            READ_LOCK_TIMEOUT.as_millis()
        ))
        .map_err(database("set the session's lock timeout"))?;
    let row = client
        .query_one(
            "SELECT current_user::text, pg_catalog.current_setting('server_version'), \
             pg_catalog.current_setting('server_version_num'), pg_catalog.pg_is_in_recovery()",
            &[],
        )
        .map_err(database("read the session's role"))?;
    let (role, server_version, version_num, standby): (String, String, String, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let could = if standby {
        Vec::new()
    } else {
        reach::could_write(client, crate::server::major_of(&version_num))?
    };
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
