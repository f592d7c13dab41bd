//! Schemas.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::quote_ident;
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;

impl Render for CreateSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.name, "schema")?;
        let mut sql = format!(
            "CREATE SCHEMA {}{}",
            if self.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_ident(&self.name)
        );
        if let Some(role) = &self.authorization {
            ctx.ident(role, "role")?;
            sql.push_str(&format!(" AUTHORIZATION {}", quote_ident(role)));
        }
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON SCHEMA {} IS {}",
                quote_ident(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.name, "schema")?;
        Ok(vec![format!(
            "DROP SCHEMA {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameSchema {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.from, "schema")?;
        ctx.ident(&self.to, "schema")?;
        Ok(vec![format!(
            "ALTER SCHEMA {} RENAME TO {}",
            quote_ident(&self.from),
            quote_ident(&self.to)
        )])
    }
}
