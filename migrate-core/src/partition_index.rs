//! An index on a partitioned table built without blocking writes
//! ([`migrate_dsl::CreateIndex::concurrently_per_partition`]): after the parent's index is created `ON ONLY`
//! the parent, each partition gets its own index `CONCURRENTLY` (a sub-partitioned table `ON ONLY`, then its
//! partitions), attached to its parent's index. Every step is idempotent (`IF NOT EXISTS`, attached ones
//! skipped), so a build stopped anywhere continues with the partitions left; the planning here reads the
//! catalog as it is at that moment.

use migrate_dsl::{ident, PartitionIndex};
use postgres::GenericClient;

/// One partition whose index is not attached yet: the statements that build and attach it, each sent on its
/// own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionStep {
    /// The partition, quoted and qualified.
    pub partition: String,
    /// Its index, quoted and qualified.
    pub index: String,
    /// `CREATE INDEX CONCURRENTLY IF NOT EXISTS ..` (for a sub-partitioned table, `CREATE INDEX IF NOT
    /// EXISTS .. ON ONLY ..`, or the constraint `ONLY` on it); none for a sub-partitioned table whose
    /// constraint exists.
    pub create: Option<String>,
    /// For an index that backs a constraint: `ALTER TABLE <partition> ADD CONSTRAINT <its index> ..` (`USING
    /// INDEX` on a leaf), when the partition has no such constraint yet.
    pub constrain: Option<String>,
    /// `ALTER INDEX <its parent's index> ATTACH PARTITION <its index>`.
    pub attach: String,
}

impl PartitionStep {
    /// Its statements, in order.
    pub(crate) fn statements(&self) -> impl Iterator<Item = &String> {
        self.create
            .iter()
            .chain(self.constrain.as_ref())
            .chain(std::iter::once(&self.attach))
    }
}

/// Whether `relation` (quoted) has a constraint named `name`.
fn has_constraint(
    conn: &mut impl GenericClient,
    relation: &str,
    name: &str,
) -> Result<bool, postgres::Error> {
    Ok(conn
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint \
             WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2)",
            &[&relation, &name],
        )?
        .get(0))
}

/// A partition in the table's tree, parents before their partitions.
struct Member {
    schema: String,
    name: String,
    parent_schema: String,
    parent_name: String,
    relkind: String,
}

/// Every partition of the table, sub-partitions included, breadth first: a sub-partitioned table comes
/// before its own partitions.
fn tree(conn: &mut impl GenericClient, table: &str) -> Result<Vec<Member>, postgres::Error> {
    let rows = conn.query(
        "WITH RECURSIVE tree(relid, parent, depth) AS ( \
           SELECT inhrelid, inhparent, 1 FROM pg_catalog.pg_inherits WHERE inhparent = $1::text::regclass \
           UNION ALL \
           SELECT i.inhrelid, i.inhparent, t.depth + 1 FROM pg_catalog.pg_inherits i \
           JOIN tree t ON i.inhparent = t.relid) \
         SELECT n.nspname::text, c.relname::text, pn.nspname::text, p.relname::text, c.relkind::text \
         FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.relid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_class p ON p.oid = t.parent \
         JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace \
         ORDER BY t.depth, n.nspname, c.relname",
        &[&table],
    )?;
    Ok(rows
        .iter()
        .map(|r| Member {
            schema: r.get(0),
            name: r.get(1),
            parent_schema: r.get(2),
            parent_name: r.get(3),
            relkind: r.get(4),
        })
        .collect())
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// The partitions whose index is not attached yet, with the statements for each, in the order to run them.
/// A foreign table among the partitions cannot have an index: an error naming it.
pub(crate) fn pending(
    conn: &mut impl GenericClient,
    spec: &PartitionIndex,
) -> Result<Result<Vec<PartitionStep>, String>, postgres::Error> {
    let table = spec.table.quoted();
    let top_schema: String = conn
        .query_one(
            "SELECT n.nspname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE c.oid = $1::text::regclass",
            &[&table],
        )?
        .get(0);
    let parent_index_name = spec.index.name().as_str().to_owned();
    let unique = if spec.unique { "UNIQUE " } else { "" };
    let mut steps = Vec::new();
    for member in tree(conn, &table)? {
        let partition = qualified(&member.schema, &member.name);
        if member.relkind == "f" {
            return Ok(Err(format!(
                "partition {partition} is a foreign table, which cannot have an index"
            )));
        }
        // The index this partition's attaches to: the table's own, or its sub-partitioned parent's.
        let is_top = member.parent_schema == top_schema
            && Some(member.parent_name.as_str()) == Some(spec.table.name().as_str());
        let parent_index = if is_top {
            qualified(&top_schema, &parent_index_name)
        } else {
            qualified(
                &member.parent_schema,
                &PartitionIndex::partition_index_name(&member.parent_name, &parent_index_name),
            )
        };
        let index_name = PartitionIndex::partition_index_name(&member.name, &parent_index_name);
        let index = qualified(&member.schema, &index_name);
        // Any index of this partition attached to its parent's counts, whatever its name: a partition
        // created (or attached) while the build was stopped gets one from PostgreSQL itself, named by
        // PostgreSQL, and a second could not be attached.
        let attached: bool = conn
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h \
                 JOIN pg_catalog.pg_index x ON x.indexrelid = h.inhrelid \
                 WHERE h.inhparent = pg_catalog.to_regclass($2) AND x.indrelid = pg_catalog.to_regclass($1))",
                &[&partition, &parent_index],
            )?
            .get(0);
        if attached {
            continue;
        }
        let constrained = match &spec.constraint {
            Some(_) => has_constraint(conn, &partition, &index_name)?,
            None => true,
        };
        let create = if member.relkind == "p" {
            match &spec.constraint {
                // A sub-partitioned table's own constraint creates its (invalid) index, as the parent's did.
                Some(constraint) if !constrained => Some(format!(
                    "ALTER TABLE ONLY {partition} ADD CONSTRAINT {} {constraint}",
                    ident(&index_name)
                )),
                Some(_) => None,
                None => Some(format!(
                    "CREATE {unique}INDEX IF NOT EXISTS {} ON ONLY {partition}{}",
                    ident(&index_name),
                    spec.definition
                )),
            }
        } else {
            Some(format!(
                "CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {} ON {partition}{}",
                ident(&index_name),
                spec.definition
            ))
        };
        let constrain = match &spec.constraint {
            Some(constraint) if member.relkind != "p" && !constrained => {
                let kind = constraint.split(" (").next().unwrap_or_default();
                Some(format!(
                    "ALTER TABLE {partition} ADD CONSTRAINT {name} {kind} USING INDEX {name}",
                    name = ident(&index_name)
                ))
            }
            _ => None,
        };
        steps.push(PartitionStep {
            attach: format!("ALTER INDEX {parent_index} ATTACH PARTITION {index}"),
            partition,
            index,
            create,
            constrain,
        });
    }
    Ok(Ok(steps))
}

/// Whether the table's index is valid: every partition's index attached.
pub(crate) fn is_valid(
    conn: &mut impl GenericClient,
    spec: &PartitionIndex,
) -> Result<bool, postgres::Error> {
    Ok(conn
        .query_one(
            "SELECT COALESCE((SELECT indisvalid FROM pg_catalog.pg_index \
             WHERE indexrelid = pg_catalog.to_regclass($1)), false)",
            &[&spec.index.quoted()],
        )?
        .get(0))
}

/// Drops the partitions' indexes a build left unattached (once the parent's index is dropped, the attached
/// ones are gone with it); returns those dropped.
pub(crate) fn drop_leftovers(
    conn: &mut impl GenericClient,
    spec: &PartitionIndex,
) -> Result<Vec<String>, postgres::Error> {
    let table = spec.table.quoted();
    if !crate::history::relation_exists(conn, &table)? {
        return Ok(Vec::new());
    }
    let mut dropped = Vec::new();
    for member in tree(conn, &table)?.into_iter().rev() {
        let name = PartitionIndex::partition_index_name(&member.name, spec.index.name().as_str());
        let index = qualified(&member.schema, &name);
        let exists: bool = conn
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass($1) \
                 AND indrelid = pg_catalog.to_regclass($2))",
                &[&index, &qualified(&member.schema, &member.name)],
            )?
            .get(0);
        if exists {
            let partition = qualified(&member.schema, &member.name);
            // An index that backs a constraint goes with it.
            if spec.constraint.is_some() && has_constraint(conn, &partition, &name)? {
                conn.batch_execute(&format!(
                    "ALTER TABLE {partition} DROP CONSTRAINT IF EXISTS {}",
                    ident(&name)
                ))?;
            }
            conn.batch_execute(&format!("DROP INDEX IF EXISTS {index}"))?;
            dropped.push(index);
        }
    }
    Ok(dropped)
}

/// Where a `DETACH PARTITION .. CONCURRENTLY` that an earlier run did not see end stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detach {
    /// Still a partition: the detach runs again.
    Attached,
    /// Its first transaction committed, its second did not: `FINALIZE` finishes it.
    Pending,
    /// Detached.
    Done,
}

/// The table and partition of `ALTER TABLE <table> DETACH PARTITION <partition> CONCURRENTLY`, as the
/// typed operation renders it.
pub(crate) fn concurrent_detach(sql: &str) -> Option<(&str, &str)> {
    let rest = sql.strip_prefix("ALTER TABLE ")?;
    let rest = rest.strip_suffix(" CONCURRENTLY")?;
    rest.split_once(" DETACH PARTITION ")
}

/// Where the detach of `partition` from `table` stands.
pub(crate) fn detach_state(
    conn: &mut impl GenericClient,
    table: &str,
    partition: &str,
) -> Result<Detach, postgres::Error> {
    let row = conn.query_opt(
        "SELECT inhdetachpending FROM pg_catalog.pg_inherits \
         WHERE inhrelid = pg_catalog.to_regclass($2) AND inhparent = pg_catalog.to_regclass($1)",
        &[&table, &partition],
    )?;
    Ok(match row.map(|r| r.get::<_, bool>(0)) {
        None => Detach::Done,
        Some(true) => Detach::Pending,
        Some(false) => Detach::Attached,
    })
}

/// The leaf partitions whose foreign key is not validated yet, with the statements for each: `ADD .. NOT
/// VALID` (when missing) and `VALIDATE`.
pub(crate) fn pending_constraints(
    conn: &mut impl GenericClient,
    spec: &migrate_dsl::PartitionConstraint,
) -> Result<Vec<(String, Vec<String>)>, postgres::Error> {
    let name = spec.name.as_str();
    let mut steps = Vec::new();
    for member in tree(conn, &spec.table.quoted())? {
        // A sub-partitioned table gets its constraint from the table's own, which attaches its partitions'.
        if member.relkind != "r" {
            continue;
        }
        let partition = qualified(&member.schema, &member.name);
        let validated: Option<bool> = conn
            .query_opt(
                "SELECT convalidated FROM pg_catalog.pg_constraint \
                 WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2",
                &[&partition, &name],
            )?
            .map(|r| r.get(0));
        let validate = format!("ALTER TABLE {partition} VALIDATE CONSTRAINT {}", ident(name));
        let statements = match validated {
            Some(true) => continue,
            Some(false) => vec![validate],
            None => vec![
                format!(
                    "ALTER TABLE {partition} ADD CONSTRAINT {} {} NOT VALID",
                    ident(name),
                    spec.definition
                ),
                validate,
            ],
        };
        steps.push((partition, statements));
    }
    Ok(steps)
}

/// Drops the partitions' foreign keys a build left unattached (once the table's own is dropped, the attached
/// ones are gone with it); returns the partitions.
pub(crate) fn drop_constraint_leftovers(
    conn: &mut impl GenericClient,
    spec: &migrate_dsl::PartitionConstraint,
) -> Result<Vec<String>, postgres::Error> {
    let table = spec.table.quoted();
    if !crate::history::relation_exists(conn, &table)? {
        return Ok(Vec::new());
    }
    let mut dropped = Vec::new();
    for member in tree(conn, &table)? {
        let partition = qualified(&member.schema, &member.name);
        if has_constraint(conn, &partition, spec.name.as_str())? {
            conn.batch_execute(&format!(
                "ALTER TABLE {partition} DROP CONSTRAINT IF EXISTS {}",
                ident(spec.name.as_str())
            ))?;
            dropped.push(partition);
        }
    }
    Ok(dropped)
}
