//! Form input and its validation. Everything a visitor types arrives as text and is checked here before
//! anything touches the database; a rejected form is shown again with a message and nothing is written.

use serde::Deserialize;

/// Longest post title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// The "new post" form as sent. Missing fields arrive as empty strings (`serde(default)`), so a hand-made
/// request gets the same clear message as an empty field rather than a bare 422.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PostForm {
    pub title: String,
    pub lat: String,
    pub lng: String,
}

/// The "comment" form as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    pub post_id: String,
    pub body: String,
}

/// A post that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub title: String,
    pub lat: f64,
    pub lng: f64,
}

/// A comment that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComment {
    pub post_id: i64,
    pub body: String,
}

impl PostForm {
    /// The post, or every problem found, each a sentence for the page.
    pub fn validate(&self) -> Result<NewPost, Vec<String>> {
        let mut problems = Vec::new();
        let title = text(&self.title, "title", MAX_TITLE_CHARS, &mut problems);
        let lat = coordinate(&self.lat, "latitude", 90.0, &mut problems);
        let lng = coordinate(&self.lng, "longitude", 180.0, &mut problems);
        match (title, lat, lng) {
            (Some(title), Some(lat), Some(lng)) if problems.is_empty() => {
                Ok(NewPost { title, lat, lng })
            }
            _ => Err(problems),
        }
    }
}

impl CommentForm {
    /// The comment, or every problem found.
    pub fn validate(&self) -> Result<NewComment, Vec<String>> {
        let mut problems = Vec::new();
        let post_id = match self.post_id.trim().parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                problems.push("The comment does not say which post it belongs to.".to_owned());
                None
            }
        };
        let body = text(&self.body, "comment", MAX_COMMENT_CHARS, &mut problems);
        match (post_id, body) {
            (Some(post_id), Some(body)) if problems.is_empty() => Ok(NewComment { post_id, body }),
            _ => Err(problems),
        }
    }
}

/// Trimmed, non-empty text of at most `max` characters (characters, not bytes, so accents count once).
fn text(raw: &str, what: &str, max: usize, problems: &mut Vec<String>) -> Option<String> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        problems.push(format!("The {what} is empty."));
        None
    } else if chars > max {
        problems.push(format!(
            "The {what} is too long: {chars} characters, at most {max}."
        ));
        None
    } else if trimmed.contains('\0') {
        // PostgreSQL text cannot hold NUL; refusing it here gives a message instead of a database error.
        problems.push(format!("The {what} contains a NUL character."));
        None
    } else {
        Some(trimmed.to_owned())
    }
}

/// A decimal number within ±`limit`. `f64::from_str` also accepts "NaN" and "inf", hence the finite check.
fn coordinate(raw: &str, what: &str, limit: f64, problems: &mut Vec<String>) -> Option<f64> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        problems.push(format!("The {what} is empty."));
        return None;
    }
    match trimmed.parse::<f64>() {
        Ok(v) if v.is_finite() && (-limit..=limit).contains(&v) => Some(v),
        Ok(_) => {
            problems.push(format!("The {what} must be between -{limit} and {limit}."));
            None
        }
        Err(_) => {
            problems.push(format!(
                "The {what} is not a number (use a dot for decimals, e.g. 48.8566)."
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(title: &str, lat: &str, lng: &str) -> PostForm {
        PostForm {
            title: title.into(),
            lat: lat.into(),
            lng: lng.into(),
        }
    }

    #[test]
    fn a_good_post_is_trimmed() {
        assert_eq!(
            post("  Sunset ", " 48.85", "2.35").validate(),
            Ok(NewPost {
                title: "Sunset".into(),
                lat: 48.85,
                lng: 2.35
            })
        );
    }

    #[test]
    fn bad_coordinates_empty_and_long_text_are_refused_with_reasons() {
        let problems = post(" ", "91", "abc").validate().unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[1].contains("between -90 and 90"));
        assert!(problems[2].contains("not a number"));
        assert!(post("x", "NaN", "inf").validate().is_err());
        let long = "é".repeat(MAX_TITLE_CHARS + 1);
        assert!(post(&long, "0", "0").validate().unwrap_err()[0].contains("too long"));
        assert!(post(&"é".repeat(MAX_TITLE_CHARS), "0", "0")
            .validate()
            .is_ok());
    }

    #[test]
    fn comments_need_a_post_and_text() {
        let c = CommentForm {
            post_id: "x".into(),
            body: "".into(),
        };
        assert_eq!(c.validate().unwrap_err().len(), 2);
        let c = CommentForm {
            post_id: "3".into(),
            body: " hi ".into(),
        };
        assert_eq!(
            c.validate(),
            Ok(NewComment {
                post_id: 3,
                body: "hi".into()
            })
        );
    }
}
