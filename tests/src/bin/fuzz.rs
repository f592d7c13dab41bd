//! Randomized fuzzing of the two places where arbitrary user text meets the tool: migration file names and
//! SQL quoting. Runs on the stable toolchain (cargo-fuzz needs nightly, which this project does not assume),
//! with a seeded generator biased towards the characters that matter (quotes, backslashes, digits,
//! separators, unicode), for a bounded time per target, and prints the number of executions.
//!
//! ```text
//! cargo run --release -p tests --bin fuzz -- [--seconds N] [--seed S]
//! ```
//!
//! - `file-names`: `parse_file_name`, `to_snake_case` and `to_repeatable_name` never panic; an accepted name
//!   has a 14-digit version that is a real date, and a snake-cased name is accepted back as a file name (a
//!   repeatable one as a repeatable migration's).
//! - `quoting`: for random strings, PostgreSQL reads `literal(s)` back as exactly `s`, and a column aliased
//!   `ident(s)` is named exactly `s` (checked on the server, in batches).

use std::time::{Duration, Instant};

use migrate_core::naming::{
    parse_file_name, parse_repeatable_name, to_repeatable_name, to_snake_case,
};
use migrate_dsl::{ident, literal};
use tests::TestDb;

/// Seeded inputs, so a failing seed can be replayed.
struct Rng(fastrand::Rng);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n.max(1))
    }

    /// A string from an alphabet weighted towards quoting and parsing hazards.
    fn string(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "_", "-", " ", "0", "9", ".", "/", "\\", "'", "\"", "''", "\"\"", "$", "$$",
            ";", "--", "/*", "*/", "\n", "\t", "é", "ß", "日本", "🦀", "\u{202e}", "rs", ".rs",
            "2026", "1122", "143005", "_add", "E'", "%", "{", "}", "(", ")",
        ];
        let len = self.below(max + 1);
        let mut s = String::new();
        for _ in 0..len {
            if self.below(8) == 0 {
                // Any scalar value except NUL (which PostgreSQL cannot store in text).
                let c = char::from_u32(self.0.u32(1..0x30000)).unwrap_or('x');
                s.push(c);
            } else {
                s.push_str(PIECES[self.below(PIECES.len())]);
            }
        }
        s
    }
}

fn file_names(rng: &mut Rng, budget: Duration) -> u64 {
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        // Half well-formed prefixes, so the name part gets exercised too.
        let input = if rng.below(2) == 0 {
            format!("20261122143005_{}.rs", rng.string(12))
        } else {
            rng.string(20)
        };
        if let Ok(parsed) = parse_file_name(&input) {
            assert_eq!(parsed.version.len(), 14, "{input:?}");
            assert!(
                chrono_like_valid(&parsed.version),
                "accepted an impossible date: {input:?}"
            );
        }
        if let Ok(snake) = to_snake_case(&input) {
            let file = format!("20261122143005_{snake}.rs");
            assert!(
                parse_file_name(&file).is_ok(),
                "to_snake_case({input:?}) = {snake:?}, which parse_file_name refuses"
            );
        }
        if let Ok(name) = to_repeatable_name(&input) {
            let file = format!("repeatable_{name}.rs");
            assert!(
                matches!(parse_repeatable_name(&file), Some(Ok(_))),
                "to_repeatable_name({input:?}) = {name:?}, which parse_repeatable_name refuses"
            );
        }
        runs += 1;
    }
    runs
}

/// YYYYMMDDHHMMSS with month 1-12, day 1-31, hour < 24, minute and second < 60.
fn chrono_like_valid(v: &str) -> bool {
    let n = |a: usize, b: usize| v[a..b].parse::<u32>().unwrap_or(99);
    (1..=12).contains(&n(4, 6))
        && (1..=31).contains(&n(6, 8))
        && n(8, 10) < 24
        && n(10, 12) < 60
        && n(12, 14) < 60
}

fn quoting(rng: &mut Rng, budget: Duration) -> u64 {
    let db = TestDb::new();
    let mut client = db.client();
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        // One round trip checks a batch of 50 strings.
        let inputs: Vec<String> = (0..50).map(|_| rng.string(16)).collect();
        let mut select = Vec::new();
        for s in &inputs {
            let alias = if s.is_empty() || s.len() > 63 {
                // Not an identifier PostgreSQL keeps; the builder refuses these before quoting.
                "\"skipped\"".to_owned()
            } else {
                ident(s)
            };
            select.push(format!("{} AS {alias}", literal(s)));
        }
        let sql = format!("SELECT {}", select.join(", "));
        let rows = client
            .simple_query(&sql)
            .unwrap_or_else(|e| panic!("quoting produced invalid SQL: {e}\n{sql}"));
        let row = rows
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .expect("one row");
        for (i, s) in inputs.iter().enumerate() {
            assert_eq!(
                row.get(i),
                Some(s.as_str()),
                "literal({s:?}) read back differently"
            );
            let name = row.columns()[i].name();
            if !(s.is_empty() || s.len() > 63) {
                assert_eq!(name, s, "ident({s:?}) named the column differently");
            }
        }
        runs += inputs.len() as u64;
    }
    runs
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let budget = Duration::from_secs(number("--seconds", 30));
    let seed = number("--seed", 0x5EED_1234_ABCD_0001);
    println!("fuzzing {} s per target, seed {seed:#x}", budget.as_secs());
    println!("| target | executions |");
    println!("|---|---|");
    let mut rng = Rng(fastrand::Rng::with_seed(seed));
    println!("| file-names | {} |", file_names(&mut rng, budget));
    println!(
        "| quoting (checked on PostgreSQL) | {} |",
        quoting(&mut rng, budget)
    );
}
