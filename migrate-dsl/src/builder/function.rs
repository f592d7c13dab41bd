//! Functions.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE FUNCTION name(params) ... LANGUAGE language AS body`. The body is dollar-quoted with a tag that
    /// does not occur in it, so it is written exactly as it should run. Reversed by `DROP FUNCTION` with the
    /// parameter types PostgreSQL identifies it by (`IN`, `INOUT` and `VARIADIC` ones).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function(
    ///     ("app", "add"),
    ///     [param("a", "integer"), param("b", "integer").default(0)],
    ///     "plpgsql",
    ///     "BEGIN RETURN a + b; END",
    /// )
    /// .returns("integer")
    /// .immutable();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "app"."add"("a" integer, "b" integer DEFAULT 0) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $body$BEGIN RETURN a + b; END$body$"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP FUNCTION "app"."add"(integer, integer)"#]);
    /// ```
    #[track_caller]
    pub fn create_function<P: Into<FunctionParam>>(
        &mut self,
        name: impl Into<Name>,
        params: impl IntoIterator<Item = P>,
        language: impl Into<String>,
        body: impl Into<String>,
    ) -> &mut CreateFunction {
        record!(
            self,
            CreateFunction,
            CreateFunction::new(
                name.into(),
                params.into_iter().map(Into::into).collect(),
                language.into(),
                body.into(),
            )
        )
    }

    /// `DROP FUNCTION name(argument types)`. The parameters may be given as types or as the same
    /// [`param`](crate::param) list the function was created with (names, defaults and `OUT` parameters are
    /// left out). Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_function(("app", "add"), [param("a", "integer"), param("b", "integer").default(0)]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP FUNCTION "app"."add"(integer, integer)"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_function<P: Into<FunctionParam>>(
        &mut self,
        name: impl Into<Name>,
        params: impl IntoIterator<Item = P>,
    ) -> &mut DropFunction {
        record!(
            self,
            DropFunction,
            DropFunction {
                name: name.into(),
                params: params.into_iter().map(Into::into).collect(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER FUNCTION name(argument types) RENAME TO new_name` (the function stays in its schema). Reversed by
    /// the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_function(("app", "add"), ["integer", "integer"], "plus");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER FUNCTION "app"."add"(integer, integer) RENAME TO "plus""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER FUNCTION "app"."plus"(integer, integer) RENAME TO "add""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_function<P: Into<FunctionParam>>(
        &mut self,
        name: impl Into<Name>,
        params: impl IntoIterator<Item = P>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameFunction(RenameFunction {
                from: name.into(),
                params: params.into_iter().map(Into::into).collect(),
                to: new_name.into(),
            }));
        self
    }
}
