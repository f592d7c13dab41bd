//! Schemas.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{literal, quote_ident};
use crate::render::*;

impl Render for CreateSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.ident(&o.name, "schema")?;
        let mut sql = format!(
            "CREATE SCHEMA {}{}",
            if o.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_ident(&o.name)
        );
        if let Some(role) = &o.authorization {
            ctx.ident(role, "role")?;
            sql.push_str(&format!(" AUTHORIZATION {}", quote_ident(role)));
        }
        let mut out = vec![sql];
        if let Some(text) = &o.comment {
            out.push(format!(
                "COMMENT ON SCHEMA {} IS {}",
                quote_ident(&o.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.ident(&o.name, "schema")?;
        Ok(vec![format!(
            "DROP SCHEMA {}{}{}",
            if o.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&o.name),
            if o.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.ident(&o.from, "schema")?;
        ctx.ident(&o.to, "schema")?;
        Ok(vec![format!(
            "ALTER SCHEMA {} RENAME TO {}",
            quote_ident(&o.from),
            quote_ident(&o.to)
        )])
    }
}
