//! Tables and columns: built with sea-query where it has the statement (not `CREATE TABLE`, whose
//! `UNLOGGED`, `LIKE`, `INHERITS` and `PARTITION BY` it lacks).

use sea_query::{Alias, ColumnDef as SqColumnDef, PostgresQueryBuilder, Table};

use crate::column::{Column, Identity};
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::ops::*;
use crate::quote::{literal, quote_ident, quote_list, quote_name};

use super::constraint::{
    alter_table, constraint_comment, constraint_names, constraint_sql, ConstraintSite,
};
use super::index::index_element;
use super::naming::column_constraint_names;
use super::*;

/// Validates the names of a column list and of what its columns reference; an empty list is an error
/// unless `allow_empty`.
fn check_columns(ctx: Ctx, columns: &[Column], allow_empty: bool) -> Result<(), DslError> {
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
fn column_sql(ctx: Ctx, c: &Column) -> Result<String, DslError> {
    Ok(format!(
        "{} {}{}",
        quote_ident(&c.name),
        c.data_type,
        column_options(ctx, c)?
    ))
}

/// The same column for sea-query's `ADD COLUMN`; the type is SQL, so it is passed through unquoted.
fn column_def(c: &Column, options: &str) -> SqColumnDef {
    let mut def = SqColumnDef::new(alias(&c.name));
    def.custom(Alias::new(c.data_type.as_str()));
    if !options.is_empty() {
        def.extra(options.trim_start().to_owned());
    }
    def
}

/// `COMMENT ON COLUMN` for each column that has a comment.
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

impl CreateTable {
    /// The names of its table constraints, each given or derived as PostgreSQL would (after the names the
    /// column constraints take).
    pub(crate) fn constraint_names(
        &self,
        ctx: Ctx,
    ) -> Result<Vec<Vec<crate::name::Ident>>, DslError> {
        let mut taken = column_constraint_names(&self.name, &self.columns);
        self.constraints
            .iter()
            .map(|(name, c)| {
                constraint_names(
                    ctx,
                    &self.name,
                    name.as_ref(),
                    c,
                    Some(&self.columns),
                    &mut taken,
                )
            })
            .collect()
    }
}

/// Several columns marked `primary_key()` make one composite key: the columns without their own
/// `PRIMARY KEY`, and the table's `PRIMARY KEY (columns)`. A second primary key fails here, not on the server.
fn composite_primary_key(
    ctx: Ctx,
    o: &CreateTable,
) -> Result<(Vec<Column>, Option<String>), DslError> {
    let keys: Vec<&Column> = o.columns.iter().filter(|c| c.primary_key).collect();
    let table_key = o
        .constraints
        .iter()
        .any(|(_, c)| matches!(c.kind, ConstraintKind::PrimaryKey(_)));
    if table_key && !keys.is_empty() {
        return Err(ctx.invalid(format!(
            "two primary keys: column {:?} is marked `primary_key()` and a table constraint is a primary key; \
             a table has one (list every key column in the constraint)",
            keys[0].name.as_str()
        )));
    }
    if keys.len() < 2 {
        return Ok((o.columns.clone(), None));
    }
    let names: Vec<crate::name::Ident> = keys.iter().map(|c| c.name.clone()).collect();
    let columns = o
        .columns
        .iter()
        .map(|c| Column {
            primary_key: false,
            ..c.clone()
        })
        .collect();
    Ok((
        columns,
        Some(format!("PRIMARY KEY ({})", quote_list(&names))),
    ))
}

impl Render for CreateTable {
    fn needs_server(&self) -> Vec<Needs> {
        let mut needs: Vec<Needs> = self
            .constraints
            .iter()
            .flat_map(|(_, c)| super::version::constraint_needs(c))
            .collect();
        let compression = self
            .like
            .iter()
            .flat_map(|l| &l.options)
            .any(|(_, o)| *o == LikeOption::Compression);
        if compression {
            needs.push(Needs::new(14, "LIKE .. INCLUDING/EXCLUDING COMPRESSION"));
        }
        needs
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "table")?;
        if o.temporary && o.unlogged {
            return Err(ctx.invalid("a table cannot be both TEMPORARY and UNLOGGED"));
        }
        if o.temporary
            && o.name
                .schema
                .as_ref()
                .is_some_and(|s| s.as_str() != "pg_temp")
        {
            return Err(ctx.invalid(
                "a temporary table lives in the session's temporary schema; do not schema-qualify it",
            ));
        }
        if o.partition_by.is_some() && !o.inherits.is_empty() {
            return Err(ctx.invalid("a partitioned table cannot use INHERITS"));
        }
        // A table may get all its columns from LIKE or INHERITS; otherwise an empty list is a mistake.
        let allow_no_columns = !o.like.is_empty() || !o.inherits.is_empty();
        check_columns(ctx, &o.columns, allow_no_columns)?;

        let mut elements = Vec::new();
        for like in &o.like {
            ctx.name(&like.table, "LIKE source table")?;
            let mut clause = format!("LIKE {}", quote_name(&like.table));
            for (including, option) in &like.options {
                clause.push_str(if *including {
                    " INCLUDING "
                } else {
                    " EXCLUDING "
                });
                clause.push_str(option.as_sql());
            }
            elements.push(clause);
        }
        let (columns, primary_key) = composite_primary_key(ctx, o)?;
        for c in &columns {
            elements.push(column_sql(ctx, c)?);
        }
        elements.extend(primary_key);
        let names = o.constraint_names(ctx)?;
        for ((_, constraint), names) in o.constraints.iter().zip(&names) {
            elements.extend(constraint_sql(
                ctx,
                names,
                constraint,
                ConstraintSite::CreateTable,
            )?);
        }

        let mut sql = format!(
            "CREATE {}TABLE {}{}",
            if o.temporary {
                "TEMPORARY "
            } else if o.unlogged {
                "UNLOGGED "
            } else {
                ""
            },
            if o.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_name(&o.name)
        );
        // One column or table constraint per line, as pg_dump writes it: a reviewer reads a wide table
        // down the page, and a later change to one column is a one-line diff.
        if elements.is_empty() {
            sql.push_str(" ()");
        } else {
            sql.push_str(&format!(" (\n    {}\n)", elements.join(",\n    ")));
        }
        if !o.inherits.is_empty() {
            for parent in &o.inherits {
                ctx.name(parent, "parent table")?;
            }
            let parents: Vec<String> = o.inherits.iter().map(quote_name).collect();
            sql.push_str(&format!(" INHERITS ({})", parents.join(", ")));
        }
        if let Some(partition) = &o.partition_by {
            if partition.keys.is_empty() {
                return Err(
                    ctx.invalid("`partition_by` needs at least one key column or expression")
                );
            }
            let keys = partition
                .keys
                .iter()
                .map(|k| {
                    if k.has_ordering() {
                        return Err(
                            ctx.invalid("partition keys have no sort order or NULLS position")
                        );
                    }
                    index_element(ctx, k)
                })
                .collect::<Result<Vec<_>, DslError>>()?;
            sql.push_str(&format!(
                " PARTITION BY {} ({})",
                partition.strategy.as_sql(),
                keys.join(", ")
            ));
        }

        let mut out = vec![sql];
        if let Some(text) = &o.comment {
            out.push(format!(
                "COMMENT ON TABLE {} IS {}",
                quote_name(&o.name),
                literal(text)
            ));
        }
        out.extend(column_comments(&o.name, &o.columns));
        for ((_, c), names) in o.constraints.iter().zip(&names) {
            out.extend(constraint_comment(&o.name, names, c));
        }
        Ok(out)
    }
}

impl Render for DropTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
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
}

impl Render for RenameTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.from, "table")?;
        ctx.ident(&o.to, "table")?;
        // RENAME TO takes a bare name: the table stays in its schema.
        Ok(vec![Table::rename()
            .table(table_ref(&o.from), alias(&o.to))
            .to_string(PostgresQueryBuilder)])
    }
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
        let o = self;
        ctx.name(&o.table, "table")?;
        check_columns(ctx, &o.columns, false)?;
        if o.columns.iter().filter(|c| c.primary_key).count() > 1 {
            return Err(ctx.invalid(
                "several columns are marked `primary_key()`; a table has one primary key: add the columns, then \
                 `add_constraint(table, None, Constraint::primary_key([..]))` for the composite key",
            ));
        }
        let mut stmt = Table::alter();
        stmt.table(table_ref(&o.table));
        for c in &o.columns {
            let def = column_def(c, &column_options(ctx, c)?);
            if o.if_not_exists {
                stmt.add_column_if_not_exists(def);
            } else {
                stmt.add_column(def);
            }
        }
        let mut out = vec![if_table_exists(
            stmt.to_string(PostgresQueryBuilder),
            o.if_table_exists,
        )];
        out.extend(column_comments(&o.table, &o.columns));
        Ok(out)
    }
}

impl Render for DropColumns {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
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
            "{} {}",
            alter_table(&o.table, o.if_table_exists),
            actions.join(", ")
        )])
    }
}

impl Render for RenameColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.from, "column")?;
        ctx.ident(&o.to, "column")?;
        Ok(vec![if_table_exists(
            Table::alter()
                .table(table_ref(&o.table))
                .rename_column(alias(&o.from), alias(&o.to))
                .to_string(PostgresQueryBuilder),
            o.if_table_exists,
        )])
    }
}

impl Render for AlterColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.column, "column")?;
        if o.using.is_some() && o.set_type.is_none() {
            return Err(
                ctx.invalid("`using` converts values to a new type; give the type with `set_type`")
            );
        }
        if o.collation.is_some() && o.set_type.is_none() {
            return Err(ctx.invalid(
                "PostgreSQL changes a collation together with the type; give the type (it may be the same) with `set_type`",
            ));
        }
        let col = quote_ident(&o.column);
        let mut actions = Vec::new();
        if let Some(ty) = &o.set_type {
            let collate = match &o.collation {
                Some(collation) => {
                    ctx.name(collation, "collation")?;
                    format!(" COLLATE {}", quote_name(collation))
                }
                None => String::new(),
            };
            let using = o
                .using
                .as_ref()
                .map(|u| format!(" USING {u}"))
                .unwrap_or_default();
            actions.push(format!(
                "ALTER COLUMN {col} SET DATA TYPE {ty}{collate}{using}"
            ));
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
        // After SET NOT NULL: adding an identity needs a NOT NULL column.
        match &o.identity {
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
        if o.drop_expression {
            actions.push(format!("ALTER COLUMN {col} DROP EXPRESSION"));
        }
        if o.if_table_exists && o.comment.is_some() {
            return Err(ctx.invalid(
                "`if_table_exists` cannot guard the comment: COMMENT ON COLUMN has no IF EXISTS; set the comment in a separate `alter_column`",
            ));
        }
        let mut out = Vec::new();
        if !actions.is_empty() {
            out.push(format!(
                "{} {}",
                alter_table(&o.table, o.if_table_exists),
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
        if out.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `set_type`, `set_default`, `set_not_null`, `add_identity`, ...",
            ));
        }
        Ok(out)
    }
}

impl Render for AlterTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "table")?;
        let mut actions: Vec<&str> = Vec::new();
        actions.extend(o.rls_enabled.map(RowLevelSecurity::as_sql));
        actions.extend(o.rls_forced.map(RowLevelSecurity::as_sql));
        match o.logged {
            Some(true) => actions.push("SET LOGGED"),
            Some(false) => actions.push("SET UNLOGGED"),
            None => {}
        }
        if actions.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `row_level_security`, `set_logged` or `set_unlogged`",
            ));
        }
        Ok(vec![format!(
            "ALTER TABLE {} {}",
            quote_name(&o.name),
            actions.join(", ")
        )])
    }
}
