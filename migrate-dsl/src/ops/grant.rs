//! Grants and revokes: role memberships, and privileges on schemas and tables.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::RoleSpec;
use crate::reverse::Reverse;

/// A privilege in `GRANT`/`REVOKE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Usage,
    Create,
    /// `ALL PRIVILEGES`.
    All,
}

impl Privilege {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::All => "ALL PRIVILEGES",
        }
    }
}

/// `GRANT role TO role`, recorded by [`MigrationBuilder::grant_roles`](crate::MigrationBuilder::grant_roles).
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRoles {
    pub(crate) roles: Vec<RoleSpec>,
    pub(crate) to: Vec<RoleSpec>,
    pub(crate) with_admin_option: bool,
}

impl GrantRoles {
    /// `WITH ADMIN OPTION`: the grantees may grant the roles to others.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_roles(["readers"], ["alice"]).with_admin_option();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT "readers" TO "alice" WITH ADMIN OPTION"#]);
    /// ```
    pub fn with_admin_option(&mut self) -> &mut Self {
        self.with_admin_option = true;
        self
    }
}

impl Reverse for GrantRoles {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RevokeRoles {
            roles: self.roles.clone(),
            from: self.to.clone(),
            admin_option_for: false,
            cascade: false,
        }
        .into()])
    }
}

/// `REVOKE role FROM role`, recorded by
/// [`MigrationBuilder::revoke_roles`](crate::MigrationBuilder::revoke_roles).
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeRoles {
    pub(crate) roles: Vec<RoleSpec>,
    pub(crate) from: Vec<RoleSpec>,
    pub(crate) admin_option_for: bool,
    pub(crate) cascade: bool,
}

impl RevokeRoles {
    /// `ADMIN OPTION FOR`: revoke only the right to grant the roles on.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.revoke_roles(["readers"], ["alice"]).admin_option_for().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REVOKE ADMIN OPTION FOR "readers" FROM "alice" CASCADE"#]);
    /// ```
    pub fn admin_option_for(&mut self) -> &mut Self {
        self.admin_option_for = true;
        self
    }

    /// `CASCADE`: also revoke what the grantees granted on.
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for RevokeRoles {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("which memberships existed before is not known"))
    }
}

/// What a table privilege applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum TablesTarget {
    /// `ON TABLE a, b`.
    Tables(Vec<Name>),
    /// `ON ALL TABLES IN SCHEMA s, t`.
    AllInSchemas(Vec<Ident>),
}

/// `GRANT ... ON SCHEMA` or `ON TABLE`: the part shared by grants and revokes of privileges.
#[derive(Debug, Clone, PartialEq)]
pub struct Privileges<T> {
    pub(crate) on: T,
    pub(crate) privileges: Vec<Privilege>,
    pub(crate) roles: Vec<RoleSpec>,
    /// `WITH GRANT OPTION` on a grant, `GRANT OPTION FOR` on a revoke.
    pub(crate) grant_option: bool,
    pub(crate) cascade: bool,
}

macro_rules! privilege_op {
    ($(#[$doc:meta])* $name:ident, $on:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub(crate) Privileges<$on>);
    };
}

privilege_op!(
    /// `GRANT privileges ON SCHEMA ... TO roles`, recorded by
    /// [`MigrationBuilder::grant_on_schemas`](crate::MigrationBuilder::grant_on_schemas).
    GrantOnSchemas,
    Vec<Ident>
);
privilege_op!(
    /// `REVOKE privileges ON SCHEMA ... FROM roles`, recorded by
    /// [`MigrationBuilder::revoke_on_schemas`](crate::MigrationBuilder::revoke_on_schemas).
    RevokeOnSchemas,
    Vec<Ident>
);
privilege_op!(
    /// `GRANT privileges ON TABLE ... TO roles` (or `ON ALL TABLES IN SCHEMA`), recorded by
    /// [`MigrationBuilder::grant_on_tables`](crate::MigrationBuilder::grant_on_tables).
    GrantOnTables,
    TablesTarget
);
privilege_op!(
    /// `REVOKE privileges ON TABLE ... FROM roles`, recorded by
    /// [`MigrationBuilder::revoke_on_tables`](crate::MigrationBuilder::revoke_on_tables).
    RevokeOnTables,
    TablesTarget
);

macro_rules! grant_setters {
    ($name:ident) => {
        impl $name {
            /// `WITH GRANT OPTION`: the grantees may grant the privileges on.
            ///
            /// ```
            /// use migrate_dsl::prelude::*;
            /// let mut pgm = MigrationBuilder::new();
            /// pgm.grant_on_tables(["posts"], [Privilege::Select], ["reporting"]).with_grant_option();
            /// assert_eq!(pgm.to_sql().unwrap(),
            ///     [r#"GRANT SELECT ON TABLE "posts" TO "reporting" WITH GRANT OPTION"#]);
            /// ```
            pub fn with_grant_option(&mut self) -> &mut Self {
                self.0.grant_option = true;
                self
            }
        }
    };
}

macro_rules! revoke_setters {
    ($name:ident) => {
        impl $name {
            /// `GRANT OPTION FOR`: revoke only the right to grant the privileges on.
            ///
            /// ```
            /// use migrate_dsl::prelude::*;
            /// let mut pgm = MigrationBuilder::new();
            /// pgm.revoke_on_tables(["posts"], [Privilege::Select], ["reporting"]).grant_option_for().cascade();
            /// assert_eq!(pgm.to_sql().unwrap(),
            ///     [r#"REVOKE GRANT OPTION FOR SELECT ON TABLE "posts" FROM "reporting" CASCADE"#]);
            /// ```
            pub fn grant_option_for(&mut self) -> &mut Self {
                self.0.grant_option = true;
                self
            }

            /// `CASCADE`: also revoke what the grantees granted on.
            pub fn cascade(&mut self) -> &mut Self {
                self.0.cascade = true;
                self
            }
        }
    };
}

grant_setters!(GrantOnSchemas);
grant_setters!(GrantOnTables);
revoke_setters!(RevokeOnSchemas);
revoke_setters!(RevokeOnTables);

fn revoke_of<T: Clone>(grant: &Privileges<T>) -> Privileges<T> {
    Privileges {
        on: grant.on.clone(),
        privileges: grant.privileges.clone(),
        roles: grant.roles.clone(),
        grant_option: false,
        cascade: false,
    }
}

impl Reverse for GrantOnSchemas {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RevokeOnSchemas(revoke_of(&self.0)).into()])
    }
}

impl Reverse for GrantOnTables {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if let TablesTarget::AllInSchemas(_) = self.0.on {
            return Err(ctx.irreversible(
                "REVOKE ON ALL TABLES IN SCHEMA at revert time would also take the privileges from tables \
                 that were created, or already had them, apart from this migration",
            ));
        }
        Ok(vec![RevokeOnTables(revoke_of(&self.0)).into()])
    }
}

impl Reverse for RevokeOnSchemas {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("which privileges existed before is not known"))
    }
}

impl Reverse for RevokeOnTables {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("which privileges existed before is not known"))
    }
}
