//! Migrations that depend on the server's PostgreSQL major: gates resolved when the migration runs, and the
//! check that every operation's options exist on the server.

use std::panic::Location;

use crate::builder::{MigrationBuilder, Recorded};
use crate::error::DslError;
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// This migration as it runs on a PostgreSQL `server_major` server: each [`since_pg`](Self::since_pg)
    /// replaced by the branch for that major (between comment lines showing both branches), and every
    /// operation checked against the server: an option the server does not have (such as `NULLS NOT
    /// DISTINCT` before PostgreSQL 15) is an error naming it and the first major that has it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", ["email"]).unique().nulls_not_distinct();
    /// assert_eq!(pgm.for_server(15).unwrap().to_sql().unwrap(),
    ///     [r#"CREATE UNIQUE INDEX "users_email_unique_index" ON "users" ("email") NULLS NOT DISTINCT"#]);
    /// assert_eq!(pgm.for_server(14).unwrap_err().to_string(),
    ///     "operation #1 (create_index): NULLS NOT DISTINCT needs PostgreSQL 15 or newer, but the server is \
    ///      PostgreSQL 14; upgrade the server, or record an alternative for older servers with \
    ///      `pgm.since_pg(15, ..).otherwise(..)`");
    /// ```
    pub fn for_server(&self, server_major: u32) -> Result<MigrationBuilder, DslError> {
        let resolved = self.resolve_since_pg(server_major)?;
        resolved.check_server(server_major)?;
        Ok(resolved)
    }

    /// Each [`since_pg`](Self::since_pg) replaced by its branch for `server_major`, without checking the
    /// options against that major (`lint --pg-version` reports those through its rules).
    pub fn resolve_since_pg(&self, server_major: u32) -> Result<MigrationBuilder, DslError> {
        self.flatten(Some(server_major))
    }

    /// Fails on the first operation using an option that PostgreSQL `server_major` does not have.
    fn check_server(&self, server_major: u32) -> Result<(), DslError> {
        for (i, op) in self.operations.ops.iter().enumerate() {
            if let Some(needs) = op
                .needs_server()
                .into_iter()
                .filter(|n| n.major > server_major)
                .max_by_key(|n| n.major)
            {
                return Err(DslError::ServerTooOld {
                    op: op.name(),
                    position: i + 1,
                    option: needs.option,
                    min_major: needs.major,
                    server_major,
                });
            }
        }
        Ok(())
    }

    /// The [`since_pg`](Self::since_pg) gates, nested ones too, that every supported server takes (a major at
    /// most [`OLDEST_SUPPORTED_MAJOR`]), with where each was recorded: their `otherwise` branch never runs.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.since_pg(12, |pgm| { pgm.sql("SELECT 1"); }).otherwise(|pgm| { pgm.sql("SELECT 2"); });
    /// pgm.since_pg(15, |pgm| { pgm.sql("SELECT 3"); });
    /// let gates = pgm.gates_every_server_takes();
    /// assert_eq!(gates.len(), 1);
    /// assert_eq!(gates[0].0, 12);
    /// ```
    pub fn gates_every_server_takes(&self) -> Vec<(u32, &'static Location<'static>)> {
        let mut out = Vec::new();
        for (op, &at) in self.operations.ops.iter().zip(&self.operations.at) {
            if let Operation::SincePg(gate) = op {
                if gate.major() <= OLDEST_SUPPORTED_MAJOR {
                    out.push((gate.major(), at));
                }
                out.extend(gate.then_branch().gates_every_server_takes());
                out.extend(gate.otherwise_branch().gates_every_server_takes());
            }
        }
        out
    }

    pub(crate) fn has_since_pg(&self) -> bool {
        self.operations
            .ops
            .iter()
            .any(|op| matches!(op, Operation::SincePg(_)))
    }

    /// The operations with every gate replaced by comment lines and the branch for `server` (or, without a
    /// server, both branches for review). Positions count the comment lines too.
    pub(crate) fn flatten(&self, server: Option<u32>) -> Result<MigrationBuilder, DslError> {
        if !self.has_since_pg() {
            return Ok(self.clone());
        }
        let mut out = MigrationBuilder {
            operations: Recorded::default(),
            ..self.clone()
        };
        for (op, &at) in self.operations.ops.iter().zip(&self.operations.at) {
            let Operation::SincePg(gate) = op else {
                out.operations.push_at(op.clone(), at);
                continue;
            };
            append_gate(&mut out, gate, at, server)?;
        }
        Ok(out)
    }
}

/// Appends `gate` to `out` as comment lines and the operations of the branch for `server` (both without one).
/// A free function: every `&mut self` method of the builder records what a migration file asked for.
fn append_gate(
    out: &mut MigrationBuilder,
    gate: &SincePg,
    at: &'static Location<'static>,
    server: Option<u32>,
) -> Result<(), DslError> {
    let major = gate.major();
    let branches = [
        (
            gate.then_branch(),
            format!("-- since_pg({major}): on PostgreSQL {major} or newer"),
            "first",
        ),
        (
            gate.otherwise_branch(),
            format!("-- since_pg({major}) otherwise: on PostgreSQL older than {major}"),
            "`otherwise`",
        ),
    ];
    let position = out.operations.ops.len() + 1;
    for (branch, header, which) in branches {
        let flat = branch
            .flatten(server)
            .map_err(|source| DslError::InSincePg {
                position,
                major,
                branch: which,
                source: Box::new(source),
            })?;
        // Without a server, a gate every supported server takes shows its `otherwise` as not run, and why.
        let never = server.is_none()
            && major <= OLDEST_SUPPORTED_MAJOR
            && std::ptr::eq(gate.otherwise_branch(), branch);
        let runs = !never && server.is_none_or(|s| std::ptr::eq(gate.branch(s), branch));
        let mut text = header;
        if never {
            text.push_str(&format!(
                "; never runs, PostgreSQL {OLDEST_SUPPORTED_MAJOR} is the oldest supported:"
            ));
        } else if server.is_none() && major <= OLDEST_SUPPORTED_MAJOR {
            text.push_str(&format!(
                ", which is every supported server (PostgreSQL {OLDEST_SUPPORTED_MAJOR} is the oldest supported)"
            ));
        }
        match server {
            None if never => push_commented(&mut text, &flat, position, major, which)?,
            None if flat.operations.ops.is_empty() => text.push_str(": nothing"),
            None => text.push(':'),
            Some(s) if runs => {
                text.push_str(&format!("; runs, the server is PostgreSQL {s}:"));
                if flat.operations.ops.is_empty() {
                    text.push_str(" nothing");
                }
            }
            Some(s) => {
                text.push_str(&format!("; not run, the server is PostgreSQL {s}:"));
                push_commented(&mut text, &flat, position, major, which)?;
            }
        }
        out.operations
            .push_at(Operation::SincePgNote(SincePgNote::new(text)), at);
        if runs {
            // A branch's own `no_transaction` and `lock_timeout` apply to the migration it runs in.
            out.no_transaction |= flat.no_transaction;
            if out.lock_timeout.is_none() {
                out.lock_timeout = flat.lock_timeout;
                out.lock_timeout_at = flat.lock_timeout_at;
            }
            for (op, &op_at) in flat.operations.ops.iter().zip(&flat.operations.at) {
                out.operations.push_at(op.clone(), op_at);
            }
        }
    }
    out.operations.push_at(
        Operation::SincePgNote(SincePgNote::new(format!("-- since_pg({major}): end"))),
        at,
    );
    Ok(())
}

/// Appends a branch that is shown but not run: its SQL as comment lines under the header.
fn push_commented(
    text: &mut String,
    flat: &MigrationBuilder,
    position: usize,
    major: u32,
    which: &'static str,
) -> Result<(), DslError> {
    let sql = flat.to_sql().map_err(|source| DslError::InSincePg {
        position,
        major,
        branch: which,
        source: Box::new(source),
    })?;
    if sql.is_empty() {
        text.push_str(" nothing");
    }
    for line in sql.iter().flat_map(|s| s.lines()) {
        text.push_str("\n--   ");
        text.push_str(line);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;
    use crate::{Constraint, Like, LikeOption};

    fn refused(pgm: &MigrationBuilder, server: u32) -> String {
        pgm.for_server(server).unwrap_err().to_string()
    }

    #[test]
    fn every_option_needing_a_newer_server_is_named_with_its_major() {
        let mut pgm = MigrationBuilder::new();
        pgm.create_table("t", [column("a", "text")])
            .constraint("t_a_key", Constraint::unique(["a"]).nulls_not_distinct());
        assert!(refused(&pgm, 14).starts_with(
            "operation #1 (create_table): UNIQUE NULLS NOT DISTINCT needs PostgreSQL 15 or newer, but the server is PostgreSQL 14"
        ));
        assert!(pgm.for_server(15).is_ok());

        let mut pgm = MigrationBuilder::new();
        pgm.add_constraint(
            "t",
            "t_a_key",
            Constraint::unique(["a"]).nulls_not_distinct(),
        );
        assert!(refused(&pgm, 13)
            .contains("(add_constraint): UNIQUE NULLS NOT DISTINCT needs PostgreSQL 15"));

        let mut pgm = MigrationBuilder::new();
        pgm.create_view("v", "SELECT 1")
            .option("Security_Invoker", true);
        assert!(refused(&pgm, 14)
            .contains("(create_view): the view option security_invoker needs PostgreSQL 15"));
        let mut pgm = MigrationBuilder::new();
        pgm.alter_view("v").reset_option("security_invoker");
        assert!(refused(&pgm, 14)
            .contains("(alter_view): the view option security_invoker needs PostgreSQL 15"));
        let mut pgm = MigrationBuilder::new();
        pgm.create_view("v", "SELECT 1")
            .option("security_barrier", true);
        assert!(pgm.for_server(13).is_ok());

        let mut pgm = MigrationBuilder::new();
        pgm.create_table("t2", Vec::<Column>::new())
            .like(Like::table("t").excluding(LikeOption::Compression));
        assert!(refused(&pgm, 13).contains("COMPRESSION needs PostgreSQL 14"));
        assert!(pgm.for_server(14).is_ok());
    }

    #[test]
    fn a_gate_inside_a_gate_and_a_branch_without_transaction() {
        let mut pgm = MigrationBuilder::new();
        pgm.since_pg(14, |pgm| {
            pgm.since_pg(16, |pgm| {
                pgm.create_index("t", ["a"]).concurrently();
            });
        });
        // Only the branch that runs decides whether the migration needs to run outside a transaction.
        assert!(!pgm.for_server(16).unwrap().is_transactional());
        assert!(pgm.for_server(15).unwrap().is_transactional());
        let sql = pgm.for_server(16).unwrap().to_sql().unwrap();
        assert!(
            sql.contains(
                &r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_a_index" ON "t" ("a")"#.to_owned()
            ),
            "{sql:#?}"
        );
        // Options in a branch that does not run are not checked against the server.
        let mut pgm = MigrationBuilder::new();
        pgm.since_pg(15, |pgm| {
            pgm.create_index("t", ["a"]).unique().nulls_not_distinct();
        });
        assert_eq!(pgm.for_server(13).unwrap().statements().unwrap().len(), 3);
    }

    #[test]
    fn an_irreversible_operation_in_a_branch_names_the_gate_and_the_branch() {
        let mut pgm = MigrationBuilder::new();
        pgm.create_table("t", [column("a", "text")]);
        pgm.since_pg(15, |_| {}).otherwise(|pgm| {
            pgm.sql("SELECT 1");
        });
        let err = pgm.reversed().unwrap_err().to_string();
        assert!(
            err.starts_with("operation #2 (since_pg(15)), `otherwise` branch: operation #1 (sql) cannot be reversed"),
            "{err}"
        );
    }

    #[test]
    fn a_replace_inside_a_branch_has_no_derived_reverse() {
        let mut pgm = MigrationBuilder::new();
        pgm.since_pg(15, |pgm| {
            pgm.create_view("v", "SELECT 1").or_replace();
        });
        let err = pgm.reversed().unwrap_err().to_string();
        assert!(err.contains("operation #1 (since_pg) cannot be reversed automatically: a `CREATE OR REPLACE` inside since_pg"), "{err}");
    }
}
