//! The app's queries. Each phase reads and writes its own columns (see [`Phase`]); everything else about
//! the app is the same in every phase.

use deadpool_postgres::Pool;

use crate::form::{NewComment, NewPost};
use crate::phase::Phase;

/// How many posts the page shows, newest first.
pub const PAGE_POSTS: i64 = 50;

/// A post as shown on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: i64,
    pub title: String,
    /// `None` for a post without a location (written by an older phase after the backfill).
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub comments: Vec<String>,
}

/// A failure while talking to the database; the page shows a generic message and the log gets this.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// Shows what the server said (`column "contents" does not exist`), not only the driver's `db error`.
    #[error("query failed: {}", server_message(.0))]
    Query(#[from] tokio_postgres::Error),
}

/// The server's error with its SQLSTATE, detail and hint when the server sent one; else the driver's error
/// and its causes (a closed connection, a timeout).
pub fn server_message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut out = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            out.push_str(&format!("; detail: {detail}"));
        }
        if let Some(hint) = db.hint() {
            out.push_str(&format!("; hint: {hint}"));
        }
        return out;
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    out
}

/// What happened to a new comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOutcome {
    Added,
    /// The post it answers does not exist (a stale page, or a hand-made request).
    NoSuchPost,
}

/// The newest posts with their comments, oldest comment first.
pub async fn list_posts(pool: &Pool, phase: Phase) -> Result<Vec<Post>, StoreError> {
    let client = pool.get().await?;
    // A point's x is the longitude and its y the latitude.
    let posts_sql = match phase {
        Phase::V1 | Phase::V2 => "SELECT id, title, lat, lng FROM posts",
        // v3 reads `location` where a newer version wrote only that, and `lat`/`lng` otherwise.
        Phase::V3 => {
            "SELECT id, title, COALESCE(location[1], lat), COALESCE(location[0], lng) FROM posts"
        }
        Phase::V4 => "SELECT id, title, location[1], location[0] FROM posts",
    };
    let rows = client
        .query(
            &format!("{posts_sql} ORDER BY created_at DESC, id DESC LIMIT $1"),
            &[&PAGE_POSTS],
        )
        .await?;
    let mut posts: Vec<Post> = rows
        .iter()
        .map(|r| Post {
            id: r.get(0),
            title: r.get(1),
            lat: r.get(2),
            lng: r.get(3),
            comments: Vec::new(),
        })
        .collect();
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let comments_sql = match phase {
        Phase::V1 => "SELECT post_id, contents FROM comments WHERE post_id = ANY($1) ORDER BY id",
        _ => "SELECT post_id, body FROM comments WHERE post_id = ANY($1) ORDER BY id",
    };
    for row in client.query(comments_sql, &[&ids]).await? {
        let post_id: i64 = row.get(0);
        if let Some(post) = posts.iter_mut().find(|p| p.id == post_id) {
            post.comments.push(row.get(1));
        }
    }
    Ok(posts)
}

/// Inserts a validated post; returns its id.
pub async fn create_post(pool: &Pool, phase: Phase, post: &NewPost) -> Result<i64, StoreError> {
    let client = pool.get().await?;
    let sql = match phase {
        Phase::V1 | Phase::V2 => {
            "INSERT INTO posts (title, lat, lng) VALUES ($1, $2, $3) RETURNING id"
        }
        // Dual write: the old columns for v2 readers, the new one for v4 readers.
        Phase::V3 => {
            "INSERT INTO posts (title, lat, lng, location) \
             VALUES ($1, $2, $3, point($3::float8, $2::float8)) RETURNING id"
        }
        Phase::V4 => {
            "INSERT INTO posts (title, location) VALUES ($1, point($3::float8, $2::float8)) RETURNING id"
        }
    };
    let row = client
        .query_one(sql, &[&post.title, &post.lat, &post.lng])
        .await?;
    Ok(row.get(0))
}

/// Inserts a validated comment, unless its post does not exist.
pub async fn create_comment(
    pool: &Pool,
    phase: Phase,
    comment: &NewComment,
) -> Result<CommentOutcome, StoreError> {
    let client = pool.get().await?;
    // Checking the post in the same statement gives a clear answer instead of a foreign-key error.
    let sql = match phase {
        Phase::V1 => {
            "INSERT INTO comments (post_id, contents) \
             SELECT id, $2 FROM posts WHERE id = $1"
        }
        _ => "INSERT INTO comments (post_id, body) SELECT id, $2 FROM posts WHERE id = $1",
    };
    let inserted = client
        .execute(sql, &[&comment.post_id, &comment.body])
        .await?;
    Ok(if inserted == 0 {
        CommentOutcome::NoSuchPost
    } else {
        CommentOutcome::Added
    })
}
