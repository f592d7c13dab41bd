//! Table operations written back as Rust ([`ToRust`]).

use super::{
    AlterTable, AttachPartition, CreateTable, DetachPartition, DropTable, Like, LikeOption,
    PartitionBound, PartitionBy, PartitionStrategy, RenameTable, RowLevelSecurity,
};
use crate::error::DslError;
use crate::ops::column::rust::columns;
use crate::ops::constraint::rust::{constraint, constraint_name};
use crate::ops::index::rust::index_columns;
use crate::to_rust::{ident, lit, name, values, Chain, ToRust};

fn like(like: &Like) -> String {
    let Like { table, options } = like;
    let mut w = Chain::call("Like::table", &[name(table)]);
    for (including, option) in options {
        let option = match option {
            LikeOption::Comments => "LikeOption::Comments",
            LikeOption::Compression => "LikeOption::Compression",
            LikeOption::Constraints => "LikeOption::Constraints",
            LikeOption::Defaults => "LikeOption::Defaults",
            LikeOption::Generated => "LikeOption::Generated",
            LikeOption::Identity => "LikeOption::Identity",
            LikeOption::Indexes => "LikeOption::Indexes",
            LikeOption::Statistics => "LikeOption::Statistics",
            LikeOption::Storage => "LikeOption::Storage",
            LikeOption::All => "LikeOption::All",
        };
        w.set(
            if *including { "including" } else { "excluding" },
            &[option.to_owned()],
        );
    }
    w.expression()
}

fn rls(setting: RowLevelSecurity) -> String {
    match setting {
        RowLevelSecurity::Enable => "RowLevelSecurity::Enable",
        RowLevelSecurity::Disable => "RowLevelSecurity::Disable",
        RowLevelSecurity::Force => "RowLevelSecurity::Force",
        RowLevelSecurity::NoForce => "RowLevelSecurity::NoForce",
    }
    .to_owned()
}

fn bound(bound: &PartitionBound) -> String {
    match bound {
        PartitionBound::Range { from, to } => {
            format!("PartitionBound::range({}, {})", values(from), values(to))
        }
        PartitionBound::List(list) => format!("PartitionBound::list({})", values(list)),
        PartitionBound::Hash { modulus, remainder } => {
            format!("PartitionBound::hash({modulus}, {remainder})")
        }
        PartitionBound::Default => "PartitionBound::Default".to_owned(),
    }
}

impl ToRust for CreateTable {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateTable {
            name: table,
            columns: table_columns,
            if_not_exists,
            comment,
            temporary,
            unlogged,
            inherits,
            like: likes,
            partition_by,
            constraints,
            cascade,
        } = self;
        let mut w = Chain::pgm(op, &[name(table), columns(table_columns, op)?]);
        w.flag(*if_not_exists, "if_not_exists")
            .flag(*temporary, "temporary")
            .flag(*unlogged, "unlogged");
        // One call per parent: `inherits` extends the list, and one array could not mix a bare name and a tuple.
        for parent in inherits {
            w.set("inherits", &[format!("[{}]", name(parent))]);
        }
        for source in likes {
            w.set("like", &[like(source)]);
        }
        if let Some(PartitionBy { strategy, keys }) = partition_by {
            let strategy = match strategy {
                PartitionStrategy::Range => "PartitionStrategy::Range",
                PartitionStrategy::List => "PartitionStrategy::List",
                PartitionStrategy::Hash => "PartitionStrategy::Hash",
            };
            w.set("partition_by", &[strategy.to_owned(), index_columns(keys)]);
        }
        for (constraint_name_, c) in constraints {
            w.set(
                "constraint",
                &[
                    constraint_name(constraint_name_.as_ref()),
                    constraint(c, op)?,
                ],
            );
        }
        w.some(comment.as_ref(), "comment", |c| lit(c))
            .flag(*cascade, "cascade");
        Ok(w.statement())
    }
}

impl ToRust for DropTable {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropTable {
            name: table,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(table)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameTable {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameTable { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}

impl ToRust for AlterTable {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterTable {
            name: table,
            rls_enabled,
            rls_forced,
            logged,
        } = self;
        let mut w = Chain::pgm(op, &[name(table)]);
        w.some(*rls_enabled, "row_level_security", rls).some(
            *rls_forced,
            "row_level_security",
            rls,
        );
        match logged {
            Some(true) => w.set("set_logged", &[]),
            Some(false) => w.set("set_unlogged", &[]),
            None => &mut w,
        };
        Ok(w.statement())
    }
}

impl ToRust for AttachPartition {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AttachPartition {
            table,
            partition,
            bound: partition_bound,
        } = self;
        Ok(Chain::pgm(op, &[name(table), name(partition), bound(partition_bound)]).statement())
    }
}

impl ToRust for DetachPartition {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DetachPartition {
            table,
            partition,
            concurrently,
            bound: partition_bound,
        } = self;
        Ok(Chain::pgm(op, &[name(table), name(partition)])
            .flag(*concurrently, "concurrently")
            .some(partition_bound.as_ref(), "bound", bound)
            .statement())
    }
}
