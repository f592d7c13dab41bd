//! A precondition renders as the comment saying what the engine checks before the migration's first
//! statement, with its query: a reviewer reads both.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::Precondition;
use crate::render::Render;

impl Render for Precondition {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let name = self.name.trim();
        if name.is_empty() || name.contains(['\n', '\r']) {
            return Err(ctx.invalid(format!(
                "{:?} is not a precondition's name: one line that says what must hold",
                self.name
            )));
        }
        if self.sql().is_empty() {
            return Err(ctx.invalid(format!(
                "precondition {name:?} needs a query (true or no rows when it holds)"
            )));
        }
        let query: Vec<String> = self.sql().lines().map(|l| format!("-- {l}")).collect();
        Ok(vec![format!(
            "-- precondition {name:?} (checked before the migration's first statement; it fails on any row, \
             or on false):\n{}",
            query.join("\n")
        )])
    }
}
