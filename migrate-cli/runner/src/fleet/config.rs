//! `[fleet]` in `migrate.toml`, and the target list of a fleet command: from the command line when it names
//! targets, else from the configuration; a query's rows read from its control database.

use anyhow::{anyhow, bail, Context, Result};
use migrate_core::fleet::{Canary, FleetOptions, OnBusy, OnError, Target};
use migrate_core::LockMode;
use postgres::types::Type;

use super::args::{split_urls, OnErrorArg, RolloutArgs, TargetArgs};
use crate::config::{CanaryConfig, FleetConfig};
use crate::connect::{self, redact};
use crate::settings::Settings;

/// The `[fleet]` section in use (empty without one).
fn section(settings: &Settings) -> FleetConfig {
    settings.config.file.fleet.clone().unwrap_or_default()
}

/// The fleet's options: flags, then `[fleet]`, then the defaults.
pub fn options(
    settings: &Settings,
    args: &TargetArgs,
    rollout: Option<&RolloutArgs>,
) -> Result<FleetOptions> {
    let file = section(settings);
    let describe = settings.config.describe();
    let mut options = FleetOptions {
        on_busy: match settings.lock_mode {
            LockMode::Fail => OnBusy::Report,
            _ => OnBusy::Wait,
        },
        search_path: file.search_path.clone().unwrap_or_default(),
        ..FleetOptions::default()
    };
    if let Some(n) = args.parallel.map(usize_of).or(file.parallel) {
        if n == 0 {
            bail!("invalid parallel = 0 in [fleet] of {describe}: it must be at least 1");
        }
        options.parallel = n;
    }
    if let Some(n) = args.per_server.map(usize_of).or(file.per_server) {
        if n == 0 {
            bail!("invalid per_server = 0 in [fleet] of {describe}: it must be at least 1");
        }
        options.per_server = n;
    }
    for schema in &options.search_path {
        if schema.is_empty() || schema.contains('\0') {
            bail!("invalid search_path entry {schema:?} in [fleet] of {describe}");
        }
    }
    let Some(rollout) = rollout else {
        return Ok(options);
    };
    options.canary = match (&rollout.canary, &file.canary) {
        (Some(text), _) => parse_canary(text)?,
        (None, Some(CanaryConfig::First(k))) => Canary::First(*k),
        (None, Some(CanaryConfig::Named(names))) => Canary::Named(names.clone()),
        (None, None) => Canary::None,
    };
    options.on_error = match rollout.on_error.or(file.on_error) {
        Some(OnErrorArg::Continue) => OnError::Continue,
        Some(OnErrorArg::Stop) | None => OnError::Stop,
    };
    options.max_failures = rollout.max_failures.map(usize_of).or(file.max_failures);
    if options.max_failures.is_some() && options.on_error == OnError::Stop {
        bail!("--max-failures needs --on-error continue (with `stop`, the first failure stops the rollout)");
    }
    Ok(options)
}

/// `--canary 2` or `--canary tenant_1,tenant_9`.
fn parse_canary(text: &str) -> Result<Canary> {
    let text = text.trim();
    if let Ok(k) = text.parse::<usize>() {
        if k == 0 {
            bail!("--canary 0: give at least one target, or leave --canary out");
        }
        return Ok(Canary::First(k));
    }
    let names: Vec<String> = text
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        bail!("--canary {text:?}: give a number of targets or their names");
    }
    Ok(Canary::Named(names))
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The targets: from the command line when it names any (`--schemas`, `--urls`, `--query`), else from
/// `[fleet]`.
pub fn targets(settings: &Settings, args: &TargetArgs) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    let on_command_line = !args.schemas.is_empty() || !args.urls.is_empty() || args.query.is_some();
    if on_command_line {
        out.extend(args.schemas.iter().map(|s| Target::schema(s.trim())));
        out.extend(split_urls(&args.urls).into_iter().map(Target::database));
        if let Some(query) = &args.query {
            let control = control_url(settings, args)?;
            out.extend(query_targets(settings, control.as_deref(), query)?);
        }
    } else {
        let file = section(settings);
        let describe = settings.config.describe();
        for (i, t) in file.targets.iter().flatten().enumerate() {
            if t.url.is_none() && t.schema.is_none() {
                bail!(
                    "[[fleet.targets]] number {} in {describe} has neither url nor schema; give one or both",
                    i + 1
                );
            }
            out.push(Target {
                name: t.name.clone().unwrap_or_default(),
                url: t.url.as_deref().map(expand).transpose()?,
                direct_url: t.direct_url.as_deref().map(expand).transpose()?,
                schema: t.schema.clone(),
            });
        }
        out.extend(file.schemas.iter().flatten().map(Target::schema));
        for url in file.urls.iter().flatten() {
            out.push(Target::database(expand(url)?));
        }
        if let Some(query) = &file.query {
            let control = control_url(settings, args)?;
            out.extend(query_targets(settings, control.as_deref(), query)?);
        }
    }
    for t in &out {
        if t.schema.as_deref().is_some_and(str::is_empty) {
            bail!("an empty schema name in the fleet's targets");
        }
    }
    Ok(out)
}

/// Where a target query runs: `--control-url`, else `control_url` of `[fleet]`; `None` for the configured
/// database.
pub(crate) fn control_url(settings: &Settings, args: &TargetArgs) -> Result<Option<String>> {
    match &args.control_url {
        Some(url) => Ok(Some(url.clone())),
        None => section(settings)
            .control_url
            .as_deref()
            .map(expand)
            .transpose(),
    }
}

/// `${VAR}` replaced by the environment variable's value.
fn expand(text: &str) -> Result<String> {
    expand_env(text, "[fleet]")
}

/// `${VAR}` in `text`, a value of migrate.toml's `section`, replaced by the environment variable's value.
pub(crate) fn expand_env(text: &str, section: &str) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow!("an unclosed ${{ in {} in {section}", redact(text)))?;
        let name = &after[..end];
        let value = std::env::var(name).map_err(|_| {
            anyhow!(
                "{section} names the environment variable {name} (in {}), which is not set",
                redact(text)
            )
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The columns a target query may return.
const QUERY_COLUMNS: [&str; 4] = ["name", "url", "schema", "direct_url"];

/// The targets `query` returns on `control` (default: the configured database), read in a read-only
/// transaction.
fn query_targets(settings: &Settings, control: Option<&str>, query: &str) -> Result<Vec<Target>> {
    let db = connect::resolve(control.or(settings.url()))
        .context("cannot connect to run the fleet's target query")?;
    let mut client = db
        .connect(settings.connect_timeout)
        .context("cannot connect to run the fleet's target query")?;
    let failed = |e: postgres::Error| {
        anyhow!(
            "the fleet's target query failed on {}: {}\nquery: {query}",
            db.display,
            db.scrub(&connect::describe(&e))
        )
    };
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(failed)?;
    let statement = tx.prepare(query).map_err(failed)?;
    let columns: Vec<(String, Type)> = statement
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_().clone()))
        .collect();
    let listed = columns
        .iter()
        .map(|(name, ty)| format!("{name} ({ty})"))
        .collect::<Vec<_>>()
        .join(", ");
    let expected =
        "it must return the column url and/or schema, and may return name and direct_url, all text";
    for (name, ty) in &columns {
        if !QUERY_COLUMNS.contains(&name.as_str()) {
            bail!("the fleet's target query returns a column {name:?}: {expected}; it returns: {listed}\nquery: {query}");
        }
        if ![Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(ty) {
            bail!("the fleet's target query returns the column {name} as {ty}: {expected} (cast it with ::text); it returns: {listed}\nquery: {query}");
        }
    }
    let at = |wanted: &str| columns.iter().position(|(name, _)| name == wanted);
    if columns
        .iter()
        .filter(|(n, _)| columns.iter().filter(|(m, _)| m == n).count() > 1)
        .count()
        > 0
    {
        bail!("the fleet's target query returns a column twice: {listed}\nquery: {query}");
    }
    let (name, url, schema, direct) = (at("name"), at("url"), at("schema"), at("direct_url"));
    if url.is_none() && schema.is_none() {
        bail!("the fleet's target query returns neither url nor schema: {expected}; it returns: {listed}\nquery: {query}");
    }
    let rows = tx.query(&statement, &[]).map_err(failed)?;
    if rows.is_empty() {
        bail!("the fleet's target query returned no rows, so the fleet has no targets\nquery: {query}");
    }
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        let get = |column: Option<usize>| -> Result<Option<String>> {
            match column {
                None => Ok(None),
                Some(i) => row
                    .try_get::<_, Option<String>>(i)
                    .map_err(|e| anyhow!("row {} of the fleet's target query: {e}", n + 1)),
            }
        };
        let target = Target {
            name: get(name)?.unwrap_or_default(),
            url: get(url)?,
            direct_url: get(direct)?,
            schema: get(schema)?,
        };
        if target.url.is_none() && target.schema.is_none() {
            bail!(
                "row {} of the fleet's target query{} has neither url nor schema (both NULL)\nquery: {query}",
                n + 1,
                if target.name.is_empty() { String::new() } else { format!(" ({})", target.name) }
            );
        }
        if target.schema.as_deref() == Some("") || target.url.as_deref() == Some("") {
            bail!(
                "row {} of the fleet's target query has an empty url or schema\nquery: {query}",
                n + 1
            );
        }
        out.push(target);
    }
    tx.commit().map_err(failed)?;
    Ok(out)
}
