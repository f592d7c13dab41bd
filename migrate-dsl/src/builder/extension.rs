//! Extensions.

use crate::builder::MigrationBuilder;
use crate::name::Ident;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE EXTENSION name`, one statement per name, in order. Reversed by one `DROP EXTENSION` of them all
    /// (with `IF EXISTS` and `CASCADE` when [`if_not_exists`](CreateExtension::if_not_exists) and
    /// [`drop_cascade`](CreateExtension::drop_cascade) were given).
    ///
    /// Extensions need privileges: a superuser, or for extensions marked trusted (`citext`, `hstore`,
    /// `pgcrypto`, ...) the `CREATE` privilege on the database. The extension must also be installed on the
    /// server (see `pg_available_extensions`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["citext", "uuid-ossp"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE EXTENSION "citext""#,
    ///     r#"CREATE EXTENSION "uuid-ossp""#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP EXTENSION "citext", "uuid-ossp""#]);
    /// ```
    #[track_caller]
    pub fn create_extension<I: Into<Ident>>(
        &mut self,
        names: impl IntoIterator<Item = I>,
    ) -> &mut CreateExtension {
        record!(
            self,
            CreateExtension,
            CreateExtension {
                names: names.into_iter().map(Into::into).collect(),
                if_not_exists: false,
                schema: None,
                comment: None,
                drop_cascade: false,
            }
        )
    }

    /// `DROP EXTENSION name, ...` in one statement. Irreversible: the extensions' schema and version, and
    /// what `CASCADE` dropped with them, are not known. Needs ownership of the extensions (or superuser).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_extension(["citext", "hstore"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP EXTENSION IF EXISTS "citext", "hstore""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_extension<I: Into<Ident>>(
        &mut self,
        names: impl IntoIterator<Item = I>,
    ) -> &mut DropExtension {
        record!(
            self,
            DropExtension,
            DropExtension {
                names: names.into_iter().map(Into::into).collect(),
                if_exists: false,
                cascade: false,
            }
        )
    }
}
