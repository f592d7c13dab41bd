//! PostgreSQL's table-level lock modes and what each blocks: the conflict table of the manual's "Explicit
//! Locking" chapter (Table 13.2), in one place.

use serde::{Deserialize, Serialize};

/// A table-level lock mode, weakest first (the order PostgreSQL numbers them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LockMode {
    /// `SELECT`.
    #[serde(rename = "ACCESS SHARE")]
    AccessShare,
    /// `SELECT ... FOR UPDATE/SHARE`.
    #[serde(rename = "ROW SHARE")]
    RowShare,
    /// `INSERT`, `UPDATE`, `DELETE`.
    #[serde(rename = "ROW EXCLUSIVE")]
    RowExclusive,
    /// `VACUUM`, `ANALYZE`, `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`, some `ALTER TABLE` forms.
    #[serde(rename = "SHARE UPDATE EXCLUSIVE")]
    ShareUpdateExclusive,
    /// `CREATE INDEX`.
    #[serde(rename = "SHARE")]
    Share,
    /// `CREATE TRIGGER`, `ADD FOREIGN KEY` (on both tables).
    #[serde(rename = "SHARE ROW EXCLUSIVE")]
    ShareRowExclusive,
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY`.
    #[serde(rename = "EXCLUSIVE")]
    Exclusive,
    /// Most `ALTER TABLE` forms, `DROP`, `TRUNCATE`, `VACUUM FULL`.
    #[serde(rename = "ACCESS EXCLUSIVE")]
    AccessExclusive,
}

/// What application traffic a lock makes wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Blocks {
    /// Neither reads nor writes (only other schema changes, `VACUUM` and the like).
    #[serde(rename = "nothing")]
    Nothing,
    /// `INSERT`, `UPDATE`, `DELETE` (and `SELECT ... FOR UPDATE` under `EXCLUSIVE`); plain reads go on.
    #[serde(rename = "writes")]
    Writes,
    /// Every query, plain `SELECT`s included.
    #[serde(rename = "reads and writes")]
    ReadsAndWrites,
}

impl LockMode {
    /// Every mode, weakest first.
    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// The mode as `pg_locks.mode` names it (`AccessExclusiveLock`); `None` for anything else (`SIReadLock`).
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        LockMode::ALL
            .into_iter()
            .find(|m| m.pg_locks_name() == mode)
    }

    fn pg_locks_name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// The name `LOCK TABLE ... IN <name> MODE` uses: `ACCESS EXCLUSIVE`.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether a session holding `self` makes one asking for `other` wait (the relation is symmetric).
    pub fn conflicts_with(self, other: LockMode) -> bool {
        use LockMode::*;
        let conflicts: &[LockMode] = match self {
            AccessShare => &[AccessExclusive],
            RowShare => &[Exclusive, AccessExclusive],
            RowExclusive => &[Share, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareUpdateExclusive => &[
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            Share => &[
                RowExclusive,
                ShareUpdateExclusive,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            ShareRowExclusive => &[
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            Exclusive => &[
                RowShare,
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            AccessExclusive => &LockMode::ALL,
        };
        conflicts.contains(&other)
    }

    /// What the application's queries on the relation wait for while this lock is held: reads take
    /// `ACCESS SHARE`, writes `ROW EXCLUSIVE`.
    pub fn blocks(self) -> Blocks {
        if self.conflicts_with(LockMode::AccessShare) {
            Blocks::ReadsAndWrites
        } else if self.conflicts_with(LockMode::RowExclusive) {
            Blocks::Writes
        } else {
            Blocks::Nothing
        }
    }
}

/// The modes one session holds on one relation. `pg_locks` lists each mode a transaction was granted on its own
/// row, a weaker one taken after a stronger one included: a statement that asks for `SHARE ROW EXCLUSIVE` on a
/// table its transaction already locked `ACCESS EXCLUSIVE` shows as a new row. Keeping every mode, not only
/// the strongest, is what lets a trace name that statement's lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ModeSet(u8);

impl ModeSet {
    pub(crate) fn insert(&mut self, mode: LockMode) {
        self.0 |= 1 << mode as u8;
    }

    fn contains(self, mode: LockMode) -> bool {
        self.0 & (1 << mode as u8) != 0
    }

    /// The strongest mode held; `None` for an empty set.
    pub(crate) fn strongest(self) -> Option<LockMode> {
        LockMode::ALL.into_iter().rev().find(|m| self.contains(*m))
    }

    /// The strongest mode held here and not in `before`: what a statement asked for that its transaction did
    /// not hold yet. `None` when every mode was held already (a lock asked for again in a mode held adds no
    /// row to `pg_locks`).
    pub(crate) fn new_since(self, before: ModeSet) -> Option<LockMode> {
        ModeSet(self.0 & !before.0).strongest()
    }
}

impl std::fmt::Display for LockMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Blocks {
    /// What waits, in a word or three (as the JSON forms write it): `nothing`, `writes`, `reads and writes`.
    pub fn word(self) -> &'static str {
        match self {
            Blocks::Nothing => "nothing",
            Blocks::Writes => "writes",
            Blocks::ReadsAndWrites => "reads and writes",
        }
    }
}

impl std::fmt::Display for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Blocks::Nothing => "blocks neither reads nor writes",
            Blocks::Writes => "blocks writes",
            Blocks::ReadsAndWrites => "blocks reads and writes",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_table_is_symmetric() {
        for a in LockMode::ALL {
            for b in LockMode::ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} / {b}");
            }
        }
    }

    #[test]
    fn only_access_exclusive_blocks_reads_and_share_and_above_block_writes() {
        let blocks: Vec<(LockMode, Blocks)> =
            LockMode::ALL.iter().map(|m| (*m, m.blocks())).collect();
        assert_eq!(
            blocks,
            [
                (LockMode::AccessShare, Blocks::Nothing),
                (LockMode::RowShare, Blocks::Nothing),
                (LockMode::RowExclusive, Blocks::Nothing),
                (LockMode::ShareUpdateExclusive, Blocks::Nothing),
                (LockMode::Share, Blocks::Writes),
                (LockMode::ShareRowExclusive, Blocks::Writes),
                (LockMode::Exclusive, Blocks::Writes),
                (LockMode::AccessExclusive, Blocks::ReadsAndWrites),
            ]
        );
        assert_eq!(
            LockMode::from_pg_locks("ShareUpdateExclusiveLock"),
            Some(LockMode::ShareUpdateExclusive)
        );
        assert_eq!(LockMode::from_pg_locks("SIReadLock"), None);
    }

    #[test]
    fn a_weaker_mode_taken_after_a_stronger_one_is_new_and_a_mode_held_again_is_not() {
        let mut before = ModeSet::default();
        before.insert(LockMode::AccessExclusive);
        before.insert(LockMode::AccessShare);
        let mut after = before;
        after.insert(LockMode::ShareRowExclusive);
        assert_eq!(after.strongest(), Some(LockMode::AccessExclusive));
        assert_eq!(after.new_since(before), Some(LockMode::ShareRowExclusive));
        assert_eq!(before.new_since(before), None);
        assert_eq!(after.new_since(ModeSet::default()), Some(LockMode::AccessExclusive));
        assert_eq!(ModeSet::default().strongest(), None);
    }
}
