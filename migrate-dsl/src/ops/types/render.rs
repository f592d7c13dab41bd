//! Enum and composite types. Written by hand: sea-query's type statements have no composite types or
//! attribute actions.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::MAX_IDENTIFIER_BYTES;
use crate::name::{quote_ident, quote_name};
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;

/// PostgreSQL stores enum labels in a `name` column: 1 to 63 bytes. Longer labels are an error on the server;
/// catching them here names the operation.
fn check_label(ctx: Ctx, label: &str) -> Result<(), DslError> {
    if label.is_empty() {
        return Err(ctx.invalid("an enum label cannot be empty"));
    }
    if label.len() > MAX_IDENTIFIER_BYTES {
        return Err(ctx.invalid(format!(
            "enum label {label:?} is {} bytes long; PostgreSQL allows at most {MAX_IDENTIFIER_BYTES}",
            label.len()
        )));
    }
    if label.contains('\0') {
        return Err(ctx.invalid(format!("enum label {label:?} contains a NUL character")));
    }
    Ok(())
}

impl Render for CreateType {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "type")?;
        let body = match &self.definition {
            TypeDefinition::Enum(labels) => {
                for (i, label) in labels.iter().enumerate() {
                    check_label(ctx, label)?;
                    if labels[..i].contains(label) {
                        return Err(ctx.invalid(format!("enum label {label:?} is given twice")));
                    }
                }
                let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
                format!("ENUM ({})", labels.join(", "))
            }
            TypeDefinition::Composite(attributes) => {
                let mut parts = Vec::with_capacity(attributes.len());
                for (name, data_type) in attributes {
                    ctx.ident(name, "attribute")?;
                    if data_type.trim().is_empty() {
                        return Err(
                            ctx.invalid(format!("attribute {:?} has no type", name.as_str()))
                        );
                    }
                    parts.push(format!("{} {data_type}", quote_ident(name)));
                }
                format!("({})", parts.join(", "))
            }
        };
        let mut out = vec![format!("CREATE TYPE {} AS {body}", quote_name(&self.name))];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON TYPE {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropType {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "type")?;
        Ok(vec![format!(
            "DROP TYPE {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameType {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "type")?;
        ctx.ident(&self.to, "type")?;
        // RENAME TO takes a bare name: the type stays in its schema.
        Ok(vec![format!(
            "ALTER TYPE {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for AddTypeAttribute {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        ctx.ident(&self.attribute, "attribute")?;
        if self.data_type.trim().is_empty() {
            return Err(ctx.invalid("the attribute has no type"));
        }
        Ok(vec![format!(
            "ALTER TYPE {} ADD ATTRIBUTE {} {}",
            quote_name(&self.type_name),
            quote_ident(&self.attribute),
            self.data_type
        )])
    }
}

impl Render for DropTypeAttribute {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        ctx.ident(&self.attribute, "attribute")?;
        Ok(vec![format!(
            "ALTER TYPE {} DROP ATTRIBUTE {}{}",
            quote_name(&self.type_name),
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.attribute)
        )])
    }
}

impl Render for RenameTypeAttribute {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        ctx.ident(&self.from, "attribute")?;
        ctx.ident(&self.to, "attribute")?;
        Ok(vec![format!(
            "ALTER TYPE {} RENAME ATTRIBUTE {} TO {}",
            quote_name(&self.type_name),
            quote_ident(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for SetTypeAttribute {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        ctx.ident(&self.attribute, "attribute")?;
        if self.data_type.trim().is_empty() {
            return Err(ctx.invalid("no new type given for the attribute"));
        }
        Ok(vec![format!(
            "ALTER TYPE {} ALTER ATTRIBUTE {} SET DATA TYPE {}",
            quote_name(&self.type_name),
            quote_ident(&self.attribute),
            self.data_type
        )])
    }
}

impl Render for AddTypeValue {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        check_label(ctx, &self.value)?;
        let position =
            match (&self.before, &self.after) {
                (Some(_), Some(_)) => return Err(ctx.invalid(
                    "a new enum label goes either `before` or `after` an existing one, not both",
                )),
                (Some(label), None) => {
                    check_label(ctx, label)?;
                    format!(" BEFORE {}", literal(label))
                }
                (None, Some(label)) => {
                    check_label(ctx, label)?;
                    format!(" AFTER {}", literal(label))
                }
                (None, None) => String::new(),
            };
        Ok(vec![format!(
            "ALTER TYPE {} ADD VALUE {}{}{position}",
            quote_name(&self.type_name),
            if self.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            literal(&self.value)
        )])
    }
}

impl Render for RenameTypeValue {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.type_name, "type")?;
        check_label(ctx, &self.from)?;
        check_label(ctx, &self.to)?;
        Ok(vec![format!(
            "ALTER TYPE {} RENAME VALUE {} TO {}",
            quote_name(&self.type_name),
            literal(&self.from),
            literal(&self.to)
        )])
    }
}
