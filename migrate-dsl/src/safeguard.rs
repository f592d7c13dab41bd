//! What the engine checks or records around a statement, beyond sending it.
//!
//! A typed operation never skips silently. Where the rendered SQL says `IF [NOT] EXISTS` although the
//! author did not ask for it (so that a migration outside a transaction can run again after failing
//! part-way), the statement carries a [`Safeguard`]: before sending it, the engine checks that the object is
//! this migration's own, and refuses otherwise. A `CREATE OR REPLACE` carries one too: the engine records
//! what it replaces, so the derived `down` can restore it exactly.

use crate::name::{quote_ident, quote_name};
use crate::name::{Ident, Name};

/// A database object as the engine looks it up by name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// An index (its name is in its table's schema).
    Index { name: Name, table: Name },
    /// A table constraint.
    Constraint { name: Ident, table: Name },
    /// A function, with its argument types as SQL: `"app"."f"(integer, text)`.
    Function { name: Name, signature: String },
    /// A view.
    View { name: Name },
    /// An operator family of an index method.
    OperatorFamily { name: Name, method: Ident },
    /// A column of a table.
    Column { table: Name, column: Ident },
}

impl Object {
    /// `index "comments_post_id_index" on "comments"`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Object::Index { name, table } => format!(
                "index {} on {}",
                quote_ident(name.name()),
                quote_name(table)
            ),
            Object::Constraint { name, table } => {
                format!("constraint {} on {}", quote_ident(name), quote_name(table))
            }
            Object::Function { signature, .. } => format!("function {signature}"),
            Object::View { name } => format!("view {}", quote_name(name)),
            Object::OperatorFamily { name, method } => format!(
                "operator family {} using {}",
                quote_name(name),
                method.as_str()
            ),
            Object::Column { table, column } => {
                format!("column {} of {}", quote_ident(column), quote_name(table))
            }
        }
    }

    /// A stable text key for bookkeeping rows: the same operation gives the same key in `up` and `down`.
    pub fn key(&self) -> String {
        match self {
            Object::Index { name, .. } => format!("index {}", quote_name(name)),
            Object::Constraint { name, table } => {
                format!("constraint {}.{}", quote_name(table), quote_ident(name))
            }
            Object::Function { signature, .. } => format!("function {signature}"),
            Object::View { name } => format!("view {}", quote_name(name)),
            Object::OperatorFamily { name, method } => format!(
                "operator family {} using {}",
                quote_name(name),
                method.as_str()
            ),
            Object::Column { table, column } => {
                format!("column {} of {}", quote_ident(column), quote_name(table))
            }
        }
    }

    /// Whether `other` names the same object. A name without a schema matches the same name in any schema:
    /// which one it resolves to depends on the `search_path`, and this only names a likely owner.
    pub fn same_as(&self, other: &Object) -> bool {
        fn same_name(a: &Name, b: &Name) -> bool {
            a.name() == b.name()
                && match (a.schema(), b.schema()) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                }
        }
        match (self, other) {
            (Object::Index { name: a, .. }, Object::Index { name: b, .. }) => same_name(a, b),
            (
                Object::Constraint { name: a, table: t },
                Object::Constraint { name: b, table: u },
            ) => a == b && same_name(t, u),
            (Object::Function { signature: a, .. }, Object::Function { signature: b, .. }) => {
                a == b
            }
            (Object::View { name: a }, Object::View { name: b }) => same_name(a, b),
            (
                Object::Column {
                    table: t,
                    column: a,
                },
                Object::Column {
                    table: u,
                    column: b,
                },
            ) => a == b && same_name(t, u),
            (
                Object::OperatorFamily { name: a, method: m },
                Object::OperatorFamily { name: b, method: n },
            ) => same_name(a, b) && m == n,
            _ => false,
        }
    }
}

/// What the engine does around one rendered statement: a check before it runs, or a record of what it
/// replaces. A typed operation never skips silently: where the rendered SQL says `IF [NOT] EXISTS` although
/// the author did not ask for it (so that a migration outside a transaction can run again after failing
/// part-way), the engine first checks that the object is the migration's own, and refuses otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Safeguard {
    /// The engine, not the author, gave the statement `IF NOT EXISTS`. Before it runs, the object must not
    /// exist, unless an earlier attempt of the same migration created it with the same statement.
    CreatesIfAbsent(Object),
    /// The engine, not the author, gave the statement `IF EXISTS`. Before it runs, the object must exist,
    /// unless an earlier attempt of the same migration dropped it with the same statement.
    DropsIfPresent(Object),
    /// The statement first drops, `IF EXISTS`, what an earlier failed attempt of the same migration left
    /// (`set_not_null`'s temporary check). Before it runs, the object must not exist, unless such an
    /// attempt added it.
    ClearsLeftover(Object),
    /// `CREATE OR REPLACE`: before it runs, the engine records the object's current definition (or that
    /// there is none) with the migration; the derived `down` restores it (or drops the object).
    RecordsPrevious(Object),
    /// The statement makes a column `NOT NULL`, and the derived `down` drops `NOT NULL` again: before it
    /// runs, the column must allow `NULL`s (else the statement does nothing and the `down` would drop a
    /// `NOT NULL` this migration did not add).
    SetsNotNull(Object),
    /// A `GRANT` whose derived `down` revokes what it granted: before it runs, none of it may be held
    /// already (the `GRANT` would silently do nothing, and the `REVOKE` would take away what this
    /// migration did not give).
    GrantsNothingHeld(GrantCheck),
}

/// What a [`Safeguard::GrantsNothingHeld`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrantCheck {
    /// A query returning one text row for each privilege or membership of the `GRANT` that is already
    /// held (`SELECT on posts for reporting`); none when the `GRANT` gives only new ones.
    pub held_query: String,
}

impl Safeguard {
    /// The object it is about (a grant is about several).
    pub fn object(&self) -> Option<&Object> {
        match self {
            Safeguard::CreatesIfAbsent(o)
            | Safeguard::DropsIfPresent(o)
            | Safeguard::ClearsLeftover(o)
            | Safeguard::RecordsPrevious(o)
            | Safeguard::SetsNotNull(o) => Some(o),
            Safeguard::GrantsNothingHeld(_) => None,
        }
    }

    /// One line for the reviewed SQL (`sql`, `--dry-run`), without the comment marker.
    pub fn describe(&self) -> String {
        match self {
            Safeguard::CreatesIfAbsent(o) => format!(
                "checked first: {} must not exist, unless an earlier attempt of this migration created it \
                 (IF NOT EXISTS is only for that re-run)",
                o.describe()
            ),
            Safeguard::DropsIfPresent(o) => format!(
                "checked first: {} must exist, unless an earlier attempt of this migration dropped it \
                 (IF EXISTS is only for that re-run)",
                o.describe()
            ),
            Safeguard::ClearsLeftover(o) => format!(
                "checked first: {} must not exist, unless an earlier attempt of this migration added it",
                o.describe()
            ),
            Safeguard::RecordsPrevious(o) => format!(
                "recorded first: the current definition of {} (or that there is none), for the derived down to restore",
                o.describe()
            ),
            Safeguard::SetsNotNull(o) => format!(
                "checked first: {} must allow NULLs (the derived down drops NOT NULL again)",
                o.describe()
            ),
            Safeguard::GrantsNothingHeld(_) => {
                "checked first: nothing of this grant may be held already (its derived down revokes it all)"
                    .to_owned()
            }
        }
    }
}
