//! What a user gave an extension's own objects: the comments and privileges of the schemas, sequences,
//! functions and procedures, enums, domains and ranges an extension made. The model leaves an extension's
//! members out of its maps (the extension stands for them: `diff` and the description must not see them),
//! but the extension does not make what a user added to them after it, so the SQL writes it.

/// One of an extension's objects with a comment or privileges a user gave it. Neither `diff` nor the
/// description reads these; only the SQL renders them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExtensionMember {
    /// The SQL word of its kind: `SCHEMA`, `SEQUENCE`, `FUNCTION`, `PROCEDURE`, `TYPE` (an enum or range)
    /// or `DOMAIN`.
    pub kind: &'static str,
    /// Its name as the server prints it (qualified and quoted where needed; a function's with its argument
    /// types).
    pub name: String,
    pub comment: Option<String>,
    /// The privileges' `grant ...` / `revoke ...` lines relative to what the extension gave it (its initial
    /// privileges), sorted. An extension's schemas have none here: the SQL has never written theirs.
    pub privileges: Vec<String>,
}
