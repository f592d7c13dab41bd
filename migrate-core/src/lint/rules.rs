//! The rule catalogue: every rule's name, the lock the flagged statement takes, and the safe alternative.
//!
//! Detection lives elsewhere ([`super::sql`]); this file is the single place that says what a rule means, so
//! the CLI, the guide's generated rules page (docs/reference/lint-rules.md, from the variants' doc comments
//! and these texts) and the suppression parser all read the same names.

use std::fmt;

macro_rules! rules {
    ($(
        $(#[$doc:meta])*
        $variant:ident => {
            name: $name:literal,
            exempt_new_tables: $exempt:literal,
            lock: $lock:literal,
            problem: $problem:literal,
            instead: $instead:literal $(,)?
        },
    )*) => {
        /// A lint rule. Names are kebab-case, as squawk's; where squawk has the same check the name is the same.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The kebab-case name used in output and in `// lint: allow <name>`.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// Whether the finding is dropped when its table was created earlier in the same migration: nothing
            /// reads or writes that table yet, so its locks and rewrites cost nothing.
            pub fn exempt_new_tables(self) -> bool {
                match self { $(Rule::$variant => $exempt,)* }
            }

            /// The lock the flagged statement takes (PostgreSQL 15, see docs/reference/lint-rules.md).
            pub fn lock(self) -> &'static str {
                match self { $(Rule::$variant => $lock,)* }
            }

            /// What goes wrong.
            pub fn problem(self) -> &'static str {
                match self { $(Rule::$variant => $problem,)* }
            }

            /// The safe way to get the same result.
            pub fn instead(self) -> &'static str {
                match self { $(Rule::$variant => $instead,)* }
            }
        }
    };
}

rules! {
    /// `CREATE INDEX` without `CONCURRENTLY` on an existing table.
    RequireConcurrentIndexCreation => {
        name: "require-concurrent-index-creation",
        exempt_new_tables: true,
        lock: "SHARE on the table: blocks INSERT, UPDATE and DELETE until the index is built",
        problem: "the index is built while writes to the table wait",
        instead: "build it concurrently: `.concurrently()` on `create_index`, or CREATE INDEX CONCURRENTLY (the migration then runs outside a transaction)",
    },
    /// `DROP INDEX` without `CONCURRENTLY`.
    RequireConcurrentIndexDeletion => {
        name: "require-concurrent-index-deletion",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table: blocks reads and writes",
        problem: "queries on the table queue behind the drop while it waits for running transactions",
        instead: "drop it concurrently: `.concurrently()` on `drop_index`, or DROP INDEX CONCURRENTLY",
    },
    /// `ADD CONSTRAINT ... CHECK` without `NOT VALID`.
    ConstraintMissingNotValid => {
        name: "constraint-missing-not-valid",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while every row is checked",
        problem: "reads and writes wait for a full scan of the table",
        instead: "`pgm.add_constraint_online(..)`: it adds it NOT VALID (instant), then VALIDATEs it in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
    },
    /// `ADD FOREIGN KEY` without `NOT VALID`.
    AddingForeignKeyConstraint => {
        name: "adding-foreign-key-constraint",
        // The referenced table is locked too, and it is not new.
        exempt_new_tables: false,
        lock: "SHARE ROW EXCLUSIVE on both the table and the referenced table while every row is checked",
        problem: "writes to both tables wait for a full scan",
        instead: "`pgm.add_constraint_online(..)`: it adds it NOT VALID, then VALIDATEs it in a transaction of its own (SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one)",
    },
    /// `SET NOT NULL` without a validated `CHECK (col IS NOT NULL)` earlier in the migration.
    AddingNotNullableField => {
        name: "adding-not-nullable-field",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while every row is scanned",
        problem: "reads and writes wait for a full scan that looks for NULLs",
        instead: "`pgm.set_not_null(table, column)`: it adds CHECK (col IS NOT NULL) NOT VALID, VALIDATEs it in a transaction of its own, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drops the check",
    },
    /// `ALTER COLUMN ... TYPE`.
    ChangingColumnType => {
        name: "changing-column-type",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table, and a rewrite of the table and its indexes unless the change is binary-coercible",
        problem: "reads and writes wait for the rewrite, and clients that use the old type may break",
        instead: "`pgm.change_column_type_online(table, column, new_column, new_type)` in an expand (a new column kept in step by a trigger that converts both ways, backfilled in batches), move the code to the new column, then the same call with `.contract()` after the rollout; only binary-coercible changes (varchar(n) to text or a longer varchar, numeric precision up) are instant: silence those with a reason",
    },
    /// `ADD COLUMN ... DEFAULT` with a volatile default, or any default before PostgreSQL 11.
    AddingFieldWithDefault => {
        name: "adding-field-with-default",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while it is rewritten",
        problem: "a volatile default (or any default before PostgreSQL 11) is computed for every existing row, rewriting the table",
        instead: "add the column without a default, then SET DEFAULT, then backfill existing rows with `pgm.backfill` in a later migration",
    },
    /// `ADD COLUMN ... NOT NULL` without a default.
    AddingRequiredField => {
        name: "adding-required-field",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table",
        problem: "it fails on a table that has rows, and INSERTs from code that does not know the column fail",
        instead: "add it nullable (or with a non-volatile default), backfill, then `pgm.set_not_null(table, column)`",
    },
    /// `RENAME COLUMN`.
    RenamingColumn => {
        name: "renaming-column",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table (instant)",
        problem: "code that is running uses the old name and fails until it is redeployed",
        instead: "`pgm.rename_column_online(table, from, to)` in an expand (a new column kept equal to the old one by a trigger, backfilled in batches), move the code to the new column, then the same call with `.contract()` in a migration marked `pgm.contract(\"..\")` after the rollout",
    },
    /// `ALTER TABLE ... RENAME TO`.
    RenamingTable => {
        name: "renaming-table",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table (instant)",
        problem: "code that is running uses the old name and fails until it is redeployed",
        instead: "expand/contract: create the new table (or rename and leave a view with the old name), move the code over, then drop the old name in a migration marked `pgm.contract(\"..\")` after the rollout",
    },
    /// `DROP COLUMN`.
    BanDropColumn => {
        name: "ban-drop-column",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table (instant)",
        problem: "code that still reads or writes the column fails, and the data is gone",
        instead: "expand/contract: stop using the column in the code and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout (an expand-only `up` leaves it for then)",
    },
    /// `DROP TABLE`.
    BanDropTable => {
        name: "ban-drop-table",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table",
        problem: "code that still uses the table fails, and the data is gone",
        instead: "expand/contract: stop using the table in the code and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
    },
    /// `DROP TYPE` or `DROP DOMAIN` outside a migration marked contract.
    BanDropType => {
        name: "ban-drop-type",
        exempt_new_tables: false,
        lock: "ACCESS EXCLUSIVE on the type",
        problem: "code that still casts to the type or writes columns of it fails",
        instead: "expand/contract: move the code off the type and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
    },
    /// `DROP FUNCTION`, `PROCEDURE`, `ROUTINE` or `AGGREGATE` outside a migration marked contract.
    BanDropFunction => {
        name: "ban-drop-function",
        exempt_new_tables: false,
        lock: "ACCESS EXCLUSIVE on the function",
        problem: "code (and triggers, views, defaults) that still calls the function fails",
        instead: "expand/contract: move every caller off the function and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
    },
    /// `ADD CONSTRAINT ... UNIQUE` without `USING INDEX`.
    DisallowedUniqueConstraint => {
        name: "disallowed-unique-constraint",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while the unique index is built",
        problem: "reads and writes wait for the index build",
        instead: "`pgm.add_constraint_online(..)`: it builds the unique index CONCURRENTLY, then adds the constraint USING INDEX (instant)",
    },
    /// `ADD PRIMARY KEY` without `USING INDEX`.
    AddingSerialPrimaryKeyField => {
        name: "adding-serial-primary-key-field",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while the primary key index is built",
        problem: "reads and writes wait for the index build",
        instead: "`pgm.add_constraint_online(..)`: it builds the unique index CONCURRENTLY, then adds the constraint PRIMARY KEY USING INDEX (instant; it scans for NULLs unless the columns are NOT NULL already)",
    },
    /// A column of type `json` (or `json[]`).
    PreferJsonb => {
        name: "prefer-jsonb",
        exempt_new_tables: false,
        lock: "none of its own (the statement's lock applies)",
        problem: "json has no equality operator (DISTINCT, GROUP BY and UNION fail on it) and is reparsed on every access",
        instead: "use jsonb",
    },
    /// `ADD COLUMN` of a serial, identity or stored generated column on an existing table.
    AddingSerialField => {
        name: "adding-serial-field",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while it is rewritten to fill the column",
        problem: "every existing row gets a value, so the whole table is rewritten while reads and writes wait",
        instead: "create a new table and copy the rows, or add a plain column, fill it with a trigger and a batched backfill",
    },
    /// Raw SQL that sets `lock_timeout` or `statement_timeout` itself.
    BanTimeoutInSql => {
        name: "ban-timeout-in-sql",
        exempt_new_tables: false,
        lock: "none of its own; it replaces the runner's lock_timeout for the rest of the migration",
        problem: "the runner's lock timeout and retries stop protecting the statements after it: a statement waiting for a lock stalls every query on the table for as long as the new timeout allows",
        instead: "`pgm.lock_timeout(Duration)` for this migration's lock_timeout, the run's statement_timeout setting for statement_timeout",
    },
    /// `pgm.lock_timeout(..)` longer than 10 seconds, or 0 (no timeout).
    LockTimeoutTooLong => {
        name: "lock-timeout-too-long",
        exempt_new_tables: false,
        lock: "the migration's statements wait this long for their locks",
        problem: "while a statement waits for its lock, every later query on the table waits behind it, reads included",
        instead: "keep lock_timeout short (the default 500ms, at most 10s) and let the runner retry",
    },
    /// `UPDATE` or `DELETE` without `WHERE`.
    RequireWhereClause => {
        name: "require-where-clause",
        exempt_new_tables: true,
        lock: "ROW EXCLUSIVE on the table and a row lock on every row until the migration commits",
        problem: "every row is changed in one transaction: writes to any row wait, and the table bloats",
        instead: "a `pgm.backfill(..)` in a data migration of its own (batched, resumable), or a WHERE clause if only some rows are meant",
    },
    /// `UPDATE` or `DELETE` whose `WHERE` picks rows only by their own columns (`WHERE new IS NOT NULL`,
    /// `WHERE a IS DISTINCT FROM b`): no constant, parameter or subquery bounds it, so it reaches about every
    /// row of the table, in one statement and one transaction.
    WholeTableUpdate => {
        name: "whole-table-update",
        exempt_new_tables: true,
        lock: "ROW EXCLUSIVE on the table and a row lock on every row it changes until the migration commits; ACCESS EXCLUSIVE on the table for all of it when the same transaction altered the table first",
        problem: "about every row is changed in one transaction: writes to those rows wait until the commit (reads and writes of the whole table when the transaction altered it first, as a derived `down` that adds a column back and copies the values into it does), and the table bloats",
        instead: "a `pgm.backfill(..)` in a data migration of its own (batched, resumable, outside the transaction that changes the table), or a WHERE clause naming the rows meant when only some are",
    },
    /// `BEGIN`, `COMMIT`, `ROLLBACK` and the like in a migration.
    BanTransactionControl => {
        name: "ban-transaction-control",
        exempt_new_tables: false,
        lock: "none of its own",
        problem: "the runner owns the transaction: COMMIT ends it early (the migration is half applied and not recorded), BEGIN and ROLLBACK break its bookkeeping",
        instead: "leave transactions to the runner; use `pgm.no_transaction()` for statements that must run outside one, and separate migrations for separate transactions",
    },
    /// `NULLS NOT DISTINCT` before PostgreSQL 15.
    NullsNotDistinctNeedsPg15 => {
        name: "nulls-not-distinct-needs-pg15",
        exempt_new_tables: false,
        lock: "none (the server rejects the statement)",
        problem: "NULLS NOT DISTINCT exists only from PostgreSQL 15 on",
        instead: "upgrade the server, or enforce uniqueness over NULLs with an index on COALESCE(..) expressions; if the server is newer, lint with its version (the pg_version lint option)",
    },
    /// `ADD COLUMN ... CHECK (..)` on an existing table.
    AddingFieldWithCheck => {
        name: "adding-field-with-check",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while every row is checked",
        problem: "the CHECK of the new column is checked against every existing row while reads and writes wait",
        instead: "add the column without the CHECK, then the CHECK with `pgm.add_constraint_online(..)` (NOT VALID, instant, then VALIDATE in a transaction of its own: SHARE UPDATE EXCLUSIVE, reads and writes go on)",
    },
    /// `ADD COLUMN ... DEFAULT .. REFERENCES ..` on an existing table.
    AddingFieldWithForeignKey => {
        name: "adding-field-with-foreign-key",
        // The referenced table is locked too, and it is not new.
        exempt_new_tables: false,
        lock: "ACCESS EXCLUSIVE on the table and SHARE ROW EXCLUSIVE on the referenced table while every row is checked",
        problem: "the new column has a default, so its foreign key is checked against every existing row while reads and writes of the table, and writes of the referenced table, wait",
        instead: "add the column without REFERENCES, then the foreign key with `pgm.add_constraint_online(..)` (NOT VALID, then VALIDATE in a transaction of its own: SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one)",
    },
    /// `ADD COLUMN ... UNIQUE` on an existing table.
    AddingFieldWithUnique => {
        name: "adding-field-with-unique",
        exempt_new_tables: true,
        lock: "ACCESS EXCLUSIVE on the table while the unique index is built over every row",
        problem: "reads and writes wait for the build of the unique index",
        instead: "add the column without UNIQUE, then the constraint with `pgm.add_constraint_online(.., Constraint::unique(..))` (a unique index built CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX, instant)",
    },
    /// A migration that builds an unnamed index (or drops one without `IF EXISTS`) concurrently and runs
    /// other statements too.
    ConcurrentIndexWithOtherDdl => {
        name: "concurrent-index-with-other-ddl",
        exempt_new_tables: false,
        lock: "none of its own; it runs outside any transaction, between the migration's other steps",
        problem: "should the run be stopped while this statement runs, nothing tells the next run whether it took effect (an unnamed build cannot be found by name, a drop without IF EXISTS fails when it did), so instead of continuing the migration the next run marks it for a person",
        instead: "name the index and build it with `create_index(..).concurrently()` (or CREATE INDEX CONCURRENTLY IF NOT EXISTS name), drop it with `drop_index(..).concurrently()` (or DROP INDEX CONCURRENTLY IF EXISTS): the next run then continues the migration wherever a run stopped",
    },
    /// `CREATE INDEX` on a partitioned table, plain (it builds every partition's index while writes wait) or
    /// `CONCURRENTLY` (which PostgreSQL refuses on a partitioned table).
    RequireIndexPerPartition => {
        name: "require-index-per-partition",
        exempt_new_tables: true,
        lock: "SHARE on the table and each partition as its index is built: blocks INSERT, UPDATE and DELETE on all of them until the last is built (CONCURRENTLY: refused on a partitioned table)",
        problem: "a partitioned table cannot be indexed CONCURRENTLY, and the plain build holds writes on every partition for the whole build",
        instead: "`create_index(..).concurrently_per_partition()`: the index ON ONLY the parent, then CONCURRENTLY on each partition and attached, each step on its own, continued where a run stopped",
    },
    /// A change that makes the database refuse what the app version still running may write (`SET NOT NULL`,
    /// a new `CHECK`, `UNIQUE`, primary key or foreign key on existing columns, even `NOT VALID`, an in-place
    /// type change, a dropped default, a renamed enum value) in a migration not marked contract: the deploy
    /// plan treats the migration as a contract all the same.
    StricterChangeInExpand => {
        name: "stricter-change-in-expand",
        exempt_new_tables: true,
        lock: "none of its own (the statement's lock applies); writes of the running app version that it refuses fail from then on",
        problem: "during a rolling deploy the previous release still writes (NULLs, values the new CHECK or type refuses, duplicates, orphans), and those writes fail; a constraint added NOT VALID refuses them too (only rows already there are spared); an expand-only `up` stops before this migration, as before a contract",
        instead: "expand/contract: ship the code that writes only what the change accepts (backfill the rows already there in an expand), then make the change in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout; for a constraint, add it NOT VALID and VALIDATE it there (`pgm.add_constraint_online(..)`, `pgm.set_not_null(..)`). If no running version writes what it refuses, say so: `// lint: allow stricter-change-in-expand -- <why>` (the migration is then an expand)",
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Rule {
    /// Whether the rule flags a change that breaks the app version still running (a drop or rename of
    /// something it uses, a change that refuses what it writes): what a migration marked `pgm.contract(..)` does on purpose, after the rollout. In
    /// such a migration these findings are accepted with the contract's reason.
    pub fn breaks_running_code(self) -> bool {
        matches!(
            self,
            Rule::BanDropColumn
                | Rule::BanDropTable
                | Rule::RenamingColumn
                | Rule::RenamingTable
                | Rule::BanDropType
                | Rule::BanDropFunction
                | Rule::StricterChangeInExpand
        )
    }

    /// The rule named `name`, as written in a suppression comment.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The squawk rules we take over, and their names here.
    #[cfg(feature = "lint")]
    pub(crate) fn from_squawk(rule: squawk_linter::Rule) -> Option<Rule> {
        use squawk_linter::Rule as Sq;
        Some(match rule {
            Sq::RequireConcurrentIndexCreation => Rule::RequireConcurrentIndexCreation,
            Sq::RequireConcurrentIndexDeletion => Rule::RequireConcurrentIndexDeletion,
            Sq::ConstraintMissingNotValid => Rule::ConstraintMissingNotValid,
            Sq::AddingForeignKeyConstraint => Rule::AddingForeignKeyConstraint,
            Sq::AddingNotNullableField => Rule::AddingNotNullableField,
            Sq::ChangingColumnType => Rule::ChangingColumnType,
            Sq::AddingFieldWithDefault => Rule::AddingFieldWithDefault,
            Sq::AddingRequiredField => Rule::AddingRequiredField,
            Sq::RenamingColumn => Rule::RenamingColumn,
            Sq::RenamingTable => Rule::RenamingTable,
            Sq::BanDropColumn => Rule::BanDropColumn,
            Sq::BanDropTable => Rule::BanDropTable,
            Sq::DisallowedUniqueConstraint => Rule::DisallowedUniqueConstraint,
            Sq::AddingSerialPrimaryKeyField => Rule::AddingSerialPrimaryKeyField,
            _ => return None,
        })
    }

    /// The squawk rules enabled in its linter: exactly those [`from_squawk`](Self::from_squawk) maps.
    #[cfg(feature = "lint")]
    pub(crate) fn squawk_rules() -> Vec<squawk_linter::Rule> {
        use squawk_linter::Rule as Sq;
        vec![
            Sq::RequireConcurrentIndexCreation,
            Sq::RequireConcurrentIndexDeletion,
            Sq::ConstraintMissingNotValid,
            Sq::AddingForeignKeyConstraint,
            Sq::AddingNotNullableField,
            Sq::ChangingColumnType,
            Sq::AddingFieldWithDefault,
            Sq::AddingRequiredField,
            Sq::RenamingColumn,
            Sq::RenamingTable,
            Sq::BanDropColumn,
            Sq::BanDropTable,
            Sq::DisallowedUniqueConstraint,
            Sq::AddingSerialPrimaryKeyField,
        ]
    }
}

/// A rule is written by its name, as in a suppression comment: the JSON form of [`super::LintInputs`].
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Rule::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown lint rule `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
        for name in names {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert_eq!(Rule::from_name(name).map(Rule::name), Some(name));
        }
    }

    #[cfg(feature = "lint")]
    #[test]
    fn every_squawk_rule_maps() {
        for sq in Rule::squawk_rules() {
            assert!(Rule::from_squawk(sq).is_some(), "{sq:?}");
        }
    }
}
