//! Which operation is being rendered or reversed: every error carries it.

use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::ops::{Column, References};

/// The operation being rendered or reversed, so every error names it and its position in the migration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// The builder method that recorded the operation.
    pub(crate) op: &'static str,
    /// Its 1-based position in the migration.
    pub(crate) position: usize,
}

impl Ctx {
    pub(crate) fn ident(self, ident: &Ident, what: &'static str) -> Result<(), DslError> {
        ident.check(self.op, self.position, what)
    }
    pub(crate) fn name(self, name: &Name, what: &'static str) -> Result<(), DslError> {
        name.check(self.op, self.position, what)
    }
    pub(crate) fn idents(self, idents: &[Ident], what: &'static str) -> Result<(), DslError> {
        if idents.is_empty() {
            return Err(DslError::NoColumns {
                op: self.op,
                position: self.position,
            });
        }
        idents.iter().try_for_each(|i| self.ident(i, what))
    }
    pub(crate) fn columns(self, columns: &[Column]) -> Result<(), DslError> {
        if columns.is_empty() {
            return Err(DslError::NoColumns {
                op: self.op,
                position: self.position,
            });
        }
        for c in columns {
            self.ident(c.ident(), "column")?;
            if let Some(r) = c.foreign_key() {
                self.references(r)?;
            }
        }
        Ok(())
    }
    pub(crate) fn references(self, r: &References) -> Result<(), DslError> {
        self.name(r.table_name(), "referenced table")?;
        r.column_names()
            .iter()
            .try_for_each(|c| self.ident(c, "referenced column"))
    }

    /// The error for an operation without an automatic reverse.
    pub(crate) fn irreversible(self, reason: &str) -> DslError {
        DslError::Irreversible {
            op: self.op,
            position: self.position,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
        }
    }

    /// The error for an option value PostgreSQL would reject, caught before anything is sent.
    pub(crate) fn invalid(self, message: impl Into<String>) -> DslError {
        DslError::Invalid {
            op: self.op,
            position: self.position,
            message: message.into(),
        }
    }
}
