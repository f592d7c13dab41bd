//! Constraint operations and constraint values written back as Rust ([`ToRust`]).

use super::{
    AddConstraint, Constraint, ConstraintKind, DropConstraint, RenameConstraint, ValidateConstraint,
};
use crate::error::DslError;
use crate::name::Ident;
use crate::ops::column::rust::{fk_action, fk_match};
use crate::ops::index::rust::index_column;
use crate::to_rust::{array, ident, idents, lit, name, refuse, Chain, ToRust};

/// A `Constraint::..` value with its setters.
pub(crate) fn constraint(c: &Constraint, op: &'static str) -> Result<String, DslError> {
    let Constraint {
        kind,
        deferrable,
        comment,
        misplaced,
    } = c;
    if let Some((option, applies_to)) = misplaced {
        return Err(refuse(
            op,
            format!("a constraint's `{option}`, which applies only to {applies_to}"),
        ));
    }
    let mut w = match kind {
        ConstraintKind::Check(expressions) => match expressions.as_slice() {
            [one] => Chain::call("Constraint::check", &[lit(one)]),
            several => Chain::call(
                "Constraint::checks",
                &[array(several.iter().map(|e| lit(e)).collect(), "&str")],
            ),
        },
        ConstraintKind::Unique {
            columns,
            nulls_not_distinct,
        } => {
            let mut w = Chain::call("Constraint::unique", &[idents(columns)]);
            w.flag(*nulls_not_distinct, "nulls_not_distinct");
            w
        }
        ConstraintKind::PrimaryKey(columns) => {
            Chain::call("Constraint::primary_key", &[idents(columns)])
        }
        ConstraintKind::UsingIndex { primary, index } => Chain::call(
            if *primary {
                "Constraint::primary_key_using_index"
            } else {
                "Constraint::unique_using_index"
            },
            &[ident(index)],
        ),
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            match_type,
        } => {
            let mut w = Chain::call(
                "Constraint::foreign_key",
                &[
                    idents(columns),
                    name(references),
                    idents(referenced_columns),
                ],
            );
            w.some(*on_delete, "on_delete", fk_action)
                .some(*on_update, "on_update", fk_action)
                .some(*match_type, "match_type", fk_match);
            w
        }
        ConstraintKind::Exclude {
            method,
            elements,
            where_clause,
        } => {
            let elements = elements
                .iter()
                .map(|(c, operator)| format!("({}, {})", index_column(c), lit(operator)))
                .collect();
            let mut w = Chain::call(
                "Constraint::exclude",
                &[lit(method), array(elements, "(IndexColumn, &str)")],
            );
            w.some(where_clause.as_ref(), "where_clause", |p| lit(p));
            w
        }
    };
    w.some(*deferrable, "deferrable", |d| d.to_string())
        .some(comment.as_ref(), "comment", |c| lit(c));
    Ok(w.expression())
}

/// A constraint's name argument: the name, or `None` for one PostgreSQL derives.
pub(crate) fn constraint_name(constraint_name: Option<&Ident>) -> String {
    match constraint_name {
        Some(n) => ident(n),
        None => "None".to_owned(),
    }
}

/// The options of an added constraint: whether each is set, and its setter.
pub(crate) type AddOptions = [(bool, &'static str); 2];

/// `pgm.<op>(table, name, constraint)` and the options of the added constraint: `add_constraint`'s own,
/// and the call `add_constraint_online` shares, which has neither option.
pub(crate) fn add_constraint(
    add: &AddConstraint,
    op: &'static str,
) -> Result<(Chain, AddOptions), DslError> {
    let AddConstraint {
        table,
        name: constraint_name_,
        constraint: c,
        not_valid,
        if_table_exists,
    } = add;
    let call = Chain::pgm(
        op,
        &[
            name(table),
            constraint_name(constraint_name_.as_ref()),
            constraint(c, op)?,
        ],
    );
    Ok((
        call,
        [
            (*not_valid, "not_valid"),
            (*if_table_exists, "if_table_exists"),
        ],
    ))
}

impl ToRust for AddConstraint {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let (mut w, options) = add_constraint(self, op)?;
        for (on, setter) in options {
            w.flag(on, setter);
        }
        Ok(w.statement())
    }
}

impl ToRust for DropConstraint {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropConstraint {
            table,
            name: constraint_name,
            if_exists,
            cascade,
            if_table_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(constraint_name)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .flag(*if_table_exists, "if_table_exists")
            .statement())
    }
}

impl ToRust for ValidateConstraint {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let ValidateConstraint {
            table,
            name: constraint_name,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(constraint_name)]).statement())
    }
}

impl ToRust for RenameConstraint {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameConstraint {
            table,
            from,
            to,
            if_table_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(from), ident(to)])
            .flag(*if_table_exists, "if_table_exists")
            .statement())
    }
}
