//! Roles.

use crate::builder::MigrationBuilder;
use crate::name::Ident;
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE ROLE name WITH ...`: attributes chained on it. Reversed by `DROP ROLE`. Roles belong to the
    /// whole cluster, not to the database the migration runs in.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_role("Reporting")
    ///     .login(true)
    ///     .superuser(false)
    ///     .createdb(false)
    ///     .createrole(false)
    ///     .inherit(true)
    ///     .replication(false)
    ///     .bypassrls(false)
    ///     .connection_limit(0)
    ///     .valid_until("2027-01-01")
    ///     .no_password()
    ///     .in_role(["readers"])
    ///     .members(["alice"])
    ///     .admins(["bob"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"CREATE ROLE "Reporting" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION "#,
    ///     r#"NOBYPASSRLS CONNECTION LIMIT 0 PASSWORD NULL VALID UNTIL '2027-01-01' IN ROLE "readers" "#,
    ///     r#"ROLE "alice" ADMIN "bob""#,
    /// )]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP ROLE "Reporting""#]);
    /// ```
    #[track_caller]
    pub fn create_role(&mut self, name: impl Into<Ident>) -> &mut CreateRole {
        record!(self, CreateRole, CreateRole::new(name.into()))
    }

    /// `ALTER ROLE name WITH ...`: the attributes chained on it. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_role("reporting").login(false).password("SCRAM-SHA-256$4096:...").connection_limit(-1);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER ROLE "reporting" WITH NOLOGIN CONNECTION LIMIT -1 PASSWORD 'SCRAM-SHA-256$4096:...'"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn alter_role(&mut self, name: impl Into<Ident>) -> &mut AlterRole {
        record!(
            self,
            AlterRole,
            AlterRole {
                name: name.into(),
                options: RoleOptions::default(),
            }
        )
    }

    /// `DROP ROLE name`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_role("reporting");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP ROLE "reporting""#]);
    /// ```
    #[track_caller]
    pub fn drop_role(&mut self, name: impl Into<Ident>) -> &mut DropRole {
        record!(
            self,
            DropRole,
            DropRole {
                name: name.into(),
                if_exists: false,
            }
        )
    }

    /// `ALTER ROLE name RENAME TO new_name`. Reversed by renaming back.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_role("reporting", "analytics");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER ROLE "reporting" RENAME TO "analytics""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER ROLE "analytics" RENAME TO "reporting""#]);
    /// ```
    #[track_caller]
    pub fn rename_role(&mut self, name: impl Into<Ident>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameRole(RenameRole {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }
}
