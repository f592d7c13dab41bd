//! Domains, ranges and composite types as SQL, with their comments and privileges. Operators, operator
//! families and casts are not written (see the module docs of [`crate::schema::reader::ddl`]).

use migrate_dsl::literal;

use crate::schema::model::Model;

/// `CREATE DOMAIN` (each followed by its checks, in the order they were added), `CREATE TYPE .. AS RANGE`
/// and `CREATE TYPE .. AS (..)`, all in the order the types were created: an order their uses of each
/// other allow (a composite type of a domain over a range). The enums, which use no other type, come
/// before them. Composite types an extension installed are left out: the extension makes them.
pub(crate) fn types(model: &Model) -> Vec<String> {
    let mut types: Vec<(u32, Vec<String>)> = Vec::new();
    for domain in model.domains.values() {
        let mut create = format!("CREATE DOMAIN {} AS {}", domain.quoted, domain.base);
        if let Some((schema, name)) = &domain.collation {
            create.push_str(&format!(" COLLATE {schema}.{name}"));
        }
        if let Some(default) = &domain.default {
            create.push_str(&format!(" DEFAULT {default}"));
        }
        if domain.not_null {
            create.push_str(" NOT NULL");
        }
        let mut checks: Vec<_> = domain.checks.iter().collect();
        checks.sort_by_key(|check| check.created);
        let statements = std::iter::once(create)
            .chain(checks.into_iter().map(|check| {
                format!(
                    "ALTER DOMAIN {} ADD CONSTRAINT {} {}",
                    domain.quoted, check.quoted, check.definition
                )
            }))
            .collect();
        types.push((domain.created, statements));
    }
    for range in model.ranges.values() {
        let mut parameters = format!("SUBTYPE = {}", range.subtype);
        if let Some(diff) = &range.subtype_diff {
            parameters.push_str(&format!(", SUBTYPE_DIFF = {diff}"));
        }
        types.push((
            range.created,
            vec![format!("CREATE TYPE {} AS RANGE ({parameters})", range.quoted)],
        ));
    }
    for composite in model.composites.values().filter(|c| !c.of_extension) {
        let attributes: Vec<String> = composite
            .attributes
            .iter()
            .map(|attribute| match &attribute.collation {
                Some((schema, name)) => {
                    format!("{} {} COLLATE {schema}.{name}", attribute.quoted, attribute.data_type)
                }
                None => format!("{} {}", attribute.quoted, attribute.data_type),
            })
            .collect();
        types.push((
            composite.created,
            vec![format!("CREATE TYPE {} AS ({})", composite.quoted, attributes.join(", "))],
        ));
    }
    types.sort_by_key(|(created, _)| *created);
    types.into_iter().flat_map(|(_, statements)| statements).collect()
}

/// `COMMENT ON DOMAIN`, `COMMENT ON TYPE` (ranges) and `COMMENT ON COLUMN` (composite types' attributes,
/// those of an extension's types too, as the extension may not make them); the caller sorts them with the
/// other comments.
pub(crate) fn type_comments(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for domain in model.domains.values() {
        if let Some(comment) = &domain.comment {
            out.push(format!("COMMENT ON DOMAIN {} IS {}", domain.quoted, literal(comment)));
        }
    }
    for range in model.ranges.values() {
        if let Some(comment) = &range.comment {
            out.push(format!("COMMENT ON TYPE {} IS {}", range.quoted, literal(comment)));
        }
    }
    for composite in model.composites.values() {
        for attribute in &composite.attributes {
            if let Some(comment) = &attribute.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {}.{} IS {}",
                    composite.quoted,
                    attribute.quoted,
                    literal(comment)
                ));
            }
        }
    }
    out
}

/// `GRANT` and `REVOKE` on each domain and range, type by type in the order they were created: its
/// privileges' lines (`grant USAGE to alice`, sorted) as statements, the revokes first.
pub(crate) fn type_privileges(model: &Model) -> Vec<String> {
    let domains = model.domains.values().map(|domain| {
        (domain.created, format!("DOMAIN {}", domain.quoted), &domain.privileges)
    });
    let ranges = model
        .ranges
        .values()
        .map(|range| (range.created, format!("TYPE {}", range.quoted), &range.privileges));
    let mut types: Vec<_> = domains.chain(ranges).collect();
    types.sort_by_key(|(created, _, _)| *created);
    types
        .into_iter()
        .flat_map(|(_, on, lines)| super::privilege_statements(&on, lines))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Attribute, Composite, Domain, DomainCheck, Range};

    fn domain(quoted: &str, created: u32, checks: &[(&str, u32)]) -> Domain {
        Domain {
            base: "text".to_owned(),
            not_null: true,
            default: Some("'x'::text".to_owned()),
            checks: checks
                .iter()
                .map(|(name, created)| DomainCheck {
                    name: (*name).to_owned(),
                    expression: "(VALUE <> ''::text)".to_owned(),
                    quoted: (*name).to_owned(),
                    definition: "CHECK ((VALUE <> ''::text))".to_owned(),
                    created: *created,
                })
                .collect(),
            comment: None,
            quoted: quoted.to_owned(),
            collation: Some(("pg_catalog".to_owned(), "\"C\"".to_owned())),
            privileges: Vec::new(),
            created,
        }
    }

    fn composite(quoted: &str, created: u32, of_extension: bool) -> Composite {
        Composite {
            attributes: vec![Attribute {
                name: "a b".to_owned(),
                data_type: "app.code".to_owned(),
                quoted: "\"a b\"".to_owned(),
                collation: None,
                comment: Some("it's".to_owned()),
            }],
            quoted: quoted.to_owned(),
            of_extension,
            created,
        }
    }

    /// Domains, ranges and composite types come in the order they were created, whatever their kinds and
    /// names (a composite type of a domain after it), a domain's checks in the order they were added; an
    /// extension's composite type is left to the extension, its attributes' comments are written.
    #[test]
    fn types_are_created_in_creation_order_whatever_their_kinds() {
        let mut model = Model::default();
        let key = |name: &str| ("app".to_owned(), name.to_owned());
        model
            .domains
            .insert(key("code"), domain("app.code", 20, &[("a_second", 22), ("z_first", 21)]));
        model.ranges.insert(
            key("span"),
            Range {
                subtype: "double precision".to_owned(),
                subtype_diff: Some("float8mi".to_owned()),
                quoted: "app.span".to_owned(),
                privileges: vec!["grant USAGE to alice".to_owned(), "revoke USAGE from PUBLIC".to_owned()],
                comment: None,
                created: 30,
            },
        );
        model.composites.insert(key("a_pair"), composite("app.a_pair", 40, false));
        model.composites.insert(key("ext"), composite("app.ext", 10, true));
        assert_eq!(
            types(&model),
            [
                "CREATE DOMAIN app.code AS text COLLATE pg_catalog.\"C\" DEFAULT 'x'::text NOT NULL",
                "ALTER DOMAIN app.code ADD CONSTRAINT z_first CHECK ((VALUE <> ''::text))",
                "ALTER DOMAIN app.code ADD CONSTRAINT a_second CHECK ((VALUE <> ''::text))",
                "CREATE TYPE app.span AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi)",
                "CREATE TYPE app.a_pair AS (\"a b\" app.code)",
            ]
        );
        assert_eq!(
            type_comments(&model),
            [
                "COMMENT ON COLUMN app.a_pair.\"a b\" IS 'it''s'",
                "COMMENT ON COLUMN app.ext.\"a b\" IS 'it''s'"
            ]
        );
        assert_eq!(
            type_privileges(&model),
            ["REVOKE USAGE ON TYPE app.span FROM PUBLIC", "GRANT USAGE ON TYPE app.span TO alice"]
        );
    }
}
