//! The model's views and materialized views as the description shows them: each one's header (kind,
//! options, a materialized view's access method, tablespace and replica identity), its query under `as`,
//! and its own lines (columns, a materialized view's indexes and statistics objects, privileges' lines,
//! comments), which [`crate::schema::reader`] puts with the lines of its parts still read as text (triggers,
//! rules). An extension's views are left out: the extension stands for them.

use super::tables::{index_and_column_lines, TableLines};
use crate::schema::description::{Kind, SchemaObject};
use crate::schema::model::{Model, View};

/// Every view of `model` but an extension's, in any order (the description sorts).
pub(crate) fn views(model: &Model) -> Vec<TableLines> {
    model.views.values().filter(|view| !view.of_extension).map(view).collect()
}

fn view(view: &View) -> TableLines {
    let kind = if view.materialized {
        Kind::MaterializedView
    } else {
        Kind::View
    };
    let mut object = SchemaObject::new(kind, view.quoted.clone());
    if !view.options.is_empty() {
        let options: Vec<String> = view
            .options
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        object.summary(format!("with ({})", options.join(", ")));
    }
    if let Some(method) = &view.access_method {
        object.summary(format!("using {method}"));
    }
    if let Some(tablespace) = &view.tablespace {
        object.summary(format!("tablespace {tablespace}"));
    }
    // A view's is always `n`; only a materialized view's can be set.
    if view.materialized {
        match view.replica_identity {
            'n' => object.summary("replica identity nothing"),
            'f' => object.summary("replica identity full"),
            'i' => object.summary("replica identity using index"),
            _ => {}
        }
    }
    object.block("as", &view.query);
    let mut lines = TableLines {
        object,
        columns: Vec::new(),
        constraints: Vec::new(),
        indexes: Vec::new(),
        grants: view.privileges.clone(),
        comments: Vec::new(),
    };
    if let Some(text) = &view.comment {
        lines.comments.push(format!("comment {text:?}"));
    }
    index_and_column_lines(view.indexes.values(), &view.statistics, &view.columns, &mut lines);
    lines
}
