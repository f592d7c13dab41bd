//! Roles. Roles belong to the whole cluster, not to one database.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::value::Change;

mod render;
pub(crate) mod rust;
pub(crate) use render::{role_list, role_spec_needs};

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
        self.record(CreateRole::new(name.into()))
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
        self.record(AlterRole::new(name.into()))
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
        self.record(DropRole::new(name.into()))
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
    pub fn rename_role(
        &mut self,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameRole {
        self.record(RenameRole::new(name.into(), new_name.into()))
    }
}

/// A role in a `GRANT`/`REVOKE` or role list: a role name (always quoted), or one of the keywords `PUBLIC`,
/// `CURRENT_USER`, `SESSION_USER`, `CURRENT_ROLE` (written as keywords, in any letter case given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSpec {
    /// A role, by name.
    Role(Ident),
    /// `PUBLIC`, `CURRENT_USER`, `SESSION_USER` or `CURRENT_ROLE`.
    Keyword(&'static str),
}

impl From<&str> for RoleSpec {
    fn from(name: &str) -> Self {
        for keyword in ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"] {
            if name.eq_ignore_ascii_case(keyword) {
                return RoleSpec::Keyword(keyword);
            }
        }
        RoleSpec::Role(Ident::new(name))
    }
}

impl From<String> for RoleSpec {
    fn from(name: String) -> Self {
        RoleSpec::from(name.as_str())
    }
}

impl From<&String> for RoleSpec {
    fn from(name: &String) -> Self {
        RoleSpec::from(name.as_str())
    }
}

/// The attributes `CREATE ROLE` and `ALTER ROLE` share. Each flag is `Option<bool>`: `None` leaves
/// PostgreSQL's default (or, when altering, the current setting), `Some(false)` writes the `NO...` form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleOptions {
    superuser: Option<bool>,
    createdb: Option<bool>,
    createrole: Option<bool>,
    inherit: Option<bool>,
    login: Option<bool>,
    replication: Option<bool>,
    bypassrls: Option<bool>,
    connection_limit: Option<i64>,
    /// `Some(None)` is `PASSWORD NULL`.
    password: Change<String>,
    valid_until: Option<String>,
}

macro_rules! role_options {
    ($ty:ident) => {
        impl $ty {
            /// `SUPERUSER` / `NOSUPERUSER`. (The doctests of `create_role` and `alter_role` show every
            /// attribute's SQL.)
            pub fn superuser(&mut self, yes: bool) -> &mut Self {
                self.options.superuser = Some(yes);
                self
            }
            /// `CREATEDB` / `NOCREATEDB`.
            pub fn createdb(&mut self, yes: bool) -> &mut Self {
                self.options.createdb = Some(yes);
                self
            }
            /// `CREATEROLE` / `NOCREATEROLE`.
            pub fn createrole(&mut self, yes: bool) -> &mut Self {
                self.options.createrole = Some(yes);
                self
            }
            /// `INHERIT` / `NOINHERIT`.
            pub fn inherit(&mut self, yes: bool) -> &mut Self {
                self.options.inherit = Some(yes);
                self
            }
            /// `LOGIN` / `NOLOGIN`.
            pub fn login(&mut self, yes: bool) -> &mut Self {
                self.options.login = Some(yes);
                self
            }
            /// `REPLICATION` / `NOREPLICATION`.
            pub fn replication(&mut self, yes: bool) -> &mut Self {
                self.options.replication = Some(yes);
                self
            }
            /// `BYPASSRLS` / `NOBYPASSRLS`.
            pub fn bypassrls(&mut self, yes: bool) -> &mut Self {
                self.options.bypassrls = Some(yes);
                self
            }
            /// `CONNECTION LIMIT n` (`-1`: no limit; `0` is kept and means no connections).
            pub fn connection_limit(&mut self, limit: i64) -> &mut Self {
                self.options.connection_limit = Some(limit);
                self
            }
            /// `PASSWORD '...'`. The password lands in the migration file, in `sql` output and in version
            /// control: prefer setting passwords outside migrations, or give a SCRAM hash (`SCRAM-SHA-256$...`),
            /// which PostgreSQL stores as is.
            pub fn password(&mut self, password: impl Into<String>) -> &mut Self {
                self.options.password = Change::Set(password.into());
                self
            }
            /// `PASSWORD NULL`: no password; password authentication always fails.
            pub fn no_password(&mut self) -> &mut Self {
                self.options.password = Change::Remove;
                self
            }
            /// `VALID UNTIL 'timestamp'`.
            pub fn valid_until(&mut self, timestamp: impl Into<String>) -> &mut Self {
                self.options.valid_until = Some(timestamp.into());
                self
            }
        }
    };
}

/// `CREATE ROLE`, recorded by [`MigrationBuilder::create_role`](crate::MigrationBuilder::create_role).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRole {
    name: Ident,
    options: RoleOptions,
    in_role: Vec<RoleSpec>,
    members: Vec<RoleSpec>,
    admins: Vec<RoleSpec>,
}

role_options!(CreateRole);

impl CreateRole {
    pub(crate) fn new(name: Ident) -> Self {
        CreateRole {
            name,
            options: RoleOptions::default(),
            in_role: Vec::new(),
            members: Vec::new(),
            admins: Vec::new(),
        }
    }

    /// `IN ROLE ...`: the new role becomes a member of these roles.
    pub fn in_role<R: Into<RoleSpec>>(&mut self, roles: impl IntoIterator<Item = R>) -> &mut Self {
        self.in_role = roles.into_iter().map(Into::into).collect();
        self
    }

    /// `ROLE ...`: these roles become members of the new role.
    pub fn members<R: Into<RoleSpec>>(&mut self, roles: impl IntoIterator<Item = R>) -> &mut Self {
        self.members = roles.into_iter().map(Into::into).collect();
        self
    }

    /// `ADMIN ...`: these roles become members of the new role, with the right to add others.
    pub fn admins<R: Into<RoleSpec>>(&mut self, roles: impl IntoIterator<Item = R>) -> &mut Self {
        self.admins = roles.into_iter().map(Into::into).collect();
        self
    }
}

impl Reverse for CreateRole {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropRole::new(self.name.clone()).into()])
    }
}

/// `ALTER ROLE`, recorded by [`MigrationBuilder::alter_role`](crate::MigrationBuilder::alter_role).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterRole {
    name: Ident,
    options: RoleOptions,
}

impl AlterRole {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Ident) -> Self {
        AlterRole {
            name,
            options: RoleOptions::default(),
        }
    }
}

role_options!(AlterRole);

impl Reverse for AlterRole {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the role's previous attributes are not known"))
    }
}

/// `DROP ROLE`, recorded by [`MigrationBuilder::drop_role`](crate::MigrationBuilder::drop_role).
#[derive(Debug, Clone, PartialEq)]
pub struct DropRole {
    name: Ident,
    if_exists: bool,
}

impl DropRole {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Ident) -> Self {
        DropRole {
            name,
            if_exists: false,
        }
    }
}

impl DropRole {
    /// `IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_role("reporting").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP ROLE IF EXISTS "reporting""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }
}

impl Reverse for DropRole {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped role's attributes and memberships are not known"))
    }
}

/// `ALTER ROLE ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_role`](crate::MigrationBuilder::rename_role).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameRole {
    from: Ident,
    to: Ident,
}

impl RenameRole {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Ident, to: Ident) -> Self {
        RenameRole { from, to }
    }
}

impl Reverse for RenameRole {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![
            RenameRole::new(self.to.clone(), self.from.clone()).into()
        ])
    }
}
