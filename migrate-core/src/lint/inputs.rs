//! What a lint reads from the compiled migrations ([`collect`]), as plain data with a JSON form.
//!
//! Linting has two halves. This one needs the migrations' code: it records and renders each migration exactly
//! as `sql` shows it, reads its `// lint: allow` comments, its contract and its `lock_timeout`, and notes the
//! line of every call. The other half ([`analyse`](super::analyse), feature `lint`) runs the rules on that
//! data alone, on squawk's SQL parser. Keeping them apart lets a runner binary (which has the migrations
//! compiled in) leave the SQL parser out: the installed `migrate lint` asks the runner for these inputs as
//! JSON (`lint --emit-inputs`) and runs the rules itself.

use std::panic::Location;
use std::time::Duration;

use migrate_dsl::DslError;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::SqlLines;

use super::error::{InputsError, LintError, SuppressionError};
use super::suppress::{self, Suppression};

/// The PostgreSQL major version linted for when none is given: the oldest major version still supported
/// upstream at the time of writing, on which the lock facts in the guide (docs/reference/lint-rules.md) were observed.
pub const DEFAULT_PG_VERSION: u32 = 15;

/// The version of the JSON form of [`LintInputs`] ([`LintInputs::to_json`]). Raised whenever a field changes
/// meaning or a reader would need a new one, so that a `migrate` reading inputs from a runner built with
/// another version of this crate refuses them instead of linting something else.
pub const INPUTS_VERSION: u32 = 1;

/// How to lint.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// Which function of each migration to lint.
    pub direction: Direction,
    /// The PostgreSQL major version the migrations will run on; some rules depend on it.
    pub pg_version: u32,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            direction: Direction::Up,
            pg_version: DEFAULT_PG_VERSION,
        }
    }
}

/// Everything the rules need from the migrations of one lint run: the options it ran with and, in order, what
/// each selected migration holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LintInputs {
    /// Which function of each migration was recorded.
    pub direction: Direction,
    /// The PostgreSQL major version its `since_pg` gates were resolved for, and the rules check for.
    pub pg_version: u32,
    pub migrations: Vec<MigrationInputs>,
}

/// What one migration holds for the rules, in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MigrationInputs {
    pub name: String,
    /// The file, relative to the current folder when below it.
    pub path: String,
    /// Why the migration was not recorded in this direction, when it declares that it cannot run that way
    /// (a refused or irreversible `down`): there is nothing else to lint, and the report says so.
    pub not_linted: Option<String>,
    /// `since_pg` gates that every supported server takes (their `otherwise` is dead code).
    pub gates: Vec<Gate>,
    /// The file's `// lint: allow` comments (they cover both directions).
    pub suppressions: Vec<Suppression>,
    /// Whether it runs inside a transaction.
    pub transactional: bool,
    /// The migration's own `pgm.lock_timeout(..)`, if it set one.
    pub lock_timeout: Option<Duration>,
    /// The line of that call in the migration file, when it is there.
    pub lock_timeout_line: Option<usize>,
    /// Why the migration is a contract (`pgm.contract(..)`), for an `up` marked one.
    pub contract: Option<String>,
    /// The line of `pgm.contract(..)` in the migration file, when it is there.
    pub contract_line: Option<usize>,
    /// The rendered statements that are SQL (data code and backfills run as Rust and are left out), in order.
    pub statements: Vec<StatementInputs>,
    /// The partitioned tables the migrations before this one created (`CREATE TABLE .. PARTITION BY`), as
    /// PostgreSQL stores their names, without schema: an index on one of them must be built per partition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitioned: Vec<String>,
    /// The single-column integer primary keys the migrations before this one created: what a foreign key
    /// column is compared with (`prefer-bigint-over-int`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<super::KeyColumn>,
    /// The integer columns the migrations before this one declared, with their width: what a foreign key
    /// added later to one of them is compared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integer_columns: Vec<super::KeyColumn>,
}

/// A `pgm.since_pg(major, ..)` gate that every supported server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Gate {
    pub major: u32,
    /// The line of the gate's call in the migration file, when it is there.
    pub line: Option<usize>,
}

/// One rendered statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatementInputs {
    /// 1-based position of the operation that recorded it.
    pub position: usize,
    /// The builder method that recorded it (`create_index`, `sql`, ...).
    pub op: String,
    /// The SQL; for `sql` operations it may hold several statements.
    pub sql: String,
    /// The line of the operation's `pgm.xxx(..)` call in the migration file, when it is there.
    pub line: Option<usize>,
    /// Raw SQL written in place in the call (`pgm.sql(r#"..."#)`): the file line of each line of `sql`, so
    /// that a finding names its statement's line. Empty otherwise (and in inputs from an older runner).
    #[serde(default, skip_serializing_if = "SqlLines::is_empty")]
    pub sql_lines: SqlLines,
    /// In a transactional migration, the engine commits what came before and runs this in a new transaction
    /// (`VALIDATE CONSTRAINT` after an `ADD ... NOT VALID`): rules that look at what shares a transaction
    /// must see that boundary.
    pub new_transaction: bool,
}

/// The JSON form's outer object: the version first, so that a reader can refuse another version before it
/// reads anything else.
#[derive(Serialize)]
struct Versioned<'a> {
    version: u32,
    #[serde(flatten)]
    inputs: &'a LintInputs,
}

impl LintInputs {
    /// No migrations, for `options`: what [`collect`] returns for an empty selection, and what several
    /// collections are [`extend`](Self::extend)ed into.
    pub fn new(options: &LintOptions) -> Self {
        LintInputs {
            direction: options.direction,
            pg_version: options.pg_version,
            migrations: Vec::new(),
        }
    }

    /// The options these inputs were collected with, which the rules and the report's printers take.
    pub fn options(&self) -> LintOptions {
        LintOptions {
            direction: self.direction,
            pg_version: self.pg_version,
        }
    }

    /// Appends the migrations of `other` (collected with the same options), as `lint` does with the
    /// repeatable migrations after the versioned ones.
    pub fn extend(&mut self, other: LintInputs) {
        self.migrations.extend(other.migrations);
    }

    /// One JSON object, `{"version": INPUTS_VERSION, "direction": .., "pg_version": .., "migrations": [..]}`.
    pub fn to_json(&self) -> String {
        // Plain strings, numbers and lists: serialising them cannot fail.
        serde_json::to_string(&Versioned {
            version: INPUTS_VERSION,
            inputs: self,
        })
        .unwrap_or_default()
    }

    /// Reads what [`to_json`](Self::to_json) wrote; inputs of another [`INPUTS_VERSION`] are refused.
    pub fn from_json(json: &str) -> Result<Self, InputsError> {
        let value: serde_json::Value = serde_json::from_str(json)?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(INPUTS_VERSION)) {
            return Err(InputsError::Version {
                found: version,
                expected: INPUTS_VERSION,
            });
        }
        Ok(serde_json::from_value(value)?)
    }
}

/// Collects what the rules need from the migrations named in `names` (full name or timestamp), or from all
/// of `migrations` when `names` is empty. Malformed suppression comments anywhere in the selection are one
/// error listing them all, so a CI run shows every one at once.
pub fn collect(
    migrations: &[Migration],
    names: &[String],
    options: &LintOptions,
) -> Result<LintInputs, LintError> {
    if !(9..=99).contains(&options.pg_version) {
        return Err(LintError::PgVersion(options.pg_version));
    }
    let selected: Vec<&Migration> = if names.is_empty() {
        migrations.iter().collect()
    } else {
        names
            .iter()
            .map(|n| {
                migrations
                    .iter()
                    .find(|m| m.name() == n || m.version() == n)
                    .ok_or_else(|| Error::UnknownMigration { name: n.clone() })
            })
            .collect::<Result<_, _>>()?
    };

    let mut suppressions = Vec::new();
    let mut bad: Vec<SuppressionError> = Vec::new();
    for m in &selected {
        match suppress::parse(&m.display_path(), m.source()) {
            Ok(s) => suppressions.push(s),
            Err(errors) => bad.extend(errors),
        }
    }
    if !bad.is_empty() {
        return Err(LintError::Suppressions(bad));
    }

    let mut before = made_before(migrations, &selected);
    let mut inputs = LintInputs::new(options);
    for (m, allowed) in selected.into_iter().zip(suppressions) {
        let mut one = collect_one(m, allowed, options)?;
        let made = before.remove(m.name()).unwrap_or_default();
        one.partitioned = made.partitioned;
        one.keys = made.keys;
        one.integer_columns = made.integer_columns;
        inputs.migrations.push(one);
    }
    Ok(inputs)
}

/// What the migrations before one created that its rules need to know.
#[derive(Debug, Clone, Default)]
struct Made {
    partitioned: Vec<String>,
    keys: Vec<super::KeyColumn>,
    integer_columns: Vec<super::KeyColumn>,
}

/// For each of `selected`, what the migrations before it created: one walk over the migrations in order, up
/// to the last one selected.
fn made_before(
    migrations: &[Migration],
    selected: &[&Migration],
) -> std::collections::HashMap<&'static str, Made> {
    let wanted: std::collections::HashSet<&str> = selected.iter().map(|m| m.name()).collect();
    let last = selected.iter().map(|m| m.name()).max();
    let mut out = std::collections::HashMap::new();
    let mut known = Made::default();
    for m in migrations {
        if Some(m.name()) > last {
            break;
        }
        if wanted.contains(m.name()) {
            out.insert(m.name(), known.clone());
        }
        for sql in sql_of(m) {
            known
                .partitioned
                .extend(super::partitioned::created_partitioned(&sql));
            let declared = super::keys::declared(&sql);
            known.keys.extend(
                declared
                    .iter()
                    .filter(|d| d.primary_key)
                    .filter_map(super::keys::Declared::integer),
            );
            known
                .integer_columns
                .extend(declared.iter().filter_map(super::keys::Declared::integer));
        }
    }
    out
}

/// The statements of `m`'s `up` that are SQL, one by one.
fn sql_of(m: &Migration) -> Vec<String> {
    m.build(Direction::Up)
        .and_then(|pgm| pgm.statements().map_err(|_| Error::Internal("")))
        .map(|statements| {
            statements
                .iter()
                .filter(|s| s.action.is_none())
                .flat_map(|s| {
                    migrate_dsl::split_statements(&s.sql)
                        .into_iter()
                        .map(|part| part.sql.to_owned())
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn collect_one(
    m: &Migration,
    suppressions: Vec<Suppression>,
    options: &LintOptions,
) -> Result<MigrationInputs, LintError> {
    let line_of = |at: &Location<'_>| m.line_of(at).map(|line| line as usize);
    let mut out = MigrationInputs {
        name: m.name().to_owned(),
        path: m.display_path(),
        not_linted: None,
        gates: Vec::new(),
        suppressions,
        transactional: true,
        lock_timeout: None,
        lock_timeout_line: None,
        contract: None,
        contract_line: None,
        statements: Vec::new(),
        partitioned: Vec::new(),
        keys: Vec::new(),
        integer_columns: Vec::new(),
    };
    let step = match Step::for_lint(m, options.direction, options.pg_version) {
        Ok(step) => step,
        // A migration that declares it cannot run this way has nothing to lint; running it says why.
        Err(Error::Invalid {
            error: e @ (DslError::Refused { .. } | DslError::Irreversible { .. }),
            ..
        }) => {
            out.not_linted = Some(e.to_string());
            return Ok(out);
        }
        Err(e) => return Err(e.into()),
    };
    out.gates = m
        .build(options.direction)?
        .gates_every_server_takes()
        .into_iter()
        .map(|(major, at)| Gate {
            major,
            line: line_of(at),
        })
        .collect();
    out.transactional = step.transactional;
    out.lock_timeout = step.lock_timeout;
    out.lock_timeout_line = step.lock_timeout_at.and_then(line_of);
    out.contract_line = step.contract_at.and_then(line_of);
    out.contract = step.contract.clone();
    // Data code and backfills render as comments and run as Rust: there is no SQL to check. A transaction
    // boundary before one of them carries over to the next SQL statement.
    let mut boundary = false;
    for s in step.statements() {
        boundary |= s.new_transaction && step.transactional;
        if s.action.is_some() {
            continue;
        }
        out.statements.push(StatementInputs {
            position: s.position,
            op: s.op.to_owned(),
            sql: s.sql.clone(),
            line: line_of(s.recorded_at),
            sql_lines: m.sql_lines(s.recorded_at, &s.sql).unwrap_or_default(),
            new_transaction: std::mem::take(&mut boundary),
        });
    }
    Ok(out)
}
