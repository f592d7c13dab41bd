//! One schema's part of a description: what a fleet's schema target is compared on. Tenants' schemas have
//! other names than the scratch schema their migrations are built in, so a slice can be shown under another
//! schema's name: every `schema.` that names it, in object names and lines, becomes the other's.

use super::description::{Kind, SchemaDescription, SchemaObject};

/// The objects of one schema (and the schema itself), with the schema's name as PostgreSQL quotes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSlice {
    description: SchemaDescription,
    quoted: String,
}

impl SchemaSlice {
    /// `all` split by schema: each schema with its objects, in the description's order of schemas.
    pub(crate) fn by_schema(all: SchemaDescription) -> Vec<SchemaSlice> {
        let mut slices: std::collections::BTreeMap<String, Vec<SchemaObject>> = Default::default();
        for object in all.objects() {
            let schema = match object.kind() {
                Kind::Schema => Some(object.name()),
                _ => schema_of(object.name()),
            };
            if let Some(schema) = schema {
                slices.entry(schema.to_owned()).or_default().push(object.clone());
            }
        }
        slices
            .into_iter()
            .map(|(quoted, objects)| SchemaSlice {
                description: SchemaDescription::new(objects),
                quoted,
            })
            .collect()
    }

    /// The schema's name, as PostgreSQL quotes it (`quote_ident`).
    pub fn quoted(&self) -> &str {
        &self.quoted
    }

    /// The objects.
    pub fn description(&self) -> &SchemaDescription {
        &self.description
    }

    /// These objects as they would be in the schema `quoted` (as `quote_ident` gives it): this schema's name
    /// replaced by that one wherever it qualifies a name.
    pub fn as_schema(&self, quoted: &str) -> SchemaSlice {
        let (from, to) = (&self.quoted, &quoted.to_owned());
        if from == to {
            return self.clone();
        }
        let objects = self
            .description
            .objects()
            .iter()
            .map(|o| {
                let name = match o.kind() {
                    Kind::Schema => to.clone(),
                    _ => rename(o.name(), from, to),
                };
                o.with_text(name, |line| rename(line, from, to))
            })
            .collect::<Vec<SchemaObject>>();
        SchemaSlice {
            description: SchemaDescription::new(objects),
            quoted: to.clone(),
        }
    }
}

/// The schema part of a qualified name as the catalog writes it (`quote_ident` of each part): up to the
/// first dot outside double quotes; `None` for a name of the whole database.
fn schema_of(name: &str) -> Option<&str> {
    let mut quoted = false;
    for (at, c) in name.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => return Some(&name[..at]),
            _ => {}
        }
    }
    None
}

/// `text` with each `from.` that starts a qualified name (not the end of a longer identifier, nor a name after
/// another qualifier) as `to.`.
fn rename(text: &str, from: &str, to: &str) -> String {
    let needle = format!("{from}.");
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(&needle) {
        if at < copied {
            continue;
        }
        let before = text[..at].chars().last();
        let starts_a_name = !before
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '"' | '.'));
        if starts_a_name {
            out.push_str(&text[copied..at]);
            out.push_str(to);
            out.push('.');
            copied = at + needle.len();
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_name_is_replaced_only_where_it_qualifies_a_name() {
        assert_eq!(
            rename("tenant_1.items REFERENCES tenant_1.users(id)", "tenant_1", "t2"),
            "t2.items REFERENCES t2.users(id)"
        );
        // The end of a longer identifier, or a name after another qualifier, is not the schema.
        assert_eq!(rename("old_tenant_1.x, a.tenant_1.y", "tenant_1", "t2"), "old_tenant_1.x, a.tenant_1.y");
        assert_eq!(rename("(tenant_1.f(1))", "tenant_1", "t2"), "(t2.f(1))");
        assert_eq!(rename("\"Tenant\".x", "\"Tenant\"", "t2"), "t2.x");
    }

    #[test]
    fn a_description_splits_by_schema_and_a_slice_shows_under_another_name() {
        let object = |kind, name: &str, line: &str| {
            let mut o = SchemaObject::new(kind, name.to_owned());
            o.line(line);
            o
        };
        let all = SchemaDescription::new(vec![
            object(Kind::Schema, "t1", "comment x"),
            object(Kind::Schema, "\"T.2\"", "comment y"),
            object(Kind::Table, "t1.items", "note text REFERENCES t1.users(id)"),
            object(Kind::Table, "\"T.2\".items", "note text"),
            object(Kind::Extension, "pgcrypto", "in public"),
        ]);
        let slices = SchemaSlice::by_schema(all);
        let split: Vec<(&str, Vec<&str>)> = slices
            .iter()
            .map(|s| (s.quoted(), s.description().objects().iter().map(|o| o.name()).collect()))
            .collect();
        assert_eq!(
            split,
            [("\"T.2\"", vec!["\"T.2\"", "\"T.2\".items"]), ("t1", vec!["t1", "t1.items"])]
        );
        let renamed = slices[1].as_schema(slices[0].quoted());
        let shown: Vec<(String, Vec<String>)> = renamed
            .description()
            .objects()
            .iter()
            .map(|o| (o.name().to_owned(), o.lines().to_vec()))
            .collect();
        assert_eq!(
            shown,
            [
                ("\"T.2\"".to_owned(), vec!["comment x".to_owned()]),
                (
                    "\"T.2\".items".to_owned(),
                    vec!["note text REFERENCES \"T.2\".users(id)".to_owned()]
                ),
            ]
        );
    }
}
