//! Operators, operator families and operator classes.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::RestorePrevious;
use crate::reverse::Reverse;
use crate::safeguard::Object;

/// An operator's name: its symbol (`===`, `<#>`), optionally in a schema. Not an identifier: it is written
/// bare, after a check that it uses only the characters PostgreSQL allows in operator names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorName {
    pub(crate) schema: Option<Ident>,
    pub(crate) symbol: String,
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
    pub(crate) name: OperatorName,
    pub(crate) function: Name,
    pub(crate) left: Option<String>,
    pub(crate) right: Option<String>,
    pub(crate) commutator: Option<OperatorName>,
    pub(crate) negator: Option<OperatorName>,
    pub(crate) restrict: Option<Name>,
    pub(crate) join: Option<Name>,
    pub(crate) hashes: bool,
    pub(crate) merges: bool,
    pub(crate) drop_cascade: bool,
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
            name: self.name.clone(),
            left: self.left.clone(),
            right: self.right.clone(),
            if_exists: false,
            cascade: self.drop_cascade,
        }
        .into()])
    }
}

/// `DROP OPERATOR name (left, right)`, recorded by
/// [`MigrationBuilder::drop_operator`](crate::MigrationBuilder::drop_operator).
#[derive(Debug, Clone, PartialEq)]
pub struct DropOperator {
    pub(crate) name: OperatorName,
    pub(crate) left: Option<String>,
    pub(crate) right: Option<String>,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) name: Name,
    pub(crate) method: Ident,
}

impl Reverse for CreateOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropOperatorFamily {
            name: self.name.clone(),
            method: self.method.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()])
    }
}

/// `DROP OPERATOR FAMILY`, recorded by
/// [`MigrationBuilder::drop_operator_family`](crate::MigrationBuilder::drop_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct DropOperatorFamily {
    pub(crate) name: Name,
    pub(crate) method: Ident,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) name: Name,
    pub(crate) method: Ident,
    pub(crate) new_name: Ident,
}

impl Reverse for RenameOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameOperatorFamily {
            name: self.name.sibling(self.new_name.clone()),
            method: self.method.clone(),
            new_name: self.name.name().clone(),
        }
        .into()])
    }
}

/// `ALTER OPERATOR FAMILY ... ADD`, recorded by
/// [`MigrationBuilder::add_to_operator_family`](crate::MigrationBuilder::add_to_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct AddToOperatorFamily {
    pub(crate) family: Name,
    pub(crate) method: Ident,
    pub(crate) members: Vec<OperatorMember>,
}

impl Reverse for AddToOperatorFamily {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RemoveFromOperatorFamily {
            family: self.family.clone(),
            method: self.method.clone(),
            members: self.members.clone(),
        }
        .into()])
    }
}

/// `ALTER OPERATOR FAMILY ... DROP`, recorded by
/// [`MigrationBuilder::remove_from_operator_family`](crate::MigrationBuilder::remove_from_operator_family).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveFromOperatorFamily {
    pub(crate) family: Name,
    pub(crate) method: Ident,
    pub(crate) members: Vec<OperatorMember>,
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
    pub(crate) name: Name,
    pub(crate) data_type: String,
    pub(crate) method: Ident,
    pub(crate) default: bool,
    pub(crate) family: Option<Name>,
    pub(crate) members: Vec<OperatorMember>,
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
        let mut ops = vec![DropOperatorClass {
            name: self.name.clone(),
            method: self.method.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()];
        // Without FAMILY, PostgreSQL used the family named like the class, making it if it did not exist:
        // it goes too, but only if this migration made it (the engine recorded whether it existed).
        if self.family.is_none() {
            ops.push(
                RestorePrevious {
                    object: Object::OperatorFamily {
                        name: self.name.clone(),
                        method: self.method.clone(),
                    },
                    up_position: ctx.position,
                    drop: Box::new(
                        DropOperatorFamily {
                            name: self.name.clone(),
                            method: self.method.clone(),
                            if_exists: false,
                            cascade: false,
                        }
                        .into(),
                    ),
                }
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
    pub(crate) name: Name,
    pub(crate) method: Ident,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) name: Name,
    pub(crate) method: Ident,
    pub(crate) new_name: Ident,
}

impl Reverse for RenameOperatorClass {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameOperatorClass {
            name: self.name.sibling(self.new_name.clone()),
            method: self.method.clone(),
            new_name: self.name.name().clone(),
        }
        .into()])
    }
}
