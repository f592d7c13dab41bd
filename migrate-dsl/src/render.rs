//! The one place where operations become SQL text.
//!
//! Table and column statements are built with sea-query, which owns their structure and identifier quoting;
//! column options, constraints and indexes (where sea-query has no `NOT VALID`, `REFERENCES` on a column or
//! partial indexes) are written here with the same quoting rules from [`crate::quote`].

use sea_query::{Alias, ColumnDef as SqColumnDef, PostgresQueryBuilder, Table, TableRef};

use crate::column::{Column, References};
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;
use crate::quote::{literal, quote_ident, quote_list, quote_name};

/// Renders one operation, recorded at 1-based `position`, into its SQL statements (in execution order).
pub(crate) fn render(op: &Operation, position: usize) -> Result<Vec<String>, DslError> {
    let ctx = Ctx {
        op: op.name(),
        position,
    };
    match op {
        Operation::Sql(o) => {
            if o.sql.trim().is_empty() {
                return Err(DslError::EmptySql {
                    op: ctx.op,
                    position,
                });
            }
            Ok(vec![o.sql.clone()])
        }
        Operation::Irreversible(o) => Err(DslError::Refused {
            op: ctx.op,
            position,
            reason: o.reason.clone(),
        }),
        Operation::CreateTable(o) => create_table(ctx, o),
        Operation::DropTable(o) => drop_table(ctx, o),
        Operation::RenameTable(o) => {
            ctx.name(&o.from, "table")?;
            ctx.ident(&o.to, "table")?;
            // RENAME TO takes a bare name: the table stays in its schema.
            Ok(vec![Table::rename()
                .table(table_ref(&o.from), alias(&o.to))
                .to_string(PostgresQueryBuilder)])
        }
        Operation::AddColumns(o) => add_columns(ctx, o),
        Operation::DropColumns(o) => drop_columns(ctx, o),
        Operation::RenameColumn(o) => {
            ctx.name(&o.table, "table")?;
            ctx.ident(&o.from, "column")?;
            ctx.ident(&o.to, "column")?;
            Ok(vec![Table::alter()
                .table(table_ref(&o.table))
                .rename_column(alias(&o.from), alias(&o.to))
                .to_string(PostgresQueryBuilder)])
        }
        Operation::AlterColumn(o) => alter_column(ctx, o),
        Operation::CreateIndex(o) => create_index(ctx, o),
        Operation::DropIndex(o) => drop_index(ctx, o),
        Operation::AddConstraint(o) => add_constraint(ctx, o),
        Operation::DropConstraint(o) => {
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
        Operation::ValidateConstraint(o) => {
            ctx.name(&o.table, "table")?;
            ctx.ident(&o.name, "constraint")?;
            Ok(vec![format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                quote_name(&o.table),
                quote_ident(&o.name)
            )])
        }
    }
}

/// The operation being rendered, so every validation error names it.
#[derive(Clone, Copy)]
struct Ctx {
    op: &'static str,
    position: usize,
}

impl Ctx {
    fn ident(self, ident: &Ident, what: &'static str) -> Result<(), DslError> {
        ident.check(self.op, self.position, what)
    }
    fn name(self, name: &Name, what: &'static str) -> Result<(), DslError> {
        name.check(self.op, self.position, what)
    }
    fn idents(self, idents: &[Ident], what: &'static str) -> Result<(), DslError> {
        if idents.is_empty() {
            return Err(DslError::NoColumns {
                op: self.op,
                position: self.position,
            });
        }
        idents.iter().try_for_each(|i| self.ident(i, what))
    }
    fn columns(self, columns: &[Column]) -> Result<(), DslError> {
        if columns.is_empty() {
            return Err(DslError::NoColumns {
                op: self.op,
                position: self.position,
            });
        }
        for c in columns {
            self.ident(&c.name, "column")?;
            if let Some(r) = &c.references {
                self.references(r)?;
            }
        }
        Ok(())
    }
    fn references(self, r: &References) -> Result<(), DslError> {
        self.name(&r.table, "referenced table")?;
        r.columns
            .iter()
            .try_for_each(|c| self.ident(c, "referenced column"))
    }
}

fn alias(ident: &Ident) -> Alias {
    Alias::new(ident.as_str())
}

fn table_ref(name: &Name) -> TableRef {
    match &name.schema {
        Some(schema) => (alias(schema), alias(&name.name)).into(),
        None => alias(&name.name).into(),
    }
}

/// Column options after the type, in PostgreSQL's documented order.
fn column_options(c: &Column) -> String {
    let mut out = String::new();
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        out.push_str(" DEFAULT ");
        out.push_str(&default.to_sql());
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
    if let Some(r) = &c.references {
        out.push_str(&format!(" REFERENCES {}", quote_name(&r.table)));
        if !r.columns.is_empty() {
            out.push_str(&format!(" ({})", quote_list(&r.columns)));
        }
        if let Some(action) = r.on_delete {
            out.push_str(&format!(" ON DELETE {}", action.as_sql()));
        }
        if let Some(action) = r.on_update {
            out.push_str(&format!(" ON UPDATE {}", action.as_sql()));
        }
    }
    out
}

fn column_def(c: &Column) -> SqColumnDef {
    let mut def = SqColumnDef::new(alias(&c.name));
    def.custom(Alias::new(c.data_type.as_str()));
    let options = column_options(c);
    if !options.is_empty() {
        def.extra(options.trim_start().to_owned());
    }
    def
}

fn column_comments<'a>(
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

fn create_table(ctx: Ctx, o: &CreateTable) -> Result<Vec<String>, DslError> {
    ctx.name(&o.name, "table")?;
    ctx.columns(&o.columns)?;
    let mut stmt = Table::create();
    stmt.table(table_ref(&o.name));
    if o.if_not_exists {
        stmt.if_not_exists();
    }
    for c in &o.columns {
        stmt.col(column_def(c));
    }
    let mut out = vec![stmt.to_string(PostgresQueryBuilder)];
    if let Some(text) = &o.comment {
        out.push(format!(
            "COMMENT ON TABLE {} IS {}",
            quote_name(&o.name),
            literal(text)
        ));
    }
    out.extend(column_comments(&o.name, &o.columns));
    Ok(out)
}

fn drop_table(ctx: Ctx, o: &DropTable) -> Result<Vec<String>, DslError> {
    ctx.name(&o.name, "table")?;
    let mut stmt = Table::drop();
    stmt.table(table_ref(&o.name));
    if o.if_exists {
        stmt.if_exists();
    }
    if o.cascade {
        stmt.cascade();
    }
    Ok(vec![stmt.to_string(PostgresQueryBuilder)])
}

fn add_columns(ctx: Ctx, o: &AddColumns) -> Result<Vec<String>, DslError> {
    ctx.name(&o.table, "table")?;
    ctx.columns(&o.columns)?;
    let mut stmt = Table::alter();
    stmt.table(table_ref(&o.table));
    for c in &o.columns {
        if o.if_not_exists {
            stmt.add_column_if_not_exists(column_def(c));
        } else {
            stmt.add_column(column_def(c));
        }
    }
    let mut out = vec![stmt.to_string(PostgresQueryBuilder)];
    out.extend(column_comments(&o.table, &o.columns));
    Ok(out)
}

fn drop_columns(ctx: Ctx, o: &DropColumns) -> Result<Vec<String>, DslError> {
    ctx.name(&o.table, "table")?;
    ctx.idents(&o.columns, "column")?;
    // sea-query has no CASCADE on DROP COLUMN, so this statement is written here.
    let cascade = if o.cascade { " CASCADE" } else { "" };
    let if_exists = if o.if_exists { "IF EXISTS " } else { "" };
    let actions: Vec<String> = o
        .columns
        .iter()
        .map(|c| format!("DROP COLUMN {if_exists}{}{cascade}", quote_ident(c)))
        .collect();
    Ok(vec![format!(
        "ALTER TABLE {} {}",
        quote_name(&o.table),
        actions.join(", ")
    )])
}

fn alter_column(ctx: Ctx, o: &AlterColumn) -> Result<Vec<String>, DslError> {
    ctx.name(&o.table, "table")?;
    ctx.ident(&o.column, "column")?;
    let col = quote_ident(&o.column);
    let mut actions = Vec::new();
    if let Some(ty) = &o.set_type {
        let using = o
            .using
            .as_ref()
            .map(|u| format!(" USING {u}"))
            .unwrap_or_default();
        actions.push(format!("ALTER COLUMN {col} SET DATA TYPE {ty}{using}"));
    }
    match &o.default {
        Some(Some(v)) => actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", v.to_sql())),
        Some(None) => actions.push(format!("ALTER COLUMN {col} DROP DEFAULT")),
        None => {}
    }
    match o.not_null {
        Some(true) => actions.push(format!("ALTER COLUMN {col} SET NOT NULL")),
        Some(false) => actions.push(format!("ALTER COLUMN {col} DROP NOT NULL")),
        None => {}
    }
    let mut out = Vec::new();
    if !actions.is_empty() {
        out.push(format!(
            "ALTER TABLE {} {}",
            quote_name(&o.table),
            actions.join(", ")
        ));
    }
    if let Some(comment) = &o.comment {
        let text = comment
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), literal);
        out.push(format!(
            "COMMENT ON COLUMN {}.{col} IS {text}",
            quote_name(&o.table)
        ));
    }
    Ok(out)
}

/// `{table}_{columns}_index`, or `_unique_index`: node-pg-migrate's convention, so reviewers recognise it.
pub(crate) fn index_name(
    ctx_op: &'static str,
    position: usize,
    table: &Name,
    columns: &[IndexColumn],
    name: &Option<Ident>,
    unique: bool,
) -> Result<Ident, DslError> {
    if let Some(name) = name {
        name.check(ctx_op, position, "index")?;
        return Ok(name.clone());
    }
    if columns.is_empty() {
        return Err(DslError::NoColumns {
            op: ctx_op,
            position,
        });
    }
    let parts: Vec<String> = columns.iter().map(IndexColumn::name_part).collect();
    let derived = Ident(format!(
        "{}_{}{}_index",
        table.name.as_str(),
        parts.join("_"),
        if unique { "_unique" } else { "" }
    ));
    derived.check(ctx_op, position, "index")?;
    Ok(derived)
}

fn create_index(ctx: Ctx, o: &CreateIndex) -> Result<Vec<String>, DslError> {
    ctx.name(&o.table, "table")?;
    let name = index_name(
        ctx.op,
        ctx.position,
        &o.table,
        &o.columns,
        &o.name,
        o.unique,
    )?;
    o.include.iter().try_for_each(|c| ctx.ident(c, "column"))?;
    let elements: Vec<String> = o
        .columns
        .iter()
        .map(|c| {
            let target = match &c.target {
                IndexTarget::Column(col) => {
                    ctx.ident(col, "column")?;
                    quote_ident(col)
                }
                IndexTarget::Expression(e) => format!("({e})"),
            };
            Ok(if c.descending {
                format!("{target} DESC")
            } else {
                target
            })
        })
        .collect::<Result<_, DslError>>()?;
    let mut sql = format!(
        "CREATE {}INDEX {}{}{} ON {}",
        if o.unique { "UNIQUE " } else { "" },
        if o.concurrently { "CONCURRENTLY " } else { "" },
        if o.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
        quote_ident(&name),
        quote_name(&o.table)
    );
    if let Some(method) = &o.method {
        sql.push_str(&format!(" USING {method}"));
    }
    sql.push_str(&format!(" ({})", elements.join(", ")));
    if !o.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", quote_list(&o.include)));
    }
    if let Some(predicate) = &o.where_clause {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    Ok(vec![sql])
}

fn drop_index(ctx: Ctx, o: &DropIndex) -> Result<Vec<String>, DslError> {
    ctx.name(&o.table, "table")?;
    let name = index_name(
        ctx.op,
        ctx.position,
        &o.table,
        &o.columns,
        &o.name,
        o.unique,
    )?;
    Ok(vec![format!(
        "DROP INDEX {}{}{}{}",
        if o.concurrently { "CONCURRENTLY " } else { "" },
        if o.if_exists { "IF EXISTS " } else { "" },
        // An index lives in its table's schema.
        quote_name(&o.table.sibling(name)),
        if o.cascade { " CASCADE" } else { "" }
    )])
}

fn add_constraint(ctx: Ctx, o: &AddConstraint) -> Result<Vec<String>, DslError> {
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
