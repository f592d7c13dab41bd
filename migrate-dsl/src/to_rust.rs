//! How operations are written back as the Rust source of the builder calls that record them: the [`ToRust`]
//! trait every operation implements in the `rust.rs` of its kind's folder (`ops/<kind>/rust.rs`), and the
//! literals and call chains those share.
//!
//! A writer destructures its operation completely, so a field added to an operation does not compile until
//! its writer says how the field is written (or refuses it). Only settings that differ from what the builder
//! method records by itself are written.

use std::time::Duration;

use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::value::Value;

/// How an operation becomes the Rust source of the builder call that records it. Every operation implements
/// it, in the `rust.rs` of its kind.
pub(crate) trait ToRust {
    /// The call, `pgm.method(..).setter(..);`, or [`DslError::NotWritable`] (from [`refuse`]) naming what has
    /// no builder form. `op` is the operation's builder method, for errors.
    fn to_rust(&self, op: &'static str) -> Result<String, DslError>;
}

/// The error for an operation, or a setting of one, that no builder call records.
pub(crate) fn refuse(op: &'static str, what: impl Into<String>) -> DslError {
    DslError::NotWritable {
        op,
        what: what.into(),
    }
}

/// The operations that are not written back, each with why: [`Operation::to_rust`](crate::Operation::to_rust)
/// refuses them by name.
macro_rules! not_writable {
    ($($op:ident => $why:expr,)*) => {
        $(
            impl ToRust for crate::ops::$op {
                fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
                    Err(refuse(op, $why))
                }
            }
        )*
    };
}

/// Data code is a Rust function: the operation holds the function, not its source.
const CODE: &str = "data code (the operation holds a compiled Rust function, not its source)";
/// Recorded only where the engine derives it (a `down`, a resolved version branch): no builder call.
const DERIVED: &str = "an operation only a derived `down` or a resolved version branch holds";
/// Has a builder call whose Rust form is not written yet: `migrate diff` plans none of these.
const NOT_YET: &str =
    "writing this operation back is not implemented (`migrate diff` does not plan it)";

not_writable! {
    Db => CODE,
    Backfill => NOT_YET,
    RestorePrevious => DERIVED,
    SincePgNote => DERIVED,
    DropPartitionConstraint => DERIVED,
}

/// A method call chain: a head (`pgm.create_table(..)`, `column(..)`) and its setters.
#[derive(Debug)]
pub(crate) struct Chain(String);

impl Chain {
    /// `pgm.method(args)`: a builder call.
    pub(crate) fn pgm(method: &str, args: &[String]) -> Self {
        Chain(format!("pgm.{method}({})", args.join(", ")))
    }

    /// A value's constructor call, `function(args)` (`column("id", "bigint")`, `Constraint::check(..)`).
    pub(crate) fn call(function: &str, args: &[String]) -> Self {
        Chain(format!("{function}({})", args.join(", ")))
    }

    /// `.setter(args)`.
    pub(crate) fn set(&mut self, setter: &str, args: &[String]) -> &mut Self {
        self.0.push_str(&format!(".{setter}({})", args.join(", ")));
        self
    }

    /// `.setter()` when `on`.
    pub(crate) fn flag(&mut self, on: bool, setter: &str) -> &mut Self {
        if on {
            self.set(setter, &[]);
        }
        self
    }

    /// `.setter(arg)` when there is a value.
    pub(crate) fn some<T>(
        &mut self,
        value: Option<T>,
        setter: &str,
        write: impl FnOnce(T) -> String,
    ) -> &mut Self {
        if let Some(value) = value {
            self.set(setter, &[write(value)]);
        }
        self
    }

    /// The expression, for a value inside another call.
    pub(crate) fn expression(&self) -> String {
        self.0.clone()
    }

    /// The statement: the chain and its `;`.
    pub(crate) fn statement(&self) -> String {
        format!("{};", self.0)
    }
}

pub(crate) use self::rust_literal as lit;

/// A Rust string literal holding `text` exactly: a plain literal for one line, a raw literal with as many
/// `#` as the text needs for several lines (SQL bodies read as they run). A carriage return stays escaped:
/// a raw literal cannot hold a bare one. What [`Operation::to_rust`](crate::Operation::to_rust) and
/// `migrate diff`'s generated files write strings with.
///
/// ```
/// use migrate_dsl::rust_literal;
/// assert_eq!(rust_literal("it's"), r#""it's""#);
/// assert_eq!(rust_literal("SELECT 1\nFROM \"t\""), "r#\"SELECT 1\nFROM \"t\"\"#");
/// assert_eq!(rust_literal("a\r\nb"), r#""a\r\nb""#);
/// ```
pub fn rust_literal(text: &str) -> String {
    if text.contains('\n') && !text.contains('\r') {
        let mut hashes = String::from("#");
        while text.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("r{hashes}\"{text}\"{hashes}")
    } else {
        format!("{text:?}")
    }
}

/// An identifier as the builder takes it: its string.
pub(crate) fn ident(ident: &Ident) -> String {
    lit(ident.as_str())
}

/// A name as recorded: the bare string when unqualified, a `(schema, name)` tuple when qualified.
pub(crate) fn name(name: &Name) -> String {
    match &name.schema {
        Some(schema) => format!("({}, {})", ident(schema), ident(&name.name)),
        None => ident(&name.name),
    }
}

/// An array of identifiers; an empty one with its type, which the builder's generic parameter needs.
pub(crate) fn idents(idents: &[Ident]) -> String {
    array(idents.iter().map(ident).collect(), "&str")
}

/// An array of strings, typed when empty.
pub(crate) fn strings(strings: &[String]) -> String {
    array(strings.iter().map(|s| lit(s)).collect(), "&str")
}

/// `[a, b]`, or `[] as [T; 0]` when empty.
pub(crate) fn array(items: Vec<String>, element: &str) -> String {
    if items.is_empty() {
        format!("[] as [{element}; 0]")
    } else {
        format!("[{}]", items.join(", "))
    }
}

/// An `i64` argument.
pub(crate) fn int(value: i64) -> String {
    value.to_string()
}

/// A [`Value`] where the builder takes `impl Into<Value>`: each variant through the conversion that records
/// it (`expr(..)` for an expression, a typed number so `5` stays an `Int` of any size).
pub(crate) fn value(value: &Value) -> String {
    match value {
        Value::Null => "Value::Null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => format!("{i}i64"),
        Value::Float(f) if f.is_nan() => "f64::NAN".to_owned(),
        Value::Float(f) if f.is_infinite() && *f > 0.0 => "f64::INFINITY".to_owned(),
        Value::Float(f) if f.is_infinite() => "f64::NEG_INFINITY".to_owned(),
        Value::Float(f) => format!("{f:?}f64"),
        Value::Text(s) => lit(s),
        Value::Expr(e) => format!("expr({})", lit(e)),
    }
}

/// A `Duration` as the constructor that gives it exactly, with its path (not in the prelude).
pub(crate) fn duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("std::time::Duration::from_secs({})", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("std::time::Duration::from_millis({})", d.as_millis())
    } else {
        format!("std::time::Duration::from_nanos({})", d.as_nanos())
    }
}

/// A [`Value`] as an expression of type `Value`, for arrays of values (one element type).
pub(crate) fn value_typed(v: &Value) -> String {
    match v {
        Value::Null | Value::Expr(_) => value(v),
        _ => format!("Value::from({})", value(v)),
    }
}

/// An array of values, each written as a `Value` so that values of different kinds share it.
pub(crate) fn values(values: &[Value]) -> String {
    array(values.iter().map(value_typed).collect(), "Value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_hold_the_text_exactly() {
        assert_eq!(lit("it's \"x\""), r#""it's \"x\"""#);
        assert_eq!(lit("a\nb"), "r#\"a\nb\"#");
        assert_eq!(lit("say \"#hi\"\n"), "r##\"say \"#hi\"\n\"##");
        assert_eq!(lit("a\r\nb"), r#""a\r\nb""#);
    }

    #[test]
    fn values_keep_their_variant() {
        assert_eq!(value(&Value::Int(i64::MIN)), "-9223372036854775808i64");
        assert_eq!(value(&Value::Float(1e300)), "1e300f64");
        assert_eq!(value(&Value::Float(-0.5)), "-0.5f64");
        assert_eq!(value(&Value::Expr("now()".into())), r#"expr("now()")"#);
        assert_eq!(value(&Value::Text("now()".into())), r#""now()""#);
    }
}
