//! The round trip of `migrate diff`'s generated migrations, shared by the hand-written cases
//! (`tests/tests/diff.rs`) and the generated schema pairs (`tests/tests/diff_pairs.rs`): many cases' files
//! compiled as modules of one crate, in one build ([`build_runner`]), then for each case the files linted,
//! applied up on the `before` database and compared with `after`'s description, and every `down` run and
//! compared with `before`'s ([`check`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_core::diff::Generated;
use migrate_core::schema::describe;
use migrate_core::MigrationsTable;

use crate::TestDb;

/// One case of a build: its name (a Rust identifier, unique in the build) and what the generator wrote.
pub struct CaseFiles<'a> {
    pub name: &'a str,
    pub generated: &'a Generated,
}

/// The schema description with each table's column lines sorted: a column added to a table that exists lands
/// at its end, and PostgreSQL cannot reorder columns.
pub fn described(db: &TestDb) -> String {
    let description = describe(&mut db.client(), &MigrationsTable::default()).expect("describe");
    let mut out = String::new();
    for paragraph in description.render().split("\n\n") {
        let mut lines: Vec<&str> = paragraph.lines().collect();
        let columns: Vec<usize> = (0..lines.len())
            .filter(|i| lines[*i].starts_with("  column "))
            .collect();
        if let (Some(first), Some(last)) = (columns.first(), columns.last()) {
            lines[*first..=*last].sort();
        }
        out.push_str(&lines.join("\n"));
        out.push_str("\n\n");
    }
    out
}

/// The generated files and the lines of what was kept, not covered or warned about, as one text.
pub fn shown(generated: &Generated) -> String {
    let mut shown = String::new();
    for file in &generated.files {
        shown.push_str(&format!("// ---- {:?}\n{}", file.step, file.source));
    }
    for (what, lines) in [
        ("kept", &generated.kept),
        ("uncovered", &generated.uncovered),
        ("warnings", &generated.warnings),
    ] {
        for line in lines {
            shown.push_str(&format!("// {what}: {line}\n"));
        }
    }
    shown
}

/// Runs the built runner on one case: `lint`, `up` or `down`; the error is the runner's stderr.
pub fn run(runner: &Path, case: &str, direction: &str, db: &TestDb) -> Result<(), String> {
    let output = Command::new(runner)
        .args([case, direction, db.url()])
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Where a round trip stopped being exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// The linter finds something in the generated files.
    Lint,
    /// The engine's `up` fails on the server.
    UpFailed,
    /// After `up`, the description differs from `after`'s.
    UpNotExact,
    /// The engine's `down` fails on the server.
    DownFailed,
    /// After every `down`, the description differs from `before`'s.
    DownNotExact,
}

impl Failure {
    /// The class's name, as a failure report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Lint => "lint",
            Failure::UpFailed => "up failed",
            Failure::UpNotExact => "up not exact",
            Failure::DownFailed => "down failed",
            Failure::DownNotExact => "down not exact",
        }
    }
}

/// Lints, applies and reverts one case's files on `before` (whose description was `before_described`
/// before anything ran), comparing with `after_described` after `up` when `compare_up`. Every failure is
/// returned with its message (which ends with `shown`); a failed `up` or `down` stops the case there.
pub fn check(
    runner: &Path,
    name: &str,
    before: &TestDb,
    before_described: &str,
    after_described: &str,
    compare_up: bool,
    shown: &str,
) -> Vec<(Failure, String)> {
    let mut failures = Vec::new();
    if let Err(e) = run(runner, name, "lint", before) {
        failures.push((Failure::Lint, format!("{name}: lint finds:\n{e}\n{shown}")));
    }
    if let Err(e) = run(runner, name, "up", before) {
        failures.push((
            Failure::UpFailed,
            format!("{name}: up failed: {e}\n{shown}"),
        ));
        return failures;
    }
    let reached = described(before);
    if compare_up && reached != after_described {
        failures.push((
            Failure::UpNotExact,
            format!(
                "{name}: after up, the schema differs from `after`:\n{}\n{shown}",
                similar::TextDiff::from_lines(after_described, &reached).unified_diff()
            ),
        ));
    }
    if let Err(e) = run(runner, name, "down", before) {
        failures.push((
            Failure::DownFailed,
            format!("{name}: down failed: {e}\n{shown}"),
        ));
        return failures;
    }
    let back = described(before);
    if back != before_described {
        failures.push((
            Failure::DownNotExact,
            format!(
                "{name}: after down, the schema differs from `before`:\n{}\n{shown}",
                similar::TextDiff::from_lines(before_described, &back).unified_diff()
            ),
        ));
    }
    failures
}

/// One crate, `crate_name` in `target/<crate_name>`, holding every case's generated files as modules, with a
/// binary that lints a case's migrations or runs them up or down with the engine:
/// `<crate_name> <case> <lint|up|down> <database url>`. Built once for all the cases; the error is the
/// compiler's output.
pub fn build_runner(crate_name: &str, cases: &[CaseFiles<'_>]) -> Result<PathBuf, String> {
    let root = crate::cli::workspace_root();
    let dir = root.join("target").join(crate_name);
    let src = dir.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    let mut main = String::from(
        "use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};\n\n",
    );
    let mut arms = String::new();
    for case in cases {
        let name = case.name;
        let mut definitions = Vec::new();
        main.push_str(&format!("mod {name} {{\n"));
        for (i, file) in case.generated.files.iter().enumerate() {
            let module = format!("m{i}");
            let path = src.join(format!("{name}_{module}.rs"));
            std::fs::write(&path, &file.source).map_err(|e| e.to_string())?;
            main.push_str(&format!(
                "    #[path = {:?}]\n    pub mod {module};\n",
                path
            ));
            let has_down = file.source.contains("pub fn down(");
            definitions.push(format!(
                "Migration::defined(&Definition {{ name: \"2026010100000{i}_{name}\", path: \"{name}_{module}.rs\", \
                 source: include_str!({:?}), up: {name}::{module}::up, down: {} }})",
                path,
                if has_down { format!("Some({name}::{module}::down)") } else { "None".to_owned() }
            ));
        }
        main.push_str("}\n");
        arms.push_str(&format!(
            "        \"{name}\" => vec![{}],\n",
            definitions.join(", ")
        ));
    }
    main.push_str(&format!(
        "\nfn main() {{\n    let args: Vec<String> = std::env::args().collect();\n    \
         let migrations: Vec<Migration> = match args[1].as_str() {{\n{arms}        other => panic!(\"no case {{other}}\"),\n    }};\n    \
         if args[2] == \"lint\" {{\n        \
         let report = migrate_core::lint::lint(&migrations, &[], &Default::default()).expect(\"lint\");\n        \
         let mut bad = 0;\n        \
         for m in &report.migrations {{\n            \
         for f in &m.findings {{ bad += 1; eprintln!(\"{{}}: {{}} at {{:?}}: {{}}\", m.name, f.rule, f.op, f.statement); }}\n            \
         for u in &m.unparsable {{ bad += 1; eprintln!(\"{{}}: unparsable {{:?}}: {{}}\", m.name, u.op, u.message); }}\n        \
         }}\n        \
         std::process::exit(if bad == 0 {{ 0 }} else {{ 1 }});\n    \
         }}\n    \
         let mut client = postgres::Client::connect(&args[3], postgres::NoTls).expect(\"connect\");\n    \
         let migrator = Migrator::new(&migrations).finish_jobs(true);\n    \
         let result = match args[2].as_str() {{\n        \"up\" => migrator.run_up(&mut client, &UpTarget::All, &mut |_| {{}}),\n        \
         _ => migrator.run_down(&mut client, &DownTarget::All, &mut |_| {{}}),\n    }};\n    \
         if let Err(e) = result {{\n        eprintln!(\"{{e}}\");\n        std::process::exit(1);\n    }}\n}}\n"
    ));
    std::fs::write(src.join("main.rs"), main).map_err(|e| e.to_string())?;
    // The rules need migrate-core's `lint` feature: the runner lints each case as `migrate lint` does.
    let manifest = format!(
        "[package]\nname = \"{crate_name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\nmigrate-core = {{ path = {:?}, package = \"pgm-migrate-core\", features = [\"lint\"] }}\n\
         migrate-dsl = {{ path = {:?}, package = \"pgm-migrate-dsl\" }}\npostgres = \"0.19\"\n\n{}",
        root.join("migrate-core"),
        root.join("migrate-dsl"),
        crate::cli::E2E_PROFILE,
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let target = crate::cli::e2e_target();
    let output = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "the generated migrations do not compile:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target.join("debug").join(crate_name))
}
