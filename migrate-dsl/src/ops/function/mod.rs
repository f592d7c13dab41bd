//! Functions.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::RestorePrevious;
use crate::safeguard::Object;
use crate::value::Value;

mod render;
pub(crate) mod rust;
pub(crate) use render::{check_sql, check_word, signature};

impl MigrationBuilder {
    /// `CREATE FUNCTION name(params) ... LANGUAGE plpgsql AS body`; chain [`language`](CreateFunction::language)
    /// for another language. The body is dollar-quoted with a tag that does not occur in it, so it is written
    /// exactly as it should run. Reversed by `DROP FUNCTION` with the
    /// parameter types PostgreSQL identifies it by (`IN`, `INOUT` and `VARIADIC` ones).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function(
    ///     ("app", "add"),
    ///     [param("a", "integer"), param("b", "integer").default(0)],
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
        body: impl Into<String>,
    ) -> &mut CreateFunction {
        self.record(CreateFunction::new(
            name.into(),
            params.into_iter().map(Into::into).collect(),
            body.into(),
        ))
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
        self.record(DropFunction::new(
            name.into(),
            params.into_iter().map(Into::into).collect(),
        ))
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
    ) -> &mut RenameFunction {
        self.record(RenameFunction::new(
            name.into(),
            params.into_iter().map(Into::into).collect(),
            new_name.into(),
        ))
    }
}

/// How a function parameter passes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamMode {
    In,
    Out,
    InOut,
    Variadic,
}

impl ParamMode {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            ParamMode::In => "IN",
            ParamMode::Out => "OUT",
            ParamMode::InOut => "INOUT",
            ParamMode::Variadic => "VARIADIC",
        }
    }

    /// Whether PostgreSQL counts the parameter in the function's identity (OUT parameters are not part of it).
    pub(crate) fn identifies(self) -> bool {
        self != ParamMode::Out
    }
}

/// One function parameter: `[mode] [name] type [DEFAULT value]`. Build one with [`param`]; a plain string is an
/// unnamed `IN` parameter of that type.
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.create_function(
///     "split_name",
///     [param("whole", "text"), param("first", "text").out(), param("last", "text").out()],
///     "SELECT split_part(whole, ' ', 1), split_part(whole, ' ', 2)",
/// ).language("sql");
/// assert_eq!(pgm.to_sql().unwrap(), [
///     "CREATE FUNCTION \"split_name\"(\"whole\" text, OUT \"first\" text, OUT \"last\" text) LANGUAGE sql \
///      AS $body$SELECT split_part(whole, ' ', 1), split_part(whole, ' ', 2)$body$",
/// ]);
/// // PostgreSQL identifies a function by its IN, INOUT and VARIADIC parameter types only.
/// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP FUNCTION "split_name"(text)"#]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionParam {
    mode: Option<ParamMode>,
    name: Option<Ident>,
    data_type: String,
    default: Option<Value>,
}

/// A named function parameter of type `data_type` (written as SQL, like a column type).
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.create_function("twice", [param("n", "int")], "SELECT n * 2").language("sql").returns("int");
/// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "twice"("n" int) RETURNS int LANGUAGE sql AS $body$SELECT n * 2$body$"#]);
/// ```
pub fn param(name: impl Into<Ident>, data_type: impl Into<String>) -> FunctionParam {
    FunctionParam {
        mode: None,
        name: Some(name.into()),
        data_type: data_type.into(),
        default: None,
    }
}

impl FunctionParam {
    /// An unnamed parameter of type `data_type` (what a plain string converts to); the body refers to it as `$1`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", [FunctionParam::unnamed("int").default(1)], "SELECT $1 * 2").language("sql").returns("int");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "twice"(int DEFAULT 1) RETURNS int LANGUAGE sql AS $body$SELECT $1 * 2$body$"#]);
    /// ```
    pub fn unnamed(data_type: impl Into<String>) -> Self {
        FunctionParam {
            mode: None,
            name: None,
            data_type: data_type.into(),
            default: None,
        }
    }

    /// `IN`, written explicitly (it is the default mode).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_function("twice", [param("n", "int").r#in()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP FUNCTION "twice"(IN int)"#]);
    /// ```
    pub fn r#in(mut self) -> Self {
        self.mode = Some(ParamMode::In);
        self
    }

    /// `OUT`: a result column, not an argument, so it is left out of the types that identify the function.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_function("stats", [param("author", "text"), param("posts", "bigint").out()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP FUNCTION "stats"(text)"#]);
    /// ```
    pub fn out(mut self) -> Self {
        self.mode = Some(ParamMode::Out);
        self
    }

    /// `INOUT`: both an argument and a result column.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("bump", [param("n", "int").inout()], "SELECT n + 1").language("sql");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "bump"(INOUT "n" int) LANGUAGE sql AS $body$SELECT n + 1$body$"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP FUNCTION "bump"(INOUT int)"#]);
    /// ```
    pub fn inout(mut self) -> Self {
        self.mode = Some(ParamMode::InOut);
        self
    }

    /// `VARIADIC`: the last parameter, an array taking any number of trailing arguments.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("total", [param("xs", "int[]").variadic()], "SELECT sum(x) FROM unnest(xs) x").language("sql")
    ///     .returns("bigint");
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP FUNCTION "total"(VARIADIC int[])"#]);
    /// ```
    pub fn variadic(mut self) -> Self {
        self.mode = Some(ParamMode::Variadic);
        self
    }

    /// `DEFAULT value`: a literal, or an expression made with [`expr`](crate::expr).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("greet", [param("who", "text").default("world")], "SELECT 'hello ' || who").language("sql")
    ///     .returns("text");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "greet"("who" text DEFAULT 'world') RETURNS text LANGUAGE sql AS $body$SELECT 'hello ' || who$body$"#,
    /// ]);
    /// ```
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    pub(crate) fn identifies(&self) -> bool {
        self.mode.is_none_or(ParamMode::identifies)
    }
}

impl From<&str> for FunctionParam {
    fn from(data_type: &str) -> Self {
        FunctionParam::unnamed(data_type)
    }
}
impl From<String> for FunctionParam {
    fn from(data_type: String) -> Self {
        FunctionParam::unnamed(data_type)
    }
}
impl From<&FunctionParam> for FunctionParam {
    fn from(p: &FunctionParam) -> Self {
        p.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parallel {
    Safe,
    Restricted,
    Unsafe,
}

/// A configuration parameter the function sets while it runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SetValue {
    To(Value),
    FromCurrent,
}

/// `CREATE FUNCTION`, recorded by [`MigrationBuilder::create_function`](crate::MigrationBuilder::create_function).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    name: Name,
    params: Vec<FunctionParam>,
    returns: Option<String>,
    language: String,
    body: String,
    or_replace: bool,
    window: bool,
    volatility: Option<Volatility>,
    security_definer: Option<bool>,
    strict: Option<bool>,
    parallel: Option<Parallel>,
    set: Vec<(String, SetValue)>,
    comment: Option<String>,
}

impl CreateFunction {
    /// A `LANGUAGE plpgsql` function; [`language`](Self::language) changes it.
    pub(crate) fn new(name: Name, params: Vec<FunctionParam>, body: String) -> Self {
        CreateFunction {
            name,
            params,
            returns: None,
            language: "plpgsql".to_owned(),
            body,
            or_replace: false,
            window: false,
            volatility: None,
            security_definer: None,
            strict: None,
            parallel: None,
            set: Vec::new(),
            comment: None,
        }
    }

    /// `LANGUAGE language`: `plpgsql` unless set (`sql`, `internal`, `c`, or an installed language such as
    /// `plpython3u`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("answer", Vec::<FunctionParam>::new(), "SELECT 42").language("sql").returns("integer");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "answer"() RETURNS integer LANGUAGE sql AS $body$SELECT 42$body$"#]);
    /// ```
    pub fn language(&mut self, language: impl Into<String>) -> &mut Self {
        self.language = language.into();
        self
    }

    /// `RETURNS type` (`integer`, `SETOF posts`, `TABLE (id int, title text)`, `trigger`). It may only be left
    /// out when `OUT`/`INOUT` parameters describe the result.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("answer", Vec::<FunctionParam>::new(), "SELECT 42").language("sql").returns("integer");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "answer"() RETURNS integer LANGUAGE sql AS $body$SELECT 42$body$"#]);
    /// ```
    pub fn returns(&mut self, data_type: impl Into<String>) -> &mut Self {
        self.returns = Some(data_type.into());
        self
    }

    /// `CREATE OR REPLACE FUNCTION`. Before it runs, the engine records the function it replaces
    /// (`pg_get_functiondef` and its comment), or that there was none, with the migration; the derived
    /// `down` restores that definition exactly, or drops the function when there was none. An earlier
    /// migration's function therefore survives this migration's `up` and `down`. PostgreSQL cannot remove
    /// parameter defaults this way: when the new function added some, the `down` stops with that reason
    /// before sending anything, and needs to be written.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("answer", Vec::<FunctionParam>::new(), "SELECT 42").language("sql").returns("integer").or_replace();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE OR REPLACE FUNCTION "answer"() RETURNS integer LANGUAGE sql AS $body$SELECT 42$body$"#,
    /// ]);
    /// let down = pgm.reversed().unwrap().to_sql().unwrap();
    /// assert!(down[0].starts_with(r#"-- restore_previous: function "answer"() as it was before operation #1"#));
    /// assert!(down[0].ends_with(r#"--   DROP FUNCTION "answer"()"#));
    /// ```
    pub fn or_replace(&mut self) -> &mut Self {
        self.or_replace = true;
        self
    }

    /// `WINDOW`: a window function (only functions written in C or `internal` can be).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("my_rank", Vec::<FunctionParam>::new(), "window_rank").language("internal").returns("bigint").window();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "my_rank"() RETURNS bigint LANGUAGE internal WINDOW AS $body$window_rank$body$"#,
    /// ]);
    /// ```
    pub fn window(&mut self) -> &mut Self {
        self.window = true;
        self
    }

    /// `IMMUTABLE`: same arguments, same result, no database access; usable in indexes.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").immutable();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql IMMUTABLE AS $body$SELECT $1 * 2$body$"#]);
    /// ```
    pub fn immutable(&mut self) -> &mut Self {
        self.volatility = Some(Volatility::Immutable);
        self
    }

    /// `STABLE`: same result within one statement.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("today", Vec::<FunctionParam>::new(), "SELECT current_date").language("sql").returns("date").stable();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "today"() RETURNS date LANGUAGE sql STABLE AS $body$SELECT current_date$body$"#]);
    /// ```
    pub fn stable(&mut self) -> &mut Self {
        self.volatility = Some(Volatility::Stable);
        self
    }

    /// `VOLATILE` (PostgreSQL's default), written explicitly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("roll", Vec::<FunctionParam>::new(), "SELECT random()").language("sql").returns("float8").volatile();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "roll"() RETURNS float8 LANGUAGE sql VOLATILE AS $body$SELECT random()$body$"#]);
    /// ```
    pub fn volatile(&mut self) -> &mut Self {
        self.volatility = Some(Volatility::Volatile);
        self
    }

    /// `SECURITY DEFINER`: runs with the privileges of the function's owner. Pin its `search_path` with
    /// [`set`](Self::set) so callers cannot hijack unqualified names.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("count_users", Vec::<FunctionParam>::new(), "SELECT count(*) FROM users").language("sql")
    ///     .returns("bigint")
    ///     .security_definer()
    ///     .set("search_path", expr("public, pg_temp"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "count_users"() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $body$SELECT count(*) FROM users$body$"#,
    /// ]);
    /// ```
    pub fn security_definer(&mut self) -> &mut Self {
        self.security_definer = Some(true);
        self
    }

    /// `SECURITY INVOKER` (the default), written explicitly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("one", Vec::<FunctionParam>::new(), "SELECT 1").language("sql").returns("int").security_invoker();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "one"() RETURNS int LANGUAGE sql SECURITY INVOKER AS $body$SELECT 1$body$"#]);
    /// ```
    pub fn security_invoker(&mut self) -> &mut Self {
        self.security_definer = Some(false);
        self
    }

    /// `STRICT` (`RETURNS NULL ON NULL INPUT`): a `NULL` argument gives `NULL` without calling the function.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").strict();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql STRICT AS $body$SELECT $1 * 2$body$"#]);
    /// ```
    pub fn strict(&mut self) -> &mut Self {
        self.strict = Some(true);
        self
    }

    /// `CALLED ON NULL INPUT` (the default), written explicitly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").called_on_null_input();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql CALLED ON NULL INPUT AS $body$SELECT $1 * 2$body$"#,
    /// ]);
    /// ```
    pub fn called_on_null_input(&mut self) -> &mut Self {
        self.strict = Some(false);
        self
    }

    /// `PARALLEL SAFE`: may run in parallel workers.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").parallel_safe();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql PARALLEL SAFE AS $body$SELECT $1 * 2$body$"#]);
    /// ```
    pub fn parallel_safe(&mut self) -> &mut Self {
        self.parallel = Some(Parallel::Safe);
        self
    }

    /// `PARALLEL RESTRICTED`: runs in parallel plans, but only in the leader.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").parallel_restricted();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql PARALLEL RESTRICTED AS $body$SELECT $1 * 2$body$"#,
    /// ]);
    /// ```
    pub fn parallel_restricted(&mut self) -> &mut Self {
        self.parallel = Some(Parallel::Restricted);
        self
    }

    /// `PARALLEL UNSAFE` (the default), written explicitly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").parallel_unsafe();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "twice"(int) RETURNS int LANGUAGE sql PARALLEL UNSAFE AS $body$SELECT $1 * 2$body$"#,
    /// ]);
    /// ```
    pub fn parallel_unsafe(&mut self) -> &mut Self {
        self.parallel = Some(Parallel::Unsafe);
        self
    }

    /// `SET parameter = value` while the function runs; may be chained for several parameters. A text value
    /// is quoted as one literal; write a list (`search_path`) with [`expr`](crate::expr).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("slow", Vec::<FunctionParam>::new(), "SELECT 1").language("sql")
    ///     .returns("int")
    ///     .set("statement_timeout", "5s")
    ///     .set("work_mem", expr("'64MB'"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "slow"() RETURNS int LANGUAGE sql SET statement_timeout = '5s' SET work_mem = '64MB' AS $body$SELECT 1$body$"#,
    /// ]);
    /// ```
    pub fn set(&mut self, parameter: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.set
            .push((parameter.into(), SetValue::To(value.into())));
        self
    }

    /// `SET parameter FROM CURRENT`: keep the value the parameter has when the function is created.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("one", Vec::<FunctionParam>::new(), "SELECT 1").language("sql").returns("int").set_from_current("search_path");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "one"() RETURNS int LANGUAGE sql SET search_path FROM CURRENT AS $body$SELECT 1$body$"#,
    /// ]);
    /// ```
    pub fn set_from_current(&mut self, parameter: impl Into<String>) -> &mut Self {
        self.set.push((parameter.into(), SetValue::FromCurrent));
        self
    }

    /// A comment, written as `COMMENT ON FUNCTION` after the `CREATE FUNCTION`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_function("twice", ["int"], "SELECT $1 * 2").language("sql").returns("int").comment("doubles");
    /// assert_eq!(pgm.to_sql().unwrap()[1], r#"COMMENT ON FUNCTION "twice"(int) IS 'doubles'"#);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The parameters PostgreSQL identifies the function by, for the `DROP` that reverses it.
    /// The reverse of `CREATE OR REPLACE FUNCTION`: restore what it replaced, or `drop` it.
    /// The function's name, for the trigger whose function this is.
    pub(crate) fn function_name(&self) -> &Name {
        &self.name
    }

    /// Names the function defined inline with a trigger.
    pub(crate) fn set_name(&mut self, name: Name) {
        self.name = name;
    }

    /// Whether it was created with `OR REPLACE`.
    pub(crate) fn replaces(&self) -> bool {
        self.or_replace
    }

    pub(crate) fn restore_previous(
        &self,
        ctx: Ctx,
        drop: DropFunction,
    ) -> Result<Operation, DslError> {
        let signature = signature(&self.name, &self.params)
            .ok_or_else(|| ctx.invalid("the function's parameter list does not render"))?;
        Ok(RestorePrevious::new(
            ctx,
            Object::Function {
                name: self.name.clone(),
                signature,
            },
            drop,
        )
        .into())
    }

    pub(crate) fn identity(&self) -> Vec<FunctionParam> {
        self.params
            .iter()
            .filter(|p| p.identifies())
            .cloned()
            .collect()
    }
}

/// `DROP FUNCTION`, recorded by [`MigrationBuilder::drop_function`](crate::MigrationBuilder::drop_function).
#[derive(Debug, Clone, PartialEq)]
pub struct DropFunction {
    name: Name,
    params: Vec<FunctionParam>,
    if_exists: bool,
    cascade: bool,
}

impl DropFunction {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, params: Vec<FunctionParam>) -> Self {
        DropFunction {
            name,
            params,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropFunction {
    /// `DROP FUNCTION IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_function("twice", ["int"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP FUNCTION IF EXISTS "twice"(int)"#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop dependent objects (triggers, defaults, views using the function).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_function("twice", ["int"]).cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP FUNCTION "twice"(int) CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER FUNCTION ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_function`](crate::MigrationBuilder::rename_function).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameFunction {
    from: Name,
    params: Vec<FunctionParam>,
    to: Ident,
}

impl RenameFunction {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, params: Vec<FunctionParam>, to: Ident) -> Self {
        RenameFunction { from, params, to }
    }
}

impl Reverse for CreateFunction {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let drop = DropFunction::new(self.name.clone(), self.identity());
        if self.or_replace {
            // The function it replaced (if any) is recorded when the `up` runs; the `down` puts it back.
            return Ok(vec![self.restore_previous(ctx, drop)?]);
        }
        Ok(vec![drop.into()])
    }
}

impl Reverse for DropFunction {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped function's definition is not known"))
    }
}

impl Reverse for RenameFunction {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameFunction::new(
            self.from.sibling(self.to.clone()),
            self.params.clone(),
            self.from.name.clone(),
        )
        .into()])
    }
}
