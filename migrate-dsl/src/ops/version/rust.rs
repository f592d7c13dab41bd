//! Version gates written back as Rust ([`ToRust`]): each branch as the calls that record it, in a closure.

use super::SincePg;
use crate::builder::MigrationBuilder;
use crate::error::DslError;
use crate::to_rust::{duration, lit, Chain, ToRust};

/// The closure that records `branch`: its operations' calls, one a line, and the migration-wide settings
/// recorded inside it. Lines are not indented: a multi-line literal would take the indentation in.
fn branch(branch: &MigrationBuilder) -> Result<String, DslError> {
    let mut lines = Vec::new();
    if branch.is_marked_no_transaction() {
        lines.push("pgm.no_transaction();".to_owned());
    }
    if let Some(timeout) = branch.own_lock_timeout() {
        lines.push(format!("pgm.lock_timeout({});", duration(timeout)));
    }
    if let Some(reason) = branch.contract_reason() {
        lines.push(format!("pgm.contract({});", lit(reason)));
    }
    for op in branch.operations() {
        lines.push(op.to_rust()?);
    }
    Ok(if lines.is_empty() {
        "|_pgm| {}".to_owned()
    } else {
        format!("|pgm| {{\n{}\n}}", lines.join("\n"))
    })
}

impl ToRust for SincePg {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let SincePg {
            major,
            then,
            otherwise,
        } = self;
        let mut w = Chain::pgm(op, &[major.to_string(), branch(then)?]);
        if *otherwise != MigrationBuilder::new() {
            w.set("otherwise", &[branch(otherwise)?]);
        }
        Ok(w.statement())
    }
}
