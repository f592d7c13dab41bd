//! Indexes. Written by hand: sea-query's index statement has no `CONCURRENTLY`, `INCLUDE` or expressions.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::name::{Ident, Name};
use crate::ops::*;
use crate::render::*;
use crate::safeguard::{Object, Safeguard};

impl Render for CreateIndex {
    fn needs_server(&self) -> Vec<Needs> {
        let mut needs = Vec::new();
        if self.nulls_not_distinct {
            needs.push(Needs::new(15, "NULLS NOT DISTINCT"));
        }
        needs
    }

    fn outside_transaction(&self) -> bool {
        self.concurrently || self.per_partition
    }

    // The `IF NOT EXISTS` that CONCURRENTLY adds is the engine's, not the author's: it may only skip an
    // index an earlier attempt of the same migration built. Per partition, the parent's `ON ONLY` is the
    // statement that creates it.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        if !(self.concurrently || self.per_partition && index == 0) || self.if_not_exists {
            return None;
        }
        let name = index_name(
            "create_index",
            0,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )
        .ok()?;
        Some(Safeguard::CreatesIfAbsent(Object::Index {
            name: self.table.sibling(name),
            table: self.table.clone(),
        }))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        if self.per_partition {
            return self.render_per_partition(ctx);
        }
        let spec = self.partition_index(ctx)?;
        let sql = format!(
            "CREATE {}INDEX {}{}{} ON {}{}",
            if self.unique { "UNIQUE " } else { "" },
            if self.concurrently {
                "CONCURRENTLY "
            } else {
                ""
            },
            // CONCURRENTLY runs outside a transaction: if a later statement of the migration fails, this one
            // stays committed, and running the migration again must not fail on it.
            if self.if_not_exists || self.concurrently {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_ident(&spec.index.name),
            quote_name(&self.table),
            spec.definition
        );
        Ok(vec![sql])
    }
}

impl CreateIndex {
    /// The index as the engine builds it on partitions, and as every `CREATE INDEX` of it reads after `ON
    /// <relation>`: validated here.
    pub(crate) fn partition_index(&self, ctx: Ctx) -> Result<PartitionIndex, DslError> {
        ctx.name(&self.table, "table")?;
        let name = index_name(
            ctx.op,
            ctx.position,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )?;
        self.include
            .iter()
            .try_for_each(|c| ctx.ident(c, "column"))?;
        if self.nulls_not_distinct && !self.unique {
            return Err(ctx
                .invalid("`nulls_not_distinct` applies to unique indexes only; chain `unique()`"));
        }
        let elements: Vec<String> = self
            .columns
            .iter()
            .map(|c| index_element(ctx, c))
            .collect::<Result<_, DslError>>()?;
        let mut definition = String::new();
        if let Some(method) = &self.method {
            definition.push_str(&format!(" USING {method}"));
        }
        definition.push_str(&format!(" ({})", elements.join(", ")));
        if !self.include.is_empty() {
            definition.push_str(&format!(" INCLUDE ({})", quote_list(&self.include)));
        }
        if self.nulls_not_distinct {
            definition.push_str(" NULLS NOT DISTINCT");
        }
        if let Some(predicate) = &self.where_clause {
            definition.push_str(&format!(" WHERE {predicate}"));
        }
        Ok(PartitionIndex {
            table: self.table.clone(),
            index: self.table.sibling(name),
            unique: self.unique,
            definition,
            constraint: None,
        })
    }

    /// `ON ONLY` the parent, then the engine's walk over the partitions, described.
    fn render_per_partition(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        if self.concurrently || self.if_not_exists {
            return Err(ctx.invalid(
                "concurrently_per_partition builds each partition's index CONCURRENTLY and adds IF NOT EXISTS \
                 itself: leave out concurrently() and if_not_exists()",
            ));
        }
        let spec = self.partition_index(ctx)?;
        let unique = if self.unique { "UNIQUE " } else { "" };
        let index = quote_ident(&spec.index.name);
        let child = quote_ident(&Ident(format!("<partition>_{}", spec.index.name.as_str())));
        Ok(vec![
            format!(
                "CREATE {unique}INDEX IF NOT EXISTS {index} ON ONLY {}{}",
                quote_name(&self.table),
                spec.definition
            ),
            [
                format!(
                    "-- for each partition of {} (sub-partitions included), each statement on its own, by the engine:",
                    quote_name(&self.table)
                ),
                format!(
                    "--   CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {child} ON <partition>{}",
                    spec.definition
                ),
                format!("--   ALTER INDEX {} ATTACH PARTITION {child}", quote_name(&spec.index)),
                "-- continues with the partitions left when it runs again; the index is valid once every partition's is attached"
                    .to_owned(),
            ]
            .join("\n"),
        ])
    }
}

/// One element of an index, exclusion constraint or partition key:
/// `column | (expression) [COLLATE collation] [opclass] [ASC | DESC] [NULLS FIRST | LAST]`.
pub(crate) fn index_element(ctx: Ctx, c: &IndexColumn) -> Result<String, DslError> {
    let mut out = match &c.target {
        IndexTarget::Column(col) => {
            ctx.ident(col, "column")?;
            quote_ident(col)
        }
        IndexTarget::Expression(e) => {
            if e.trim().is_empty() {
                return Err(ctx.invalid("empty index expression"));
            }
            format!("({e})")
        }
    };
    if let Some(collation) = &c.collation {
        ctx.name(collation, "collation")?;
        out.push_str(&format!(" COLLATE {}", quote_name(collation)));
    }
    if let Some(opclass) = &c.opclass {
        ctx.name(opclass, "operator class")?;
        out.push_str(&format!(" {}", quote_name(opclass)));
    }
    match c.descending {
        Some(true) => out.push_str(" DESC"),
        Some(false) => out.push_str(" ASC"),
        None => {}
    }
    match c.nulls_first {
        Some(true) => out.push_str(" NULLS FIRST"),
        Some(false) => out.push_str(" NULLS LAST"),
        None => {}
    }
    Ok(out)
}

impl Render for RenameIndex {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "index")?;
        ctx.ident(&self.to, "index")?;
        // RENAME TO takes a bare name: the index stays in its schema.
        Ok(vec![format!(
            "ALTER INDEX {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for DropIndex {
    fn outside_transaction(&self) -> bool {
        self.concurrently
    }

    // Likewise the `IF EXISTS` that CONCURRENTLY adds: a missing index is only fine when an earlier attempt
    // of the same migration dropped it.
    fn safeguard(&self, _index: usize) -> Option<Safeguard> {
        if !self.concurrently || self.if_exists {
            return None;
        }
        let name = index_name(
            "drop_index",
            0,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )
        .ok()?;
        Some(Safeguard::DropsIfPresent(Object::Index {
            name: self.table.sibling(name),
            table: self.table.clone(),
        }))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        let name = index_name(
            ctx.op,
            ctx.position,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )?;
        if self.per_partition {
            if self.concurrently {
                return Err(ctx.invalid(
                    "PostgreSQL cannot drop a partitioned table's index CONCURRENTLY: leave out concurrently() \
                     (the drop is catalog only)",
                ));
            }
            let child = quote_ident(&Ident(format!("<partition>_{}", name.as_str())));
            return Ok(vec![
                format!(
                    "DROP INDEX IF EXISTS {}{}",
                    quote_name(&self.table.sibling(name)),
                    if self.cascade { " CASCADE" } else { "" }
                ),
                format!(
                    "-- then, for each partition of {}, by the engine: DROP INDEX IF EXISTS {child} (one a build left unattached)",
                    quote_name(&self.table)
                ),
            ]);
        }
        Ok(vec![format!(
            "DROP INDEX {}{}{}{}",
            if self.concurrently {
                "CONCURRENTLY "
            } else {
                ""
            },
            // Outside a transaction too: re-runnable after a partial failure.
            if self.if_exists || self.concurrently {
                "IF EXISTS "
            } else {
                ""
            },
            // An index lives in its table's schema.
            quote_name(&self.table.sibling(name)),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl DropIndex {
    /// The index whose partitions' leftovers the engine drops ([`DropIndex::per_partition`]).
    pub(crate) fn partition_index(&self, ctx: Ctx) -> Result<PartitionIndex, DslError> {
        let name = index_name(
            ctx.op,
            ctx.position,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )?;
        Ok(PartitionIndex {
            table: self.table.clone(),
            index: self.table.sibling(name),
            unique: self.unique,
            definition: String::new(),
            constraint: None,
        })
    }
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
