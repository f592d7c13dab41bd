//! Indexes.
//!
//! Index elements (also exclusion-constraint elements and partition keys): a column name, or
//! `IndexColumn::column(..)` / `IndexColumn::expression(..)` with `.opclass(..)`, `.collate(..)`, `.ascending()` /
//! `.descending()` and `.nulls_first()` / `.nulls_last()`. Constraints take `.deferrable(..)` and `.comment(..)`; foreign
//! keys also `.match_type(..)`, `.on_delete(..)`, `.on_update(..)`; `Constraint::unique(..)` also `.nulls_not_distinct()`;
//! `Constraint::exclude(method, [(element, operator)])` also `.where_clause(..)`. An option chained onto something it
//! does not apply to is refused when the migration is rendered, not dropped.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::reverse::may_have_skipped;
use crate::safeguard::Object;

mod render;
pub(crate) mod rust;
pub(crate) use render::{index_element, index_name};

impl MigrationBuilder {
    /// `CREATE INDEX ... ON table (columns)`. Reversed by dropping the index (with the same name, schema and
    /// `CONCURRENTLY`). With `CONCURRENTLY` the statements get `IF NOT EXISTS` / `IF EXISTS`: they run
    /// outside a transaction, so a migration that failed after them must be able to run again. The engine
    /// checks first that the index is the migration's own (see [`CreateIndex::concurrently`]).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("comments", ["post_id", "created_at"]).concurrently();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "comments_post_id_created_at_index" ON "comments" ("post_id", "created_at")"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP INDEX CONCURRENTLY IF EXISTS "comments_post_id_created_at_index""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn create_index<C: Into<IndexColumn>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut CreateIndex {
        self.record(CreateIndex::new(
            table.into(),
            columns.into_iter().map(Into::into).collect(),
        ))
    }

    /// `DROP INDEX`, naming the index as [`create_index`](Self::create_index) derived it from the table and
    /// columns (or by [`DropIndex::name`]). Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("comments", ["post_id", "created_at"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX "comments_post_id_created_at_index""#]);
    /// ```
    #[track_caller]
    pub fn drop_index<C: Into<IndexColumn>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut DropIndex {
        self.record(DropIndex::new(
            table.into(),
            columns.into_iter().map(Into::into).collect(),
        ))
    }

    /// `ALTER INDEX name RENAME TO new_name`. The index stays in its schema: qualify it with a tuple when it
    /// is not on the `search_path` (an index lives in its table's schema). Reversed by the opposite rename, in
    /// the same schema.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_index(("app", "posts_title_index"), "posts_headline_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER INDEX "app"."posts_title_index" RENAME TO "posts_headline_index""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER INDEX "app"."posts_headline_index" RENAME TO "posts_title_index""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_index(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameIndex {
        self.record(RenameIndex::new(name.into(), new_name.into()))
    }
}

/// One indexed element: a column or an expression, with an optional collation, operator class, sort order
/// and position of `NULL`s. Options chain by value, so mixed elements fit in one array literal:
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.create_index("posts", [
///     IndexColumn::column("title").opclass("text_pattern_ops"),
///     IndexColumn::expression("lower(author)").collate("C").descending().nulls_last(),
///     IndexColumn::desc("created_at"),
/// ]).name("posts_listing_index");
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"CREATE INDEX "posts_listing_index" ON "posts" ("title" "text_pattern_ops", (lower(author)) COLLATE "C" DESC NULLS LAST, "created_at" DESC)"#,
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IndexColumn {
    target: IndexTarget,
    collation: Option<Name>,
    opclass: Option<Name>,
    /// `Some(true)` for `DESC`, `Some(false)` for `ASC`.
    descending: Option<bool>,
    /// `Some(true)` for `NULLS FIRST`, `Some(false)` for `NULLS LAST`.
    nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IndexTarget {
    Column(Ident),
    Expression(String),
}

impl IndexColumn {
    /// The column or expression indexed, for names derived from it.
    pub(crate) fn target(&self) -> &IndexTarget {
        &self.target
    }
}

impl IndexColumn {
    fn new(target: IndexTarget) -> Self {
        IndexColumn {
            target,
            collation: None,
            opclass: None,
            descending: None,
            nulls_first: None,
        }
    }

    /// A column (a plain `&str` converts into one too; use this to chain options onto it).
    pub fn column(column: impl Into<Ident>) -> Self {
        IndexColumn::new(IndexTarget::Column(column.into()))
    }

    /// An indexed expression such as `lower(email)`, rendered as written inside parentheses.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", [IndexColumn::expression("lower(email)")]).name("users_email_lower_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "users_email_lower_index" ON "users" ((lower(email)))"#]);
    /// ```
    pub fn expression(sql: impl Into<String>) -> Self {
        IndexColumn::new(IndexTarget::Expression(sql.into()))
    }

    /// A column sorted descending: short for `IndexColumn::column(column).descending()`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", [IndexColumn::desc("created_at")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_created_at_index" ON "posts" ("created_at" DESC)"#]);
    /// ```
    pub fn desc(column: impl Into<Ident>) -> Self {
        IndexColumn::column(column).descending()
    }

    /// `DESC`: sorted descending (`NULL`s then come first, unless [`nulls_last`](Self::nulls_last)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", [IndexColumn::expression("coalesce(updated_at, created_at)").descending()])
    ///     .name("posts_recent_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE INDEX "posts_recent_index" ON "posts" ((coalesce(updated_at, created_at)) DESC)"#,
    /// ]);
    /// ```
    pub fn descending(mut self) -> Self {
        self.descending = Some(true);
        self
    }

    /// `ASC`, written out (it is the default).
    pub fn ascending(mut self) -> Self {
        self.descending = Some(false);
        self
    }

    /// `NULLS FIRST`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("tasks", [IndexColumn::column("due_at").ascending().nulls_first()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "tasks_due_at_index" ON "tasks" ("due_at" ASC NULLS FIRST)"#]);
    /// ```
    pub fn nulls_first(mut self) -> Self {
        self.nulls_first = Some(true);
        self
    }

    /// `NULLS LAST`.
    pub fn nulls_last(mut self) -> Self {
        self.nulls_first = Some(false);
        self
    }

    /// The operator class (`text_pattern_ops`, `jsonb_path_ops`, `gin_trgm_ops`), an identifier quoted like
    /// every name; schema-qualify it with a tuple.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("docs", [IndexColumn::column("body").opclass("jsonb_path_ops")]).method("gin");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "docs_body_index" ON "docs" USING gin ("body" "jsonb_path_ops")"#]);
    /// ```
    pub fn opclass(mut self, opclass: impl Into<Name>) -> Self {
        self.opclass = Some(opclass.into());
        self
    }

    /// `COLLATE collation` for this element, an identifier (`"C"`).
    pub fn collate(mut self, collation: impl Into<Name>) -> Self {
        self.collation = Some(collation.into());
        self
    }

    /// Whether a sort order or `NULLS` position was given (not allowed in partition keys).
    pub(crate) fn has_ordering(&self) -> bool {
        self.descending.is_some() || self.nulls_first.is_some()
    }

    /// The part of a generated index name this element contributes.
    pub(crate) fn name_part(&self) -> String {
        match &self.target {
            IndexTarget::Column(c) => c.as_str().to_owned(),
            IndexTarget::Expression(e) => e
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect(),
        }
    }
}

impl<T: Into<Ident>> From<T> for IndexColumn {
    fn from(column: T) -> Self {
        IndexColumn::column(column)
    }
}

/// `CREATE INDEX`, recorded by [`MigrationBuilder::create_index`](crate::MigrationBuilder::create_index).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    table: Name,
    columns: Vec<IndexColumn>,
    name: Option<Ident>,
    unique: bool,
    concurrently: bool,
    if_not_exists: bool,
    method: Option<String>,
    where_clause: Option<String>,
    include: Vec<Ident>,
    nulls_not_distinct: bool,
    per_partition: bool,
}

impl CreateIndex {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, columns: Vec<IndexColumn>) -> Self {
        CreateIndex {
            table,
            columns,
            name: None,
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: None,
            where_clause: None,
            include: Vec::new(),
            nulls_not_distinct: false,
            per_partition: false,
        }
    }
}

impl CreateIndex {
    /// The index name. Without it the name is `{table}_{columns}_index` (`_unique_index` for unique ones),
    /// as node-pg-migrate derives it, so the automatic reverse can drop it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["author_id", "created_at"]).name("posts_by_author");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_by_author" ON "posts" ("author_id", "created_at")"#]);
    /// ```
    pub fn name(&mut self, name: impl Into<Ident>) -> &mut Self {
        self.name = Some(name.into());
        self
    }

    /// `CREATE UNIQUE INDEX`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", ["email"]).unique();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE UNIQUE INDEX "users_email_unique_index" ON "users" ("email")"#]);
    /// ```
    pub fn unique(&mut self) -> &mut Self {
        self.unique = true;
        self
    }

    /// `CONCURRENTLY`: builds without blocking writes. It cannot run inside a transaction, so the migration
    /// runs outside one automatically, and the statement gets `IF NOT EXISTS` so the migration can run again
    /// after a later statement failed. That clause is the engine's, not the author's: before the migration
    /// runs, the engine checks that no index (or other relation) of that name exists in the table's schema,
    /// unless an earlier attempt of this same migration built it; otherwise it refuses, naming the owner
    /// (see [`Safeguard::CreatesIfAbsent`](crate::Safeguard::CreatesIfAbsent)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["created_at"]).concurrently();
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_created_at_index" ON "posts" ("created_at")"#]);
    /// ```
    pub fn concurrently(&mut self) -> &mut Self {
        self.concurrently = true;
        self
    }

    /// Builds the index on a partitioned table without blocking writes, which PostgreSQL's `CONCURRENTLY`
    /// refuses on a partitioned table: the index is created `ON ONLY` the parent (catalog only, invalid until
    /// every partition has its own), then the engine builds it `CONCURRENTLY` on each partition
    /// (sub-partitions included: `ON ONLY` each sub-partitioned table, `CONCURRENTLY` on its partitions) and
    /// attaches it, each statement on its own; once the last one is attached the parent's index is valid.
    /// Each partition's index is named `<partition>_<index>` (shortened with a digest past 63 bytes). An
    /// interrupted build continues with the partitions left when the migration runs again (an invalid
    /// index a failed build left is dropped and built again); a partition created meanwhile gets the index
    /// from PostgreSQL. The migration runs outside a transaction. Reversed by
    /// [`DropIndex::per_partition`]: the parent's index, with every attached index, and the indexes built
    /// but not attached yet.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("measurements", ["taken_at"]).concurrently_per_partition();
    /// assert!(!pgm.is_transactional());
    /// let sql = pgm.to_sql().unwrap();
    /// assert_eq!(sql[0], r#"CREATE INDEX IF NOT EXISTS "measurements_taken_at_index" ON ONLY "measurements" ("taken_at")"#);
    /// assert_eq!(sql[1].lines().collect::<Vec<_>>(), [
    ///     r#"-- for each partition of "measurements" (sub-partitions included), each statement on its own, by the engine:"#,
    ///     r#"--   CREATE INDEX CONCURRENTLY IF NOT EXISTS "<partition>_measurements_taken_at_index" ON <partition> ("taken_at")"#,
    ///     r#"--   ALTER INDEX "measurements_taken_at_index" ATTACH PARTITION "<partition>_measurements_taken_at_index""#,
    ///     r#"-- continues with the partitions left when it runs again; the index is valid once every partition's is attached"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0],
    ///     r#"DROP INDEX IF EXISTS "measurements_taken_at_index""#);
    /// ```
    pub fn concurrently_per_partition(&mut self) -> &mut Self {
        self.per_partition = true;
        self
    }

    /// Whether the index is built partition by partition ([`concurrently_per_partition`](Self::concurrently_per_partition)).
    pub fn is_per_partition(&self) -> bool {
        self.per_partition
    }

    /// `IF NOT EXISTS`: an existing index (or relation) of that name is skipped, with a server notice that
    /// the run shows. There is then no automatic reverse: dropping the index could drop one this migration
    /// did not build.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["created_at"]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX IF NOT EXISTS "posts_created_at_index" ON "posts" ("created_at")"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// The index method (`btree`, `gin`, `gist`, `brin`, `hash`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["location"]).method("gist");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_location_index" ON "posts" USING gist ("location")"#]);
    /// ```
    pub fn method(&mut self, method: impl Into<String>) -> &mut Self {
        self.method = Some(method.into());
        self
    }

    /// A partial index: `WHERE predicate`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["created_at"]).where_clause("deleted_at IS NULL");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_created_at_index" ON "posts" ("created_at") WHERE deleted_at IS NULL"#]);
    /// ```
    pub fn where_clause(&mut self, predicate: impl Into<String>) -> &mut Self {
        self.where_clause = Some(predicate.into());
        self
    }

    /// `INCLUDE (columns)`: covering columns stored in the index but not part of the key.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["author_id"]).include(["title"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_author_id_index" ON "posts" ("author_id") INCLUDE ("title")"#]);
    /// ```
    pub fn include<I: Into<Ident>>(&mut self, columns: impl IntoIterator<Item = I>) -> &mut Self {
        self.include = columns.into_iter().map(Into::into).collect();
        self
    }

    /// `NULLS NOT DISTINCT` (PostgreSQL 15+): in a unique index, rows whose key is `NULL` count as equal, so
    /// at most one of them is allowed. Refused on an index that is not [`unique`](Self::unique).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", ["email"]).unique().nulls_not_distinct();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE UNIQUE INDEX "users_email_unique_index" ON "users" ("email") NULLS NOT DISTINCT"#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", ["email"]).nulls_not_distinct();
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("unique indexes only"));
    /// ```
    pub fn nulls_not_distinct(&mut self) -> &mut Self {
        self.nulls_not_distinct = true;
        self
    }
}

/// `DROP INDEX`, recorded by [`MigrationBuilder::drop_index`](crate::MigrationBuilder::drop_index).
#[derive(Debug, Clone, PartialEq)]
pub struct DropIndex {
    table: Name,
    columns: Vec<IndexColumn>,
    name: Option<Ident>,
    unique: bool,
    concurrently: bool,
    if_exists: bool,
    cascade: bool,
    per_partition: bool,
}

impl DropIndex {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, columns: Vec<IndexColumn>) -> Self {
        DropIndex {
            table,
            columns,
            name: None,
            unique: false,
            concurrently: false,
            if_exists: false,
            cascade: false,
            per_partition: false,
        }
    }
}

impl DropIndex {
    /// The index name, when it was not derived from the columns.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index(("app", "posts"), ["author_id"]).name("posts_by_author");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX "app"."posts_by_author""#]);
    /// ```
    pub fn name(&mut self, name: impl Into<Ident>) -> &mut Self {
        self.name = Some(name.into());
        self
    }

    /// Derive the name as for a unique index (`{table}_{columns}_unique_index`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("users", ["email"]).unique();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX "users_email_unique_index""#]);
    /// ```
    pub fn unique(&mut self) -> &mut Self {
        self.unique = true;
        self
    }

    /// `DROP INDEX CONCURRENTLY`; the migration then runs outside a transaction, and the statement gets
    /// `IF EXISTS` so the migration can run again after a later statement failed. Before the migration runs,
    /// the engine checks that the index exists, unless an earlier attempt of this same migration dropped it;
    /// a missing index is skipped only with [`if_exists`](Self::if_exists).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("posts", ["created_at"]).concurrently().if_exists();
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX CONCURRENTLY IF EXISTS "posts_created_at_index""#]);
    /// ```
    pub fn concurrently(&mut self) -> &mut Self {
        self.concurrently = true;
        self
    }

    /// `IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("posts", ["created_at"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX IF EXISTS "posts_created_at_index""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("posts", ["created_at"]).cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX "posts_created_at_index" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }

    /// Drops the index of a partitioned table that
    /// [`concurrently_per_partition`](CreateIndex::concurrently_per_partition) built: `DROP INDEX IF EXISTS`
    /// of the parent's index (PostgreSQL drops every attached partition index with it: catalog only, under
    /// `ACCESS EXCLUSIVE` on the table and its partitions for that instant), then the partitions' indexes an
    /// interrupted build left unattached, by their names. What the derived `down` of such an index runs.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("measurements", ["taken_at"]).per_partition();
    /// assert!(pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"DROP INDEX IF EXISTS "measurements_taken_at_index""#,
    ///     r#"-- then, for each partition of "measurements", by the engine: DROP INDEX IF EXISTS "<partition>_measurements_taken_at_index" (one a build left unattached)"#,
    /// ]);
    /// ```
    pub fn per_partition(&mut self) -> &mut Self {
        self.per_partition = true;
        self
    }

    /// Whether it drops a partitioned table's index with its partitions' leftovers ([`per_partition`](Self::per_partition)).
    pub fn is_per_partition(&self) -> bool {
        self.per_partition
    }
}

/// An index built partition by partition ([`CreateIndex::concurrently_per_partition`]), as the engine needs it
/// to build or drop the partitions' indexes: inert data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionIndex {
    /// The partitioned table.
    pub table: Name,
    /// The parent's index, in the table's schema.
    pub index: Name,
    pub unique: bool,
    /// What follows `ON <relation>` in each `CREATE INDEX`: `[USING method] (elements) [INCLUDE (..)]
    /// [NULLS NOT DISTINCT] [WHERE predicate]`.
    pub definition: String,
    /// The index backs a constraint (`UNIQUE` or `PRIMARY KEY`, with its column list): each partition's index
    /// backs one of its own, named as the index, which PostgreSQL needs to attach it.
    pub constraint: Option<String>,
}

impl PartitionIndex {
    /// The name of a partition's index: `<partition>_<index>`, or, past PostgreSQL's 63 bytes, shortened
    /// with a digest of the whole name so that two partitions never share one. The same on every database,
    /// so the schema description (drift, verify, the schema file) compares equal.
    ///
    /// ```
    /// use migrate_dsl::PartitionIndex;
    /// assert_eq!(PartitionIndex::partition_index_name("m_2026_11", "m_at_index"), "m_2026_11_m_at_index");
    /// let long = PartitionIndex::partition_index_name(&"p".repeat(40), &"i".repeat(40));
    /// assert_eq!(long.len(), 63);
    /// ```
    pub fn partition_index_name(partition: &str, index: &str) -> String {
        let name = format!("{partition}_{index}");
        if name.len() <= crate::MAX_IDENTIFIER_BYTES {
            return name;
        }
        let digest = fnv1a(name.as_bytes());
        let mut head = name;
        let keep = crate::MAX_IDENTIFIER_BYTES - 9;
        while head.len() > keep || !head.is_char_boundary(head.len()) {
            head.pop();
        }
        format!("{head}_{digest:08x}")
    }
}

/// A foreign key added partition by partition
/// ([`AddConstraintOnline::per_partition`](crate::ops::AddConstraintOnline::per_partition)), as the engine needs
/// it: inert data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionConstraint {
    /// The partitioned table.
    pub table: Name,
    /// The constraint's name, on the table and on each partition.
    pub name: Ident,
    /// What follows `ADD CONSTRAINT <name>`: `FOREIGN KEY (..) REFERENCES ..`.
    pub definition: String,
}

/// FNV-1a, 32 bits: a short, stable digest for names (not for security).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

impl Reverse for CreateIndex {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "index")));
        }
        let name = index_name(
            ctx.op,
            ctx.position,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )?;
        // The columns too: a `down` written back as Rust names the index as its `up` did.
        Ok(vec![DropIndex {
            name: Some(name),
            unique: self.unique,
            concurrently: self.concurrently,
            per_partition: self.per_partition,
            ..DropIndex::new(self.table.clone(), self.columns.clone())
        }
        .into()])
    }

    /// Built per partition and stopped after the parent's `ON ONLY` (and perhaps some partitions): the
    /// same drop undoes it, the partitions' indexes not attached yet included.
    fn reverse_partial(&self, ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        if !self.per_partition {
            return Err(ctx.irreversible(crate::reverse::PART));
        }
        self.reverse(ctx)
    }
}

/// `ALTER INDEX ... RENAME TO`, recorded by [`MigrationBuilder::rename_index`](crate::MigrationBuilder::rename_index).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameIndex {
    from: Name,
    to: Ident,
}

impl RenameIndex {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameIndex { from, to }
    }
}

impl Reverse for RenameIndex {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        // The index stays in its schema: rename the new name, in that schema, back.
        Ok(vec![RenameIndex::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}

impl Reverse for DropIndex {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped index's definition is not known"))
    }
}

impl CreateIndex {
    /// See [`Operation::creates`](crate::Operation::creates).
    pub(crate) fn creates(&self) -> Vec<Object> {
        index_name(
            "create_index",
            0,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )
        .map(|name| {
            vec![Object::Index {
                name: self.table.sibling(name),
                table: self.table.clone(),
            }]
        })
        .unwrap_or_default()
    }
}
