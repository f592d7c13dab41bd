//! Printing: the tables and the summary.

use super::*;

pub(super) fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

pub(super) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub(super) fn ratio(a: Duration, b: Option<Sample>) -> String {
    match b {
        Some(b) if !b.wall.is_zero() => format!("{:.2}×", a.as_secs_f64() / b.wall.as_secs_f64()),
        _ => "–".to_owned(),
    }
}

pub(super) fn print_measure(
    results: &Results,
    tools: &[(Tool, Result<(), String>)],
    measure: Measure,
    title: &str,
) {
    println!("\n### {title}\n");
    println!("| tool (command) | wall (median) | × floor | × sqlx | max RSS |");
    println!("|---|---|---|---|---|");
    let floor = results.get(measure, Tool::Floor);
    let sqlx = results.get(measure, Tool::Sqlx);
    for (tool, available) in tools {
        let name = tool.label().split(':').next().unwrap_or_default();
        let label = match (measure, tool.status_label()) {
            (Measure::Status, Ok(command)) => format!("{name}: {command}"),
            (Measure::Status, Err(_)) => name.to_owned(),
            _ => tool.label().to_owned(),
        };
        match (available, results.get(measure, *tool)) {
            (Err(why), _) => println!("| {label} | not measured: {why} | | | |"),
            (Ok(()), Some(s)) => println!(
                "| {label} | {} | {} | {} | {} |",
                ms(s.wall),
                ratio(s.wall, floor),
                ratio(s.wall, sqlx),
                mib(s.rss_kib)
            ),
            (Ok(()), None) => {
                let why = match (measure, tool.status_label(), tool) {
                    (Measure::Status, Err(why), _) => why,
                    (Measure::Loop(_), _, Tool::Runner) => {
                        "a new file needs a build first: the front-end rows are the loop"
                    }
                    _ => "not measured in this run",
                };
                println!("| {label} | {why} | | | |");
            }
        }
    }
}

pub(super) fn print_loop(results: &Results, tools: &[(Tool, Result<(), String>)], loops: &[usize]) {
    println!("\n### edit→run loop: one new migration file + `up`, with N applied (median wall; × floor, × sqlx)\n");
    let header: Vec<String> = loops.iter().map(|n| format!("N = {n}")).collect();
    println!("| tool | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(loops.len()));
    for (tool, available) in tools {
        if *tool == Tool::Runner {
            continue;
        }
        let cells: Vec<String> = loops
            .iter()
            .map(
                |&n| match (available, results.get(Measure::Loop(n), *tool)) {
                    (Err(_), _) => "not installed".to_owned(),
                    (Ok(()), Some(s)) => format!(
                        "{} ({}, {})",
                        ms(s.wall),
                        ratio(s.wall, results.get(Measure::Loop(n), Tool::Floor)),
                        ratio(s.wall, results.get(Measure::Loop(n), Tool::Sqlx))
                    ),
                    (Ok(()), None) => "–".to_owned(),
                },
            )
            .collect();
        println!("| {} | {} |", tool.label(), cells.join(" | "));
    }
}

pub(super) fn print_memory(rows: &[MemoryRow]) {
    let [small, big] = rows else {
        return;
    };
    println!(
        "\n### runner peak memory (maximum RSS, release runner called directly): {} vs {} migrations\n",
        small.n, big.n
    );
    println!(
        "| command | at {} | at {} | ratio (target ≤ 1.20) | wall at {} | wall at {} |",
        small.n, big.n, small.n, big.n
    );
    println!("|---|---|---|---|---|---|");
    for (what, a, b) in [
        ("`up` applying all", small.apply, big.apply),
        ("`up` with all applied (no-op)", small.noop, big.noop),
        ("`status` with all applied", small.status, big.status),
    ] {
        println!(
            "| {what} | {} | {} | {:.2}× | {} | {} |",
            mib(a.rss_kib),
            mib(b.rss_kib),
            b.rss_kib as f64 / a.rss_kib.max(1) as f64,
            ms(a.wall),
            ms(b.wall)
        );
    }
}

/// `n` with thousands separated by commas.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub(super) fn print_pairs(results: &Results, opts: &Options) {
    if results.pairs.is_empty() {
        return;
    }
    println!(
        "\n### side by side: pairs run in turn (A B, B A, ...), this project's installed `migrate` (A) / reference (B)\n"
    );
    if let Some(ssl) = &results.server_ssl {
        println!("The server's `ssl` setting: {ssl}.");
    }
    if let Some(why) = &results.pairs_missing {
        println!("The pairs against sqlx-cli did not run: {why}.");
    }
    println!();
    println!("| measure | A (median) | B (median) | ratio (median of pairs) | pair ratios (min–max) | max RSS A | max RSS B | pairs |");
    println!("|---|---|---|---|---|---|---|---|");
    for (pair, paired) in &results.pairs {
        let ratios = paired.ratios();
        println!(
            "| {} | {} | {} | {:.2}× | {:.2}–{:.2}× | {} | {} | {} |",
            pair.label(opts),
            ms(paired.wall_a()),
            ms(paired.wall_b()),
            paired.ratio(),
            ratios.first().copied().unwrap_or(f64::NAN),
            ratios.last().copied().unwrap_or(f64::NAN),
            mib(paired.rss_a()),
            mib(paired.rss_b()),
            ratios.len()
        );
    }
}

/// The most a loop at `n` migrations may take (1 s up to 2,000, 2 s above).
pub(super) fn loop_bound(n: usize) -> Duration {
    if n <= 2000 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

/// The worst loop at `n`, and the worst of the loops that sealed.
pub(super) fn worst_loops(loops: &[LoopSample]) -> (Option<Duration>, Option<Duration>) {
    let worst = loops.iter().map(|l| l.sample.wall).max();
    let sealing = loops
        .iter()
        .filter(|l| l.sealed > 0)
        .map(|l| l.sample.wall)
        .max();
    (worst, sealing)
}

pub(super) fn print_every_loop(results: &Results) {
    if results.loops.is_empty() {
        return;
    }
    println!(
        "\n### edit→run loop of the installed `migrate`, every loop (a sealing loop is one in which `migrate create` sealed older migrations)\n"
    );
    println!("| N | loops | sealing loops (migrations sealed) | median | worst | worst sealing loop | worst other loop | bound |");
    println!("|---|---|---|---|---|---|---|---|");
    for (n, loops) in &results.loops {
        let (worst, sealing) = worst_loops(loops);
        let other = loops
            .iter()
            .filter(|l| l.sealed == 0)
            .map(|l| l.sample.wall)
            .max();
        let sealed: Vec<String> = loops
            .iter()
            .filter(|l| l.sealed > 0)
            .map(|l| thousands(l.sealed))
            .collect();
        let shown = |d: Option<Duration>| d.map_or("–".to_owned(), secs);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            thousands(*n),
            loops.len(),
            if sealed.is_empty() {
                "none".to_owned()
            } else {
                format!("{} ({})", sealed.len(), sealed.join(", "))
            },
            secs(median(loops.iter().map(|l| l.sample).collect()).wall),
            shown(worst),
            shown(sealing),
            shown(other),
            secs(loop_bound(*n))
        );
    }
}

pub(super) fn print_first_build(results: &Results) {
    let Some(first) = &results.first_build else {
        return;
    };
    println!("\n### first build of a fresh package's runner and of a fresh sqlx app, each in an empty target folder\n");
    let first = match first {
        Ok(first) => first,
        Err(why) => {
            println!("Not measured: {why}");
            return;
        }
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "In turn (A B B A ...); load before: {}; {cores} cores. The sqlx app (sqlx {}): `{}`.\n",
        first.load,
        first.sqlx_version,
        SQLX_APP_DEPENDENCIES.trim().replace('\n', "` + `")
    );
    println!("| # | package | wall | CPU (user + system) | compile units (crates compiled + build scripts run) |");
    println!("|---|---|---|---|---|");
    let side = |ours: bool| {
        if ours {
            "this project: `cargo new` + `migrate init`, the runner"
        } else {
            "sqlx app with `sqlx::migrate!`"
        }
    };
    for (i, (ours, build)) in first.builds.iter().enumerate() {
        println!(
            "| {} | {} | {:.1} s | {:.1} s | {} ({} + {}) |",
            i + 1,
            side(*ours),
            build.wall.as_secs_f64(),
            build.cpu.as_secs_f64(),
            build.units(),
            build.artifacts,
            build.build_scripts
        );
    }
    for ours in [true, false] {
        let (wall, cpu) = first.medians(ours);
        println!(
            "| median | {} | {:.1} s | {:.1} s | |",
            side(ours),
            wall.as_secs_f64(),
            cpu.as_secs_f64()
        );
    }
}

/// The targets each row is held to.
pub(super) const APPLY_TARGET: f64 = 1.05;
/// "Keep" the no-op `up` with `sslmode=prefer` where it is (0.32–0.35× sqlx): met up to the top of that range.
pub(super) const NOOP_PREFER_KEEP: f64 = 0.35;
pub(super) const NOOP_DISABLE_TARGET: f64 = 0.8;
pub(super) const STATUS_TARGET: f64 = 0.35;
pub(super) const MEMORY_TARGET: f64 = 1.5;
/// Flat in N: peak memory at `--status` at most this many times that at `--apply` (the runner's target 7).
pub(super) const MEMORY_FLAT: f64 = 1.2;
pub(super) const FIRST_BUILD_TARGET: f64 = 1.0;

/// One row of the summary.
pub(super) struct Row {
    pub(super) measure: String,
    pub(super) ours: String,
    pub(super) reference: String,
    pub(super) ratio: String,
    pub(super) target: String,
    pub(super) met: String,
}

impl Row {
    pub(super) fn missing(measure: String, target: String, why: &str) -> Row {
        Row {
            measure,
            ours: format!("not measured: {why}"),
            reference: String::new(),
            ratio: String::new(),
            target,
            met: "–".to_owned(),
        }
    }
}

pub(super) fn yes_no(met: bool) -> String {
    if met { "yes" } else { "**no**" }.to_owned()
}

pub(super) fn print_summary(results: &Results, opts: &Options) {
    let (apply, status) = (thousands(opts.apply), thousands(opts.status));
    let no_sqlx = results
        .pairs_missing
        .as_deref()
        .unwrap_or("the installed `migrate` did not run (`--only`)");
    let mut rows = Vec::new();
    let paired_row = |pair: Pair, measure: String, target: f64, target_text: String| match results
        .pairs
        .get(&pair)
    {
        Some(paired) => Row {
            measure,
            ours: ms(paired.wall_a()),
            reference: ms(paired.wall_b()),
            ratio: format!("{:.2}×", paired.ratio()),
            target: target_text,
            met: yes_no(paired.ratio() <= target),
        },
        None if pair == Pair::Apply => Row::missing(
            measure,
            target_text,
            "the installed `migrate` did not run (`--only`)",
        ),
        None => Row::missing(measure, target_text, no_sqlx),
    };
    rows.push(paired_row(
        Pair::Apply,
        format!("apply {apply} migrations, installed `migrate up` / one `psql -f` floor"),
        APPLY_TARGET,
        format!("≤ {APPLY_TARGET:.2}×"),
    ));
    rows.push(paired_row(
        Pair::NoopPrefer,
        format!("no-op `up`, {apply} applied, `sslmode=prefer` (TLS server) / sqlx"),
        NOOP_PREFER_KEEP,
        format!("keep: ≤ {NOOP_PREFER_KEEP:.2}× (0.32–0.35× before)"),
    ));
    rows.push(paired_row(
        Pair::NoopDisable,
        format!("no-op `up`, {apply} applied, `sslmode=disable` / sqlx"),
        NOOP_DISABLE_TARGET,
        format!("≤ {NOOP_DISABLE_TARGET:.2}×"),
    ));
    rows.push(paired_row(
        Pair::Status,
        format!("`status` with {status} applied / `sqlx migrate info`"),
        STATUS_TARGET,
        format!("≤ {STATUS_TARGET:.2}×"),
    ));

    push_memory_row(&mut rows, results, &apply, &status, no_sqlx);
    push_loop_row(&mut rows, results);
    push_first_build_row(&mut rows, results);

    println!("\n## summary\n");
    println!("| measure | this project | reference | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.measure, row.ours, row.reference, row.ratio, row.target, row.met
        );
    }
}

/// The peak memory row: the no-op `up` with `sslmode=prefer`, at both sizes.
fn push_memory_row(
    rows: &mut Vec<Row>,
    results: &Results,
    apply: &str,
    status: &str,
    no_sqlx: &str,
) {
    let measure =
        format!("peak memory, no-op `up`, {apply} applied / sqlx; flat in N ({status} vs {apply})");
    let target =
        format!("≤ {MEMORY_TARGET:.1}×, and flat (≤ {MEMORY_FLAT:.1}× from {apply} to {status})");
    rows.push(
        match (
            results.pairs.get(&Pair::NoopPrefer),
            results.pairs.get(&Pair::NoopPreferAtStatus),
        ) {
            (Some(small), Some(big)) => {
                let of = |a: u64, b: u64| a as f64 / b.max(1) as f64;
                let vs_sqlx = of(small.rss_a(), small.rss_b());
                let flat = of(big.rss_a(), small.rss_a());
                Row {
                    measure,
                    ours: format!(
                        "{} at {apply}, {} at {status} ({:.2}×)",
                        mib(small.rss_a()),
                        mib(big.rss_a()),
                        flat
                    ),
                    reference: format!(
                        "{} at {apply}, {} at {status} ({:.2}×)",
                        mib(small.rss_b()),
                        mib(big.rss_b()),
                        of(big.rss_b(), small.rss_b())
                    ),
                    ratio: format!("{vs_sqlx:.2}× (flat: {flat:.2}×)"),
                    target,
                    met: yes_no(vs_sqlx <= MEMORY_TARGET && flat <= MEMORY_FLAT),
                }
            }
            _ => Row::missing(measure, target, no_sqlx),
        },
    );
}

/// The edit→run loop's row.
fn push_loop_row(rows: &mut Vec<Row>, results: &Results) {
    // The loop: every loop at the sizes the budgets name (or at every size measured when the run has neither).
    let budget_sizes: Vec<usize> = [2000, 10_000]
        .into_iter()
        .filter(|n| results.loops.contains_key(n))
        .collect();
    let sizes: Vec<usize> = if budget_sizes.is_empty() {
        results.loops.keys().copied().collect()
    } else {
        budget_sizes
    };
    let at = sizes
        .iter()
        .map(|n| thousands(*n))
        .collect::<Vec<_>>()
        .join(" / ");
    let bounds = sizes
        .iter()
        .map(|n| format!("{} s", loop_bound(*n).as_secs()))
        .collect::<Vec<_>>()
        .join(" / ");
    let measure = format!("edit→run loop at {at}, every loop, sealing included");
    let target = format!("every loop ≤ {bounds}");
    rows.push(if sizes.is_empty() {
        Row::missing(
            measure,
            target,
            "no loop of the installed `migrate` (`--loop`, `--only`)",
        )
    } else {
        let mut ours = Vec::new();
        let mut ratios = Vec::new();
        let mut met = true;
        let mut unsealed = Vec::new();
        for n in &sizes {
            let loops = &results.loops[n];
            let (worst, sealing) = worst_loops(loops);
            let worst = worst.unwrap_or_default();
            met &= worst <= loop_bound(*n);
            ours.push(format!(
                "worst {} at {} ({} loops; worst sealing {})",
                secs(worst),
                thousands(*n),
                loops.len(),
                sealing.map_or("none".to_owned(), secs)
            ));
            ratios.push(format!(
                "{:.2}×",
                worst.as_secs_f64() / loop_bound(*n).as_secs_f64()
            ));
            if sealing.is_none() {
                unsealed.push(thousands(*n));
            }
        }
        Row {
            measure,
            ours: ours.join("; "),
            reference: format!("the bound: {bounds}"),
            ratio: format!("{} of the bound", ratios.join(" / ")),
            target,
            met: if unsealed.is_empty() {
                yes_no(met)
            } else {
                format!(
                    "{} (no sealing loop at {})",
                    yes_no(met),
                    unsealed.join(", ")
                )
            },
        }
    });
}

/// The first build's row, next to a fresh sqlx application's.
fn push_first_build_row(rows: &mut Vec<Row>, results: &Results) {
    let measure = "first build of a fresh package's runner (`cargo new` + `migrate init`, empty target folder) / \
                   a fresh sqlx app with `sqlx::migrate!`"
        .to_owned();
    let target = format!("≤ {FIRST_BUILD_TARGET:.1}× (wall)");
    rows.push(match &results.first_build {
        None => Row::missing(measure, target, "`--first-build 0`"),
        Some(Err(why)) => Row::missing(measure, target, why),
        Some(Ok(first)) => {
            let (ours_wall, ours_cpu) = first.medians(true);
            let (sqlx_wall, sqlx_cpu) = first.medians(false);
            let units = |ours: bool| first.side(ours).first().map_or(0, |b| b.units());
            let wall = ours_wall.as_secs_f64() / sqlx_wall.as_secs_f64().max(1e-9);
            let cpu = ours_cpu.as_secs_f64() / sqlx_cpu.as_secs_f64().max(1e-9);
            Row {
                measure,
                ours: format!(
                    "{:.1} s ({:.0} CPU-s, {} units)",
                    ours_wall.as_secs_f64(),
                    ours_cpu.as_secs_f64(),
                    units(true)
                ),
                reference: format!(
                    "{:.1} s ({:.0} CPU-s, {} units)",
                    sqlx_wall.as_secs_f64(),
                    sqlx_cpu.as_secs_f64(),
                    units(false)
                ),
                ratio: format!("{wall:.2}× (CPU {cpu:.2}×)"),
                target,
                met: yes_no(wall <= FIRST_BUILD_TARGET),
            }
        }
    });
}
