//! Operators, operator families and operator classes.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name};
use crate::ops::{check_type, *};
use crate::render::Render;
use crate::safeguard::{Object, Safeguard};

/// The characters PostgreSQL allows in an operator name.
const OPERATOR_CHARS: &str = "+-*/<>=~!@#%^&|`?";

fn check_operator(ctx: Ctx, op: &OperatorName) -> Result<(), DslError> {
    if let Some(schema) = &op.schema {
        ctx.ident(schema, "schema")?;
    }
    let s = &op.symbol;
    if s.is_empty()
        || s.len() > 63
        || !s.chars().all(|c| OPERATOR_CHARS.contains(c))
        || s.contains("--")
        || s.contains("/*")
    {
        return Err(ctx.invalid(format!(
            "{s:?} is not an operator name: use 1 to 63 of the characters {OPERATOR_CHARS}, without -- or /*"
        )));
    }
    Ok(())
}

/// `symbol` or `"schema".symbol`, as in `CREATE OPERATOR` and `DROP OPERATOR`.
fn operator_name(op: &OperatorName) -> String {
    match &op.schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), op.symbol),
        None => op.symbol.clone(),
    }
}

/// `OPERATOR("schema".symbol)` where a schema is given (inside option lists), else the bare symbol.
fn operator_ref(op: &OperatorName) -> String {
    match &op.schema {
        Some(_) => format!("OPERATOR({})", operator_name(op)),
        None => op.symbol.clone(),
    }
}

fn check_method(ctx: Ctx, method: &crate::name::Ident) -> Result<(), DslError> {
    ctx.ident(method, "index method")
}

fn types_sql(ctx: Ctx, types: &Option<(String, String)>) -> Result<String, DslError> {
    match types {
        Some((l, r)) => {
            check_type(ctx, l)?;
            check_type(ctx, r)?;
            Ok(format!(" ({l}, {r})"))
        }
        None => Ok(String::new()),
    }
}

/// Members as in `CREATE OPERATOR CLASS ... AS` and `ALTER OPERATOR FAMILY ... ADD`.
fn members_add(ctx: Ctx, members: &[OperatorMember]) -> Result<String, DslError> {
    if members.is_empty() {
        return Err(ctx.invalid("no operators or functions given"));
    }
    members
        .iter()
        .map(|m| match m {
            OperatorMember::Operator {
                strategy,
                operator,
                types,
            } => {
                check_operator(ctx, operator)?;
                Ok(format!(
                    "OPERATOR {strategy} {}{}",
                    operator_ref(operator),
                    types_sql(ctx, types)?
                ))
            }
            OperatorMember::Function {
                support,
                types,
                function,
                arguments,
            } => {
                ctx.name(function, "function")?;
                arguments.iter().try_for_each(|a| check_type(ctx, a))?;
                Ok(format!(
                    "FUNCTION {support}{} {}({})",
                    types_sql(ctx, types)?,
                    quote_name(function),
                    arguments.join(", ")
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.join(", "))
}

/// Members as in `ALTER OPERATOR FAMILY ... DROP`: by number and operand types only.
fn members_drop(ctx: Ctx, members: &[OperatorMember]) -> Result<String, DslError> {
    if members.is_empty() {
        return Err(ctx.invalid("no operators or functions given"));
    }
    members
        .iter()
        .map(|m| {
            let (kind, number, types) = match m {
                OperatorMember::Operator { strategy, types, .. } => ("OPERATOR", strategy, types),
                OperatorMember::Function { support, types, .. } => ("FUNCTION", support, types),
            };
            if types.is_none() {
                return Err(ctx.invalid(format!(
                    "{kind} {number}: a family member needs its operand types; chain `.for_types(left, right)`"
                )));
            }
            Ok(format!("{kind} {number}{}", types_sql(ctx, types)?))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.join(", "))
}

impl Render for CreateOperator {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_operator(ctx, &self.name)?;
        ctx.name(&self.function, "function")?;
        if self.right.is_none() {
            return Err(ctx.invalid("an operator needs a right operand type (`right(..)`); postfix operators are gone since PostgreSQL 14"));
        }
        let mut parts = vec![format!("FUNCTION = {}", quote_name(&self.function))];
        for (label, t) in [("LEFTARG", &self.left), ("RIGHTARG", &self.right)] {
            if let Some(t) = t {
                check_type(ctx, t)?;
                parts.push(format!("{label} = {t}"));
            }
        }
        for (label, op) in [("COMMUTATOR", &self.commutator), ("NEGATOR", &self.negator)] {
            if let Some(op) = op {
                check_operator(ctx, op)?;
                parts.push(format!("{label} = {}", operator_ref(op)));
            }
        }
        for (label, f) in [("RESTRICT", &self.restrict), ("JOIN", &self.join)] {
            if let Some(f) = f {
                ctx.name(f, "function")?;
                parts.push(format!("{label} = {}", quote_name(f)));
            }
        }
        if self.hashes {
            parts.push("HASHES".to_owned());
        }
        if self.merges {
            parts.push("MERGES".to_owned());
        }
        Ok(vec![format!(
            "CREATE OPERATOR {} ({})",
            operator_name(&self.name),
            parts.join(", ")
        )])
    }
}

impl Render for DropOperator {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        check_operator(ctx, &self.name)?;
        let side = |t: &Option<String>| -> Result<String, DslError> {
            match t {
                Some(t) => check_type(ctx, t).map(|()| t.clone()),
                None => Ok("NONE".to_owned()),
            }
        };
        Ok(vec![format!(
            "DROP OPERATOR {}{} ({}, {}){}",
            if self.if_exists { "IF EXISTS " } else { "" },
            operator_name(&self.name),
            side(&self.left)?,
            side(&self.right)?,
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for CreateOperatorFamily {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator family")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "CREATE OPERATOR FAMILY {} USING {}",
            quote_name(&self.name),
            quote_ident(&self.method)
        )])
    }
}

impl Render for DropOperatorFamily {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator family")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "DROP OPERATOR FAMILY {}{} USING {}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            quote_ident(&self.method),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameOperatorFamily {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator family")?;
        ctx.ident(&self.new_name, "operator family")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "ALTER OPERATOR FAMILY {} USING {} RENAME TO {}",
            quote_name(&self.name),
            quote_ident(&self.method),
            quote_ident(&self.new_name)
        )])
    }
}

impl Render for AddToOperatorFamily {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.family, "operator family")?;
        check_method(ctx, &self.method)?;
        // Family members must say which operand types they are for; the drop form is checked here too, so
        // the reverse cannot fail later.
        members_drop(ctx, &self.members)?;
        Ok(vec![format!(
            "ALTER OPERATOR FAMILY {} USING {} ADD {}",
            quote_name(&self.family),
            quote_ident(&self.method),
            members_add(ctx, &self.members)?
        )])
    }
}

impl Render for RemoveFromOperatorFamily {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.family, "operator family")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "ALTER OPERATOR FAMILY {} USING {} DROP {}",
            quote_name(&self.family),
            quote_ident(&self.method),
            members_drop(ctx, &self.members)?
        )])
    }
}

impl Render for CreateOperatorClass {
    // Without FAMILY, PostgreSQL uses the family named like the class, creating it only when it does not
    // exist: whether it existed is recorded, so the derived down drops it only if this migration made it.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        (index == 0 && self.family.is_none()).then(|| {
            Safeguard::RecordsPrevious(Object::OperatorFamily {
                name: self.name.clone(),
                method: self.method.clone(),
            })
        })
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator class")?;
        check_type(ctx, &self.data_type)?;
        check_method(ctx, &self.method)?;
        let family = match &self.family {
            Some(f) => {
                ctx.name(f, "operator family")?;
                format!(" FAMILY {}", quote_name(f))
            }
            None => String::new(),
        };
        Ok(vec![format!(
            "CREATE OPERATOR CLASS {}{} FOR TYPE {} USING {}{family} AS {}",
            quote_name(&self.name),
            if self.default { " DEFAULT" } else { "" },
            self.data_type,
            quote_ident(&self.method),
            members_add(ctx, &self.members)?
        )])
    }
}

impl Render for DropOperatorClass {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator class")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "DROP OPERATOR CLASS {}{} USING {}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            quote_ident(&self.method),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameOperatorClass {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "operator class")?;
        ctx.ident(&self.new_name, "operator class")?;
        check_method(ctx, &self.method)?;
        Ok(vec![format!(
            "ALTER OPERATOR CLASS {} USING {} RENAME TO {}",
            quote_name(&self.name),
            quote_ident(&self.method),
            quote_ident(&self.new_name)
        )])
    }
}
