//! The typed model written out: as the description's objects ([`described`]: the schema file, `verify`,
//! `schema check`, `drift`) and as SQL that recreates it ([`sql`]: `squash`, scratch databases).
//!
//! Only the kinds moved to the model so far are rendered here; the others are still read as text by
//! [`super::reader::described`] and [`super::reader::ddl`], each with its own query (see the module docs of
//! [`super::reader`]).

pub(crate) mod described;
pub(crate) mod sql;

#[cfg(test)]
mod tests {
    // The renderers quote literals with the builder's `literal`: it must write them as the server's
    // `quote_literal` does, which the description's text queries used before.
    use migrate_dsl::literal;

    #[test]
    fn literals_are_quoted_as_the_server_quotes_them() {
        assert_eq!(literal("happy"), "'happy'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b'c"), "E'a\\\\b''c'");
        assert_eq!(literal(""), "''");
    }
}
