//! Why `squash` cannot replace the named migrations with a baseline, or `up` cannot trust a baseline's lists.

/// A squash refused (or a baseline whose lists do not match), with what it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SquashError {
    /// The squash would end at the first migration: a baseline of one migration changes nothing.
    #[error("{name} is the first migration: squashing it alone changes nothing; name a later one")]
    FirstMigration { name: String },
    /// A migration of the range runs outside a transaction: what its statements did may not be schema.
    #[error(
        "migration {name} ({path}) runs outside a transaction (`pgm.no_transaction()`): what its statements did \
         may not be schema the catalog shows (VACUUM, ALTER SYSTEM, ...), so a baseline cannot stand for \
         it; squash up to a migration before it"
    )]
    NoTransaction { name: String, path: String },
    /// The range to squash is empty.
    #[error("no migration to squash")]
    Empty,
    /// The range ends at a baseline already, whose name the new baseline would take.
    #[error("{name} is already a squashed baseline; add migrations after it before squashing again")]
    AlreadyBaseline { name: String },
    /// A baseline's `SQUASHED_CHECKSUMS` does not have one checksum for each name of its `SQUASHED`.
    #[error(
        "the baseline {baseline} lists {checksums} checksum(s) in SQUASHED_CHECKSUMS for the {replaces} \
         migration(s) of SQUASHED; restore the two lists as `migrate squash` wrote them"
    )]
    ChecksumCount {
        baseline: String,
        checksums: usize,
        replaces: usize,
    },
}
