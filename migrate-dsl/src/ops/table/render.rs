//! Tables: `CREATE TABLE` is written by hand (sea-query has no `UNLOGGED`, `LIKE`, `INHERITS` or
//! `PARTITION BY`); the drop and rename are built with sea-query.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::name::{quote_list, quote_name};
use crate::ops::Column;
use crate::ops::{
    column_constraint_names, constraint_comment, constraint_names, constraint_sql, index_element,
    ConstraintSite, *,
};
use crate::quote::literal;
use crate::render::*;
use crate::value::Value;
use sea_query::{PostgresQueryBuilder, Table};

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
    let keys: Vec<&Column> = o.columns.iter().filter(|c| c.is_primary_key()).collect();
    let table_key = o.constraints.iter().any(|(_, c)| c.is_primary_key());
    if table_key && !keys.is_empty() {
        return Err(ctx.invalid(format!(
            "two primary keys: column {:?} is marked `primary_key()` and a table constraint is a primary key; \
             a table has one (list every key column in the constraint)",
            keys[0].ident().as_str()
        )));
    }
    if keys.len() < 2 {
        return Ok((o.columns.clone(), None));
    }
    let names: Vec<crate::name::Ident> = keys.iter().map(|c| c.ident().clone()).collect();
    let columns = o.columns.iter().map(Column::without_primary_key).collect();
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
            .flat_map(|(_, c)| constraint_needs(c))
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
        self.check_definition(ctx)?;
        let (elements, names) = self.elements(ctx)?;
        let mut sql = self.create_head();
        // One column or table constraint per line, as pg_dump writes it: a reviewer reads a wide table
        // down the page, and a later change to one column is a one-line diff.
        if elements.is_empty() {
            sql.push_str(" ()");
        } else {
            sql.push_str(&format!(" (\n    {}\n)", elements.join(",\n    ")));
        }
        sql.push_str(&self.inherits_clause(ctx)?);
        if let Some(partition) = &self.partition_by {
            sql.push_str(&partition_clause(ctx, partition)?);
        }
        let mut out = vec![sql];
        out.extend(self.comments(&names));
        Ok(out)
    }
}

impl CreateTable {
    /// The checks on the table as a whole, made before any part of it is rendered: its name, the options
    /// that cannot go together, and its column list.
    fn check_definition(&self, ctx: Ctx) -> Result<(), DslError> {
        ctx.name(&self.name, "table")?;
        if self.temporary && self.unlogged {
            return Err(ctx.invalid("a table cannot be both TEMPORARY and UNLOGGED"));
        }
        if self.temporary
            && self
                .name
                .schema
                .as_ref()
                .is_some_and(|s| s.as_str() != "pg_temp")
        {
            return Err(ctx.invalid(
                "a temporary table lives in the session's temporary schema; do not schema-qualify it",
            ));
        }
        if self.partition_by.is_some() && !self.inherits.is_empty() {
            return Err(ctx.invalid("a partitioned table cannot use INHERITS"));
        }
        // A table may get all its columns from LIKE or INHERITS; otherwise an empty list is a mistake.
        let allow_no_columns = !self.like.is_empty() || !self.inherits.is_empty();
        check_columns(ctx, &self.columns, allow_no_columns)
    }

    /// What goes between the parentheses, in order: the LIKE clauses, the columns, a composite primary
    /// key and the table constraints. Also the constraints' names, which their comments need.
    fn elements(&self, ctx: Ctx) -> Result<(Vec<String>, Vec<Vec<Ident>>), DslError> {
        let mut elements = Vec::new();
        for like in &self.like {
            elements.push(like_clause(ctx, like)?);
        }
        let (columns, primary_key) = composite_primary_key(ctx, self)?;
        for c in &columns {
            elements.push(column_sql(ctx, c)?);
        }
        elements.extend(primary_key);
        let names = self.constraint_names(ctx)?;
        for ((_, constraint), names) in self.constraints.iter().zip(&names) {
            elements.extend(constraint_sql(
                ctx,
                names,
                constraint,
                ConstraintSite::CreateTable,
            )?);
        }
        Ok((elements, names))
    }

    /// `CREATE [TEMPORARY | UNLOGGED] TABLE [IF NOT EXISTS] name`.
    fn create_head(&self) -> String {
        format!(
            "CREATE {}TABLE {}{}",
            if self.temporary {
                "TEMPORARY "
            } else if self.unlogged {
                "UNLOGGED "
            } else {
                ""
            },
            if self.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_name(&self.name)
        )
    }

    /// ` INHERITS (parents)`, or nothing when the table has no parent.
    fn inherits_clause(&self, ctx: Ctx) -> Result<String, DslError> {
        if self.inherits.is_empty() {
            return Ok(String::new());
        }
        for parent in &self.inherits {
            ctx.name(parent, "parent table")?;
        }
        let parents: Vec<String> = self.inherits.iter().map(quote_name).collect();
        Ok(format!(" INHERITS ({})", parents.join(", ")))
    }

    /// The statements after `CREATE TABLE`: the table's comment, its columns' and its constraints'.
    fn comments(&self, names: &[Vec<Ident>]) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON TABLE {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        out.extend(column_comments(&self.name, &self.columns));
        for ((_, c), names) in self.constraints.iter().zip(names) {
            out.extend(constraint_comment(&self.name, names, c));
        }
        out
    }
}

/// `LIKE source [INCLUDING | EXCLUDING option ...]`, the options in the order given.
fn like_clause(ctx: Ctx, like: &Like) -> Result<String, DslError> {
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
    Ok(clause)
}

/// ` PARTITION BY strategy (keys)`, validated: at least one key, none with a sort order.
fn partition_clause(ctx: Ctx, partition: &PartitionBy) -> Result<String, DslError> {
    if partition.keys.is_empty() {
        return Err(ctx.invalid("`partition_by` needs at least one key column or expression"));
    }
    let keys = partition
        .keys
        .iter()
        .map(|k| {
            if k.has_ordering() {
                return Err(ctx.invalid("partition keys have no sort order or NULLS position"));
            }
            index_element(ctx, k)
        })
        .collect::<Result<Vec<_>, DslError>>()?;
    Ok(format!(
        " PARTITION BY {} ({})",
        partition.strategy.as_sql(),
        keys.join(", ")
    ))
}

impl Render for DropTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "table")?;
        let mut stmt = Table::drop();
        stmt.table(table_ref(&self.name));
        if self.if_exists {
            stmt.if_exists();
        }
        if self.cascade {
            stmt.cascade();
        }
        Ok(vec![stmt.to_string(PostgresQueryBuilder)])
    }
}

impl Render for RenameTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "table")?;
        ctx.ident(&self.to, "table")?;
        // RENAME TO takes a bare name: the table stays in its schema.
        Ok(vec![Table::rename()
            .table(table_ref(&self.from), alias(&self.to))
            .to_string(PostgresQueryBuilder)])
    }
}
impl Render for AlterTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "table")?;
        let mut actions: Vec<&str> = Vec::new();
        actions.extend(self.rls_enabled.map(RowLevelSecurity::as_sql));
        actions.extend(self.rls_forced.map(RowLevelSecurity::as_sql));
        match self.logged {
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
            quote_name(&self.name),
            actions.join(", ")
        )])
    }
}

/// `(a, b)`: the values of one end of a partition bound.
fn bound_values(ctx: Ctx, values: &[Value]) -> Result<String, DslError> {
    if values.is_empty() {
        return Err(ctx.invalid("a partition bound needs a value for each partition key column"));
    }
    Ok(values
        .iter()
        .map(Value::to_sql)
        .collect::<Vec<_>>()
        .join(", "))
}

impl Render for AttachPartition {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.name(&self.partition, "partition")?;
        let bound = match &self.bound {
            PartitionBound::Range { from, to } => format!(
                "FOR VALUES FROM ({}) TO ({})",
                bound_values(ctx, from)?,
                bound_values(ctx, to)?
            ),
            PartitionBound::List(values) => {
                format!("FOR VALUES IN ({})", bound_values(ctx, values)?)
            }
            PartitionBound::Hash { modulus, remainder } => {
                if *modulus == 0 || remainder >= modulus {
                    return Err(ctx.invalid(format!(
                        "a hash partition's remainder ({remainder}) must be less than its modulus ({modulus}), \
                         which must be positive"
                    )));
                }
                format!("FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})")
            }
            PartitionBound::Default => "DEFAULT".to_owned(),
        };
        Ok(vec![format!(
            "ALTER TABLE {} ATTACH PARTITION {} {bound}",
            quote_name(&self.table),
            quote_name(&self.partition)
        )])
    }
}

impl Render for DetachPartition {
    fn outside_transaction(&self) -> bool {
        // PostgreSQL commits between the two halves of a concurrent detach.
        self.concurrently
    }

    fn needs_server(&self) -> Vec<Needs> {
        match self.concurrently {
            true => vec![Needs::new(14, "DETACH PARTITION .. CONCURRENTLY")],
            false => Vec::new(),
        }
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.name(&self.partition, "partition")?;
        Ok(vec![format!(
            "ALTER TABLE {} DETACH PARTITION {}{}",
            quote_name(&self.table),
            quote_name(&self.partition),
            if self.concurrently {
                " CONCURRENTLY"
            } else {
                ""
            }
        )])
    }
}
