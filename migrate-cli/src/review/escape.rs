//! What the pull-request comment quotes, made inert: a migration's SQL, names and messages come from the
//! project's files (and the SQL parser's messages quote them), and may hold ```` ``` ````, `</details>`,
//! `<!-- ... -->` or a line break followed by something that looks like the tool's own lines. Code goes into
//! fences and code spans longer than any run of backticks inside; everything else has its HTML escaped and
//! stays on its line.

/// The longest run of backticks in `text`.
fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// `body` as a fenced code block of language `lang`: the fence is longer than any run of backticks in the
/// body, so nothing in it can close the block.
pub(super) fn fence(lang: &str, body: &str) -> String {
    let ticks = "`".repeat((longest_backtick_run(body) + 1).max(3));
    let body = body.strip_suffix('\n').unwrap_or(body);
    format!("{ticks}{lang}\n{body}\n{ticks}\n")
}

/// `text` as an inline code span on one line: delimited by more backticks than any run inside, padded with a
/// space when it starts or ends with a backtick (CommonMark strips one space on each side).
pub(super) fn code(text: &str) -> String {
    let text = one_line(text);
    let ticks = "`".repeat(longest_backtick_run(&text) + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{ticks} {text} {ticks}")
    } else {
        format!("{ticks}{text}{ticks}")
    }
}

/// [`code`] for a table cell: a `|` would end the cell even inside a code span, so it is escaped (GitHub
/// shows `\|` in a table's code span as `|`).
pub(super) fn code_cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Plain text outside code: on one line, its HTML escaped (so `</details>` or `<!--` is shown, not
/// obeyed), and its backslashes kept as they are.
pub(super) fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

/// [`text`] for a table cell: a `|` would end the cell.
pub(super) fn cell(text_: &str) -> String {
    text(text_).replace('|', "\\|")
}

/// Text inside an HTML element (the `<summary>`): markdown is not read there, so HTML escaping is all.
pub(super) fn html(text: &str) -> String {
    one_line(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Line breaks (of any kind) as spaces: a quoted name or message cannot start a line of its own.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(fence("sql", "SELECT 1;"), "```sql\nSELECT 1;\n```\n");
        let sql = "SELECT 1; -- ```\n```\n## Approved";
        assert_eq!(
            fence("sql", sql),
            "````sql\nSELECT 1; -- ```\n```\n## Approved\n````\n"
        );
    }

    #[test]
    fn a_code_span_holds_backticks_and_stays_on_one_line() {
        assert_eq!(code("items"), "`items`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(code_cell("a | b"), "`a \\| b`");
    }

    #[test]
    fn text_shows_html_instead_of_obeying_it() {
        assert_eq!(
            text("</details>\n<!-- x --> & \\"),
            "&lt;/details&gt; &lt;!-- x --&gt; &amp; \\\\"
        );
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(html("<b>\"x\"</b>"), "&lt;b&gt;&quot;x&quot;&lt;/b&gt;");
    }
}
