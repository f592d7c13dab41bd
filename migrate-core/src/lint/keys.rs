//! Integer keys for the lint (`prefer-bigint-over-int`): the columns a statement declares (`CREATE TABLE`,
//! `ALTER TABLE .. ADD COLUMN`) with their type, whether each is a key (a primary key, an identity or `serial`
//! column) and what it references. Read from the rendered SQL, word by word, so typed operations and raw SQL
//! alike; a runner collects the keys of the migrations before the ones linted without the SQL parser.

use serde::{Deserialize, Serialize};

use super::partitioned::{table_name, words};

/// A single-column primary key a migration created: its table (as PostgreSQL stores the name, without
/// schema), column and width in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyColumn {
    pub table: String,
    pub column: String,
    /// 2, 4 or 8.
    pub bytes: u8,
}

/// The integer type of a width in bytes.
#[cfg_attr(not(feature = "lint"), allow(dead_code))]
pub(crate) fn type_of(bytes: u8) -> &'static str {
    match bytes {
        2 => "smallint",
        4 => "integer",
        _ => "bigint",
    }
}

/// A column as a statement declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    pub table: String,
    pub column: String,
    /// Its type as written, upper-cased (`INTEGER`, `BIGSERIAL`).
    pub type_name: String,
    /// 2, 4 or 8 for an integer type, else `None`.
    pub bytes: Option<u8>,
    /// Its table's primary key (alone).
    pub primary_key: bool,
    /// An identity or `serial` column: the values a sequence hands out.
    pub generated: bool,
    /// The table and (when named) column its foreign key references.
    pub references: Option<(String, Option<String>)>,
    /// A foreign key added to a column the statement does not declare (`ADD CONSTRAINT .. FOREIGN KEY`): its
    /// type is the column's as declared before (`type_name` is empty, `bytes` unknown here).
    pub constraint_only: bool,
}

#[cfg_attr(not(feature = "lint"), allow(dead_code))]
impl Declared {
    /// A key whose values only grow: a primary key, an identity or a `serial` column.
    pub fn is_key(&self) -> bool {
        self.primary_key || self.generated
    }

    /// The column with its width, when it is declared here with an integer type.
    pub fn integer(&self) -> Option<KeyColumn> {
        Some(KeyColumn {
            table: self.table.clone(),
            column: self.column.clone(),
            bytes: self.bytes?,
        })
    }
}

/// The width of an integer type, by its name as written (upper-cased).
fn bytes_of(type_name: &str) -> Option<u8> {
    match type_name {
        "SMALLINT" | "INT2" | "SMALLSERIAL" | "SERIAL2" => Some(2),
        "INTEGER" | "INT" | "INT4" | "SERIAL" | "SERIAL4" => Some(4),
        "BIGINT" | "INT8" | "BIGSERIAL" | "SERIAL8" => Some(8),
        _ => None,
    }
}

/// A column name as PostgreSQL stores it: quoted keeps its case, unquoted is folded.
fn column_name(word: &str) -> String {
    match word.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => word.to_lowercase(),
    }
}

/// The columns `sql` (one statement) declares: a `CREATE TABLE`'s columns (with its table-level `PRIMARY KEY`
/// and `FOREIGN KEY` constraints of one column applied to them), or an `ALTER TABLE`'s added columns.
pub(crate) fn declared(sql: &str) -> Vec<Declared> {
    let w = words(sql);
    let upper: Vec<&str> = w.iter().map(String::as_str).collect();
    let Some(first) = upper.iter().position(|t| *t == "CREATE" || *t == "ALTER") else {
        return Vec::new();
    };
    let rest = &upper[first..];
    if rest[0] == "CREATE" {
        created(rest)
    } else {
        added(rest)
    }
}

/// Splits `tokens` at top-level commas (outside parentheses).
fn items<'a>(tokens: &'a [&'a str]) -> Vec<&'a [&'a str]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match *t {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&tokens[start..]);
    out
}

/// `REFERENCES table [ ( column ) ]` in `tokens`.
fn references(tokens: &[&str]) -> Option<(String, Option<String>)> {
    let at = tokens.iter().position(|t| *t == "REFERENCES")?;
    let table = table_name(tokens.get(at + 1)?);
    let column = match (tokens.get(at + 2), tokens.get(at + 4)) {
        (Some(&"("), Some(&")")) => tokens.get(at + 3).map(|c| column_name(c)),
        _ => None,
    };
    Some((table, column))
}

/// `( column )` right after `tokens[at]`: one column, or `None` for several.
fn one_column(tokens: &[&str], at: usize) -> Option<String> {
    match (tokens.get(at + 1), tokens.get(at + 3)) {
        (Some(&"("), Some(&")")) => tokens.get(at + 2).map(|c| column_name(c)),
        _ => None,
    }
}

/// A column definition's tokens (name, type, the rest) as declared on `table`.
fn column(table: &str, def: &[&str]) -> Option<Declared> {
    let (name, type_name) = (def.first()?, def.get(1)?);
    let type_name = (*type_name).to_owned();
    let rest = &def[2..];
    let has = |a: &str, b: &str| rest.windows(2).any(|p| p[0] == a && p[1] == b);
    Some(Declared {
        table: table.to_owned(),
        column: column_name(name),
        bytes: bytes_of(&type_name),
        primary_key: has("PRIMARY", "KEY"),
        generated: type_name.contains("SERIAL") || rest.contains(&"IDENTITY"),
        references: references(rest),
        type_name,
        constraint_only: false,
    })
}

fn created(tokens: &[&str]) -> Vec<Declared> {
    let Some(at) = tokens.iter().position(|t| *t == "TABLE") else {
        return Vec::new();
    };
    let mut at = at + 1;
    if tokens[at..].starts_with(&["IF", "NOT", "EXISTS"]) {
        at += 3;
    }
    let (Some(name), Some(&"(")) = (tokens.get(at), tokens.get(at + 1)) else {
        return Vec::new();
    };
    let table = table_name(name);
    // The column list: up to its closing parenthesis.
    let body = &tokens[at + 2..];
    let mut depth = 0i32;
    let end = body
        .iter()
        .position(|t| {
            match *t {
                "(" => depth += 1,
                ")" if depth == 0 => return true,
                ")" => depth -= 1,
                _ => {}
            }
            false
        })
        .unwrap_or(body.len());
    let mut columns = Vec::new();
    let mut primary: Option<String> = None;
    let mut foreign: Vec<(String, (String, Option<String>))> = Vec::new();
    for item in items(&body[..end]) {
        let item = match item {
            ["CONSTRAINT", _, rest @ ..] => rest,
            item => item,
        };
        match item.first() {
            Some(&"PRIMARY") => primary = one_column(item, 1),
            Some(&"FOREIGN") => {
                if let (Some(column), Some(target)) = (one_column(item, 1), references(item)) {
                    foreign.push((column, target));
                }
            }
            Some(&("UNIQUE" | "CHECK" | "EXCLUDE" | "LIKE")) | None => {}
            Some(_) => columns.extend(column(&table, item)),
        }
    }
    for c in &mut columns {
        if primary.as_deref() == Some(c.column.as_str()) {
            c.primary_key = true;
        }
        if let Some((_, target)) = foreign.iter().find(|(column, _)| *column == c.column) {
            c.references.get_or_insert_with(|| target.clone());
        }
    }
    columns
}

fn added(tokens: &[&str]) -> Vec<Declared> {
    let Some(at) = tokens.iter().position(|t| *t == "TABLE") else {
        return Vec::new();
    };
    let mut at = at + 1;
    if tokens[at..].starts_with(&["IF", "EXISTS"]) {
        at += 2;
    }
    if tokens.get(at) == Some(&"ONLY") {
        at += 1;
    }
    let Some(name) = tokens.get(at) else {
        return Vec::new();
    };
    let table = table_name(name);
    items(&tokens[at + 1..])
        .into_iter()
        .filter_map(|action| {
            let mut def = match action {
                ["ADD", "COLUMN", rest @ ..] => rest,
                ["ADD", rest @ ..] => rest,
                _ => return None,
            };
            if def.starts_with(&["IF", "NOT", "EXISTS"]) {
                def = &def[3..];
            }
            let constraint = match def {
                ["CONSTRAINT", _, rest @ ..] => Some(rest),
                [first, ..]
                    if matches!(
                        *first,
                        "PRIMARY" | "FOREIGN" | "UNIQUE" | "CHECK" | "EXCLUDE"
                    ) =>
                {
                    Some(def)
                }
                _ => None,
            };
            match constraint {
                // A foreign key of one column added to a column declared before.
                Some(constraint @ ["FOREIGN", ..]) => Some(Declared {
                    table: table.clone(),
                    column: one_column(constraint, 1)?,
                    type_name: String::new(),
                    bytes: None,
                    primary_key: false,
                    generated: false,
                    references: references(constraint),
                    constraint_only: true,
                }),
                Some(_) => None,
                None => column(&table, def),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keys_and_references_are_read_from_create_and_alter_table() {
        let created = declared(
            r#"CREATE TABLE "orders" (
    "id" serial PRIMARY KEY,
    "customer_id" integer NOT NULL REFERENCES "customers",
    "note" text,
    CONSTRAINT "orders_shop_fkey" FOREIGN KEY ("shop_id") REFERENCES shops (id)
)"#,
        );
        let shown: Vec<String> = created
            .iter()
            .map(|d| {
                format!(
                    "{} {:?} key={} generated={} references={:?}",
                    d.column, d.bytes, d.primary_key, d.generated, d.references
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "id Some(4) key=true generated=true references=None",
                "customer_id Some(4) key=false generated=false references=Some((\"customers\", None))",
                "note None key=false generated=false references=None",
            ]
        );
        let table_key = declared("CREATE TABLE app.t (id bigint, n int, PRIMARY KEY (id))");
        assert!(table_key[0].primary_key);
        assert_eq!(
            table_key[0].integer(),
            Some(KeyColumn {
                table: "t".to_owned(),
                column: "id".to_owned(),
                bytes: 8
            })
        );
        assert!(!table_key[1].is_key());
        let added = declared(
            r#"ALTER TABLE "items" ADD COLUMN "order_id" int4 REFERENCES "orders" ("id"), ADD "n" bigint, ADD CONSTRAINT c CHECK (n > 0)"#,
        );
        assert_eq!(added.len(), 2);
        let constraint = declared(
            r#"ALTER TABLE "carts" ADD CONSTRAINT "carts_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") NOT VALID"#,
        );
        assert_eq!(constraint.len(), 1);
        assert!(constraint[0].constraint_only);
        assert_eq!(constraint[0].column, "customer_id");
        assert_eq!(
            constraint[0].references,
            Some(("customers".to_owned(), Some("id".to_owned())))
        );
        assert_eq!(
            added[0].references,
            Some(("orders".to_owned(), Some("id".to_owned())))
        );
        assert_eq!(added[1].bytes, Some(8));
        assert!(declared("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY)")[0].is_key());
        assert!(declared("DROP TABLE t").is_empty());
        // Comments and string literals are not read as SQL.
        let commented = declared(
            "CREATE TABLE orders (\n  id bigserial PRIMARY KEY, -- order id (internal)\n  status text DEFAULT '(', \
             /* the customer, ( */ customer_id integer REFERENCES customers (id)\n)",
        );
        let names: Vec<&str> = commented.iter().map(|d| d.column.as_str()).collect();
        assert_eq!(names, ["id", "status", "customer_id"]);
        assert_eq!(
            commented[2].references,
            Some(("customers".to_owned(), Some("id".to_owned())))
        );
    }
}
