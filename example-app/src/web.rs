//! The HTTP side: `GET /` shows the page, `POST /posts` and `POST /comments` take the forms. A valid form
//! is saved and answered with a redirect to the page (so reloading does not post twice); an invalid one
//! gets the page again with status 400, its messages and the typed text, and nothing is written.

use std::future::Future;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use deadpool_postgres::Pool;
use tokio::net::TcpListener;

use crate::form::{CommentForm, PostForm};
use crate::html::{self, Feedback};
use crate::panel;
use crate::phase::Phase;
use crate::store::{self, CommentOutcome, StoreError};

/// What every request handler gets: the connection pool, the phase this process runs as, and the
/// migrations table the schema panel reads.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub phase: Phase,
    /// `schema.name`, quoted, as [`migrate_core::MigrationsTable::quoted`] gives it.
    pub migrations_table: String,
}

/// The app's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/posts", post(create_post))
        .route("/comments", post(create_comment))
        .route(panel::WALKTHROUGH_PATH, get(walkthrough))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn index(State(state): State<AppState>) -> Response {
    render(&state, StatusCode::OK, &Feedback::default()).await
}

async fn create_post(State(state): State<AppState>, Form(form): Form<PostForm>) -> Response {
    let post = match form.validate() {
        Ok(post) => post,
        Err(problems) => {
            let feedback = Feedback {
                problems,
                post: form,
                comment: None,
            };
            return render(&state, StatusCode::BAD_REQUEST, &feedback).await;
        }
    };
    match store::create_post(&state.pool, state.phase, &post).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => database_error(e),
    }
}

async fn create_comment(State(state): State<AppState>, Form(form): Form<CommentForm>) -> Response {
    let problems = match form.validate() {
        Ok(comment) => match store::create_comment(&state.pool, state.phase, &comment).await {
            Ok(CommentOutcome::Added) => return Redirect::to("/").into_response(),
            Ok(CommentOutcome::NoSuchPost) => {
                vec!["The post you commented on does not exist (any more).".to_owned()]
            }
            Err(e) => return database_error(e),
        },
        Err(problems) => problems,
    };
    let feedback = Feedback {
        problems,
        post: PostForm::default(),
        comment: Some(form),
    };
    render(&state, StatusCode::BAD_REQUEST, &feedback).await
}

async fn render(state: &AppState, status: StatusCode, feedback: &Feedback) -> Response {
    let posts = match store::list_posts(&state.pool, state.phase).await {
        Ok(posts) => posts,
        Err(e) => return database_error(e),
    };
    // The panel is an aid: when it cannot be read, the page still works and says so.
    let panel = match panel::read(&state.pool, &state.migrations_table).await {
        Ok(schema) => panel::render(state.phase, &schema),
        Err(e) => {
            eprintln!("error: schema panel: {e}");
            "<section id=\"schema\"><p>The migrations could not be read (see the log).</p></section>\n"
                .to_owned()
        }
    };
    (
        status,
        Html(html::page(state.phase, &posts, feedback, &panel)),
    )
        .into_response()
}

async fn walkthrough() -> Html<String> {
    Html(panel::walkthrough_page())
}

/// A database failure is the server's problem, not the visitor's: log it, show a page without details.
fn database_error(e: StoreError) -> Response {
    eprintln!("error: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, Html(html::error_page())).into_response()
}
