//! The compiled migrations of a folder: [`Registry`] and its list, [`Migrations`].

use std::sync::OnceLock;

use crate::migration::Migration;

/// The compiled migrations of one folder.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    /// The folder, as an absolute path at build time.
    pub dir: &'static str,
    /// The migrations, ordered by timestamp.
    pub migrations: Migrations,
}

/// A registry's migrations in timestamp order; dereferences to `[Migration]`.
///
/// Usually one slice. In a folder with sealed migrations ([`crate::seal`]) the older ones are compiled in a
/// crate of their own and the list is two slices, merged by name (each is in timestamp order) the first time
/// it is read: merging them while compiling would cost every build time in proportion to the number of
/// migrations, which is what sealing saves.
///
/// ```
/// use migrate_core::{Migration, Migrations};
/// # fn up(_: &mut migrate_dsl::MigrationBuilder) {}
/// static MIGRATIONS: Migrations = Migrations::new(&[Migration {
///     name: "20260101000000_first",
///     path: "migrations/20260101000000_first.rs",
///     source: "",
///     precomputed: None,
///     up,
///     down: None,
/// }]);
/// assert_eq!(MIGRATIONS.len(), 1);
/// assert_eq!(MIGRATIONS[0].name, "20260101000000_first");
/// ```
#[derive(Clone, Copy)]
pub struct Migrations(Parts);

#[derive(Clone, Copy)]
enum Parts {
    One(&'static [Migration]),
    Sealed {
        sealed: &'static [Migration],
        unsealed: &'static [Migration],
        merged: &'static OnceLock<Box<[Migration]>>,
    },
}

impl Migrations {
    /// A list that is one slice, already in timestamp order.
    pub const fn new(migrations: &'static [Migration]) -> Migrations {
        Migrations(Parts::One(migrations))
    }

    /// The registry of a folder with sealed migrations: the sealed crate's and the owning crate's, each in
    /// timestamp order, merged into `merged` on first use. Generated code.
    #[doc(hidden)]
    pub const fn sealed(
        sealed: &'static [Migration],
        unsealed: &'static [Migration],
        merged: &'static OnceLock<Box<[Migration]>>,
    ) -> Migrations {
        Migrations(Parts::Sealed {
            sealed,
            unsealed,
            merged,
        })
    }

    /// The migrations, ordered by timestamp.
    pub fn as_slice(&self) -> &'static [Migration] {
        match self.0 {
            Parts::One(all) => all,
            Parts::Sealed {
                sealed,
                unsealed,
                merged,
            } => merged.get_or_init(|| merge(sealed, unsealed)),
        }
    }
}

/// Two lists in timestamp order as one. Names start with their timestamp, which no two migrations share.
fn merge(a: &[Migration], b: &[Migration]) -> Box<[Migration]> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].name <= b[j].name {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
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

    fn up(_: &mut migrate_dsl::MigrationBuilder) {}

    const fn named(name: &'static str) -> Migration {
        Migration {
            name,
            path: "",
            source: "",
            precomputed: None,
            up,
            down: None,
        }
    }

    #[test]
    fn sealed_and_unsealed_merge_into_timestamp_order() {
        static SEALED: [Migration; 3] = [
            named("20260101000000_a"),
            named("20260101000002_c"),
            named("20260101000003_d"),
        ];
        static UNSEALED: [Migration; 3] = [
            named("20260101000001_b"),
            named("20260101000004_e"),
            named("20260101000005_f"),
        ];
        static MERGED: OnceLock<Box<[Migration]>> = OnceLock::new();
        static ALL: Migrations = Migrations::sealed(&SEALED, &UNSEALED, &MERGED);
        let names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
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
        // Read twice, merged once.
        assert!(std::ptr::eq(ALL.as_slice(), ALL.as_slice()));
        assert_eq!((&ALL).into_iter().count(), 6);
    }
}
