//! Cast operations written back as Rust ([`ToRust`]).

use super::{CastContext, CastMethod, CreateCast, DropCast};
use crate::error::DslError;
use crate::to_rust::{lit, name, Chain, ToRust};

fn method(method: &CastMethod) -> String {
    match method {
        CastMethod::Function {
            name: function,
            arguments,
        } => {
            let arguments: Vec<String> = arguments
                .iter()
                .map(|a| format!("{}.into()", lit(a)))
                .collect();
            format!(
                "CastMethod::Function {{ name: {}.into(), arguments: vec![{}] }}",
                name(function),
                arguments.join(", ")
            )
        }
        CastMethod::WithoutFunction => "CastMethod::WithoutFunction".to_owned(),
        CastMethod::Inout => "CastMethod::Inout".to_owned(),
    }
}

impl ToRust for CreateCast {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateCast {
            source,
            target,
            method: cast_method,
            context,
            drop_cascade,
        } = self;
        let mut w = Chain::pgm(op, &[lit(source), lit(target), method(cast_method)]);
        match context {
            CastContext::Explicit => &mut w,
            CastContext::Assignment => w.set("as_assignment", &[]),
            CastContext::Implicit => w.set("as_implicit", &[]),
        };
        Ok(w.flag(*drop_cascade, "drop_cascade").statement())
    }
}

impl ToRust for DropCast {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropCast {
            source,
            target,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[lit(source), lit(target)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}
