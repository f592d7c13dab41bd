//! Type operations written back as Rust ([`ToRust`]).

use super::{
    AddTypeAttribute, AddTypeValue, CreateType, DropType, DropTypeAttribute, RenameType,
    RenameTypeAttribute, RenameTypeValue, SetTypeAttribute, TypeDefinition,
};
use crate::error::DslError;
use crate::to_rust::{array, ident, lit, name, strings, Chain, ToRust};

fn definition(definition: &TypeDefinition) -> String {
    match definition {
        TypeDefinition::Enum(labels) => format!("TypeDefinition::enumeration({})", strings(labels)),
        TypeDefinition::Composite(attributes) => format!(
            "TypeDefinition::composite({})",
            array(
                attributes
                    .iter()
                    .map(|(attribute, data_type)| format!(
                        "({}, {})",
                        ident(attribute),
                        lit(data_type)
                    ))
                    .collect(),
                "(&str, &str)",
            )
        ),
    }
}

impl ToRust for CreateType {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateType {
            name: type_name,
            definition: type_definition,
            comment,
            drop_cascade,
        } = self;
        Ok(
            Chain::pgm(op, &[name(type_name), definition(type_definition)])
                .some(comment.as_ref(), "comment", |c| lit(c))
                .flag(*drop_cascade, "drop_cascade")
                .statement(),
        )
    }
}

impl ToRust for DropType {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropType {
            name: type_name,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameType {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameType { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}

impl ToRust for AddTypeAttribute {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AddTypeAttribute {
            type_name,
            attribute,
            data_type,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), ident(attribute), lit(data_type)]).statement())
    }
}

impl ToRust for DropTypeAttribute {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropTypeAttribute {
            type_name,
            attribute,
            if_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), ident(attribute)])
            .flag(*if_exists, "if_exists")
            .statement())
    }
}

impl ToRust for RenameTypeAttribute {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameTypeAttribute {
            type_name,
            from,
            to,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), ident(from), ident(to)]).statement())
    }
}

impl ToRust for SetTypeAttribute {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let SetTypeAttribute {
            type_name,
            attribute,
            data_type,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), ident(attribute), lit(data_type)]).statement())
    }
}

impl ToRust for AddTypeValue {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AddTypeValue {
            type_name,
            value,
            if_not_exists,
            before,
            after,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), lit(value)])
            .flag(*if_not_exists, "if_not_exists")
            .some(before.as_ref(), "before", |l| lit(l))
            .some(after.as_ref(), "after", |l| lit(l))
            .statement())
    }
}

impl ToRust for RenameTypeValue {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameTypeValue {
            type_name,
            from,
            to,
        } = self;
        Ok(Chain::pgm(op, &[name(type_name), lit(from), lit(to)]).statement())
    }
}
