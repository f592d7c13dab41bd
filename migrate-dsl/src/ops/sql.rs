/// Raw SQL recorded with [`MigrationBuilder::sql`](crate::MigrationBuilder::sql): one or several statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub(crate) sql: String,
}

/// A marker recorded with [`MigrationBuilder::irreversible`](crate::MigrationBuilder::irreversible): running it
/// fails with its reason instead of doing nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Irreversible {
    pub(crate) reason: String,
}
