//! A gate renders as the comment saying what the engine checks before the migration starts.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::RequireBackgroundJobs;
use crate::render::Render;

impl Render for RequireBackgroundJobs {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let name = self.migration.trim();
        // A migration's name: `<timestamp>_<snake name>`, as the gate compares it with the jobs' records.
        let valid = name.len() > 15
            && name.as_bytes()[..14].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[14] == b'_'
            && !name.contains(['\n', '\r']);
        if !valid {
            return Err(ctx.invalid(format!(
                "{:?} is not a migration's name (`<YYYYMMDDHHMMSS>_<name>`, as `migrate status` lists it)",
                self.migration
            )));
        }
        Ok(vec![format!(
            "-- requires the background jobs queued by {name} to have finished (checked before the migration starts)"
        )])
    }
}
