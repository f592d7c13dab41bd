//! The schema panel at the bottom of the page: which migrations are applied and pending (each an expand or
//! a contract), the app phase this process serves, the phases the schema supports now, and the walkthrough
//! section with the next step. It makes the deploy story visible while you follow it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

use deadpool_postgres::Pool;

use crate::html::escape;
use crate::migrations::MIGRATIONS;
use crate::phase::Phase;
use crate::store::StoreError;

/// The walkthrough, served at [`WALKTHROUGH_PATH`] so the panel's links work without a checkout at hand.
pub const WALKTHROUGH: &str = include_str!("../../docs/walkthrough.md");

/// Where the app serves the walkthrough.
pub const WALKTHROUGH_PATH: &str = "/walkthrough";

/// The walkthrough section to read next, by the first pending migration: each step of the story starts at
/// the first migration it applies. With nothing pending, the next thing to do is a migration of your own.
const SECTIONS: &[(&str, &str)] = &[
    ("20261122090000", "Step 1: the first schema"),
    (
        "20261122100000",
        "Step 2: rename `comments.contents` to `body`, without breaking v1",
    ),
    (
        "20261122110000",
        "Step 3: replace `lat`/`lng` with `location` (a `point`)",
    ),
    ("20261122120000", "Step 4: an index built concurrently"),
];

/// The section when every migration is applied.
const DONE_SECTION: &str = "3. Your own migration";

/// What the panel shows, read from the database for each page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// Names of the applied migrations.
    pub applied: BTreeSet<String>,
}

/// Each compiled migration's contract reason (`None` for an expand), recorded once.
fn contracts() -> &'static [Option<String>] {
    static CONTRACTS: OnceLock<Vec<Option<String>>> = OnceLock::new();
    CONTRACTS.get_or_init(|| MIGRATIONS.iter().map(|m| m.contract()).collect())
}

/// Reads the applied migrations from `table` (quoted, `schema.name`); none when the table does not exist
/// yet.
pub async fn read(pool: &Pool, table: &str) -> Result<SchemaState, StoreError> {
    let client = pool.get().await?;
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await?
        .get(0);
    let applied = if exists {
        client
            .query(&format!("SELECT name FROM {table}"), &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
    } else {
        BTreeSet::new()
    };
    Ok(SchemaState { applied })
}

/// The walkthrough section heading for the next step on a database in `state`.
pub fn next_section(state: &SchemaState) -> &'static str {
    let Some(pending) = MIGRATIONS
        .iter()
        .find(|m| !state.applied.contains(m.name()))
    else {
        return DONE_SECTION;
    };
    SECTIONS
        .iter()
        .rev()
        .find(|(from, _)| pending.name() >= *from)
        .map_or(SECTIONS[0].1, |(_, heading)| heading)
}

/// The anchor GitHub and the served walkthrough give a heading: lower case, punctuation dropped, spaces
/// as dashes.
pub fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The panel's HTML, for an app serving `phase` on a database in `state`.
pub fn render(phase: Phase, state: &SchemaState) -> String {
    let supported = Phase::supported(&state.applied);
    let mut h = String::new();
    h.push_str("<section id=\"schema\" aria-labelledby=\"schema-title\">\n<h2 id=\"schema-title\">Schema</h2>\n");
    let names: Vec<String> = supported.iter().map(|p| p.to_string()).collect();
    let _ = writeln!(
        h,
        "<p id=\"schema-phases\">This app serves phase <strong>{phase}</strong>. The schema supports {}.</p>",
        if names.is_empty() {
            "no app phase yet".to_owned()
        } else {
            format!("app phase(s) {}", names.join(", "))
        }
    );
    let applied = MIGRATIONS
        .iter()
        .filter(|m| state.applied.contains(m.name()))
        .count();
    let _ = writeln!(
        h,
        "<p>{applied} of {} migration(s) applied. An <em>expand</em> keeps the running app version working; a <em>contract</em> retires an older one and runs only after the rollout (<code>up --expand-only</code> and <code>--migrate</code> stop before it).</p>",
        MIGRATIONS.len()
    );
    h.push_str("<ol class=\"migrations\">\n");
    for (m, contract) in MIGRATIONS.iter().zip(contracts()) {
        let state_class = if state.applied.contains(m.name()) {
            "applied"
        } else {
            "pending"
        };
        let (kind, why) = match contract {
            Some(reason) => ("contract", format!(": {}", escape(reason))),
            None => ("expand", String::new()),
        };
        let _ = writeln!(
            h,
            "<li class=\"{state_class} {kind}\" data-migration=\"{name}\">{state_class}, {kind}: <code>{name}</code>{why}</li>",
            name = escape(m.name())
        );
    }
    h.push_str("</ol>\n");
    let section = next_section(state);
    let _ = writeln!(
        h,
        "<p id=\"schema-next\">Next: <a href=\"{WALKTHROUGH_PATH}#{}\">walkthrough, {}</a> (docs/walkthrough.md)</p>",
        anchor(section),
        escape(&section.replace('`', ""))
    );
    h.push_str("</section>\n");
    h
}

/// The walkthrough as a page: its Markdown rendered as HTML (mdBook's parser), with every heading's anchor
/// as GitHub and the book give it, so the panel's links land on their section.
pub fn walkthrough_page() -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

    let mut events = Vec::new();
    // A heading's events, held until its end gives its whole text for the anchor.
    let mut heading: Option<(pulldown_cmark::HeadingLevel, Vec<Event<'_>>)> = None;
    for event in Parser::new_ext(WALKTHROUGH, Options::ENABLE_TABLES) {
        match (event, &mut heading) {
            (Event::Start(Tag::Heading { level, .. }), None) => heading = Some((level, Vec::new())),
            (Event::End(TagEnd::Heading(_)), Some(_)) => {
                let Some((level, inner)) = heading.take() else {
                    continue;
                };
                let text: String = inner
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                events.push(Event::Html(CowStr::from(format!(
                    "<{level} id=\"{}\">",
                    anchor(&text)
                ))));
                events.extend(inner);
                events.push(Event::Html(CowStr::from(format!("</{level}>\n"))));
            }
            (event, Some((_, inner))) => inner.push(event),
            (event, None) => events.push(event),
        }
    }
    let mut h = String::from(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<title>Walkthrough</title>\n<style>body{max-width:52rem;margin:2rem auto;padding:0 1rem;",
        "font-family:system-ui,sans-serif;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}",
        "code{font-size:.9em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}",
        "</style>\n</head>\n<body>\n<p><a href=\"/\">back to the app</a></p>\n"
    ));
    html::push_html(&mut h, events.into_iter());
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings() -> Vec<String> {
        let mut in_code = false;
        let mut out = Vec::new();
        for line in WALKTHROUGH.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if !in_code && line.starts_with('#') {
                out.push(line.trim_start_matches('#').trim().to_owned());
            }
        }
        out
    }

    /// The walkthrough is served as HTML: headings with the anchors the panel links to, code as code blocks,
    /// no Markdown syntax left.
    #[test]
    fn the_walkthrough_is_served_rendered() {
        let page = walkthrough_page();
        for (_, section) in SECTIONS {
            let id = format!(" id=\"{}\">", anchor(section));
            assert!(page.contains(&id), "{id} missing");
        }
        assert!(page.contains("<h3 id=\"step-3-replace-latlng-with-location-a-point\">"));
        assert!(page.contains("<pre><code class=\"language-"), "code blocks");
        assert!(!page.contains("```"), "a fence left as text");
        assert!(
            !page.lines().any(|l| l.starts_with("## ")),
            "a heading left as text"
        );
        assert!(page.contains("<code>"), "inline code");
    }

    /// A renamed heading must not leave the panel linking to nothing.
    #[test]
    fn every_next_step_is_a_walkthrough_heading() {
        let headings = headings();
        for (_, section) in SECTIONS {
            assert!(headings.iter().any(|h| h == section), "{section}");
        }
        assert!(headings.iter().any(|h| h == DONE_SECTION));
        assert_eq!(
            anchor("### Step 2: rename `comments.contents` to `body`, without breaking v1"),
            "step-2-rename-commentscontents-to-body-without-breaking-v1"
        );
    }

    #[test]
    fn the_panel_marks_contracts_and_follows_the_story() {
        let fresh = SchemaState {
            applied: BTreeSet::new(),
        };
        let html = render(Phase::V1, &fresh);
        assert!(
            html.contains("The schema supports no app phase yet"),
            "{html}"
        );
        assert!(html.contains("#step-1-the-first-schema"), "{html}");
        assert!(html.contains(
            "<li class=\"pending contract\" data-migration=\"20261122100400_contract_comments_contents\">"
        ));
        assert!(html.contains(
            "<li class=\"pending expand\" data-migration=\"20261122100000_expand_comments_body\">"
        ));
        let after_expand = SchemaState {
            applied: MIGRATIONS[..2]
                .iter()
                .map(|m| m.name().to_owned())
                .collect(),
        };
        let html = render(Phase::V2, &after_expand);
        assert!(html.contains("serves phase <strong>v2</strong>"));
        assert!(html.contains("supports app phase(s) v1, v2"), "{html}");
        assert!(html.contains("#step-2-rename"), "{html}");
    }
}
