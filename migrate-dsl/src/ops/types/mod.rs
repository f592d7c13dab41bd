//! Enum and composite types.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE TYPE name AS ENUM (...)` from an array of labels, or `CREATE TYPE name AS (...)` from an
    /// array of `(attribute, type)` pairs (see [`TypeDefinition`]). Reversed by `DROP TYPE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_type(("app", "mood"), ["sad", "it's ok", "happy"]);
    /// pgm.create_type("money_amount", [("amount", "numeric(12, 2)"), ("currency", "char(3)")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TYPE "app"."mood" AS ENUM ('sad', 'it''s ok', 'happy')"#,
    ///     r#"CREATE TYPE "money_amount" AS ("amount" numeric(12, 2), "currency" char(3))"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP TYPE "money_amount""#,
    ///     r#"DROP TYPE "app"."mood""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn create_type(
        &mut self,
        name: impl Into<Name>,
        definition: impl Into<TypeDefinition>,
    ) -> &mut CreateType {
        self.record(CreateType::new(name.into(), definition.into()))
    }

    /// `DROP TYPE name`. Irreversible: the type's definition is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type(("app", "mood"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TYPE "app"."mood""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_type(&mut self, name: impl Into<Name>) -> &mut DropType {
        self.record(DropType::new(name.into()))
    }

    /// `ALTER TYPE name RENAME TO new_name` (the type stays in its schema). Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type(("app", "mood"), "feeling");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "app"."mood" RENAME TO "feeling""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "app"."feeling" RENAME TO "mood""#]);
    /// ```
    #[track_caller]
    pub fn rename_type(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameType {
        self.record(RenameType::new(name.into(), new_name.into()))
    }

    /// `ALTER TYPE type ADD ATTRIBUTE attribute data_type` on a composite type. Reversed by dropping the
    /// attribute.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_attribute("address", "zip", "varchar(10)");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" ADD ATTRIBUTE "zip" varchar(10)"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "address" DROP ATTRIBUTE "zip""#]);
    /// ```
    #[track_caller]
    pub fn add_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        data_type: impl Into<String>,
    ) -> &mut AddTypeAttribute {
        self.record(AddTypeAttribute::new(
            type_name.into(),
            attribute.into(),
            data_type.into(),
        ))
    }

    /// `ALTER TYPE type DROP ATTRIBUTE attribute`. Irreversible: the attribute's type is not known.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type_attribute("address", "zip");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" DROP ATTRIBUTE "zip""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
    ) -> &mut DropTypeAttribute {
        self.record(DropTypeAttribute::new(type_name.into(), attribute.into()))
    }

    /// `ALTER TYPE type RENAME ATTRIBUTE attribute TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type_attribute("address", "zip", "postal_code");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" RENAME ATTRIBUTE "zip" TO "postal_code""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TYPE "address" RENAME ATTRIBUTE "postal_code" TO "zip""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameTypeAttribute {
        self.record(RenameTypeAttribute::new(
            type_name.into(),
            attribute.into(),
            new_name.into(),
        ))
    }

    /// `ALTER TYPE type ALTER ATTRIBUTE attribute SET DATA TYPE data_type`. Irreversible: the previous type is
    /// not known.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.set_type_attribute("address", "zip", "text");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" ALTER ATTRIBUTE "zip" SET DATA TYPE text"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn set_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        data_type: impl Into<String>,
    ) -> &mut SetTypeAttribute {
        self.record(SetTypeAttribute::new(
            type_name.into(),
            attribute.into(),
            data_type.into(),
        ))
    }

    /// `ALTER TYPE type ADD VALUE 'value'`: a new enum label, at the end unless placed with
    /// [`before`](AddTypeValue::before) or [`after`](AddTypeValue::after).
    ///
    /// Since PostgreSQL 12 the statement runs inside a transaction, so the migration stays transactional, but
    /// the new label **cannot be used until that transaction commits**: a later statement of the same
    /// migration that inserts or compares the label fails with "unsafe use of new value". Put such statements
    /// in the next migration.
    ///
    /// Irreversible: PostgreSQL cannot drop a label from an enum.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "ecstatic").after("happy");
    /// assert!(pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" ADD VALUE 'ecstatic' AFTER 'happy'"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("cannot drop a value"));
    /// ```
    #[track_caller]
    pub fn add_type_value(
        &mut self,
        type_name: impl Into<Name>,
        value: impl Into<String>,
    ) -> &mut AddTypeValue {
        self.record(AddTypeValue::new(type_name.into(), value.into()))
    }

    /// `ALTER TYPE type RENAME VALUE 'value' TO 'new_value'`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type_value("mood", "ok", "fine");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" RENAME VALUE 'ok' TO 'fine'"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "mood" RENAME VALUE 'fine' TO 'ok'"#]);
    /// ```
    #[track_caller]
    pub fn rename_type_value(
        &mut self,
        type_name: impl Into<Name>,
        value: impl Into<String>,
        new_value: impl Into<String>,
    ) -> &mut RenameTypeValue {
        self.record(RenameTypeValue::new(
            type_name.into(),
            value.into(),
            new_value.into(),
        ))
    }
}

/// What [`MigrationBuilder::create_type`](crate::MigrationBuilder::create_type) creates: an enum from its
/// labels, or a composite type from its attributes.
///
/// An array of strings is an enum, an array of `(name, type)` pairs a composite type:
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.create_type("mood", ["sad", "ok", "happy"]);
/// pgm.create_type("point2", [("x", "double precision"), ("y", "double precision")]);
/// pgm.create_type("status", TypeDefinition::enumeration(vec![String::from("draft")]));
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"CREATE TYPE "mood" AS ENUM ('sad', 'ok', 'happy')"#,
///     r#"CREATE TYPE "point2" AS ("x" double precision, "y" double precision)"#,
///     r#"CREATE TYPE "status" AS ENUM ('draft')"#,
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TypeDefinition {
    /// `AS ENUM ('label', ...)`, labels in sort order.
    Enum(Vec<String>),
    /// `AS (attribute type, ...)`; each type is SQL text such as `numeric(10, 2)`.
    Composite(Vec<(Ident, String)>),
}

impl TypeDefinition {
    /// An enum with these labels, in sort order.
    pub fn enumeration<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        TypeDefinition::Enum(labels.into_iter().map(Into::into).collect())
    }

    /// A composite type with these `(attribute, type)` pairs.
    pub fn composite<N: Into<Ident>, T: Into<String>>(
        attributes: impl IntoIterator<Item = (N, T)>,
    ) -> Self {
        TypeDefinition::Composite(
            attributes
                .into_iter()
                .map(|(n, t)| (n.into(), t.into()))
                .collect(),
        )
    }
}

impl<const N: usize> From<[&str; N]> for TypeDefinition {
    fn from(labels: [&str; N]) -> Self {
        TypeDefinition::enumeration(labels)
    }
}

impl<const N: usize> From<[(&str, &str); N]> for TypeDefinition {
    fn from(attributes: [(&str, &str); N]) -> Self {
        TypeDefinition::composite(attributes)
    }
}

/// `CREATE TYPE`, recorded by [`MigrationBuilder::create_type`](crate::MigrationBuilder::create_type).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateType {
    name: Name,
    definition: TypeDefinition,
    comment: Option<String>,
    drop_cascade: bool,
}

impl CreateType {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, definition: TypeDefinition) -> Self {
        CreateType {
            name,
            definition,
            comment: None,
            drop_cascade: false,
        }
    }
}

impl CreateType {
    /// A type comment, written as `COMMENT ON TYPE` after the `CREATE TYPE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_type("mood", ["sad", "happy"]).comment("how a user feels");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TYPE "mood" AS ENUM ('sad', 'happy')"#,
    ///     r#"COMMENT ON TYPE "mood" IS 'how a user feels'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The derived reverse drops the type with `CASCADE`, taking columns and functions that use it along.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_type("mood", ["sad", "happy"]).drop_cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TYPE "mood" AS ENUM ('sad', 'happy')"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TYPE "mood" CASCADE"#]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

/// `DROP TYPE`, recorded by [`MigrationBuilder::drop_type`](crate::MigrationBuilder::drop_type).
#[derive(Debug, Clone, PartialEq)]
pub struct DropType {
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropType {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropType {
            name,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropType {
    /// `DROP TYPE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type("mood").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TYPE IF EXISTS "mood""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop the columns, functions and other types that use it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type("mood").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TYPE "mood" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TYPE ... RENAME TO`, recorded by [`MigrationBuilder::rename_type`](crate::MigrationBuilder::rename_type).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameType {
    from: Name,
    to: Ident,
}

impl RenameType {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameType { from, to }
    }
}

/// `ALTER TYPE ... ADD ATTRIBUTE`, recorded by
/// [`MigrationBuilder::add_type_attribute`](crate::MigrationBuilder::add_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct AddTypeAttribute {
    type_name: Name,
    attribute: Ident,
    data_type: String,
}

impl AddTypeAttribute {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, attribute: Ident, data_type: String) -> Self {
        AddTypeAttribute {
            type_name,
            attribute,
            data_type,
        }
    }
}

/// `ALTER TYPE ... DROP ATTRIBUTE`, recorded by
/// [`MigrationBuilder::drop_type_attribute`](crate::MigrationBuilder::drop_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTypeAttribute {
    type_name: Name,
    attribute: Ident,
    if_exists: bool,
}

impl DropTypeAttribute {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, attribute: Ident) -> Self {
        DropTypeAttribute {
            type_name,
            attribute,
            if_exists: false,
        }
    }
}

impl DropTypeAttribute {
    /// `DROP ATTRIBUTE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type_attribute("address", "zip").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" DROP ATTRIBUTE IF EXISTS "zip""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }
}

/// `ALTER TYPE ... RENAME ATTRIBUTE`, recorded by
/// [`MigrationBuilder::rename_type_attribute`](crate::MigrationBuilder::rename_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameTypeAttribute {
    type_name: Name,
    from: Ident,
    to: Ident,
}

impl RenameTypeAttribute {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, from: Ident, to: Ident) -> Self {
        RenameTypeAttribute {
            type_name,
            from,
            to,
        }
    }
}

/// `ALTER TYPE ... ALTER ATTRIBUTE ... SET DATA TYPE`, recorded by
/// [`MigrationBuilder::set_type_attribute`](crate::MigrationBuilder::set_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct SetTypeAttribute {
    type_name: Name,
    attribute: Ident,
    data_type: String,
}

impl SetTypeAttribute {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, attribute: Ident, data_type: String) -> Self {
        SetTypeAttribute {
            type_name,
            attribute,
            data_type,
        }
    }
}

/// `ALTER TYPE ... ADD VALUE`, recorded by [`MigrationBuilder::add_type_value`](crate::MigrationBuilder::add_type_value).
#[derive(Debug, Clone, PartialEq)]
pub struct AddTypeValue {
    type_name: Name,
    value: String,
    if_not_exists: bool,
    before: Option<String>,
    after: Option<String>,
}

impl AddTypeValue {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, value: String) -> Self {
        AddTypeValue {
            type_name,
            value,
            if_not_exists: false,
            before: None,
            after: None,
        }
    }
}

impl AddTypeValue {
    /// `ADD VALUE IF NOT EXISTS`: no error when the label is already there.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "meh").if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" ADD VALUE IF NOT EXISTS 'meh'"#]);
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// `BEFORE 'label'`: place the new label before an existing one in the sort order. Giving both `before`
    /// and `after` is refused.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "meh").before("happy");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" ADD VALUE 'meh' BEFORE 'happy'"#]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "meh").before("happy").after("sad");
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("either `before` or `after`"));
    /// ```
    pub fn before(&mut self, label: impl Into<String>) -> &mut Self {
        self.before = Some(label.into());
        self
    }

    /// `AFTER 'label'`: place the new label after an existing one in the sort order.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "meh").after("sad");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" ADD VALUE 'meh' AFTER 'sad'"#]);
    /// ```
    pub fn after(&mut self, label: impl Into<String>) -> &mut Self {
        self.after = Some(label.into());
        self
    }
}

/// `ALTER TYPE ... RENAME VALUE`, recorded by
/// [`MigrationBuilder::rename_type_value`](crate::MigrationBuilder::rename_type_value).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameTypeValue {
    type_name: Name,
    from: String,
    to: String,
}

impl RenameTypeValue {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(type_name: Name, from: String, to: String) -> Self {
        RenameTypeValue {
            type_name,
            from,
            to,
        }
    }
}

impl Reverse for CreateType {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropType {
            cascade: self.drop_cascade,
            ..DropType::new(self.name.clone())
        }
        .into()])
    }
}

impl Reverse for DropType {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped type's definition is not known"))
    }
}

impl Reverse for RenameType {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameType::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}

impl Reverse for AddTypeAttribute {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropTypeAttribute::new(
            self.type_name.clone(),
            self.attribute.clone(),
        )
        .into()])
    }
}

impl Reverse for DropTypeAttribute {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped attribute's type is not known"))
    }
}

impl Reverse for RenameTypeAttribute {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameTypeAttribute::new(
            self.type_name.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}

impl Reverse for SetTypeAttribute {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the attribute's previous type is not known"))
    }
}

impl Reverse for AddTypeValue {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("PostgreSQL cannot drop a value from an enum type"))
    }
}

impl Reverse for RenameTypeValue {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameTypeValue::new(
            self.type_name.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}
