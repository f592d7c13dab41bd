//! Columns, built with sea-query where it has the statement.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::ops::constraint::naming::{choose, referenced_columns};
use crate::ops::{alter_table, *};
use crate::quote::literal;
use crate::render::*;
use crate::value::Change;
use sea_query::{Alias, ColumnDef as SqColumnDef, PostgresQueryBuilder, Table};

/// Validates the names of a column list and of what its columns reference; an empty list is an error
/// unless `allow_empty`.
pub(crate) fn check_columns(
    ctx: Ctx,
    columns: &[Column],
    allow_empty: bool,
) -> Result<(), DslError> {
    if columns.is_empty() && allow_empty {
        return Ok(());
    }
    ctx.columns(columns)?;
    for c in columns {
        if c.data_type.trim().is_empty() {
            return Err(ctx.invalid(format!("column {:?}: empty type", c.name.as_str())));
        }
    }
    Ok(())
}

/// `GENERATED ALWAYS | BY DEFAULT AS IDENTITY [(options)]`.
fn identity_sql(identity: &Identity) -> String {
    let options = identity.sequence_options();
    let mut sql = format!("GENERATED {} AS IDENTITY", identity.kind.as_sql());
    if !options.is_empty() {
        sql.push_str(&format!(" ({})", options.join(" ")));
    }
    sql
}

/// The column's options after its type: `COLLATE` first (it belongs to the type), then the constraints.
/// Validated, so conflicting options fail here with the column's name instead of on the server.
fn column_options(ctx: Ctx, c: &Column) -> Result<String, DslError> {
    let column = c.name.as_str();
    if let Some(option) = c.orphan_fk_option {
        return Err(ctx.invalid(format!(
            "column {column:?}: `{option}` needs `references` first; chain it after `.references(..)`"
        )));
    }
    let generated_by = match (&c.generated, &c.identity) {
        (Some(_), Some(_)) => {
            return Err(ctx.invalid(format!(
                "column {column:?}: a column is either generated from an expression or an identity, not both"
            )))
        }
        (Some(_), None) => Some("a generated column"),
        (None, Some(_)) => Some("an identity column"),
        (None, None) => None,
    };
    if let (Some(kind), Some(_)) = (generated_by, &c.default) {
        return Err(ctx.invalid(format!("column {column:?}: {kind} cannot have a default")));
    }

    let mut out = String::new();
    if let Some(collation) = &c.collation {
        ctx.name(collation, "collation")?;
        out.push_str(&format!(" COLLATE {}", quote_name(collation)));
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        out.push_str(" DEFAULT ");
        out.push_str(&default.to_sql());
    }
    if let Some(expression) = &c.generated {
        out.push_str(&format!(" GENERATED ALWAYS AS ({expression}) STORED"));
    }
    if let Some(identity) = &c.identity {
        out.push(' ');
        out.push_str(&identity_sql(identity));
    }
    if c.unique {
        out.push_str(" UNIQUE");
    }
    if c.primary_key {
        out.push_str(" PRIMARY KEY");
    }
    if let Some(check) = &c.check {
        out.push_str(&format!(" CHECK ({check})"));
    }
    // The referenced names were checked with the column list (`check_columns`).
    if let Some(r) = &c.references {
        if let Some(name) = &r.constraint_name {
            ctx.ident(name, "constraint")?;
            out.push_str(&format!(" CONSTRAINT {}", quote_ident(name)));
        }
        out.push_str(&format!(" REFERENCES {}", quote_name(&r.table)));
        if !r.columns.is_empty() {
            out.push_str(&format!(" ({})", quote_list(&r.columns)));
        }
        if let Some(m) = r.match_type {
            out.push_str(&format!(" {}", m.as_sql()));
        }
        if let Some(action) = r.on_delete {
            out.push_str(&format!(" ON DELETE {}", action.as_sql()));
        }
        if let Some(action) = r.on_update {
            out.push_str(&format!(" ON UPDATE {}", action.as_sql()));
        }
        // Directly after REFERENCES, so it applies to the foreign key.
        match r.deferrable {
            Some(true) => out.push_str(" DEFERRABLE INITIALLY DEFERRED"),
            Some(false) => out.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
            None => {}
        }
    }
    Ok(out)
}

/// `"name" type options`, as written inside `CREATE TABLE`.
pub(crate) fn column_sql(ctx: Ctx, c: &Column) -> Result<String, DslError> {
    Ok(format!(
        "{} {}{}",
        quote_ident(&c.name),
        c.data_type,
        column_options(ctx, c)?
    ))
}

/// The same column for sea-query's `ADD COLUMN`; the type is SQL, so it is passed through unquoted.
pub(crate) fn column_def(c: &Column, options: &str) -> SqColumnDef {
    let mut def = SqColumnDef::new(alias(&c.name));
    def.custom(Alias::new(c.data_type.as_str()));
    if !options.is_empty() {
        def.extra(options.trim_start().to_owned());
    }
    def
}

/// `COMMENT ON COLUMN` for each column that has a comment.
pub(crate) fn column_comments<'a>(
    table: &'a Name,
    columns: &'a [Column],
) -> impl Iterator<Item = String> + 'a {
    columns.iter().filter_map(move |c| {
        c.comment.as_ref().map(|text| {
            format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                quote_name(table),
                quote_ident(&c.name),
                literal(text)
            )
        })
    })
}

/// `ALTER TABLE IF EXISTS` in place of sea-query's `ALTER TABLE`, which has no such form.
fn if_table_exists(sql: String, yes: bool) -> String {
    match sql.strip_prefix("ALTER TABLE ") {
        Some(rest) if yes => format!("ALTER TABLE IF EXISTS {rest}"),
        _ => sql,
    }
}

impl Render for AddColumns {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        check_columns(ctx, &self.columns, false)?;
        if self.columns.iter().filter(|c| c.primary_key).count() > 1 {
            return Err(ctx.invalid(
                "several columns are marked `primary_key()`; a table has one primary key: add the columns, then \
                 `add_constraint(table, None, Constraint::primary_key([..]))` for the composite key",
            ));
        }
        let mut stmt = Table::alter();
        stmt.table(table_ref(&self.table));
        for c in &self.columns {
            let def = column_def(c, &column_options(ctx, c)?);
            if self.if_not_exists {
                stmt.add_column_if_not_exists(def);
            } else {
                stmt.add_column(def);
            }
        }
        let mut out = vec![if_table_exists(
            stmt.to_string(PostgresQueryBuilder),
            self.if_table_exists,
        )];
        out.extend(column_comments(&self.table, &self.columns));
        Ok(out)
    }
}

impl Render for DropColumns {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.idents(&self.columns, "column")?;
        // sea-query has no CASCADE on DROP COLUMN, so this statement is written here.
        let cascade = if self.cascade { " CASCADE" } else { "" };
        let if_exists = if self.if_exists { "IF EXISTS " } else { "" };
        let actions: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("DROP COLUMN {if_exists}{}{cascade}", quote_ident(c)))
            .collect();
        Ok(vec![format!(
            "{} {}",
            alter_table(&self.table, self.if_table_exists),
            actions.join(", ")
        )])
    }
}

impl Render for RenameColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.from, "column")?;
        ctx.ident(&self.to, "column")?;
        Ok(vec![if_table_exists(
            Table::alter()
                .table(table_ref(&self.table))
                .rename_column(alias(&self.from), alias(&self.to))
                .to_string(PostgresQueryBuilder),
            self.if_table_exists,
        )])
    }
}

impl Render for AlterColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.column, "column")?;
        if self.using.is_some() && self.set_type.is_none() {
            return Err(
                ctx.invalid("`using` converts values to a new type; give the type with `set_type`")
            );
        }
        if self.collation.is_some() && self.set_type.is_none() {
            return Err(ctx.invalid(
                "PostgreSQL changes a collation together with the type; give the type (it may be the same) with `set_type`",
            ));
        }
        let col = quote_ident(&self.column);
        let mut actions = Vec::new();
        if let Some(ty) = &self.set_type {
            let collate = match &self.collation {
                Some(collation) => {
                    ctx.name(collation, "collation")?;
                    format!(" COLLATE {}", quote_name(collation))
                }
                None => String::new(),
            };
            let using = self
                .using
                .as_ref()
                .map(|u| format!(" USING {u}"))
                .unwrap_or_default();
            actions.push(format!(
                "ALTER COLUMN {col} SET DATA TYPE {ty}{collate}{using}"
            ));
        }
        match &self.default {
            Change::Set(v) => {
                actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", v.to_sql()))
            }
            Change::Remove => actions.push(format!("ALTER COLUMN {col} DROP DEFAULT")),
            Change::Keep => {}
        }
        match self.not_null {
            Some(true) => actions.push(format!("ALTER COLUMN {col} SET NOT NULL")),
            Some(false) => actions.push(format!("ALTER COLUMN {col} DROP NOT NULL")),
            None => {}
        }
        // After SET NOT NULL: adding an identity needs a NOT NULL column.
        match &self.identity {
            Some(IdentityChange::Add(identity)) => {
                actions.push(format!("ALTER COLUMN {col} ADD {}", identity_sql(identity)))
            }
            Some(IdentityChange::Set(identity)) => {
                let mut action = format!(
                    "ALTER COLUMN {col} SET GENERATED {}",
                    identity.kind.as_sql()
                );
                for option in identity.sequence_options() {
                    action.push_str(" SET ");
                    action.push_str(&option);
                }
                actions.push(action);
            }
            Some(IdentityChange::Drop { if_exists }) => actions.push(format!(
                "ALTER COLUMN {col} DROP IDENTITY{}",
                if *if_exists { " IF EXISTS" } else { "" }
            )),
            None => {}
        }
        if self.drop_expression {
            actions.push(format!("ALTER COLUMN {col} DROP EXPRESSION"));
        }
        if self.if_table_exists && !self.comment.is_keep() {
            return Err(ctx.invalid(
                "`if_table_exists` cannot guard the comment: COMMENT ON COLUMN has no IF EXISTS; set the comment in a separate `alter_column`",
            ));
        }
        let mut out = Vec::new();
        if !actions.is_empty() {
            out.push(format!(
                "{} {}",
                alter_table(&self.table, self.if_table_exists),
                actions.join(", ")
            ));
        }
        if !self.comment.is_keep() {
            let text = self
                .comment
                .value()
                .map_or_else(|| "NULL".to_owned(), |text| literal(text));
            out.push(format!(
                "COMMENT ON COLUMN {}.{col} IS {text}",
                quote_name(&self.table)
            ));
        }
        if out.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `set_type`, `set_default`, `set_not_null`, `add_identity`, ...",
            ));
        }
        Ok(out)
    }
}

/// The names PostgreSQL gives the constraints written on columns of a new table (`PRIMARY KEY`,
/// `UNIQUE`, `REFERENCES` and `CHECK` after a column), so table constraints derived after them do not
/// take the same names.
pub(crate) fn column_constraint_names(table: &Name, columns: &[Column]) -> Vec<String> {
    let table = table.name().as_str();
    let known: Vec<String> = columns.iter().map(|c| c.name.as_str().to_owned()).collect();
    let mut taken = Vec::new();
    for c in columns {
        let column = c.name.as_str();
        if let Some(check) = &c.check {
            let used = referenced_columns(check, Some(&known));
            let on = (used.len() == 1).then(|| used[0].as_str());
            choose(table, on, "check", &mut taken);
        }
        if c.primary_key {
            choose(table, None, "pkey", &mut taken);
        }
        if c.unique {
            choose(table, Some(column), "key", &mut taken);
        }
        if let Some(r) = &c.references {
            match &r.constraint_name {
                Some(name) => taken.push(name.as_str().to_owned()),
                None => {
                    choose(table, Some(column), "fkey", &mut taken);
                }
            }
        }
    }
    taken
}
