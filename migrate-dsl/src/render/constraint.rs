//! Table constraints. Written by hand: sea-query has no `NOT VALID` or `VALIDATE CONSTRAINT`.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{quote_ident, quote_list, quote_name};

use super::*;

impl Render for AddConstraint {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.name, "constraint")?;
        let body = match &o.constraint {
            Constraint::Check(expression) => format!("CHECK ({expression})"),
            Constraint::Unique(columns) => {
                ctx.idents(columns, "column")?;
                format!("UNIQUE ({})", quote_list(columns))
            }
            Constraint::PrimaryKey(columns) => {
                ctx.idents(columns, "column")?;
                format!("PRIMARY KEY ({})", quote_list(columns))
            }
            Constraint::ForeignKey {
                columns,
                references,
                referenced_columns,
                on_delete,
                on_update,
            } => {
                ctx.idents(columns, "column")?;
                ctx.name(references, "referenced table")?;
                referenced_columns
                    .iter()
                    .try_for_each(|c| ctx.ident(c, "referenced column"))?;
                let mut s = format!(
                    "FOREIGN KEY ({}) REFERENCES {}",
                    quote_list(columns),
                    quote_name(references)
                );
                if !referenced_columns.is_empty() {
                    s.push_str(&format!(" ({})", quote_list(referenced_columns)));
                }
                if let Some(a) = on_delete {
                    s.push_str(&format!(" ON DELETE {}", a.as_sql()));
                }
                if let Some(a) = on_update {
                    s.push_str(&format!(" ON UPDATE {}", a.as_sql()));
                }
                s
            }
        };
        let mut sql = format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {body}",
            quote_name(&o.table),
            quote_ident(&o.name)
        );
        match o.deferrable {
            Some(true) => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
            Some(false) => sql.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
            None => {}
        }
        if o.not_valid {
            sql.push_str(" NOT VALID");
        }
        Ok(vec![sql])
    }
}

impl Render for DropConstraint {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.name, "constraint")?;
        Ok(vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT {}{}{}",
            quote_name(&o.table),
            if o.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&o.name),
            if o.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for ValidateConstraint {
    fn starts_transaction(&self, _index: usize) -> bool {
        true
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.name, "constraint")?;
        Ok(vec![format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            quote_name(&o.table),
            quote_ident(&o.name)
        )])
    }
}
