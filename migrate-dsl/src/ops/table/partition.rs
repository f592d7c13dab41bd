//! Partitions of a partitioned table (see [`CreateTable::partition_by`](super::CreateTable::partition_by)):
//! attaching an existing table for a range, list or hash of keys, and detaching it.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::reverse::Reverse;
use crate::value::Value;

impl MigrationBuilder {
    /// `ALTER TABLE table ATTACH PARTITION partition FOR VALUES ...`: makes an existing table a partition of the
    /// partitioned `table` (see [`CreateTable::partition_by`]), for the rows within `bound`. Reversed by
    /// `DETACH PARTITION`. PostgreSQL scans the new partition to check its rows fit the bound (a `CHECK`
    /// constraint matching the bound, added and validated beforehand, lets it skip the scan), and takes a
    /// `SHARE UPDATE EXCLUSIVE` lock on `table`, so reads and writes of the other partitions continue.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.attach_partition(
    ///     ("app", "measurements"),
    ///     ("app", "measurements_2026_11"),
    ///     PartitionBound::range(["2026-11-01"], ["2026-12-01"]),
    /// );
    /// pgm.attach_partition("regions", "regions_eu", PartitionBound::list(["de", "fr"]));
    /// pgm.attach_partition("events", "events_0", PartitionBound::hash(4, 0));
    /// pgm.attach_partition("events_by_day", "events_other", PartitionBound::Default);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."measurements" ATTACH PARTITION "app"."measurements_2026_11" FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')"#,
    ///     r#"ALTER TABLE "regions" ATTACH PARTITION "regions_eu" FOR VALUES IN ('de', 'fr')"#,
    ///     r#"ALTER TABLE "events" ATTACH PARTITION "events_0" FOR VALUES WITH (MODULUS 4, REMAINDER 0)"#,
    ///     r#"ALTER TABLE "events_by_day" ATTACH PARTITION "events_other" DEFAULT"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[3],
    ///     r#"ALTER TABLE "app"."measurements" DETACH PARTITION "app"."measurements_2026_11""#);
    /// ```
    #[track_caller]
    pub fn attach_partition(
        &mut self,
        table: impl Into<Name>,
        partition: impl Into<Name>,
        bound: PartitionBound,
    ) -> &mut AttachPartition {
        self.record(AttachPartition::new(table.into(), partition.into(), bound))
    }

    /// `ALTER TABLE table DETACH PARTITION partition`: the partition becomes a table of its own, keeping its
    /// rows. Irreversible (the partition's bound is not known); write a `down` with
    /// [`attach_partition`](Self::attach_partition).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.detach_partition("measurements", "measurements_2025_01");
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER TABLE "measurements" DETACH PARTITION "measurements_2025_01""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn detach_partition(
        &mut self,
        table: impl Into<Name>,
        partition: impl Into<Name>,
    ) -> &mut DetachPartition {
        self.record(DetachPartition::new(table.into(), partition.into()))
    }
}

/// The rows a partition holds, for [`MigrationBuilder::attach_partition`]. Bound values are literals or, with
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
}

impl DetachPartition {
    pub(crate) fn new(table: Name, partition: Name) -> Self {
        DetachPartition { table, partition }
    }
}

impl Reverse for DetachPartition {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the detached partition's bound is not known"))
    }
}
