//! Schemas, sequences and functions (procedures) as SQL: created at their places in the order of
//! [`crate::schema::reader::ddl`], their comments and privileges with the other kinds'.

use migrate_dsl::literal;

use super::privilege_statements;
use crate::schema::model::{Function, Model, Sequence};

/// `CREATE SCHEMA` for each schema but `public` (every database has it), in the order they were created.
pub(crate) fn schemas(model: &Model) -> Vec<String> {
    let mut schemas: Vec<_> = model
        .schemas
        .iter()
        .filter(|(name, _)| name.as_str() != "public")
        .map(|(_, schema)| schema)
        .collect();
    schemas.sort_by_key(|schema| schema.created);
    schemas
        .into_iter()
        .map(|schema| format!("CREATE SCHEMA {}", schema.quoted))
        .collect()
}

/// `COMMENT ON SCHEMA` for each schema with a comment (the caller sorts them with the other comments).
pub(crate) fn schema_comments(model: &Model) -> Vec<String> {
    model
        .schemas
        .values()
        .filter_map(|schema| {
            let comment = schema.comment.as_deref()?;
            Some(format!(
                "COMMENT ON SCHEMA {} IS {}",
                schema.quoted,
                literal(comment)
            ))
        })
        .collect()
}

/// `GRANT` and `REVOKE` on each schema, in the order they were created.
pub(crate) fn schema_privileges(model: &Model) -> Vec<String> {
    let mut schemas: Vec<_> = model.schemas.values().collect();
    schemas.sort_by_key(|schema| schema.created);
    schemas
        .into_iter()
        .flat_map(|schema| {
            privilege_statements(&format!("SCHEMA {}", schema.quoted), &schema.privileges)
        })
        .collect()
}

/// The sequences the SQL creates (not identity columns': their columns make them), in the order they were
/// created.
fn created_sequences(model: &Model) -> Vec<&Sequence> {
    let mut sequences: Vec<_> = model.sequences.values().filter(|s| !s.identity).collect();
    sequences.sort_by_key(|sequence| sequence.created);
    sequences
}

/// `CREATE SEQUENCE` with every setting, in the order they were created.
pub(crate) fn sequences(model: &Model) -> Vec<String> {
    created_sequences(model)
        .into_iter()
        .map(|s| {
            format!(
                "CREATE {}SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{}",
                if s.unlogged { "UNLOGGED " } else { "" },
                s.quoted,
                s.data_type,
                s.increment,
                s.min,
                s.max,
                s.start,
                s.cache,
                if s.cycle { " CYCLE" } else { "" }
            )
        })
        .collect()
}

/// `ALTER SEQUENCE .. OWNED BY` for the sequences [`sequences`] creates that a column owns: once the tables
/// exist.
pub(crate) fn sequence_owners(model: &Model) -> Vec<String> {
    created_sequences(model)
        .into_iter()
        .filter_map(|s| {
            Some(format!(
                "ALTER SEQUENCE {} OWNED BY {}",
                s.quoted,
                s.owner_quoted.as_ref()?
            ))
        })
        .collect()
}

/// `COMMENT ON SEQUENCE` for each sequence with a comment, an identity column's too (the caller sorts them).
pub(crate) fn sequence_comments(model: &Model) -> Vec<String> {
    model
        .sequences
        .values()
        .filter_map(|s| {
            Some(format!(
                "COMMENT ON SEQUENCE {} IS {}",
                s.quoted,
                literal(s.comment.as_deref()?)
            ))
        })
        .collect()
}

/// `GRANT` and `REVOKE` on each sequence, an identity column's too, in the order they were created.
pub(crate) fn sequence_privileges(model: &Model) -> Vec<String> {
    let mut sequences: Vec<_> = model.sequences.values().collect();
    sequences.sort_by_key(|sequence| sequence.created);
    sequences
        .into_iter()
        .flat_map(|s| privilege_statements(&format!("SEQUENCE {}", s.quoted), &s.privileges))
        .collect()
}

/// The functions and procedures the SQL writes (comments and privileges included: those PostgreSQL made
/// for a type exist once the type does), in the order they were created.
fn routines(model: &Model) -> Vec<&Function> {
    let mut routines: Vec<_> = model
        .functions
        .values()
        .filter(|f| matches!(f.kind, 'f' | 'p'))
        .collect();
    routines.sort_by_key(|function| function.created);
    routines
}

fn word(function: &Function) -> &'static str {
    if function.kind == 'p' {
        "PROCEDURE"
    } else {
        "FUNCTION"
    }
}

/// The definitions (`CREATE OR REPLACE ..`) of the functions and procedures that need the tables
/// (`needing_tables`) or of the others, in the order they were created; not those PostgreSQL made for a
/// type (the type makes them).
pub(crate) fn functions(model: &Model, needing_tables: bool) -> Vec<String> {
    routines(model)
        .into_iter()
        .filter(|function| !function.internal && function.needs_tables == needing_tables)
        .map(|function| function.definition.trim_end().to_owned())
        .collect()
}

/// `COMMENT ON FUNCTION` / `PROCEDURE` for each one with a comment (the caller sorts them).
pub(crate) fn function_comments(model: &Model) -> Vec<String> {
    routines(model)
        .into_iter()
        .filter_map(|function| {
            let comment = function.comment.as_deref()?;
            Some(format!(
                "COMMENT ON {} {} IS {}",
                word(function),
                function.quoted,
                literal(comment)
            ))
        })
        .collect()
}

/// `GRANT` and `REVOKE` on each function and procedure, in the order they were created.
pub(crate) fn function_privileges(model: &Model) -> Vec<String> {
    routines(model)
        .into_iter()
        .flat_map(|function| {
            privilege_statements(
                &format!("{} {}", word(function), function.quoted),
                &function.privileges,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::Schema;

    fn sequence(quoted: &str, created: u32) -> Sequence {
        Sequence {
            data_type: "integer".to_owned(),
            start: 1,
            increment: 1,
            min: 1,
            max: 10,
            cache: 1,
            quoted: quoted.to_owned(),
            created,
            ..Sequence::default()
        }
    }

    /// Schemas are created in the order they were, but `public`, which every database has; their
    /// privileges' lines become statements on the schema, revokes first.
    #[test]
    fn schemas_but_public_are_created_in_creation_order_with_their_privileges() {
        let mut model = Model::default();
        for (name, quoted, created, privileges) in [
            ("public", "public", 2200, vec!["revoke USAGE from PUBLIC"]),
            ("b", "b", 20, vec![]),
            ("A'", "\"A'\"", 10, vec!["grant USAGE to alice", "revoke CREATE from bob"]),
        ] {
            let schema = Schema {
                quoted: quoted.to_owned(),
                created,
                privileges: privileges.into_iter().map(str::to_owned).collect(),
                comment: Some(format!("{name}'s")),
                ..Schema::default()
            };
            model.schemas.insert(name.to_owned(), schema);
        }
        assert_eq!(schemas(&model), ["CREATE SCHEMA \"A'\"", "CREATE SCHEMA b"]);
        assert_eq!(
            schema_privileges(&model),
            [
                "REVOKE CREATE ON SCHEMA \"A'\" FROM bob",
                "GRANT USAGE ON SCHEMA \"A'\" TO alice",
                "REVOKE USAGE ON SCHEMA public FROM PUBLIC"
            ]
        );
        assert_eq!(schema_comments(&model)[0], "COMMENT ON SCHEMA \"A'\" IS 'A''''s'");
    }

    /// Sequences are created in the order they were, an identity column's left out (its column makes it),
    /// and owned by their columns in the same order.
    #[test]
    fn sequences_but_identity_ones_are_created_in_creation_order_then_owned() {
        let mut model = Model::default();
        let mut owned = sequence("a.\"Owned\"", 30);
        owned.owner_quoted = Some("a.t.id".to_owned());
        owned.unlogged = true;
        let mut identity = sequence("a.t_n_seq", 5);
        identity.identity = true;
        identity.owner_quoted = Some("a.t.n".to_owned());
        let mut first = sequence("a.first", 10);
        first.cycle = true;
        for (name, s) in [("Owned", owned), ("t_n_seq", identity), ("first", first)] {
            model.sequences.insert(("a".to_owned(), name.to_owned()), s);
        }
        assert_eq!(
            sequences(&model),
            [
                "CREATE SEQUENCE a.first AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 10 START WITH 1 CACHE 1 CYCLE",
                "CREATE UNLOGGED SEQUENCE a.\"Owned\" AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 10 START WITH 1 \
                 CACHE 1"
            ]
        );
        assert_eq!(sequence_owners(&model), ["ALTER SEQUENCE a.\"Owned\" OWNED BY a.t.id"]);
    }
}
