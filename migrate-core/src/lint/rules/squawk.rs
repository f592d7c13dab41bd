//! Every rule of squawk's linter, and what stands for it here: its own check run as a library and reported
//! under our rule of the same name, a check of ours that covers the same statements, or the reason it is not
//! adopted. The `match` below has no catch-all, so a squawk release with a new rule does not compile until the
//! rule is placed; the rules page (docs/reference/lint-rules.md) lists the placements.

use squawk_linter::Rule as Sq;

use super::Rule;

/// What stands for one of squawk's rules here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SquawkEquivalent {
    /// Squawk's check, run as a library, reported as this rule (of the same name).
    Runs(Rule),
    /// A check of this project's covers the same statements, under this rule.
    CoveredBy(Rule),
    /// Not adopted, for this reason.
    NotAdopted(&'static str),
}

/// One of squawk's rules, by its name, and what stands for it here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquawkCoverage {
    pub name: String,
    pub equivalent: SquawkEquivalent,
}

/// Every rule of the squawk linter this version is built with, in squawk's order, with what stands for it.
pub fn squawk_coverage() -> Vec<SquawkCoverage> {
    enum_iterator::all::<Sq>()
        .map(|sq| SquawkCoverage {
            name: squawk_name(sq),
            equivalent: equivalent(sq),
        })
        .collect()
}

/// Squawk's name of a rule. It prints `prefer-timestamp-tz` but reads `prefer-timestamptz` too, the name
/// its documentation and this project use.
fn squawk_name(sq: Sq) -> String {
    match sq {
        Sq::PreferTimestampTz => "prefer-timestamptz".to_owned(),
        _ => sq.to_string(),
    }
}

/// Writing a table's or column's name with its schema, set per connection.
const SEARCH_PATH: &str = "migrations name tables through the connection's search_path on purpose: `migrations_schema` and a fleet's per-schema runs apply the same migration to several schemas, which a schema written into every name would defeat";
const TIMEOUTS: &str = "the runner sets lock_timeout (and statement_timeout when configured) before every migration and retries a statement whose lock wait times out; a migration changes its own with `pgm.lock_timeout(..)` (checked by `lock-timeout-too-long`), and `ban-timeout-in-sql` flags SQL that sets them";
/// Squawk's opt-in rules about changes visible to existing clients, with no safer way to make them.
const VISIBLE_CHANGE: &str = "squawk leaves it off unless asked: it flags every change of its kind as one existing clients may notice, with no safer way to make it to suggest; the change is reviewed in the migration, and `migrate review` shows its phase";
/// Squawk's opt-in rules about privileges, policies and options.
const ACCESS_CHANGE: &str = "squawk leaves it off unless asked: a change of privileges, policies or options is what the migration is written for, with no safer way to make it to suggest; `migrate review` lists it";
/// Drops of what the builder's recipes create and remove themselves.
const RECIPE_OBJECT: &str = "the builder's recipes drop objects of this kind that they created (`set_not_null` drops its temporary CHECK, the online column changes drop their triggers and move defaults), so such a rule would flag every recipe; a drop of something the running code relies on belongs in a migration marked `pgm.contract(..)` (docs/deploying.md)";
/// Drops and renames of other objects that running code may use.
const OTHER_OBJECT: &str = "not yet: a drop or rename of this kind of object breaks the code that uses it as `ban-drop-table` does, but `migrate diff` also drops such objects only to recreate them (the views over a column whose type changes are dropped and created again in the same migration), which such a rule must first tell apart; until then `migrate review` lists the statement with its locks";

/// What stands for `sq` here. No catch-all: see the module's comment.
pub(crate) fn equivalent(sq: Sq) -> SquawkEquivalent {
    use SquawkEquivalent::{CoveredBy, NotAdopted, Runs};
    match sq {
        Sq::RequireConcurrentIndexCreation => Runs(Rule::RequireConcurrentIndexCreation),
        Sq::RequireConcurrentIndexDeletion => Runs(Rule::RequireConcurrentIndexDeletion),
        Sq::ConstraintMissingNotValid => Runs(Rule::ConstraintMissingNotValid),
        Sq::AddingFieldWithDefault => Runs(Rule::AddingFieldWithDefault),
        Sq::AddingForeignKeyConstraint => Runs(Rule::AddingForeignKeyConstraint),
        Sq::ChangingColumnType => Runs(Rule::ChangingColumnType),
        Sq::AddingNotNullableField => Runs(Rule::AddingNotNullableField),
        Sq::AddingSerialPrimaryKeyField => Runs(Rule::AddingSerialPrimaryKeyField),
        Sq::RenamingColumn => Runs(Rule::RenamingColumn),
        Sq::RenamingTable => Runs(Rule::RenamingTable),
        Sq::DisallowedUniqueConstraint => Runs(Rule::DisallowedUniqueConstraint),
        Sq::BanDropDatabase => Runs(Rule::BanDropDatabase),
        Sq::PreferBigintOverInt => Runs(Rule::PreferBigintOverInt),
        Sq::PreferBigintOverSmallint => Runs(Rule::PreferBigintOverSmallint),
        Sq::PreferIdentity => Runs(Rule::PreferIdentity),
        Sq::PreferRepack => NotAdopted("it suggests REPACK instead of CLUSTER and VACUUM FULL, which only PostgreSQL 19 has (squawk checks it only when linting for 19); the servers this version supports have no such statement to suggest"),
        Sq::PreferRobustStmts => NotAdopted("the engine makes a rerun safe itself: a migration in a transaction rolls back whole, and one outside a transaction records each finished step and continues where a run stopped; `concurrent-index-with-other-ddl` flags the statements whose effect a rerun cannot tell. IF [NOT] EXISTS on every statement would hide a schema that is not what the migration expects"),
        Sq::PreferTextField => Runs(Rule::PreferTextField),
        Sq::PreferTimestampTz => Runs(Rule::PreferTimestamptz),
        Sq::BanCharField => Runs(Rule::BanCharField),
        Sq::BanDropColumn => Runs(Rule::BanDropColumn),
        Sq::BanDropTable => Runs(Rule::BanDropTable),
        Sq::BanDropNotNull => Runs(Rule::BanDropNotNull),
        Sq::TransactionNesting => CoveredBy(Rule::BanTransactionControl),
        Sq::AddingRequiredField => Runs(Rule::AddingRequiredField),
        Sq::BanConcurrentIndexCreationInTransaction => NotAdopted("the engine sends CREATE INDEX CONCURRENTLY, and every statement PostgreSQL refuses in a transaction block, on its own, outside the migration's transaction, so a migration cannot fail this way"),
        Sq::UnusedIgnore => NotAdopted("not a rule here: a `// lint: allow` comment that silences nothing is listed as a note"),
        Sq::BanCreateDomainWithConstraint => Runs(Rule::BanCreateDomainWithConstraint),
        Sq::BanAlterDomainWithAddConstraint => Runs(Rule::BanAlterDomainWithAddConstraint),
        Sq::BanTruncateCascade => Runs(Rule::BanTruncateCascade),
        Sq::RequireTimeoutSettings => NotAdopted(TIMEOUTS),
        Sq::BanUncommittedTransaction => CoveredBy(Rule::BanTransactionControl),
        Sq::RequireEnumValueOrdering => Runs(Rule::RequireEnumValueOrdering),
        Sq::RequireTableSchema => NotAdopted(SEARCH_PATH),
        Sq::IdentifierTooLong => Runs(Rule::IdentifierTooLong),
        Sq::RequireConcurrentPartitionDetach => Runs(Rule::RequireConcurrentPartitionDetach),
        Sq::RequireConcurrentReindex => Runs(Rule::RequireConcurrentReindex),
        Sq::RequireLockTimeout => NotAdopted(TIMEOUTS),
        Sq::RequireStatementTimeout => NotAdopted(TIMEOUTS),
        Sq::BanDuplicateColumnAssignments => Runs(Rule::BanDuplicateColumnAssignments),
        Sq::BanDropView => NotAdopted(OTHER_OBJECT),
        Sq::BanDropFunction => CoveredBy(Rule::BanDropFunction),
        Sq::BanDropType => CoveredBy(Rule::BanDropType),
        Sq::BanDropDefault => NotAdopted(RECIPE_OBJECT),
        Sq::BanDropTrigger => NotAdopted(RECIPE_OBJECT),
        Sq::BanDropSchema => NotAdopted(OTHER_OBJECT),
        Sq::BanDropSequence => NotAdopted(OTHER_OBJECT),
        Sq::BanDropDomain => CoveredBy(Rule::BanDropType),
        Sq::BanDropConstraint => NotAdopted(RECIPE_OBJECT),
        Sq::BanDropGeneratedExpression => NotAdopted(OTHER_OBJECT),
        Sq::RenamingObject => NotAdopted(OTHER_OBJECT),
        Sq::BanSetSchema => NotAdopted(OTHER_OBJECT),
        Sq::BanAlterIdentity => NotAdopted(OTHER_OBJECT),
        Sq::BanDropExtension => NotAdopted(OTHER_OBJECT),
        Sq::BanAlterGeneratedExpression => NotAdopted(VISIBLE_CHANGE),
        Sq::BanDropIndex => NotAdopted("squawk leaves it off unless asked: dropping an index changes no result a client sees; `require-concurrent-index-deletion` flags the drop that blocks reads and writes"),
        Sq::BanSetDefault => NotAdopted(VISIBLE_CHANGE),
        Sq::BanDisableTrigger => NotAdopted(VISIBLE_CHANGE),
        Sq::BanReplicaIdentity => NotAdopted(VISIBLE_CHANGE),
        Sq::BanDropPolicy => NotAdopted(ACCESS_CHANGE),
        Sq::BanRevoke => NotAdopted(ACCESS_CHANGE),
        Sq::BanReplaceViewFunction => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAlterPolicyCondition => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterPolicyRoles => NotAdopted(ACCESS_CHANGE),
        Sq::BanCreatePolicy => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterFunctionOptions => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterViewOptions => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterRoleOptions => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterDatabaseOptions => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterRowLevelSecurity => NotAdopted(ACCESS_CHANGE),
        Sq::BanNewWriteRestriction => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAddEnumValue => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAddCompositeAttribute => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAddColumn => NotAdopted(VISIBLE_CHANGE),
        Sq::BanDetachInheritance => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAlterSequenceValues => NotAdopted(VISIBLE_CHANGE),
        Sq::BanAlterSystemOptions => NotAdopted(ACCESS_CHANGE),
        Sq::BanAlterExtension => NotAdopted(ACCESS_CHANGE),
    }
}

impl Rule {
    /// The rule squawk reports as `rule`, when squawk's check is the one run for it.
    pub(crate) fn from_squawk(rule: Sq) -> Option<Rule> {
        match equivalent(rule) {
            SquawkEquivalent::Runs(ours) => Some(ours),
            _ => None,
        }
    }

    /// The squawk rules enabled in its linter: exactly those [`from_squawk`](Self::from_squawk) maps.
    pub(crate) fn squawk_rules() -> Vec<Sq> {
        enum_iterator::all::<Sq>()
            .filter(|sq| Rule::from_squawk(*sq).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every squawk rule is placed (the `match` sees to that), and the placement holds: a rule squawk runs for
    /// us, or one of ours that covers it, has the same name where it is the same check, and a reason is a
    /// sentence; no rule of ours is run for two of squawk's.
    #[test]
    fn every_squawk_rule_is_accounted_for() {
        let coverage = squawk_coverage();
        assert_eq!(coverage.len(), enum_iterator::cardinality::<Sq>());
        let mut run = Vec::new();
        for c in &coverage {
            match c.equivalent {
                SquawkEquivalent::Runs(rule) => {
                    assert_eq!(
                        rule.name(),
                        c.name,
                        "squawk's check runs under its own name"
                    );
                    run.push(rule);
                }
                SquawkEquivalent::CoveredBy(rule) => {
                    assert!(Rule::ALL.contains(&rule));
                }
                SquawkEquivalent::NotAdopted(reason) => {
                    assert!(reason.len() > 40, "{}: give the reason", c.name);
                    assert!(Rule::from_name(&c.name).is_none(), "{} is ours", c.name);
                }
            }
        }
        let mut unique = run.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), run.len());
        assert_eq!(Rule::squawk_rules().len(), run.len());
        // The list of squawk rules that lint lacked, each adopted now.
        for name in [
            "ban-char-field",
            "prefer-text-field",
            "prefer-timestamptz",
            "prefer-identity",
            "prefer-bigint-over-int",
            "prefer-bigint-over-smallint",
            "identifier-too-long",
            "require-concurrent-reindex",
            "require-enum-value-ordering",
            "ban-truncate-cascade",
            "ban-drop-database",
            "ban-drop-not-null",
            "ban-alter-domain-with-add-constraint",
            "ban-create-domain-with-constraint",
            "ban-duplicate-column-assignments",
        ] {
            let c = coverage.iter().find(|c| c.name == name).expect(name);
            assert!(matches!(c.equivalent, SquawkEquivalent::Runs(_)), "{name}");
        }
    }
}
