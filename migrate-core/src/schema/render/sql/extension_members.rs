//! What a user gave an extension's own objects ([`ExtensionMember`]) as SQL: the extension makes the
//! objects, the SQL writes their comments (with the others', sorted, in [`crate::schema::reader::ddl`]) and
//! their privileges (after the schemas').

use migrate_dsl::literal;

use super::privilege_statements;
use crate::schema::model::{ExtensionMember, Model};

/// `COMMENT ON <kind> <name>` for each extension member with a comment.
pub(crate) fn extension_member_comments(model: &Model) -> Vec<String> {
    model
        .extension_members
        .iter()
        .filter_map(|member| {
            let comment = member.comment.as_deref()?;
            Some(format!(
                "COMMENT ON {} {} IS {}",
                member.kind,
                member.name,
                literal(comment)
            ))
        })
        .collect()
}

/// `GRANT` and `REVOKE` on each extension member, in the model's order (types, sequences, functions).
pub(crate) fn extension_member_privileges(model: &Model) -> Vec<String> {
    model
        .extension_members
        .iter()
        .flat_map(|member: &ExtensionMember| {
            privilege_statements(&format!("{} {}", member.kind, member.name), &member.privileges)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_members_comment_and_privileges_become_statements() {
        let mut model = Model::default();
        model.extension_members.push(ExtensionMember {
            kind: "FUNCTION",
            name: "ext.\"F\"(integer,text)".to_owned(),
            comment: Some("it's \\ here".to_owned()),
            privileges: vec![
                "grant EXECUTE to alice with grant option".to_owned(),
                "revoke EXECUTE from PUBLIC".to_owned(),
            ],
        });
        model.extension_members.push(ExtensionMember {
            kind: "SCHEMA",
            name: "ext".to_owned(),
            comment: None,
            privileges: Vec::new(),
        });
        assert_eq!(
            extension_member_comments(&model),
            ["COMMENT ON FUNCTION ext.\"F\"(integer,text) IS E'it''s \\\\ here'"]
        );
        assert_eq!(
            extension_member_privileges(&model),
            [
                "REVOKE EXECUTE ON FUNCTION ext.\"F\"(integer,text) FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION ext.\"F\"(integer,text) TO alice with grant option",
            ]
        );
    }
}
