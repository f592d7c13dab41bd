use crate::column::FkAction;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;

/// What a table constraint checks. Build one with the associated functions, then pass it to
/// [`MigrationBuilder::add_constraint`](crate::MigrationBuilder::add_constraint).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Constraint {
    /// `CHECK (expression)`
    Check(String),
    /// `UNIQUE (columns)`
    Unique(Vec<Ident>),
    /// `PRIMARY KEY (columns)`
    PrimaryKey(Vec<Ident>),
    /// `FOREIGN KEY (columns) REFERENCES table (columns)`
    ForeignKey {
        columns: Vec<Ident>,
        references: Name,
        referenced_columns: Vec<Ident>,
        on_delete: Option<FkAction>,
        on_update: Option<FkAction>,
    },
}

impl Constraint {
    /// `CHECK (expression)`.
    pub fn check(expression: impl Into<String>) -> Self {
        Constraint::Check(expression.into())
    }

    /// `UNIQUE (columns)`.
    pub fn unique<I: Into<Ident>>(columns: impl IntoIterator<Item = I>) -> Self {
        Constraint::Unique(columns.into_iter().map(Into::into).collect())
    }

    /// `PRIMARY KEY (columns)`.
    pub fn primary_key<I: Into<Ident>>(columns: impl IntoIterator<Item = I>) -> Self {
        Constraint::PrimaryKey(columns.into_iter().map(Into::into).collect())
    }

    /// `FOREIGN KEY (columns) REFERENCES table (referenced_columns)`; an empty `referenced_columns` means the
    /// referenced table's primary key.
    pub fn foreign_key<I: Into<Ident>, J: Into<Ident>>(
        columns: impl IntoIterator<Item = I>,
        references: impl Into<Name>,
        referenced_columns: impl IntoIterator<Item = J>,
    ) -> Self {
        Constraint::ForeignKey {
            columns: columns.into_iter().map(Into::into).collect(),
            references: references.into(),
            referenced_columns: referenced_columns.into_iter().map(Into::into).collect(),
            on_delete: None,
            on_update: None,
        }
    }

    /// `ON DELETE action` for a foreign key (no effect on other kinds).
    pub fn on_delete(mut self, action: FkAction) -> Self {
        if let Constraint::ForeignKey { on_delete, .. } = &mut self {
            *on_delete = Some(action);
        }
        self
    }

    /// `ON UPDATE action` for a foreign key (no effect on other kinds).
    pub fn on_update(mut self, action: FkAction) -> Self {
        if let Constraint::ForeignKey { on_update, .. } = &mut self {
            *on_update = Some(action);
        }
        self
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT`, recorded by [`MigrationBuilder::add_constraint`](crate::MigrationBuilder::add_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct AddConstraint {
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) constraint: Constraint,
    pub(crate) not_valid: bool,
    pub(crate) deferrable: Option<bool>,
}

impl AddConstraint {
    /// `NOT VALID`: existing rows are not checked now (no long scan under lock); new rows are. Follow with
    /// [`MigrationBuilder::validate_constraint`](crate::MigrationBuilder::validate_constraint) in a later migration.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("comments", "comments_post_id_fkey", Constraint::foreign_key(["post_id"], "posts", ["id"])).not_valid();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") NOT VALID"#,
    /// ]);
    /// ```
    pub fn not_valid(&mut self) -> &mut Self {
        self.not_valid = true;
        self
    }

    /// `DEFERRABLE INITIALLY DEFERRED` (`true`) or `DEFERRABLE INITIALLY IMMEDIATE` (`false`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("seats", "seats_number_key", Constraint::unique(["number"])).deferrable(true);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "seats" ADD CONSTRAINT "seats_number_key" UNIQUE ("number") DEFERRABLE INITIALLY DEFERRED"#,
    /// ]);
    /// ```
    pub fn deferrable(&mut self, initially_deferred: bool) -> &mut Self {
        self.deferrable = Some(initially_deferred);
        self
    }
}

/// `ALTER TABLE ... DROP CONSTRAINT`, recorded by [`MigrationBuilder::drop_constraint`](crate::MigrationBuilder::drop_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct DropConstraint {
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropConstraint {
    /// `DROP CONSTRAINT IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_constraint("posts", "posts_lat_check").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_lat_check""#]);
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
    /// pgm.drop_constraint("posts", "posts_pkey").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TABLE ... VALIDATE CONSTRAINT`, recorded by
/// [`MigrationBuilder::validate_constraint`](crate::MigrationBuilder::validate_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidateConstraint {
    pub(crate) table: Name,
    pub(crate) name: Ident,
}

impl Reverse for AddConstraint {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropConstraint {
            table: self.table.clone(),
            name: self.name.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()])
    }
}

impl Reverse for DropConstraint {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped constraint's definition is not known"))
    }
}

impl Reverse for ValidateConstraint {
    // Validation only proves existing rows: undoing it needs nothing.
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
    }
}
