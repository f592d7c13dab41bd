use crate::column::Column;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;

/// `CREATE TABLE`, recorded by [`MigrationBuilder::create_table`](crate::MigrationBuilder::create_table).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub(crate) name: Name,
    pub(crate) columns: Vec<Column>,
    pub(crate) if_not_exists: bool,
    pub(crate) comment: Option<String>,
}

impl CreateTable {
    /// `CREATE TABLE IF NOT EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("id", "bigserial").primary_key()]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE IF NOT EXISTS "tags" ( "id" bigserial PRIMARY KEY )"#]);
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// A table comment, written as `COMMENT ON TABLE` after the `CREATE TABLE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("label", "text")]).comment("Free-form labels");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "tags" ( "label" text )"#,
    ///     r#"COMMENT ON TABLE "tags" IS 'Free-form labels'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }
}

/// `DROP TABLE`, recorded by [`MigrationBuilder::drop_table`](crate::MigrationBuilder::drop_table).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    pub(crate) name: Name,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropTable {
    /// `DROP TABLE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_table("tags").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE IF EXISTS "tags""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop dependent objects (views, foreign keys).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_table("tags").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE "tags" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TABLE ... RENAME TO`, recorded by [`MigrationBuilder::rename_table`](crate::MigrationBuilder::rename_table).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameTable {
    pub(crate) from: Name,
    pub(crate) to: Ident,
}

impl Reverse for CreateTable {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropTable {
            name: self.name.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()])
    }
}

impl Reverse for DropTable {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped table's definition is not known"))
    }
}

impl Reverse for RenameTable {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameTable {
            from: self.from.sibling(self.to.clone()),
            to: self.from.name.clone(),
        }
        .into()])
    }
}
