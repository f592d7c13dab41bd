//! Identifiers and (optionally schema-qualified) object names.
//!
//! A string is always one identifier: `"app.users"` names a table called `app.users`, exactly as PostgreSQL
//! would read `"app.users"`. Qualify with a tuple instead: `("app", "users")`. Guessing at dots would turn
//! legitimate names into surprises, the same class of bug as strings silently becoming identifiers.

use crate::error::DslError;

/// PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated by the server.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// One SQL identifier, stored unquoted. It is quoted when rendered, so upper case, spaces and quotes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Ident(pub(crate) String);

impl Ident {
    /// Wraps a name. Nothing is validated until rendering, where errors name the operation.
    pub fn new(name: impl Into<String>) -> Self {
        Ident(name.into())
    }

    /// The unquoted name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Validates the identifier for use by operation `op` at `position`.
    pub(crate) fn check(
        &self,
        op: &'static str,
        position: usize,
        what: &'static str,
    ) -> Result<(), DslError> {
        if self.0.is_empty() {
            return Err(DslError::EmptyIdentifier { op, position, what });
        }
        if self.0.contains('\0') {
            return Err(DslError::NulInIdentifier {
                op,
                position,
                name: self.0.clone(),
            });
        }
        if self.0.len() > MAX_IDENTIFIER_BYTES {
            return Err(DslError::IdentifierTooLong {
                op,
                position,
                name: self.0.clone(),
                bytes: self.0.len(),
            });
        }
        Ok(())
    }
}

impl From<&str> for Ident {
    fn from(s: &str) -> Self {
        Ident(s.to_owned())
    }
}
impl From<String> for Ident {
    fn from(s: String) -> Self {
        Ident(s)
    }
}
impl From<&String> for Ident {
    fn from(s: &String) -> Self {
        Ident(s.clone())
    }
}
impl From<&Ident> for Ident {
    fn from(s: &Ident) -> Self {
        s.clone()
    }
}

/// The name of a table, index or other schema object, optionally qualified by its schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Name {
    pub(crate) schema: Option<Ident>,
    pub(crate) name: Ident,
}

impl Name {
    /// An unqualified name, resolved through the `search_path`.
    pub fn new(name: impl Into<Ident>) -> Self {
        Name {
            schema: None,
            name: name.into(),
        }
    }

    /// A schema-qualified name.
    pub fn qualified(schema: impl Into<Ident>, name: impl Into<Ident>) -> Self {
        Name {
            schema: Some(schema.into()),
            name: name.into(),
        }
    }

    /// The schema, when qualified.
    pub fn schema(&self) -> Option<&Ident> {
        self.schema.as_ref()
    }

    /// The object's own name.
    pub fn name(&self) -> &Ident {
        &self.name
    }

    /// The name quoted for SQL: `"app"."posts"` or `"posts"`.
    ///
    /// ```
    /// use migrate_dsl::Name;
    /// assert_eq!(Name::from(("app", "Posts")).quoted(), r#""app"."Posts""#);
    /// ```
    pub fn quoted(&self) -> String {
        quote_name(self)
    }

    /// The same schema with another object name (a renamed table keeps its schema; an index lives in its
    /// table's schema).
    pub(crate) fn sibling(&self, name: Ident) -> Name {
        Name {
            schema: self.schema.clone(),
            name,
        }
    }

    pub(crate) fn check(
        &self,
        op: &'static str,
        position: usize,
        what: &'static str,
    ) -> Result<(), DslError> {
        if let Some(schema) = &self.schema {
            schema.check(op, position, "schema")?;
        }
        self.name.check(op, position, what)
    }
}

impl<T: Into<Ident>> From<T> for Name {
    fn from(name: T) -> Self {
        Name::new(name)
    }
}

impl<S: Into<Ident>, N: Into<Ident>> From<(S, N)> for Name {
    fn from((schema, name): (S, N)) -> Self {
        Name::qualified(schema, name)
    }
}

/// Quoting of the typed names, for the renderers.
pub(crate) fn quote_ident(name: &Ident) -> String {
    crate::quote::ident(name.as_str())
}

pub(crate) fn quote_name(name: &Name) -> String {
    match &name.schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&name.name)),
        None => quote_ident(&name.name),
    }
}

pub(crate) fn quote_list(idents: &[Ident]) -> String {
    idents
        .iter()
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(", ")
}
