//! Function operations written back as Rust ([`ToRust`]).

use super::{
    CreateFunction, DropFunction, FunctionParam, Parallel, ParamMode, RenameFunction, SetValue,
    Volatility,
};
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::to_rust::{array, ident, lit, name, refuse, value, Chain, ToRust};

fn param(p: &FunctionParam) -> String {
    let FunctionParam {
        mode,
        name: param_name,
        data_type,
        default,
    } = p;
    let mut w = match param_name {
        Some(n) => Chain::call("param", &[ident(n), lit(data_type)]),
        None => Chain::call("FunctionParam::unnamed", &[lit(data_type)]),
    };
    match mode {
        Some(ParamMode::In) => w.set("r#in", &[]),
        Some(ParamMode::Out) => w.set("out", &[]),
        Some(ParamMode::InOut) => w.set("inout", &[]),
        Some(ParamMode::Variadic) => w.set("variadic", &[]),
        None => &mut w,
    };
    w.some(default.as_ref(), "default", value);
    w.expression()
}

/// A function's parameters as `param(..)` values, `[] as [FunctionParam; 0]` for none.
pub(crate) fn params(params: &[FunctionParam]) -> String {
    array(params.iter().map(param).collect(), "FunctionParam")
}

/// The settings of a function after its name, parameters and body.
fn settings(f: &CreateFunction, w: &mut Chain) {
    let CreateFunction {
        name: _,
        params: _,
        body: _,
        returns,
        language,
        or_replace,
        window,
        volatility,
        security_definer,
        strict,
        parallel,
        set,
        comment,
    } = f;
    if language != "plpgsql" {
        w.set("language", &[lit(language)]);
    }
    w.some(returns.as_ref(), "returns", |r| lit(r))
        .flag(*or_replace, "or_replace")
        .flag(*window, "window");
    match volatility {
        Some(Volatility::Immutable) => w.set("immutable", &[]),
        Some(Volatility::Stable) => w.set("stable", &[]),
        Some(Volatility::Volatile) => w.set("volatile", &[]),
        None => &mut *w,
    };
    match security_definer {
        Some(true) => w.set("security_definer", &[]),
        Some(false) => w.set("security_invoker", &[]),
        None => &mut *w,
    };
    match strict {
        Some(true) => w.set("strict", &[]),
        Some(false) => w.set("called_on_null_input", &[]),
        None => &mut *w,
    };
    match parallel {
        Some(Parallel::Safe) => w.set("parallel_safe", &[]),
        Some(Parallel::Restricted) => w.set("parallel_restricted", &[]),
        Some(Parallel::Unsafe) => w.set("parallel_unsafe", &[]),
        None => &mut *w,
    };
    for (parameter, setting) in set {
        match setting {
            SetValue::To(v) => w.set("set", &[lit(parameter), value(v)]),
            SetValue::FromCurrent => w.set("set_from_current", &[lit(parameter)]),
        };
    }
    w.some(comment.as_ref(), "comment", |c| lit(c));
}

/// Setters with their argument, in the order written.
pub(crate) type Setters = Vec<(&'static str, String)>;

/// The function `create_trigger_with_function(table, trigger, body)` creates, as that call's body argument
/// and setters (`language`, `function_name`): every other setting must be the one that call records.
pub(crate) fn inline_trigger_function(
    f: &CreateFunction,
    table: &Name,
    trigger: &Ident,
    op: &'static str,
) -> Result<(String, Setters), DslError> {
    let recorded = {
        let mut recorded =
            CreateFunction::new(table.sibling(trigger.clone()), Vec::new(), f.body.clone());
        recorded.returns("trigger");
        recorded.language(f.language.clone());
        recorded.name = f.name.clone();
        recorded
    };
    if &recorded != f {
        return Err(refuse(
            op,
            "a trigger's inline function with settings other than its body, language and name",
        ));
    }
    let mut setters = Vec::new();
    if f.language != "plpgsql" {
        setters.push(("language", lit(&f.language)));
    }
    if f.name != table.sibling(trigger.clone()) {
        // `function_name` puts a bare name in the trigger's table's schema.
        let written = match &f.name.schema {
            schema if *schema == table.schema => ident(&f.name.name),
            Some(_) => name(&f.name),
            None => {
                return Err(refuse(
                    op,
                    "an unqualified inline function name on a schema-qualified table",
                ))
            }
        };
        setters.push(("function_name", written));
    }
    Ok((lit(&f.body), setters))
}

impl ToRust for CreateFunction {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let mut w = Chain::pgm(
            op,
            &[name(&self.name), params(&self.params), lit(&self.body)],
        );
        settings(self, &mut w);
        Ok(w.statement())
    }
}

impl ToRust for DropFunction {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropFunction {
            name: function,
            params: function_params,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(function), params(function_params)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameFunction {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameFunction {
            from,
            params: function_params,
            to,
        } = self;
        Ok(Chain::pgm(op, &[name(from), params(function_params), ident(to)]).statement())
    }
}
