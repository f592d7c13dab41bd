//! The types other than enums and domains (ranges and composite types), operators, operator families and
//! casts. `diff` compares composite types (their attributes' names and types); it writes none of the others,
//! so for them the model holds what the description and the SQL show.

/// A range type (not one an extension installed).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    /// `format_type` of its subtype.
    pub subtype: String,
    /// Its `subtype_diff` function as `regproc` prints it (qualified unless in `pg_catalog`).
    pub subtype_diff: Option<String>,
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// What was granted or revoked on it relative to its defaults, as the description's lines (the server's
    /// text, sorted; the owner's own left out).
    pub privileges: Vec<String>,
    pub comment: Option<String>,
    /// Its oid: the SQL creates domains, ranges and composite types in the order they were created.
    pub created: u32,
}

/// A composite type (`CREATE TYPE .. AS (..)`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Composite {
    /// In their order.
    pub attributes: Vec<Attribute>,
    /// `schema.name` as the server quotes it.
    pub quoted: String,
    /// One an extension installed. PostgreSQL marks the type as the extension's member, not the relation
    /// behind it, which is what the description has always read composite types as: the description shows
    /// them, the SQL and `diff` leave them out (the extension makes them).
    pub of_extension: bool,
    /// Its oid: the SQL creates domains, ranges and composite types in the order they were created.
    pub created: u32,
}

/// An attribute of a composite type. `diff` compares its name and type only.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attribute {
    pub name: String,
    /// `format_type`.
    pub data_type: String,
    /// Its name as the server quotes it.
    pub quoted: String,
    /// Its collation when it is not its type's, as the server quotes it: `(schema, name)`.
    pub collation: Option<(String, String)>,
    pub comment: Option<String>,
}

/// An operator (not one an extension installed).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operator {
    /// `schema.name(left, right)`, the schema as the server quotes it and each side's `format_type`
    /// (`NONE` for a prefix operator's left): what the description shows.
    pub quoted: String,
    /// Its function as `regprocedure` prints it.
    pub function: String,
    /// `format_type` of its result.
    pub result: String,
    /// Its commutator and negator as `regoperator` prints them.
    pub commutator: Option<String>,
    pub negator: Option<String>,
    /// Its restriction and join selectivity functions as `regprocedure` prints them.
    pub restrict: Option<String>,
    pub join: Option<String>,
    pub hashes: bool,
    pub merges: bool,
    pub comment: Option<String>,
}

/// An operator family with its operator classes and members.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OperatorFamily {
    /// `schema.name` as the server quotes it.
    pub quoted: String,
    /// Its access method as the server quotes it.
    pub method: String,
    /// Its operator classes, by name.
    pub classes: Vec<OperatorClass>,
    /// Its operators and support functions as the description's lines (`operator 1 app.===(..)`,
    /// `function 1 (.., ..) app.f(..)`), sorted by the server as text: in the database's collation, which
    /// is not the byte order the description would sort them in.
    pub members: Vec<String>,
}

/// An operator class, shown with its family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OperatorClass {
    /// `schema.name` as the server quotes it.
    pub quoted: String,
    /// `format_type` of the type it indexes.
    pub for_type: String,
    pub default: bool,
    /// `format_type` of what the index stores, when not the type itself.
    pub storage: Option<String>,
}

/// A cast made after initdb (not one an extension made, nor one PostgreSQL made for a type itself).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cast {
    /// `format_type` of its source and target.
    pub source: String,
    pub target: String,
    /// Its function as `regprocedure` prints it; `None` for a cast `WITH INOUT` or `WITHOUT FUNCTION`.
    pub function: Option<String>,
    /// `WITH INOUT` (else without function, when `function` is `None`).
    pub inout: bool,
    /// `i` implicit, `a` on assignment, `e` explicit.
    pub context: char,
    pub comment: Option<String>,
}
