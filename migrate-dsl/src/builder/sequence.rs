//! Sequences.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

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
        record!(
            self,
            CreateSequence,
            CreateSequence {
                name: name.into(),
                temporary: false,
                if_not_exists: false,
                options: SequenceOptions::default(),
                comment: None,
                drop_cascade: false,
            }
        )
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
        record!(
            self,
            AlterSequence,
            AlterSequence {
                name: name.into(),
                options: SequenceOptions::default(),
                restart: None,
            }
        )
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
        record!(
            self,
            DropSequence,
            DropSequence {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
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
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameSequence(RenameSequence {
                from: name.into(),
                to: new_name.into(),
            }));
        self
    }
}
