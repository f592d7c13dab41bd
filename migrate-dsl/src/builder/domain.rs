//! Domains.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE DOMAIN name AS data_type`, with a default, collation, `NOT NULL` and a check chained on it.
    /// Reversed by `DROP DOMAIN` (with `CASCADE` when [`drop_cascade`](CreateDomain::drop_cascade) was
    /// given). Unlike node-pg-migrate, `not_null` and `check` can be combined.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain(("app", "email"), "text")
    ///     .not_null()
    ///     .check("VALUE LIKE '%@%'")
    ///     .constraint_name("email_has_at");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE DOMAIN "app"."email" AS text NOT NULL CONSTRAINT "email_has_at" CHECK (VALUE LIKE '%@%')"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP DOMAIN "app"."email""#]);
    /// ```
    #[track_caller]
    pub fn create_domain(
        &mut self,
        name: impl Into<Name>,
        data_type: impl Into<String>,
    ) -> &mut CreateDomain {
        record!(
            self,
            CreateDomain,
            CreateDomain {
                name: name.into(),
                data_type: data_type.into(),
                collation: None,
                default: None,
                not_null: false,
                check: None,
                constraint_name: None,
                comment: None,
                drop_cascade: false,
            }
        )
    }

    /// `ALTER DOMAIN name ...`: chain the changes; each becomes its own statement, as PostgreSQL takes one
    /// change per `ALTER DOMAIN`. Irreversible (the previous definition is not known), so a migration using it
    /// needs a `down`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").set_default(0).set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER DOMAIN "quantity" SET DEFAULT 0"#,
    ///     r#"ALTER DOMAIN "quantity" SET NOT NULL"#,
    /// ]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn alter_domain(&mut self, name: impl Into<Name>) -> &mut AlterDomain {
        record!(
            self,
            AlterDomain,
            AlterDomain {
                name: name.into(),
                default: None,
                not_null: None,
                check: None,
                constraint_name: None,
                not_valid: false,
            }
        )
    }

    /// `DROP DOMAIN name`. Irreversible: the domain's definition is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_domain(("app", "email"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP DOMAIN "app"."email""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_domain(&mut self, name: impl Into<Name>) -> &mut DropDomain {
        record!(
            self,
            DropDomain,
            DropDomain {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER DOMAIN name RENAME TO new_name` (the domain stays in its schema). Reversed by the opposite
    /// rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_domain(("app", "email"), "email_address");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "app"."email" RENAME TO "email_address""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER DOMAIN "app"."email_address" RENAME TO "email""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_domain(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations.push(Operation::RenameDomain(RenameDomain {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }
}
