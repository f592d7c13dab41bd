//! Sequences.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::reverse::may_have_skipped;
use crate::value::Change;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE SEQUENCE name`, with the settings chained on it. Reversed by `DROP SEQUENCE` (with `IF EXISTS`
    /// and `CASCADE` when [`if_not_exists`](CreateSequence::if_not_exists) and
    /// [`drop_cascade`](CreateSequence::drop_cascade) were given).
    ///
    /// Every number is kept as given, `0` included: node-pg-migrate silently dropped `minvalue: 0` and
    /// `start: 0`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence(("app", "ticket_no"))
    ///     .data_type("integer")
    ///     .minvalue(0)
    ///     .start(0)
    ///     .increment(1)
    ///     .cache(1);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE SEQUENCE "app"."ticket_no" AS integer INCREMENT BY 1 MINVALUE 0 START WITH 0 CACHE 1"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP SEQUENCE "app"."ticket_no""#]);
    /// ```
    #[track_caller]
    pub fn create_sequence(&mut self, name: impl Into<Name>) -> &mut CreateSequence {
        self.record(CreateSequence::new(name.into()))
    }

    /// `ALTER SEQUENCE name ...`: chain the changes. Irreversible (the previous settings are not known), so a
    /// migration using it needs a `down`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_sequence("ticket_no").increment(5).restart_with(100);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SEQUENCE "ticket_no" INCREMENT BY 5 RESTART WITH 100"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn alter_sequence(&mut self, name: impl Into<Name>) -> &mut AlterSequence {
        self.record(AlterSequence::new(name.into()))
    }

    /// `DROP SEQUENCE name`. Irreversible: the sequence's settings and current value are not known.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_sequence(("app", "ticket_no"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SEQUENCE "app"."ticket_no""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_sequence(&mut self, name: impl Into<Name>) -> &mut DropSequence {
        self.record(DropSequence::new(name.into()))
    }

    /// `ALTER SEQUENCE name RENAME TO new_name` (the sequence stays in its schema). Reversed by the opposite
    /// rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_sequence(("app", "ticket_no"), "ticket_number");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SEQUENCE "app"."ticket_no" RENAME TO "ticket_number""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER SEQUENCE "app"."ticket_number" RENAME TO "ticket_no""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_sequence(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameSequence {
        self.record(RenameSequence::new(name.into(), new_name.into()))
    }
}

/// The settings shared by `CREATE SEQUENCE` and `ALTER SEQUENCE`. Every number is an `Option`, so an explicit
/// `0` (a `minvalue` or `start` of zero) is written out rather than mistaken for "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SequenceOptions {
    data_type: Option<String>,
    increment: Option<i64>,
    minvalue: Change<i64>,
    maxvalue: Change<i64>,
    start: Option<i64>,
    cache: Option<i64>,
    cycle: Option<bool>,
    owned_by: Change<(Name, Ident)>,
}

/// The option setters of both sequence operations, with doctests showing each clause in its statement.
macro_rules! sequence_setters {
    ($call:literal, $sql:literal) => {
        /// `AS type`: `smallint`, `integer` or `bigint` (the default); it also sets the default bounds.
        /// Other types are refused.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".data_type(\"integer\");")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " AS integer\"#]);")]
        /// ```
        pub fn data_type(&mut self, data_type: impl Into<String>) -> &mut Self {
            self.options.data_type = Some(data_type.into());
            self
        }

        /// `INCREMENT BY n`; negative values make a descending sequence, zero is refused.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".increment(10);")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " INCREMENT BY 10\"#]);")]
        /// ```
        pub fn increment(&mut self, step: i64) -> &mut Self {
            self.options.increment = Some(step);
            self
        }

        /// `MINVALUE n`. Zero is a value like any other and is kept.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".minvalue(0);")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " MINVALUE 0\"#]);")]
        /// ```
        pub fn minvalue(&mut self, value: i64) -> &mut Self {
            self.options.minvalue = Change::Set(value);
            self
        }

        /// `NO MINVALUE`: the lower bound of the sequence's type (1 for an ascending sequence).
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".no_minvalue();")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " NO MINVALUE\"#]);")]
        /// ```
        pub fn no_minvalue(&mut self) -> &mut Self {
            self.options.minvalue = Change::Remove;
            self
        }

        /// `MAXVALUE n`.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".maxvalue(999999);")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " MAXVALUE 999999\"#]);")]
        /// ```
        pub fn maxvalue(&mut self, value: i64) -> &mut Self {
            self.options.maxvalue = Change::Set(value);
            self
        }

        /// `NO MAXVALUE`: the upper bound of the sequence's type (-1 for a descending sequence).
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".no_maxvalue();")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " NO MAXVALUE\"#]);")]
        /// ```
        pub fn no_maxvalue(&mut self) -> &mut Self {
            self.options.maxvalue = Change::Remove;
            self
        }

        /// `START WITH n`. Zero is kept. A start outside the given bounds is refused.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".minvalue(0).start(0);")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " MINVALUE 0 START WITH 0\"#]);")]
        ///
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".minvalue(10).start(1);")]
        /// assert!(pgm.to_sql().unwrap_err().to_string().contains("below MINVALUE"));
        /// ```
        pub fn start(&mut self, value: i64) -> &mut Self {
            self.options.start = Some(value);
            self
        }

        /// `CACHE n`: how many values each session preallocates (at least 1).
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".cache(20);")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " CACHE 20\"#]);")]
        /// ```
        pub fn cache(&mut self, values: i64) -> &mut Self {
            self.options.cache = Some(values);
            self
        }

        /// `CYCLE`: wrap around to the other bound instead of failing when the sequence is exhausted.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".cycle();")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " CYCLE\"#]);")]
        /// ```
        pub fn cycle(&mut self) -> &mut Self {
            self.options.cycle = Some(true);
            self
        }

        /// `NO CYCLE`: fail once the sequence is exhausted (PostgreSQL's default).
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".no_cycle();")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " NO CYCLE\"#]);")]
        /// ```
        pub fn no_cycle(&mut self) -> &mut Self {
            self.options.cycle = Some(false);
            self
        }

        /// `OWNED BY table.column`: dropping the column (or its table) drops the sequence too. The table must
        /// be in the sequence's schema.
        ///
        /// ```
        /// use migrate_dsl::prelude::*;
        /// let mut pgm = MigrationBuilder::new();
        #[doc = concat!("pgm.", $call, ".owned_by(\"orders\", \"number\");")]
        #[doc = concat!("assert_eq!(pgm.to_sql().unwrap(), [r#\"", $sql, " OWNED BY \"orders\".\"number\"\"#]);")]
        /// ```
        pub fn owned_by(&mut self, table: impl Into<Name>, column: impl Into<Ident>) -> &mut Self {
            self.options.owned_by = Change::Set((table.into(), column.into()));
            self
        }
    };
}

/// `CREATE SEQUENCE`, recorded by [`MigrationBuilder::create_sequence`](crate::MigrationBuilder::create_sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSequence {
    name: Name,
    temporary: bool,
    if_not_exists: bool,
    options: SequenceOptions,
    comment: Option<String>,
    drop_cascade: bool,
}

impl CreateSequence {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        CreateSequence {
            name,
            temporary: false,
            if_not_exists: false,
            options: SequenceOptions::default(),
            comment: None,
            drop_cascade: false,
        }
    }
}

impl CreateSequence {
    sequence_setters!(
        "create_sequence(\"order_no\")",
        "CREATE SEQUENCE \"order_no\""
    );

    /// `CREATE TEMPORARY SEQUENCE`: it lives in the session's temporary schema and disappears when the
    /// session ends, so it cannot be schema-qualified.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence("scratch").temporary();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TEMPORARY SEQUENCE "scratch""#]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence(("app", "scratch")).temporary();
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("temporary"));
    /// ```
    pub fn temporary(&mut self) -> &mut Self {
        self.temporary = true;
        self
    }

    /// `CREATE SEQUENCE IF NOT EXISTS`: an existing sequence is skipped (with a server notice, which the run
    /// shows). There is then no automatic reverse: dropping the sequence could drop one this migration did not
    /// create.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence("order_no").if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SEQUENCE IF NOT EXISTS "order_no""#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// A sequence comment, written as `COMMENT ON SEQUENCE` after the `CREATE SEQUENCE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence("order_no").comment("human-facing order numbers");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE SEQUENCE "order_no""#,
    ///     r#"COMMENT ON SEQUENCE "order_no" IS 'human-facing order numbers'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The derived reverse drops the sequence with `CASCADE`, taking column defaults that use it along.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_sequence("order_no").drop_cascade();
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP SEQUENCE "order_no" CASCADE"#]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

/// `RESTART` of `ALTER SEQUENCE`: at the sequence's start value, or at a given one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    AtStart,
    With(i64),
}

/// `ALTER SEQUENCE`, recorded by [`MigrationBuilder::alter_sequence`](crate::MigrationBuilder::alter_sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterSequence {
    name: Name,
    options: SequenceOptions,
    restart: Option<Restart>,
}

impl AlterSequence {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        AlterSequence {
            name,
            options: SequenceOptions::default(),
            restart: None,
        }
    }
}

impl AlterSequence {
    sequence_setters!(
        "alter_sequence(\"order_no\")",
        "ALTER SEQUENCE \"order_no\""
    );

    /// `RESTART`: the next value is the sequence's start value.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_sequence("order_no").restart();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SEQUENCE "order_no" RESTART"#]);
    /// ```
    pub fn restart(&mut self) -> &mut Self {
        self.restart = Some(Restart::AtStart);
        self
    }

    /// `RESTART WITH n`: the next value is `n`. Zero is kept.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_sequence("order_no").minvalue(0).restart_with(0);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SEQUENCE "order_no" MINVALUE 0 RESTART WITH 0"#]);
    /// ```
    pub fn restart_with(&mut self, value: i64) -> &mut Self {
        self.restart = Some(Restart::With(value));
        self
    }

    /// `OWNED BY NONE`: the sequence no longer goes away with a column.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_sequence("order_no").owned_by_none();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SEQUENCE "order_no" OWNED BY NONE"#]);
    /// ```
    pub fn owned_by_none(&mut self) -> &mut Self {
        self.options.owned_by = Change::Remove;
        self
    }
}

/// `DROP SEQUENCE`, recorded by [`MigrationBuilder::drop_sequence`](crate::MigrationBuilder::drop_sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct DropSequence {
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropSequence {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropSequence {
            name,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropSequence {
    /// `DROP SEQUENCE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_sequence("order_no").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SEQUENCE IF EXISTS "order_no""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop the column defaults that call `nextval` on it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_sequence("order_no").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SEQUENCE "order_no" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER SEQUENCE ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_sequence`](crate::MigrationBuilder::rename_sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameSequence {
    from: Name,
    to: Ident,
}

impl RenameSequence {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameSequence { from, to }
    }
}

impl Reverse for CreateSequence {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "sequence")));
        }
        Ok(vec![DropSequence {
            cascade: self.drop_cascade,
            ..DropSequence::new(self.name.clone())
        }
        .into()])
    }
}

impl Reverse for AlterSequence {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the sequence's previous settings are not known"))
    }
}

impl Reverse for DropSequence {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped sequence's settings and position are not known"))
    }
}

impl Reverse for RenameSequence {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameSequence::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}
