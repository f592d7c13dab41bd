//! The first build of a fresh package's runner, next to a fresh sqlx application's.

use super::*;

/// The sqlx app's dependencies, as its `Cargo.toml` lists them.
pub(super) const SQLX_APP_DEPENDENCIES: &str = "\
sqlx = { version = \"0.9\", features = [\"runtime-tokio\", \"postgres\", \"migrate\", \"macros\"] }
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }
";

/// The sqlx app's `main`: connect, run the embedded migrations.
pub(super) const SQLX_APP_MAIN: &str = "\
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var(\"DATABASE_URL\")?;
    let pool = sqlx::PgPool::connect(&url).await?;
    sqlx::migrate!(\"./migrations\").run(&pool).await?;
    Ok(())
}
";

/// One build in an empty target folder.
#[derive(Clone, Copy)]
pub(super) struct Build {
    pub(super) wall: Duration,
    /// User + system time of cargo and every process it waited for.
    pub(super) cpu: Duration,
    /// cargo's `compiler-artifact` messages: crates (libraries, binaries, build scripts) compiled.
    pub(super) artifacts: usize,
    /// cargo's `build-script-executed` messages.
    pub(super) build_scripts: usize,
}

impl Build {
    pub(super) fn units(&self) -> usize {
        self.artifacts + self.build_scripts
    }
}

/// Both sides' builds, in the order they ran.
pub(super) struct FirstBuild {
    /// `(ours, build)`: true for this project's package.
    pub(super) builds: Vec<(bool, Build)>,
    /// The load average before the first build.
    pub(super) load: String,
    /// The sqlx version the app's lockfile resolved.
    pub(super) sqlx_version: String,
}

impl FirstBuild {
    pub(super) fn side(&self, ours: bool) -> Vec<Build> {
        self.builds
            .iter()
            .filter(|(o, _)| *o == ours)
            .map(|(_, b)| *b)
            .collect()
    }

    /// The median wall and CPU time of one side.
    pub(super) fn medians(&self, ours: bool) -> (Duration, Duration) {
        let side = self.side(ours);
        let mut walls: Vec<f64> = side.iter().map(|b| b.wall.as_secs_f64()).collect();
        let mut cpus: Vec<f64> = side.iter().map(|b| b.cpu.as_secs_f64()).collect();
        walls.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        (
            Duration::from_secs_f64(median_f64(&walls)),
            Duration::from_secs_f64(median_f64(&cpus)),
        )
    }
}

/// Runs `cmd` to completion; its stdout, or why it failed.
pub(super) fn try_run(cmd: &mut Command) -> Result<String, String> {
    let output = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{cmd:?} failed: {}", tail(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Resolves the lockfile of the package at `dir` and fetches its crates for this host, so that no timed build
/// downloads. Offline (from the registry cache) when the registry cannot be reached.
pub(super) fn resolve(dir: &Path) -> Result<(), String> {
    let manifest = dir.join("Cargo.toml");
    let host = try_run(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("`rustc -vV` names no host")?;
    for offline in [false, true] {
        let mut lock = cargo();
        lock.arg("generate-lockfile")
            .arg("--manifest-path")
            .arg(&manifest);
        let mut fetch = cargo();
        fetch
            .args(["fetch", "--target", &host, "--manifest-path"])
            .arg(&manifest);
        if offline {
            lock.arg("--offline");
            fetch.arg("--offline");
        }
        match try_run(&mut lock).and_then(|_| try_run(&mut fetch)) {
            Ok(_) => return Ok(()),
            Err(why) if offline => return Err(why),
            Err(why) => eprintln!("({why}; resolving offline)"),
        }
    }
    unreachable!("the offline attempt returns")
}

/// `cargo build` of `args` in the package at `dir`, in a new empty target folder under `scratch` (removed
/// after), under `/usr/bin/time`.
pub(super) fn timed_build(dir: &Path, args: &[&str], scratch: &Path) -> Result<Build, String> {
    let target = tempfile::Builder::new()
        .prefix("target-")
        .tempdir_in(scratch)
        .map_err(|e| format!("target folder: {e}"))?;
    let times = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%U %S", "-o"])
        .arg(times.path())
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target.path())
        .stdin(Stdio::null());
    let started = Instant::now();
    let stdout = try_run(&mut cmd)?;
    let wall = started.elapsed();
    let cpu: f64 = std::fs::read_to_string(times.path())
        .map_err(|e| e.to_string())?
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    let reasons: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
        .collect();
    let count = |reason: &str| reasons.iter().filter(|r| *r == reason).count();
    Ok(Build {
        wall,
        cpu: Duration::from_secs_f64(cpu),
        artifacts: count("compiler-artifact"),
        build_scripts: count("build-script-executed"),
    })
}

/// The first build of a fresh package's runner next to a fresh sqlx app's, `builds` of each, A B B A.
pub(super) fn measure_first_build(builds: usize, migrate: &Path) -> Result<FirstBuild, String> {
    let scratch = tempfile::Builder::new()
        .prefix("peers-first-build-")
        .tempdir()
        .map_err(|e| format!("scratch folder: {e}"))?;
    let new_package = |side: &str| -> Result<PathBuf, String> {
        let dir = scratch.path().join(side).join("app");
        std::fs::create_dir_all(dir.parent().expect("has a parent")).map_err(|e| e.to_string())?;
        try_run(
            cargo()
                .args(["new", "--quiet", "--vcs", "none", "--bin", "--name", "app"])
                .arg(&dir),
        )?;
        Ok(dir)
    };
    // This project: `cargo new`, `migrate init --crates-path` this checkout; the runner built as `migrate up`
    // builds it.
    let ours = new_package("migrate")?;
    try_run(
        Command::new(migrate)
            .args(["init", "--crates-path"])
            .arg(project_root())
            .current_dir(&ours),
    )?;
    let config = std::fs::read_to_string(ours.join("migrate.toml")).map_err(|e| e.to_string())?;
    let setting = |key: &str| {
        config
            .lines()
            .skip_while(|l| l.trim() != "[runner]")
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
            .ok_or(format!("`migrate init` wrote no [runner] {key}"))
    };
    let ours_args = [
        "--package".to_owned(),
        setting("package")?,
        "--bin".to_owned(),
        setting("bin")?,
        "--profile".to_owned(),
        setting("profile").unwrap_or_else(|_| "dev".to_owned()),
    ];
    // sqlx: `cargo new`, sqlx and tokio added, a `main` that runs `sqlx::migrate!`.
    let sqlx = new_package("sqlx")?;
    let manifest = sqlx.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    let text = text.replace(
        "[dependencies]\n",
        &format!("[dependencies]\n{SQLX_APP_DEPENDENCIES}"),
    );
    std::fs::write(&manifest, text).map_err(|e| e.to_string())?;
    std::fs::write(sqlx.join("src/main.rs"), SQLX_APP_MAIN).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(sqlx.join("migrations")).map_err(|e| e.to_string())?;
    resolve(&ours)?;
    resolve(&sqlx)?;
    let lock = std::fs::read_to_string(sqlx.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let sqlx_version = lock
        .split("[[package]]")
        .find_map(|p| {
            p.contains("name = \"sqlx\"\n")
                .then(|| p.lines().find_map(|l| l.strip_prefix("version = ")))
                .flatten()
        })
        .unwrap_or("?")
        .trim_matches('"')
        .to_owned();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let mut done = Vec::new();
    for i in 0..builds {
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for side in order {
            eprintln!(
                "(first build {} of {builds}: {})",
                i + 1,
                if side {
                    "this project's runner"
                } else {
                    "the sqlx app"
                }
            );
            let build = if side {
                timed_build(&ours, &ours_args, scratch.path())?
            } else {
                timed_build(&sqlx, &["--bin", "app"], scratch.path())?
            };
            done.push((side, build));
        }
    }
    Ok(FirstBuild {
        builds: done,
        load,
        sqlx_version,
    })
}

/// The floor at every size: applying to a fresh database, and reading the bookkeeping table.
pub(super) fn measure_floor(opts: &Options, results: &mut Results) {
    let samples = (0..opts.runs.min(3))
        .map(|_| floor_apply(&TestDb::new(), 0, opts.apply))
        .collect();
    results.add(Measure::Apply, Tool::Floor, median(samples));
    let db = TestDb::new();
    floor_apply(&db, 0, opts.apply);
    let samples = (0..opts.runs).map(|_| floor_read(&db)).collect();
    results.add(Measure::Noop, Tool::Floor, median(samples));
    let db = TestDb::new();
    floor_apply(&db, 0, opts.status);
    let samples = (0..opts.runs).map(|_| floor_read(&db)).collect();
    results.add(Measure::Status, Tool::Floor, median(samples));
    // One more migration after `size` applied: a transaction with the statement and its bookkeeping row.
    let db = TestDb::new();
    let mut count = 0;
    for &size in &opts.loops {
        if size > count {
            floor_apply(&db, count, size);
            count = size;
        }
        let samples = (0..opts.runs)
            .map(|_| {
                let sample = floor_apply(&db, count, count + 1);
                count += 1;
                sample
            })
            .collect();
        results.add(Measure::Loop(size), Tool::Floor, median(samples));
    }
}

/// The runner binary called directly (release): apply, no-op and status at both sizes, for the loop-free
/// rows and the memory table.
pub(super) fn measure_runner(opts: &Options, results: &mut Results) -> Vec<MemoryRow> {
    let mut rows = Vec::new();
    let mut sizes = vec![opts.apply, opts.status];
    sizes.dedup();
    for n in sizes {
        let name = format!("peers-runner-{n}");
        let dir = cache().join("crates").join(&name);
        scaffold(&dir, &name);
        let mut setup = Setup {
            tool: Tool::Runner,
            dir: dir.clone(),
            program: PathBuf::new(),
        };
        setup.fill(n);
        setup.program = build_runner(&dir, &name);
        // Applying the larger size takes long: once is enough for its memory figure.
        let apply_runs = if n == opts.apply { opts.runs.min(3) } else { 1 };
        let apply = median(
            (0..apply_runs)
                .map(|_| timed(&mut setup.command(&TestDb::new(), false)))
                .collect(),
        );
        let db = TestDb::new();
        run(&mut setup.command(&db, false));
        let noop = median(
            (0..opts.runs)
                .map(|_| timed(&mut setup.command(&db, false)))
                .collect(),
        );
        let status = median(
            (0..opts.runs)
                .map(|_| timed(&mut setup.command(&db, true)))
                .collect(),
        );
        if n == opts.apply {
            results.add(Measure::Apply, Tool::Runner, apply);
            results.add(Measure::Noop, Tool::Runner, noop);
        }
        if n == opts.status {
            results.add(Measure::Status, Tool::Runner, status);
        }
        rows.push(MemoryRow {
            n,
            apply,
            noop,
            status,
        });
    }
    rows
}

pub(super) struct MemoryRow {
    pub(super) n: usize,
    pub(super) apply: Sample,
    pub(super) noop: Sample,
    pub(super) status: Sample,
}

impl Results {
    pub(super) fn add(&mut self, measure: Measure, tool: Tool, sample: Sample) {
        self.samples.insert((measure, tool), sample);
    }

    pub(super) fn get(&self, measure: Measure, tool: Tool) -> Option<Sample> {
        self.samples.get(&(measure, tool)).copied()
    }
}
