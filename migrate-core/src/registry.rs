//! The compiled migrations of a folder: [`Registry`] and its list, [`Migrations`].

use std::sync::OnceLock;

use crate::migration::{Compiled, Definition, Migration};

/// The compiled migrations of one folder.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    /// The folder, as an absolute path at build time.
    pub dir: &'static str,
    /// The migrations, ordered by timestamp.
    pub migrations: Migrations,
    /// The repeatable migrations (`repeatable_<name>.rs`), ordered by name: applied after the migrations
    /// whenever their file changed since they last ran.
    pub repeatables: Migrations,
    /// The `migrate.toml` the build found upwards from the compiling package, carried so that a binary deployed
    /// without its sources (an image with the runner alone) still runs with the settings it was built with. A
    /// file found when the binary runs wins over it; hand-built registries have none.
    pub config: Option<BuiltConfig>,
}

/// A `migrate.toml` as the build read it: its path at build time (its relative paths start from its folder)
/// and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltConfig {
    pub path: &'static str,
    pub text: &'static str,
}

/// A registry's migrations in timestamp order; dereferences to `[Migration]`.
///
/// A generated registry is one table of migrations ([`Compiled`]), or several in a folder with sealed
/// migrations ([`crate::seal`]): the older ones compiled in crates of their own, one table per sealed chunk,
/// and the owning crate's. The slice of handles is built the first time it is read (16 bytes a migration),
/// merging the tables by name (each is in timestamp order):
/// merging them while compiling would cost every build time in proportion to the number of migrations, which
/// is what sealing saves. A hand-built list is a slice of [`Definition`]s:
///
/// ```
/// use migrate_core::{Definition, Migrations};
/// # fn up(_: &mut migrate_dsl::MigrationBuilder) {}
/// static MIGRATIONS: Migrations = Migrations::new(&[Definition {
///     name: "20260101000000_first",
///     path: "migrations/20260101000000_first.rs",
///     source: "",
///     up,
///     down: None,
/// }]);
/// assert_eq!(MIGRATIONS.len(), 1);
/// assert_eq!(MIGRATIONS[0].name(), "20260101000000_first");
/// ```
#[derive(Clone, Copy)]
pub struct Migrations(Parts);

#[derive(Clone, Copy)]
enum Parts {
    Defined(&'static [Definition]),
    Compiled {
        tables: &'static [&'static Compiled],
        handles: &'static OnceLock<Box<[Migration]>>,
    },
}

impl Migrations {
    /// A hand-built list, already in timestamp order.
    pub const fn new(definitions: &'static [Definition]) -> Migrations {
        Migrations(Parts::Defined(definitions))
    }

    /// A generated registry: one table, or the sealed crates' and the owning crate's, each in timestamp
    /// order; the handles are built into `handles` on first use. Generated code.
    #[doc(hidden)]
    pub const fn compiled(
        tables: &'static [&'static Compiled],
        handles: &'static OnceLock<Box<[Migration]>>,
    ) -> Migrations {
        Migrations(Parts::Compiled { tables, handles })
    }

    /// The migrations, ordered by timestamp.
    pub fn as_slice(&self) -> &'static [Migration] {
        match self.0 {
            Parts::Defined(definitions) => defined(definitions),
            Parts::Compiled { tables, handles } => handles.get_or_init(|| merge(tables)),
        }
    }
}

/// The handles of a hand-built list, made once per list and kept for the life of the process (the list is
/// `'static` too). Lists are few (one per registry or test), so a linear search finds them.
fn defined(definitions: &'static [Definition]) -> &'static [Migration] {
    type Made = Vec<(usize, &'static [Migration])>;
    static MADE: std::sync::Mutex<Made> = std::sync::Mutex::new(Vec::new());
    let key = definitions.as_ptr() as usize;
    let mut made = MADE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, handles)) = made
        .iter()
        .find(|(k, handles)| *k == key && handles.len() == definitions.len())
    {
        return handles;
    }
    let handles: &'static [Migration] =
        Box::leak(definitions.iter().map(Migration::defined).collect());
    made.push((key, handles));
    handles
}

/// The tables' migrations in timestamp order. Names start with their timestamp, which no two migrations share.
fn merge(tables: &'static [&'static Compiled]) -> Box<[Migration]> {
    let mut out = Vec::with_capacity(tables.iter().map(|t| t.len()).sum());
    match tables {
        [a, b] => {
            let (mut i, mut j) = (0, 0);
            while i < a.len() && j < b.len() {
                let (x, y) = (a.migration(i), b.migration(j));
                if x.name() <= y.name() {
                    out.push(x);
                    i += 1;
                } else {
                    out.push(y);
                    j += 1;
                }
            }
            out.extend((i..a.len()).map(|i| a.migration(i)));
            out.extend((j..b.len()).map(|j| b.migration(j)));
        }
        [only] => out.extend((0..only.len()).map(|i| only.migration(i))),
        // Sealed chunks and the unsealed table: a k-way merge. The chunks mostly hold consecutive stretches of
        // the history, but not always (a migration merged from a branch is sealed after newer ones), so the
        // heap compares the head of every table.
        _ => {
            use std::cmp::Reverse;
            use std::collections::BinaryHeap;
            let mut next = vec![0usize; tables.len()];
            let mut heads: BinaryHeap<Reverse<(&'static str, usize)>> = tables
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.is_empty())
                .map(|(k, t)| Reverse((t.migration(0).name(), k)))
                .collect();
            while let Some(Reverse((_, k))) = heads.pop() {
                let table = tables[k];
                out.push(table.migration(next[k]));
                next[k] += 1;
                if next[k] < table.len() {
                    heads.push(Reverse((table.migration(next[k]).name(), k)));
                }
            }
        }
    }
    out.into_boxed_slice()
}

impl std::ops::Deref for Migrations {
    type Target = [Migration];

    fn deref(&self) -> &[Migration] {
        self.as_slice()
    }
}

impl IntoIterator for &Migrations {
    type Item = &'static Migration;
    type IntoIter = std::slice::Iter<'static, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl IntoIterator for Migrations {
    type Item = &'static Migration;
    type IntoIter = std::slice::Iter<'static, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl std::fmt::Debug for Migrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::Code;

    fn up(_: &mut migrate_dsl::MigrationBuilder) {}

    fn code(_: usize) -> Code {
        Code {
            up,
            down: None,
            source: "",
        }
    }

    #[test]
    fn sealed_and_unsealed_merge_into_timestamp_order() {
        static SEALED: Compiled = Compiled {
            names: "20260101000000_a20260101000002_c20260101000003_d",
            name_ends: &[16, 32, 48],
            dir: "/m",
            digests: &[[0; 32], [2; 32], [3; 32]],
            baselines: &[false, false, true],
            code,
        };
        static UNSEALED: Compiled = Compiled {
            names: "20260101000001_b20260101000004_e20260101000005_f",
            name_ends: &[16, 32, 48],
            dir: "/m",
            digests: &[[1; 32], [4; 32], [5; 32]],
            baselines: &[false; 3],
            code,
        };
        static HANDLES: OnceLock<Box<[Migration]>> = OnceLock::new();
        static ALL: Migrations = Migrations::compiled(&[&SEALED, &UNSEALED], &HANDLES);
        let names: Vec<&str> = ALL.iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "20260101000000_a",
                "20260101000001_b",
                "20260101000002_c",
                "20260101000003_d",
                "20260101000004_e",
                "20260101000005_f"
            ]
        );
        assert_eq!(ALL[4].path(), "/m/20260101000004_e.rs");
        // Each handle reads its own table's row.
        assert_eq!(ALL[3].checksum(), "03".repeat(32));
        assert!(ALL[3].is_baseline() && !ALL[2].is_baseline());
        // Read twice, merged once; a handle is two words, whatever the migration.
        assert!(std::ptr::eq(ALL.as_slice(), ALL.as_slice()));
        assert_eq!((&ALL).into_iter().count(), 6);
        assert_eq!(std::mem::size_of::<Migration>(), 16);
    }

    /// Sealed chunks: several tables, not each a stretch of the history (a migration merged from a branch
    /// sealed in a later chunk), one of them empty.
    #[test]
    fn several_chunks_merge_into_timestamp_order() {
        static FIRST: Compiled = Compiled {
            names: "20260101000000_a20260101000003_d",
            name_ends: &[16, 32],
            dir: "/m",
            digests: &[[0; 32], [3; 32]],
            baselines: &[false; 2],
            code,
        };
        static EMPTY: Compiled = Compiled {
            names: "",
            name_ends: &[],
            dir: "/m",
            digests: &[],
            baselines: &[],
            code,
        };
        static SECOND: Compiled = Compiled {
            names: "20260101000001_b20260101000004_e",
            name_ends: &[16, 32],
            dir: "/m",
            digests: &[[1; 32], [4; 32]],
            baselines: &[false; 2],
            code,
        };
        static UNSEALED: Compiled = Compiled {
            names: "20260101000002_c20260101000005_f",
            name_ends: &[16, 32],
            dir: "/m",
            digests: &[[2; 32], [5; 32]],
            baselines: &[false; 2],
            code,
        };
        static HANDLES: OnceLock<Box<[Migration]>> = OnceLock::new();
        static ALL: Migrations =
            Migrations::compiled(&[&FIRST, &EMPTY, &SECOND, &UNSEALED], &HANDLES);
        let names: Vec<&str> = ALL.iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "20260101000000_a",
                "20260101000001_b",
                "20260101000002_c",
                "20260101000003_d",
                "20260101000004_e",
                "20260101000005_f"
            ]
        );
        assert_eq!(ALL[4].checksum(), "04".repeat(32));
    }

    #[test]
    fn a_hand_built_list_gets_its_handles_once() {
        static LIST: [Definition; 2] = [
            Definition {
                name: "20260101000000_a",
                path: "a.rs",
                source: "a",
                up,
                down: None,
            },
            Definition {
                name: "20260101000001_b",
                path: "b.rs",
                source: "b",
                up,
                down: Some(up),
            },
        ];
        static ALL: Migrations = Migrations::new(&LIST);
        assert_eq!(ALL[1].name(), "20260101000001_b");
        assert!(ALL[1].down().is_some() && ALL[0].down().is_none());
        assert_eq!(ALL[0].checksum(), crate::migration::checksum("a"));
        assert!(std::ptr::eq(ALL.as_slice(), ALL.as_slice()));
        // The first one alone is another list.
        assert_eq!(Migrations::new(&LIST[..1]).len(), 1);
    }
}
