//! Where each repeatable migration stands, as `status` reports it (the runner's `repeatable` reads it and
//! applies what is new or changed).

/// Where a repeatable migration stands against the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RepeatableState {
    /// Never applied: the next `up` applies it.
    New,
    /// Applied, but the file changed since: the next `up` applies it again.
    Changed,
    /// Applied as the file is now: `up` skips it.
    UpToDate,
    /// Applied once, but no file has this name any more: `up` does nothing about it, and what it created
    /// stays in the database until a migration drops it.
    Gone,
}

/// A repeatable migration and its [`RepeatableState`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RepeatableStatus {
    pub name: String,
    pub state: RepeatableState,
}
