//! A constraint added to a live table without a long lock: checked by a `VALIDATE` in a transaction of its
//! own, or backed by a unique index built concurrently.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::operation::Operation;
use crate::ops::constraint::OnlineShape;
use crate::ops::AddConstraint;
use crate::render::Render;
use crate::reverse::Reverse;
use crate::safeguard::{Object, Safeguard};

/// A constraint added online, recorded with
/// [`MigrationBuilder::add_constraint_online`](crate::MigrationBuilder::add_constraint_online).
#[derive(Debug, Clone, PartialEq)]
pub struct AddConstraintOnline {
    add: AddConstraint,
}

impl AddConstraintOnline {
    pub(crate) fn new(add: AddConstraint) -> Self {
        AddConstraintOnline { add }
    }
}

impl AddConstraintOnline {
    /// The constraints (and their indexes) it creates, as [`AddConstraint`] creates them.
    pub(crate) fn creates(&self, ctx: Ctx) -> Vec<Object> {
        self.add.creates(ctx)
    }
}

impl Render for AddConstraintOnline {
    // A concurrent index build cannot run in a transaction.
    fn outside_transaction(&self) -> bool {
        matches!(self.add.online_shape(), OnlineShape::UniqueIndex { .. })
    }

    // Each VALIDATE in a transaction of its own: not while the ADD's ACCESS EXCLUSIVE lock is held.
    fn starts_transaction(&self, index: usize) -> bool {
        match self.add.online_shape() {
            OnlineShape::Validated(count) => (1..=count).contains(&index),
            _ => false,
        }
    }

    // The IF NOT EXISTS of the concurrent build is for re-running after a failure only: the index must be
    // this migration's own.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        if index != 0 || !self.outside_transaction() {
            return None;
        }
        let ctx = Ctx {
            op: "add_constraint_online",
            position: 0,
        };
        let name = self.add.names(ctx).ok()?.into_iter().next()?;
        Some(Safeguard::CreatesIfAbsent(Object::Index {
            name: self.add.table().sibling(name),
            table: self.add.table().clone(),
        }))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        match self.add.online_shape() {
            OnlineShape::Unsupported(why) => Err(ctx.invalid(why)),
            OnlineShape::Validated(_) => {
                let mut add = self.add.clone();
                add.not_valid();
                let mut rendered = add.render(ctx)?;
                let comments = rendered.split_off(1);
                let table = quote_name(add.table());
                for name in add.names(ctx)? {
                    rendered.push(format!(
                        "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                        quote_ident(&name)
                    ));
                }
                rendered.extend(comments);
                Ok(rendered)
            }
            OnlineShape::UniqueIndex { primary, columns } => {
                ctx.name(self.add.table(), "table")?;
                ctx.idents(columns, "column")?;
                let Some(name) = self.add.names(ctx)?.into_iter().next() else {
                    return Err(ctx.invalid("no constraint name"));
                };
                let table = quote_name(self.add.table());
                let name = quote_ident(&name);
                let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
                Ok(vec![
                    format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({})",
                        quote_list(columns)
                    ),
                    format!("ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}"),
                ])
            }
        }
    }
}

/// Dropping the constraint undoes both shapes: a constraint that took over an index drops it.
impl Reverse for AddConstraintOnline {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        self.add.reverse(ctx)
    }

    // A check or foreign key that is added but not yet validated is dropped as a validated one is. A unique
    // index built concurrently that no constraint took over yet is dropped on its own, concurrently too.
    fn reverse_partial(&self, ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        match self.add.online_shape() {
            OnlineShape::Validated(_) => self.add.reverse(ctx),
            OnlineShape::UniqueIndex { columns, .. } => {
                let Some(name) = self.add.names(ctx)?.into_iter().next() else {
                    return Err(ctx.invalid("no constraint name"));
                };
                let mut pgm = crate::MigrationBuilder::new();
                pgm.drop_index(self.add.table().clone(), columns.to_vec())
                    .name(name)
                    .concurrently();
                Ok(pgm.operations().to_vec())
            }
            OnlineShape::Unsupported(why) => Err(ctx.invalid(why)),
        }
    }
}
