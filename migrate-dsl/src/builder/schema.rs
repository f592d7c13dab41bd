//! Schemas.

use crate::builder::MigrationBuilder;
use crate::name::Ident;
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE SCHEMA name`. Reversed by `DROP SCHEMA` (with `IF EXISTS` and `CASCADE` when
    /// [`if_not_exists`](CreateSchema::if_not_exists) and [`drop_cascade`](CreateSchema::drop_cascade) were
    /// given).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app").if_not_exists().authorization("app_owner");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SCHEMA IF NOT EXISTS "app" AUTHORIZATION "app_owner""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP SCHEMA IF EXISTS "app""#]);
    /// ```
    #[track_caller]
    pub fn create_schema(&mut self, name: impl Into<Ident>) -> &mut CreateSchema {
        record!(
            self,
            CreateSchema,
            CreateSchema {
                name: name.into(),
                if_not_exists: false,
                authorization: None,
                comment: None,
                drop_cascade: false,
            }
        )
    }

    /// `DROP SCHEMA name`. Irreversible: what the schema held is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_schema("legacy").if_exists().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SCHEMA IF EXISTS "legacy" CASCADE"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_schema(&mut self, name: impl Into<Ident>) -> &mut DropSchema {
        record!(
            self,
            DropSchema,
            DropSchema {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER SCHEMA name RENAME TO new_name`. Reversed by the opposite rename. Code and `search_path`
    /// settings that name the old schema stop finding it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_schema("app", "core");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SCHEMA "app" RENAME TO "core""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER SCHEMA "core" RENAME TO "app""#]);
    /// ```
    #[track_caller]
    pub fn rename_schema(
        &mut self,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations.push(Operation::RenameSchema(RenameSchema {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }
}
