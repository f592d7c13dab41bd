//! The example app: serves the posts page on localhost.
//!
//! - With `DATABASE_URL` set (in the environment or a `.env` file, as for the migration CLI) it uses that
//!   database. Without it, it starts a throwaway PostgreSQL cluster
//!   in a temporary folder when the server binaries are installed (and says so), and otherwise stops
//!   with a message on how to get a database.
//! - With `--migrate` it applies pending expands first (never a contract, which would retire the app version
//!   still serving during a rolling deploy), through the same engine, settings (`migrate.toml`,
//!   `MIGRATIONS_TABLE`, ...) and advisory lock as the migration CLI, so many replicas starting at once apply
//!   each migration exactly once.
//! - `--phase` picks the app version (which columns it reads and writes), so old and new versions can run
//!   side by side between migrations.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use example_app::database::{self, LocalCluster};
use example_app::phase::Phase;
use example_app::web::{self, AppState};

/// A small photo-sharing app whose schema evolves through expand/contract migrations.
#[derive(Debug, Parser)]
#[command(name = "example-app")]
struct Args {
    /// Apply pending expands at start-up, stopping before the first pending contract (which runs after the
    /// rollout); on a database no phase can run on yet, everything this phase needs.
    #[arg(long)]
    migrate: bool,
    /// The app version to run: which columns it reads and writes.
    #[arg(long, value_enum, env = "APP_PHASE", default_value_t = Phase::NEWEST)]
    phase: Phase,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Prepare and check the schema (applying it with --migrate), then exit without serving.
    #[arg(long)]
    no_serve: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", migrate_cli::error_message(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    // Kept until the end of `run`, so the server is stopped and deleted after the app stopped serving.
    let mut cluster = None;
    let url = match database::configured_url()? {
        Some(url) => url,
        None => {
            let bin = database::find_server_bin().context(database::NO_DATABASE)?;
            println!(
                "DATABASE_URL is not set: starting a throwaway PostgreSQL cluster with {} (deleted on exit)",
                bin.display()
            );
            let started = LocalCluster::start(&bin)?;
            println!("local database: {}", started.url());
            cluster.insert(started).url().to_owned()
        }
    };
    // The migrations run on a thread of their own (the engine is synchronous); awaiting them leaves the
    // runtime free.
    database::prepare_schema(&url, args.phase, args.migrate, |line| println!("{line}")).await?;
    if args.no_serve {
        println!("schema is ready for app phase {}", args.phase);
        return Ok(());
    }
    let served = serve(&url, &args).await;
    drop(cluster);
    served
}

async fn serve(url: &str, args: &Args) -> Result<()> {
    let state = AppState {
        pool: database::pool(url)?,
        phase: args.phase,
        migrations_table: database::migrations_table()?,
    };
    let addr = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (in use? pick another with --port or PORT)")
    })?;
    let local = listener.local_addr()?;
    println!(
        "app phase {}: reads and writes {}",
        args.phase,
        args.phase.describe()
    );
    println!("serving on http://{local}/ (Ctrl-C stops)");
    web::serve(listener, state, shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    println!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so the local cluster (if any) is stopped on the way out.
async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, the default (exit) still applies; wait forever here.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
