//! Enum and composite types.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE TYPE name AS ENUM (...)` from an array of labels, or `CREATE TYPE name AS (...)` from an
    /// array of `(attribute, type)` pairs (see [`TypeDefinition`]). Reversed by `DROP TYPE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_type(("app", "mood"), ["sad", "it's ok", "happy"]);
    /// pgm.create_type("money_amount", [("amount", "numeric(12, 2)"), ("currency", "char(3)")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TYPE "app"."mood" AS ENUM ('sad', 'it''s ok', 'happy')"#,
    ///     r#"CREATE TYPE "money_amount" AS ("amount" numeric(12, 2), "currency" char(3))"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP TYPE "money_amount""#,
    ///     r#"DROP TYPE "app"."mood""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn create_type(
        &mut self,
        name: impl Into<Name>,
        definition: impl Into<TypeDefinition>,
    ) -> &mut CreateType {
        record!(
            self,
            CreateType,
            CreateType {
                name: name.into(),
                definition: definition.into(),
                comment: None,
                drop_cascade: false,
            }
        )
    }

    /// `DROP TYPE name`. Irreversible: the type's definition is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type(("app", "mood"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TYPE "app"."mood""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_type(&mut self, name: impl Into<Name>) -> &mut DropType {
        record!(
            self,
            DropType,
            DropType {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER TYPE name RENAME TO new_name` (the type stays in its schema). Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type(("app", "mood"), "feeling");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "app"."mood" RENAME TO "feeling""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "app"."feeling" RENAME TO "mood""#]);
    /// ```
    #[track_caller]
    pub fn rename_type(&mut self, name: impl Into<Name>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameType(RenameType {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }

    /// `ALTER TYPE type ADD ATTRIBUTE attribute data_type` on a composite type. Reversed by dropping the
    /// attribute.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_attribute("address", "zip", "varchar(10)");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" ADD ATTRIBUTE "zip" varchar(10)"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "address" DROP ATTRIBUTE "zip""#]);
    /// ```
    #[track_caller]
    pub fn add_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        data_type: impl Into<String>,
    ) -> &mut Self {
        self.operations
            .push(Operation::AddTypeAttribute(AddTypeAttribute {
                type_name: type_name.into(),
                attribute: attribute.into(),
                data_type: data_type.into(),
            }));
        self
    }

    /// `ALTER TYPE type DROP ATTRIBUTE attribute`. Irreversible: the attribute's type is not known.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_type_attribute("address", "zip");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" DROP ATTRIBUTE "zip""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
    ) -> &mut DropTypeAttribute {
        record!(
            self,
            DropTypeAttribute,
            DropTypeAttribute {
                type_name: type_name.into(),
                attribute: attribute.into(),
                if_exists: false,
            }
        )
    }

    /// `ALTER TYPE type RENAME ATTRIBUTE attribute TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type_attribute("address", "zip", "postal_code");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" RENAME ATTRIBUTE "zip" TO "postal_code""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TYPE "address" RENAME ATTRIBUTE "postal_code" TO "zip""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameTypeAttribute(RenameTypeAttribute {
                type_name: type_name.into(),
                from: attribute.into(),
                to: new_name.into(),
            }));
        self
    }

    /// `ALTER TYPE type ALTER ATTRIBUTE attribute SET DATA TYPE data_type`. Irreversible: the previous type is
    /// not known.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.set_type_attribute("address", "zip", "text");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "address" ALTER ATTRIBUTE "zip" SET DATA TYPE text"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn set_type_attribute(
        &mut self,
        type_name: impl Into<Name>,
        attribute: impl Into<Ident>,
        data_type: impl Into<String>,
    ) -> &mut Self {
        self.operations
            .push(Operation::SetTypeAttribute(SetTypeAttribute {
                type_name: type_name.into(),
                attribute: attribute.into(),
                data_type: data_type.into(),
            }));
        self
    }

    /// `ALTER TYPE type ADD VALUE 'value'`: a new enum label, at the end unless placed with
    /// [`before`](AddTypeValue::before) or [`after`](AddTypeValue::after).
    ///
    /// Since PostgreSQL 12 the statement runs inside a transaction, so the migration stays transactional, but
    /// the new label **cannot be used until that transaction commits**: a later statement of the same
    /// migration that inserts or compares the label fails with "unsafe use of new value". Put such statements
    /// in the next migration.
    ///
    /// Irreversible: PostgreSQL cannot drop a label from an enum.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_type_value("mood", "ecstatic").after("happy");
    /// assert!(pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" ADD VALUE 'ecstatic' AFTER 'happy'"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("cannot drop a value"));
    /// ```
    #[track_caller]
    pub fn add_type_value(
        &mut self,
        type_name: impl Into<Name>,
        value: impl Into<String>,
    ) -> &mut AddTypeValue {
        record!(
            self,
            AddTypeValue,
            AddTypeValue {
                type_name: type_name.into(),
                value: value.into(),
                if_not_exists: false,
                before: None,
                after: None,
            }
        )
    }

    /// `ALTER TYPE type RENAME VALUE 'value' TO 'new_value'`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_type_value("mood", "ok", "fine");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TYPE "mood" RENAME VALUE 'ok' TO 'fine'"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TYPE "mood" RENAME VALUE 'fine' TO 'ok'"#]);
    /// ```
    #[track_caller]
    pub fn rename_type_value(
        &mut self,
        type_name: impl Into<Name>,
        value: impl Into<String>,
        new_value: impl Into<String>,
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameTypeValue(RenameTypeValue {
                type_name: type_name.into(),
                from: value.into(),
                to: new_value.into(),
            }));
        self
    }
}
