//! Extensions.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::name::{quote_ident, quote_list};
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;

fn check_names(ctx: Ctx, names: &[Ident]) -> Result<(), DslError> {
    if names.is_empty() {
        return Err(ctx.invalid("no extension names given"));
    }
    names.iter().try_for_each(|n| ctx.ident(n, "extension"))
}

impl Render for CreateExtension {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_names(ctx, &self.names)?;
        if self.comment.is_some() && self.names.len() > 1 {
            return Err(ctx.invalid(
                "a comment describes one extension; create the extensions one by one to comment each",
            ));
        }
        let schema = match &self.schema {
            Some(schema) => {
                ctx.ident(schema, "schema")?;
                format!(" SCHEMA {}", quote_ident(schema))
            }
            None => String::new(),
        };
        // CREATE EXTENSION takes one name: one statement per extension.
        let mut out: Vec<String> = self
            .names
            .iter()
            .map(|name| {
                format!(
                    "CREATE EXTENSION {}{}{schema}",
                    if self.if_not_exists {
                        "IF NOT EXISTS "
                    } else {
                        ""
                    },
                    quote_ident(name)
                )
            })
            .collect();
        if let (Some(text), [name]) = (&self.comment, self.names.as_slice()) {
            out.push(format!(
                "COMMENT ON EXTENSION {} IS {}",
                quote_ident(name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropExtension {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_names(ctx, &self.names)?;
        Ok(vec![format!(
            "DROP EXTENSION {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_list(&self.names),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}
