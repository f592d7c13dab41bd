use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::{CreateFunction, DropFunction};
use crate::reverse::Reverse;
use crate::value::Value;

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
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) function: TriggerFunction,
    pub(crate) arguments: Vec<Value>,
    pub(crate) timing: Option<TriggerTiming>,
    pub(crate) events: Vec<TriggerEvent>,
    pub(crate) for_each_row: bool,
    pub(crate) when: Option<String>,
    pub(crate) constraint: bool,
    pub(crate) deferrable: bool,
    pub(crate) initially_deferred: bool,
    pub(crate) comment: Option<String>,
}

impl CreateTrigger {
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
    /// pgm.create_trigger_with_function("posts", "posts_touch", "plpgsql", "BEGIN NEW.updated_at := now(); RETURN NEW; END")
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
                function.name = name;
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
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) table: Name,
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

impl Reverse for CreateTrigger {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let mut out: Vec<Operation> = vec![DropTrigger {
            table: self.table.clone(),
            name: self.name.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()];
        // The trigger depends on its function: drop the trigger first.
        if let TriggerFunction::Inline(function) = &self.function {
            let drop = DropFunction {
                name: function.name.clone(),
                params: Vec::new(),
                if_exists: false,
                cascade: false,
            };
            if function.or_replace {
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
        Ok(vec![RenameTrigger {
            table: self.table.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}
