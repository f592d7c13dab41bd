//! The objects of the model other than tables: extensions, enums, default privileges, schemas, domains,
//! sequences, functions and event triggers (the other types, operators and casts are in [`super::types`],
//! views in [`super::views`]).

use super::QName;

/// An extension (one a user created: those initdb installed are part of every database). Its version is not
/// read: it depends on the packages installed on the server, not on the migrations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Extension {
    /// The schema its objects are in.
    pub schema: String,
    /// Its name and its schema's as the server quotes them (`quote_ident`): what the description and the SQL
    /// show.
    pub quoted: (String, String),
    /// Its oid: the SQL creates extensions in the order they were created (one may need another).
    pub created: u32,
}

/// An enum type (not one an extension installed: the extension stands for it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Enum {
    /// Its labels, in their order.
    pub labels: Vec<String>,
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// What was granted or revoked on it relative to its defaults, as the description's `grant ... to ...` /
    /// `revoke ... from ...` lines (the server's text, sorted; the owner's own left out). `diff` does not
    /// compare them (it lists them as not generated).
    pub privileges: Vec<String>,
    pub comment: Option<String>,
    /// Its oid: the SQL creates types in the order they were created.
    pub created: u32,
}

/// One granted (or revoked) privilege of the defaults for objects `role` creates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DefaultPrivilege {
    pub role: String,
    /// Only in this schema; `None` for the whole database.
    pub schema: Option<String>,
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES`, `SCHEMAS`.
    pub objects: String,
    /// Granted beyond the defaults (`true`) or revoked from them.
    pub granted: bool,
    pub grantee: String,
    pub privilege: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Schema {
    pub comment: Option<String>,
    /// `(grantee, privilege)` granted on it beyond the owner's own.
    pub grants: Vec<(String, String)>,
    /// Its name as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// What was granted or revoked on it relative to its defaults (initdb's for `public`), as the
    /// description's `grant ... to ...` / `revoke ... from ...` lines (the server's text, sorted; the owner's
    /// own left out). `diff` compares `grants`.
    pub privileges: Vec<String>,
    /// Its oid: the SQL creates schemas in the order they were created.
    pub created: u32,
}

/// A domain (not one an extension installed). `diff` compares what it does (its base type, `NOT NULL`,
/// default, checks and comment: see `same_domain` in `diff/objects.rs`), not the fields that only render it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Domain {
    pub base: String,
    pub not_null: bool,
    /// As the catalog holds it (`typdefault`): what the description and the SQL show.
    pub default: Option<String>,
    /// Its checks, by name.
    pub checks: Vec<DomainCheck>,
    pub comment: Option<String>,
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// Its collation when it is not its base type's, as the server quotes it: `(schema, name)`. The
    /// description shows the name, the SQL both.
    pub collation: Option<(String, String)>,
    /// What was granted or revoked on it relative to its defaults, as the description's lines (the server's
    /// text, sorted; the owner's own left out).
    pub privileges: Vec<String>,
    /// Its oid: the SQL creates domains, ranges and composite types in the order they were created (one may
    /// use another).
    pub created: u32,
}

/// A check of a domain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DomainCheck {
    pub name: String,
    /// `pg_get_expr`: what `diff` compares and writes.
    pub expression: String,
    /// Its name as the server quotes it.
    pub quoted: String,
    /// `pg_get_constraintdef` (`CHECK (...)`, ` NOT VALID`): what the description and the SQL show.
    pub definition: String,
    /// Its oid: the SQL adds a domain's checks in the order they were added.
    pub created: u32,
}

/// A sequence (not one an extension installed, nor one a table of the engine's bookkeeping owns). The
/// description shows every one; `diff` compares those it reads as sequences ([`Sequence::diffed`]: not an
/// identity column's, which is the column's); the SQL creates all but identity columns'.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Sequence {
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `(table, column)` for `OWNED BY`; `serial` when made by a serial column's type.
    pub owned_by: Option<(QName, String)>,
    pub comment: Option<String>,
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// The owning column as the server quotes it (`schema.table.column`), an identity column's too.
    pub owner_quoted: Option<String>,
    /// An identity column's: the column makes it.
    pub identity: bool,
    pub unlogged: bool,
    /// What was granted or revoked on it relative to its defaults, as the description's lines (see
    /// [`Enum::privileges`]). `diff` does not compare them.
    pub privileges: Vec<String>,
    /// Its oid: the SQL creates sequences in the order they were created.
    pub created: u32,
    /// Whether `diff` compares it: a sequence no column owns, or a serial column's of a table the model
    /// reads (not an identity column's, nor one named as the engine's bookkeeping is).
    pub diffed: bool,
}

/// A function, procedure, aggregate or window function (not one an extension installed). `diff` compares
/// functions and procedures ([`Function::diffed`]); the description shows every one but those PostgreSQL
/// makes for a type; the SQL recreates functions and procedures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    /// `prokind`: `f` function, `p` procedure, `a` aggregate, `w` window function.
    pub kind: char,
    pub procedure: bool,
    pub params: Vec<Param>,
    /// `pg_get_function_result`; `None` for a procedure.
    pub result: Option<String>,
    pub language: String,
    pub body: String,
    pub volatility: char,
    pub strict: bool,
    pub security_definer: bool,
    pub parallel: char,
    pub config: Vec<(String, String)>,
    /// `pg_get_functiondef`: what two functions are compared by, and what a procedure is written from
    /// (empty for an aggregate, which has none).
    pub definition: String,
    pub comment: Option<String>,
    /// Made by PostgreSQL for a type (a range's constructors): the type's, neither described nor created.
    pub internal: bool,
    /// The description's name: `schema.name(argument types)`, quoted as the server quotes names, the input
    /// argument types separated by `, `.
    pub signature: String,
    /// What `COMMENT ON` and `GRANT` name it by: the server's `regprocedure` text.
    pub quoted: String,
    /// What was granted or revoked on it relative to its defaults, as the description's lines (see
    /// [`Enum::privileges`]). `diff` does not compare them.
    pub privileges: Vec<String>,
    /// Its signature or body needs a table (a table's row type, a `BEGIN ATOMIC` body): the SQL creates it
    /// after the tables, the others before them (a column default may call them).
    pub needs_tables: bool,
    /// Its oid: the SQL creates functions in the order they were created.
    pub created: u32,
}

impl Function {
    /// Whether `diff` compares it: functions and procedures, not aggregates and window functions.
    pub(crate) fn diffed(&self) -> bool {
        matches!(self.kind, 'f' | 'p')
    }
}

/// An event trigger (not one an extension installed). Described only: the SQL does not recreate it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventTrigger {
    /// Its name as the server quotes it (`quote_ident`).
    pub quoted: String,
    /// The event it fires on (`ddl_command_start`, ...).
    pub event: String,
    /// The function it executes, as the server's `regprocedure` text.
    pub function: String,
    /// The command tags of its `WHEN TAG IN`, in the server's order of them; empty for every command.
    pub tags: Vec<String>,
    /// `evtenabled`: `O` enabled, `D` disabled, `R` replica, `A` always.
    pub enabled: char,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub name: Option<String>,
    pub data_type: String,
    /// `i`, `o`, `b` (inout), `v` (variadic), `t` (a column of `RETURNS TABLE`).
    pub mode: char,
    pub default: Option<String>,
}
