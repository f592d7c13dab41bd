//! Operators, operator families and operator classes.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::RestorePrevious;
use crate::safeguard::Object;

mod render;
mod rust;

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
        self.record(CreateOperator::new(name.into(), function.into()))
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
        self.record(DropOperator::new(
            name.into(),
            left.map(str::to_owned),
            Some(right.into()),
        ))
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
    ) -> &mut CreateOperatorFamily {
        self.record(CreateOperatorFamily::new(name.into(), method.into()))
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
        self.record(DropOperatorFamily::new(name.into(), method.into()))
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
    ) -> &mut RenameOperatorFamily {
        self.record(RenameOperatorFamily::new(
            name.into(),
            method.into(),
            new_name.into(),
        ))
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
    ) -> &mut AddToOperatorFamily {
        self.record(AddToOperatorFamily::new(
            family.into(),
            method.into(),
            members.into_iter().collect(),
        ))
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
    ) -> &mut RemoveFromOperatorFamily {
        self.record(RemoveFromOperatorFamily::new(
            family.into(),
            method.into(),
            members.into_iter().collect(),
        ))
    }

    /// `CREATE OPERATOR CLASS name FOR TYPE type USING method AS members`. Reversed by
    /// `DROP OPERATOR CLASS`. Without `family`, PostgreSQL puts the class in the family named like it,
    /// making that family only when it does not exist: the engine records which, and the derived `down`
    /// drops the family only when this migration made it.
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
    /// let down = pgm.reversed().unwrap().to_sql().unwrap();
    /// assert_eq!(down[0], r#"DROP OPERATOR CLASS "int4_hash_ops2" USING "hash""#);
    /// assert!(down[1].ends_with(r#"--   DROP OPERATOR FAMILY "int4_hash_ops2" USING "hash""#));
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
        self.record(CreateOperatorClass::new(
            name.into(),
            data_type.into(),
            method.into(),
            members.into_iter().collect(),
        ))
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
        self.record(DropOperatorClass::new(name.into(), method.into()))
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
    ) -> &mut RenameOperatorClass {
        self.record(RenameOperatorClass::new(
            name.into(),
            method.into(),
            new_name.into(),
        ))
    }
}

/// An operator's name: its symbol (`===`, `<#>`), optionally in a schema. Not an identifier: it is written
/// bare, after a check that it uses only the characters PostgreSQL allows in operator names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorName {
    schema: Option<Ident>,
    symbol: String,
}

impl From<&str> for OperatorName {
    fn from(symbol: &str) -> Self {
        OperatorName {
            schema: None,
            symbol: symbol.to_owned(),
        }
    }
}

impl From<(&str, &str)> for OperatorName {
    fn from((schema, symbol): (&str, &str)) -> Self {
        OperatorName {
            schema: Some(Ident::new(schema)),
            symbol: symbol.to_owned(),
        }
    }
}

/// One member of an operator class or family.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorMember {
    /// `OPERATOR strategy operator [(left, right)]`.
    Operator {
        strategy: u16,
        operator: OperatorName,
        types: Option<(String, String)>,
    },
    /// `FUNCTION support [(left, right)] function(argument types)`.
    Function {
        support: u16,
        types: Option<(String, String)>,
        function: Name,
        arguments: Vec<String>,
    },
}

impl OperatorMember {
    /// `OPERATOR strategy operator`.
    pub fn operator(strategy: u16, operator: impl Into<OperatorName>) -> Self {
        OperatorMember::Operator {
            strategy,
            operator: operator.into(),
            types: None,
        }
    }

    /// `FUNCTION support function(argument types)`.
    pub fn function<A: Into<String>>(
        support: u16,
        function: impl Into<Name>,
        arguments: impl IntoIterator<Item = A>,
    ) -> Self {
        OperatorMember::Function {
            support,
            types: None,
            function: function.into(),
            arguments: arguments.into_iter().map(Into::into).collect(),
        }
    }

    /// The operand types `(left, right)` this member is for; needed when adding to a family.
    pub fn for_types(mut self, left: impl Into<String>, right: impl Into<String>) -> Self {
        let pair = Some((left.into(), right.into()));
        match &mut self {
            OperatorMember::Operator { types, .. } | OperatorMember::Function { types, .. } => {
                *types = pair;
            }
        }
        self
    }
}

/// `CREATE OPERATOR`, recorded by [`MigrationBuilder::create_operator`](crate::MigrationBuilder::create_operator).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOperator {
    name: OperatorName,
    function: Name,
    left: Option<String>,
    right: Option<String>,
    commutator: Option<OperatorName>,
    negator: Option<OperatorName>,
    restrict: Option<Name>,
    join: Option<Name>,
    hashes: bool,
    merges: bool,
    drop_cascade: bool,
}

impl CreateOperator {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: OperatorName, function: Name) -> Self {
        CreateOperator {
            name,
            function,
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
    }
}

impl CreateOperator {
    /// `LEFTARG = type`.
    pub fn left(&mut self, sql_type: impl Into<String>) -> &mut Self {
        self.left = Some(sql_type.into());
        self
    }

    /// `RIGHTARG = type`.
    pub fn right(&mut self, sql_type: impl Into<String>) -> &mut Self {
        self.right = Some(sql_type.into());
        self
    }

    /// `COMMUTATOR = operator`.
    pub fn commutator(&mut self, operator: impl Into<OperatorName>) -> &mut Self {
        self.commutator = Some(operator.into());
        self
    }

    /// `NEGATOR = operator`.
    pub fn negator(&mut self, operator: impl Into<OperatorName>) -> &mut Self {
        self.negator = Some(operator.into());
        self
    }

    /// `RESTRICT = selectivity estimator`.
    pub fn restrict(&mut self, function: impl Into<Name>) -> &mut Self {
        self.restrict = Some(function.into());
        self
    }

    /// `JOIN = join selectivity estimator`.
    pub fn join(&mut self, function: impl Into<Name>) -> &mut Self {
        self.join = Some(function.into());
        self
    }

    /// `HASHES`.
    pub fn hashes(&mut self) -> &mut Self {
        self.hashes = true;
        self
    }

    /// `MERGES`.
    pub fn merges(&mut self) -> &mut Self {
        self.merges = true;
        self
    }

    /// The reverse `DROP OPERATOR` gets `CASCADE`.
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

impl Reverse for CreateOperator {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropOperator {
            cascade: self.drop_cascade,
            ..DropOperator::new(self.name.clone(), self.left.clone(), self.right.clone())
        }
        .into()])
    }
}

/// `DROP OPERATOR name (left, right)`, recorded by
/// [`MigrationBuilder::drop_operator`](crate::MigrationBuilder::drop_operator).
#[derive(Debug, Clone, PartialEq)]
pub struct DropOperator {
    name: OperatorName,
    left: Option<String>,
    right: Option<String>,
    if_exists: bool,
    cascade: bool,
}

impl DropOperator {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: OperatorName, left: Option<String>, right: Option<String>) -> Self {
        DropOperator {
            name,
            left,
            right,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropOperator {
    /// `IF EXISTS`.
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`.
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for DropOperator {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped operator's definition is not known"))
    }
}

/// `CREATE OPERATOR FAMILY name USING method`, recorded by
/// [`MigrationBuilder::create_operator_family`](crate::MigrationBuilder::create_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOperatorFamily {
    name: Name,
    method: Ident,
}

impl CreateOperatorFamily {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, method: Ident) -> Self {
        CreateOperatorFamily { name, method }
    }
}

impl Reverse for CreateOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropOperatorFamily::new(
            self.name.clone(),
            self.method.clone(),
        )
        .into()])
    }
}

/// `DROP OPERATOR FAMILY`, recorded by
/// [`MigrationBuilder::drop_operator_family`](crate::MigrationBuilder::drop_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct DropOperatorFamily {
    name: Name,
    method: Ident,
    if_exists: bool,
    cascade: bool,
}

impl DropOperatorFamily {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, method: Ident) -> Self {
        DropOperatorFamily {
            name,
            method,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropOperatorFamily {
    /// `IF EXISTS`.
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drops the classes in the family.
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for DropOperatorFamily {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped family's members are not known"))
    }
}

/// `ALTER OPERATOR FAMILY ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_operator_family`](crate::MigrationBuilder::rename_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameOperatorFamily {
    name: Name,
    method: Ident,
    new_name: Ident,
}

impl RenameOperatorFamily {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, method: Ident, new_name: Ident) -> Self {
        RenameOperatorFamily {
            name,
            method,
            new_name,
        }
    }
}

impl Reverse for RenameOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameOperatorFamily::new(
            self.name.sibling(self.new_name.clone()),
            self.method.clone(),
            self.name.name().clone(),
        )
        .into()])
    }
}

/// `ALTER OPERATOR FAMILY ... ADD`, recorded by
/// [`MigrationBuilder::add_to_operator_family`](crate::MigrationBuilder::add_to_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct AddToOperatorFamily {
    family: Name,
    method: Ident,
    members: Vec<OperatorMember>,
}

impl AddToOperatorFamily {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(family: Name, method: Ident, members: Vec<OperatorMember>) -> Self {
        AddToOperatorFamily {
            family,
            method,
            members,
        }
    }
}

impl Reverse for AddToOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RemoveFromOperatorFamily::new(
            self.family.clone(),
            self.method.clone(),
            self.members.clone(),
        )
        .into()])
    }
}

/// `ALTER OPERATOR FAMILY ... DROP`, recorded by
/// [`MigrationBuilder::remove_from_operator_family`](crate::MigrationBuilder::remove_from_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveFromOperatorFamily {
    family: Name,
    method: Ident,
    members: Vec<OperatorMember>,
}

impl RemoveFromOperatorFamily {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(family: Name, method: Ident, members: Vec<OperatorMember>) -> Self {
        RemoveFromOperatorFamily {
            family,
            method,
            members,
        }
    }
}

impl Reverse for RemoveFromOperatorFamily {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the removed members' operators and functions are not known"))
    }
}

/// `CREATE OPERATOR CLASS`, recorded by
/// [`MigrationBuilder::create_operator_class`](crate::MigrationBuilder::create_operator_class).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOperatorClass {
    name: Name,
    data_type: String,
    method: Ident,
    default: bool,
    family: Option<Name>,
    members: Vec<OperatorMember>,
}

impl CreateOperatorClass {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(
        name: Name,
        data_type: String,
        method: Ident,
        members: Vec<OperatorMember>,
    ) -> Self {
        CreateOperatorClass {
            name,
            data_type,
            method,
            members,
            default: false,
            family: None,
        }
    }
}

impl CreateOperatorClass {
    /// `DEFAULT`: the class indexes of the type use when none is named.
    pub fn default_for_type(&mut self) -> &mut Self {
        self.default = true;
        self
    }

    /// `FAMILY family`: the family the class joins (by default, one named like the class is made).
    pub fn family(&mut self, family: impl Into<Name>) -> &mut Self {
        self.family = Some(family.into());
        self
    }
}

impl Reverse for CreateOperatorClass {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let mut ops = vec![DropOperatorClass::new(self.name.clone(), self.method.clone()).into()];
        // Without FAMILY, PostgreSQL used the family named like the class, making it if it did not exist:
        // it goes too, but only if this migration made it (the engine recorded whether it existed).
        if self.family.is_none() {
            ops.push(
                RestorePrevious::new(
                    ctx,
                    Object::OperatorFamily {
                        name: self.name.clone(),
                        method: self.method.clone(),
                    },
                    DropOperatorFamily::new(self.name.clone(), self.method.clone()),
                )
                .into(),
            );
        }
        Ok(ops)
    }
}

/// `DROP OPERATOR CLASS`, recorded by
/// [`MigrationBuilder::drop_operator_class`](crate::MigrationBuilder::drop_operator_class).
#[derive(Debug, Clone, PartialEq)]
pub struct DropOperatorClass {
    name: Name,
    method: Ident,
    if_exists: bool,
    cascade: bool,
}

impl DropOperatorClass {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, method: Ident) -> Self {
        DropOperatorClass {
            name,
            method,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropOperatorClass {
    /// `IF EXISTS`.
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drops the indexes using the class.
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for DropOperatorClass {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped class's members are not known"))
    }
}

/// `ALTER OPERATOR CLASS ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_operator_class`](crate::MigrationBuilder::rename_operator_class).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameOperatorClass {
    name: Name,
    method: Ident,
    new_name: Ident,
}

impl RenameOperatorClass {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, method: Ident, new_name: Ident) -> Self {
        RenameOperatorClass {
            name,
            method,
            new_name,
        }
    }
}

impl Reverse for RenameOperatorClass {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameOperatorClass::new(
            self.name.sibling(self.new_name.clone()),
            self.method.clone(),
            self.name.name().clone(),
        )
        .into()])
    }
}
