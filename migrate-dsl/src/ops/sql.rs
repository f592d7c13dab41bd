use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::reverse::Reverse;
/// Raw SQL recorded with [`MigrationBuilder::sql`](crate::MigrationBuilder::sql): one or several statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub(crate) sql: String,
}

/// A marker recorded with [`MigrationBuilder::irreversible`](crate::MigrationBuilder::irreversible): running it
/// fails with its reason instead of doing nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Irreversible {
    pub(crate) reason: String,
}

impl Reverse for Sql {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("raw SQL has no known reverse"))
    }
}

impl Reverse for Irreversible {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible(&self.reason))
    }
}
