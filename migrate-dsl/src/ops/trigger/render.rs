//! Triggers. Written by hand: sea-query has no `CREATE TRIGGER`.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::ops::{check_sql, *};
use crate::quote::literal;
use crate::render::*;
use crate::safeguard::Safeguard;

impl CreateTrigger {
    /// Combinations PostgreSQL rejects, caught before anything is sent.
    fn check(&self, ctx: Ctx) -> Result<TriggerTiming, DslError> {
        let Some(timing) = self.timing else {
            return Err(ctx.invalid("no timing: chain `before`, `after` or `instead_of`"));
        };
        if self.events.is_empty() {
            return Err(ctx.invalid(
                "no event: chain `on_insert`, `on_update`, `on_update_of`, `on_delete` or `on_truncate`",
            ));
        }
        let truncate = self.events.contains(&TriggerEvent::Truncate);
        if truncate && self.for_each_row {
            return Err(ctx.invalid("TRUNCATE triggers fire FOR EACH STATEMENT only"));
        }
        if timing == TriggerTiming::InsteadOf {
            if !self.for_each_row {
                return Err(ctx.invalid("INSTEAD OF triggers must be FOR EACH ROW"));
            }
            if self.when.is_some() {
                return Err(ctx.invalid("INSTEAD OF triggers cannot have a WHEN condition"));
            }
            if self
                .events
                .iter()
                .any(|e| matches!(e, TriggerEvent::Update(cols) if !cols.is_empty()))
            {
                return Err(ctx.invalid("INSTEAD OF triggers cannot use UPDATE OF columns"));
            }
        }
        if self.constraint {
            if timing != TriggerTiming::After || !self.for_each_row {
                return Err(ctx.invalid("a constraint trigger must be AFTER ... FOR EACH ROW"));
            }
        } else if self.deferrable {
            return Err(ctx.invalid("only constraint triggers can be deferred; chain `constraint`"));
        }
        Ok(timing)
    }

    /// The function the trigger executes, and the statements creating it when it is defined inline.
    fn function(&self, ctx: Ctx) -> Result<(Name, Vec<String>), DslError> {
        match &self.function {
            TriggerFunction::Existing(name) => {
                if self.language_without_function {
                    return Err(ctx.invalid(
                        "`language` applies to a trigger's inline function (create_trigger_with_function), \
                         not to an existing function",
                    ));
                }
                ctx.name(name, "function")?;
                Ok((name.clone(), Vec::new()))
            }
            TriggerFunction::Inline(function) => {
                Ok((function.function_name().clone(), function.render(ctx)?))
            }
        }
    }
}

impl Render for CreateTrigger {
    // An inline function comes first; with OR REPLACE, what it replaces is recorded.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        match &self.function {
            TriggerFunction::Inline(function) if index == 0 => function.replaced(),
            _ => None,
        }
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "trigger")?;
        let timing = self.check(ctx)?;
        let (function, mut out) = self.function(ctx)?;
        let events = self
            .events
            .iter()
            .map(|e| {
                Ok(match e {
                    TriggerEvent::Insert => "INSERT".to_owned(),
                    TriggerEvent::Update(cols) if cols.is_empty() => "UPDATE".to_owned(),
                    TriggerEvent::Update(cols) => {
                        ctx.idents(cols, "column")?;
                        format!("UPDATE OF {}", quote_list(cols))
                    }
                    TriggerEvent::Delete => "DELETE".to_owned(),
                    TriggerEvent::Truncate => "TRUNCATE".to_owned(),
                })
            })
            .collect::<Result<Vec<_>, DslError>>()?;
        let mut sql = format!(
            "CREATE {}TRIGGER {} {} {} ON {}",
            if self.constraint { "CONSTRAINT " } else { "" },
            quote_ident(&self.name),
            match timing {
                TriggerTiming::Before => "BEFORE",
                TriggerTiming::After => "AFTER",
                TriggerTiming::InsteadOf => "INSTEAD OF",
            },
            events.join(" OR "),
            quote_name(&self.table)
        );
        if self.deferrable {
            sql.push_str(" DEFERRABLE");
        }
        if self.initially_deferred {
            sql.push_str(" INITIALLY DEFERRED");
        }
        sql.push_str(if self.for_each_row {
            " FOR EACH ROW"
        } else {
            " FOR EACH STATEMENT"
        });
        if let Some(condition) = &self.when {
            check_sql(ctx, condition, "WHEN condition")?;
            sql.push_str(&format!(" WHEN ({condition})"));
        }
        let arguments: Vec<String> = self.arguments.iter().map(|v| v.to_sql()).collect();
        sql.push_str(&format!(
            " EXECUTE FUNCTION {}({})",
            quote_name(&function),
            arguments.join(", ")
        ));
        out.push(sql);
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON TRIGGER {} ON {} IS {}",
                quote_ident(&self.name),
                quote_name(&self.table),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropTrigger {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "trigger")?;
        Ok(vec![format!(
            "DROP TRIGGER {}{} ON {}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.name),
            quote_name(&self.table),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameTrigger {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.from, "trigger")?;
        ctx.ident(&self.to, "trigger")?;
        Ok(vec![format!(
            "ALTER TRIGGER {} ON {} RENAME TO {}",
            quote_ident(&self.from),
            quote_name(&self.table),
            quote_ident(&self.to)
        )])
    }
}
