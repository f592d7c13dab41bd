// Compiles every fixture folder in `fixtures/` into `$OUT_DIR/<folder>.rs`, the example app's migrations into
// `$OUT_DIR/example_app.rs` (the squash tests squash them), and the recipes of docs/cookbook.md into
// `$OUT_DIR/cookbook.rs` (the cookbook test lints them), and the other Rust blocks of the README and the guide into
// `$OUT_DIR/guide.rs` (the guide_blocks test renders and lints them).
fn main() {
    println!("cargo:rerun-if-changed=fixtures");
    let mut names: Vec<String> = std::fs::read_dir("fixtures")
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        migrate_core::build::compile_migrations_to(
            &format!("fixtures/{name}"),
            &format!("{name}.rs"),
        );
    }
    migrate_core::build::compile_migrations_to("../example-app/migrations", "example_app.rs");
    cookbook::generate("../docs/cookbook.md", "cookbook.rs");
    guide::generate("..", "guide.rs");
}

/// A block of Markdown as the migration module `module`, and the `down` of its `Definition`: a block that
/// defines `pub fn up` is a whole file (the prelude is brought in unless it brings it itself, as a file that opens
/// with `//!` must: that comment has to come first), any other is the body of its `up` (comments only give an
/// empty one).
fn migration_module(module: &str, source: &str) -> (String, String) {
    let body = if source.contains("pub fn up") {
        if source.contains("use migrate_dsl::prelude::*;") {
            source.to_owned()
        } else {
            format!("use migrate_dsl::prelude::*;\n{source}")
        }
    } else {
        let indented: Vec<String> = source.lines().map(|l| format!("    {l}")).collect();
        format!(
            "use migrate_dsl::prelude::*;\npub fn up(pgm: &mut MigrationBuilder) {{\n    let _ = &pgm;\n{}\n}}",
            indented.join("\n")
        )
    };
    let down = if source.contains("pub fn down") {
        format!("Some({module}::down)")
    } else {
        "None".to_owned()
    };
    (
        format!("#[allow(unused_imports)]\npub mod {module} {{\n{body}\n}}\n"),
        down,
    )
}

/// The cookbook's recipes as migrations. A recipe is a ```rust block right after a line
/// `<!-- recipe: NAME (N migration(s)) -->`. The block is split into migrations where a comment line follows an
/// empty line; a migration that defines `pub fn up` is a whole file, any other is the body of its `up`. Each
/// becomes a module with the migration's functions and its text (for `// lint: allow` lines), listed in
/// `RECIPES` with the count the marker declares, which the test compares with the split.
mod cookbook {
    use std::fmt::Write as _;

    pub fn generate(markdown: &str, out: &str) {
        println!("cargo:rerun-if-changed={markdown}");
        let text = std::fs::read_to_string(markdown).expect("docs/cookbook.md exists");
        let mut modules = String::new();
        let mut list = String::from("pub static RECIPES: &[Recipe] = &[\n");
        let mut lines = text.lines().enumerate();
        let mut count = 0;
        while let Some((at, line)) = lines.next() {
            let Some(marker) = line
                .trim()
                .strip_prefix("<!-- recipe:")
                .and_then(|m| m.strip_suffix("-->"))
            else {
                continue;
            };
            let (name, declared) = parse_marker(marker).unwrap_or_else(|| {
                panic!(
                    "{markdown}:{}: write `<!-- recipe: NAME (N migrations) -->`",
                    at + 1
                )
            });
            match lines.next() {
                Some((_, "```rust")) => {}
                _ => panic!(
                    "{markdown}:{}: a recipe marker must be followed by a ```rust block",
                    at + 1
                ),
            }
            let block: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| l.trim_end() != "```")
                .collect();
            let _ = writeln!(
                list,
                "    Recipe {{ name: {name:?}, line: {}, declared: {declared}, migrations: &[",
                at + 1
            );
            for (i, source) in split(&block).iter().enumerate() {
                count += 1;
                let module = format!("recipe_{count}");
                let (code, down) = super::migration_module(&module, source);
                modules.push_str(&code);
                let _ = writeln!(
                    list,
                    "        Migration::defined(&Definition {{ name: \"2099010100{count:04}_{}_{}\", path: \"docs/cookbook.md\", source: {source:?}, up: {module}::up, down: {down} }}),",
                    name.replace('-', "_"),
                    i + 1
                );
            }
            list.push_str("    ] },\n");
        }
        list.push_str("];\n");
        let dir = std::env::var("OUT_DIR").expect("OUT_DIR is set for build scripts");
        std::fs::write(
            std::path::Path::new(&dir).join(out),
            format!("{modules}\n{list}"),
        )
        .expect("cannot write the cookbook's recipes");
    }

    /// `NAME (N migrations)`.
    fn parse_marker(marker: &str) -> Option<(String, usize)> {
        let (name, rest) = marker.trim().split_once(" (")?;
        let count = rest.split_whitespace().next()?.parse().ok()?;
        Some((name.trim().to_owned(), count))
    }

    /// The block's migrations: a `// ` comment line after an empty line starts the next one.
    fn split(block: &[&str]) -> Vec<String> {
        let mut migrations: Vec<Vec<&str>> = vec![Vec::new()];
        let mut after_empty = false;
        for line in block {
            let current_has_code = migrations.last().is_some_and(|m| !m.is_empty());
            if after_empty && line.starts_with("// ") && current_has_code {
                migrations.push(Vec::new());
            }
            after_empty = line.trim().is_empty();
            if let Some(current) = migrations.last_mut() {
                current.push(line);
            }
        }
        migrations
            .into_iter()
            .map(|m| m.join("\n").trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect()
    }
}

/// The ```rust blocks of the README and of the guide's pages (docs/*.md) that no other test covers, as
/// migrations: the cookbook's (compiled above), the walkthrough's (replayed by example-app's transcripts) and
/// a block right after a `<!-- tested: FILE -->` marker (written into a new project by new_user.rs) are left
/// out, as are `rust,ignore` blocks. A block that defines `pub fn up` is a whole migration file; any other is
/// the body of its `up` (a block of comments only gives an empty one). Each becomes a module, listed in
/// `GUIDE_BLOCKS` with its page and line.
mod guide {
    use std::fmt::Write as _;

    pub fn generate(root: &str, out: &str) {
        let mut pages = vec![format!("{root}/README.md")];
        let mut docs: Vec<String> = std::fs::read_dir(format!("{root}/docs"))
            .expect("docs/ exists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md") && n != "cookbook.md" && n != "walkthrough.md")
            .collect();
        docs.sort();
        pages.extend(docs.iter().map(|n| format!("{root}/docs/{n}")));
        println!("cargo:rerun-if-changed={root}/docs");
        let mut modules = String::new();
        let mut list = String::from("pub static GUIDE_BLOCKS: &[GuideBlock] = &[\n");
        let mut count = 0;
        for page in &pages {
            println!("cargo:rerun-if-changed={page}");
            let text = std::fs::read_to_string(page).expect("a page of the guide");
            let shown = page.trim_start_matches(&format!("{root}/"));
            let mut previous = "";
            let mut lines = text.lines().enumerate();
            while let Some((at, line)) = lines.next() {
                let tested = previous.trim_start().starts_with("<!-- tested:");
                previous = line;
                if line.trim_end() != "```rust" {
                    continue;
                }
                let block: Vec<&str> = lines
                    .by_ref()
                    .map(|(_, l)| l)
                    .take_while(|l| l.trim_end() != "```")
                    .collect();
                if tested {
                    continue;
                }
                count += 1;
                let source = block.join("\n");
                let module = format!("block_{count}");
                let (code, down) = super::migration_module(&module, &source);
                modules.push_str(&code);
                let _ = writeln!(
                    list,
                    "    GuideBlock {{ page: {shown:?}, line: {}, migration: Migration::defined(&Definition {{ name: \"2098010100{count:04}_guide_block\", path: {shown:?}, source: {source:?}, up: {module}::up, down: {down} }}) }},",
                    at + 1
                );
            }
        }
        list.push_str("];\n");
        let dir = std::env::var("OUT_DIR").expect("OUT_DIR is set for build scripts");
        std::fs::write(
            std::path::Path::new(&dir).join(out),
            format!("{modules}\n{list}"),
        )
        .expect("cannot write the guide's blocks");
    }
}
