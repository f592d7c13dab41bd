//! Materialized view operations written back as Rust ([`ToRust`]).

use super::{
    AlterMaterializedView, CreateMaterializedView, DropMaterializedView, MaterializedViewChange,
    RefreshMaterializedView, RenameMaterializedView, RenameMaterializedViewColumn,
};
use crate::error::DslError;
use crate::to_rust::{ident, idents, lit, name, refuse, value, Chain, ToRust};

impl ToRust for CreateMaterializedView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateMaterializedView {
            name: view,
            definition,
            if_not_exists,
            columns,
            tablespace,
            storage,
            with_data,
            comment,
        } = self;
        let mut w = Chain::pgm(op, &[name(view), lit(definition)]);
        w.flag(*if_not_exists, "if_not_exists");
        if !columns.is_empty() {
            w.set("columns", &[idents(columns)]);
        }
        w.some(tablespace.as_ref(), "tablespace", ident);
        for (parameter, v) in storage {
            w.set("storage_parameter", &[lit(parameter), value(v)]);
        }
        w.some(*with_data, "with_data", |d| d.to_string())
            .some(comment.as_ref(), "comment", |c| lit(c));
        Ok(w.statement())
    }
}

impl ToRust for DropMaterializedView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropMaterializedView {
            name: view,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(view)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for AlterMaterializedView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterMaterializedView {
            name: view,
            changes,
        } = self;
        let mut w = Chain::pgm(op, &[name(view)]);
        let mut previous: Option<&MaterializedViewChange> = None;
        for change in changes {
            match change {
                MaterializedViewChange::ClusterOn(index) => {
                    w.set("cluster_on", &[ident(index)]);
                }
                MaterializedViewChange::SetWithoutCluster => {
                    w.set("set_without_cluster", &[]);
                }
                MaterializedViewChange::DependsOnExtension(extension) => {
                    w.set("depends_on_extension", &[ident(extension)]);
                }
                MaterializedViewChange::NoDependsOnExtension(extension) => {
                    w.set("no_depends_on_extension", &[ident(extension)]);
                }
                // Consecutive setters join one `SET (..)`: two lists in a row, or an empty one, have no
                // builder form.
                MaterializedViewChange::Set(items) => {
                    if items.is_empty() || matches!(previous, Some(MaterializedViewChange::Set(_)))
                    {
                        return Err(refuse(
                            op,
                            "storage parameters set apart from the builder's one SET list",
                        ));
                    }
                    for (parameter, v) in items {
                        w.set("set_storage_parameter", &[lit(parameter), value(v)]);
                    }
                }
                MaterializedViewChange::Reset(items) => {
                    if items.is_empty()
                        || matches!(previous, Some(MaterializedViewChange::Reset(_)))
                    {
                        return Err(refuse(
                            op,
                            "storage parameters reset apart from the builder's one RESET list",
                        ));
                    }
                    for parameter in items {
                        w.set("reset_storage_parameter", &[lit(parameter)]);
                    }
                }
            }
            previous = Some(change);
        }
        Ok(w.statement())
    }
}

impl ToRust for RenameMaterializedView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameMaterializedView { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}

impl ToRust for RenameMaterializedViewColumn {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameMaterializedViewColumn { view, from, to } = self;
        Ok(Chain::pgm(op, &[name(view), ident(from), ident(to)]).statement())
    }
}

impl ToRust for RefreshMaterializedView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RefreshMaterializedView {
            name: view,
            concurrently,
            with_data,
        } = self;
        Ok(Chain::pgm(op, &[name(view)])
            .flag(*concurrently, "concurrently")
            .some(*with_data, "with_data", |d| d.to_string())
            .statement())
    }
}
