//! Partitions of a partitioned table (see [`CreateTable::partition_by`](super::CreateTable::partition_by)):
//! attaching an existing table for a range, list or hash of keys, and detaching it.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::value::Value;

/// The rows a partition holds, for [`MigrationBuilder::attach_partition`](crate::MigrationBuilder::attach_partition). Bound values are literals or, with
/// [`expr`](crate::expr), expressions (`expr("MINVALUE")`, `expr("MAXVALUE")` for an open range end).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PartitionBound {
    /// `FOR VALUES FROM (from) TO (to)`, one value per partition key column; `to` is excluded.
    Range { from: Vec<Value>, to: Vec<Value> },
    /// `FOR VALUES IN (values)`.
    List(Vec<Value>),
    /// `FOR VALUES WITH (MODULUS modulus, REMAINDER remainder)`.
    Hash { modulus: u32, remainder: u32 },
    /// `DEFAULT`: the rows no other partition takes.
    Default,
}

impl PartitionBound {
    /// `FOR VALUES FROM (from) TO (to)`.
    pub fn range<F: Into<Value>, T: Into<Value>>(
        from: impl IntoIterator<Item = F>,
        to: impl IntoIterator<Item = T>,
    ) -> Self {
        PartitionBound::Range {
            from: from.into_iter().map(Into::into).collect(),
            to: to.into_iter().map(Into::into).collect(),
        }
    }

    /// `FOR VALUES IN (values)`.
    pub fn list<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Self {
        PartitionBound::List(values.into_iter().map(Into::into).collect())
    }

    /// `FOR VALUES WITH (MODULUS modulus, REMAINDER remainder)`.
    pub fn hash(modulus: u32, remainder: u32) -> Self {
        PartitionBound::Hash { modulus, remainder }
    }
}

/// `ALTER TABLE ... ATTACH PARTITION`, recorded by
/// [`MigrationBuilder::attach_partition`](crate::MigrationBuilder::attach_partition).
#[derive(Debug, Clone, PartialEq)]
pub struct AttachPartition {
    pub(super) table: Name,
    pub(super) partition: Name,
    pub(super) bound: PartitionBound,
}

impl AttachPartition {
    pub(crate) fn new(table: Name, partition: Name, bound: PartitionBound) -> Self {
        AttachPartition {
            table,
            partition,
            bound,
        }
    }
}

impl Reverse for AttachPartition {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DetachPartition::new(
            self.table.clone(),
            self.partition.clone(),
        )
        .into()])
    }
}

/// `ALTER TABLE ... DETACH PARTITION`, recorded by
/// [`MigrationBuilder::detach_partition`](crate::MigrationBuilder::detach_partition).
#[derive(Debug, Clone, PartialEq)]
pub struct DetachPartition {
    pub(super) table: Name,
    pub(super) partition: Name,
    pub(super) concurrently: bool,
    pub(super) bound: Option<PartitionBound>,
}

impl DetachPartition {
    pub(crate) fn new(table: Name, partition: Name) -> Self {
        DetachPartition {
            table,
            partition,
            concurrently: false,
            bound: None,
        }
    }

    /// `DETACH PARTITION .. CONCURRENTLY` (PostgreSQL 14 and later): takes only `SHARE UPDATE EXCLUSIVE` on
    /// the partitioned table, so queries on it go on, in two transactions of its own (the migration runs
    /// outside a transaction; a detach interrupted between them is finished with `FINALIZE` by running the
    /// migration again). Not for a table with a default partition.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.detach_partition("measurements", "measurements_2025_01").concurrently();
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER TABLE "measurements" DETACH PARTITION "measurements_2025_01" CONCURRENTLY"#]);
    /// ```
    pub fn concurrently(&mut self) -> &mut Self {
        self.concurrently = true;
        self
    }

    /// The partition's bound, which makes the detach reversible: its `down` attaches the table again
    /// for it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.detach_partition("measurements", "measurements_2025_01")
    ///     .bound(PartitionBound::range(["2025-01-01"], ["2025-02-01"]));
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"ALTER TABLE "measurements" ATTACH PARTITION "measurements_2025_01" FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')"#]);
    /// ```
    pub fn bound(&mut self, bound: PartitionBound) -> &mut Self {
        self.bound = Some(bound);
        self
    }
}

impl Reverse for DetachPartition {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let Some(bound) = &self.bound else {
            return Err(ctx.irreversible(
                "the detached partition's bound is not known: give it with `.bound(..)`",
            ));
        };
        Ok(vec![AttachPartition::new(
            self.table.clone(),
            self.partition.clone(),
            bound.clone(),
        )
        .into()])
    }
}
