//! Side by side: each peer and `migrate` timed in turn, in pairs.

use super::*;

/// The measures run in pairs, this project (A) next to its reference (B).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Pair {
    /// Installed `migrate up` on an empty database / `psql -f`, at `--apply`.
    Apply,
    /// No-op `up` / `sqlx migrate run`, `sslmode=prefer`, at `--apply`.
    NoopPrefer,
    /// The same with `sslmode=disable`.
    NoopDisable,
    /// No-op `up`, `sslmode=prefer`, at `--status` (for the peak memory's flatness).
    NoopPreferAtStatus,
    /// `migrate status` / `sqlx migrate info`, at `--status`.
    Status,
}

impl Pair {
    pub(super) fn label(self, opts: &Options) -> String {
        let (apply, status) = (thousands(opts.apply), thousands(opts.status));
        match self {
            Pair::Apply => format!("apply {apply}: `migrate up` / `psql -f`"),
            Pair::NoopPrefer => format!("no-op `up`, {apply} applied, `sslmode=prefer` / sqlx"),
            Pair::NoopDisable => format!("no-op `up`, {apply} applied, `sslmode=disable` / sqlx"),
            Pair::NoopPreferAtStatus => {
                format!("no-op `up`, {status} applied, `sslmode=prefer` / sqlx")
            }
            Pair::Status => format!("`status` with {status} applied / `sqlx migrate info`"),
        }
    }
}

/// Samples of A and B, run in turn: pair `i` is (a[i], b[i]).
#[derive(Default)]
pub(super) struct Paired {
    pub(super) a: Vec<Sample>,
    pub(super) b: Vec<Sample>,
}

impl Paired {
    /// `pairs` pairs, alternately A B and B A, so that a drift of the load weighs on both sides alike.
    pub(super) fn run(
        pairs: usize,
        mut a: impl FnMut() -> Sample,
        mut b: impl FnMut() -> Sample,
    ) -> Paired {
        let mut paired = Paired::default();
        for i in 0..pairs {
            if i % 2 == 0 {
                paired.a.push(a());
                paired.b.push(b());
            } else {
                paired.b.push(b());
                paired.a.push(a());
            }
        }
        paired
    }

    /// Each pair's ratio A / B, sorted.
    pub(super) fn ratios(&self) -> Vec<f64> {
        let mut ratios: Vec<f64> = self
            .a
            .iter()
            .zip(&self.b)
            .map(|(a, b)| a.wall.as_secs_f64() / b.wall.as_secs_f64().max(1e-9))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios
    }

    /// The median of the pairs' ratios: the ratio the summary reports.
    pub(super) fn ratio(&self) -> f64 {
        median_f64(&self.ratios())
    }

    pub(super) fn wall_a(&self) -> Duration {
        median(self.a.clone()).wall
    }

    pub(super) fn wall_b(&self) -> Duration {
        median(self.b.clone()).wall
    }

    pub(super) fn rss_a(&self) -> u64 {
        self.a.iter().map(|s| s.rss_kib).max().unwrap_or(0)
    }

    pub(super) fn rss_b(&self) -> u64 {
        self.b.iter().map(|s| s.rss_kib).max().unwrap_or(0)
    }
}

/// The median of sorted `values` (the mean of the middle two for an even count).
pub(super) fn median_f64(values: &[f64]) -> f64 {
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The references of the installed `migrate`'s pairs: `psql -f` for applying, and sqlx-cli on a folder of its
/// own, grown with this project's (untimed) to each size the pairs run at.
pub(super) struct SideBySide {
    /// sqlx-cli set up on its folder, or why it is not measured.
    pub(super) sqlx: Result<Setup, String>,
    /// sqlx's database and how many migrations it holds.
    pub(super) sqlx_db: Option<(TestDb, usize)>,
}

impl SideBySide {
    pub(super) fn new(sqlx: Result<PathBuf, String>) -> SideBySide {
        let sqlx = sqlx.map(|program| Setup {
            tool: Tool::Sqlx,
            dir: cache().join("folders").join("sqlx-pairs"),
            program,
        });
        SideBySide {
            sqlx,
            sqlx_db: None,
        }
    }

    /// sqlx's folder and database at `size` (filled and applied, untimed).
    pub(super) fn sqlx_at(&mut self, size: usize) -> Option<(&Setup, &TestDb)> {
        let sqlx = self.sqlx.as_ref().ok()?;
        if self.sqlx_db.as_ref().is_none_or(|(_, n)| *n > size) {
            // A smaller size than the database holds (`--status` below `--apply`): a fresh database.
            self.sqlx_db = Some((TestDb::new(), 0));
        }
        let (db, n) = self.sqlx_db.as_mut().expect("set above");
        eprintln!("(sqlx, for the pairs: {size} migrations)");
        sqlx.fill(size);
        run(&mut sqlx.command(db, false));
        *n = size;
        Some((sqlx, db))
    }

    /// The pairs due at `size`, with `ours` (the installed `migrate`) holding `size` migrations, all applied
    /// on `db`.
    pub(super) fn at(
        &mut self,
        size: usize,
        ours: &Setup,
        db: &TestDb,
        opts: &Options,
        results: &mut Results,
    ) {
        if size != opts.apply && size != opts.status {
            return;
        }
        let pairs = opts.pairs;
        if size == opts.apply {
            eprintln!("(pairs: apply {size}, `migrate up` / `psql -f`)");
            let paired = Paired::run(
                pairs,
                || timed(&mut ours.command(&TestDb::new(), false)),
                || floor_apply(&TestDb::new(), 0, size),
            );
            results.pairs.insert(Pair::Apply, paired);
        }
        if let Err(why) = &self.sqlx {
            results.pairs_missing = Some(why.clone());
            return;
        }
        if results.server_ssl.is_none() {
            let ssl = db
                .client()
                .query_one("SHOW ssl", &[])
                .map(|row| row.get::<_, String>(0))
                .unwrap_or_else(|e| format!("unknown ({e})"));
            results.server_ssl = Some(ssl);
        }
        let Some((sqlx, sqlx_db)) = self.sqlx_at(size) else {
            return;
        };
        let noop = |mode: &str| {
            let (url_a, url_b) = (
                with_sslmode(db.url(), mode),
                with_sslmode(sqlx_db.url(), mode),
            );
            Paired::run(
                pairs,
                || timed(&mut ours.command_on(&url_a, false)),
                || timed(&mut sqlx.command_on(&url_b, false)),
            )
        };
        if size == opts.apply {
            eprintln!("(pairs: no-op `up` at {size}, `sslmode=prefer` and `disable`)");
            results.pairs.insert(Pair::NoopPrefer, noop("prefer"));
            results.pairs.insert(Pair::NoopDisable, noop("disable"));
        }
        if size == opts.status {
            eprintln!("(pairs: `status` and no-op `up` at {size})");
            results
                .pairs
                .insert(Pair::NoopPreferAtStatus, noop("prefer"));
            let status = Paired::run(
                pairs,
                || timed(&mut ours.command(db, true)),
                || timed(&mut sqlx.command(sqlx_db, true)),
            );
            results.pairs.insert(Pair::Status, status);
        }
    }
}
