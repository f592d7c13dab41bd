//! The rows of the migrations table as the engine keeps them ([`History`]), and one row in its public form
//! ([`AppliedMigration`]).
//!
//! # Why the rows are compact
//!
//! `up`, `down` and `status` read every row, and a no-op `up` on a database with tens of thousands of
//! applied migrations holds all of them at once, so what a row costs decides the run's memory. A row whose
//! name is a compiled migration's (nearly every row) keeps no copy of that name: it refers to the migration
//! by position ([`Known`]), and to the migration's checksum as well when the recorded one agrees. Such a row
//! is 48 bytes with nothing beside it on the heap, so memory stays flat per migration instead of growing
//! with names and checksums: only a row without a file, or whose checksum differs from its file's, keeps its
//! own name (in one shared string) or digest (as 32 bytes, not 64 hex digits); a checksum this tool would
//! not write is kept as read. [`load`](super::load) streams the rows into the store, sized once from the
//! first row's count, and `status` makes an [`AppliedMigration`] of a row only when it shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::migration::Migration;

use super::table::ADOPTED_PREFIX;

/// One row of the migrations table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub id: i64,
    pub name: String,
    pub run_on: DateTime<Utc>,
    /// `None` when the row has none (written by another tool, or by hand): the file cannot be compared.
    pub checksum: Option<String>,
    /// `None` when the row has none.
    pub execution_ms: Option<i64>,
}

/// A row's checksum as the engine keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// The row has none (written by another tool, or by hand).
    Missing,
    /// 64 lowercase hex digits, as this tool writes them, kept as the 32 bytes they spell.
    Digest([u8; 32]),
    /// Any other text, kept as read (position in [`History`]'s list of them): it matches no file.
    Odd(u32),
}

/// The rows of the migrations table, oldest first, as `up`, `down` and `status` read them, kept compact
/// (see the module documentation for how and why).
#[derive(Debug, Clone, Default)]
pub(crate) struct History<'m> {
    known: Known<'m>,
    rows: Vec<Row>,
    /// The names of rows that match no compiled migration, concatenated, and where each one starts and ends.
    names: String,
    name_ranges: Vec<(u32, u32)>,
    /// Recorded digests that are not a compiled migration's of the same name.
    digests: Vec<[u8; 32]>,
    /// Recorded checksums that are not a digest this tool writes, as read.
    odd: Vec<String>,
    /// Where the next row's migration probably is: after the last row's (see [`Known::find_from`]).
    guess: u32,
}

/// The compiled migrations the rows are matched with by name.
#[derive(Debug, Clone, Default)]
struct Known<'m> {
    migrations: &'m [Migration],
    /// Their positions in name order, when the list is not in it already (a hand-built list; a generated
    /// registry is in timestamp order, which is name order).
    by_name: Option<Vec<u32>>,
}

impl<'m> Known<'m> {
    fn new(migrations: &'m [Migration]) -> Self {
        Known {
            migrations,
            by_name: crate::migration::name_order(migrations),
        }
    }

    /// The position of the migration called `name`.
    fn find(&self, name: &str) -> Option<u32> {
        let name_at = |i: u32| self.migrations[i as usize].name();
        match &self.by_name {
            None => self
                .migrations
                .binary_search_by(|m| m.name().cmp(name))
                .ok()
                .map(|i| i as u32),
            Some(order) => order
                .binary_search_by(|&i| name_at(i).cmp(name))
                .ok()
                .map(|at| order[at]),
        }
    }

    /// [`find`](Self::find), trying `guess` first. Rows come in the order they were applied, which is nearly
    /// always the files' order, so the migration after the last row's is the next row's: one comparison
    /// instead of a binary search per row (a tenth of reading 10,000 rows).
    fn find_from(&self, name: &str, guess: u32) -> Option<u32> {
        // Only when the list is in name order, as a generated registry is: positions are then the order.
        let sorted = self.by_name.is_none();
        match self.migrations.get(guess as usize) {
            Some(m) if sorted && m.name() == name => Some(guess),
            _ => self.find(name),
        }
    }

    fn get(&self, i: u32) -> &Migration {
        &self.migrations[i as usize]
    }
}

#[derive(Debug, Clone, Copy)]
struct Row {
    id: i64,
    /// Meaningful only when `has_execution_ms` (an `Option<i64>` would take 8 bytes more a row).
    execution_ms: i64,
    run_on: DateTime<Utc>,
    name: Name,
    checksum: Recorded,
    has_execution_ms: bool,
}

/// Where a row's name is.
#[derive(Debug, Clone, Copy)]
enum Name {
    /// The name of compiled migration `i` ([`Known`]).
    Known(u32),
    /// Range `i` of [`History::name_ranges`].
    Own(u32),
}

/// A row's checksum, as kept.
#[derive(Debug, Clone, Copy)]
enum Recorded {
    Missing,
    /// The checksum of compiled migration `i` ([`Known`]), the one the row is named after.
    SameAsFile(u32),
    /// Digest `i` of [`History::digests`].
    Digest(u32),
    /// Text `i` of [`History::odd`].
    Odd(u32),
}

impl<'m> History<'m> {
    /// An empty history whose rows will be matched with `known` by name.
    pub(super) fn matched_with(known: &'m [Migration], rows: usize) -> History<'m> {
        History {
            known: Known::new(known),
            rows: Vec::with_capacity(rows),
            ..History::default()
        }
    }

    /// `rows` matched with `known` by name.
    pub(crate) fn of_rows(known: &'m [Migration], rows: &[AppliedMigration]) -> History<'m> {
        let mut history = History::matched_with(known, rows.len());
        for a in rows {
            history.push(
                a.id,
                &a.name,
                a.run_on,
                a.checksum.as_deref(),
                a.execution_ms,
            );
        }
        history
    }

    /// Appends a row.
    pub(crate) fn push(
        &mut self,
        id: i64,
        name: &str,
        run_on: DateTime<Utc>,
        checksum: Option<&str>,
        execution_ms: Option<i64>,
    ) {
        let checksum = match checksum {
            None => Checksum::Missing,
            Some(text) => match parse_digest(text) {
                Some(digest) => Checksum::Digest(digest),
                None => {
                    self.odd.push(text.to_owned());
                    Checksum::Odd(self.odd.len() as u32 - 1)
                }
            },
        };
        self.push_with(id, name, run_on, checksum, execution_ms);
    }

    fn push_with(
        &mut self,
        id: i64,
        name: &str,
        run_on: DateTime<Utc>,
        checksum: Checksum,
        execution_ms: Option<i64>,
    ) {
        let known = self.known.find_from(name, self.guess);
        if let Some(k) = known {
            self.guess = k.saturating_add(1);
        }
        let name = match known {
            Some(i) => Name::Known(i),
            None => {
                let start = self.names.len() as u32;
                self.names.push_str(name);
                self.name_ranges.push((start, self.names.len() as u32));
                Name::Own(self.name_ranges.len() as u32 - 1)
            }
        };
        let checksum = match checksum {
            Checksum::Missing => Recorded::Missing,
            Checksum::Odd(at) => Recorded::Odd(at),
            Checksum::Digest(digest) => match known {
                Some(k) if self.known.get(k).digest() == digest => Recorded::SameAsFile(k),
                _ => {
                    self.digests.push(digest);
                    Recorded::Digest(self.digests.len() as u32 - 1)
                }
            },
        };
        self.rows.push(Row {
            id,
            execution_ms: execution_ms.unwrap_or(0),
            run_on,
            name,
            checksum,
            has_execution_ms: execution_ms.is_some(),
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The name of row `i`.
    pub(crate) fn name(&self, i: usize) -> &str {
        match self.rows[i].name {
            Name::Known(k) => self.known.get(k).name(),
            Name::Own(at) => {
                let (start, end) = self.name_ranges[at as usize];
                self.names.get(start as usize..end as usize).unwrap_or("")
            }
        }
    }

    /// Every row's name, oldest first.
    pub(crate) fn names(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.name(i))
    }

    /// Whether a row has this name.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    pub(crate) fn id(&self, i: usize) -> i64 {
        self.rows[i].id
    }

    pub(crate) fn checksum(&self, i: usize) -> Checksum {
        match self.rows[i].checksum {
            Recorded::Missing => Checksum::Missing,
            Recorded::SameAsFile(k) => Checksum::Digest(self.known.get(k).digest()),
            Recorded::Digest(at) => Checksum::Digest(self.digests[at as usize]),
            Recorded::Odd(at) => Checksum::Odd(at),
        }
    }

    /// Whether row `i` records `m`'s current checksum; `None` when it records none.
    pub(crate) fn matches(&self, i: usize, m: &crate::Migration) -> Option<bool> {
        match self.checksum(i) {
            Checksum::Missing => None,
            Checksum::Digest(digest) => Some(digest == m.digest()),
            Checksum::Odd(_) => Some(false),
        }
    }

    /// Whether row `i` was adopted from another tool and has no file here by design ([`ADOPTED_PREFIX`]).
    pub(crate) fn is_adopted(&self, i: usize) -> bool {
        self.adopted_from(i).is_some()
    }

    /// The tool row `i` was adopted from (`node-pg-migrate`), when it was adopted ([`ADOPTED_PREFIX`]).
    pub(crate) fn adopted_from(&self, i: usize) -> Option<&str> {
        match self.checksum(i) {
            Checksum::Odd(at) => self
                .odd
                .get(at as usize)
                .and_then(|text| text.strip_prefix(ADOPTED_PREFIX)),
            _ => None,
        }
    }

    /// When row `i` was applied.
    pub(crate) fn run_on(&self, i: usize) -> DateTime<Utc> {
        self.rows[i].run_on
    }

    /// Row `i` as the public type.
    pub(crate) fn row(&self, i: usize) -> AppliedMigration {
        let row = &self.rows[i];
        AppliedMigration {
            id: row.id,
            name: self.name(i).to_owned(),
            run_on: row.run_on,
            checksum: match self.checksum(i) {
                Checksum::Missing => None,
                Checksum::Digest(digest) => Some(crate::migration::hex(&digest)),
                Checksum::Odd(at) => self.odd.get(at as usize).cloned(),
            },
            execution_ms: row.has_execution_ms.then_some(row.execution_ms),
        }
    }

    /// The rows for which `keep` returns a name (the row's own or another), in the same order.
    pub(crate) fn rebuilt<'n>(
        &self,
        mut keep: impl FnMut(usize) -> Option<Kept<'n>>,
    ) -> History<'m> {
        let mut out = History {
            known: self.known.clone(),
            rows: Vec::with_capacity(self.rows.len()),
            odd: self.odd.clone(),
            ..History::default()
        };
        for i in 0..self.len() {
            let row = self.rows[i];
            let execution_ms = row.has_execution_ms.then_some(row.execution_ms);
            match keep(i) {
                None => {}
                Some(Kept::AsIs) => {
                    out.push_with(
                        row.id,
                        self.name(i),
                        row.run_on,
                        self.checksum(i),
                        execution_ms,
                    );
                }
                Some(Kept::As { name, digest }) => {
                    out.push_with(
                        row.id,
                        name,
                        row.run_on,
                        Checksum::Digest(digest),
                        execution_ms,
                    );
                }
            }
        }
        out
    }
}

/// What [`History::rebuilt`] keeps of a row.
pub(crate) enum Kept<'n> {
    AsIs,
    /// The row under another name and checksum (a squashed baseline standing for the rows it replaces).
    As {
        name: &'n str,
        digest: [u8; 32],
    },
}

impl From<&[AppliedMigration]> for History<'static> {
    /// The rows matched with no compiled migration: each keeps its own name and checksum.
    fn from(rows: &[AppliedMigration]) -> History<'static> {
        History::of_rows(&[], rows)
    }
}

/// The digest 64 lowercase hex digits spell, as [`crate::Migration::checksum`] writes it.
pub(crate) fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut digest = [0; 32];
    for (byte, pair) in digest.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{checksum, Definition, Migration};

    fn row(id: i64, name: &str, checksum: Option<&str>) -> AppliedMigration {
        AppliedMigration {
            id,
            name: name.to_owned(),
            run_on: DateTime::UNIX_EPOCH,
            checksum: checksum.map(str::to_owned),
            execution_ms: Some(id * 10),
        }
    }

    /// What is kept gives back every row as read: a checksum this tool wrote (kept as a digest), one in
    /// capitals or of another length (kept as text), none at all.
    #[test]
    fn rows_come_back_as_they_were_read() {
        let ours = checksum("a");
        let capitals = ours.to_uppercase();
        let rows = [
            row(1, "20260101000000_a", Some(&ours)),
            row(2, "20260101000001_b", Some(&capitals)),
            row(3, "20260101000002_c", Some("md5:abc")),
            row(4, "20260101000003_d", None),
        ];
        let history = History::from(&rows[..]);
        assert_eq!(history.len(), 4);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(history.row(i), *r);
            assert_eq!(history.name(i), r.name);
        }
        assert!(matches!(history.checksum(0), Checksum::Digest(_)));
        assert!(matches!(history.checksum(1), Checksum::Odd(_)));
        assert_eq!(history.checksum(3), Checksum::Missing);
        assert_eq!(history.names().next_back(), Some("20260101000003_d"));
    }

    #[test]
    fn a_row_matches_the_file_it_recorded_and_only_that() {
        static A: Migration = Migration::defined(&Definition {
            name: "20260101000000_a",
            path: "a.rs",
            source: "a",
            up: |_| {},
            down: None,
        });
        let edited = checksum("a, edited");
        let rows = [
            row(1, "20260101000000_a", Some(&checksum("a"))),
            row(2, "20260101000000_a", Some(&edited)),
            row(3, "20260101000000_a", Some(&checksum("a").to_uppercase())),
            row(4, "20260101000000_a", None),
        ];
        let history = History::from(&rows[..]);
        assert_eq!(history.matches(0, &A), Some(true));
        assert_eq!(history.matches(1, &A), Some(false));
        assert_eq!(history.matches(2, &A), Some(false));
        assert_eq!(history.matches(3, &A), None);
    }

    /// A hand-written migration called `name` whose source is `source`.
    const fn defined(name: &'static str, source: &'static str) -> Definition {
        Definition {
            name,
            path: "",
            source,
            up: |_| {},
            down: None,
        }
    }

    static DEFINED: [Definition; 3] = [
        defined("20260101000000_a", "a"),
        defined("20260101000001_b", "b"),
        defined("20260101000002_c", "c"),
    ];

    static KNOWN: [Migration; 3] = [
        Migration::defined(&DEFINED[0]),
        Migration::defined(&DEFINED[1]),
        Migration::defined(&DEFINED[2]),
    ];

    /// Rows named after compiled migrations refer to them instead of keeping a copy, and still give back
    /// exactly what was read: the file's checksum, another one, one in capitals, none, a name without a file,
    /// the same name twice.
    #[test]
    fn rows_named_after_compiled_migrations_come_back_as_read() {
        let rows = [
            row(1, "20260101000000_a", Some(&checksum("a"))),
            row(2, "20260101000001_b", Some(&checksum("b, edited"))),
            row(3, "20260101000002_c", Some(&checksum("c").to_uppercase())),
            row(4, "20251231000000_gone", Some(&checksum("gone"))),
            row(5, "20260101000000_a", None),
            AppliedMigration {
                execution_ms: None,
                ..row(6, "20260101000002_c", Some(&checksum("c")))
            },
        ];
        let history = History::of_rows(&KNOWN, &rows);
        assert_eq!(history.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(history.row(i), *r, "row {i}");
            assert_eq!(history.name(i), r.name);
        }
        assert_eq!(history.matches(0, &KNOWN[0]), Some(true));
        assert_eq!(history.matches(1, &KNOWN[1]), Some(false));
        assert_eq!(history.matches(2, &KNOWN[2]), Some(false));
        assert_eq!(history.matches(4, &KNOWN[0]), None);
        assert_eq!(history.matches(5, &KNOWN[2]), Some(true));
        // A row is compared with the migration it is asked about, not the one it is named after.
        assert_eq!(history.matches(0, &KNOWN[1]), Some(false));
        assert_eq!(
            history.checksum(3),
            Checksum::Digest(parse_digest(&checksum("gone")).unwrap())
        );
        // Only what differs from the files is kept beside the rows.
        assert_eq!(history.names, "20251231000000_gone");
        assert_eq!(history.digests.len(), 2);
        assert_eq!(history.odd.len(), 1);
    }

    /// Rows find their migration whatever their order: the guess that the next row's migration follows the
    /// last one's only saves a search.
    #[test]
    fn rows_in_any_order_find_their_migration() {
        for order in [[0, 1, 2, 2], [2, 1, 0, 0], [1, 2, 0, 1], [0, 2, 1, 0]] {
            let rows: Vec<AppliedMigration> = order
                .iter()
                .enumerate()
                .map(|(id, &k)| {
                    let source = ["a", "b", "c"][k];
                    row(id as i64, DEFINED[k].name, Some(&checksum(source)))
                })
                .collect();
            let history = History::of_rows(&KNOWN, &rows);
            assert!(history.names.is_empty(), "{order:?}");
            assert!(history.digests.is_empty(), "{order:?}");
            for (i, &k) in order.iter().enumerate() {
                assert_eq!(history.matches(i, &KNOWN[k]), Some(true), "{order:?} row {i}");
                assert_eq!(history.row(i), rows[i], "{order:?} row {i}");
            }
        }
    }

    /// A hand-built list need not be in name order: rows still find their migration.
    #[test]
    fn rows_find_their_migration_in_a_list_out_of_name_order() {
        let shuffled = [KNOWN[2], KNOWN[0], KNOWN[1]];
        let rows = [
            row(1, "20260101000001_b", Some(&checksum("b"))),
            row(2, "20260101000002_c", Some(&checksum("c"))),
        ];
        let history = History::of_rows(&shuffled, &rows);
        assert!(history.names.is_empty());
        assert!(history.digests.is_empty());
        assert_eq!(history.name(0), "20260101000001_b");
        assert_eq!(history.matches(1, &KNOWN[2]), Some(true));
        assert_eq!(history.row(1), rows[1]);
    }

    /// The size that makes a no-op `up` with tens of thousands of rows cheap (see the module documentation).
    #[test]
    fn a_row_takes_48_bytes() {
        assert!(
            std::mem::size_of::<Row>() <= 48,
            "{}",
            std::mem::size_of::<Row>()
        );
    }

    #[test]
    fn rebuilding_drops_renames_and_keeps_the_rest_in_order() {
        let rows = [
            row(1, "20260101000000_a", Some("odd")),
            row(2, "20260101000001_b", Some(&checksum("b"))),
            row(3, "20260101000002_c", None),
        ];
        let history = History::from(&rows[..]);
        let digest = [7; 32];
        let rebuilt = history.rebuilt(|i| match i {
            0 => Some(Kept::AsIs),
            1 => None,
            _ => Some(Kept::As {
                name: "20260101000009_baseline",
                digest,
            }),
        });
        assert_eq!(rebuilt.row(0), rows[0]);
        assert_eq!(
            rebuilt.row(1),
            AppliedMigration {
                name: "20260101000009_baseline".to_owned(),
                checksum: Some("07".repeat(32)),
                ..rows[2].clone()
            }
        );
        assert_eq!(rebuilt.len(), 2);
    }

    /// A row rebuilt under a compiled migration's name and digest refers to that migration like a loaded one.
    #[test]
    fn rebuilding_under_a_compiled_name_refers_to_it() {
        let rows = [
            row(1, "20251231000000_squashed", Some(&checksum("old"))),
            row(2, "20260101000000_a", Some(&checksum("a"))),
        ];
        let history = History::of_rows(&KNOWN, &rows);
        let rebuilt = history.rebuilt(|i| match i {
            0 => Some(Kept::As {
                name: "20260101000002_c",
                digest: KNOWN[2].digest(),
            }),
            _ => Some(Kept::AsIs),
        });
        assert_eq!(rebuilt.name(0), "20260101000002_c");
        assert_eq!(rebuilt.matches(0, &KNOWN[2]), Some(true));
        assert_eq!(rebuilt.row(1), rows[1]);
        assert!(rebuilt.names.is_empty());
        assert!(rebuilt.digests.is_empty());
    }
}
