//! Errors found while turning recorded operations into SQL or into their reverse.

/// An error in what a migration recorded. It carries the operation's name and 1-based position in the
/// migration so the engine can point at the exact call in the migration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DslError {
    /// An identifier was empty.
    #[error("operation #{position} ({op}): empty {what} name")]
    EmptyIdentifier {
        op: &'static str,
        position: usize,
        what: &'static str,
    },
    /// An identifier is longer than PostgreSQL keeps. The server would silently truncate it, so a later
    /// reference (a rename, a drop, an automatic reverse) would miss the object: refuse it up front.
    #[error(
        "operation #{position} ({op}): name {name:?} is {bytes} bytes long; PostgreSQL truncates names to 63 bytes, use a shorter name"
    )]
    IdentifierTooLong {
        op: &'static str,
        position: usize,
        name: String,
        bytes: usize,
    },
    /// An identifier contains a NUL byte, which PostgreSQL cannot store.
    #[error("operation #{position} ({op}): name {name:?} contains a NUL character")]
    NulInIdentifier {
        op: &'static str,
        position: usize,
        name: String,
    },
    /// An operation needs at least one column.
    #[error("operation #{position} ({op}): no columns given")]
    NoColumns { op: &'static str, position: usize },
    /// Raw SQL was empty.
    #[error("operation #{position} ({op}): empty SQL")]
    EmptySql { op: &'static str, position: usize },
    /// An option value that PostgreSQL would reject, caught before anything is sent.
    #[error("operation #{position} ({op}): {message}")]
    Invalid {
        op: &'static str,
        position: usize,
        message: String,
    },
    /// A [`MigrationBuilder::irreversible`](crate::MigrationBuilder::irreversible) marker was reached: the
    /// migration declares it cannot run in this direction (or has not been written yet).
    #[error("operation #{position} ({op}): {reason}")]
    Refused {
        op: &'static str,
        position: usize,
        reason: String,
    },
    /// [`MigrationBuilder::lock_timeout`](crate::MigrationBuilder::lock_timeout) below one millisecond:
    /// PostgreSQL counts `lock_timeout` in whole milliseconds, and 0 means no timeout at all.
    #[error(
        "pgm.lock_timeout({timeout:?}) is less than 1ms: PostgreSQL counts lock_timeout in whole milliseconds and would read it as 0, which means no timeout at all; give at least 1ms"
    )]
    LockTimeoutBelowOneMillisecond { timeout: std::time::Duration },
    /// [`MigrationBuilder::contract`](crate::MigrationBuilder::contract) with an empty reason: the reason is
    /// what tells the deployer which app version must be gone before it runs.
    #[error(
        "pgm.contract(..) has an empty reason; say which app version must be gone before it runs, e.g. pgm.contract(\"drops comments.contents, which app v1 reads\")"
    )]
    ContractWithoutReason,
    /// `down` was derived from `up`, but one of the recorded operations has no automatic reverse.
    #[error(
        "operation #{position} ({op}) cannot be reversed automatically{}; write a `down` function for this migration",
        reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
    )]
    Irreversible {
        op: &'static str,
        position: usize,
        reason: Option<String>,
    },
    /// An operation or option needs a newer PostgreSQL than the server the migration runs on. Found when
    /// the migration is planned against the connected server, before anything changes.
    #[error(
        "operation #{position} ({op}): {option} needs PostgreSQL {min_major} or newer, but the server is PostgreSQL {server_major}; \
         upgrade the server, or record an alternative for older servers with `pgm.since_pg({min_major}, ..).otherwise(..)`"
    )]
    ServerTooOld {
        op: &'static str,
        position: usize,
        option: String,
        min_major: u32,
        server_major: u32,
    },
    /// [`Operation::to_rust`](crate::Operation::to_rust) found an operation, or a setting of one, that no
    /// builder call records (an operation only a derived `down` holds, data code, a value the builder's
    /// setters cannot give): it is refused rather than written as Rust that would record something else.
    #[error("pgm.{op}(..): {what} has no builder form to write back as Rust")]
    NotWritable { op: &'static str, what: String },
    /// An error inside a branch of a [`MigrationBuilder::since_pg`](crate::MigrationBuilder::since_pg)
    /// (positions in `source` count within the branch).
    #[error("operation #{position} (since_pg({major})), {branch} branch: {source}")]
    InSincePg {
        position: usize,
        major: u32,
        branch: &'static str,
        source: Box<DslError>,
    },
}
