//! How every compiled migration and every applied row stands, with nothing copied.

use super::*;

/// How every compiled migration and every applied row stands: one [`State`] per migration and the rows
/// without a file, with nothing copied. `up` and `down` check this before planning; [`StatusReport`] lays it
/// out as entries. Kept small on purpose: a no-op `up` with tens of thousands of migrations reads every row,
/// and its memory must not grow with a copy of each.
pub(crate) struct Classified {
    /// The state of each compiled migration, in registry order (never `Missing` or `Failed`).
    pub(crate) states: Vec<State>,
    /// For each compiled migration, the index of its applied row (for a renamed file, the row under its old
    /// name); `NO_ROW` when there is none.
    rows: Vec<u32>,
    /// Indices of the applied rows whose file is gone (and which are not a rename, nor squashed), in row
    /// order.
    pub(crate) missing: Vec<usize>,
    /// Indices of the applied rows adopted from another tool (no file by design), in row order.
    pub(crate) adopted: Vec<usize>,
    /// Rows of `missing` whose content pending files have, with those files' positions, when the rename
    /// cannot be told (several files with it, or several rows): by row.
    lookalikes: Vec<(usize, Vec<usize>)>,
    /// Applied rows whose file was squashed into a baseline that is not applied yet (see
    /// [`State::Squashed`]), with that baseline's registry position, in row order.
    pub(crate) squashed: Vec<(usize, usize)>,
}

const NO_ROW: u32 = u32::MAX;

impl Classified {
    pub(crate) fn of(migrations: &[Migration], applied: &History) -> Self {
        let Matched {
            mut states,
            mut rows,
            compiled,
        } = Matched::of(migrations, applied);
        let (adopted, mut gone): (Vec<usize>, Vec<usize>) = (0..applied.len())
            .filter(|&i| !compiled[i])
            .partition(|&i| applied.is_adopted(i));
        drop(compiled);
        let squashed = take_squashed(migrations, applied, &mut gone);
        let (missing, lookalikes) = find_renames(migrations, applied, gone, &mut states, &mut rows);
        Classified {
            states,
            rows,
            missing,
            adopted,
            lookalikes,
            squashed,
        }
    }

    /// The pending files with the content of applied row `r`, when it is one whose rename cannot be told.
    pub(super) fn lookalikes_of(&self, r: usize) -> &[usize] {
        self.lookalikes
            .binary_search_by_key(&r, |(row, _)| *row)
            .map_or(&[], |at| self.lookalikes[at].1.as_slice())
    }

    /// Applied rows without a file whose content pending files have, when which one is the renamed file
    /// cannot be told: `(applied name, those files' names)`, sorted. Running them would apply it again.
    pub(crate) fn lookalikes(
        &self,
        migrations: &[Migration],
        applied: &History,
    ) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = self
            .lookalikes
            .iter()
            .map(|(r, files)| {
                (
                    applied.name(*r).to_owned(),
                    files
                        .iter()
                        .map(|&i| migrations[i].name().to_owned())
                        .collect(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The applied row of compiled migration `i` (under its old name when renamed).
    pub(crate) fn row(&self, i: usize) -> Option<usize> {
        Some(self.rows[i])
            .filter(|&r| r != NO_ROW)
            .map(|r| r as usize)
    }

    /// Names of the compiled migrations in `state`, in registry order.
    pub(crate) fn names(&self, migrations: &[Migration], state: State) -> Vec<String> {
        self.states
            .iter()
            .zip(migrations)
            .filter(|(s, _)| **s == state)
            .map(|(_, m)| m.name().to_owned())
            .collect()
    }

    /// Renamed files, as `(applied name, file name)`.
    pub(crate) fn renames(
        &self,
        migrations: &[Migration],
        applied: &History,
    ) -> Vec<(String, String)> {
        (0..migrations.len())
            .filter(|&i| self.states[i] == State::Renamed)
            .filter_map(|i| {
                Some((
                    applied.name(self.row(i)?).to_owned(),
                    migrations[i].name().to_owned(),
                ))
            })
            .collect()
    }

    /// Names of the applied rows whose file is gone, sorted.
    pub(crate) fn missing_names(&self, applied: &History) -> Vec<String> {
        let mut names: Vec<String> = self
            .missing
            .iter()
            .map(|&r| applied.name(r).to_owned())
            .collect();
        names.sort();
        names
    }
}

/// Each compiled migration matched with its applied row by name.
struct Matched {
    /// As [`Classified::states`], before renames are told.
    states: Vec<State>,
    /// As [`Classified::rows`], before renames are told.
    rows: Vec<u32>,
    /// Rows whose name is a compiled migration's.
    compiled: Vec<bool>,
}

impl Matched {
    fn of(migrations: &[Migration], applied: &History) -> Self {
        let newest_applied = applied.names().max();
        // The rows' positions sorted by name (then position), searched by each migration's name: no map of
        // every name, which would cost more memory than the rows' own names with tens of thousands of them.
        let mut by_name: Vec<u32> = (0..applied.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| {
            applied
                .name(a as usize)
                .cmp(applied.name(b as usize))
                .then(a.cmp(&b))
        });
        let mut compiled = vec![false; applied.len()];
        let mut rows = Vec::with_capacity(migrations.len());
        let states: Vec<State> = migrations
            .iter()
            .map(|m| {
                let name = m.name();
                let from = by_name.partition_point(|&r| applied.name(r as usize) < name);
                let same = &by_name[from..];
                let same = &same[..same.partition_point(|&r| applied.name(r as usize) == name)];
                for &r in same {
                    compiled[r as usize] = true;
                }
                // With the same name recorded twice, the later row counts.
                let row = same.last().map(|&r| r as usize);
                rows.push(row.map_or(NO_ROW, |i| i as u32));
                match row.map(|i| applied.matches(i, m)) {
                    Some(None) => State::Unverified,
                    Some(Some(false)) => State::Changed,
                    Some(Some(true)) => State::Applied,
                    None if newest_applied.is_some_and(|newest| name < newest) => State::OutOfOrder,
                    None => State::Pending,
                }
            })
            .collect();
        Matched {
            states,
            rows,
            compiled,
        }
    }
}

/// Takes out of `gone` the rows a pending baseline stands for, with that baseline's registry position: they
/// are that baseline's, not files gone. Checked before renames, as no file can be a rename of them.
fn take_squashed(
    migrations: &[Migration],
    applied: &History,
    gone: &mut Vec<usize>,
) -> Vec<(usize, usize)> {
    let mut squashed = Vec::new();
    if !gone.is_empty() {
        let replaced: HashMap<String, usize> = crate::squash::pending_squashed(migrations, applied)
            .into_iter()
            .collect();
        if !replaced.is_empty() {
            gone.retain(|&r| match replaced.get(applied.name(r)) {
                Some(&baseline) => {
                    squashed.push((r, baseline));
                    false
                }
                None => true,
            });
        }
    }
    squashed
}

/// A file renamed after it was applied keeps its content: an applied row without a file and a pending file
/// with the same checksum are one migration under two names. Only an unambiguous pair (one row, one file
/// with that checksum) is taken as a rename, recorded in `states` and `rows`. Returns the rows of `gone`
/// that are missing, and those of them whose content pending files have (see [`Classified::lookalikes`]).
fn find_renames(
    migrations: &[Migration],
    applied: &History,
    gone: Vec<usize>,
    states: &mut [State],
    rows: &mut [u32],
) -> (Vec<usize>, Vec<(usize, Vec<usize>)>) {
    let mut missing = Vec::new();
    let mut lookalikes = Vec::new();
    if gone.is_empty() {
        return (missing, lookalikes);
    }
    let mut unapplied_by_checksum: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    for (i, m) in migrations.iter().enumerate() {
        if rows[i] == NO_ROW {
            unapplied_by_checksum
                .entry(m.precomputed().digest)
                .or_default()
                .push(i);
        }
    }
    // Only a checksum this tool wrote can match a file's.
    let digest = |r: usize| match applied.checksum(r) {
        Checksum::Digest(digest) => Some(digest),
        Checksum::Missing | Checksum::Odd(_) => None,
    };
    let mut gone_by_checksum: HashMap<[u8; 32], usize> = HashMap::new();
    for &r in &gone {
        if let Some(digest) = digest(r) {
            *gone_by_checksum.entry(digest).or_default() += 1;
        }
    }
    for r in gone {
        let files = digest(r).and_then(|digest| {
            Some((
                unapplied_by_checksum.get(&digest)?.as_slice(),
                gone_by_checksum.get(&digest).copied().unwrap_or(0),
            ))
        });
        match files {
            Some((&[i], 1)) => {
                states[i] = State::Renamed;
                rows[i] = r as u32;
            }
            // Which file is the renamed one cannot be told; all of them hold applied content.
            Some((files, _)) => {
                lookalikes.push((r, files.to_vec()));
                missing.push(r);
            }
            None => missing.push(r),
        }
    }
    (missing, lookalikes)
}
