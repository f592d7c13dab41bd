//! Operators, operator families and operator classes.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE OPERATOR name (FUNCTION = ..., ...)`: options chained on it (`left`, `right`, `commutator`,
    /// `negator`, `restrict`, `join`, `hashes`, `merges`). Reversed by `DROP OPERATOR name (left, right)`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_operator(("app", "==="), "int4eq")
    ///     .left("integer")
    ///     .right("integer")
    ///     .commutator(("app", "==="))
    ///     .negator("<>")
    ///     .restrict("eqsel")
    ///     .join("eqjoinsel")
    ///     .hashes()
    ///     .merges();
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"CREATE OPERATOR "app".=== (FUNCTION = "int4eq", LEFTARG = integer, RIGHTARG = integer, "#,
    ///     r#"COMMUTATOR = OPERATOR("app".===), NEGATOR = <>, RESTRICT = "eqsel", JOIN = "eqjoinsel", HASHES, MERGES)"#,
    /// )]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"DROP OPERATOR "app".=== (integer, integer)"#]);
    /// ```
    #[track_caller]
    pub fn create_operator(
        &mut self,
        name: impl Into<OperatorName>,
        function: impl Into<Name>,
    ) -> &mut CreateOperator {
        record!(
            self,
            CreateOperator,
            CreateOperator {
                name: name.into(),
                function: function.into(),
                left: None,
                right: None,
                commutator: None,
                negator: None,
                restrict: None,
                join: None,
                hashes: false,
                merges: false,
                drop_cascade: false,
            }
        )
    }

    /// `DROP OPERATOR name (left, right)`; `left` is `None` for a prefix operator. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_operator("===", Some("integer"), "integer").if_exists().cascade();
    /// pgm.drop_operator("@@@", None, "text");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     "DROP OPERATOR IF EXISTS === (integer, integer) CASCADE",
    ///     "DROP OPERATOR @@@ (NONE, text)",
    /// ]);
    /// ```
    #[track_caller]
    pub fn drop_operator(
        &mut self,
        name: impl Into<OperatorName>,
        left: Option<&str>,
        right: impl Into<String>,
    ) -> &mut DropOperator {
        record!(
            self,
            DropOperator,
            DropOperator {
                name: name.into(),
                left: left.map(str::to_owned),
                right: Some(right.into()),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `CREATE OPERATOR FAMILY name USING method`. Reversed by `DROP OPERATOR FAMILY`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_operator_family("money_ops", "btree");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE OPERATOR FAMILY "money_ops" USING "btree""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP OPERATOR FAMILY "money_ops" USING "btree""#]);
    /// ```
    #[track_caller]
    pub fn create_operator_family(
        &mut self,
        name: impl Into<Name>,
        method: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::CreateOperatorFamily(CreateOperatorFamily {
                name: name.into(),
                method: method.into(),
            }));
        self
    }

    /// `DROP OPERATOR FAMILY name USING method`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_operator_family("money_ops", "btree").if_exists().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP OPERATOR FAMILY IF EXISTS "money_ops" USING "btree" CASCADE"#]);
    /// ```
    #[track_caller]
    pub fn drop_operator_family(
        &mut self,
        name: impl Into<Name>,
        method: impl Into<Ident>,
    ) -> &mut DropOperatorFamily {
        record!(
            self,
            DropOperatorFamily,
            DropOperatorFamily {
                name: name.into(),
                method: method.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER OPERATOR FAMILY name USING method RENAME TO new_name`. Reversed by renaming back.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_operator_family(("app", "money_ops"), "btree", "cents_ops");
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER OPERATOR FAMILY "app"."money_ops" USING "btree" RENAME TO "cents_ops""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"ALTER OPERATOR FAMILY "app"."cents_ops" USING "btree" RENAME TO "money_ops""#]);
    /// ```
    #[track_caller]
    pub fn rename_operator_family(
        &mut self,
        name: impl Into<Name>,
        method: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameOperatorFamily(RenameOperatorFamily {
                name: name.into(),
                method: method.into(),
                new_name: new_name.into(),
            }));
        self
    }

    /// `ALTER OPERATOR FAMILY family USING method ADD members`; each member names its operand types with
    /// [`OperatorMember::for_types`]. Reversed by removing the same members.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_to_operator_family("int_mix_ops", "btree", [
    ///     OperatorMember::operator(1, "<").for_types("int4", "int8"),
    ///     OperatorMember::function(1, "btint48cmp", ["int4", "int8"]).for_types("int4", "int8"),
    /// ]);
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"ALTER OPERATOR FAMILY "int_mix_ops" USING "btree" ADD OPERATOR 1 < (int4, int8), "#,
    ///     r#"FUNCTION 1 (int4, int8) "btint48cmp"(int4, int8)"#,
    /// )]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER OPERATOR FAMILY "int_mix_ops" USING "btree" DROP OPERATOR 1 (int4, int8), FUNCTION 1 (int4, int8)"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn add_to_operator_family(
        &mut self,
        family: impl Into<Name>,
        method: impl Into<Ident>,
        members: impl IntoIterator<Item = OperatorMember>,
    ) -> &mut Self {
        self.operations
            .push(Operation::AddToOperatorFamily(AddToOperatorFamily {
                family: family.into(),
                method: method.into(),
                members: members.into_iter().collect(),
            }));
        self
    }

    /// `ALTER OPERATOR FAMILY family USING method DROP members` (by number and operand types). No
    /// automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.remove_from_operator_family("int_mix_ops", "btree", [
    ///     OperatorMember::operator(1, "<").for_types("int4", "int8"),
    /// ]);
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER OPERATOR FAMILY "int_mix_ops" USING "btree" DROP OPERATOR 1 (int4, int8)"#]);
    /// ```
    #[track_caller]
    pub fn remove_from_operator_family(
        &mut self,
        family: impl Into<Name>,
        method: impl Into<Ident>,
        members: impl IntoIterator<Item = OperatorMember>,
    ) -> &mut Self {
        self.operations.push(Operation::RemoveFromOperatorFamily(
            RemoveFromOperatorFamily {
                family: family.into(),
                method: method.into(),
                members: members.into_iter().collect(),
            },
        ));
        self
    }

    /// `CREATE OPERATOR CLASS name FOR TYPE type USING method AS members`. Reversed by
    /// `DROP OPERATOR CLASS`, and, when no `family` was given, by dropping the family PostgreSQL made for it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_operator_class("int4_hash_ops2", "int4", "hash", [
    ///     OperatorMember::operator(1, "="),
    ///     OperatorMember::function(1, "hashint4", ["int4"]),
    /// ]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE OPERATOR CLASS "int4_hash_ops2" FOR TYPE int4 USING "hash" AS OPERATOR 1 =, FUNCTION 1 "hashint4"(int4)"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP OPERATOR CLASS "int4_hash_ops2" USING "hash""#,
    ///     r#"DROP OPERATOR FAMILY "int4_hash_ops2" USING "hash""#,
    /// ]);
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_operator_class("c", "int4", "hash", [OperatorMember::operator(1, "=")])
    ///     .default_for_type()
    ///     .family("int_hash_family");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE OPERATOR CLASS "c" DEFAULT FOR TYPE int4 USING "hash" FAMILY "int_hash_family" AS OPERATOR 1 ="#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn create_operator_class(
        &mut self,
        name: impl Into<Name>,
        data_type: impl Into<String>,
        method: impl Into<Ident>,
        members: impl IntoIterator<Item = OperatorMember>,
    ) -> &mut CreateOperatorClass {
        record!(
            self,
            CreateOperatorClass,
            CreateOperatorClass {
                name: name.into(),
                data_type: data_type.into(),
                method: method.into(),
                default: false,
                family: None,
                members: members.into_iter().collect(),
            }
        )
    }

    /// `DROP OPERATOR CLASS name USING method`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_operator_class("int4_hash_ops2", "hash").if_exists().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP OPERATOR CLASS IF EXISTS "int4_hash_ops2" USING "hash" CASCADE"#]);
    /// ```
    #[track_caller]
    pub fn drop_operator_class(
        &mut self,
        name: impl Into<Name>,
        method: impl Into<Ident>,
    ) -> &mut DropOperatorClass {
        record!(
            self,
            DropOperatorClass,
            DropOperatorClass {
                name: name.into(),
                method: method.into(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER OPERATOR CLASS name USING method RENAME TO new_name`. Reversed by renaming back.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_operator_class("int4_hash_ops2", "hash", "int4_hash_ops3");
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER OPERATOR CLASS "int4_hash_ops2" USING "hash" RENAME TO "int4_hash_ops3""#]);
    /// ```
    #[track_caller]
    pub fn rename_operator_class(
        &mut self,
        name: impl Into<Name>,
        method: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameOperatorClass(RenameOperatorClass {
                name: name.into(),
                method: method.into(),
                new_name: new_name.into(),
            }));
        self
    }
}
