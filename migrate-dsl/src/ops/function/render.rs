//! Functions. Written by hand: sea-query has no `CREATE FUNCTION`.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::name::{quote_ident, quote_name};
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;
use crate::safeguard::{Object, Safeguard};

/// `$body$text$body$`, with a tag that does not occur in `text` so no body can end the string early.
pub(crate) fn dollar_quote(text: &str) -> String {
    let mut tag = "body".to_owned();
    let mut n = 0u32;
    while text.contains(&format!("${tag}$")) {
        n += 1;
        tag = format!("body{n}");
    }
    format!("${tag}${text}${tag}$")
}

/// A keyword-like word written bare (a language, a configuration parameter, a storage parameter): letters,
/// digits, `_` and `$`, not starting with a digit, optionally dotted (`toast.fillfactor`, `myapp.tenant`).
/// Checking the shape instead of quoting keeps the SQL readable and leaves no room for injection.
pub(crate) fn check_word(ctx: Ctx, word: &str, what: &str) -> Result<(), DslError> {
    let part_ok = |p: &str| {
        let mut chars = p.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    if word.split('.').all(part_ok) {
        Ok(())
    } else {
        Err(ctx.invalid(format!(
            "{what} {word:?} is not a plain name (letters, digits and `_`, optionally dotted)"
        )))
    }
}

/// Text spliced as SQL (a type, an expression) must not be blank: PostgreSQL would fail with a syntax error
/// pointing somewhere else.
pub(crate) fn check_sql(ctx: Ctx, sql: &str, what: &str) -> Result<(), DslError> {
    if sql.trim().is_empty() {
        return Err(ctx.invalid(format!("empty {what}")));
    }
    Ok(())
}

/// `(IN a int, ...)`: the parameter list of a definition, or (`identity_only`) the argument types that name an
/// existing function in `DROP`, `ALTER` and `COMMENT ON`.
pub(crate) fn param_list(
    ctx: Ctx,
    params: &[FunctionParam],
    identity_only: bool,
) -> Result<String, DslError> {
    let mut parts = Vec::new();
    for p in params {
        check_sql(ctx, &p.data_type, "parameter type")?;
        if identity_only && !p.identifies() {
            continue;
        }
        let mut s = String::new();
        if let Some(mode) = p.mode {
            s.push_str(mode.as_sql());
            s.push(' ');
        }
        if let Some(name) = &p.name {
            ctx.ident(name, "parameter")?;
            if !identity_only {
                s.push_str(&quote_ident(name));
                s.push(' ');
            }
        }
        s.push_str(&p.data_type);
        if let (Some(default), false) = (&p.default, identity_only) {
            s.push_str(" DEFAULT ");
            s.push_str(&default.to_sql());
        }
        parts.push(s);
    }
    Ok(format!("({})", parts.join(", ")))
}

/// Rules PostgreSQL enforces on the input parameters, checked before anything is sent.
fn check_params(ctx: Ctx, params: &[FunctionParam]) -> Result<(), DslError> {
    let inputs: Vec<&FunctionParam> = params.iter().filter(|p| p.identifies()).collect();
    if let Some(i) = inputs
        .iter()
        .position(|p| p.mode == Some(ParamMode::Variadic))
        && i + 1 != inputs.len()
    {
        return Err(ctx.invalid("a VARIADIC parameter must be the last input parameter"));
    }
    if let Some(first) = inputs.iter().position(|p| p.default.is_some())
        && inputs[first..].iter().any(|p| p.default.is_none())
    {
        return Err(
            ctx.invalid("input parameters after one with a default must also have defaults")
        );
    }
    if params
        .iter()
        .any(|p| p.mode == Some(ParamMode::Out) && p.default.is_some())
    {
        return Err(ctx.invalid("an OUT parameter cannot have a default"));
    }
    Ok(())
}

/// `"app"."f"(integer, text)`: the function's name and the argument types that identify it.
pub(crate) fn signature(name: &Name, params: &[FunctionParam]) -> Option<String> {
    let ctx = Ctx {
        op: "create_function",
        position: 0,
    };
    Some(format!(
        "{}{}",
        quote_name(name),
        param_list(ctx, params, true).ok()?
    ))
}

impl CreateFunction {
    /// What the engine records before a `CREATE OR REPLACE FUNCTION` runs.
    pub(crate) fn replaced(&self) -> Option<Safeguard> {
        if !self.or_replace {
            return None;
        }
        Some(Safeguard::RecordsPrevious(Object::Function {
            name: self.name.clone(),
            signature: signature(&self.name, &self.params)?,
        }))
    }
}

impl Render for CreateFunction {
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        (index == 0).then(|| self.replaced()).flatten()
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "function")?;
        check_params(ctx, &self.params)?;
        let params = param_list(ctx, &self.params, false)?;
        check_word(ctx, &self.language, "language")?;
        if self.body.trim().is_empty() {
            return Err(ctx.invalid("empty function body"));
        }
        let has_out = self
            .params
            .iter()
            .any(|p| matches!(p.mode, Some(ParamMode::Out | ParamMode::InOut)));
        let mut sql = format!(
            "CREATE {}FUNCTION {}{params}",
            if self.or_replace { "OR REPLACE " } else { "" },
            quote_name(&self.name)
        );
        match &self.returns {
            Some(ty) => {
                check_sql(ctx, ty, "return type")?;
                sql.push_str(&format!(" RETURNS {ty}"));
            }
            None if has_out => {}
            None => {
                return Err(ctx.invalid(
                    "no return type: give one with `returns`, or describe the result with OUT parameters",
                ))
            }
        }
        sql.push_str(&format!(" LANGUAGE {}", self.language));
        if self.window {
            sql.push_str(" WINDOW");
        }
        match self.volatility {
            Some(Volatility::Immutable) => sql.push_str(" IMMUTABLE"),
            Some(Volatility::Stable) => sql.push_str(" STABLE"),
            Some(Volatility::Volatile) => sql.push_str(" VOLATILE"),
            None => {}
        }
        match self.security_definer {
            Some(true) => sql.push_str(" SECURITY DEFINER"),
            Some(false) => sql.push_str(" SECURITY INVOKER"),
            None => {}
        }
        match self.strict {
            Some(true) => sql.push_str(" STRICT"),
            Some(false) => sql.push_str(" CALLED ON NULL INPUT"),
            None => {}
        }
        match self.parallel {
            Some(Parallel::Safe) => sql.push_str(" PARALLEL SAFE"),
            Some(Parallel::Restricted) => sql.push_str(" PARALLEL RESTRICTED"),
            Some(Parallel::Unsafe) => sql.push_str(" PARALLEL UNSAFE"),
            None => {}
        }
        for (parameter, value) in &self.set {
            check_word(ctx, parameter, "configuration parameter")?;
            match value {
                SetValue::To(v) => sql.push_str(&format!(" SET {parameter} = {}", v.to_sql())),
                SetValue::FromCurrent => sql.push_str(&format!(" SET {parameter} FROM CURRENT")),
            }
        }
        sql.push_str(&format!(" AS {}", dollar_quote(&self.body)));
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON FUNCTION {}{} IS {}",
                quote_name(&self.name),
                param_list(ctx, &self.params, true)?,
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropFunction {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "function")?;
        Ok(vec![format!(
            "DROP FUNCTION {}{}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            param_list(ctx, &self.params, true)?,
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameFunction {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "function")?;
        ctx.ident(&self.to, "function")?;
        Ok(vec![format!(
            "ALTER FUNCTION {}{} RENAME TO {}",
            quote_name(&self.from),
            param_list(ctx, &self.params, true)?,
            quote_ident(&self.to)
        )])
    }
}
