//! Why the server or the session accepts no writes, found before anything runs.

/// What makes every write fail, and how to connect where writes are accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadOnlyError {
    /// The server is a standby (`pg_is_in_recovery()`).
    #[error(
        "the server is a read-only standby (pg_is_in_recovery() is true); run the migrations on the primary \
         (with several hosts in the URL, add target_session_attrs=read-write)"
    )]
    Standby,
    /// `default_transaction_read_only` is on for the session of `role`.
    #[error(
        "default_transaction_read_only is on for this session (set for the server, the database or role \
         {role:?}, or in the connection's options), so every transaction is read-only; connect as a role or to \
         a database where it is off (e.g. ALTER ROLE {} SET default_transaction_read_only = off)",
        migrate_dsl::ident(role)
    )]
    SessionReadOnly { role: String },
}
