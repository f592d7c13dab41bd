//! What the SQL rules read: each rendered statement of a migration as recorded ([`Input`]), the top-level
//! statements parsed from their combined text ([`Stmt`]), and the text helpers the rules share.

use squawk_syntax::ast;
use squawk_syntax::{SyntaxKind, SyntaxNode};

/// One rendered statement of the migration, as recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    pub position: usize,
    pub op: &'static str,
    pub sql: &'a str,
    /// In a transactional migration, the engine commits what came before and runs this in a new transaction
    /// (`VALIDATE CONSTRAINT` after an `ADD ... NOT VALID`, the steps of `set_not_null`): rules that look at
    /// what shares a transaction must see that boundary, as `sql` shows it.
    pub new_transaction: bool,
}

/// A top-level statement of the combined text.
pub(super) struct Stmt {
    pub(super) node: ast::Stmt,
    pub(super) start: usize,
    /// Its first token (comments before it aside), in the combined text.
    pub(super) code_start: usize,
    pub(super) input: usize,
    /// The table it changes, normalised ([`normalise`]), where that is one table; the domain of an
    /// `ALTER DOMAIN`.
    pub(super) table: Option<String>,
}

/// Whether `words` appear in a row among the statement's tokens (keywords, ignoring whitespace and comments).
pub(super) fn has_keywords(node: &SyntaxNode, words: &[&str]) -> bool {
    let tokens: Vec<String> = node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT))
        .map(|t| t.text().to_ascii_uppercase())
        .collect();
    tokens
        .windows(words.len())
        .any(|w| w.iter().zip(words).all(|(a, b)| a == b))
}

/// The table part of a possibly schema-qualified name, as PostgreSQL stores it: quoted names keep their case,
/// unquoted ones are folded to lower case. The schema is dropped: migrations rarely create a table of the same
/// name in two schemas, and dropping it lets `posts` and `public.posts` match.
pub(crate) fn normalise(name: &str) -> String {
    let name = name.trim();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c if quoted => current.push(c),
            c if c.is_whitespace() => {}
            c => current.extend(c.to_lowercase()),
        }
    }
    parts.push(current);
    parts.pop().unwrap_or_default()
}

/// A statement on one line, at most 120 characters, for findings.
pub(super) fn one_line(sql: &str) -> String {
    let flat = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let flat = flat.trim_end_matches(';').trim_end().to_owned();
    if flat.chars().count() > 120 {
        let cut: String = flat.chars().take(117).collect();
        format!("{cut}...")
    } else {
        flat
    }
}
