//! Names of table constraints given without one, derived as PostgreSQL derives them (`makeObjectName` and
//! friends in its `indexcmds.c` / `heap.c`): `<table>_pkey`, `<table>_<columns>_key`,
//! `<table>_<columns>_fkey`, `<table>_<column>_check` (or `<table>_check` when the expression uses
//! several columns or none), `<table>_<columns>_excl`, truncated to 63 bytes the same way, and numbered
//! (`_key1`, `_check2`) when the name is already taken in the same statement. Rendered explicitly, so the
//! SQL shows the name and the derived reverse can drop it.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name, MAX_IDENTIFIER_BYTES};
use crate::ops::Column;
use crate::ops::Constraint;
use crate::ops::{ConstraintKind, IndexTarget};

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// PostgreSQL's `makeObjectName`: `name1[_name2][_label]`, the longer of the two names shortened first
/// until the whole fits in 63 bytes.
pub(crate) fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = usize::from(name2.is_some()) + label.len() + 1;
    let available = MAX_IDENTIFIER_BYTES.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > available {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_owned();
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(clip(name2, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// Column names joined with `_`, as `ChooseIndexNameAddition` and `ChooseForeignKeyConstraintNameAddition`
/// join them: stopping once the text reaches 64 bytes (it is shortened afterwards).
fn join_names(names: &[String]) -> String {
    let mut out = String::new();
    for name in names {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(clip(name, MAX_IDENTIFIER_BYTES));
        if out.len() > MAX_IDENTIFIER_BYTES {
            break;
        }
    }
    out
}

/// `makeObjectName` with `label`, numbered (`label1`, `label2`, ...) until the name is not in `taken`;
/// the chosen name is added to `taken`.
pub(crate) fn choose(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: &mut Vec<String>,
) -> String {
    let mut name = make_object_name(name1, name2, label);
    let mut pass = 0;
    while taken.contains(&name) {
        pass += 1;
        name = make_object_name(name1, name2, &format!("{label}{pass}"));
    }
    taken.push(name.clone());
    name
}

/// Words that stand alone in an expression without being column names: the SQL keywords an expression
/// may hold. Only bare words are compared (a quoted `"user"` is a column).
const EXPRESSION_KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "asymmetric",
    "at",
    "between",
    "case",
    "cast",
    "collate",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "distinct",
    "else",
    "end",
    "escape",
    "exists",
    "false",
    "from",
    "ilike",
    "in",
    "interval",
    "is",
    "isnull",
    "like",
    "localtime",
    "localtimestamp",
    "not",
    "notnull",
    "null",
    "or",
    "overlaps",
    "row",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "then",
    "time",
    "to",
    "true",
    "unknown",
    "user",
    "when",
    "zone",
];

/// The identifiers an expression uses as column names. Bare words are folded to lower case, quoted ones
/// kept; function names (a word before `(`), type names (after `::` or before a string literal), qualified
/// names and SQL keywords are left out. With `columns` known, only those count.
pub(crate) fn referenced_columns(expression: &str, columns: Option<&[String]>) -> Vec<String> {
    let chars: Vec<char> = expression.chars().collect();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    // The previous significant token, to spot `::type` and `.name`.
    let mut previous = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            i = skip_string_literal(&chars, i);
            previous = "'".to_owned();
            continue;
        }
        let (word, quoted, next) = if c == '"' {
            let (word, next) = quoted_word(&chars, i);
            (word, true, next)
        } else if c.is_alphabetic() || c == '_' {
            let (word, next) = bare_word(&chars, i);
            (word, false, next)
        } else {
            (previous, i) = punctuation(&chars, i);
            continue;
        };
        let is_column = is_column_use(&chars, &word, quoted, &previous, next);
        let known = columns.is_none_or(|cols| cols.contains(&word));
        if is_column && known && !found.contains(&word) {
            found.push(word.clone());
        }
        previous = word;
        i = next;
    }
    found
}

/// Skips the string literal whose opening quote is at `i` (`''` is a quote inside it); returns the index
/// just past its closing quote, or past the end when it has none.
fn skip_string_literal(chars: &[char], mut i: usize) -> usize {
    i += 1;
    while i < chars.len() {
        if chars[i] == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                i += 2;
                continue;
            }
            break;
        }
        i += 1;
    }
    i + 1
}

/// The quoted identifier whose opening `"` is at `i`, unescaped (`""` is a quote inside it), and the index
/// just past its closing quote (or past the end).
fn quoted_word(chars: &[char], i: usize) -> (String, usize) {
    let mut word = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        if chars[j] == '"' {
            if chars.get(j + 1) == Some(&'"') {
                word.push('"');
                j += 2;
                continue;
            }
            break;
        }
        word.push(chars[j]);
        j += 1;
    }
    (word, j + 1)
}

/// The unquoted word starting at `i`, folded to lower case as PostgreSQL folds it, and the index just past it.
fn bare_word(chars: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$') {
        j += 1;
    }
    (chars[i..j].iter().collect::<String>().to_lowercase(), j)
}

/// The operator or punctuation character at `i` (`::` taken whole, so a type name after it is known), and
/// the index just past it.
fn punctuation(chars: &[char], i: usize) -> (String, usize) {
    if chars[i] == ':' && chars.get(i + 1) == Some(&':') {
        ("::".to_owned(), i + 2)
    } else {
        (chars[i].to_string(), i + 1)
    }
}

/// Whether `word`, ending before `next`, stands where a column name does: not a type name (after `::`), a
/// qualified name's last part (after `.`), a function or qualifier (before `(` or `.`), a type before a
/// string literal, or a bare keyword.
fn is_column_use(chars: &[char], word: &str, quoted: bool, previous: &str, next: usize) -> bool {
    let after = chars[next.min(chars.len())..]
        .iter()
        .find(|c| !c.is_whitespace())
        .copied();
    previous != "::"
        && previous != "."
        && !matches!(after, Some('(' | '.' | '\''))
        && (quoted || !EXPRESSION_KEYWORDS.contains(&word))
}

/// The name PostgreSQL gives an expression element (`FigureIndexColname`): a function call is named after
/// the function, a lone column after the column; anything else is `expr` (`None`).
fn expression_name(expression: &str) -> Option<String> {
    let e = expression.trim();
    let word_end = e
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.'))
        .unwrap_or(e.len());
    let (word, rest) = e.split_at(word_end);
    let name = word.rsplit('.').next().unwrap_or_default();
    let starts_like_a_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    if !starts_like_a_name {
        return None;
    }
    let rest = rest.trim_start();
    (rest.is_empty() || is_one_parenthesized_group(rest)).then(|| name.to_lowercase())
}

/// Whether `s` is `( ... )` with the first parenthesis closed by the last character (quotes respected), as
/// the arguments of one function call are.
fn is_one_parenthesized_group(s: &str) -> bool {
    if !s.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1 == s.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// The element names an index-backed constraint is named after: column names, `expr` for expressions,
/// numbered when repeated (`ChooseIndexColumnNames`).
fn element_names(elements: impl Iterator<Item = Option<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for element in elements {
        let original = element.unwrap_or_else(|| "expr".to_owned());
        let mut name = original.clone();
        let mut n = 0;
        while out.contains(&name) {
            n += 1;
            let suffix = n.to_string();
            name = format!(
                "{}{suffix}",
                clip(&original, MAX_IDENTIFIER_BYTES - suffix.len())
            );
        }
        out.push(name);
    }
    out
}

/// The names of the constraints `constraint` adds to `table`: `name` when given, else the ones PostgreSQL
/// would derive. A list of checks adds one constraint per expression, so it cannot share one given name.
/// `columns` are the table's columns when known (in `create_table`); `taken` holds names already used in the
/// statement and receives the new ones.
pub(crate) fn constraint_names(
    ctx: Ctx,
    table: &Name,
    name: Option<&Ident>,
    constraint: &Constraint,
    columns: Option<&[Column]>,
    taken: &mut Vec<String>,
) -> Result<Vec<Ident>, DslError> {
    if let ConstraintKind::Check(expressions) = &constraint.kind {
        if expressions.is_empty() {
            return Err(ctx.invalid("a CHECK constraint needs at least one expression"));
        }
        if name.is_some() && expressions.len() > 1 {
            return Err(ctx.invalid(format!(
                "{} CHECK expressions make {} constraints, which cannot share the name {:?}; pass `None` \
                 to have each named as PostgreSQL would, or add them one by one",
                expressions.len(),
                expressions.len(),
                name.map(Ident::as_str).unwrap_or_default()
            )));
        }
    }
    if let Some(name) = name {
        taken.push(name.as_str().to_owned());
        return Ok(vec![name.clone()]);
    }
    let table = table.name().as_str();
    let known: Option<Vec<String>> =
        columns.map(|cols| cols.iter().map(|c| c.ident().as_str().to_owned()).collect());
    let names = match &constraint.kind {
        ConstraintKind::Check(expressions) => expressions
            .iter()
            .map(|e| {
                let used = referenced_columns(e, known.as_deref());
                let column = (used.len() == 1).then(|| used[0].as_str());
                choose(table, column, "check", taken)
            })
            .collect(),
        ConstraintKind::PrimaryKey(_) => vec![choose(table, None, "pkey", taken)],
        ConstraintKind::Unique { columns, .. } => {
            let names = element_names(columns.iter().map(|c| Some(c.as_str().to_owned())));
            vec![choose(table, Some(&join_names(&names)), "key", taken)]
        }
        ConstraintKind::ForeignKey { columns, .. } => {
            let names: Vec<String> = columns.iter().map(|c| c.as_str().to_owned()).collect();
            vec![choose(table, Some(&join_names(&names)), "fkey", taken)]
        }
        ConstraintKind::Exclude { elements, .. } => {
            let names = element_names(elements.iter().map(|(e, _)| match e.target() {
                IndexTarget::Column(c) => Some(c.as_str().to_owned()),
                IndexTarget::Expression(e) => expression_name(e),
            }));
            vec![choose(table, Some(&join_names(&names)), "excl", taken)]
        }
        // The constraint takes the index's name.
        ConstraintKind::UsingIndex { index, .. } => {
            taken.push(index.as_str().to_owned());
            vec![index.as_str().to_owned()]
        }
    };
    names
        .into_iter()
        .map(|n| {
            let ident = Ident(n);
            ctx.ident(&ident, "constraint")?;
            Ok(ident)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_like_postgres() {
        assert_eq!(make_object_name("t", None, "pkey"), "t_pkey");
        assert_eq!(make_object_name("t", Some("a_b"), "key"), "t_a_b_key");
        let long = "x".repeat(60);
        let name = make_object_name(&long, Some("col"), "key");
        assert_eq!(name.len(), 63);
        assert_eq!(name, format!("{}_col_key", "x".repeat(55)));
        let both = make_object_name(&"a".repeat(40), Some(&"b".repeat(40)), "fkey");
        assert_eq!(both, format!("{}_{}_fkey", "a".repeat(29), "b".repeat(28)));
    }

    #[test]
    fn check_columns_are_found_as_postgres_counts_them() {
        let known = ["qty".to_owned(), "price".to_owned(), "Name".to_owned()];
        assert_eq!(referenced_columns("qty > 0", Some(&known)), ["qty"]);
        assert_eq!(
            referenced_columns("qty > 0 AND price >= 0", Some(&known)),
            ["qty", "price"]
        );
        assert_eq!(
            referenced_columns("length(\"Name\") < 10 AND 'qty' <> ''", Some(&known)),
            ["Name"]
        );
        assert_eq!(referenced_columns("lat BETWEEN -90 AND 90", None), ["lat"]);
        assert_eq!(
            referenced_columns(
                "created_at > date '2020-01-01' AND x::numeric IS NOT NULL",
                None
            ),
            ["created_at", "x"]
        );
        assert!(referenced_columns("now() IS NOT NULL", None).is_empty());
    }

    #[test]
    fn expression_elements_are_named_like_postgres() {
        assert_eq!(expression_name("lower(sku)").as_deref(), Some("lower"));
        assert_eq!(expression_name("public.f(a, ')')").as_deref(), Some("f"));
        assert_eq!(expression_name("sku").as_deref(), Some("sku"));
        assert_eq!(expression_name("f(a) + g(b)"), None);
        assert_eq!(expression_name("qty + 1"), None);
    }
}
