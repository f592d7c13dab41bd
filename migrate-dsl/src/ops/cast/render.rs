//! Casts. Types are SQL text (`numeric(10, 2)`, `app.money`), written as given after a check that they
//! cannot end the statement.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::quote_name;
use crate::ops::*;
use crate::render::Render;

/// A type as written in SQL: refused when empty or when it could smuggle in another statement.
pub(crate) fn check_type(ctx: Ctx, sql_type: &str) -> Result<(), DslError> {
    if sql_type.trim().is_empty() {
        return Err(ctx.invalid("empty type"));
    }
    if sql_type.contains(';') || sql_type.contains("--") || sql_type.contains("/*") {
        return Err(ctx.invalid(format!("{sql_type:?} is not a type")));
    }
    Ok(())
}

impl Render for CreateCast {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_type(ctx, &self.source)?;
        check_type(ctx, &self.target)?;
        let method = match &self.method {
            CastMethod::Function { name, arguments } => {
                ctx.name(name, "function")?;
                arguments.iter().try_for_each(|a| check_type(ctx, a))?;
                format!(
                    "WITH FUNCTION {}({})",
                    quote_name(name),
                    arguments.join(", ")
                )
            }
            CastMethod::WithoutFunction => "WITHOUT FUNCTION".to_owned(),
            CastMethod::Inout => "WITH INOUT".to_owned(),
        };
        let context = match self.context {
            CastContext::Explicit => "",
            CastContext::Assignment => " AS ASSIGNMENT",
            CastContext::Implicit => " AS IMPLICIT",
        };
        Ok(vec![format!(
            "CREATE CAST ({} AS {}) {method}{context}",
            self.source, self.target
        )])
    }
}

impl Render for DropCast {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_type(ctx, &self.source)?;
        check_type(ctx, &self.target)?;
        Ok(vec![format!(
            "DROP CAST {}({} AS {}){}",
            if self.if_exists { "IF EXISTS " } else { "" },
            self.source,
            self.target,
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}
