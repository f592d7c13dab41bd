//! The README stays a short tour, and the guide (docs/, an mdBook) holds together.
//! `.ci/run` builds the book with `mdbook build docs`, which fails on a chapter file that is missing; these tests
//! need no mdbook and check what mdbook does not: the README's length, and that every relative link of the
//! README, of SUMMARY.md and of every chapter names a file that exists.

use std::path::{Path, PathBuf};

/// The README's budget: what it is and why, install and the first migration, a tour of one line and a link per
/// subject (the zero-downtime idea and the supported versions among them), the main commands, the test command
/// and links: one screen or two. Everything else belongs in the guide.
const README_MAX_LINES: usize = 150;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The targets of the Markdown links `[text](target)` in `text`, outside fenced code blocks and code spans.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans (`a](b)` in a table of flags) are not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// The relative links of `file` whose target file does not exist (anchors stripped; web links and links within
/// the page are not checked here).
fn broken_links(file: &Path) -> Vec<String> {
    let dir = file.parent().expect("a file in a folder");
    links(&read(file))
        .into_iter()
        .filter(|target| {
            !target.contains("://") && !target.starts_with('#') && !target.starts_with("mailto:")
        })
        .filter(|target| {
            let path = target.split('#').next().unwrap_or(target);
            !dir.join(path).exists()
        })
        .collect()
}

/// The chapter files SUMMARY.md lists, relative to docs/.
fn chapters() -> Vec<String> {
    let summary = read(&root().join("docs/SUMMARY.md"));
    links(&summary)
        .into_iter()
        .filter(|t| t.ends_with(".md"))
        .collect()
}

#[test]
fn the_readme_is_at_most_150_lines() {
    let lines = read(&root().join("README.md")).lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the details into a chapter of the guide (docs/)"
    );
}

#[test]
fn every_relative_link_of_the_readme_and_the_book_resolves() {
    let root = root();
    let mut files = vec![
        root.join("README.md"),
        root.join("BENCHMARKS.md"),
        root.join("docs/SUMMARY.md"),
    ];
    files.extend(chapters().iter().map(|c| root.join("docs").join(c)));
    let mut broken = Vec::new();
    for file in &files {
        for target in broken_links(file) {
            broken.push(format!(
                "{}: {target}",
                file.strip_prefix(&root).unwrap_or(file).display()
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "links to files that do not exist:\n{}",
        broken.join("\n")
    );
}

/// Every page in docs/ is a chapter of the book: a page left out of SUMMARY.md is one no reader of the guide
/// finds.
#[test]
fn every_page_of_docs_is_in_the_summary() {
    let listed = chapters();
    assert!(
        listed.len() > 20,
        "SUMMARY.md lists the chapters: {listed:?}"
    );
    let docs = root().join("docs");
    let mut pages = Vec::new();
    for dir in [docs.clone(), docs.join("reference")] {
        for entry in std::fs::read_dir(&dir).expect("docs/") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(
                    path.strip_prefix(&docs)
                        .expect("under docs/")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let missing: Vec<&String> = pages
        .iter()
        .filter(|p| p.as_str() != "SUMMARY.md" && !listed.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/SUMMARY.md does not list: {missing:?}"
    );
}

#[test]
fn the_link_reader_finds_links_and_skips_code() {
    let text = "see [a](a.md#x) and `[b](b.md)`\n```\n[c](c.md)\n```\n[d](../d.md)";
    assert_eq!(links(text), ["a.md#x", "../d.md"]);
}
