//! Gates on background jobs: a migration that needs the rows a background backfill fills (the contract
//! that drops the old column) waits until the job has finished.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

impl MigrationBuilder {
    /// Requires the background jobs that the migration `migration` (its full name, timestamp included)
    /// queued ([`Backfill::in_background`](crate::ops::Backfill::in_background)) to have finished before
    /// this migration starts. Until then `up` refuses this migration, naming each job and its progress, and
    /// `up --expand-only` stops before it; `up --finish-jobs` runs what is left of them first (for
    /// development and test databases). Nothing runs for it, and its reverse is nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("every app version reads email_lower");
    /// pgm.require_background_jobs("20261201000002_fill_email_lower");
    /// pgm.drop_columns("users", ["email_upper"]);
    /// assert_eq!(pgm.to_sql().unwrap()[0],
    ///     "-- requires the background jobs queued by 20261201000002_fill_email_lower to have finished (checked before the migration starts)");
    /// assert!(pgm.is_transactional());
    /// ```
    #[track_caller]
    pub fn require_background_jobs(
        &mut self,
        migration: impl Into<String>,
    ) -> &mut RequireBackgroundJobs {
        self.record(RequireBackgroundJobs {
            migration: migration.into(),
        })
    }
}

/// A gate on the background jobs of an earlier migration, recorded with
/// [`MigrationBuilder::require_background_jobs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireBackgroundJobs {
    migration: String,
}

impl RequireBackgroundJobs {
    /// The migration whose jobs must have finished.
    pub fn migration(&self) -> &str {
        &self.migration
    }
}

/// A gate changes nothing: there is nothing to undo.
impl Reverse for RequireBackgroundJobs {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
    }
}
