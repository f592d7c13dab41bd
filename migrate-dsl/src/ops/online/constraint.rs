//! A constraint added to a live table without a long lock: checked by a `VALIDATE` in a transaction of its
//! own, or backed by a unique index built concurrently.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name, Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::constraint::OnlineShape;
use crate::ops::{AddConstraint, PartitionConstraint, PartitionIndex};
use crate::render::Render;
use crate::safeguard::{Object, Safeguard};

/// A constraint added online, recorded with
/// [`MigrationBuilder::add_constraint_online`](crate::MigrationBuilder::add_constraint_online).
#[derive(Debug, Clone, PartialEq)]
pub struct AddConstraintOnline {
    pub(super) add: AddConstraint,
    pub(super) per_partition: bool,
}

impl AddConstraintOnline {
    pub(crate) fn new(add: AddConstraint) -> Self {
        AddConstraintOnline {
            add,
            per_partition: false,
        }
    }

    /// A unique constraint (or primary key) on a partitioned table, whose index PostgreSQL cannot build
    /// `CONCURRENTLY` there: the constraint is added `ONLY` to the parent (catalog only, its index invalid),
    /// then the engine builds each partition's unique index `CONCURRENTLY`, makes it the partition's own
    /// constraint (`USING INDEX`, instant) and attaches it, each statement on its own and continued where a
    /// run stopped, as [`CreateIndex::concurrently_per_partition`](crate::ops::CreateIndex::concurrently_per_partition)
    /// does. The columns must include the partition key. Reversed by dropping the constraint, with the
    /// partitions' indexes and constraints a stopped build left unattached.
    ///
    /// A foreign key from a partitioned table, which PostgreSQL before 18 cannot add `NOT VALID` there: the
    /// engine adds it to each partition `NOT VALID` and validates it (`SHARE UPDATE EXCLUSIVE`: writes go
    /// on), each statement on its own and continued where a run stopped; then the table's own `ADD
    /// CONSTRAINT` finds every partition's validated and attaches them, without a scan.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint_online("events", None, Constraint::foreign_key(["kind"], "kinds", ["name"]))
    ///     .per_partition();
    /// let sql = pgm.to_sql().unwrap();
    /// assert_eq!(sql[0].lines().nth(1).unwrap(),
    ///     r#"--   ALTER TABLE <partition> ADD CONSTRAINT "events_kind_fkey" FOREIGN KEY ("kind") REFERENCES "kinds" ("name") NOT VALID"#);
    /// assert_eq!(sql[1], r#"ALTER TABLE "events" ADD CONSTRAINT "events_kind_fkey" FOREIGN KEY ("kind") REFERENCES "kinds" ("name")"#);
    /// ```
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint_online("events", None, Constraint::unique(["id", "at"])).per_partition();
    /// assert!(!pgm.is_transactional());
    /// let sql = pgm.to_sql().unwrap();
    /// assert_eq!(sql[0], r#"ALTER TABLE ONLY "events" ADD CONSTRAINT "events_id_at_key" UNIQUE ("id", "at")"#);
    /// assert_eq!(sql[1].lines().nth(1).unwrap(),
    ///     r#"--   CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "<partition>_events_id_at_key" ON <partition> ("id", "at")"#);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0],
    ///     r#"ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "events_id_at_key""#);
    /// ```
    pub fn per_partition(&mut self) -> &mut Self {
        self.per_partition = true;
        self
    }

    /// Whether it is built per partition ([`per_partition`](Self::per_partition)).
    pub fn is_per_partition(&self) -> bool {
        self.per_partition
    }

    /// The foreign key as the engine adds it to the partitions; `None` for a unique constraint.
    pub(crate) fn partition_constraint(
        &self,
        ctx: Ctx,
    ) -> Result<Option<PartitionConstraint>, DslError> {
        if !self.add.is_foreign_key() {
            return Ok(None);
        }
        let Some(name) = self.add.names(ctx)?.into_iter().next() else {
            return Err(ctx.invalid("no constraint name"));
        };
        let rendered = self.add.render(ctx)?;
        let prefix = format!(
            "ALTER TABLE {} ADD CONSTRAINT {} ",
            quote_name(self.add.table()),
            quote_ident(&name)
        );
        let definition = rendered
            .first()
            .and_then(|sql| sql.strip_prefix(&prefix))
            .ok_or_else(|| ctx.invalid("a foreign key that cannot be added per partition"))?
            .to_owned();
        Ok(Some(PartitionConstraint {
            table: self.add.table().clone(),
            name,
            definition,
        }))
    }

    /// The constraint's index as the engine builds it on the partitions.
    pub(crate) fn partition_index(&self, ctx: Ctx) -> Result<PartitionIndex, DslError> {
        let OnlineShape::UniqueIndex { primary, columns } = self.add.online_shape() else {
            return Err(ctx.invalid(
                "per_partition applies to unique constraints, primary keys and foreign keys (a check is added \
                 NOT VALID to a partitioned table and validated as to any other)",
            ));
        };
        ctx.name(self.add.table(), "table")?;
        ctx.idents(columns, "column")?;
        let Some(name) = self.add.names(ctx)?.into_iter().next() else {
            return Err(ctx.invalid("no constraint name"));
        };
        let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
        Ok(PartitionIndex {
            table: self.add.table().clone(),
            index: self.add.table().sibling(name),
            unique: true,
            definition: format!(" ({})", quote_list(columns)),
            constraint: Some(format!("{kind} ({})", quote_list(columns))),
        })
    }
}

impl AddConstraintOnline {
    /// The constraints (and their indexes) it creates, as [`AddConstraint`] creates them.
    pub(crate) fn creates(&self, ctx: Ctx) -> Vec<Object> {
        self.add.creates(ctx)
    }
}

impl Render for AddConstraintOnline {
    // A concurrent index build cannot run in a transaction.
    fn outside_transaction(&self) -> bool {
        self.per_partition || matches!(self.add.online_shape(), OnlineShape::UniqueIndex { .. })
    }

    // Each VALIDATE in a transaction of its own: not while the ADD's ACCESS EXCLUSIVE lock is held.
    fn starts_transaction(&self, index: usize) -> bool {
        if self.per_partition {
            return index == 1;
        }
        match self.add.online_shape() {
            OnlineShape::Validated(count) => (1..=count).contains(&index),
            _ => false,
        }
    }

    // The IF NOT EXISTS of the concurrent build is for re-running after a failure only: the index must be
    // this migration's own.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        if index != 0 || !self.outside_transaction() || self.per_partition {
            return None;
        }
        let ctx = Ctx {
            op: "add_constraint_online",
            position: 0,
        };
        let name = self.add.names(ctx).ok()?.into_iter().next()?;
        Some(Safeguard::CreatesIfAbsent(Object::Index {
            name: self.add.table().sibling(name),
            table: self.add.table().clone(),
        }))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        if let (true, Some(fk)) = (self.per_partition, self.partition_constraint(ctx)?) {
            let table = quote_name(&fk.table);
            let name = quote_ident(&fk.name);
            return Ok(vec![
                [
                    format!("-- for each partition of {table} (the leaves), each statement on its own, by the engine:"),
                    format!("--   ALTER TABLE <partition> ADD CONSTRAINT {name} {} NOT VALID", fk.definition),
                    format!("--   ALTER TABLE <partition> VALIDATE CONSTRAINT {name}"),
                    "-- continues with the partitions left when it runs again".to_owned(),
                ]
                .join("\n"),
                format!("ALTER TABLE {table} ADD CONSTRAINT {name} {}", fk.definition),
            ]);
        }
        if self.per_partition {
            let spec = self.partition_index(ctx)?;
            let table = quote_name(self.add.table());
            let name = quote_ident(spec.index.name());
            let child = quote_ident(&Ident(format!(
                "<partition>_{}",
                spec.index.name().as_str()
            )));
            let constraint = spec.constraint.as_deref().unwrap_or_default();
            let kind = constraint.split(" (").next().unwrap_or_default();
            return Ok(vec![
                format!("ALTER TABLE ONLY {table} ADD CONSTRAINT {name} {constraint}"),
                [
                    format!("-- for each partition of {table} (sub-partitions included), each statement on its own, by the engine:"),
                    format!(
                        "--   CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {child} ON <partition>{}",
                        spec.definition
                    ),
                    format!("--   ALTER TABLE <partition> ADD CONSTRAINT {child} {kind} USING INDEX {child}"),
                    format!("--   ALTER INDEX {} ATTACH PARTITION {child}", quote_name(&spec.index)),
                    "-- continues with the partitions left when it runs again; the constraint's index is valid once every partition's is attached"
                        .to_owned(),
                ]
                .join("\n"),
            ]);
        }
        match self.add.online_shape() {
            OnlineShape::Unsupported(why) => Err(ctx.invalid(why)),
            OnlineShape::Validated(_) => {
                let mut add = self.add.clone();
                add.not_valid();
                let mut rendered = add.render(ctx)?;
                let comments = rendered.split_off(1);
                let table = quote_name(add.table());
                for name in add.names(ctx)? {
                    rendered.push(format!(
                        "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                        quote_ident(&name)
                    ));
                }
                rendered.extend(comments);
                Ok(rendered)
            }
            OnlineShape::UniqueIndex { primary, columns } => {
                ctx.name(self.add.table(), "table")?;
                ctx.idents(columns, "column")?;
                let Some(name) = self.add.names(ctx)?.into_iter().next() else {
                    return Err(ctx.invalid("no constraint name"));
                };
                let table = quote_name(self.add.table());
                let name = quote_ident(&name);
                let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
                Ok(vec![
                    format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({})",
                        quote_list(columns)
                    ),
                    format!("ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}"),
                ])
            }
        }
    }
}

/// Dropping the constraint undoes both shapes: a constraint that took over an index drops it.
impl Reverse for AddConstraintOnline {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.per_partition {
            let drop = match self.partition_constraint(ctx)? {
                Some(fk) => DropPartitionConstraint {
                    table: fk.table.clone(),
                    name: fk.name.clone(),
                    leftovers: Leftovers::Constraints(fk),
                },
                None => {
                    let index = self.partition_index(ctx)?;
                    DropPartitionConstraint {
                        table: index.table.clone(),
                        name: index.index.name().clone(),
                        leftovers: Leftovers::Indexes(index),
                    }
                }
            };
            return Ok(vec![drop.into()]);
        }
        self.add.reverse(ctx)
    }

    // A check or foreign key that is added but not yet validated is dropped as a validated one is. A unique
    // index built concurrently that no constraint took over yet is dropped on its own, concurrently too.
    fn reverse_partial(&self, ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        if self.per_partition {
            return self.reverse(ctx);
        }
        match self.add.online_shape() {
            OnlineShape::Validated(_) => self.add.reverse(ctx),
            OnlineShape::UniqueIndex { columns, .. } => {
                let Some(name) = self.add.names(ctx)?.into_iter().next() else {
                    return Err(ctx.invalid("no constraint name"));
                };
                let mut pgm = crate::MigrationBuilder::new();
                pgm.drop_index(self.add.table().clone(), columns.to_vec())
                    .name(name)
                    .concurrently();
                Ok(pgm.operations().to_vec())
            }
            OnlineShape::Unsupported(why) => Err(ctx.invalid(why)),
        }
    }
}

/// The reverse of a constraint added per partition ([`AddConstraintOnline::per_partition`]): the parent's
/// constraint dropped (its attached partition constraints, and their indexes, go with it), then what a stopped
/// build left unattached on the partitions. Only in derived `down`s.
#[derive(Debug, Clone, PartialEq)]
pub struct DropPartitionConstraint {
    table: Name,
    name: Ident,
    leftovers: Leftovers,
}

/// What a stopped build can leave on the partitions.
#[derive(Debug, Clone, PartialEq)]
enum Leftovers {
    /// A unique constraint's: indexes, and the constraints they back.
    Indexes(PartitionIndex),
    /// A foreign key's: the partitions' own constraints.
    Constraints(PartitionConstraint),
}

impl DropPartitionConstraint {
    /// The engine's part: the leftovers on the partitions.
    pub(crate) fn action(&self) -> crate::ops::Action {
        match &self.leftovers {
            Leftovers::Indexes(index) => crate::ops::Action::DropPartitionIndexes(index.clone()),
            Leftovers::Constraints(fk) => crate::ops::Action::DropPartitionConstraints(fk.clone()),
        }
    }
}

impl Render for DropPartitionConstraint {
    fn render(&self, _ctx: Ctx) -> Result<Vec<String>, DslError> {
        let table = quote_name(&self.table);
        let what = match &self.leftovers {
            Leftovers::Indexes(index) => {
                let child = quote_ident(&Ident(format!(
                    "<partition>_{}",
                    index.index.name().as_str()
                )));
                format!("ALTER TABLE <partition> DROP CONSTRAINT IF EXISTS {child}, DROP INDEX IF EXISTS {child}")
            }
            Leftovers::Constraints(fk) => format!(
                "ALTER TABLE <partition> DROP CONSTRAINT IF EXISTS {}",
                quote_ident(&fk.name)
            ),
        };
        Ok(vec![
            format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {}",
                quote_ident(&self.name)
            ),
            format!("-- then, for each partition of {table}, by the engine: {what} (what a build left unattached)"),
        ])
    }
}

/// Nothing of a derived reverse to undo.
impl Reverse for DropPartitionConstraint {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("it is the reverse of add_constraint_online(..).per_partition()"))
    }
}
