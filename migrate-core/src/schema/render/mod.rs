//! The typed model written out: as the description's objects ([`described`]: the schema file, `verify`,
//! `schema check`, `drift`) and as SQL that recreates it ([`sql`]: `squash`, scratch databases).
//!
//! Only the kinds moved to the model so far are rendered here; the others are still read as text by
//! [`super::reader::described`] and [`super::reader::ddl`], each with its own query (see the module docs of
//! [`super::reader`]).

pub(crate) mod described;
pub(crate) mod sql;
