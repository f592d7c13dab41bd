//! The connected server's PostgreSQL major, which decides version gates and which options a migration may
//! use.

use postgres::GenericClient;

use crate::error::Error;

/// The oldest PostgreSQL major this project supports and tests (README: supported versions). Defined by the
/// builder, which tells a `since_pg` gate that every supported server takes.
pub const OLDEST_SUPPORTED_MAJOR: u32 = migrate_dsl::OLDEST_SUPPORTED_MAJOR;

/// The newest PostgreSQL major this project supports and tests.
pub const NEWEST_SUPPORTED_MAJOR: u32 = 18;

/// The server's major version, from `server_version_num` (e.g. 150004 is 15).
///
/// Read as text and parsed here: a migration may create a cast from `text` to `integer` (PostgreSQL has none
/// of its own, so the I/O conversion is what `::int` means until then), and one that casts again never
/// returns, which would stop every later command.
pub fn server_major(client: &mut impl GenericClient) -> Result<u32, Error> {
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.current_setting('server_version_num')",
            &[],
        )
        .map_err(Error::database(
            "cannot read the server's version (server_version_num)",
        ))?;
    let text: String = row.get(0);
    Ok(major_of(&text))
}

/// The major of a `server_version_num` (`150004` is 15); 0 for what is not a number, which every version gate
/// treats as older than any major.
pub(crate) fn major_of(server_version_num: &str) -> u32 {
    server_version_num.trim().parse::<u32>().unwrap_or(0) / 10_000
}

#[cfg(test)]
mod tests {
    use super::major_of;

    #[test]
    fn majors_of_server_version_nums() {
        assert_eq!(major_of("150004"), 15);
        assert_eq!(major_of("180000\n"), 18);
        assert_eq!(major_of("130023"), 13);
        assert_eq!(major_of("not a number"), 0);
    }
}
