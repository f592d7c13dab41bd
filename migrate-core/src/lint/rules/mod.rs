//! The rule catalogue, one file per rule: `rules/<name>.rs` holds the rule's entry ([`Meta`]: its name, what it
//! catches, the lock the flagged statement takes, the safe alternative, whether it breaks the running code and
//! whether it is on by default) and its tests (a case that is flagged and one that is not, on SQL and, where the
//! builder can write it, on a `pgm` migration).
//!
//! Detection lives elsewhere: squawk's linter runs the rules that `squawk.rs` maps to it, and [`super::sql`] and
//! [`super::check`] run the others. The CLI, the guide's generated rules page (docs/reference/lint-rules.md) and
//! the suppression parser all read the names and texts from here.
//!
//! Adding a rule: its file here (copy one of the same kind), a line in the table below, and its check (a line in
//! `squawk.rs` when squawk's linter has it, else in `sql.rs`); `every_rule_has_its_file_and_tests` and
//! `every_squawk_rule_is_accounted_for` keep the catalogue complete.

use std::fmt;

#[cfg(feature = "lint")]
mod squawk;
#[cfg(all(test, feature = "lint"))]
pub(super) mod testing;

#[cfg(feature = "lint")]
pub use squawk::{squawk_coverage, SquawkCoverage, SquawkEquivalent};

/// What a rule's file says about it.
pub(super) struct Meta {
    /// Kebab-case, as squawk's names; where squawk has the same check the name is the same.
    pub name: &'static str,
    /// What it catches, one sentence (the rules page opens the rule's section with it).
    pub summary: &'static str,
    /// Whether the finding is dropped when its table was created earlier in the same migration.
    pub exempt_new_tables: bool,
    /// Whether it flags what a migration marked `pgm.contract(..)` does on purpose (a drop or rename of
    /// something the running code uses): such a migration accepts the finding with its reason.
    pub breaks_running_code: bool,
    /// Off: the rule judges a design choice (a column's type, a domain's constraints, an enum value's place, a
    /// column made nullable), not a risk of running the migration on a busy database, and `migrate diff` writes
    /// such changes as the schema asks; a project turns it on in `migrate.toml` (`[lint] enable = [..]`).
    pub on_by_default: bool,
    /// The lock the flagged statement takes (PostgreSQL 15).
    pub lock: &'static str,
    /// What goes wrong.
    pub problem: &'static str,
    /// The safe way to get the same result.
    pub instead: &'static str,
}

macro_rules! rules {
    ($($variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        /// A lint rule. Each has a file of its own, `migrate-core/src/lint/rules/<name>.rs`, with its texts
        /// ([`Rule::summary`], [`Rule::problem`], ...) and its tests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $(
                #[doc = concat!("The rule of `lint/rules/", stringify!($module), ".rs`.")]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            fn meta(self) -> &'static Meta {
                match self { $(Rule::$variant => &$module::META,)* }
            }

            /// The rule's file, relative to this folder.
            #[cfg(test)]
            fn file(self) -> &'static str {
                match self { $(Rule::$variant => concat!(stringify!($module), ".rs"),)* }
            }
        }
    };
}

rules! {
    RequireConcurrentIndexCreation => require_concurrent_index_creation,
    RequireConcurrentIndexDeletion => require_concurrent_index_deletion,
    ConstraintMissingNotValid => constraint_missing_not_valid,
    AddingForeignKeyConstraint => adding_foreign_key_constraint,
    AddingNotNullableField => adding_not_nullable_field,
    ChangingColumnType => changing_column_type,
    AddingFieldWithDefault => adding_field_with_default,
    AddingRequiredField => adding_required_field,
    RenamingColumn => renaming_column,
    RenamingTable => renaming_table,
    BanDropColumn => ban_drop_column,
    BanDropTable => ban_drop_table,
    BanDropType => ban_drop_type,
    BanDropFunction => ban_drop_function,
    DisallowedUniqueConstraint => disallowed_unique_constraint,
    AddingSerialPrimaryKeyField => adding_serial_primary_key_field,
    PreferJsonb => prefer_jsonb,
    AddingSerialField => adding_serial_field,
    BanTimeoutInSql => ban_timeout_in_sql,
    LockTimeoutTooLong => lock_timeout_too_long,
    RequireWhereClause => require_where_clause,
    WholeTableUpdate => whole_table_update,
    BanTransactionControl => ban_transaction_control,
    NullsNotDistinctNeedsPg15 => nulls_not_distinct_needs_pg15,
    AddingFieldWithCheck => adding_field_with_check,
    AddingFieldWithForeignKey => adding_field_with_foreign_key,
    AddingFieldWithUnique => adding_field_with_unique,
    ConcurrentIndexWithOtherDdl => concurrent_index_with_other_ddl,
    RequireIndexPerPartition => require_index_per_partition,
    RequireConcurrentReindex => require_concurrent_reindex,
    RequireConcurrentPartitionDetach => require_concurrent_partition_detach,
    BanDropNotNull => ban_drop_not_null,
    BanTruncateCascade => ban_truncate_cascade,
    BanDropDatabase => ban_drop_database,
    BanAlterDomainWithAddConstraint => ban_alter_domain_with_add_constraint,
    BanCreateDomainWithConstraint => ban_create_domain_with_constraint,
    BanDuplicateColumnAssignments => ban_duplicate_column_assignments,
    IdentifierTooLong => identifier_too_long,
    RequireEnumValueOrdering => require_enum_value_ordering,
    PreferBigintOverInt => prefer_bigint_over_int,
    PreferBigintOverSmallint => prefer_bigint_over_smallint,
    PreferIdentity => prefer_identity,
    PreferTextField => prefer_text_field,
    PreferTimestamptz => prefer_timestamptz,
    BanCharField => ban_char_field,
    StricterChangeInExpand => stricter_change_in_expand,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Rule {
    /// The kebab-case name used in output and in `// lint: allow <name>`.
    pub fn name(self) -> &'static str {
        self.meta().name
    }

    /// What the rule catches, one sentence.
    pub fn summary(self) -> &'static str {
        self.meta().summary
    }

    /// Whether the finding is dropped when its table was created earlier in the same migration: nothing
    /// reads or writes that table yet, so its locks and rewrites cost nothing.
    pub fn exempt_new_tables(self) -> bool {
        self.meta().exempt_new_tables
    }

    /// The lock the flagged statement takes (PostgreSQL 15, see docs/reference/lint-rules.md).
    pub fn lock(self) -> &'static str {
        self.meta().lock
    }

    /// What goes wrong.
    pub fn problem(self) -> &'static str {
        self.meta().problem
    }

    /// The safe way to get the same result.
    pub fn instead(self) -> &'static str {
        self.meta().instead
    }

    /// Whether the rule flags a change that breaks the app version still running (a drop or rename of
    /// something it uses): what a migration marked `pgm.contract(..)` does on purpose, after the rollout. In
    /// such a migration these findings are accepted with the contract's reason.
    pub fn breaks_running_code(self) -> bool {
        self.meta().breaks_running_code
    }

    /// Whether `lint` checks the rule unless told otherwise. The rules that are off judge a design choice made
    /// once per project (a new column's type, a domain's constraints, an enum value's place, a column made
    /// nullable), not a risk of running the migration; `[lint] enable` in `migrate.toml` turns them on.
    pub fn on_by_default(self) -> bool {
        self.meta().on_by_default
    }

    /// The rule named `name`, as written in a suppression comment.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// Which rules `lint` checks: those on by default ([`Rule::on_by_default`]), and those a project turns on,
/// less those it turns off (`[lint] enable` and `disable` in `migrate.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSelection {
    enable: Vec<Rule>,
    disable: Vec<Rule>,
}

impl RuleSelection {
    /// The rules on by default, with `enable` turned on and `disable` turned off (a rule in both is off).
    pub fn new(
        enable: impl IntoIterator<Item = Rule>,
        disable: impl IntoIterator<Item = Rule>,
    ) -> Self {
        RuleSelection {
            enable: enable.into_iter().collect(),
            disable: disable.into_iter().collect(),
        }
    }

    /// Whether `rule` is turned on by name (and not off): a rule on by default does more when it is (see
    /// `prefer-bigint-over-int`).
    pub fn enables(&self, rule: Rule) -> bool {
        self.enable.contains(&rule) && !self.disable.contains(&rule)
    }

    /// The selection written in `migrate.toml`: rule names to turn on and to turn off. A name that is no rule
    /// is an error naming it.
    pub fn from_names<S: AsRef<str>>(enable: &[S], disable: &[S]) -> Result<Self, UnknownRule> {
        let rules = |names: &[S]| {
            names
                .iter()
                .map(|n| {
                    Rule::from_name(n.as_ref()).ok_or_else(|| UnknownRule(n.as_ref().to_owned()))
                })
                .collect::<Result<Vec<Rule>, UnknownRule>>()
        };
        Ok(RuleSelection::new(rules(enable)?, rules(disable)?))
    }

    /// Whether `rule` is checked.
    pub fn checks(&self, rule: Rule) -> bool {
        !self.disable.contains(&rule) && (rule.on_by_default() || self.enable.contains(&rule))
    }
}

/// A name in `[lint] enable` or `disable` that is no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lint rule `{0}`; the rules are listed in docs/reference/lint-rules.md")]
pub struct UnknownRule(pub String);

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

    /// Each rule lives in the file named after it, and that file tests it both ways: a case that is flagged
    /// (`lint_errors` on SQL, `lint_migration_errors` on a `pgm` migration) and one that is not.
    #[test]
    fn every_rule_has_its_file_and_tests() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules");
        for &rule in Rule::ALL {
            assert_eq!(rule.file(), format!("{}.rs", rule.name().replace('-', "_")));
            let source: String = std::fs::read_to_string(folder.join(rule.file()))
                .unwrap_or_else(|e| panic!("{}: {e}", rule.file()))
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert!(
                source.contains(&format!("name:\"{}\",", rule.name())),
                "{} does not hold the entry of {}",
                rule.file(),
                rule.name()
            );
            let flagged = ["lint_errors", "lint_migration_errors"]
                .iter()
                .any(|helper| source.contains(&format!("{helper}(Rule::{rule:?},")));
            let passed = ["lint_ok(", "lint_migration_ok("]
                .iter()
                .any(|helper| source.contains(helper));
            assert!(
                flagged && passed,
                "{} needs a flagged case, `lint_errors(Rule::{rule:?}, ..)`, and a passing one",
                rule.file()
            );
        }
    }

    #[test]
    fn a_selection_turns_rules_on_and_off() {
        let default = RuleSelection::default();
        assert!(default.checks(Rule::BanDropColumn));
        assert!(!default.checks(Rule::PreferTextField));
        let chosen = RuleSelection::from_names(&["prefer-text-field"], &["prefer-jsonb"])
            .expect("known names");
        assert!(chosen.checks(Rule::PreferTextField));
        assert!(!chosen.checks(Rule::PreferJsonb));
        assert!(chosen.checks(Rule::BanDropColumn));
        let err = RuleSelection::from_names(&["prefer-txt"], &[]).expect_err("no such rule");
        assert_eq!(err, UnknownRule("prefer-txt".to_owned()));
    }

    #[test]
    fn only_design_choices_are_off_by_default() {
        let off: Vec<&str> = Rule::ALL
            .iter()
            .filter(|r| !r.on_by_default())
            .map(|r| r.name())
            .collect();
        assert_eq!(
            off,
            [
                "ban-drop-not-null",
                "ban-create-domain-with-constraint",
                "require-enum-value-ordering",
                "prefer-bigint-over-smallint",
                "prefer-identity",
                "prefer-text-field",
                "prefer-timestamptz",
                "ban-char-field"
            ]
        );
    }
}
