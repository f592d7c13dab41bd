//! A fleet's targets: a database, or one schema of a database.

use crate::error::Error;
use crate::history::MigrationsTable;

/// One database, or one schema of a database, that the fleet's migrations are applied to.
///
/// ```
/// use migrate_core::fleet::Target;
/// // A schema per tenant, on the configured database:
/// let tenant = Target::schema("tenant_42");
/// assert_eq!(tenant.name, "tenant_42");
/// // A database per tenant (the name is filled in from its location when the fleet is built):
/// let shard = Target::database("postgres://migrator@db-2.internal/app").named("shard-2");
/// assert_eq!(shard.schema, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// How reports and a named canary call it; unique within a fleet. Empty: filled in when the fleet is
    /// built, with the schema (a schema of the default database) or the server and database.
    pub name: String,
    /// The database, as a connection string for the [`Connector`](super::Connector); `None` is the
    /// connector's default database (the configured one).
    pub url: Option<String>,
    /// The server's own address for the migrator, used instead of `url` when `url` goes through a connection
    /// pooler in transaction mode.
    pub direct_url: Option<String>,
    /// A schema of the database: the target is that schema alone. Its migrations table is in it, and its
    /// session runs with `search_path` set to it (plus the fleet's extras), so that unqualified names in
    /// migrations land in it. `None`: the whole database, with the configured migrations table.
    pub schema: Option<String>,
}

impl Target {
    /// The schema `schema` of the default database, named after the schema.
    pub fn schema(schema: impl Into<String>) -> Target {
        let schema = schema.into();
        Target {
            name: schema.clone(),
            schema: Some(schema),
            ..Target::default()
        }
    }

    /// The database of `url`.
    pub fn database(url: impl Into<String>) -> Target {
        Target {
            url: Some(url.into()),
            ..Target::default()
        }
    }

    /// The same target under another name.
    pub fn named(mut self, name: impl Into<String>) -> Target {
        self.name = name.into();
        self
    }

    /// The same target, one schema of its database.
    pub fn in_schema(mut self, schema: impl Into<String>) -> Target {
        self.schema = Some(schema.into());
        self
    }

    /// The connection string the migrator uses: the direct URL when given, else the URL.
    pub fn migrator_url(&self) -> Option<&str> {
        self.direct_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .or(self.url.as_deref())
    }

    /// Prepares a session of the target's database for it: for a schema target, `search_path` becomes
    /// exactly the schema and then `extra` (for this session only), so unqualified names in migrations land
    /// in the schema; nothing for a database target. [`Fleet`](super::Fleet) does this itself; this is for
    /// running a [`Migrator`](crate::Migrator) on one target's session directly.
    pub fn enter(&self, client: &mut postgres::Client, extra: &[String]) -> Result<(), Error> {
        match &self.schema {
            Some(schema) => set_search_path(client, schema, extra),
            None => Ok(()),
        }
    }

    /// The target's migrations table: `table`'s name in the target's schema for a schema target, `table`
    /// itself otherwise.
    pub fn migrations_table(&self, table: &MigrationsTable) -> Result<MigrationsTable, Error> {
        match &self.schema {
            Some(schema) => MigrationsTable::new(schema, table.name()),
            None => Ok(table.clone()),
        }
    }
}

/// Where a target's database is, as the [`Connector`](super::Connector) reads its connection string: two
/// targets with the same server, database and schema are the same target, and targets on one server share
/// its connection budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The server, e.g. `db-2.internal:5432` (several hosts joined with commas).
    pub server: String,
    /// The database name.
    pub database: String,
}

/// Sets the session's `search_path` to exactly `schema` and then `extra`, for this session only: unqualified
/// names in migrations land in the schema, and nothing else of the server's or role's path is searched.
pub fn set_search_path(
    client: &mut postgres::Client,
    schema: &str,
    extra: &[String],
) -> Result<(), Error> {
    // One round trip, as a simple query: the value is quoted as a literal.
    client
        .batch_execute(&search_path_sql(schema, extra))
        .map_err(Error::database(format!(
            "cannot set search_path to {}",
            search_path(schema, extra)
        )))
}

/// The statement of [`set_search_path`].
pub(crate) fn search_path_sql(schema: &str, extra: &[String]) -> String {
    format!(
        "SELECT pg_catalog.set_config('search_path', {}, false)",
        migrate_dsl::literal(&search_path(schema, extra))
    )
}

fn search_path(schema: &str, extra: &[String]) -> String {
    let path: Vec<String> = std::iter::once(schema)
        .chain(extra.iter().map(String::as_str))
        .map(migrate_dsl::ident)
        .collect();
    path.join(", ")
}
