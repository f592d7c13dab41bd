//! The connected server's PostgreSQL major, which decides version gates and which options a migration may
//! use.

use postgres::GenericClient;

use crate::error::Error;

/// The oldest PostgreSQL major this project supports and tests (README: supported versions).
pub const OLDEST_SUPPORTED_MAJOR: u32 = 13;

/// The newest PostgreSQL major this project supports and tests.
pub const NEWEST_SUPPORTED_MAJOR: u32 = 18;

/// The server's major version, from `server_version_num` (e.g. 150004 is 15).
pub fn server_major(client: &mut impl GenericClient) -> Result<u32, Error> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(Error::database(
            "cannot read the server's version (server_version_num)",
        ))?;
    let num: i32 = row.get(0);
    Ok(u32::try_from(num).unwrap_or(0) / 10_000)
}
