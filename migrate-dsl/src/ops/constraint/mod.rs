//! Table constraints.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::IndexColumn;
use crate::ops::{FkAction, FkMatch};
use crate::reverse::may_have_done_nothing;

pub(crate) mod naming;
mod render;
pub(crate) mod rust;
mod shape;

pub(crate) use naming::constraint_names;
pub(crate) use render::{
    alter_table, constraint_comment, constraint_needs, constraint_sql, ConstraintSite,
};
pub(crate) use shape::OnlineShape;

impl MigrationBuilder {
    /// `ALTER TABLE table ADD CONSTRAINT name ...`. Reversed by `DROP CONSTRAINT name`. With `None` as the
    /// name, it is derived as PostgreSQL would derive it (see [`ConstraintName`]) and written out, so the
    /// SQL shows it and the reverse drops exactly it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", "posts_lat_check", Constraint::check("lat BETWEEN -90 AND 90"));
    /// pgm.add_constraint("posts", "posts_pkey", Constraint::primary_key(["id"]));
    /// pgm.add_constraint("comments", "comments_post_fk",
    ///     Constraint::foreign_key(["post_id"], "posts", ["id"]).on_delete(FkAction::Cascade));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")"#,
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_fk" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0], r#"ALTER TABLE "comments" DROP CONSTRAINT "comments_post_fk""#);
    ///
    /// // Without names, as node-pg-migrate allows; derived as PostgreSQL derives them.
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", None, Constraint::primary_key(["id"]));
    /// pgm.add_constraint("posts", None, Constraint::unique(["author_id", "slug"]));
    /// pgm.add_constraint("comments", None, Constraint::foreign_key(["post_id"], "posts", ["id"]));
    /// pgm.add_constraint("posts", None, Constraint::check("lat BETWEEN -90 AND 90"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_slug_key" UNIQUE ("author_id", "slug")"#,
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts" ("id")"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn add_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<ConstraintName>,
        constraint: Constraint,
    ) -> &mut AddConstraint {
        self.record(AddConstraint::new(table.into(), name.into().0, constraint))
    }

    /// `ALTER TABLE table RENAME CONSTRAINT name TO new_name`. Reversed by the opposite rename. Renaming a
    /// unique, primary key or exclusion constraint renames its index too.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_constraint(("app", "posts"), "posts_lat_check", "posts_latitude_check");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."posts" RENAME CONSTRAINT "posts_lat_check" TO "posts_latitude_check""#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."posts" RENAME CONSTRAINT "posts_latitude_check" TO "posts_lat_check""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameConstraint {
        self.record(RenameConstraint::new(
            table.into(),
            name.into(),
            new_name.into(),
        ))
    }

    /// `ALTER TABLE table DROP CONSTRAINT name`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_constraint("posts", "posts_lat_check");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_lat_check""#]);
    /// ```
    #[track_caller]
    pub fn drop_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut DropConstraint {
        self.record(DropConstraint::new(table.into(), name.into()))
    }

    /// `ALTER TABLE table VALIDATE CONSTRAINT name`: checks the existing rows of a constraint added
    /// `NOT VALID`, taking only a `SHARE UPDATE EXCLUSIVE` lock, so reads and writes continue. Its reverse is
    /// nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.validate_constraint("comments", "comments_post_id_fkey");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_post_id_fkey""#]);
    /// assert!(pgm.reversed().unwrap().to_sql().unwrap().is_empty());
    /// ```
    #[track_caller]
    pub fn validate_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut ValidateConstraint {
        self.record(ValidateConstraint::new(table.into(), name.into()))
    }
}

/// A table constraint: what it checks, and whether it is deferrable or commented. Build one with the
/// associated functions, chain options by value, then pass it to
/// [`MigrationBuilder::add_constraint`](crate::MigrationBuilder::add_constraint) or
/// [`CreateTable::constraint`](crate::CreateTable::constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    kind: ConstraintKind,
    /// `Some(initially_deferred)`: `DEFERRABLE INITIALLY DEFERRED / IMMEDIATE`.
    deferrable: Option<bool>,
    comment: Option<String>,
    /// An option chained onto a kind it does not apply to, as `(option, kinds it applies to)`: refused when
    /// rendered instead of being dropped silently.
    misplaced: Option<(&'static str, &'static str)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstraintKind {
    /// `CHECK (expression)`; a list makes one constraint per expression.
    Check(Vec<String>),
    /// `UNIQUE [NULLS NOT DISTINCT] (columns)`
    Unique {
        columns: Vec<Ident>,
        nulls_not_distinct: bool,
    },
    /// `PRIMARY KEY (columns)`
    PrimaryKey(Vec<Ident>),
    /// `UNIQUE USING INDEX index` (`primary: false`) or `PRIMARY KEY USING INDEX index`.
    UsingIndex { primary: bool, index: Ident },
    /// `FOREIGN KEY (columns) REFERENCES table (columns) ...`
    ForeignKey {
        columns: Vec<Ident>,
        references: Name,
        referenced_columns: Vec<Ident>,
        on_delete: Option<FkAction>,
        on_update: Option<FkAction>,
        match_type: Option<FkMatch>,
    },
    /// `EXCLUDE USING method (element WITH operator, ...) [WHERE (predicate)]`
    Exclude {
        method: String,
        elements: Vec<(IndexColumn, String)>,
        where_clause: Option<String>,
    },
}

impl Constraint {
    fn new(kind: ConstraintKind) -> Self {
        Constraint {
            kind,
            deferrable: None,
            comment: None,
            misplaced: None,
        }
    }

    /// `CHECK (expression)`.
    pub fn check(expression: impl Into<String>) -> Self {
        Constraint::new(ConstraintKind::Check(vec![expression.into()]))
    }

    /// Several `CHECK` constraints at once, one per expression, as node-pg-migrate's `check` list: each
    /// is named as PostgreSQL would name it (`<table>_<column>_check`, or `<table>_check` when the
    /// expression uses several columns or none, numbered when repeated), so pass `None` as the name.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("order_lines", None, Constraint::checks(["qty > 0", "price >= 0", "qty * price < 1000000"]));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_qty_check" CHECK (qty > 0), ADD CONSTRAINT "order_lines_price_check" CHECK (price >= 0), ADD CONSTRAINT "order_lines_check" CHECK (qty * price < 1000000)"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_qty_check""#,
    ///     r#"ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_price_check""#,
    ///     r#"ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_check""#,
    /// ]);
    /// ```
    pub fn checks<E: Into<String>>(expressions: impl IntoIterator<Item = E>) -> Self {
        Constraint::new(ConstraintKind::Check(
            expressions.into_iter().map(Into::into).collect(),
        ))
    }

    /// `UNIQUE (columns)`.
    pub fn unique<I: Into<Ident>>(columns: impl IntoIterator<Item = I>) -> Self {
        Constraint::new(ConstraintKind::Unique {
            columns: columns.into_iter().map(Into::into).collect(),
            nulls_not_distinct: false,
        })
    }

    /// `PRIMARY KEY (columns)`.
    pub fn primary_key<I: Into<Ident>>(columns: impl IntoIterator<Item = I>) -> Self {
        Constraint::new(ConstraintKind::PrimaryKey(
            columns.into_iter().map(Into::into).collect(),
        ))
    }

    /// `UNIQUE USING INDEX index`: turns an existing unique index (typically built with
    /// [`CreateIndex::concurrently`](crate::CreateIndex::concurrently)) into a constraint without another
    /// scan. PostgreSQL renames the index to the constraint's name, and dropping the constraint drops the
    /// index, so [`add_constraint`](crate::MigrationBuilder::add_constraint) with it is irreversible. Only in
    /// `add_constraint`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("users", "users_email_key", Constraint::unique_using_index("users_email_unique_index"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_unique_index""#,
    /// ]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("also drops the index"));
    /// ```
    pub fn unique_using_index(index: impl Into<Ident>) -> Self {
        Constraint::new(ConstraintKind::UsingIndex {
            primary: false,
            index: index.into(),
        })
    }

    /// `PRIMARY KEY USING INDEX index`: like [`unique_using_index`](Self::unique_using_index); the index's
    /// columns must be `NOT NULL`. Irreversible for the same reason.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("users", "users_pkey", Constraint::primary_key_using_index("users_id_unique_index"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "users" ADD CONSTRAINT "users_pkey" PRIMARY KEY USING INDEX "users_id_unique_index""#,
    /// ]);
    /// ```
    pub fn primary_key_using_index(index: impl Into<Ident>) -> Self {
        Constraint::new(ConstraintKind::UsingIndex {
            primary: true,
            index: index.into(),
        })
    }

    /// `FOREIGN KEY (columns) REFERENCES table (referenced_columns)`; an empty `referenced_columns` means the
    /// referenced table's primary key.
    pub fn foreign_key<I: Into<Ident>, J: Into<Ident>>(
        columns: impl IntoIterator<Item = I>,
        references: impl Into<Name>,
        referenced_columns: impl IntoIterator<Item = J>,
    ) -> Self {
        Constraint::new(ConstraintKind::ForeignKey {
            columns: columns.into_iter().map(Into::into).collect(),
            references: references.into(),
            referenced_columns: referenced_columns.into_iter().map(Into::into).collect(),
            on_delete: None,
            on_update: None,
            match_type: None,
        })
    }

    /// `EXCLUDE USING method (element WITH operator, ...)`: no two rows may have all elements compare true
    /// with their operators (for instance overlapping bookings of one room). Elements are columns or
    /// [`IndexColumn::expression`]s, with optional operator class and sort order; operators are SQL as
    /// written (`=`, `&&`, `OPERATOR(app.===)`). The method is usually `gist`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("bookings", "bookings_no_overlap", Constraint::exclude("gist", [
    ///     (IndexColumn::expression("int4range(room, room, '[]')"), "&&"),
    ///     (IndexColumn::column("during"), "&&"),
    /// ]).where_clause("NOT cancelled"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_overlap" EXCLUDE USING gist ((int4range(room, room, '[]')) WITH &&, "during" WITH &&) WHERE (NOT cancelled)"#,
    /// ]);
    /// ```
    pub fn exclude<C: Into<IndexColumn>, O: Into<String>>(
        method: impl Into<String>,
        elements: impl IntoIterator<Item = (C, O)>,
    ) -> Self {
        Constraint::new(ConstraintKind::Exclude {
            method: method.into(),
            elements: elements
                .into_iter()
                .map(|(c, o)| (c.into(), o.into()))
                .collect(),
            where_clause: None,
        })
    }

    /// `ON DELETE action` for a foreign key. On another kind of constraint, rendering fails rather than
    /// dropping the option.
    pub fn on_delete(mut self, action: FkAction) -> Self {
        match &mut self.kind {
            ConstraintKind::ForeignKey { on_delete, .. } => *on_delete = Some(action),
            _ => self.misplaced("on_delete", "foreign keys"),
        }
        self
    }

    /// `ON UPDATE action` for a foreign key (refused on other kinds).
    pub fn on_update(mut self, action: FkAction) -> Self {
        match &mut self.kind {
            ConstraintKind::ForeignKey { on_update, .. } => *on_update = Some(action),
            _ => self.misplaced("on_update", "foreign keys"),
        }
        self
    }

    /// `MATCH FULL` or `MATCH SIMPLE` for a foreign key (refused on other kinds).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("shipments", "shipments_address_fk",
    ///     Constraint::foreign_key(["country", "zip"], "addresses", ["country", "zip"]).match_type(FkMatch::Full));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "shipments" ADD CONSTRAINT "shipments_address_fk" FOREIGN KEY ("country", "zip") REFERENCES "addresses" ("country", "zip") MATCH FULL"#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("shipments", "shipments_zip_key", Constraint::unique(["zip"]).match_type(FkMatch::Full));
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("`match_type` applies to foreign keys only"));
    /// ```
    pub fn match_type(mut self, match_type: FkMatch) -> Self {
        match &mut self.kind {
            ConstraintKind::ForeignKey {
                match_type: target, ..
            } => *target = Some(match_type),
            _ => self.misplaced("match_type", "foreign keys"),
        }
        self
    }

    /// `NULLS NOT DISTINCT` for a unique constraint (PostgreSQL 15+): rows whose key is `NULL` count as
    /// equal, so at most one of them is allowed. Refused on other kinds.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("users", "users_email_key", Constraint::unique(["email"]).nulls_not_distinct());
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE NULLS NOT DISTINCT ("email")"#,
    /// ]);
    /// ```
    pub fn nulls_not_distinct(mut self) -> Self {
        match &mut self.kind {
            ConstraintKind::Unique {
                nulls_not_distinct, ..
            } => *nulls_not_distinct = true,
            _ => self.misplaced("nulls_not_distinct", "UNIQUE (columns) constraints"),
        }
        self
    }

    /// `WHERE (predicate)` of an exclusion constraint: only rows matching it are constrained (refused on
    /// other kinds).
    pub fn where_clause(mut self, predicate: impl Into<String>) -> Self {
        match &mut self.kind {
            ConstraintKind::Exclude { where_clause, .. } => *where_clause = Some(predicate.into()),
            _ => self.misplaced("where_clause", "exclusion constraints"),
        }
        self
    }

    /// `DEFERRABLE INITIALLY DEFERRED` (`true`: checked at commit) or `DEFERRABLE INITIALLY IMMEDIATE`
    /// (`false`: checked after each statement unless a transaction defers it). Unique, primary key, foreign
    /// key and exclusion constraints only; a `CHECK` is refused.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("seats", "seats_number_key", Constraint::unique(["number"]).deferrable(false));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "seats" ADD CONSTRAINT "seats_number_key" UNIQUE ("number") DEFERRABLE INITIALLY IMMEDIATE"#,
    /// ]);
    /// ```
    pub fn deferrable(mut self, initially_deferred: bool) -> Self {
        self.deferrable = Some(initially_deferred);
        self
    }

    /// A comment on the constraint, written as `COMMENT ON CONSTRAINT` after the statement that creates it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", "posts_lat_check", Constraint::check("lat BETWEEN -90 AND 90").comment("WGS84"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    ///     r#"COMMENT ON CONSTRAINT "posts_lat_check" ON "posts" IS 'WGS84'"#,
    /// ]);
    /// ```
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    fn misplaced(&mut self, option: &'static str, applies_to: &'static str) {
        self.misplaced.get_or_insert((option, applies_to));
    }
}

/// A table constraint's name as given to [`MigrationBuilder::add_constraint`](crate::MigrationBuilder::add_constraint)
/// and [`CreateTable::constraint`](crate::CreateTable::constraint): a name (`"posts_lat_check"`), or `None`
/// to have it derived as PostgreSQL derives it (`<table>_pkey`, `<table>_<columns>_key`,
/// `<table>_<columns>_fkey`, `<table>_<column>_check`, `<table>_<columns>_excl`), where node-pg-migrate
/// derives its own names. A derived name is written out in the SQL, so it shows in `sql` and the reverse
/// drops exactly it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintName(pub(crate) Option<Ident>);

impl<T: Into<Ident>> From<T> for ConstraintName {
    fn from(name: T) -> Self {
        ConstraintName(Some(name.into()))
    }
}

impl ConstraintName {
    /// The name given, or `None` to derive it as PostgreSQL would.
    pub(crate) fn into_inner(self) -> Option<Ident> {
        self.0
    }
}

impl From<Option<Ident>> for ConstraintName {
    fn from(name: Option<Ident>) -> Self {
        ConstraintName(name)
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT`, recorded by [`MigrationBuilder::add_constraint`](crate::MigrationBuilder::add_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct AddConstraint {
    table: Name,
    /// `None`: derived as PostgreSQL would.
    name: Option<Ident>,
    constraint: Constraint,
    not_valid: bool,
    if_table_exists: bool,
}

impl AddConstraint {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Option<Ident>, constraint: Constraint) -> Self {
        AddConstraint {
            table,
            name,
            constraint,
            not_valid: false,
            if_table_exists: false,
        }
    }
}

impl AddConstraint {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice, which the run shows)
    /// instead of failing. The operation then has no automatic reverse: it may have done nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", "posts_lat_check", Constraint::check("lat BETWEEN -90 AND 90")).if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE IF EXISTS "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    /// ]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("IF EXISTS"));
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }

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

    /// `DEFERRABLE INITIALLY DEFERRED` (`true`) or `DEFERRABLE INITIALLY IMMEDIATE` (`false`); the same as
    /// [`Constraint::deferrable`].
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
        self.constraint.deferrable = Some(initially_deferred);
        self
    }

    /// A comment on the constraint (`COMMENT ON CONSTRAINT`); the same as [`Constraint::comment`].
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint(("app", "seats"), "seats_number_key", Constraint::unique(["number"])).comment("one ticket per seat");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."seats" ADD CONSTRAINT "seats_number_key" UNIQUE ("number")"#,
    ///     r#"COMMENT ON CONSTRAINT "seats_number_key" ON "app"."seats" IS 'one ticket per seat'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.constraint.comment = Some(text.into());
        self
    }
}

/// `ALTER TABLE ... DROP CONSTRAINT`, recorded by [`MigrationBuilder::drop_constraint`](crate::MigrationBuilder::drop_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct DropConstraint {
    table: Name,
    name: Ident,
    if_exists: bool,
    cascade: bool,
    if_table_exists: bool,
}

impl DropConstraint {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        DropConstraint {
            table,
            name,
            if_exists: false,
            cascade: false,
            if_table_exists: false,
        }
    }
}

impl DropConstraint {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice) instead of failing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_constraint("posts", "posts_lat_check").if_table_exists().if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE IF EXISTS "posts" DROP CONSTRAINT IF EXISTS "posts_lat_check""#]);
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }

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
    table: Name,
    name: Ident,
}

impl ValidateConstraint {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        ValidateConstraint { table, name }
    }
}

/// `ALTER TABLE ... RENAME CONSTRAINT`, recorded by
/// [`MigrationBuilder::rename_constraint`](crate::MigrationBuilder::rename_constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameConstraint {
    table: Name,
    from: Ident,
    to: Ident,
    if_table_exists: bool,
}

impl RenameConstraint {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, from: Ident, to: Ident) -> Self {
        RenameConstraint {
            table,
            from,
            to,
            if_table_exists: false,
        }
    }
}

impl RenameConstraint {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice) instead of failing. The
    /// rename then has no automatic reverse: it may have done nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_constraint("posts", "posts_lat_check", "posts_latitude_check").if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE IF EXISTS "posts" RENAME CONSTRAINT "posts_lat_check" TO "posts_latitude_check""#,
    /// ]);
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }
}

impl Reverse for AddConstraint {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if let ConstraintKind::UsingIndex { index, .. } = &self.constraint.kind {
            return Err(ctx.irreversible(&format!(
                "dropping the constraint also drops the index it took over ({:?}), whose definition is not known",
                index.as_str()
            )));
        }
        if self.if_table_exists {
            return Err(ctx.irreversible(&may_have_done_nothing()));
        }
        Ok(self
            .names(ctx)?
            .into_iter()
            .map(|name| DropConstraint::new(self.table.clone(), name).into())
            .collect())
    }
}

impl Reverse for DropConstraint {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped constraint's definition is not known"))
    }
}

impl Reverse for RenameConstraint {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_table_exists {
            return Err(ctx.irreversible(&may_have_done_nothing()));
        }
        Ok(vec![RenameConstraint::new(
            self.table.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}

impl Reverse for ValidateConstraint {
    // Validation only proves existing rows: undoing it needs nothing.
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
    }
}
