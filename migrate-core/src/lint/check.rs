//! The rules' half of linting: what the rules, suppressions and contracts make of [`LintInputs`].

use std::sync::Mutex;
use std::time::Duration;

use migrate_dsl::Operation;

use crate::migration::{Direction, Migration};
use crate::server::OLDEST_SUPPORTED_MAJOR;

use super::error::LintError;
use super::inputs::{collect, LintInputs, LintOptions, MigrationInputs, StatementInputs};
use super::report::{Finding, MigrationLint, Note, Report, Silenced, Unparsable};
use super::rules::{Rule, RuleSelection};
use super::sql::{self, Input};
use super::suppress::Suppression;

/// The longest `pgm.lock_timeout(..)` that passes `lock-timeout-too-long`: strong_migrations' limit too.
pub const MAX_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Lints the migrations named in `names` (full name or timestamp), or all of `migrations` when `names` is
/// empty: [`collect`] then [`analyse`]. Malformed suppression comments anywhere in the selection are one
/// error listing them all, so a CI run shows every one at once.
pub fn lint(
    migrations: &[Migration],
    names: &[String],
    options: &LintOptions,
) -> Result<Report, LintError> {
    Ok(analyse(&collect(migrations, names, options)?))
}

/// Runs the rules on what [`collect`] gathered (in this process or in a runner binary, through
/// [`LintInputs::from_json`]): the findings, with those a `// lint: allow` comment or the migration's
/// contract accepts moved to [`MigrationLint::silenced`], the SQL no rule could read, and the notes. Needs
/// nothing but `inputs`: no migration code, no database.
/// The rules checked are those on by default; [`analyse_with`] chooses.
pub fn analyse(inputs: &LintInputs) -> Report {
    analyse_with(inputs, &RuleSelection::default())
}

/// [`analyse`], checking the rules of `rules` (a project's `[lint] enable` and `disable`): the findings of
/// other rules are left out, as if those rules did not exist.
pub fn analyse_with(inputs: &LintInputs, rules: &RuleSelection) -> Report {
    let options = inputs.options();
    Report {
        migrations: inputs
            .migrations
            .iter()
            .map(|m| analyse_one(m, &options, rules))
            .collect(),
    }
}

fn analyse_one(m: &MigrationInputs, options: &LintOptions, rules: &RuleSelection) -> MigrationLint {
    let mut out = MigrationLint {
        name: m.name.clone(),
        path: m.path.clone(),
        direction: options.direction,
        findings: Vec::new(),
        silenced: Vec::new(),
        unparsable: Vec::new(),
        notes: Vec::new(),
        baselined: Vec::new(),
    };
    if let Some(why) = &m.not_linted {
        out.notes.push(Note {
            line: None,
            message: format!("`{}` not linted: {why}", options.direction),
        });
        return out;
    }

    // A gate that every supported server takes is not wrong, but its `otherwise` is dead code a reviewer
    // would otherwise read as a path some server runs.
    for gate in &m.gates {
        out.notes.push(Note {
            line: gate.line,
            message: format!(
                "since_pg({}): every supported server takes the first branch (PostgreSQL \
                 {OLDEST_SUPPORTED_MAJOR} is the oldest supported), so its `otherwise` never runs; write the \
                 first branch's operations without the gate",
                gate.major
            ),
        });
    }

    let mut findings: Vec<Finding> = lock_timeout_finding(m).into_iter().collect();
    findings.extend(sql_findings(m, options, &mut out));
    stricter_findings(m, options, &mut findings);
    key_findings(m, rules, &mut findings);
    let findings: Vec<Finding> = per_partition(m, without_widen_key_steps(findings))
        .into_iter()
        .filter(|f| rules.checks(f.rule))
        .collect();
    let findings = accepted_by_contract(m, findings, &mut out);
    silence(findings, &m.suppressions, options, &mut out);
    out
}

/// The migration's own `lock_timeout`, when it is none at all or longer than the limit.
fn lock_timeout_finding(m: &MigrationInputs) -> Option<Finding> {
    let timeout = m.lock_timeout?;
    if !(timeout.is_zero() || timeout > MAX_LOCK_TIMEOUT) {
        return None;
    }
    let shown = if timeout.is_zero() {
        "0 (no timeout at all)".to_owned()
    } else {
        format!("{:?}", timeout)
    };
    Some(Finding {
        rule: Rule::LockTimeoutTooLong,
        op: None,
        line: m.lock_timeout_line,
        statement: "pgm.lock_timeout(..)".to_owned(),
        detail: Some(format!(
            "it is {shown}; the limit is {:?}",
            MAX_LOCK_TIMEOUT
        )),
    })
}

/// The builder method named `name` as the `&'static str` the report holds. Inputs read from JSON carry
/// names as strings: every name this version's builder records is one of [`Operation::NAMES`]; a name only
/// a newer builder records (a runner built against a newer migrate-dsl) is kept once per process.
fn op_name(name: &str) -> &'static str {
    if let Some(known) = Operation::NAMES.iter().find(|n| **n == name) {
        return known;
    }
    static OTHERS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut others = OTHERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(kept) = others.iter().find(|n| **n == name) {
        return kept;
    }
    let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
    others.push(kept);
    kept
}

/// What the rules find in the migration's SQL; statements the parser cannot read go to `out.unparsable`.
fn sql_findings(
    m: &MigrationInputs,
    options: &LintOptions,
    out: &mut MigrationLint,
) -> Vec<Finding> {
    let inputs: Vec<Input<'_>> = m
        .statements
        .iter()
        .map(|s| Input {
            position: s.position,
            op: op_name(&s.op),
            sql: &s.sql,
            new_transaction: s.new_transaction,
        })
        .collect();
    let line = |i: usize, offset: usize| line_at(&m.statements[i], offset);
    let (hits, failures) = sql::check(&inputs, options.pg_version, m.transactional);
    out.unparsable
        .extend(failures.into_iter().map(|f| Unparsable {
            op: (inputs[f.input].position, inputs[f.input].op),
            line: line(f.input, f.offset),
            message: f.message,
        }));
    hits.into_iter()
        .map(|h| Finding {
            rule: h.rule,
            op: Some((inputs[h.input].position, inputs[h.input].op)),
            line: line(h.input, h.offset),
            statement: h.statement,
            detail: h.detail,
        })
        .collect()
}

/// The line of what is at `offset` in statement `s`'s SQL: its own line in the file when the SQL is written
/// there in place, else the line of the operation's call.
fn line_at(s: &StatementInputs, offset: usize) -> Option<usize> {
    s.sql_lines
        .line_at(&s.sql, offset)
        .map(|line| line as usize)
        .or(s.line)
}

/// Puts `finding` after the findings of the operations up to its own, so the report stays in operation order.
fn insert_in_order(findings: &mut Vec<Finding>, finding: Finding) {
    let position = finding.op.map_or(0, |(position, _)| position);
    let at = findings
        .iter()
        .rposition(|f| f.op.is_none_or(|(p, _)| p <= position))
        .map_or(0, |i| i + 1);
    findings.insert(at, finding);
}

/// `stricter-change-in-expand`: what the deploy phase itself judges stricter ([`crate::phase`]) in an `up`,
/// one finding per operation, each placed after the findings of the operations before it. A contract accepts
/// them ([`Rule::breaks_running_code`]); so does the rule's `lint: allow`, which makes the migration an
/// expand for the deploy plan too.
fn stricter_findings(m: &MigrationInputs, options: &LintOptions, findings: &mut Vec<Finding>) {
    if options.direction != Direction::Up {
        return;
    }
    let mut reported = std::collections::HashSet::new();
    for stricter in crate::phase::stricter_changes(m.statements.iter().map(|s| s.sql.as_str())) {
        let s = &m.statements[stricter.input];
        if !reported.insert(s.position) {
            continue;
        }
        let statement = migrate_dsl::split_statements(&s.sql)
            .into_iter()
            .find(|part| part.offset == stricter.offset)
            .map_or_else(|| s.sql.clone(), |part| part.sql.to_owned());
        insert_in_order(
            findings,
            Finding {
                rule: Rule::StricterChangeInExpand,
                op: Some((s.position, op_name(&s.op))),
                line: line_at(s, stricter.offset),
                statement: super::statement::one_line(&statement),
                detail: Some(format!(
                    "{}: the app version still running may write what it refuses, and the migration is not \
                     marked `pgm.contract(..)`",
                    stricter.what
                )),
            },
        );
    }
}

/// `prefer-bigint-over-int`. On by default for a foreign key column narrower than the key it references (one
/// the migrations before created, or this one's statements before it), which cannot hold the key's larger
/// values: a fault, whatever the design. Enabled by name, also every new `integer` column (squawk's check, a
/// design choice), with a new `integer` key (a primary key, an identity or a `serial` column) said to be one;
/// a statement both flag is reported with what ours says.
fn key_findings(m: &MigrationInputs, rules: &RuleSelection, findings: &mut Vec<Finding>) {
    let rule = Rule::PreferBigintOverInt;
    let every_integer = rules.enables(rule);
    if !every_integer {
        findings.retain(|f| f.rule != rule);
    }
    let mut keys = m.keys.clone();
    let mut integers = m.integer_columns.clone();
    for s in &m.statements {
        for part in migrate_dsl::split_statements(&s.sql) {
            let statement = super::statement::one_line(part.sql);
            let declared = super::keys::declared(part.sql);
            for declared_column in &declared {
                // A foreign key added to a column declared before: its type as declared (the latest).
                let resolved;
                let column = if declared_column.constraint_only {
                    let Some(known) = integers.iter().rev().find(|c| {
                        c.table == declared_column.table && c.column == declared_column.column
                    }) else {
                        continue;
                    };
                    resolved = super::keys::Declared {
                        bytes: Some(known.bytes),
                        type_name: super::keys::type_of(known.bytes).to_uppercase(),
                        ..declared_column.clone()
                    };
                    &resolved
                } else {
                    declared_column
                };
                let Some(detail) = narrow_key(column, &keys, every_integer) else {
                    continue;
                };
                findings.retain(|f| {
                    !(f.rule == rule && f.statement == statement && f.detail.is_none())
                });
                insert_in_order(
                    findings,
                    Finding {
                        rule,
                        op: Some((s.position, op_name(&s.op))),
                        line: line_at(s, part.offset),
                        statement: statement.clone(),
                        detail: Some(detail),
                    },
                );
            }
            keys.extend(
                declared
                    .iter()
                    .filter(|d| d.primary_key)
                    .filter_map(super::keys::Declared::integer),
            );
            integers.extend(declared.iter().filter_map(super::keys::Declared::integer));
        }
    }
}

/// What is wrong with `column`'s width, given the integer keys known: a foreign key narrower than the key it
/// references, or (with `keys_too`) a new 4-byte key.
fn narrow_key(
    column: &super::keys::Declared,
    keys: &[super::KeyColumn],
    keys_too: bool,
) -> Option<String> {
    let name = format!("{}.{}", column.table, column.column);
    if keys_too && column.is_key() && column.bytes == Some(4) {
        return Some(format!(
            "the new key {name} is {}: its values run out at 2,147,483,647, and widening it later rewrites \
             the table and every table whose foreign key references it",
            column.type_name.to_lowercase()
        ));
    }
    let (table, referenced) = column.references.as_ref()?;
    let key = keys
        .iter()
        .find(|k| k.table == *table && referenced.as_ref().is_none_or(|c| *c == k.column))?;
    let bytes = column.bytes?;
    (bytes < key.bytes).then(|| {
        format!(
            "{name} is {} and references {}.{}, a {}: it cannot hold the key's values above {}",
            column.type_name.to_lowercase(),
            key.table,
            key.column,
            super::keys::type_of(key.bytes),
            if bytes == 2 {
                "32,767"
            } else {
                "2,147,483,647"
            }
        )
    })
}

/// A key's widening (`widen_key_online`) is made of steps that look unsafe one by one and are not in it: the
/// `NOT NULL` check on a twin column its trigger fills on every write, `SET NOT NULL` proven by that check
/// validated in the expand, a unique index on a key that is unique already, and the renames that give the
/// widened columns the names the app uses (the values are the same).
fn without_widen_key_steps(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| {
            !(f.op.is_some_and(|(_, op)| op == "widen_key_online")
                && matches!(
                    f.rule,
                    Rule::StricterChangeInExpand
                        | Rule::AddingNotNullableField
                        | Rule::RenamingColumn
                ))
        })
        .collect()
}

/// Index builds on partitioned tables: a plain build on one is `require-index-per-partition`, not
/// `require-concurrent-index-creation` (whose `CONCURRENTLY` PostgreSQL refuses there), and so is a
/// `CONCURRENTLY` one; the parent's `ON ONLY` index alone is catalog only and no finding.
fn per_partition(m: &MigrationInputs, findings: Vec<Finding>) -> Vec<Finding> {
    // PostgreSQL refuses CONCURRENTLY on a table this migration created partitioned too.
    let own: Vec<String> = m
        .statements
        .iter()
        .flat_map(|s| migrate_dsl::split_statements(&s.sql))
        .filter_map(|s| super::partitioned::created_partitioned(s.sql))
        .collect();
    let partitioned = |table: &str| m.partitioned.iter().chain(&own).any(|t| t == table);
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter_map(|f| {
            // A unique constraint added per partition: `ONLY` the parent (its index is built per partition).
            if f.rule == Rule::DisallowedUniqueConstraint
                && f.op.is_some_and(|(_, op)| op == "add_constraint_online")
                && f.statement
                    .to_ascii_uppercase()
                    .starts_with("ALTER TABLE ONLY ")
            {
                return None;
            }
            // A foreign key added online without `NOT VALID` is one added per partition: each partition's was
            // validated first, and this one attaches them without a scan.
            if matches!(
                f.rule,
                Rule::AddingForeignKeyConstraint | Rule::ConstraintMissingNotValid
            ) && f.op.is_some_and(|(_, op)| op == "add_constraint_online")
                && !f.statement.to_ascii_uppercase().contains("NOT VALID")
            {
                return None;
            }
            if f.rule != Rule::RequireConcurrentIndexCreation {
                return Some(f);
            }
            match super::partitioned::index_target(&f.statement) {
                Some(target) if target.only => None,
                Some(target) if partitioned(&target.table) => Some(Finding {
                    rule: Rule::RequireIndexPerPartition,
                    ..f
                }),
                _ => Some(f),
            }
        })
        .collect();
    for s in &m.statements {
        for part in migrate_dsl::split_statements(&s.sql) {
            let Some(target) = super::partitioned::index_target(part.sql) else {
                continue;
            };
            if target.concurrently && partitioned(&target.table) {
                out.push(Finding {
                    rule: Rule::RequireIndexPerPartition,
                    op: Some((s.position, op_name(&s.op))),
                    line: line_at(s, part.offset),
                    statement: super::statement::one_line(part.sql),
                    detail: Some(
                        "PostgreSQL refuses CREATE INDEX CONCURRENTLY on a partitioned table"
                            .to_owned(),
                    ),
                });
            }
        }
    }
    out
}

/// A migration marked contract breaks the running app version on purpose, after the rollout: its reason
/// accepts the findings that say so (into `out.silenced`). Every other finding stands, and is returned.
fn accepted_by_contract(
    m: &MigrationInputs,
    findings: Vec<Finding>,
    out: &mut MigrationLint,
) -> Vec<Finding> {
    let Some(reason) = &m.contract else {
        return findings;
    };
    let line = m.contract_line.unwrap_or(0);
    let (accepted, rest): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.rule.breaks_running_code());
    out.silenced
        .extend(accepted.into_iter().map(|finding| Silenced {
            reason: format!("contract: {reason}"),
            line,
            finding,
        }));
    rest
}

/// Each finding silenced by the first `lint: allow` that names its rule, or reported; an allow that
/// silenced nothing is a note.
fn silence(
    findings: Vec<Finding>,
    allowed: &[Suppression],
    options: &LintOptions,
    out: &mut MigrationLint,
) {
    let mut used = vec![false; allowed.len()];
    for finding in findings {
        match allowed.iter().position(|s| s.rules.contains(&finding.rule)) {
            Some(i) => {
                used[i] = true;
                out.silenced.push(Silenced {
                    reason: allowed[i].reason.clone(),
                    line: allowed[i].line,
                    finding,
                });
            }
            None => out.findings.push(finding),
        }
    }
    for (s, used) in allowed.iter().zip(used) {
        if !used {
            out.notes.push(Note {
                line: Some(s.line),
                message: format!(
                    "`lint: allow {}` silenced nothing in `{}`",
                    s.rules
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    options.direction
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use migrate_dsl::MigrationBuilder;

    use super::*;
    use crate::lint::DEFAULT_PG_VERSION;
    use crate::migration::{Definition, Direction};

    fn migration(
        name: &'static str,
        source: &'static str,
        up: fn(&mut MigrationBuilder),
        down: Option<fn(&mut MigrationBuilder)>,
    ) -> Migration {
        Migration::defined(Box::leak(Box::new(Definition {
            name,
            path: "/migrations/m.rs",
            source,
            up,
            down,
        })))
    }

    /// Collected here or in a runner, sent as JSON: the same report as linting in one process, for every part
    /// of it (findings, a suppression and a contract that silence, unparsable SQL, notes, a `down` not linted).
    #[test]
    fn collected_inputs_through_json_give_the_same_report() {
        let migrations = [
            migration(
                "20260101000001_index",
                "// lint: allow ban-drop-table -- nothing uses it\n// lint: allow prefer-jsonb -- unused\n",
                |pgm| {
                    pgm.lock_timeout(Duration::from_millis(30_500));
                    pgm.sql("CREATE INDEX i ON t (a)");
                    pgm.sql("DROP TABLE old");
                    pgm.sql("SELEC oops");
                    pgm.since_pg(11, |pgm| {
                        pgm.sql("SELECT 1");
                    });
                },
                Some(|pgm| {
                    pgm.sql("DROP INDEX i");
                }),
            ),
            migration(
                "20260101000002_contract",
                "",
                |pgm| {
                    pgm.contract("drops what v1 reads");
                    pgm.sql("ALTER TABLE t DROP COLUMN c");
                },
                Some(|pgm| {
                    pgm.irreversible("the column is gone");
                }),
            ),
        ];
        for direction in [Direction::Up, Direction::Down] {
            for pg_version in [13, DEFAULT_PG_VERSION, 18] {
                let options = LintOptions {
                    direction,
                    pg_version,
                };
                let whole = lint(&migrations, &[], &options).expect("lint runs");
                let json = collect(&migrations, &[], &options)
                    .expect("collects")
                    .to_json();
                let inputs = LintInputs::from_json(&json).expect("reads its own JSON");
                assert_eq!(analyse(&inputs), whole, "{direction} {pg_version}: {json}");
                assert_eq!(inputs.options().pg_version, pg_version);
            }
        }
        let up = lint(&migrations, &[], &LintOptions::default()).expect("lint runs");
        let counts = (
            up.finding_count(),
            up.silenced_count(),
            up.unparsable_count(),
            up.note_count(),
        );
        assert_eq!(counts, (2, 2, 1, 2), "{up:#?}");
    }

    #[test]
    fn inputs_of_another_version_are_refused() {
        let err = LintInputs::from_json(
            r#"{"version":2,"direction":"up","pg_version":15,"migrations":[]}"#,
        )
        .expect_err("version 2");
        assert!(
            err.to_string()
                .contains("of version 2, and this version reads version 1"),
            "{err}"
        );
        assert!(LintInputs::from_json("[]").is_err());
        assert!(LintInputs::from_json("not json").is_err());
    }
}
