//! Grants and revokes.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::ops::*;

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
        record!(
            self,
            GrantRoles,
            GrantRoles {
                roles: roles(roles_to_grant),
                to: roles(grantees),
                with_admin_option: false,
            }
        )
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
        record!(
            self,
            RevokeRoles,
            RevokeRoles {
                roles: roles(roles_to_revoke),
                from: roles(members),
                admin_option_for: false,
                cascade: false,
            }
        )
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
        record!(
            self,
            GrantOnSchemas,
            GrantOnSchemas(privileges(on, privileges_to_grant, roles(grantees)))
        )
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
        record!(
            self,
            RevokeOnSchemas,
            RevokeOnSchemas(privileges(
                on,
                privileges_to_revoke,
                roles(roles_to_revoke_from)
            ))
        )
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
        record!(
            self,
            GrantOnTables,
            GrantOnTables(privileges(on, privileges_to_grant, roles(grantees)))
        )
    }

    /// `GRANT privileges ON ALL TABLES IN SCHEMA schemas TO roles`: the tables that exist now. Reversed by
    /// the matching `REVOKE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.grant_on_all_tables_in_schemas(["app"], [Privilege::Select], ["reporting"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "reporting""#]);
    /// ```
    #[track_caller]
    pub fn grant_on_all_tables_in_schemas<S: Into<Ident>, R: Into<RoleSpec>>(
        &mut self,
        schemas: impl IntoIterator<Item = S>,
        privileges_to_grant: impl IntoIterator<Item = Privilege>,
        grantees: impl IntoIterator<Item = R>,
    ) -> &mut GrantOnTables {
        let on = TablesTarget::AllInSchemas(schemas.into_iter().map(Into::into).collect());
        record!(
            self,
            GrantOnTables,
            GrantOnTables(privileges(on, privileges_to_grant, roles(grantees)))
        )
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
        record!(
            self,
            RevokeOnTables,
            RevokeOnTables(privileges(
                on,
                privileges_to_revoke,
                roles(roles_to_revoke_from)
            ))
        )
    }
}
