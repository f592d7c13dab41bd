//! Operations whose statements depend on what the catalog holds when the migration runs: the engine reads
//! it and fills it in before it renders the step ([`MigrationBuilder::resolve_keys`]).

use crate::builder::MigrationBuilder;
use crate::error::DslError;
use crate::operation::Operation;
use crate::ops::{KeyCatalog, WidenKeyOnline};

impl MigrationBuilder {
    /// This migration with every [`widen_key_online`](Self::widen_key_online) given what the catalog says
    /// about its key: `lookup(operation, position)` is asked once per operation (the engine reads the catalog for
    /// it; a refusal is its error text).
    pub fn resolve_keys(
        &self,
        lookup: &mut dyn FnMut(&WidenKeyOnline, usize) -> Result<KeyCatalog, String>,
    ) -> Result<MigrationBuilder, DslError> {
        let mut out = self.clone();
        for (i, op) in out.operations.ops.iter_mut().enumerate() {
            if let Operation::WidenKeyOnline(widen) = op
                && widen.catalog.is_none()
            {
                let catalog = lookup(&*widen, i + 1).map_err(|message| DslError::Invalid {
                    op: "widen_key_online",
                    position: i + 1,
                    message,
                })?;
                widen.catalog = Some(catalog);
            }
        }
        Ok(out)
    }

    /// Whether an operation of this migration needs the catalog before it can run
    /// ([`resolve_keys`](Self::resolve_keys)).
    pub fn needs_catalog(&self) -> bool {
        self.operations
            .ops
            .iter()
            .any(|op| matches!(op, Operation::WidenKeyOnline(w) if w.catalog.is_none()))
    }
}
