//! Values and SQL expressions are different types: a default of `now()` is an expression, `'now()'` a string.

use crate::quote::literal;

/// A value written into DDL: a typed literal, or a SQL expression spliced verbatim.
///
/// Plain Rust values convert into literals (`"draft"` becomes `'draft'`, `0` stays `0`); SQL expressions are
/// made explicit with [`expr`], so nothing is guessed from the content of a string.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `NULL`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal, quoted when rendered.
    Text(String),
    /// A SQL expression, rendered as written (`now()`, `gen_random_uuid()`, `'{}'::jsonb`).
    Expr(String),
}

/// Marks SQL text as an expression to be rendered verbatim.
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.add_columns("posts", [
///     column("created_at", "timestamptz").not_null().default(expr("now()")),
///     column("status", "text").default("now()"),
/// ]);
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"ALTER TABLE "posts" ADD COLUMN "created_at" timestamptz NOT NULL DEFAULT now(), ADD COLUMN "status" text DEFAULT 'now()'"#,
/// ]);
/// ```
pub fn expr(sql: impl Into<String>) -> Value {
    Value::Expr(sql.into())
}

impl Value {
    pub(crate) fn to_sql(&self) -> String {
        match self {
            Value::Null => "NULL".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.is_finite() => format!("{f:?}"),
            Value::Float(f) => format!("'{f}'::double precision"),
            Value::Text(s) => literal(s),
            Value::Expr(e) => e.clone(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i.into())
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A setting an operation leaves alone, sets, or removes: `SET DEFAULT x` / `DROP DEFAULT`, `MINVALUE n` /
/// `NO MINVALUE`, `IS 'text'` / `IS NULL`, `OWNED BY t.c` / `OWNED BY NONE`. One enum instead of an
/// `Option<Option<T>>`, whose two kinds of `None` read alike.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Change<T> {
    /// Not given: the statement does not mention it.
    #[default]
    Keep,
    /// Given a value.
    Set(T),
    /// Removed: `DROP DEFAULT`, `NO MINVALUE`, `IS NULL`, `OWNED BY NONE`, `PASSWORD NULL`.
    Remove,
}

impl<T> Change<T> {
    /// The value, when one was set.
    pub(crate) fn value(&self) -> Option<&T> {
        match self {
            Change::Set(value) => Some(value),
            Change::Keep | Change::Remove => None,
        }
    }

    pub(crate) fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }
}

/// `Some(value)` sets it, `None` removes it (`comment(None)` is `IS NULL`).
impl<T> From<Option<T>> for Change<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Change::Set(value),
            None => Change::Remove,
        }
    }
}
