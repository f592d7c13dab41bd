//! Why a fleet cannot be run at all: its target list is wrong. Nothing has been run when one is returned.

/// A fleet that cannot be run; each names the target or value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The fleet has no targets.
    #[error(
        "the fleet has no targets: list its schemas or database URLs, or a query that lists them"
    )]
    NoTargets,
    /// Two targets are the same schema of the same database.
    #[error("targets {first:?} and {second:?} are the same target ({what}); list each database or schema once")]
    Duplicate {
        first: String,
        second: String,
        what: String,
    },
    /// Two targets have the same name.
    #[error("two targets are named {name:?}; give each target its own name")]
    DuplicateName { name: String },
    /// A target's connection string cannot be read.
    #[error("target {target:?}: {message}")]
    Location { target: String, message: String },
    /// A target's schema name is not a valid identifier.
    #[error("target {target:?}: invalid schema name {schema:?}: {reason}")]
    Schema {
        target: String,
        schema: String,
        reason: String,
    },
    /// A named canary target is not in the fleet.
    #[error("canary target {name:?} is not in the fleet (targets are named after their schema, or their server and database, unless named)")]
    UnknownCanary { name: String },
    /// A run id given by hand that cannot be one.
    #[error("run id {id:?} cannot be used: {problem} (a run id is up to 100 bytes without spaces)")]
    RunId { id: String, problem: &'static str },
    /// A parallel limit of zero.
    #[error("{what} must be at least 1")]
    Zero { what: &'static str },
}
