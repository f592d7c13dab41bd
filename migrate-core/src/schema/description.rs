//! The schema as data: one entry per object, and its text form for the schema file.

use std::fmt;

/// First line of the rendered text. It says what the file is: a review aid, not something to restore from.
pub const HEADER: &str =
    "-- Schema after the latest migration run, described from PostgreSQL's catalog by `migrate`\n\
-- (a review aid, not a restorable dump); written by `migrate`, do not edit.\n";

/// Every user object of a database, in a fixed order, with what a reviewer needs to see of it. Two databases
/// with the same schema give equal descriptions, whatever order their objects were created in and whatever
/// their owners are called; the text form ([`SchemaDescription::render`]) shows one object per paragraph,
/// so a change to one object is a small diff.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaDescription {
    objects: Vec<SchemaObject>,
}

/// One object: `table public.users`, `function public.f(integer)`, ... and the lines describing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObject {
    kind: Kind,
    /// Schema-qualified, as the catalog spells it (not quoted).
    name: String,
    /// The header's remainder after the name (`as bigint start 1 ...`, `partition of ...`).
    summary: String,
    lines: Vec<String>,
}

/// Kinds of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    Schema,
    Extension,
    Enum,
    Range,
    Domain,
    CompositeType,
    Table,
    PartitionedTable,
    ForeignTable,
    View,
    MaterializedView,
    Sequence,
    Function,
    Procedure,
    Aggregate,
    Operator,
    OperatorFamily,
    Cast,
    DefaultPrivileges,
    EventTrigger,
}

impl Kind {
    /// Objects are listed by group, then name: all kinds of table together (a partition next to its
    /// parent), functions next to procedures.
    fn group(self) -> u8 {
        match self {
            Kind::Schema => 0,
            Kind::Extension => 1,
            Kind::Enum | Kind::Range | Kind::Domain | Kind::CompositeType => 2,
            Kind::Table | Kind::PartitionedTable | Kind::ForeignTable => 3,
            Kind::View | Kind::MaterializedView => 4,
            Kind::Sequence => 5,
            Kind::Function | Kind::Procedure | Kind::Aggregate => 6,
            Kind::Operator => 7,
            Kind::OperatorFamily => 8,
            Kind::Cast => 9,
            Kind::DefaultPrivileges => 10,
            Kind::EventTrigger => 11,
        }
    }

    /// The word the text starts the object's paragraph with.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Enum => "enum",
            Kind::Range => "range",
            Kind::Domain => "domain",
            Kind::CompositeType => "type",
            Kind::Table => "table",
            Kind::PartitionedTable => "partitioned table",
            Kind::ForeignTable => "foreign table",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::Sequence => "sequence",
            Kind::Function => "function",
            Kind::Procedure => "procedure",
            Kind::Aggregate => "aggregate",
            Kind::Operator => "operator",
            Kind::OperatorFamily => "operator family",
            Kind::Cast => "cast",
            Kind::DefaultPrivileges => "default privileges",
            Kind::EventTrigger => "event trigger",
        }
    }
}

impl SchemaObject {
    pub(crate) fn new(kind: Kind, name: String) -> SchemaObject {
        SchemaObject {
            kind,
            name,
            summary: String::new(),
            lines: Vec::new(),
        }
    }

    pub(crate) fn summary(&mut self, part: impl AsRef<str>) {
        if !self.summary.is_empty() {
            self.summary.push(' ');
        }
        self.summary.push_str(part.as_ref());
    }

    /// A line; one the server printed over several lines (a rule) has its continuation lines indented
    /// under it, so every paragraph stays one block.
    pub(crate) fn line(&mut self, line: impl Into<String>) {
        let line: String = line.into();
        let mut parts = line.trim_end().lines();
        self.lines
            .push(parts.next().unwrap_or_default().trim_end().to_owned());
        for part in parts {
            self.lines.push(format!("  {}", part.trim_end()));
        }
    }

    /// A multi-line text (a function body, a view's query) under a one-word label, indented.
    pub(crate) fn block(&mut self, label: &str, text: &str) {
        self.lines.push(label.to_owned());
        for line in text.trim_end().lines() {
            self.lines.push(format!("  {}", line.trim_end()));
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The same object under `name`, its header's remainder and every line passed through `map`.
    pub(crate) fn with_text(&self, name: String, map: impl Fn(&str) -> String) -> SchemaObject {
        SchemaObject {
            kind: self.kind,
            name,
            summary: map(&self.summary),
            lines: self.lines.iter().map(|line| map(line)).collect(),
        }
    }

    /// Schema-qualified name (functions with their argument types).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lines under the header, in the order shown.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl SchemaDescription {
    /// Sorts by group of kinds, then name; the lines of each object keep the order they were given in.
    pub(crate) fn new(mut objects: Vec<SchemaObject>) -> SchemaDescription {
        objects.sort_by(|a, b| (a.kind.group(), &a.name).cmp(&(b.kind.group(), &b.name)));
        SchemaDescription { objects }
    }

    pub fn objects(&self) -> &[SchemaObject] {
        &self.objects
    }

    /// Whether the database holds no user object at all.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The text of the schema file: [`HEADER`], then one paragraph per object, separated by blank lines.
    /// Lines under an object's header are indented by two spaces; nothing in it depends on the time, the
    /// server's version string or the names of owners.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SchemaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HEADER)?;
        for object in &self.objects {
            f.write_str("\n")?;
            write!(f, "{} {}", object.kind.word(), object.name)?;
            if !object.summary.is_empty() {
                write!(f, " {}", object.summary)?;
            }
            f.write_str("\n")?;
            for line in &object.lines {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind, through an exhaustive match: a new kind fails to compile until it is listed here.
    fn every_kind() -> Vec<Kind> {
        let all = [
            Kind::Schema,
            Kind::Extension,
            Kind::Enum,
            Kind::Range,
            Kind::Domain,
            Kind::CompositeType,
            Kind::Table,
            Kind::PartitionedTable,
            Kind::ForeignTable,
            Kind::View,
            Kind::MaterializedView,
            Kind::Sequence,
            Kind::Function,
            Kind::Procedure,
            Kind::Aggregate,
            Kind::Operator,
            Kind::OperatorFamily,
            Kind::Cast,
            Kind::DefaultPrivileges,
            Kind::EventTrigger,
        ];
        for kind in all {
            match kind {
                Kind::Schema
                | Kind::Extension
                | Kind::Enum
                | Kind::Range
                | Kind::Domain
                | Kind::CompositeType
                | Kind::Table
                | Kind::PartitionedTable
                | Kind::ForeignTable
                | Kind::View
                | Kind::MaterializedView
                | Kind::Sequence
                | Kind::Function
                | Kind::Procedure
                | Kind::Aggregate
                | Kind::Operator
                | Kind::OperatorFamily
                | Kind::Cast
                | Kind::DefaultPrivileges
                | Kind::EventTrigger => {}
            }
        }
        all.to_vec()
    }

    #[test]
    fn every_kind_has_a_word_of_its_own() {
        let kinds = every_kind();
        let words: std::collections::BTreeSet<&str> = kinds.iter().map(|k| k.word()).collect();
        assert_eq!(
            words.len(),
            kinds.len(),
            "two kinds share a word: {words:?}"
        );
    }

    #[test]
    fn continuation_lines_and_blocks_are_indented_under_their_first_line() {
        let mut rule = SchemaObject::new(Kind::Table, "public.t".to_owned());
        rule.line(
            "rule r AS
    ON DELETE TO public.t DO INSTEAD NOTHING;  
",
        );
        rule.line("");
        rule.block(
            "definition",
            " SELECT 1
   FROM t;

",
        );
        assert_eq!(
            rule.lines(),
            [
                "rule r AS",
                "      ON DELETE TO public.t DO INSTEAD NOTHING;",
                "",
                "definition",
                "   SELECT 1",
                "     FROM t;"
            ]
        );
    }

    #[test]
    fn an_empty_description_is_its_header() {
        let empty = SchemaDescription::new(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(empty.render(), HEADER);
    }

    #[test]
    fn objects_are_listed_by_kind_then_name_whatever_order_they_came_in() {
        let mut users = SchemaObject::new(Kind::Table, "public.users".to_owned());
        users.line("column id bigint not null");
        let mut seq = SchemaObject::new(Kind::Sequence, "public.a_seq".to_owned());
        seq.summary("as bigint");
        seq.summary("start 1");
        let mut view = SchemaObject::new(Kind::View, "public.v".to_owned());
        view.block("definition", " SELECT 1 AS one;\n");
        let posts = SchemaObject::new(Kind::Table, "public.posts".to_owned());
        let description = SchemaDescription::new(vec![seq, view, users, posts]);
        insta::assert_snapshot!(description.render(), @r"
        -- Schema after the latest migration run, described from PostgreSQL's catalog by `migrate`
        -- (a review aid, not a restorable dump); written by `migrate`, do not edit.

        table public.posts

        table public.users
          column id bigint not null

        view public.v
          definition
             SELECT 1 AS one;

        sequence public.a_seq as bigint start 1
        ");
    }
}
