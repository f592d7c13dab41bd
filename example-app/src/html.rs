//! The page, written as HTML by hand: one list of posts with their comments, and two forms. Every piece
//! of text that comes from a visitor or the database goes through [`escape`].

use std::fmt::Write as _;

use crate::form::{CommentForm, PostForm, MAX_COMMENT_CHARS, MAX_TITLE_CHARS};
use crate::phase::Phase;
use crate::store::Post;

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What to show again after a rejected form: its messages and what the visitor typed, so nothing is lost.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    pub problems: Vec<String>,
    pub post: PostForm,
    /// The rejected comment, if that was the form sent.
    pub comment: Option<CommentForm>,
}

/// The whole page; `panel` (the schema panel, HTML) goes below the posts.
pub fn page(phase: Phase, posts: &[Post], feedback: &Feedback, panel: &str) -> String {
    let mut h = String::new();
    h.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<title>Photo posts</title>\n",
        "<style>body{font-family:sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}",
        ".error{color:#a00;border:1px solid #a00;padding:.5rem}",
        "article{border-top:1px solid #ccc;padding:.5rem 0}",
        "label{display:block;margin:.3rem 0}",
        "#schema{border-top:2px solid #888;margin-top:1rem;font-size:.9rem}",
        "#schema .contract{color:#8a4b00}#schema .pending{opacity:.75}</style>\n</head>\n<body>\n<h1>Photo posts</h1>\n"
    ));
    if !feedback.problems.is_empty() {
        h.push_str("<div class=\"error\" role=\"alert\"><p>Nothing was saved:</p><ul>\n");
        for p in &feedback.problems {
            let _ = writeln!(h, "<li>{}</li>", escape(p));
        }
        h.push_str("</ul></div>\n");
    }
    let _ = write!(
        h,
        concat!(
            "<form method=\"post\" action=\"/posts\" id=\"new-post\">\n<h2>New post</h2>\n",
            "<label>Title <input name=\"title\" maxlength=\"{max}\" required value=\"{title}\"></label>\n",
            "<label>Latitude <input name=\"lat\" inputmode=\"decimal\" required value=\"{lat}\"></label>\n",
            "<label>Longitude <input name=\"lng\" inputmode=\"decimal\" required value=\"{lng}\"></label>\n",
            "<button>Post</button>\n</form>\n"
        ),
        max = MAX_TITLE_CHARS,
        title = escape(&feedback.post.title),
        lat = escape(&feedback.post.lat),
        lng = escape(&feedback.post.lng),
    );
    if posts.is_empty() {
        h.push_str("<p>No posts yet.</p>\n");
    }
    for post in posts {
        let _ = write!(
            h,
            "<article id=\"post-{}\">\n<h2>{}</h2>\n",
            post.id,
            escape(&post.title)
        );
        match (post.lat, post.lng) {
            (Some(lat), Some(lng)) => {
                let _ = writeln!(h, "<p class=\"location\">at {lat:.5}, {lng:.5}</p>");
            }
            _ => h.push_str("<p class=\"location\">no location</p>\n"),
        }
        h.push_str("<ul class=\"comments\">\n");
        for c in &post.comments {
            let _ = writeln!(h, "<li>{}</li>", escape(c));
        }
        h.push_str("</ul>\n");
        // Keep a rejected comment's text in the form of the post it was meant for.
        let typed = feedback
            .comment
            .as_ref()
            .filter(|c| c.post_id.trim() == post.id.to_string())
            .map(|c| c.body.as_str())
            .unwrap_or("");
        let _ = write!(
            h,
            concat!(
                "<form method=\"post\" action=\"/comments\">\n",
                "<input type=\"hidden\" name=\"post_id\" value=\"{id}\">\n",
                "<label>Comment <textarea name=\"body\" maxlength=\"{max}\" required>{typed}</textarea></label>\n",
                "<button>Comment</button>\n</form>\n</article>\n"
            ),
            id = post.id,
            max = MAX_COMMENT_CHARS,
            typed = escape(typed),
        );
    }
    h.push_str(panel);
    let _ = write!(
        h,
        "<footer><p>App phase {}: reads and writes {}.</p></footer>\n</body>\n</html>\n",
        phase,
        escape(phase.describe())
    );
    h
}

/// The page shown when the database fails: no details, those go to the log.
pub fn error_page() -> String {
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head>\
     <body><h1>Something went wrong</h1><p>The database could not be reached or refused the request. \
     Please try again.</p></body></html>\n"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn titles_comments_and_typed_input_are_escaped() {
        let posts = [Post {
            id: 1,
            title: "<script>x</script>".into(),
            lat: None,
            lng: None,
            comments: vec!["<b>hi</b>".into()],
        }];
        let feedback = Feedback {
            problems: vec!["<bad>".into()],
            post: PostForm {
                title: "\"><img>".into(),
                ..PostForm::default()
            },
            comment: None,
        };
        let html = page(Phase::V4, &posts, &feedback, "");
        assert!(!html.contains("<script>x") && !html.contains("<b>hi") && !html.contains("<img>"));
        assert!(!html.contains("<bad>"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
    }
}
