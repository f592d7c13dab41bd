//! Table constraints. Written by hand: sea-query has no `NOT VALID`, `VALIDATE CONSTRAINT`, `EXCLUDE` or
//! `USING INDEX`.

use super::naming::constraint_names;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::name::{Ident, Name};
use crate::ops::{index_element, *};
use crate::quote::literal;
use crate::render::*;

/// Where a constraint is being written: `USING INDEX` exists only in `ALTER TABLE ... ADD CONSTRAINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConstraintSite {
    AddConstraint,
    CreateTable,
}

/// `CONSTRAINT name <definition> [DEFERRABLE INITIALLY ...]`, validated: one per name in `names` (see
/// [`constraint_names`]; a list of checks has one name per expression).
pub(crate) fn constraint_sql(
    ctx: Ctx,
    names: &[Ident],
    c: &Constraint,
    site: ConstraintSite,
) -> Result<Vec<String>, DslError> {
    if let ConstraintKind::Check(expressions) = &c.kind {
        return expressions
            .iter()
            .zip(names)
            .map(|(expression, name)| {
                let one = Constraint {
                    kind: ConstraintKind::Check(vec![expression.clone()]),
                    ..c.clone()
                };
                one_constraint_sql(ctx, name, &one, expression, site)
            })
            .collect();
    }
    let name = names
        .first()
        .ok_or_else(|| ctx.invalid("constraint without a name"))?;
    Ok(vec![one_constraint_sql(ctx, name, c, "", site)?])
}

/// One constraint; `check` is its expression when it is a `CHECK`.
fn one_constraint_sql(
    ctx: Ctx,
    name: &Ident,
    c: &Constraint,
    check: &str,
    site: ConstraintSite,
) -> Result<String, DslError> {
    ctx.ident(name, "constraint")?;
    if let Some((option, applies_to)) = c.misplaced {
        return Err(ctx.invalid(format!(
            "constraint {:?}: `{option}` applies to {applies_to} only",
            name.as_str()
        )));
    }
    let body = constraint_body(ctx, name, &c.kind, check, site)?;
    let mut sql = format!("CONSTRAINT {} {body}", quote_ident(name));
    if let Some(initially_deferred) = c.deferrable {
        if matches!(c.kind, ConstraintKind::Check(_)) {
            return Err(ctx.invalid(format!(
                "constraint {:?}: CHECK constraints cannot be deferrable",
                name.as_str()
            )));
        }
        sql.push_str(if initially_deferred {
            " DEFERRABLE INITIALLY DEFERRED"
        } else {
            " DEFERRABLE INITIALLY IMMEDIATE"
        });
    }
    Ok(sql)
}

/// What follows `CONSTRAINT name`, validated: `CHECK (...)`, `UNIQUE (...)`, `FOREIGN KEY ...` and so on.
fn constraint_body(
    ctx: Ctx,
    name: &Ident,
    kind: &ConstraintKind,
    check: &str,
    site: ConstraintSite,
) -> Result<String, DslError> {
    let body = match kind {
        ConstraintKind::Check(_) => {
            if check.trim().is_empty() {
                return Err(ctx.invalid(format!(
                    "constraint {:?}: empty CHECK expression",
                    name.as_str()
                )));
            }
            format!("CHECK ({check})")
        }
        ConstraintKind::Unique {
            columns,
            nulls_not_distinct,
        } => {
            ctx.idents(columns, "column")?;
            format!(
                "UNIQUE {}({})",
                if *nulls_not_distinct {
                    "NULLS NOT DISTINCT "
                } else {
                    ""
                },
                quote_list(columns)
            )
        }
        ConstraintKind::PrimaryKey(columns) => {
            ctx.idents(columns, "column")?;
            format!("PRIMARY KEY ({})", quote_list(columns))
        }
        ConstraintKind::UsingIndex { primary, index } => {
            if site == ConstraintSite::CreateTable {
                return Err(ctx.invalid(format!(
                    "constraint {:?}: `USING INDEX` needs an existing index, so it works in `add_constraint` only",
                    name.as_str()
                )));
            }
            ctx.ident(index, "index")?;
            format!(
                "{} USING INDEX {}",
                if *primary { "PRIMARY KEY" } else { "UNIQUE" },
                quote_ident(index)
            )
        }
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            match_type,
        } => {
            let mut s = foreign_key_sql(ctx, columns, references, referenced_columns)?;
            s.push_str(&foreign_key_rules(
                match_type.as_ref(),
                on_delete.as_ref(),
                on_update.as_ref(),
            ));
            s
        }
        ConstraintKind::Exclude {
            method,
            elements,
            where_clause,
        } => exclude_sql(ctx, name, method, elements, where_clause.as_deref())?,
    };
    Ok(body)
}

/// `FOREIGN KEY (columns) REFERENCES table [(columns)]`, validated.
fn foreign_key_sql(
    ctx: Ctx,
    columns: &[Ident],
    references: &Name,
    referenced_columns: &[Ident],
) -> Result<String, DslError> {
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
    Ok(s)
}

/// A foreign key's ` MATCH ...`, ` ON DELETE ...` and ` ON UPDATE ...`, those it has, in that order.
fn foreign_key_rules(
    match_type: Option<&FkMatch>,
    on_delete: Option<&FkAction>,
    on_update: Option<&FkAction>,
) -> String {
    let mut s = String::new();
    if let Some(m) = match_type {
        s.push_str(&format!(" {}", m.as_sql()));
    }
    if let Some(a) = on_delete {
        s.push_str(&format!(" ON DELETE {}", a.as_sql()));
    }
    if let Some(a) = on_update {
        s.push_str(&format!(" ON UPDATE {}", a.as_sql()));
    }
    s
}

/// `EXCLUDE USING method (element WITH operator, ...) [WHERE (predicate)]`, validated.
fn exclude_sql(
    ctx: Ctx,
    name: &Ident,
    method: &str,
    elements: &[(IndexColumn, String)],
    where_clause: Option<&str>,
) -> Result<String, DslError> {
    if elements.is_empty() {
        return Err(DslError::NoColumns {
            op: ctx.op,
            position: ctx.position,
        });
    }
    if method.trim().is_empty() {
        return Err(ctx.invalid(format!(
            "constraint {:?}: empty index method; exclusion constraints usually use \"gist\"",
            name.as_str()
        )));
    }
    let elements = elements
        .iter()
        .map(|(element, operator)| {
            if operator.trim().is_empty() {
                return Err(ctx.invalid(format!(
                    "constraint {:?}: empty operator in EXCLUDE",
                    name.as_str()
                )));
            }
            Ok(format!("{} WITH {operator}", index_element(ctx, element)?))
        })
        .collect::<Result<Vec<_>, DslError>>()?;
    let mut s = format!("EXCLUDE USING {method} ({})", elements.join(", "));
    if let Some(predicate) = where_clause {
        s.push_str(&format!(" WHERE ({predicate})"));
    }
    Ok(s)
}

/// `COMMENT ON CONSTRAINT name ON table IS '...'` for each name, when the constraint has a comment.
pub(crate) fn constraint_comment(table: &Name, names: &[Ident], c: &Constraint) -> Vec<String> {
    let Some(text) = &c.comment else {
        return Vec::new();
    };
    names
        .iter()
        .map(|name| {
            format!(
                "COMMENT ON CONSTRAINT {} ON {} IS {}",
                quote_ident(name),
                quote_name(table),
                literal(text)
            )
        })
        .collect()
}

/// `ALTER TABLE [IF EXISTS] table`.
pub(crate) fn alter_table(table: &Name, if_table_exists: bool) -> String {
    format!(
        "ALTER TABLE {}{}",
        if if_table_exists { "IF EXISTS " } else { "" },
        quote_name(table)
    )
}

impl AddConstraint {
    /// The names of the constraints it adds: the given one, or those PostgreSQL would derive.
    pub(crate) fn names(&self, ctx: Ctx) -> Result<Vec<Ident>, DslError> {
        constraint_names(
            ctx,
            &self.table,
            self.name.as_ref(),
            &self.constraint,
            None,
            &mut Vec::new(),
        )
    }
}

impl Render for AddConstraint {
    fn needs_server(&self) -> Vec<Needs> {
        constraint_needs(&self.constraint)
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        let names = self.names(ctx)?;
        let constraints =
            constraint_sql(ctx, &names, &self.constraint, ConstraintSite::AddConstraint)?;
        let not_valid = if self.not_valid {
            if !matches!(
                self.constraint.kind,
                ConstraintKind::Check(_) | ConstraintKind::ForeignKey { .. }
            ) {
                return Err(
                    ctx.invalid("`not_valid` applies to CHECK and foreign key constraints only")
                );
            }
            " NOT VALID"
        } else {
            ""
        };
        let adds: Vec<String> = constraints
            .iter()
            .map(|c| format!("ADD {c}{not_valid}"))
            .collect();
        let mut out = vec![format!(
            "{} {}",
            alter_table(&self.table, self.if_table_exists),
            adds.join(", ")
        )];
        out.extend(constraint_comment(&self.table, &names, &self.constraint));
        Ok(out)
    }
}

impl Render for DropConstraint {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "constraint")?;
        Ok(vec![format!(
            "{} DROP CONSTRAINT {}{}{}",
            alter_table(&self.table, self.if_table_exists),
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameConstraint {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.from, "constraint")?;
        ctx.ident(&self.to, "constraint")?;
        Ok(vec![format!(
            "{} RENAME CONSTRAINT {} TO {}",
            alter_table(&self.table, self.if_table_exists),
            quote_ident(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for ValidateConstraint {
    fn starts_transaction(&self, _index: usize) -> bool {
        true
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "constraint")?;
        Ok(vec![format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            quote_name(&self.table),
            quote_ident(&self.name)
        )])
    }
}

/// `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15).
pub(crate) fn constraint_needs(constraint: &Constraint) -> Vec<Needs> {
    match &constraint.kind {
        ConstraintKind::Unique {
            nulls_not_distinct: true,
            ..
        } => vec![Needs::new(15, "UNIQUE NULLS NOT DISTINCT")],
        _ => Vec::new(),
    }
}
