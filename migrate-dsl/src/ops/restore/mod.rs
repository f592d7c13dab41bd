//! The reverse of a `CREATE OR REPLACE`: put back what it replaced, as the engine recorded it when the `up`
//! ran, or drop the object when there was none.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::safeguard::Object;

mod render;

/// Recorded only by the derived `down` of a `CREATE OR REPLACE` (a function, a view, a trigger's inline
/// function): restores `object` to the definition the engine recorded before operation `up_position` of
/// the `up` replaced it, or runs `drop` when nothing existed then.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePrevious {
    object: Object,
    up_position: usize,
    drop: Box<Operation>,
}

impl RestorePrevious {
    /// Restores `object` as recorded before the operation at `ctx.position` of the `up` replaced it, or runs
    /// `drop` when nothing existed then.
    pub(crate) fn new(ctx: Ctx, object: Object, drop: impl Into<Operation>) -> Self {
        RestorePrevious {
            object,
            up_position: ctx.position,
            drop: Box::new(drop.into()),
        }
    }
}

/// What the engine does for a [`RestorePrevious`] when the `down` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Restore {
    /// The object whose previous definition is restored.
    pub object: Object,
    /// The 1-based position, in the `up`, of the operation that replaced it: with the migration's name and
    /// [`Object::key`], it finds the recorded definition.
    pub up_position: usize,
    /// The statements that drop the object, run when it did not exist before the `up`.
    pub drop: Vec<String>,
}

impl Reverse for RestorePrevious {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("restoring a previous definition has no reverse"))
    }
}
