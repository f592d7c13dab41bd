//! Which database of which server a session is on, as the server itself says: two URLs spelt differently
//! (`localhost` and `127.0.0.1`, a DNS alias, a pooler in front) may reach the same database, and only the
//! sessions can tell.

use postgres::GenericClient;

use super::{database, ProductionError};

/// A database by identity: its cluster's system identifier (the same on a primary and its physical
/// standbys, different for any other cluster, restored copies made by `pg_basebackup` aside) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// `system_identifier` of `pg_control_system()`.
    pub system_identifier: i64,
    /// `current_database()`.
    pub database: String,
}

/// The identity of the database `client` is connected to.
pub fn identity(client: &mut impl GenericClient) -> Result<ServerIdentity, ProductionError> {
    let row = client
        .query_one(
            "SELECT c.system_identifier, pg_catalog.current_database()::text \
             FROM pg_catalog.pg_control_system() c",
            &[],
        )
        .map_err(database("read the server's identity (pg_control_system())"))?;
    Ok(ServerIdentity {
        system_identifier: row.get(0),
        database: row.get(1),
    })
}
