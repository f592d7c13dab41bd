//! Whether the database has what a binary needs before it serves: the answer `migrate wait` and a start-up
//! that waits for its schema poll for, from a [`Status`] alone.

use serde::Serialize;

use crate::status::{Entry, State, Status};

/// What a binary needs applied before it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Every migration it has.
    All,
    /// Its migrations up to this one (a full name), included.
    To(String),
    /// Its expand phase: the migrations before its first pending contract, what `up --expand-only` applies.
    /// A release can serve once they are applied, its contracts applied or not.
    ExpandPhase,
}

/// What stands between the database and a binary's [`Need`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// Its migrations that are needed and not applied yet (pending or out of order), oldest first.
    pub missing: Vec<String>,
    /// Migrations a newer release applied that are contracts or have no recorded phase: this binary may not
    /// work with them (see [`State::Ahead`]).
    pub ahead_blocking: Vec<String>,
    /// Failed part-way: applied only in part, and waiting does not finish them (a run with `--retry` does).
    pub failed: Vec<String>,
}

impl Readiness {
    /// What `status` says of `need`.
    pub fn of(status: &Status, need: &Need) -> Readiness {
        let pending = |e: &&Entry| matches!(e.state, State::Pending | State::OutOfOrder);
        let missing: Vec<String> = match need {
            Need::All => status
                .migrations
                .iter()
                .filter(pending)
                .map(|e| e.name.clone())
                .collect(),
            Need::To(name) => status
                .migrations
                .iter()
                .filter(pending)
                .filter(|e| e.name.as_str() <= name.as_str())
                .map(|e| e.name.clone())
                .collect(),
            Need::ExpandPhase => status
                .expand_only()
                .0
                .into_iter()
                .map(|e| e.name.clone())
                .collect(),
        };
        let named = |state: State, also: fn(&Entry) -> bool| -> Vec<String> {
            status
                .migrations
                .iter()
                .filter(|e| e.state == state && also(e))
                .map(|e| e.name.clone())
                .collect()
        };
        Readiness {
            missing,
            ahead_blocking: named(State::Ahead, Entry::is_blocking_ahead),
            failed: named(State::Failed, |_| true),
        }
    }

    /// Whether the binary can serve: nothing it needs is missing, and no newer contract is applied.
    pub fn is_ready(&self) -> bool {
        self.missing.is_empty() && self.ahead_blocking.is_empty() && self.failed.is_empty()
    }

    /// `waiting for 2 migration(s): a, b; ...`, or `ready`.
    pub fn describe(&self) -> String {
        if self.is_ready() {
            return "ready: every migration this binary needs is applied".to_owned();
        }
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!(
                "{} migration(s) this binary needs are not applied yet: {}",
                self.missing.len(),
                self.missing.join(", ")
            ));
        }
        if !self.failed.is_empty() {
            parts.push(format!(
                "failed part-way: {} (a run that continues it must finish it)",
                self.failed.join(", ")
            ));
        }
        if !self.ahead_blocking.is_empty() {
            parts.push(format!(
                "a newer release applied {}, a contract or of unknown phase, which this binary may not work with",
                self.ahead_blocking.join(", ")
            ));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests;
