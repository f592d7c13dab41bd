//! Domains, ranges, composite types, operators, operator families and casts as the description shows them.

use crate::schema::description::{Kind, SchemaObject};
use crate::schema::model::{Composite, Domain, Model, OperatorFamily};

/// The objects of these kinds, in any order (the description sorts).
pub(super) fn objects(model: &Model, out: &mut Vec<SchemaObject>) {
    for domain in model.domains.values() {
        out.push(domain_object(domain));
    }
    for range in model.ranges.values() {
        let mut object = SchemaObject::new(Kind::Range, range.quoted.clone());
        let mut subtype = format!("subtype {}", range.subtype);
        if let Some(diff) = &range.subtype_diff {
            subtype.push_str(&format!(" subtype_diff {diff}"));
        }
        object.summary(subtype);
        privileges_and_comment(&mut object, &range.privileges, range.comment.as_deref());
        out.push(object);
    }
    for composite in model.composites.values() {
        out.push(composite_object(composite));
    }
    for operator in model.operators.values() {
        let mut object = SchemaObject::new(Kind::Operator, operator.quoted.clone());
        object.summary(format!(
            "function {} returns {}",
            operator.function, operator.result
        ));
        for (what, value) in [
            ("commutator", &operator.commutator),
            ("negator", &operator.negator),
            ("restrict", &operator.restrict),
            ("join", &operator.join),
        ] {
            if let Some(value) = value {
                object.summary(format!("{what} {value}"));
            }
        }
        if operator.hashes {
            object.summary("hashes");
        }
        if operator.merges {
            object.summary("merges");
        }
        privileges_and_comment(&mut object, &[], operator.comment.as_deref());
        out.push(object);
    }
    for family in model.operator_families.values() {
        out.push(family_object(family));
    }
    for cast in model.casts.values() {
        let mut object = SchemaObject::new(Kind::Cast, format!("({} AS {})", cast.source, cast.target));
        object.summary(match (&cast.function, cast.inout) {
            (Some(function), _) => format!("with function {function}"),
            (None, true) => "with inout".to_owned(),
            (None, false) => "without function".to_owned(),
        });
        object.summary(match cast.context {
            'i' => "implicit",
            'a' => "as assignment",
            _ => "explicit",
        });
        privileges_and_comment(&mut object, &[], cast.comment.as_deref());
        out.push(object);
    }
}

/// The privileges' lines, then the comment.
fn privileges_and_comment(object: &mut SchemaObject, privileges: &[String], comment: Option<&str>) {
    for line in privileges {
        object.line(line.as_str());
    }
    if let Some(comment) = comment {
        object.line(format!("comment {comment:?}"));
    }
}

/// A domain: its base type, collation (its name), `not null` and default in the header, then a line per
/// check (by name), the privileges' lines and the comment.
fn domain_object(domain: &Domain) -> SchemaObject {
    let mut object = SchemaObject::new(Kind::Domain, domain.quoted.clone());
    object.summary(format!("as {}", domain.base));
    if let Some((_, collation)) = &domain.collation {
        object.summary(format!("collate {collation}"));
    }
    if domain.not_null {
        object.summary("not null");
    }
    if let Some(default) = &domain.default {
        object.summary(format!("default {default}"));
    }
    // Each line of a check's text is a line of its own, as the description has always shown it.
    for check in &domain.checks {
        for line in format!("{} {}", check.quoted, check.definition).lines() {
            object.line(format!("constraint {line}"));
        }
    }
    privileges_and_comment(&mut object, &domain.privileges, domain.comment.as_deref());
    object
}

/// A composite type: a line per attribute, in order, then the attributes' comments, sorted.
fn composite_object(composite: &Composite) -> SchemaObject {
    let mut object = SchemaObject::new(Kind::CompositeType, composite.quoted.clone());
    let mut comments = Vec::new();
    for attribute in &composite.attributes {
        let mut line = format!("column {} {}", attribute.quoted, attribute.data_type);
        if let Some((_, collation)) = &attribute.collation {
            line.push_str(&format!(" collate {collation}"));
        }
        object.line(line);
        if let Some(comment) = &attribute.comment {
            comments.push(format!("comment on column {} {comment:?}", attribute.quoted));
        }
    }
    comments.sort();
    for line in comments {
        object.line(line);
    }
    object
}

/// An operator family: its access method, then its classes (by name) and its members.
fn family_object(family: &OperatorFamily) -> SchemaObject {
    let mut object = SchemaObject::new(Kind::OperatorFamily, family.quoted.clone());
    object.summary(format!("using {}", family.method));
    for class in &family.classes {
        let mut line = format!("class {} for type {}", class.quoted, class.for_type);
        if class.default {
            line.push_str(" default");
        }
        if let Some(storage) = &class.storage {
            line.push_str(&format!(" storage {storage}"));
        }
        for part in line.lines() {
            object.line(part);
        }
    }
    for member in &family.members {
        object.line(member.as_str());
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::description::SchemaDescription;
    use crate::schema::model::{Cast, DomainCheck, OperatorClass};

    fn text(model: &Model) -> String {
        let mut out = Vec::new();
        objects(model, &mut out);
        SchemaDescription::new(out).render()
    }

    /// A domain shows its collation's name, `not null` and default in the header, then its checks by
    /// name, its privileges' lines and its comment, as the schema file has always shown it.
    #[test]
    fn a_domain_is_described_by_its_header_checks_privileges_and_comment() {
        let mut model = Model::default();
        let check = |name: &str, quoted: &str| DomainCheck {
            name: name.to_owned(),
            expression: "(VALUE <> ''::text)".to_owned(),
            quoted: quoted.to_owned(),
            definition: "CHECK ((VALUE <> ''::text))".to_owned(),
            created: 1,
        };
        model.domains.insert(
            ("app".to_owned(), "Code".to_owned()),
            Domain {
                base: "text".to_owned(),
                not_null: true,
                default: Some("'it''s'::text".to_owned()),
                checks: vec![check("Max", "\"Max\""), check("min", "min")],
                comment: Some("a \"code\"".to_owned()),
                quoted: "app.\"Code\"".to_owned(),
                collation: Some(("pg_catalog".to_owned(), "\"C\"".to_owned())),
                privileges: vec!["revoke USAGE from PUBLIC".to_owned()],
                created: 1,
            },
        );
        assert!(
            text(&model).ends_with(
                "\ndomain app.\"Code\" as text collate \"C\" not null default 'it''s'::text\n  \
                 constraint \"Max\" CHECK ((VALUE <> ''::text))\n  constraint min CHECK ((VALUE <> ''::text))\n  \
                 revoke USAGE from PUBLIC\n  comment \"a \\\"code\\\"\"\n"
            ),
            "{}",
            text(&model)
        );
    }

    /// An operator family lists its classes, then its members as the server sorted them; a cast shows its
    /// method and context.
    #[test]
    fn operator_families_and_casts_are_described_as_they_always_were() {
        let mut model = Model::default();
        model.operator_families.insert(
            (("app".to_owned(), "f".to_owned()), "hash".to_owned()),
            OperatorFamily {
                quoted: "app.f".to_owned(),
                method: "hash".to_owned(),
                classes: vec![OperatorClass {
                    quoted: "app.c".to_owned(),
                    for_type: "app.pair".to_owned(),
                    default: true,
                    storage: Some("integer".to_owned()),
                }],
                members: vec!["operator 1 app.===(app.pair,app.pair)".to_owned(), "function 1 (x, x) app.h(x)".to_owned()],
            },
        );
        model.casts.insert(
            ("app.pair".to_owned(), "text".to_owned()),
            Cast {
                source: "app.pair".to_owned(),
                target: "text".to_owned(),
                function: None,
                inout: false,
                context: 'e',
                comment: None,
            },
        );
        assert!(
            text(&model).ends_with(
                "\noperator family app.f using hash\n  class app.c for type app.pair default storage integer\n  \
                 operator 1 app.===(app.pair,app.pair)\n  function 1 (x, x) app.h(x)\n\n\
                 cast (app.pair AS text) without function explicit\n"
            ),
            "{}",
            text(&model)
        );
    }
}
