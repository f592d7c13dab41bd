use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;

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
    pub(crate) name: Name,
    pub(crate) definition: TypeDefinition,
    pub(crate) comment: Option<String>,
    pub(crate) drop_cascade: bool,
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
    pub(crate) name: Name,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) from: Name,
    pub(crate) to: Ident,
}

/// `ALTER TYPE ... ADD ATTRIBUTE`, recorded by
/// [`MigrationBuilder::add_type_attribute`](crate::MigrationBuilder::add_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct AddTypeAttribute {
    pub(crate) type_name: Name,
    pub(crate) attribute: Ident,
    pub(crate) data_type: String,
}

/// `ALTER TYPE ... DROP ATTRIBUTE`, recorded by
/// [`MigrationBuilder::drop_type_attribute`](crate::MigrationBuilder::drop_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTypeAttribute {
    pub(crate) type_name: Name,
    pub(crate) attribute: Ident,
    pub(crate) if_exists: bool,
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
    pub(crate) type_name: Name,
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

/// `ALTER TYPE ... ALTER ATTRIBUTE ... SET DATA TYPE`, recorded by
/// [`MigrationBuilder::set_type_attribute`](crate::MigrationBuilder::set_type_attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct SetTypeAttribute {
    pub(crate) type_name: Name,
    pub(crate) attribute: Ident,
    pub(crate) data_type: String,
}

/// `ALTER TYPE ... ADD VALUE`, recorded by [`MigrationBuilder::add_type_value`](crate::MigrationBuilder::add_type_value).
#[derive(Debug, Clone, PartialEq)]
pub struct AddTypeValue {
    pub(crate) type_name: Name,
    pub(crate) value: String,
    pub(crate) if_not_exists: bool,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
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
    pub(crate) type_name: Name,
    pub(crate) from: String,
    pub(crate) to: String,
}

impl Reverse for CreateType {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropType {
            name: self.name.clone(),
            if_exists: false,
            cascade: self.drop_cascade,
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
        Ok(vec![RenameType {
            from: self.from.sibling(self.to.clone()),
            to: self.from.name.clone(),
        }
        .into()])
    }
}

impl Reverse for AddTypeAttribute {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropTypeAttribute {
            type_name: self.type_name.clone(),
            attribute: self.attribute.clone(),
            if_exists: false,
        }
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
        Ok(vec![RenameTypeAttribute {
            type_name: self.type_name.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
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
        Ok(vec![RenameTypeValue {
            type_name: self.type_name.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}
