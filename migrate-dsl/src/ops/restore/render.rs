//! Restoring what a `CREATE OR REPLACE` replaced: the engine does it from its record, so the SQL shows
//! what will happen instead of the definition, which only the database knows.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::*;

impl RestorePrevious {
    /// What the engine runs in place of the comment [`render`](Render::render) shows.
    pub(crate) fn action(&self, ctx: Ctx) -> Result<Restore, DslError> {
        Ok(Restore {
            object: self.object.clone(),
            up_position: self.up_position,
            drop: self.drop.render(ctx.position)?,
        })
    }
}

impl Render for RestorePrevious {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let drop = self.drop.render(ctx.position)?.join("; ");
        Ok(vec![
            format!(
                "-- restore_previous: {} as it was before operation #{} of the `up`",
                self.object.describe(),
                self.up_position
            ),
            "--   (as recorded when the `up` ran; run by the engine, not shown as SQL), or, if it did not exist then:"
                .to_owned(),
            format!("--   {drop}"),
        ])
    }
}
