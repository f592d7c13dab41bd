use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::Render;

/// Data code has no SQL of its own; plans and reviews show this comment in its place, so a reader knows Rust
/// code runs there at apply time.
impl Render for Db {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        if self.label.trim().is_empty() {
            return Err(ctx.invalid("data code needs a label that says what it does"));
        }
        Ok(vec![format!(
            "-- pgm.db: {} (Rust code, runs at apply time in the migration's transaction; not shown as SQL)",
            self.label.replace(['\n', '\r'], " ")
        )])
    }
}
