//! Triggers.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

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
        record!(
            self,
            CreateTrigger,
            new_trigger(
                table.into(),
                name.into(),
                TriggerFunction::Existing(function.into())
            )
        )
    }

    /// A trigger with its function defined inline: creates the function `RETURNS trigger` (named after the
    /// trigger, in the table's schema, unless [`function_name`](CreateTrigger::function_name) says otherwise),
    /// then the trigger. Reversed by dropping the trigger, then the function.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_trigger_with_function(("app", "posts"), "posts_touch", "plpgsql", "BEGIN NEW.updated_at := now(); RETURN NEW; END")
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
        language: impl Into<String>,
        body: impl Into<String>,
    ) -> &mut CreateTrigger {
        let table = table.into();
        let name = name.into();
        let mut function = CreateFunction::new(
            table.sibling(name.clone()),
            Vec::new(),
            language.into(),
            body.into(),
        );
        function.returns = Some("trigger".to_owned());
        record!(
            self,
            CreateTrigger,
            new_trigger(table, name, TriggerFunction::Inline(Box::new(function)))
        )
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
        record!(
            self,
            DropTrigger,
            DropTrigger {
                table: table.into(),
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
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
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameTrigger(RenameTrigger {
                table: table.into(),
                from: name.into(),
                to: new_name.into(),
            }));
        self
    }
}

fn new_trigger(table: Name, name: Ident, function: TriggerFunction) -> CreateTrigger {
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
    }
}
