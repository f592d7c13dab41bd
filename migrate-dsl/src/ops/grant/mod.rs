//! Grants and revokes: role memberships, and privileges on schemas and tables.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::RoleSpec;

mod render;
mod rust;

fn roles<R: Into<RoleSpec>>(roles: impl IntoIterator<Item = R>) -> Vec<RoleSpec> {
    roles.into_iter().map(Into::into).collect()
}

fn privileges<T>(
    on: T,
    privileges: impl IntoIterator<Item = Privilege>,
    to: Vec<RoleSpec>,
) -> Privileges<T> {
    Privileges {
        on,
        privileges: privileges.into_iter().collect(),
        roles: to,
        grant_option: false,
        cascade: false,
    }
}

impl MigrationBuilder {
    /// `GRANT roles TO grantees`: role membership. Role names are always quoted; `PUBLIC`, `CURRENT_USER`,
    /// `SESSION_USER` and `CURRENT_ROLE` are written as keywords. Reversed by `REVOKE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_roles(["readers", "Writers"], ["alice", "current_user"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT "readers", "Writers" TO "alice", CURRENT_USER"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"REVOKE "readers", "Writers" FROM "alice", CURRENT_USER"#]);
    /// ```
    #[track_caller]
    pub fn grant_roles<R: Into<RoleSpec>, G: Into<RoleSpec>>(
        &mut self,
        roles_to_grant: impl IntoIterator<Item = R>,
        grantees: impl IntoIterator<Item = G>,
    ) -> &mut GrantRoles {
        self.record(GrantRoles::new(roles(roles_to_grant), roles(grantees)))
    }

    /// `REVOKE roles FROM members`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.revoke_roles(["readers"], ["alice"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REVOKE "readers" FROM "alice""#]);
    /// ```
    #[track_caller]
    pub fn revoke_roles<R: Into<RoleSpec>, G: Into<RoleSpec>>(
        &mut self,
        roles_to_revoke: impl IntoIterator<Item = R>,
        members: impl IntoIterator<Item = G>,
    ) -> &mut RevokeRoles {
        self.record(RevokeRoles::new(roles(roles_to_revoke), roles(members)))
    }

    /// `GRANT privileges ON SCHEMA schemas TO roles` (`USAGE`, `CREATE`, `ALL`). Reversed by `REVOKE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_on_schemas(["app"], [Privilege::Usage], ["reporting", "public"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT USAGE ON SCHEMA "app" TO "reporting", PUBLIC"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"REVOKE USAGE ON SCHEMA "app" FROM "reporting", PUBLIC"#]);
    /// ```
    #[track_caller]
    pub fn grant_on_schemas<S: Into<Ident>, R: Into<RoleSpec>>(
        &mut self,
        schemas: impl IntoIterator<Item = S>,
        privileges_to_grant: impl IntoIterator<Item = Privilege>,
        grantees: impl IntoIterator<Item = R>,
    ) -> &mut GrantOnSchemas {
        let on = schemas.into_iter().map(Into::into).collect();
        self.record(GrantOnSchemas(privileges(
            on,
            privileges_to_grant,
            roles(grantees),
        )))
    }

    /// `REVOKE privileges ON SCHEMA schemas FROM roles`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.revoke_on_schemas(["public"], [Privilege::Create], ["public"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REVOKE CREATE ON SCHEMA "public" FROM PUBLIC"#]);
    /// ```
    #[track_caller]
    pub fn revoke_on_schemas<S: Into<Ident>, R: Into<RoleSpec>>(
        &mut self,
        schemas: impl IntoIterator<Item = S>,
        privileges_to_revoke: impl IntoIterator<Item = Privilege>,
        roles_to_revoke_from: impl IntoIterator<Item = R>,
    ) -> &mut RevokeOnSchemas {
        let on = schemas.into_iter().map(Into::into).collect();
        self.record(RevokeOnSchemas(privileges(
            on,
            privileges_to_revoke,
            roles(roles_to_revoke_from),
        )))
    }

    /// `GRANT privileges ON TABLE tables TO roles`. Reversed by `REVOKE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_on_tables([("app", "posts")], [Privilege::Select, Privilege::Insert], ["writer"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT SELECT, INSERT ON TABLE "app"."posts" TO "writer""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"REVOKE SELECT, INSERT ON TABLE "app"."posts" FROM "writer""#]);
    /// ```
    #[track_caller]
    pub fn grant_on_tables<T: Into<Name>, R: Into<RoleSpec>>(
        &mut self,
        tables: impl IntoIterator<Item = T>,
        privileges_to_grant: impl IntoIterator<Item = Privilege>,
        grantees: impl IntoIterator<Item = R>,
    ) -> &mut GrantOnTables {
        let on = TablesTarget::Tables(tables.into_iter().map(Into::into).collect());
        self.record(GrantOnTables(privileges(
            on,
            privileges_to_grant,
            roles(grantees),
        )))
    }

    /// `GRANT privileges ON ALL TABLES IN SCHEMA schemas TO roles`: the tables that exist now. No automatic
    /// reverse: the matching `REVOKE` at revert time would also take the privileges from tables created, or
    /// granted them, apart from this migration.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_on_all_tables_in_schemas(["app"], [Privilege::Select], ["reporting"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "reporting""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn grant_on_all_tables_in_schemas<S: Into<Ident>, R: Into<RoleSpec>>(
        &mut self,
        schemas: impl IntoIterator<Item = S>,
        privileges_to_grant: impl IntoIterator<Item = Privilege>,
        grantees: impl IntoIterator<Item = R>,
    ) -> &mut GrantOnTables {
        let on = TablesTarget::AllInSchemas(schemas.into_iter().map(Into::into).collect());
        self.record(GrantOnTables(privileges(
            on,
            privileges_to_grant,
            roles(grantees),
        )))
    }

    /// `REVOKE privileges ON TABLE tables FROM roles`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.revoke_on_tables(["posts"], [Privilege::All], ["public"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REVOKE ALL PRIVILEGES ON TABLE "posts" FROM PUBLIC"#]);
    /// ```
    #[track_caller]
    pub fn revoke_on_tables<T: Into<Name>, R: Into<RoleSpec>>(
        &mut self,
        tables: impl IntoIterator<Item = T>,
        privileges_to_revoke: impl IntoIterator<Item = Privilege>,
        roles_to_revoke_from: impl IntoIterator<Item = R>,
    ) -> &mut RevokeOnTables {
        let on = TablesTarget::Tables(tables.into_iter().map(Into::into).collect());
        self.record(RevokeOnTables(privileges(
            on,
            privileges_to_revoke,
            roles(roles_to_revoke_from),
        )))
    }
}

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
    roles: Vec<RoleSpec>,
    to: Vec<RoleSpec>,
    with_admin_option: bool,
}

impl GrantRoles {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(roles: Vec<RoleSpec>, to: Vec<RoleSpec>) -> Self {
        GrantRoles {
            roles,
            to,
            with_admin_option: false,
        }
    }
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
        Ok(vec![
            RevokeRoles::new(self.roles.clone(), self.to.clone()).into()
        ])
    }
}

/// `REVOKE role FROM role`, recorded by
/// [`MigrationBuilder::revoke_roles`](crate::MigrationBuilder::revoke_roles).
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeRoles {
    roles: Vec<RoleSpec>,
    from: Vec<RoleSpec>,
    admin_option_for: bool,
    cascade: bool,
}

impl RevokeRoles {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(roles: Vec<RoleSpec>, from: Vec<RoleSpec>) -> Self {
        RevokeRoles {
            roles,
            from,
            admin_option_for: false,
            cascade: false,
        }
    }
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
    on: T,
    privileges: Vec<Privilege>,
    roles: Vec<RoleSpec>,
    /// `WITH GRANT OPTION` on a grant, `GRANT OPTION FOR` on a revoke.
    grant_option: bool,
    cascade: bool,
}

macro_rules! privilege_op {
    ($(#[$doc:meta])* $name:ident, $on:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(Privileges<$on>);
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
