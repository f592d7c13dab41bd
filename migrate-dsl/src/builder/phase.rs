//! The deploy phase of a migration: an expand (the app version already running keeps working) or a
//! contract (it removes or changes what an earlier app version uses, so it runs only after the rollout).

use std::panic::Location;

use crate::builder::MigrationBuilder;

/// The mark [`MigrationBuilder::contract`] leaves.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    reason: String,
    at: &'static Location<'static>,
}

impl MigrationBuilder {
    /// Marks the migration as a *contract*: it removes, renames or changes something an earlier version of
    /// the app still uses, so it must run only once no instance of that version is serving. `reason` says
    /// which version and why; `status`, `sql` and `lint` show it.
    ///
    /// A migration without the mark is an *expand*: the version that is running keeps working after it.
    /// `up --expand-only` (what an app applies at start-up during a rolling deploy) applies pending
    /// migrations up to the first pending contract and leaves the rest for an explicit `up` after the
    /// rollout. `lint` reports a drop, rename or type change of an existing object in a migration not marked
    /// contract. A change that makes the database refuse what the running version may still write
    /// (`SET NOT NULL`, a new check, unique key or foreign key on existing columns, a type change in place, a
    /// dropped default) makes the engine treat an unmarked migration as a contract all the same, and `lint`
    /// asks for the mark (rule `stricter-change-in-expand`). Only the mark in `up` counts (a `down` runs when
    /// going back, a decision of its own). The mark changes nothing in the SQL:
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("drops comments.contents, which app v1 reads and writes");
    /// pgm.drop_columns("comments", ["contents"]);
    /// assert_eq!(pgm.contract_reason(), Some("drops comments.contents, which app v1 reads and writes"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" DROP COLUMN "contents""#]);
    /// // A reverse undoes the contract: it is an expand.
    /// let mut expand = MigrationBuilder::new();
    /// expand.contract("any reason");
    /// expand.add_columns("posts", [column("slug", "text")]);
    /// assert_eq!(expand.reversed().unwrap().contract_reason(), None);
    ///
    /// let mut unmarked = MigrationBuilder::new();
    /// unmarked.contract("  ");
    /// assert!(unmarked.to_sql().unwrap_err().to_string().contains("empty reason"));
    /// ```
    #[track_caller]
    pub fn contract(&mut self, reason: impl Into<String>) -> &mut Self {
        self.contract = Some(Contract {
            reason: reason.into(),
            at: Location::caller(),
        });
        self
    }

    /// Why the migration is a contract, when [`contract`](Self::contract) marked it; `None` for an expand.
    pub fn contract_reason(&self) -> Option<&str> {
        self.contract.as_ref().map(|c| c.reason.as_str())
    }

    /// Where [`contract`](Self::contract) was called, when it was.
    pub fn contract_location(&self) -> Option<&'static Location<'static>> {
        self.contract.as_ref().map(|c| c.at)
    }
}
