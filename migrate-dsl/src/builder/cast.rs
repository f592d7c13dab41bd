//! Casts.

use crate::builder::MigrationBuilder;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE CAST (source AS target) method`. Types are SQL text. Reversed by `DROP CAST`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_cast("cents", "numeric", CastMethod::Function {
    ///     name: ("app", "cents_to_numeric").into(),
    ///     arguments: vec!["cents".into()],
    /// });
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"CREATE CAST (cents AS numeric) WITH FUNCTION "app"."cents_to_numeric"(cents)"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), ["DROP CAST (cents AS numeric)"]);
    /// ```
    #[track_caller]
    pub fn create_cast(
        &mut self,
        source: impl Into<String>,
        target: impl Into<String>,
        method: CastMethod,
    ) -> &mut CreateCast {
        record!(
            self,
            CreateCast,
            CreateCast {
                source: source.into(),
                target: target.into(),
                method,
                context: CastContext::Explicit,
                drop_cascade: false,
            }
        )
    }

    /// `DROP CAST (source AS target)`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_cast("cents", "numeric");
    /// assert_eq!(pgm.to_sql().unwrap(), ["DROP CAST (cents AS numeric)"]);
    /// ```
    #[track_caller]
    pub fn drop_cast(
        &mut self,
        source: impl Into<String>,
        target: impl Into<String>,
    ) -> &mut DropCast {
        record!(
            self,
            DropCast,
            DropCast {
                source: source.into(),
                target: target.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }
}
