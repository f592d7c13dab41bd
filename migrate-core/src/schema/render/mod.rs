//! The typed model written out: as the description's objects ([`described`]: the schema file, `verify`,
//! `schema check`, `drift`) and as SQL that recreates it ([`sql`]: `squash`, scratch databases).
//!
//! Only the kinds moved to the model so far are rendered here; the others are still read as text by
//! [`super::reader::described`] and [`super::reader::ddl`], each with its own query (see the module docs of
//! [`super::reader`]).

pub(crate) mod described;
pub(crate) mod sql;

/// `value` as an SQL string literal, as the server's `quote_literal` writes it: quotes doubled, and a value
/// holding a backslash written as an escape string (`E'..'`) with its backslashes doubled.
pub(crate) fn quote_literal(value: &str) -> String {
    let escape = if value.contains('\\') { "E" } else { "" };
    format!("{escape}'{}'", value.replace('\'', "''").replace('\\', "\\\\"))
}

#[cfg(test)]
mod tests {
    use super::quote_literal;

    #[test]
    fn literals_are_quoted_as_the_server_quotes_them() {
        assert_eq!(quote_literal("happy"), "'happy'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
        assert_eq!(quote_literal(""), "''");
    }
}
