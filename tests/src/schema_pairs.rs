//! Random schemas and random edits of them, as (before, after) SQL pairs for `migrate diff`'s round trip
//! (`tests/tests/diff_pairs.rs`).
//!
//! A [`Pair`] is a base schema (a list of [`Item`]s: schemas, enums, sequences, tables with columns of many
//! types, keys, checks, foreign keys, indexes, views, functions, triggers, row-level security, policies and
//! comments) and a list of [`Edit`]s (an object added, dropped or changed; a column added, dropped or
//! altered). `before` is the base's SQL, `after` the SQL of the base with the edits applied. Every item checks
//! what it needs against the others (a column, a key to reference, a function, a type of the right kind), and
//! what no longer has it is left out ([`prune`]): a dropped column takes the index, view or policy on it along,
//! as `DROP .. CASCADE` would. So any subset of the items and of the edits is a valid pair too, which is what
//! shrinking a failing pair needs ([`Pair::smaller`]).
//!
//! An edit may look like a rename to `migrate diff` (a column dropped next to a new one of its type): the test
//! declines every proposal, so that a full plan is written. Everything is drawn from a seeded `fastrand`
//! generator, so a seed replays its pair exactly.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A kind of object or change the generator may draw; the test runs with a subset of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Schema,
    Enum,
    EnumValue,
    Sequence,
    Default,
    NotNull,
    TypeChange,
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    Index,
    PartialIndex,
    ExpressionIndex,
    GinIndex,
    View,
    ViewOverView,
    MaterializedView,
    SqlFunction,
    PlpgsqlFunction,
    Trigger,
    RowLevelSecurity,
    Policy,
    Comment,
    Drop,
    QuotedNames,
}

impl Kind {
    /// Every kind, in the order `DIFF_KINDS` names them.
    pub const ALL: &'static [Kind] = &[
        Kind::Schema,
        Kind::Enum,
        Kind::EnumValue,
        Kind::Sequence,
        Kind::Default,
        Kind::NotNull,
        Kind::TypeChange,
        Kind::PrimaryKey,
        Kind::Unique,
        Kind::Check,
        Kind::ForeignKey,
        Kind::Index,
        Kind::PartialIndex,
        Kind::ExpressionIndex,
        Kind::GinIndex,
        Kind::View,
        Kind::ViewOverView,
        Kind::MaterializedView,
        Kind::SqlFunction,
        Kind::PlpgsqlFunction,
        Kind::Trigger,
        Kind::RowLevelSecurity,
        Kind::Policy,
        Kind::Comment,
        Kind::Drop,
        Kind::QuotedNames,
    ];

    /// The name `DIFF_KINDS` uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Enum => "enum",
            Kind::EnumValue => "enum_value",
            Kind::Sequence => "sequence",
            Kind::Default => "default",
            Kind::NotNull => "not_null",
            Kind::TypeChange => "type_change",
            Kind::PrimaryKey => "primary_key",
            Kind::Unique => "unique",
            Kind::Check => "check",
            Kind::ForeignKey => "foreign_key",
            Kind::Index => "index",
            Kind::PartialIndex => "partial_index",
            Kind::ExpressionIndex => "expression_index",
            Kind::GinIndex => "gin_index",
            Kind::View => "view",
            Kind::ViewOverView => "view_over_view",
            Kind::MaterializedView => "materialized_view",
            Kind::SqlFunction => "sql_function",
            Kind::PlpgsqlFunction => "plpgsql_function",
            Kind::Trigger => "trigger",
            Kind::RowLevelSecurity => "rls",
            Kind::Policy => "policy",
            Kind::Comment => "comment",
            Kind::Drop => "drop",
            Kind::QuotedNames => "quoted_names",
        }
    }

    /// Reads `all` or a comma-separated list of names.
    pub fn parse_list(text: &str) -> Result<Vec<Kind>, String> {
        if text.trim() == "all" {
            return Ok(Kind::ALL.to_vec());
        }
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Kind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.name() == name)
                    .ok_or_else(|| {
                        format!(
                            "unknown kind {name:?}; the kinds: all, {}",
                            Kind::ALL
                                .iter()
                                .map(|k| k.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect()
    }
}

/// `(schema, name)`.
pub type QName = (String, String);

/// A column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Int,
    BigInt,
    Text,
    Varchar(u16),
    Numeric(u8, u8),
    Bool,
    Timestamptz,
    Jsonb,
    Uuid,
    IntArray,
    TextArray,
    Enum(QName),
}

impl Ty {
    fn sql(&self) -> String {
        match self {
            Ty::Int => "integer".into(),
            Ty::BigInt => "bigint".into(),
            Ty::Text => "text".into(),
            Ty::Varchar(n) => format!("varchar({n})"),
            Ty::Numeric(p, s) => format!("numeric({p},{s})"),
            Ty::Bool => "boolean".into(),
            Ty::Timestamptz => "timestamptz".into(),
            Ty::Jsonb => "jsonb".into(),
            Ty::Uuid => "uuid".into(),
            Ty::IntArray => "integer[]".into(),
            Ty::TextArray => "text[]".into(),
            Ty::Enum(q) => qualified(q),
        }
    }

    fn is_number(&self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt | Ty::Numeric(..))
    }

    fn is_text(&self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar(_))
    }

    /// Types with a GIN operator class of their own.
    fn has_gin(&self) -> bool {
        matches!(self, Ty::Jsonb | Ty::IntArray | Ty::TextArray)
    }
}

/// A column default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnDefault {
    Literal(String),
    /// `nextval(..)` of a sequence: left out where the sequence is not.
    Next(QName),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: Ty,
    pub not_null: bool,
    pub default: Option<ColumnDefault>,
}

/// How a check or an index expression reads its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expr {
    /// `c >= 0`, `(c + 1)`: a number.
    Number,
    /// `length(c) > 0`, `lower(c)`: text.
    Text,
    /// `f(c) >= 0`, `f(c)`: an integer through a function of the schema.
    Function,
    /// `c ->> 'k'`: jsonb.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKey {
    Columns(Vec<String>),
    Expression(String, Expr),
    Gin(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Schema(String),
    Enum {
        q: QName,
        values: Vec<String>,
    },
    Sequence {
        q: QName,
        increment: i64,
        cycle: bool,
    },
    Table {
        q: QName,
        columns: Vec<Column>,
    },
    PrimaryKey {
        table: QName,
        name: String,
        columns: Vec<String>,
    },
    Unique {
        table: QName,
        name: String,
        columns: Vec<String>,
    },
    Check {
        table: QName,
        name: String,
        column: String,
        expr: Expr,
        function: Option<QName>,
    },
    ForeignKey {
        table: QName,
        name: String,
        column: String,
        references: QName,
        on_delete: &'static str,
    },
    Index {
        table: QName,
        name: String,
        unique: bool,
        key: IndexKey,
        function: Option<QName>,
        /// `WHERE <column> IS NOT NULL`.
        partial: Option<String>,
    },
    View {
        q: QName,
        materialized: bool,
        from: QName,
        columns: Vec<String>,
        /// `SELECT f(<column>) AS fv`: a function the view calls.
        function: Option<(QName, String)>,
        filter: Option<String>,
    },
    /// `f(x integer) RETURNS integer|bigint`.
    Function {
        q: QName,
        plpgsql: bool,
        bigint: bool,
        add: i32,
        volatility: &'static str,
    },
    TriggerFunction {
        q: QName,
        variant: u8,
    },
    Trigger {
        table: QName,
        name: String,
        function: QName,
        /// 0: BEFORE INSERT OR UPDATE row, 1: AFTER DELETE row, 2: AFTER INSERT OR DELETE statement,
        /// 3: BEFORE UPDATE OF <column> row.
        shape: u8,
        column: Option<String>,
    },
    RowLevelSecurity {
        table: QName,
        force: bool,
    },
    Policy {
        table: QName,
        name: String,
        command: &'static str,
        column: String,
        restrictive: bool,
    },
    Comment {
        on: Target,
        text: String,
    },
}

/// What a comment is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Schema(String),
    /// The key of a table, view, sequence, type, function or index item.
    Object(String),
    Column(QName, String),
    /// A constraint, trigger or policy: its item's key.
    OnTable(String),
}

impl Target {
    fn key(&self) -> String {
        match self {
            Target::Schema(s) => format!("schema {s}"),
            Target::Object(k) | Target::OnTable(k) => k.clone(),
            Target::Column(t, c) => format!("column {}.{}.{c}", t.0, t.1),
        }
    }
}

/// An identifier, quoted when it needs to be.
pub fn ident(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn qualified(q: &QName) -> String {
    format!("{}.{}", ident(&q.0), ident(&q.1))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Item {
    /// The item's identity: what an edit names, what a comment points at; two items never share one.
    pub fn key(&self) -> String {
        let q = |kind: &str, q: &QName| format!("{kind} {}.{}", q.0, q.1);
        let on = |kind: &str, t: &QName, name: &str| format!("{kind} {}.{}.{name}", t.0, t.1);
        match self {
            Item::Schema(s) => format!("schema {s}"),
            Item::Enum { q: n, .. } => q("type", n),
            Item::Sequence { q: n, .. } => q("sequence", n),
            Item::Table { q: n, .. } => q("table", n),
            Item::View { q: n, .. } => q("view", n),
            Item::Function { q: n, .. } | Item::TriggerFunction { q: n, .. } => q("function", n),
            Item::PrimaryKey { table, name, .. }
            | Item::Unique { table, name, .. }
            | Item::Check { table, name, .. }
            | Item::ForeignKey { table, name, .. } => on("constraint", table, name),
            Item::Index { table, name, .. } => q("index", &(table.0.clone(), name.clone())),
            Item::Trigger { table, name, .. } => on("trigger", table, name),
            Item::RowLevelSecurity { table, .. } => q("rls", table),
            Item::Policy { table, name, .. } => on("policy", table, name),
            Item::Comment { on, .. } => format!("comment {}", on.key()),
        }
    }

    /// Created first: a schema before what is in it, tables before their keys, keys before the foreign
    /// keys, relations before views and triggers, everything before comments.
    fn rank(&self) -> u8 {
        match self {
            Item::Schema(_) => 0,
            Item::Enum { .. } | Item::Sequence { .. } => 1,
            Item::Function { .. } | Item::TriggerFunction { .. } => 2,
            Item::Table { .. } => 3,
            Item::PrimaryKey { .. } | Item::Unique { .. } => 4,
            Item::Check { .. } | Item::Index { .. } => 5,
            Item::ForeignKey { .. } => 6,
            Item::View { .. } => 7,
            Item::Trigger { .. } | Item::RowLevelSecurity { .. } | Item::Policy { .. } => 8,
            Item::Comment { .. } => 9,
        }
    }

    fn sql(&self, items: &[Item]) -> String {
        match self {
            Item::Schema(s) => format!("CREATE SCHEMA {};", ident(s)),
            Item::Enum { q, values } => format!(
                "CREATE TYPE {} AS ENUM ({});",
                qualified(q),
                values
                    .iter()
                    .map(|v| literal(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Item::Sequence {
                q,
                increment,
                cycle,
            } => format!(
                "CREATE SEQUENCE {} INCREMENT {increment}{};",
                qualified(q),
                if *cycle { " CYCLE" } else { "" }
            ),
            Item::Table { q, columns } => {
                let columns: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let mut s = format!("{} {}", ident(&c.name), c.ty.sql());
                        if c.not_null {
                            s.push_str(" NOT NULL");
                        }
                        match &c.default {
                            Some(ColumnDefault::Literal(d)) => write!(s, " DEFAULT {d}").unwrap(),
                            Some(ColumnDefault::Next(seq)) => {
                                write!(s, " DEFAULT nextval({})", literal(&qualified(seq))).unwrap()
                            }
                            None => {}
                        }
                        s
                    })
                    .collect();
                format!("CREATE TABLE {} ({});", qualified(q), columns.join(", "))
            }
            Item::PrimaryKey {
                table,
                name,
                columns,
            } => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});",
                qualified(table),
                ident(name),
                idents(columns)
            ),
            Item::Unique {
                table,
                name,
                columns,
            } => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({});",
                qualified(table),
                ident(name),
                idents(columns)
            ),
            Item::Check {
                table,
                name,
                column,
                expr,
                function,
            } => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({});",
                qualified(table),
                ident(name),
                match expr {
                    Expr::Number => format!("{} >= 0", ident(column)),
                    Expr::Text => format!("length({}) > 0", ident(column)),
                    Expr::Function => format!(
                        "{}({}) >= 0",
                        qualified(function.as_ref().expect("checked")),
                        ident(column)
                    ),
                    Expr::Json => format!("{} ? 'k'", ident(column)),
                }
            ),
            Item::ForeignKey {
                table,
                name,
                column,
                references,
                on_delete,
            } => {
                let key = primary_key(items, references).expect("checked");
                format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {on_delete};",
                    qualified(table),
                    ident(name),
                    ident(column),
                    qualified(references),
                    ident(&key[0])
                )
            }
            Item::Index {
                table,
                name,
                unique,
                key,
                function,
                partial,
            } => {
                let (method, key) = match key {
                    IndexKey::Columns(columns) => ("", idents(columns)),
                    IndexKey::Gin(column) => (" USING gin", ident(column)),
                    IndexKey::Expression(column, expr) => (
                        "",
                        match expr {
                            Expr::Number => format!("({} + 1)", ident(column)),
                            Expr::Text => format!("lower({})", ident(column)),
                            Expr::Function => format!(
                                "{}({})",
                                qualified(function.as_ref().expect("checked")),
                                ident(column)
                            ),
                            Expr::Json => format!("({} ->> 'k')", ident(column)),
                        },
                    ),
                };
                let mut s = format!(
                    "CREATE {}INDEX {} ON {}{method} ({key})",
                    if *unique { "UNIQUE " } else { "" },
                    ident(name),
                    qualified(table)
                );
                if let Some(column) = partial {
                    write!(s, " WHERE {} IS NOT NULL", ident(column)).unwrap();
                }
                s.push(';');
                s
            }
            Item::View {
                q,
                materialized,
                from,
                columns,
                function,
                filter,
            } => {
                let mut select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
                if let Some((f, column)) = function {
                    select.push(format!("{}({}) AS fv", qualified(f), ident(column)));
                }
                let mut s = format!(
                    "CREATE {}VIEW {} AS SELECT {} FROM {}",
                    if *materialized { "MATERIALIZED " } else { "" },
                    qualified(q),
                    select.join(", "),
                    qualified(from)
                );
                if let Some(column) = filter {
                    write!(s, " WHERE {} IS NOT NULL", ident(column)).unwrap();
                }
                s.push(';');
                s
            }
            Item::Function {
                q,
                plpgsql,
                bigint,
                add,
                volatility,
            } => {
                let ty = if *bigint { "bigint" } else { "integer" };
                let body = if *plpgsql {
                    format!("$$ BEGIN RETURN x + {add}; END $$")
                } else {
                    format!("$$ SELECT (x + {add})::{ty} $$")
                };
                format!(
                    "CREATE FUNCTION {}(x integer) RETURNS {ty} LANGUAGE {} {volatility} AS {body};",
                    qualified(q),
                    if *plpgsql { "plpgsql" } else { "sql" }
                )
            }
            Item::TriggerFunction { q, variant } => {
                let body = match variant {
                    0 => "BEGIN RETURN NEW; END",
                    1 => "BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END",
                    _ => "BEGIN RAISE NOTICE 'fired %', TG_NAME; RETURN NULL; END",
                };
                format!(
                    "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$;",
                    qualified(q)
                )
            }
            Item::Trigger {
                table,
                name,
                function,
                shape,
                column,
            } => {
                let when = match shape {
                    0 => "BEFORE INSERT OR UPDATE".to_owned(),
                    1 => "AFTER DELETE".to_owned(),
                    2 => "AFTER INSERT OR DELETE".to_owned(),
                    _ => format!(
                        "BEFORE UPDATE OF {}",
                        ident(column.as_deref().expect("checked"))
                    ),
                };
                format!(
                    "CREATE TRIGGER {} {when} ON {} FOR EACH {} EXECUTE FUNCTION {}();",
                    ident(name),
                    qualified(table),
                    if *shape == 2 { "STATEMENT" } else { "ROW" },
                    qualified(function)
                )
            }
            Item::RowLevelSecurity { table, force } => {
                let mut s = format!(
                    "ALTER TABLE {} ENABLE ROW LEVEL SECURITY;",
                    qualified(table)
                );
                if *force {
                    write!(
                        s,
                        " ALTER TABLE {} FORCE ROW LEVEL SECURITY;",
                        qualified(table)
                    )
                    .unwrap();
                }
                s
            }
            Item::Policy {
                table,
                name,
                command,
                column,
                restrictive,
            } => {
                let predicate = format!("({} IS NOT NULL)", ident(column));
                let clauses = match *command {
                    "INSERT" => format!("WITH CHECK {predicate}"),
                    "SELECT" | "DELETE" => format!("USING {predicate}"),
                    _ => format!("USING {predicate} WITH CHECK {predicate}"),
                };
                format!(
                    "CREATE POLICY {} ON {}{} FOR {command} {clauses};",
                    ident(name),
                    qualified(table),
                    if *restrictive { " AS RESTRICTIVE" } else { "" }
                )
            }
            Item::Comment { on, text } => {
                let what = match on {
                    Target::Schema(s) => format!("SCHEMA {}", ident(s)),
                    Target::Column(t, c) => format!("COLUMN {}.{}", qualified(t), ident(c)),
                    Target::Object(key) | Target::OnTable(key) => {
                        match items.iter().find(|i| &i.key() == key).expect("checked") {
                            Item::Table { q, .. } => format!("TABLE {}", qualified(q)),
                            Item::View {
                                q, materialized, ..
                            } => format!(
                                "{}VIEW {}",
                                if *materialized { "MATERIALIZED " } else { "" },
                                qualified(q)
                            ),
                            Item::Sequence { q, .. } => format!("SEQUENCE {}", qualified(q)),
                            Item::Enum { q, .. } => format!("TYPE {}", qualified(q)),
                            Item::Function { q, .. } => {
                                format!("FUNCTION {}(integer)", qualified(q))
                            }
                            Item::TriggerFunction { q, .. } => {
                                format!("FUNCTION {}()", qualified(q))
                            }
                            Item::Index { table, name, .. } => {
                                format!("INDEX {}", qualified(&(table.0.clone(), name.clone())))
                            }
                            Item::PrimaryKey { table, name, .. }
                            | Item::Unique { table, name, .. }
                            | Item::Check { table, name, .. }
                            | Item::ForeignKey { table, name, .. } => {
                                format!("CONSTRAINT {} ON {}", ident(name), qualified(table))
                            }
                            Item::Trigger { table, name, .. } => {
                                format!("TRIGGER {} ON {}", ident(name), qualified(table))
                            }
                            Item::Policy { table, name, .. } => {
                                format!("POLICY {} ON {}", ident(name), qualified(table))
                            }
                            other => unreachable!("no comment on {other:?}"),
                        }
                    }
                };
                format!("COMMENT ON {what} IS {};", literal(text))
            }
        }
    }
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn find<'a>(items: &'a [Item], key: &str) -> Option<&'a Item> {
    items.iter().find(|i| i.key() == key)
}

fn table_key(q: &QName) -> String {
    format!("table {}.{}", q.0, q.1)
}

/// The columns (and their types) a table or view has.
fn relation_columns(items: &[Item], q: &QName) -> Option<Vec<(String, Ty)>> {
    for item in items {
        match item {
            Item::Table { q: n, columns } if n == q => {
                return Some(
                    columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone()))
                        .collect(),
                )
            }
            Item::View {
                q: n,
                from,
                columns,
                function,
                ..
            } if n == q => {
                let source = relation_columns(items, from)?;
                let mut out: Vec<(String, Ty)> = source
                    .into_iter()
                    .filter(|(c, _)| columns.contains(c))
                    .collect();
                if let Some((f, _)) = function {
                    let bigint = matches!(
                        find(items, &format!("function {}.{}", f.0, f.1)),
                        Some(Item::Function { bigint: true, .. })
                    );
                    out.push(("fv".into(), if bigint { Ty::BigInt } else { Ty::Int }));
                }
                return Some(out);
            }
            _ => {}
        }
    }
    None
}

fn column_type(items: &[Item], table: &QName, column: &str) -> Option<Ty> {
    relation_columns(items, table)?
        .into_iter()
        .find(|(c, _)| c == column)
        .map(|(_, t)| t)
}

fn is_table(items: &[Item], q: &QName) -> bool {
    find(items, &table_key(q)).is_some()
}

fn primary_key(items: &[Item], table: &QName) -> Option<Vec<String>> {
    items.iter().find_map(|i| match i {
        Item::PrimaryKey {
            table: t, columns, ..
        } if t == table => Some(columns.clone()),
        _ => None,
    })
}

fn function_exists(items: &[Item], f: &QName) -> bool {
    matches!(
        find(items, &format!("function {}.{}", f.0, f.1)),
        Some(Item::Function { .. })
    )
}

fn schema_exists(items: &[Item], s: &str) -> bool {
    s == "public" || find(items, &format!("schema {s}")).is_some()
}

fn expr_fits(items: &[Item], ty: &Ty, expr: Expr, function: &Option<QName>) -> bool {
    match expr {
        Expr::Number => ty.is_number(),
        Expr::Text => ty.is_text(),
        Expr::Json => *ty == Ty::Jsonb,
        Expr::Function => {
            *ty == Ty::Int && function.as_ref().is_some_and(|f| function_exists(items, f))
        }
    }
}

impl Item {
    /// The item as it can stand among `items`: `None` when what it needs is missing; a table loses the
    /// columns of a missing enum and the defaults of a missing sequence.
    fn fitted(&self, items: &[Item]) -> Option<Item> {
        let has_column = |t: &QName, c: &str| column_type(items, t, c).is_some();
        let ok = match self {
            Item::Schema(_) => true,
            Item::Enum { q, .. } | Item::Sequence { q, .. } | Item::Function { q, .. } => {
                schema_exists(items, &q.0)
            }
            Item::TriggerFunction { q, .. } => schema_exists(items, &q.0),
            Item::Table { q, columns } => {
                if !schema_exists(items, &q.0) {
                    return None;
                }
                let columns = columns
                    .iter()
                    .filter(|c| match &c.ty {
                        Ty::Enum(e) => find(items, &format!("type {}.{}", e.0, e.1)).is_some(),
                        _ => true,
                    })
                    .map(|c| {
                        let mut c = c.clone();
                        if let Some(ColumnDefault::Next(s)) = &c.default {
                            if find(items, &format!("sequence {}.{}", s.0, s.1)).is_none() {
                                c.default = None;
                            }
                        }
                        c
                    })
                    .collect();
                return Some(Item::Table {
                    q: q.clone(),
                    columns,
                });
            }
            Item::PrimaryKey { table, columns, .. } | Item::Unique { table, columns, .. } => {
                is_table(items, table)
                    && !columns.is_empty()
                    && columns.iter().all(|c| {
                        column_type(items, table, c).is_some_and(|t| !t.has_gin() && t != Ty::Bool)
                    })
            }
            Item::Check {
                table,
                column,
                expr,
                function,
                ..
            } => {
                is_table(items, table)
                    && column_type(items, table, column)
                        .is_some_and(|t| expr_fits(items, &t, *expr, function))
            }
            Item::ForeignKey {
                table,
                column,
                references,
                ..
            } => {
                is_table(items, table)
                    && is_table(items, references)
                    && match primary_key(items, references).as_deref() {
                        Some([key]) => {
                            let theirs = column_type(items, references, key);
                            theirs.is_some() && column_type(items, table, column) == theirs
                        }
                        _ => false,
                    }
            }
            Item::Index {
                table,
                key,
                function,
                partial,
                unique,
                ..
            } => {
                is_table(items, table)
                    && partial.as_ref().is_none_or(|c| has_column(table, c))
                    && match key {
                        IndexKey::Columns(columns) => {
                            !columns.is_empty()
                                && columns.iter().all(|c| {
                                    column_type(items, table, c).is_some_and(|t| !t.has_gin())
                                })
                        }
                        IndexKey::Gin(c) => {
                            !unique && column_type(items, table, c).is_some_and(|t| t.has_gin())
                        }
                        IndexKey::Expression(c, expr) => column_type(items, table, c)
                            .is_some_and(|t| expr_fits(items, &t, *expr, function)),
                    }
            }
            Item::View {
                q,
                from,
                columns,
                function,
                filter,
                materialized,
            } => {
                let source_ok = match find(items, &format!("view {}.{}", from.0, from.1)) {
                    // A view over a materialized view would be recreated with it; kept to plain views.
                    Some(Item::View { materialized, .. }) => !materialized,
                    Some(_) => false,
                    None => is_table(items, from),
                };
                // Views only read views created before them (the items' order), so there is no cycle.
                let before_self = items
                    .iter()
                    .position(|i| i.key() == format!("view {}.{}", from.0, from.1))
                    .is_none_or(|p| {
                        items
                            .iter()
                            .position(|i| i.key() == format!("view {}.{}", q.0, q.1))
                            .is_none_or(|me| p < me)
                    });
                let _ = materialized;
                schema_exists(items, &q.0)
                    && source_ok
                    && before_self
                    && !columns.is_empty()
                    && columns.iter().all(|c| has_column(from, c))
                    && filter.as_ref().is_none_or(|c| has_column(from, c))
                    && function.as_ref().is_none_or(|(f, c)| {
                        function_exists(items, f) && column_type(items, from, c) == Some(Ty::Int)
                    })
            }
            Item::Trigger {
                table,
                function,
                shape,
                column,
                ..
            } => {
                is_table(items, table)
                    && matches!(
                        find(items, &format!("function {}.{}", function.0, function.1)),
                        Some(Item::TriggerFunction { .. })
                    )
                    && (*shape != 3 || column.as_ref().is_some_and(|c| has_column(table, c)))
            }
            Item::RowLevelSecurity { table, .. } => is_table(items, table),
            Item::Policy { table, column, .. } => {
                is_table(items, table) && has_column(table, column)
            }
            Item::Comment { on, .. } => match on {
                Target::Schema(s) => find(items, &format!("schema {s}")).is_some(),
                Target::Column(t, c) => is_table(items, t) && has_column(t, c),
                Target::Object(k) | Target::OnTable(k) => find(items, k).is_some(),
            },
        };
        ok.then(|| self.clone())
    }
}

/// Leaves out, until nothing changes, every item that lacks what it needs, and every item whose key an
/// earlier one has (the first wins), or that is a second primary key of its table.
pub fn prune(items: Vec<Item>) -> Vec<Item> {
    let mut items = items;
    loop {
        let mut seen = BTreeSet::new();
        let mut keyed = BTreeSet::new();
        let deduped: Vec<Item> = items
            .iter()
            .filter(|i| {
                let second_key = match i {
                    Item::PrimaryKey { table, .. } => !keyed.insert(table.clone()),
                    _ => false,
                };
                seen.insert(i.key()) && !second_key
            })
            .cloned()
            .collect();
        let next: Vec<Item> = deduped.iter().filter_map(|i| i.fitted(&deduped)).collect();
        if next == items {
            return next;
        }
        items = next;
    }
}

/// The SQL that creates `items`, in rank order (the items' own order within a rank).
pub fn sql(items: &[Item]) -> String {
    let mut ordered: Vec<&Item> = items.iter().collect();
    ordered.sort_by_key(|i| i.rank());
    ordered
        .iter()
        .map(|i| i.sql(items))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One change of a schema. An edit whose object is gone (a smaller pair) changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Add(Item),
    Drop(String),
    /// The item of the same key, changed.
    Replace(Item),
    AddColumn(QName, Column),
    DropColumn(QName, String),
    /// The column of the same name, changed (type, default, `NOT NULL`).
    AlterColumn(QName, Column),
}

fn with_columns(items: &mut [Item], table: &QName, change: impl FnOnce(&mut Vec<Column>)) {
    for item in items.iter_mut() {
        if let Item::Table { q, columns } = item {
            if q == table {
                change(columns);
                return;
            }
        }
    }
}

/// `items` with `edits` applied, pruned.
pub fn apply(items: &[Item], edits: &[Edit]) -> Vec<Item> {
    let mut items = items.to_vec();
    for edit in edits {
        match edit {
            Edit::Add(item) => {
                if find(&items, &item.key()).is_none() {
                    items.push(item.clone());
                }
            }
            Edit::Drop(key) => items.retain(|i| &i.key() != key),
            Edit::Replace(item) => {
                let key = item.key();
                if let Some(i) = items.iter_mut().find(|i| i.key() == key) {
                    *i = item.clone();
                }
            }
            Edit::AddColumn(t, column) => with_columns(&mut items, t, |columns| {
                if !columns.iter().any(|c| c.name == column.name) {
                    columns.push(column.clone());
                }
            }),
            Edit::DropColumn(t, name) => {
                with_columns(&mut items, t, |columns| columns.retain(|c| &c.name != name))
            }
            Edit::AlterColumn(t, column) => with_columns(&mut items, t, |columns| {
                if let Some(c) = columns.iter_mut().find(|c| c.name == column.name) {
                    *c = column.clone();
                }
            }),
        }
        items = prune(items);
    }
    prune(items)
}

/// A base schema and its edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub base: Vec<Item>,
    pub edits: Vec<Edit>,
}

impl Item {
    /// The kind of object the item is, for the per-kind counts of a run (a table has none of its own: its
    /// columns' edits count as theirs).
    pub fn kind(&self, items: &[Item]) -> Option<Kind> {
        Some(match self {
            Item::Schema(_) => Kind::Schema,
            Item::Enum { .. } => Kind::Enum,
            Item::Sequence { .. } => Kind::Sequence,
            Item::Table { .. } => return None,
            Item::PrimaryKey { .. } => Kind::PrimaryKey,
            Item::Unique { .. } => Kind::Unique,
            Item::Check { .. } => Kind::Check,
            Item::ForeignKey { .. } => Kind::ForeignKey,
            Item::Index {
                key: IndexKey::Gin(_),
                ..
            } => Kind::GinIndex,
            Item::Index {
                key: IndexKey::Expression(..),
                ..
            } => Kind::ExpressionIndex,
            Item::Index {
                partial: Some(_), ..
            } => Kind::PartialIndex,
            Item::Index { .. } => Kind::Index,
            Item::View {
                materialized: true, ..
            } => Kind::MaterializedView,
            Item::View { from, .. }
                if items
                    .iter()
                    .any(|i| matches!(i, Item::View { q, .. } if q == from)) =>
            {
                Kind::ViewOverView
            }
            Item::View { .. } => Kind::View,
            Item::Function { plpgsql: true, .. } => Kind::PlpgsqlFunction,
            Item::Function { .. } => Kind::SqlFunction,
            Item::TriggerFunction { .. } | Item::Trigger { .. } => Kind::Trigger,
            Item::RowLevelSecurity { .. } => Kind::RowLevelSecurity,
            Item::Policy { .. } => Kind::Policy,
            Item::Comment { .. } => Kind::Comment,
        })
    }
}

impl Pair {
    /// The kinds of object its edits touch: what its round trip tests.
    pub fn edited_kinds(&self) -> BTreeSet<Kind> {
        let mut kinds = BTreeSet::new();
        let column = |t: &QName, name: &str| -> Option<Column> {
            self.base.iter().find_map(|i| match i {
                Item::Table { q, columns } if q == t => {
                    columns.iter().find(|c| c.name == name).cloned()
                }
                _ => None,
            })
        };
        for edit in &self.edits {
            match edit {
                Edit::Add(item) => kinds.extend(item.kind(&self.base)),
                Edit::Replace(item) => {
                    kinds.extend(item.kind(&self.base));
                    if matches!(item, Item::Enum { .. }) {
                        kinds.insert(Kind::EnumValue);
                    }
                }
                Edit::Drop(key) => {
                    kinds.insert(Kind::Drop);
                    kinds.extend(
                        self.base
                            .iter()
                            .filter(|i| i.key() == *key)
                            .filter_map(|i| i.kind(&self.base)),
                    );
                }
                Edit::DropColumn(..) => {
                    kinds.insert(Kind::Drop);
                }
                Edit::AddColumn(_, c) => {
                    if c.default.is_some() {
                        kinds.insert(Kind::Default);
                    }
                    if c.not_null {
                        kinds.insert(Kind::NotNull);
                    }
                }
                Edit::AlterColumn(t, c) => {
                    if let Some(before) = column(t, &c.name) {
                        if before.ty != c.ty {
                            kinds.insert(Kind::TypeChange);
                        }
                        if before.default != c.default {
                            kinds.insert(Kind::Default);
                        }
                        if before.not_null != c.not_null {
                            kinds.insert(Kind::NotNull);
                        }
                    }
                }
            }
        }
        kinds
    }

    pub fn before(&self) -> String {
        sql(&prune(self.base.clone()))
    }

    pub fn after(&self) -> String {
        sql(&apply(&self.base, &self.edits))
    }

    /// Every pair one step smaller: an edit left out, an item of the base left out, a column of a base
    /// table left out, a column's default or `NOT NULL` left out. Each is valid (see [`prune`]).
    pub fn smaller(&self) -> Vec<Pair> {
        let mut out = Vec::new();
        // Halves and quarters first: a shrinker taking the first smaller pair that still fails drops most of
        // what does not matter in a few rounds.
        for (edits, len) in [(true, self.edits.len()), (false, self.base.len())] {
            for size in [len / 2, len / 4] {
                if size < 2 {
                    continue;
                }
                for start in (0..len).step_by(size) {
                    let mut p = self.clone();
                    let end = (start + size).min(len);
                    if edits {
                        p.edits.drain(start..end);
                    } else {
                        p.base.drain(start..end);
                    }
                    out.push(p);
                }
            }
        }
        for i in 0..self.edits.len() {
            let mut p = self.clone();
            p.edits.remove(i);
            out.push(p);
        }
        for i in 0..self.base.len() {
            let mut p = self.clone();
            p.base.remove(i);
            out.push(p);
        }
        for (i, item) in self.base.iter().enumerate() {
            if let Item::Table { columns, .. } = item {
                for j in 0..columns.len() {
                    let mut p = self.clone();
                    if let Item::Table { columns, .. } = &mut p.base[i] {
                        columns.remove(j);
                    }
                    out.push(p);
                    let column = &columns[j];
                    if column.default.is_some() || column.not_null {
                        let mut p = self.clone();
                        if let Item::Table { columns, .. } = &mut p.base[i] {
                            columns[j].default = None;
                            columns[j].not_null = false;
                        }
                        out.push(p);
                    }
                }
            }
        }
        out
    }
}

/// Draws pairs from a seed, with the kinds it is given.
pub struct Generator {
    rng: fastrand::Rng,
    kinds: Vec<Kind>,
    next_name: u32,
}

const SCHEMA_NAMES: &[&str] = &["app", "util", "Odd Schema"];

impl Generator {
    pub fn new(seed: u64, kinds: &[Kind]) -> Generator {
        Generator {
            rng: fastrand::Rng::with_seed(seed),
            kinds: kinds.to_vec(),
            next_name: 0,
        }
    }

    fn on(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    fn chance(&mut self, kind: Kind, percent: u8) -> bool {
        self.on(kind) && self.rng.u8(..100) < percent
    }

    /// A fresh name: every object of a pair has its own, so no two share a namespace by accident.
    fn name(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        if self.chance(Kind::QuotedNames, 15) {
            format!("{} {}", prefix.to_uppercase(), self.next_name)
        } else {
            format!("{prefix}{}", self.next_name)
        }
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> Option<&'a T> {
        if from.is_empty() {
            None
        } else {
            Some(&from[self.rng.usize(..from.len())])
        }
    }

    fn schema_for(&mut self, items: &[Item]) -> String {
        let schemas: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Schema(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        if !schemas.is_empty() && self.rng.bool() {
            self.pick(&schemas)
                .cloned()
                .unwrap_or_else(|| "public".into())
        } else {
            "public".into()
        }
    }

    fn ty(&mut self, items: &[Item]) -> Ty {
        let enums: Vec<QName> = items
            .iter()
            .filter_map(|i| match i {
                Item::Enum { q, .. } => Some(q.clone()),
                _ => None,
            })
            .collect();
        match self.rng.u8(..13) {
            0 | 1 => Ty::Int,
            2 => Ty::BigInt,
            3 | 4 => Ty::Text,
            5 => Ty::Varchar(*self.pick(&[10u16, 20]).unwrap()),
            6 => self
                .pick(&[Ty::Numeric(8, 2), Ty::Numeric(10, 0)])
                .unwrap()
                .clone(),
            7 => Ty::Bool,
            8 => Ty::Timestamptz,
            9 => Ty::Jsonb,
            10 => Ty::Uuid,
            11 => {
                if self.rng.bool() {
                    Ty::IntArray
                } else {
                    Ty::TextArray
                }
            }
            _ => match self.pick(&enums) {
                Some(e) => Ty::Enum(e.clone()),
                None => Ty::Int,
            },
        }
    }

    fn default_for(&mut self, ty: &Ty, items: &[Item]) -> Option<ColumnDefault> {
        if !self.chance(Kind::Default, 35) {
            return None;
        }
        let sequences: Vec<QName> = items
            .iter()
            .filter_map(|i| match i {
                Item::Sequence { q, .. } => Some(q.clone()),
                _ => None,
            })
            .collect();
        let literal = match ty {
            Ty::Int | Ty::BigInt => {
                if !sequences.is_empty() && self.rng.bool() {
                    return Some(ColumnDefault::Next(self.pick(&sequences).unwrap().clone()));
                }
                self.pick(&["0", "42", "'-1'::integer"])
                    .unwrap()
                    .to_string()
            }
            Ty::Text => self.pick(&["'x'", "'it''s'", "''"]).unwrap().to_string(),
            Ty::Varchar(_) => "'ab'".into(),
            Ty::Numeric(..) => self.pick(&["0", "1.5"]).unwrap().to_string(),
            Ty::Bool => self.pick(&["true", "false"]).unwrap().to_string(),
            Ty::Timestamptz => self
                .pick(&["now()", "'2024-01-01 00:00:00+00'"])
                .unwrap()
                .to_string(),
            Ty::Jsonb => self
                .pick(&["'{}'::jsonb", "'[]'::jsonb"])
                .unwrap()
                .to_string(),
            Ty::Uuid => "gen_random_uuid()".into(),
            Ty::IntArray => self
                .pick(&["'{}'::integer[]", "ARRAY[1, 2]"])
                .unwrap()
                .to_string(),
            Ty::TextArray => "'{}'::text[]".into(),
            Ty::Enum(q) => match find(items, &format!("type {}.{}", q.0, q.1)) {
                Some(Item::Enum { values, .. }) => literal(&values[0]),
                _ => return None,
            },
        };
        Some(ColumnDefault::Literal(literal))
    }

    fn column(&mut self, items: &[Item]) -> Column {
        let ty = self.ty(items);
        Column {
            name: self.name("c"),
            not_null: self.chance(Kind::NotNull, 30),
            default: self.default_for(&ty, items),
            ty,
        }
    }

    fn tables(items: &[Item]) -> Vec<(QName, Vec<Column>)> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Table { q, columns } => Some((q.clone(), columns.clone())),
                _ => None,
            })
            .collect()
    }

    fn functions(items: &[Item]) -> Vec<QName> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Function { q, .. } => Some(q.clone()),
                _ => None,
            })
            .collect()
    }

    /// A new item that fits `items` (`None` when the kind drawn has nothing to go on).
    fn item(&mut self, items: &[Item]) -> Option<Item> {
        let tables = Self::tables(items);
        let table = self.pick(&tables).cloned();
        let column_of = |g: &mut Self, t: &(QName, Vec<Column>), want: &dyn Fn(&Ty) -> bool| {
            let fits: Vec<Column> = t.1.iter().filter(|c| want(&c.ty)).cloned().collect();
            g.pick(&fits).cloned()
        };
        let item = match self.rng.u8(..16) {
            0 if self.on(Kind::Schema) => {
                let taken: Vec<String> = items.iter().map(Item::key).collect();
                let free: Vec<&str> = SCHEMA_NAMES
                    .iter()
                    .copied()
                    .filter(|s| !taken.contains(&format!("schema {s}")))
                    .filter(|s| self.on(Kind::QuotedNames) || ident(s) == *s)
                    .collect();
                Item::Schema(self.pick(&free)?.to_string())
            }
            1 if self.on(Kind::Enum) => {
                let values = (0..self.rng.usize(1..4)).map(|i| format!("v{i}")).collect();
                Item::Enum {
                    q: (self.schema_for(items), self.name("e")),
                    values,
                }
            }
            2 if self.on(Kind::Sequence) => Item::Sequence {
                q: (self.schema_for(items), self.name("s")),
                increment: *self.pick(&[1, 2, -1]).unwrap(),
                cycle: self.rng.bool(),
            },
            3 | 4 => {
                let n = self.rng.usize(1..5);
                let columns = (0..n).map(|_| self.column(items)).collect();
                Item::Table {
                    q: (self.schema_for(items), self.name("t")),
                    columns,
                }
            }
            5 if self.on(Kind::PrimaryKey) => {
                let t = table?;
                let c = column_of(self, &t, &|ty: &Ty| {
                    matches!(ty, Ty::Int | Ty::BigInt | Ty::Text | Ty::Uuid)
                })?;
                if primary_key(items, &t.0).is_some() {
                    return None;
                }
                Item::PrimaryKey {
                    table: t.0,
                    name: self.name("pk"),
                    columns: vec![c.name],
                }
            }
            6 if self.on(Kind::Unique) => {
                let t = table?;
                let c = column_of(self, &t, &|ty: &Ty| !ty.has_gin() && *ty != Ty::Bool)?;
                let mut columns = vec![c.name];
                if self.rng.u8(..4) == 0 {
                    if let Some(d) = column_of(self, &t, &|ty: &Ty| ty.is_number()) {
                        if !columns.contains(&d.name) {
                            columns.push(d.name);
                        }
                    }
                }
                Item::Unique {
                    table: t.0,
                    name: self.name("uq"),
                    columns,
                }
            }
            7 if self.on(Kind::Check) => {
                let t = table?;
                let functions = Self::functions(items);
                let c = column_of(self, &t, &|ty: &Ty| {
                    ty.is_number() || ty.is_text() || *ty == Ty::Jsonb
                })?;
                let (expr, function) =
                    if c.ty == Ty::Int && !functions.is_empty() && self.rng.bool() {
                        (Expr::Function, self.pick(&functions).cloned())
                    } else if c.ty.is_number() {
                        (Expr::Number, None)
                    } else if c.ty.is_text() {
                        (Expr::Text, None)
                    } else {
                        (Expr::Json, None)
                    };
                Item::Check {
                    table: t.0,
                    name: self.name("ck"),
                    column: c.name,
                    expr,
                    function,
                }
            }
            8 if self.on(Kind::ForeignKey) => {
                let t = table?;
                let targets: Vec<(QName, Ty)> = tables
                    .iter()
                    .filter_map(|(q, _)| match primary_key(items, q).as_deref() {
                        Some([k]) => column_type(items, q, k).map(|ty| (q.clone(), ty)),
                        _ => None,
                    })
                    .collect();
                let (references, ty) = self.pick(&targets)?.clone();
                let c = column_of(self, &t, &|c: &Ty| *c == ty)?;
                Item::ForeignKey {
                    table: t.0,
                    name: self.name("fk"),
                    column: c.name,
                    references,
                    on_delete: self
                        .pick(&["NO ACTION", "CASCADE", "SET NULL", "RESTRICT"])
                        .copied()
                        .unwrap_or("NO ACTION"),
                }
            }
            9 | 10 if self.on(Kind::Index) => self.index(items, table?)?,
            11 if self.on(Kind::View) => {
                let mut sources: Vec<QName> = tables.iter().map(|t| t.0.clone()).collect();
                if self.on(Kind::ViewOverView) {
                    sources.extend(items.iter().filter_map(|i| match i {
                        Item::View {
                            q,
                            materialized: false,
                            ..
                        } => Some(q.clone()),
                        _ => None,
                    }));
                }
                let from = self.pick(&sources)?.clone();
                let available = relation_columns(items, &from)?;
                let mut columns: Vec<String> = available
                    .iter()
                    .filter(|_| self.rng.bool())
                    .map(|c| c.0.clone())
                    .collect();
                if columns.is_empty() {
                    columns.push(self.pick(&available)?.0.clone());
                }
                let functions = Self::functions(items);
                let ints: Vec<String> = available
                    .iter()
                    .filter(|c| c.1 == Ty::Int && c.0 != "fv")
                    .map(|c| c.0.clone())
                    .collect();
                let function = if !functions.is_empty() && !ints.is_empty() && self.rng.bool() {
                    Some((
                        self.pick(&functions).unwrap().clone(),
                        self.pick(&ints).unwrap().clone(),
                    ))
                } else {
                    None
                };
                columns.retain(|c| c != "fv" || function.is_none());
                let filter = if self.rng.bool() {
                    Some(self.pick(&available)?.0.clone())
                } else {
                    None
                };
                Item::View {
                    q: (self.schema_for(items), self.name("v")),
                    materialized: self.chance(Kind::MaterializedView, 25),
                    from,
                    columns,
                    function,
                    filter,
                }
            }
            12 if self.on(Kind::SqlFunction) || self.on(Kind::PlpgsqlFunction) => {
                let plpgsql = if self.on(Kind::SqlFunction) && self.on(Kind::PlpgsqlFunction) {
                    self.rng.bool()
                } else {
                    self.on(Kind::PlpgsqlFunction)
                };
                Item::Function {
                    q: (self.schema_for(items), self.name("f")),
                    plpgsql,
                    bigint: false,
                    add: self.rng.i32(0..3),
                    volatility: "IMMUTABLE",
                }
            }
            13 if self.on(Kind::Trigger) => {
                let t = table?;
                let functions: Vec<QName> = items
                    .iter()
                    .filter_map(|i| match i {
                        Item::TriggerFunction { q, .. } => Some(q.clone()),
                        _ => None,
                    })
                    .collect();
                let function = match self.pick(&functions) {
                    Some(f) if self.rng.bool() => f.clone(),
                    // No trigger function yet, or half the time: a new one, for a later trigger to use.
                    _ => {
                        return Some(Item::TriggerFunction {
                            q: (self.schema_for(items), self.name("tf")),
                            variant: self.rng.u8(..3),
                        })
                    }
                };
                let shape = self.rng.u8(..4);
                let column = t.1.first().map(|c| c.name.clone());
                Item::Trigger {
                    table: t.0,
                    name: self.name("tr"),
                    function,
                    shape: if column.is_none() && shape == 3 {
                        0
                    } else {
                        shape
                    },
                    column,
                }
            }
            14 if self.on(Kind::RowLevelSecurity) || self.on(Kind::Policy) => {
                let t = table?;
                let has_rls = find(items, &format!("rls {}.{}", t.0 .0, t.0 .1)).is_some();
                if self.on(Kind::Policy)
                    && (has_rls || !self.on(Kind::RowLevelSecurity) || self.rng.bool())
                {
                    let c = self.pick(&t.1)?.clone();
                    Item::Policy {
                        table: t.0,
                        name: self.name("p"),
                        command: self
                            .pick(&["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"])
                            .copied()
                            .unwrap_or("ALL"),
                        column: c.name,
                        restrictive: self.rng.u8(..4) == 0,
                    }
                } else if !has_rls && self.on(Kind::RowLevelSecurity) {
                    Item::RowLevelSecurity {
                        table: t.0,
                        force: self.rng.bool(),
                    }
                } else {
                    return None;
                }
            }
            15 if self.on(Kind::Comment) => {
                let text = self.pick(&["the one", "it's", "a\nb"]).unwrap().to_string();
                let targets: Vec<Target> = items
                    .iter()
                    .flat_map(|i| match i {
                        Item::Schema(s) => vec![Target::Schema(s.clone())],
                        Item::Table { q, columns } => {
                            let mut v = vec![Target::Object(i.key())];
                            v.extend(
                                columns
                                    .iter()
                                    .map(|c| Target::Column(q.clone(), c.name.clone())),
                            );
                            v
                        }
                        Item::View { .. }
                        | Item::Sequence { .. }
                        | Item::Enum { .. }
                        | Item::Function { .. }
                        | Item::TriggerFunction { .. }
                        | Item::Index { .. } => vec![Target::Object(i.key())],
                        Item::PrimaryKey { .. }
                        | Item::Unique { .. }
                        | Item::Check { .. }
                        | Item::ForeignKey { .. }
                        | Item::Trigger { .. }
                        | Item::Policy { .. } => vec![Target::OnTable(i.key())],
                        _ => vec![],
                    })
                    .filter(|t| find(items, &format!("comment {}", t.key())).is_none())
                    .collect();
                Item::Comment {
                    on: self.pick(&targets)?.clone(),
                    text,
                }
            }
            _ => return None,
        };
        Some(item)
    }

    fn index(&mut self, items: &[Item], t: (QName, Vec<Column>)) -> Option<Item> {
        let functions = Self::functions(items);
        let mut partial = None;
        if self.chance(Kind::PartialIndex, 30) {
            partial = Some(self.pick(&t.1)?.name.clone());
        }
        let plain: Vec<Column> = t.1.iter().filter(|c| !c.ty.has_gin()).cloned().collect();
        let gin: Vec<Column> = t.1.iter().filter(|c| c.ty.has_gin()).cloned().collect();
        let mut function = None;
        let mut unique = self.rng.u8(..4) == 0;
        let key = if !gin.is_empty() && self.chance(Kind::GinIndex, 40) {
            unique = false;
            IndexKey::Gin(self.pick(&gin)?.name.clone())
        } else if self.chance(Kind::ExpressionIndex, 35) {
            let c = self.pick(&t.1)?.clone();
            let expr = if c.ty == Ty::Int && !functions.is_empty() && self.rng.bool() {
                function = self.pick(&functions).cloned();
                Expr::Function
            } else if c.ty.is_number() {
                Expr::Number
            } else if c.ty.is_text() {
                Expr::Text
            } else if c.ty == Ty::Jsonb {
                Expr::Json
            } else {
                return None;
            };
            IndexKey::Expression(c.name, expr)
        } else {
            let mut columns = vec![self.pick(&plain)?.name.clone()];
            if self.rng.u8(..3) == 0 {
                let other = self.pick(&plain)?.name.clone();
                if !columns.contains(&other) {
                    columns.push(other);
                }
            }
            IndexKey::Columns(columns)
        };
        Some(Item::Index {
            table: t.0,
            name: self.name("i"),
            unique,
            key,
            function,
            partial,
        })
    }

    /// Adds a new item to `items` (with the trigger function a trigger needs first).
    fn add(&mut self, items: &mut Vec<Item>) -> Option<Item> {
        let item = self.item(items)?;
        items.push(item.clone());
        *items = prune(std::mem::take(items));
        Some(item)
    }

    /// The item changed in a way its kind allows, keeping its key.
    fn changed(&mut self, item: &Item, items: &[Item]) -> Option<Item> {
        let mut out = item.clone();
        match &mut out {
            Item::Enum { values, .. } if self.on(Kind::EnumValue) => {
                let value = self.name("w");
                let at = self.rng.usize(..=values.len());
                values.insert(at, value);
            }
            Item::Sequence {
                increment, cycle, ..
            } => {
                if self.rng.bool() {
                    *cycle = !*cycle;
                } else {
                    *increment = if *increment == 5 { 1 } else { 5 };
                }
            }
            Item::View {
                columns,
                filter,
                from,
                ..
            } => {
                let available = relation_columns(items, from)?;
                if self.rng.bool() {
                    *filter = if filter.is_some() {
                        None
                    } else {
                        Some(self.pick(&available)?.0.clone())
                    };
                } else {
                    let c = self.pick(&available)?.0.clone();
                    if c == "fv" {
                        return None;
                    }
                    if let Some(at) = columns.iter().position(|x| *x == c) {
                        if columns.len() > 1 {
                            columns.remove(at);
                        }
                    } else {
                        columns.push(c);
                    }
                }
            }
            Item::Function {
                plpgsql,
                bigint,
                add,
                volatility,
                ..
            } => match self.rng.u8(..4) {
                0 => *add += 1,
                1 => {
                    *volatility = if *volatility == "IMMUTABLE" {
                        "STABLE"
                    } else {
                        "IMMUTABLE"
                    }
                }
                2 if self.on(Kind::SqlFunction) && self.on(Kind::PlpgsqlFunction) => {
                    *plpgsql = !*plpgsql
                }
                _ => *bigint = !*bigint,
            },
            Item::TriggerFunction { variant, .. } => *variant = (*variant + 1) % 3,
            Item::ForeignKey { on_delete, .. } => {
                *on_delete = if *on_delete == "CASCADE" {
                    "NO ACTION"
                } else {
                    "CASCADE"
                }
            }
            Item::Index {
                unique,
                partial,
                table,
                ..
            } => {
                if self.rng.bool() {
                    *unique = !*unique;
                } else {
                    let columns = Self::tables(items).into_iter().find(|t| &t.0 == table)?.1;
                    *partial = if partial.is_some() {
                        None
                    } else {
                        Some(self.pick(&columns)?.name.clone())
                    };
                }
            }
            Item::Trigger { shape, .. } => *shape = (*shape + 1) % 3,
            Item::RowLevelSecurity { force, .. } => *force = !*force,
            Item::Policy {
                command,
                restrictive,
                ..
            } => {
                if self.rng.bool() {
                    *restrictive = !*restrictive;
                } else {
                    *command = self
                        .pick(&["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"])
                        .copied()
                        .unwrap_or("ALL");
                }
            }
            Item::Comment { text, .. } => *text = format!("{text}, changed"),
            _ => return None,
        }
        (out != *item).then_some(out)
    }

    /// A column changed: its type (to one PostgreSQL converts to), its default or its `NOT NULL`.
    fn altered(&mut self, column: &Column, items: &[Item]) -> Option<Column> {
        let mut c = column.clone();
        match self.rng.u8(..3) {
            0 if self.on(Kind::TypeChange) => {
                let enums: Vec<QName> = items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Enum { q, .. } => Some(q.clone()),
                        _ => None,
                    })
                    .collect();
                let options: Vec<Ty> = match &c.ty {
                    Ty::Int => vec![Ty::BigInt, Ty::Text, Ty::Numeric(12, 0)],
                    Ty::BigInt => vec![Ty::Int, Ty::Numeric(20, 0)],
                    Ty::Varchar(n) => vec![Ty::Varchar(n + 10), Ty::Text],
                    Ty::Text => {
                        let mut v = vec![Ty::Varchar(20), Ty::Int, Ty::Jsonb];
                        v.extend(enums.into_iter().map(Ty::Enum));
                        v
                    }
                    Ty::Numeric(p, s) => vec![Ty::Numeric(*p + 4, *s)],
                    Ty::IntArray => vec![Ty::TextArray],
                    _ => vec![],
                };
                c.ty = self.pick(&options)?.clone();
                if c.default.is_some() {
                    c.default = None;
                    c.default = self.default_for(&c.ty.clone(), items);
                }
            }
            1 if self.on(Kind::Default) => {
                c.default = match c.default {
                    Some(_) if self.rng.bool() => None,
                    _ => {
                        let ty = c.ty.clone();
                        let mut d = None;
                        for _ in 0..4 {
                            d = self.default_for(&ty, items);
                            if d.is_some() {
                                break;
                            }
                        }
                        d
                    }
                };
            }
            _ if self.on(Kind::NotNull) => c.not_null = !c.not_null,
            _ => return None,
        }
        (c != *column).then_some(c)
    }

    /// An edit of `items`, or `None` when the one drawn has nothing to work on.
    fn edit(&mut self, items: &[Item]) -> Option<Edit> {
        let tables = Self::tables(items);
        Some(match self.rng.u8(..10) {
            0 | 1 => Edit::Add(self.item(items)?),
            2 if self.on(Kind::Drop) => {
                let item = self.pick(items)?;
                Edit::Drop(item.key())
            }
            3 | 4 => {
                let changeable: Vec<Item> = items
                    .iter()
                    .filter(|i| !matches!(i, Item::Table { .. } | Item::Schema(_)))
                    .cloned()
                    .collect();
                let item = self.pick(&changeable)?.clone();
                Edit::Replace(self.changed(&item, items)?)
            }
            5 => {
                let t = self.pick(&tables)?.clone();
                let mut column = self.column(items);
                // A column added to a table that has rows needs a default where it is NOT NULL; the tables
                // are empty, but the generator is held to what works on a live table.
                if column.not_null && column.default.is_none() {
                    column.not_null = self.rng.bool();
                }
                Edit::AddColumn(t.0, column)
            }
            6 if self.on(Kind::Drop) => {
                let t = self.pick(&tables)?.clone();
                let c = self.pick(&t.1)?.clone();
                Edit::DropColumn(t.0, c.name)
            }
            _ => {
                let t = self.pick(&tables)?.clone();
                let c = self.pick(&t.1)?.clone();
                Edit::AlterColumn(t.0, self.altered(&c, items)?)
            }
        })
    }

    /// A pair: a base of a few tables and what goes with them, then one to four edits.
    pub fn pair(&mut self) -> Pair {
        let mut base = Vec::new();
        for _ in 0..self.rng.usize(1..3) {
            let n = self.rng.usize(1..5);
            let columns = (0..n).map(|_| self.column(&base)).collect();
            base.push(Item::Table {
                q: ("public".into(), self.name("t")),
                columns,
            });
        }
        for _ in 0..self.rng.usize(2..9) {
            self.add(&mut base);
        }
        let mut edits = Vec::new();
        let mut current = prune(base.clone());
        let wanted = self.rng.usize(1..5);
        let mut tries = 0;
        while edits.len() < wanted && tries < 40 {
            tries += 1;
            if let Some(edit) = self.edit(&current) {
                let next = apply(&current, std::slice::from_ref(&edit));
                if next != current {
                    current = next;
                    edits.push(edit);
                }
            }
        }
        Pair { base, edits }
    }
}
