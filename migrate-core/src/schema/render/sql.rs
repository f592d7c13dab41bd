//! The typed model's objects as SQL statements that recreate them on an empty database, each kind at its
//! place in the order of [`crate::schema::reader::ddl`].

use crate::schema::model::Model;

/// `CREATE EXTENSION` for each extension, in the order they were created (one may need another).
pub(crate) fn extensions(model: &Model) -> Vec<String> {
    let mut extensions: Vec<_> = model.extensions.values().collect();
    extensions.sort_by_key(|extension| extension.created);
    extensions
        .into_iter()
        .map(|extension| {
            let (name, schema) = &extension.quoted;
            format!("CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {schema}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::Extension;

    /// Extensions are created in the order they were (an extension may need one created before it), not in
    /// the order of their names, with the names as the server quoted them.
    #[test]
    fn extensions_are_created_in_creation_order_with_their_quoted_names() {
        let mut model = Model::default();
        for (name, quoted, created) in [("a_later", "a_later", 20), ("Zeta", "\"Zeta\"", 10)] {
            model.extensions.insert(
                name.to_owned(),
                Extension {
                    schema: "ext".to_owned(),
                    quoted: (quoted.to_owned(), "ext".to_owned()),
                    created,
                },
            );
        }
        assert_eq!(
            extensions(&model),
            [
                "CREATE EXTENSION IF NOT EXISTS \"Zeta\" WITH SCHEMA ext",
                "CREATE EXTENSION IF NOT EXISTS a_later WITH SCHEMA ext"
            ]
        );
    }
}
