//! Triggers.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::{CreateFunction, DropFunction};
use crate::value::Value;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE TRIGGER name ... ON table ... EXECUTE FUNCTION function()`: chain the timing (`before`, `after`,
    /// `instead_of`) and at least one event (`on_insert`, `on_update`, ...). Reversed by `DROP TRIGGER`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger(("app", "posts"), "posts_audit", ("audit", "log_change"))
    ///     .after()
    ///     .on_insert()
    ///     .on_update()
    ///     .for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_audit" AFTER INSERT OR UPDATE ON "app"."posts" FOR EACH ROW EXECUTE FUNCTION "audit"."log_change"()"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TRIGGER "posts_audit" ON "app"."posts""#]);
    /// ```
    #[track_caller]
    pub fn create_trigger(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        function: impl Into<Name>,
    ) -> &mut CreateTrigger {
        self.record(CreateTrigger::new(
            table.into(),
            name.into(),
            TriggerFunction::Existing(function.into()),
        ))
    }

    /// A trigger with its function defined inline: creates the function `RETURNS trigger` (named after the
    /// trigger, in the table's schema, unless [`function_name`](CreateTrigger::function_name) says otherwise;
    /// `LANGUAGE plpgsql` unless [`language`](CreateTrigger::language) says otherwise), then the trigger. Reversed by dropping the trigger, then the function.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger_with_function(("app", "posts"), "posts_touch", "BEGIN NEW.updated_at := now(); RETURN NEW; END")
    ///     .before()
    ///     .on_update()
    ///     .for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "app"."posts_touch"() RETURNS trigger LANGUAGE plpgsql AS $body$BEGIN NEW.updated_at := now(); RETURN NEW; END$body$"#,
    ///     r#"CREATE TRIGGER "posts_touch" BEFORE UPDATE ON "app"."posts" FOR EACH ROW EXECUTE FUNCTION "app"."posts_touch"()"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP TRIGGER "posts_touch" ON "app"."posts""#,
    ///     r#"DROP FUNCTION "app"."posts_touch"()"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn create_trigger_with_function(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        body: impl Into<String>,
    ) -> &mut CreateTrigger {
        let table = table.into();
        let name = name.into();
        let mut function =
            CreateFunction::new(table.sibling(name.clone()), Vec::new(), body.into());
        function.returns("trigger");
        self.record(CreateTrigger::new(
            table,
            name,
            TriggerFunction::Inline(Box::new(function)),
        ))
    }

    /// `DROP TRIGGER name ON table`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_trigger("posts", "posts_touch");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TRIGGER "posts_touch" ON "posts""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_trigger(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut DropTrigger {
        self.record(DropTrigger::new(table.into(), name.into()))
    }

    /// `ALTER TRIGGER name ON table RENAME TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_trigger("posts", "posts_touch", "posts_set_updated_at");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TRIGGER "posts_touch" ON "posts" RENAME TO "posts_set_updated_at""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TRIGGER "posts_set_updated_at" ON "posts" RENAME TO "posts_touch""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_trigger(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameTrigger {
        self.record(RenameTrigger::new(
            table.into(),
            name.into(),
            new_name.into(),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TriggerEvent {
    Insert,
    Update(Vec<Ident>),
    Delete,
    Truncate,
}

/// The function a trigger executes: an existing one, or one defined inline and created with the trigger.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TriggerFunction {
    Existing(Name),
    Inline(Box<CreateFunction>),
}

/// `CREATE TRIGGER`, recorded by [`MigrationBuilder::create_trigger`](crate::MigrationBuilder::create_trigger)
/// and [`MigrationBuilder::create_trigger_with_function`](crate::MigrationBuilder::create_trigger_with_function).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTrigger {
    table: Name,
    name: Ident,
    function: TriggerFunction,
    arguments: Vec<Value>,
    timing: Option<TriggerTiming>,
    events: Vec<TriggerEvent>,
    for_each_row: bool,
    when: Option<String>,
    constraint: bool,
    deferrable: bool,
    initially_deferred: bool,
    comment: Option<String>,
    /// Set when [`language`](Self::language) was chained onto a trigger whose function exists already.
    language_without_function: bool,
}

impl CreateTrigger {
    /// A trigger executing `function`, with no timing or events yet.
    pub(crate) fn new(table: Name, name: Ident, function: TriggerFunction) -> Self {
        CreateTrigger {
            table,
            name,
            function,
            arguments: Vec::new(),
            timing: None,
            events: Vec::new(),
            for_each_row: false,
            when: None,
            constraint: false,
            deferrable: false,
            initially_deferred: false,
            comment: None,
            language_without_function: false,
        }
    }

    /// For a trigger created with an inline function: its `LANGUAGE` (`plpgsql` unless set). On a trigger that
    /// executes an existing function it is refused when the migration is rendered.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger_with_function("posts", "posts_touch", "touch_row")
    ///     .language("c")
    ///     .before()
    ///     .on_update()
    ///     .for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap()[0],
    ///     r#"CREATE FUNCTION "posts_touch"() RETURNS trigger LANGUAGE c AS $body$touch_row$body$"#);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_touch", "touch").language("sql").before().on_update().for_each_row();
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("language"));
    /// ```
    pub fn language(&mut self, language: impl Into<String>) -> &mut Self {
        match &mut self.function {
            TriggerFunction::Inline(function) => {
                function.language(language);
            }
            TriggerFunction::Existing(_) => self.language_without_function = true,
        }
        self
    }

    /// `BEFORE`: runs before the row is written (a row trigger may change or skip it).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_touch", "touch").before().on_update().for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_touch" BEFORE UPDATE ON "posts" FOR EACH ROW EXECUTE FUNCTION "touch"()"#,
    /// ]);
    /// ```
    pub fn before(&mut self) -> &mut Self {
        self.timing = Some(TriggerTiming::Before);
        self
    }

    /// `AFTER`: runs after the statement's change.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_audit", "audit").after().on_insert().on_delete();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_audit" AFTER INSERT OR DELETE ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "audit"()"#,
    /// ]);
    /// ```
    pub fn after(&mut self) -> &mut Self {
        self.timing = Some(TriggerTiming::After);
        self
    }

    /// `INSTEAD OF`: replaces the change on a view; always `FOR EACH ROW`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts_view", "posts_view_insert", "insert_post").instead_of().on_insert().for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_view_insert" INSTEAD OF INSERT ON "posts_view" FOR EACH ROW EXECUTE FUNCTION "insert_post"()"#,
    /// ]);
    /// ```
    pub fn instead_of(&mut self) -> &mut Self {
        self.timing = Some(TriggerTiming::InsteadOf);
        self
    }

    /// Fires on `INSERT`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_new", "notify").after().on_insert();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_new" AFTER INSERT ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn on_insert(&mut self) -> &mut Self {
        self.events.push(TriggerEvent::Insert);
        self
    }

    /// Fires on any `UPDATE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_changed", "notify").after().on_update();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_changed" AFTER UPDATE ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn on_update(&mut self) -> &mut Self {
        self.events.push(TriggerEvent::Update(Vec::new()));
        self
    }

    /// Fires on an `UPDATE` that targets one of `columns` (`UPDATE OF a, b`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_retitled", "notify").after().on_update_of(["title", "Slug"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_retitled" AFTER UPDATE OF "title", "Slug" ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn on_update_of<I: Into<Ident>>(
        &mut self,
        columns: impl IntoIterator<Item = I>,
    ) -> &mut Self {
        self.events.push(TriggerEvent::Update(
            columns.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Fires on `DELETE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_gone", "notify").after().on_delete();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_gone" AFTER DELETE ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn on_delete(&mut self) -> &mut Self {
        self.events.push(TriggerEvent::Delete);
        self
    }

    /// Fires on `TRUNCATE` (statement triggers only).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_truncated", "notify").after().on_truncate();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_truncated" AFTER TRUNCATE ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn on_truncate(&mut self) -> &mut Self {
        self.events.push(TriggerEvent::Truncate);
        self
    }

    /// `FOR EACH ROW`: fires once per affected row.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_row", "notify").after().on_insert().for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_row" AFTER INSERT ON "posts" FOR EACH ROW EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn for_each_row(&mut self) -> &mut Self {
        self.for_each_row = true;
        self
    }

    /// `FOR EACH STATEMENT` (the default): fires once per statement.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_stmt", "notify").after().on_insert().for_each_row().for_each_statement();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_stmt" AFTER INSERT ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "notify"()"#,
    /// ]);
    /// ```
    pub fn for_each_statement(&mut self) -> &mut Self {
        self.for_each_row = false;
        self
    }

    /// `WHEN (condition)`: fires only when the condition holds (`OLD.*`/`NEW.*` in row triggers).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_touch", "touch")
    ///     .before()
    ///     .on_update()
    ///     .for_each_row()
    ///     .when("OLD.* IS DISTINCT FROM NEW.*");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_touch" BEFORE UPDATE ON "posts" FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "touch"()"#,
    /// ]);
    /// ```
    pub fn when(&mut self, condition: impl Into<String>) -> &mut Self {
        self.when = Some(condition.into());
        self
    }

    /// `CREATE CONSTRAINT TRIGGER`: an `AFTER ... FOR EACH ROW` trigger whose firing can be deferred to the end
    /// of the transaction (see [`deferrable`](Self::deferrable)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_check", "check_post").after().on_insert().for_each_row().constraint();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE CONSTRAINT TRIGGER "posts_check" AFTER INSERT ON "posts" FOR EACH ROW EXECUTE FUNCTION "check_post"()"#,
    /// ]);
    /// ```
    pub fn constraint(&mut self) -> &mut Self {
        self.constraint = true;
        self
    }

    /// `DEFERRABLE`, for a constraint trigger.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_check", "check_post").after().on_insert().for_each_row().constraint().deferrable();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE CONSTRAINT TRIGGER "posts_check" AFTER INSERT ON "posts" DEFERRABLE FOR EACH ROW EXECUTE FUNCTION "check_post"()"#,
    /// ]);
    /// ```
    pub fn deferrable(&mut self) -> &mut Self {
        self.deferrable = true;
        self
    }

    /// `DEFERRABLE INITIALLY DEFERRED`, for a constraint trigger: fires at commit unless the transaction says
    /// `SET CONSTRAINTS ... IMMEDIATE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_check", "check_post").after().on_insert().for_each_row().constraint().initially_deferred();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE CONSTRAINT TRIGGER "posts_check" AFTER INSERT ON "posts" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "check_post"()"#,
    /// ]);
    /// ```
    pub fn initially_deferred(&mut self) -> &mut Self {
        self.deferrable = true;
        self.initially_deferred = true;
        self
    }

    /// Arguments passed to the function (in `TG_ARGV`); PostgreSQL hands them over as text.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_audit", "audit").after().on_insert().arguments([Value::from("posts"), Value::from(1)]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TRIGGER "posts_audit" AFTER INSERT ON "posts" FOR EACH STATEMENT EXECUTE FUNCTION "audit"('posts', 1)"#,
    /// ]);
    /// ```
    pub fn arguments<V: Into<Value>>(
        &mut self,
        arguments: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        self.arguments = arguments.into_iter().map(Into::into).collect();
        self
    }

    /// For a trigger created with an inline function: the function's name, instead of the trigger's name (it
    /// is created in the table's schema unless qualified).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger_with_function("posts", "posts_touch", "BEGIN NEW.updated_at := now(); RETURN NEW; END")
    ///     .function_name("touch_updated_at")
    ///     .before()
    ///     .on_update()
    ///     .for_each_row();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE FUNCTION "touch_updated_at"() RETURNS trigger LANGUAGE plpgsql AS $body$BEGIN NEW.updated_at := now(); RETURN NEW; END$body$"#,
    ///     r#"CREATE TRIGGER "posts_touch" BEFORE UPDATE ON "posts" FOR EACH ROW EXECUTE FUNCTION "touch_updated_at"()"#,
    /// ]);
    /// ```
    ///
    /// On a trigger that executes an existing function, it names that function instead.
    pub fn function_name(&mut self, name: impl Into<Name>) -> &mut Self {
        let name = name.into();
        match &mut self.function {
            TriggerFunction::Existing(existing) => *existing = name,
            TriggerFunction::Inline(function) => {
                let name = match name.schema {
                    Some(_) => name,
                    None => self.table.sibling(name.name),
                };
                function.set_name(name);
            }
        }
        self
    }

    /// A comment, written as `COMMENT ON TRIGGER` after the `CREATE TRIGGER`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger("posts", "posts_new", "notify").after().on_insert().comment("tells the feed");
    /// assert_eq!(pgm.to_sql().unwrap()[1], r#"COMMENT ON TRIGGER "posts_new" ON "posts" IS 'tells the feed'"#);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }
}

/// `DROP TRIGGER`, recorded by [`MigrationBuilder::drop_trigger`](crate::MigrationBuilder::drop_trigger).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTrigger {
    table: Name,
    name: Ident,
    if_exists: bool,
    cascade: bool,
}

impl DropTrigger {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        DropTrigger {
            table,
            name,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropTrigger {
    /// `DROP TRIGGER IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_trigger("posts", "posts_touch").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TRIGGER IF EXISTS "posts_touch" ON "posts""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_trigger("posts", "posts_touch").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TRIGGER "posts_touch" ON "posts" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TRIGGER ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_trigger`](crate::MigrationBuilder::rename_trigger).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameTrigger {
    table: Name,
    from: Ident,
    to: Ident,
}

impl RenameTrigger {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, from: Ident, to: Ident) -> Self {
        RenameTrigger { table, from, to }
    }
}

impl Reverse for CreateTrigger {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let mut out: Vec<Operation> =
            vec![DropTrigger::new(self.table.clone(), self.name.clone()).into()];
        // The trigger depends on its function: drop the trigger first.
        if let TriggerFunction::Inline(function) = &self.function {
            let drop = DropFunction::new(function.function_name().clone(), Vec::new());
            if function.replaces() {
                // Created with OR REPLACE: what it replaced (if anything) is put back instead.
                out.push(function.restore_previous(ctx, drop)?);
            } else {
                out.push(drop.into());
            }
        }
        Ok(out)
    }
}

impl Reverse for DropTrigger {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped trigger's definition is not known"))
    }
}

impl Reverse for RenameTrigger {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameTrigger::new(
            self.table.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}
