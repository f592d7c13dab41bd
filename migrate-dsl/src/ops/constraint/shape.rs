//! What a constraint creates (the objects the schema safeguard tracks) and how
//! [`MigrationBuilder::add_constraint_online`](crate::MigrationBuilder::add_constraint_online) adds it.

use super::{AddConstraint, Constraint, ConstraintKind};
use crate::ctx::Ctx;
use crate::name::{Ident, Name};
use crate::safeguard::Object;

impl Constraint {
    /// The objects this constraint named `name` on `table` creates: the constraint, and for a primary key,
    /// unique or exclusion constraint the index of the same name that comes with it.
    pub(crate) fn objects(&self, table: &Name, name: Ident) -> Vec<Object> {
        let indexed = matches!(
            self.kind,
            ConstraintKind::PrimaryKey(_)
                | ConstraintKind::Unique { .. }
                | ConstraintKind::Exclude { .. }
        );
        let mut out = Vec::new();
        if indexed {
            out.push(Object::Index {
                name: table.sibling(name.clone()),
                table: table.clone(),
            });
        }
        out.push(Object::Constraint {
            name,
            table: table.clone(),
        });
        out
    }

    /// Whether this is a `PRIMARY KEY` constraint.
    pub(crate) fn is_primary_key(&self) -> bool {
        matches!(self.kind, ConstraintKind::PrimaryKey(_))
    }
}

impl AddConstraint {
    /// See [`Operation::creates`](crate::Operation::creates).
    pub(crate) fn creates(&self, ctx: Ctx) -> Vec<Object> {
        self.names(ctx)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|name| self.constraint.objects(&self.table, name))
            .collect()
    }
}

/// How [`MigrationBuilder::add_constraint_online`](crate::MigrationBuilder::add_constraint_online) adds a
/// constraint without a long lock.
pub(crate) enum OnlineShape<'a> {
    /// `NOT VALID`, then `VALIDATE` each of this many constraints (CHECK, FOREIGN KEY).
    Validated(usize),
    /// A unique index built concurrently, then the constraint `USING INDEX` it.
    UniqueIndex { primary: bool, columns: &'a [Ident] },
    /// Not supported online, and why.
    Unsupported(&'static str),
}

impl AddConstraint {
    /// The table.
    pub(crate) fn table(&self) -> &Name {
        &self.table
    }

    /// How this constraint is added online.
    /// Whether it adds one foreign key.
    pub(crate) fn is_foreign_key(&self) -> bool {
        matches!(self.constraint.kind, ConstraintKind::ForeignKey { .. })
    }

    pub(crate) fn online_shape(&self) -> OnlineShape<'_> {
        if self.if_table_exists || self.not_valid {
            return OnlineShape::Unsupported(
                "`if_table_exists` and `not_valid` do not apply: the table must exist, and the constraint is validated",
            );
        }
        match &self.constraint.kind {
            ConstraintKind::Check(list) => OnlineShape::Validated(list.len()),
            ConstraintKind::ForeignKey { .. } => OnlineShape::Validated(1),
            ConstraintKind::Unique {
                columns,
                nulls_not_distinct: false,
            } if self.constraint.deferrable.is_none() && self.constraint.comment.is_none() => {
                OnlineShape::UniqueIndex {
                    primary: false,
                    columns,
                }
            }
            ConstraintKind::PrimaryKey(columns)
                if self.constraint.deferrable.is_none() && self.constraint.comment.is_none() =>
            {
                OnlineShape::UniqueIndex {
                    primary: true,
                    columns,
                }
            }
            ConstraintKind::Unique { .. } | ConstraintKind::PrimaryKey(_) => OnlineShape::Unsupported(
                "a unique or primary key constraint added online takes no `nulls_not_distinct`, `deferrable` or `comment`",
            ),
            ConstraintKind::UsingIndex { .. } | ConstraintKind::Exclude { .. } => {
                OnlineShape::Unsupported(
                    "online: CHECK, FOREIGN KEY, UNIQUE and PRIMARY KEY constraints only (NOT NULL: `set_not_null`)",
                )
            }
        }
    }
}
