use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::render::index_name;
use crate::reverse::Reverse;

/// One indexed element: a column or an expression, with an optional sort order.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexColumn {
    pub(crate) target: IndexTarget,
    pub(crate) descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IndexTarget {
    Column(Ident),
    Expression(String),
}

impl IndexColumn {
    /// An indexed expression such as `lower(email)`, rendered as written inside parentheses.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", [IndexColumn::expression("lower(email)")]).name("users_email_lower_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "users_email_lower_index" ON "users" ((lower(email)))"#]);
    /// ```
    pub fn expression(sql: impl Into<String>) -> Self {
        IndexColumn {
            target: IndexTarget::Expression(sql.into()),
            descending: false,
        }
    }

    /// A column sorted descending.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", [IndexColumn::desc("created_at")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX "posts_created_at_index" ON "posts" ("created_at" DESC)"#]);
    /// ```
    pub fn desc(column: impl Into<Ident>) -> Self {
        IndexColumn {
            target: IndexTarget::Column(column.into()),
            descending: true,
        }
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
        IndexColumn {
            target: IndexTarget::Column(column.into()),
            descending: false,
        }
    }
}

/// `CREATE INDEX`, recorded by [`MigrationBuilder::create_index`](crate::MigrationBuilder::create_index).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    pub(crate) table: Name,
    pub(crate) columns: Vec<IndexColumn>,
    pub(crate) name: Option<Ident>,
    pub(crate) unique: bool,
    pub(crate) concurrently: bool,
    pub(crate) if_not_exists: bool,
    pub(crate) method: Option<String>,
    pub(crate) where_clause: Option<String>,
    pub(crate) include: Vec<Ident>,
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
    /// after a later statement failed.
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

    /// `IF NOT EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["created_at"]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE INDEX IF NOT EXISTS "posts_created_at_index" ON "posts" ("created_at")"#]);
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
}

/// `DROP INDEX`, recorded by [`MigrationBuilder::drop_index`](crate::MigrationBuilder::drop_index).
#[derive(Debug, Clone, PartialEq)]
pub struct DropIndex {
    pub(crate) table: Name,
    pub(crate) columns: Vec<IndexColumn>,
    pub(crate) name: Option<Ident>,
    pub(crate) unique: bool,
    pub(crate) concurrently: bool,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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

    /// `DROP INDEX CONCURRENTLY`; the migration then runs outside a transaction.
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
}

impl Reverse for CreateIndex {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let name = index_name(
            ctx.op,
            ctx.position,
            &self.table,
            &self.columns,
            &self.name,
            self.unique,
        )?;
        Ok(vec![DropIndex {
            table: self.table.clone(),
            columns: Vec::new(),
            name: Some(name),
            unique: self.unique,
            concurrently: self.concurrently,
            if_exists: self.if_not_exists,
            cascade: false,
        }
        .into()])
    }
}

impl Reverse for DropIndex {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped index's definition is not known"))
    }
}
