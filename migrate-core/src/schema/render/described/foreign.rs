//! The model's foreign tables as the description shows them: a `foreign table` object with the lines a
//! table has (columns, checks, statistics objects, privileges' lines, comments; a foreign table has no
//! indexes, row-level security or replica identity). Their server and options are not shown.

use super::tables::{table, TableLines};
use crate::schema::description::Kind;
use crate::schema::model::Model;

/// Every foreign table of `model` but an extension's, in any order (the description sorts).
pub(super) fn foreign_tables(model: &Model) -> impl Iterator<Item = TableLines> + '_ {
    model
        .foreign_tables
        .values()
        .filter(|foreign| !foreign.of_extension)
        .map(|foreign| table(foreign, Kind::ForeignTable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Column, Table};

    /// A foreign table is shown by its kind and name, without the replica identity PostgreSQL marks it
    /// with, and with its columns; an extension's is left out.
    #[test]
    fn a_foreign_table_is_described_as_one_and_an_extensions_is_left_out() {
        let mut model = Model::default();
        let column = Column {
            name: "id".to_owned(),
            data_type: "integer".to_owned(),
            not_null: true,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            comment: Some("it's \\ here".to_owned()),
            quoted: "id".to_owned(),
            local: true,
            virtual_generated: false,
            quoted_collation: None,
            identity_sequence: None,
            storage: None,
            privileges: Vec::new(),
        };
        model.foreign_tables.insert(
            ("app".to_owned(), "Remote".to_owned()),
            Table {
                quoted: "app.\"Remote\"".to_owned(),
                replica_identity: 'n',
                columns: vec![column],
                ..Table::default()
            },
        );
        model.foreign_tables.insert(
            ("app".to_owned(), "theirs".to_owned()),
            Table {
                quoted: "app.theirs".to_owned(),
                of_extension: true,
                ..Table::default()
            },
        );
        let described: Vec<TableLines> = foreign_tables(&model).collect();
        assert_eq!(described.len(), 1);
        let remote = &described[0];
        assert_eq!(remote.object.kind(), Kind::ForeignTable);
        assert_eq!(remote.object.name(), "app.\"Remote\"");
        assert_eq!(remote.columns, ["column id integer not null"]);
        assert_eq!(remote.comments, ["comment on column id \"it's \\\\ here\""]);
    }
}
