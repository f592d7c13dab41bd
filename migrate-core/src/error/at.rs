//! Where a failed operation is: the start of each error's first line.

/// Where a failed operation is, for the first line of its error: `migration NAME failed in `up` at operation #2
/// (sql), migrations/NAME.rs:14` when the operation's line in the file is known, else `migration NAME
/// (migrations/NAME.rs) failed in `up` at operation #2 (sql)`.
pub(super) struct At<'a> {
    name: &'a str,
    path: &'a str,
    line: Option<u32>,
    position: usize,
    op: &'a str,
    /// In raw SQL of several statements, which one (1-based) of how many.
    statement: Option<(usize, usize)>,
}

impl<'a> At<'a> {
    pub(super) fn new(name: &'a str, path: &'a str, line: Option<u32>, position: usize, op: &'a str) -> Self {
        At {
            name,
            path,
            line,
            position,
            op,
            statement: None,
        }
    }

    /// The same place, in statement `number` of the operation's `count`.
    pub(super) fn statement(self, number: usize, count: usize) -> Self {
        At {
            statement: Some((number, count)),
            ..self
        }
    }

    /// `migration NAME`, with the file when the operation's line does not name it.
    pub(super) fn migration(&self) -> String {
        match self.line {
            Some(_) => format!("migration {}", self.name),
            None => format!("migration {} ({})", self.name, self.path),
        }
    }

    /// `at operation #2 (sql)`, with `, statement 3 of 4` in raw SQL of several statements and `, FILE:LINE`
    /// when known.
    pub(super) fn operation(&self) -> String {
        let mut out = format!("at operation #{} ({})", self.position, self.op);
        if let Some((number, count)) = self.statement {
            out.push_str(&format!(", statement {number} of {count}"));
        }
        if let Some(line) = self.line {
            out.push_str(&format!(", {}:{line}", self.path));
        }
        out
    }
}
