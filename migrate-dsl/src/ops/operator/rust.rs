//! Operators, operator families and operator classes written back as Rust ([`ToRust`]).

use super::{
    AddToOperatorFamily, CreateOperator, CreateOperatorClass, CreateOperatorFamily, DropOperator,
    DropOperatorClass, DropOperatorFamily, OperatorMember, OperatorName, RemoveFromOperatorFamily,
    RenameOperatorClass, RenameOperatorFamily,
};
use crate::error::DslError;
use crate::to_rust::{array, ident, lit, name, refuse, strings, Chain, ToRust};

/// An operator as the builder takes it: its symbol, or a `(schema, symbol)` tuple.
fn operator(operator: &OperatorName) -> String {
    let OperatorName { schema, symbol } = operator;
    match schema {
        Some(schema) => format!("({}, {})", ident(schema), lit(symbol)),
        None => lit(symbol),
    }
}

fn member(member: &OperatorMember) -> String {
    let (mut w, types) = match member {
        OperatorMember::Operator {
            strategy,
            operator: op,
            types,
        } => (
            Chain::call(
                "OperatorMember::operator",
                &[strategy.to_string(), operator(op)],
            ),
            types,
        ),
        OperatorMember::Function {
            support,
            types,
            function,
            arguments,
        } => (
            Chain::call(
                "OperatorMember::function",
                &[support.to_string(), name(function), strings(arguments)],
            ),
            types,
        ),
    };
    if let Some((left, right)) = types {
        w.set("for_types", &[lit(left), lit(right)]);
    }
    w.expression()
}

fn members(members: &[OperatorMember]) -> String {
    array(members.iter().map(member).collect(), "OperatorMember")
}

impl ToRust for CreateOperator {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateOperator {
            name: symbol,
            function,
            left,
            right,
            commutator,
            negator,
            restrict,
            join,
            hashes,
            merges,
            drop_cascade,
        } = self;
        Ok(Chain::pgm(op, &[operator(symbol), name(function)])
            .some(left.as_ref(), "left", |t| lit(t))
            .some(right.as_ref(), "right", |t| lit(t))
            .some(commutator.as_ref(), "commutator", operator)
            .some(negator.as_ref(), "negator", operator)
            .some(restrict.as_ref(), "restrict", name)
            .some(join.as_ref(), "join", name)
            .flag(*hashes, "hashes")
            .flag(*merges, "merges")
            .flag(*drop_cascade, "drop_cascade")
            .statement())
    }
}

impl ToRust for DropOperator {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropOperator {
            name: symbol,
            left,
            right,
            if_exists,
            cascade,
        } = self;
        let Some(right) = right else {
            return Err(refuse(op, "an operator without a right operand type"));
        };
        let left = match left {
            Some(left) => format!("Some({})", lit(left)),
            None => "None".to_owned(),
        };
        Ok(Chain::pgm(op, &[operator(symbol), left, lit(right)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for CreateOperatorFamily {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateOperatorFamily {
            name: family,
            method,
        } = self;
        Ok(Chain::pgm(op, &[name(family), ident(method)]).statement())
    }
}

impl ToRust for DropOperatorFamily {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropOperatorFamily {
            name: family,
            method,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(family), ident(method)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameOperatorFamily {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameOperatorFamily {
            name: family,
            method,
            new_name,
        } = self;
        Ok(Chain::pgm(op, &[name(family), ident(method), ident(new_name)]).statement())
    }
}

impl ToRust for AddToOperatorFamily {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AddToOperatorFamily {
            family,
            method,
            members: added,
        } = self;
        Ok(Chain::pgm(op, &[name(family), ident(method), members(added)]).statement())
    }
}

impl ToRust for RemoveFromOperatorFamily {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RemoveFromOperatorFamily {
            family,
            method,
            members: removed,
        } = self;
        Ok(Chain::pgm(op, &[name(family), ident(method), members(removed)]).statement())
    }
}

impl ToRust for CreateOperatorClass {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateOperatorClass {
            name: class,
            data_type,
            method,
            default,
            family,
            members: class_members,
        } = self;
        Ok(Chain::pgm(
            op,
            &[
                name(class),
                lit(data_type),
                ident(method),
                members(class_members),
            ],
        )
        .flag(*default, "default_for_type")
        .some(family.as_ref(), "family", name)
        .statement())
    }
}

impl ToRust for DropOperatorClass {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropOperatorClass {
            name: class,
            method,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(class), ident(method)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameOperatorClass {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameOperatorClass {
            name: class,
            method,
            new_name,
        } = self;
        Ok(Chain::pgm(op, &[name(class), ident(method), ident(new_name)]).statement())
    }
}
