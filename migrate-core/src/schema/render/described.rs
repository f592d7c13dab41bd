//! The typed model's objects as the description shows them: one [`SchemaObject`] per object, its name and
//! lines as the server quotes and prints them, so the schema file's text is the same whichever reader made it.

use crate::schema::description::{Kind, SchemaObject};
use crate::schema::model::Model;

/// The objects of the kinds the description renders from the model, in any order (the description sorts).
pub(crate) fn objects(model: &Model, out: &mut Vec<SchemaObject>) {
    extensions(model, out);
}

fn extensions(model: &Model, out: &mut Vec<SchemaObject>) {
    for extension in model.extensions.values() {
        let (name, schema) = &extension.quoted;
        let mut object = SchemaObject::new(Kind::Extension, name.clone());
        object.summary(format!("schema {schema}"));
        out.push(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::description::SchemaDescription;
    use crate::schema::model::Extension;

    /// An extension shows as the schema file has always shown it: its quoted name, then its schema.
    #[test]
    fn an_extension_is_described_by_its_quoted_name_and_schema() {
        let mut model = Model::default();
        model.extensions.insert(
            "uuid-ossp".to_owned(),
            Extension {
                schema: "My Schema".to_owned(),
                quoted: ("\"uuid-ossp\"".to_owned(), "\"My Schema\"".to_owned()),
                created: 16390,
            },
        );
        let mut objects = Vec::new();
        super::objects(&model, &mut objects);
        let text = SchemaDescription::new(objects).render();
        assert!(
            text.ends_with("\nextension \"uuid-ossp\" schema \"My Schema\"\n"),
            "{text}"
        );
    }
}
