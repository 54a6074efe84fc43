//! Start-up: the one module that knows every layer. Builds the router (pages, server functions,
//! the JSON API, downloads, live streams and probes), serves it, and runs the operator commands.
//! Only built with `ssr`.

use crate::app::{shell, App};
use crate::server::assets::Assets;
use crate::server::form_state::{self, FormKey};
use crate::server::{
    accounts, actions, config, csrf, embedded_pg, headers, live, postmortems, webhook, AppState, RequestUser,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use config::{Cli, Command, Config, PgCommand, TokenCommand, UserCommand};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Every route `router` serves, as `(METHOD, path)` with the router's own parameter syntax: probes,
/// pages, server functions, the JSON API and the site handlers. The authorization matrix walks it.
pub fn route_list() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = PROBES.iter().map(|p| ("GET".to_string(), p.to_string())).collect();
    out.extend(generate_route_list(App).iter().map(|r| ("GET".to_string(), r.path().to_string())));
    out.extend(leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (method.to_string(), path.to_string())));
    out.extend(crate::api::rest::site_routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())));
    out.extend(crate::api::rest::api_routes().into_iter().map(|(m, p)| (m.to_string(), format!("/api/v1{p}"))));
    out.sort();
    out.dedup();
    out
}

const PROBES: [&str; 2] = ["/healthz", "/readyz"];

const SESSION_COOKIE: &str = "debrief_session";

/// The whole app as a router: pages, server functions, the JSON API, live streams and probes.
/// Tests build exactly this. It does not touch the database, so it starts even while Postgres is down.
pub async fn router(state: AppState, secure_cookies: bool) -> Result<Router, String> {
    crate::server::metrics::install();
    let store = PostgresStore::new(state.pool.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::days(14)));

    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let context = move || {
        provide_context(ctx_state.clone());
        provide_context(RequestUser::default());
    };
    let options = state.leptos_options.clone();
    let signer = form_state::Signer { key: state.form_key.clone(), session_cookie: SESSION_COOKIE };
    Ok(Router::new()
        .route(PROBES[0], get(|| async { "ok" }))
        .route(PROBES[1], get(readyz))
        .merge(crate::api::rest::site_router())
        .nest("/api/v1", crate::api::rest::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        // The build's CSS, JS and WASM straight from the folder, so Range and conditional requests
        // work (the fallback below serves other files without them).
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), pkg_files(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(crate::api::server_fn_status))
        .layer(axum::middleware::from_fn(crate::server::metrics::middleware))
        .layer(axum::middleware::from_fn(csrf::middleware))
        .layer(axum::middleware::from_fn(headers::middleware))
        .layer(sessions)
        // Outside the sessions layer: it binds form state to the session cookie a response sets.
        .layer(axum::middleware::from_fn_with_state(signer, form_state::middleware))
        // brotli or gzip when the client asks; live streams and images are left alone. Level 4, not
        // brotli's default 11: 11 costs milliseconds of CPU per page for a few percent fewer bytes
        // (the build's static files are compressed at 11 once, by .ci/site).
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(1)))
        // Spans name the method and the path only: query strings (a feed token) and the secret of a
        // reset link never reach a log line.
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            tracing::debug_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
        }))
        .with_state(state))
}

/// A request path as logs show it: a reset link's secret is left out.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/reset/") {
        "/reset/…"
    } else {
        path
    }
}

fn pkg_files(options: &leptos::config::LeptosOptions) -> tower_http::services::ServeDir {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    // A `.br` or `.gz` beside a file is served to clients that accept it.
    tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

async fn readyz(State(pool): State<PgPool>) -> (StatusCode, &'static str) {
    if crate::server::database_ready(&pool).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A pool that connects lazily: the app starts (and answers "database unreachable") even while
/// Postgres is down, and recovers by itself when it is back.
pub fn pool(url: &str, max: u32) -> Result<PgPool, String> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(url)
        .map_err(|e| format!("DATABASE_URL is not usable: {e}"))
}

/// Applies Debrief's migrations, creates the session store's own table if missing, and installs the
/// default postmortem template and the form-state signing key on first run.
pub async fn migrate(pool: &PgPool) -> Result<(), String> {
    MIGRATOR.run(pool).await.map_err(|e| format!("database migration failed: {e}"))?;
    PostgresStore::new(pool.clone()).migrate().await.map_err(|e| format!("session store migration: {e}"))?;
    FormKey::shared(pool).await.map_err(|e| format!("creating the form-state key: {e}"))?;
    postmortems::ensure_template(pool).await.map_err(|e| format!("installing the default postmortem template: {e}"))
}

/// Resolves the database: DATABASE_URL, or the embedded cluster (started if needed).
fn database(config: &Config) -> Result<(String, Option<embedded_pg::EmbeddedPg>), String> {
    if let Some(url) = &config.database_url {
        return Ok((url.clone(), None));
    }
    let mut pg = embedded_pg::EmbeddedPg::new(&config.data_dir, config.pg_port)?;
    pg.start()?;
    Ok((pg.url()?, Some(pg)))
}

async fn connect(config: &Config) -> Result<(PgPool, Option<embedded_pg::EmbeddedPg>), String> {
    let (url, pg) = database(config)?;
    if let Some(pg) = &pg {
        pg.ensure_database().await?;
    }
    let pool = pool(&url, config.db_pool)?;
    migrate(&pool).await?;
    Ok((pool, pg))
}

pub async fn main() -> std::process::ExitCode {
    use clap::Parser;
    let cli = Cli::parse();
    init_tracing(cli.config.log_json);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("debrief: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => connect(&config).await.map(|_| ()),
        Command::Pg { command: PgCommand::Up } => {
            let (url, pg) = database(&Config { database_url: None, ..config })?;
            if let Some(pg) = pg {
                pg.ensure_database().await?;
            }
            println!("{url}");
            Ok(())
        }
        Command::Pg { command: PgCommand::Down } => {
            embedded_pg::EmbeddedPg::new(&config.data_dir, config.pg_port)?.stop()
        }
        Command::User { command: UserCommand::Add { email, name, role } } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| format!("reading the password: {e}"))?;
            let (pool, _pg) = connect(&config).await?;
            let user = accounts::create_user(
                &pool,
                accounts::NewUser {
                    email: &email,
                    name: &name,
                    role: &role,
                    password: password.trim_end_matches(['\r', '\n']),
                    time_zone: None,
                    team: None,
                },
            )
            .await
            .map_err(describe)?;
            println!("added {} <{}> as {}", user.name, user.email, user.role);
            Ok(())
        }
        Command::LocalPasswords { state } => {
            let (pool, _pg) = connect(&config).await?;
            let sso = config.oidc_issuer.is_some();
            accounts::set_local_passwords(&pool, None, state == "on", sso).await.map_err(describe)?;
            println!("local passwords are {state}");
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, name, scope, expires } } => {
            let (pool, _pg) = connect(&config).await?;
            let req = accounts::TokenRequest { name, scope, expires_at: expires };
            println!("{}", accounts::create_token_for(&pool, &email, &req).await.map_err(describe)?.token);
            Ok(())
        }
    }
}

/// An AppError as one line for the terminal, field messages included.
fn describe(e: crate::error::AppError) -> String {
    match &e {
        crate::error::AppError::Invalid { fields, .. } if !fields.is_empty() => {
            fields.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
        }
        _ => e.to_string(),
    }
}

/// Leptos's settings (from the environment, defaults otherwise) with the site folder's hashed
/// bundle name, and the stylesheet's. `site_root` overrides the folder.
pub fn site(site_root: Option<&str>) -> Result<(leptos::config::LeptosOptions, Assets), String> {
    let conf = leptos::config::get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut options = conf.leptos_options;
    if let Some(root) = site_root {
        options.site_root = root.into();
    }
    let assets = Assets::read(std::path::Path::new(options.site_root.as_ref()))?;
    options.output_name = assets.script.clone().into();
    Ok((options, assets))
}

async fn serve(config: Config) -> Result<(), String> {
    let (pool, pg) = connect(&config).await?;
    let (mut leptos_options, assets) = site(None)?;
    if let Some(addr) = &config.addr {
        leptos_options.site_addr = addr.parse().map_err(|e| format!("DEBRIEF_ADDR {addr:?}: {e}"))?;
    }
    let addr = leptos_options.site_addr;
    tokio::spawn(delete_expired_sessions(pool.clone()));
    let outbound = webhook::Outbound::new(config.webhook_allow_private)?.with_mail(mailer_from(&config)?);
    tokio::spawn(daily_digest(pool.clone(), outbound.clone()));
    // First retry after 30 s, doubling; a new notification wakes the worker at once, and it looks
    // for retries falling due every 10 s.
    let (retry, poll) = (Duration::from_secs(30), Duration::from_secs(10));
    tokio::spawn(crate::server::outbox::run(pool.clone(), outbound.clone(), retry, poll));
    let form_key = FormKey::shared(&pool).await.map_err(|e| format!("reading the form-state key: {e}"))?;
    let sso = sso_from(&config, &pool).await?;
    let state =
        AppState { live: live::Live::start(pool.clone()), pool, leptos_options, assets, form_key, outbound, sso };
    // An https public URL (Settings) means the browser reaches us over TLS: cookies go Secure.
    let https = webhook::settings(&state.pool).await.is_ok_and(|s| s.public_url.starts_with("https://"));
    let app = router(state, config.secure_cookies || https).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("binding {addr}: {e}"))?;
    tracing::info!("Debrief is serving on http://{addr}");
    // The peer address feeds the sign-in throttle.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    if let Some(pg) = pg.filter(|p| p.started_here) {
        tracing::info!("stopping the embedded Postgres this process started");
        pg.stop()?;
    }
    result.map_err(|e| e.to_string())
}

/// Mail from the environment: none without a host; a host needs a sender.
fn mailer_from(config: &Config) -> Result<Option<crate::server::mail::Mailer>, String> {
    let Some(host) = config.smtp_host.clone().filter(|h| !h.trim().is_empty()) else { return Ok(None) };
    let from = config.smtp_from.clone().ok_or("DEBRIEF_SMTP_HOST needs DEBRIEF_SMTP_FROM (the sender)")?;
    let mail = crate::server::mail::MailConfig {
        host,
        port: config.smtp_port,
        tls: config.smtp_tls.clone(),
        username: config.smtp_username.clone(),
        password: config.smtp_password.clone().map(|p| p.0),
        from,
    };
    tracing::info!(server = ?mail, "mail is on");
    crate::server::mail::Mailer::new(&mail).map(Some)
}

/// Single sign-on from the environment: none without an issuer; an incomplete or bad setting stops
/// the start with a message naming it.
async fn sso_from(config: &Config, pool: &PgPool) -> Result<Option<std::sync::Arc<crate::server::sso::Sso>>, String> {
    let Some(issuer) = config.oidc_issuer.clone().filter(|i| !i.trim().is_empty()) else { return Ok(None) };
    let client_id = config.oidc_client_id.clone().ok_or("DEBRIEF_OIDC_ISSUER needs DEBRIEF_OIDC_CLIENT_ID")?;
    let client_secret =
        config.oidc_client_secret.clone().ok_or("DEBRIEF_OIDC_ISSUER needs DEBRIEF_OIDC_CLIENT_SECRET")?.0;
    let rules = crate::domain::sso::SsoRules::parse(
        &config.oidc_domains,
        &config.oidc_role,
        config.oidc_groups_claim.as_deref(),
        &config.oidc_group_roles,
    )?;
    let redirect_url = match &config.oidc_redirect_url {
        Some(url) => url.clone(),
        None => {
            let base = webhook::settings(pool).await.map_err(|e| e.to_string())?.public_url;
            format!("{}/sso/callback", base.trim_end_matches('/'))
        }
    };
    let label = config.oidc_label.clone();
    let sso = crate::server::sso::SsoConfig { issuer, client_id, client_secret, label, redirect_url, rules };
    tracing::info!(issuer = %sso.issuer, redirect = %sso.redirect_url, "single sign-on is on");
    Ok(Some(std::sync::Arc::new(crate::server::sso::Sso::new(sso)?)))
}

/// Expired sessions are deleted hourly; a database outage only delays it.
async fn delete_expired_sessions(pool: PgPool) {
    use tower_sessions::ExpiredDeletion;
    let store = PostgresStore::new(pool);
    loop {
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Every instance tries every ten minutes; the day's row in `digest_runs` (and each person's in
/// `reminder_days`) lets exactly one send it, and a restart finds the day already taken.
async fn daily_digest(pool: PgPool, outbound: webhook::Outbound) {
    loop {
        if let Err(e) = actions::send_daily_digest(&pool, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "daily action-item digest failed; will retry");
        }
        // Each owner's own reminder mail, in their morning (the same ten-minute beat).
        match actions::queue_reminders(&pool, &outbound, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(mails = n, "reminder mail queued"),
            Err(e) => tracing::warn!(error = %e, "reminder mail failed; will retry"),
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn logs_never_show_a_reset_links_secret() {
        assert_eq!(super::loggable_path("/reset/0123abcd"), "/reset/…");
        assert_eq!(super::loggable_path("/incidents/INC-4"), "/incidents/INC-4");
    }

    /// Every Rust file under `src/`, with its path relative to `src/`.
    fn sources() -> Vec<(PathBuf, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root.clone()];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.push((path.strip_prefix(&root).unwrap().to_path_buf(), text));
                }
            }
        }
        files
    }

    /// Lines of files outside `allowed` that contain any of `needles`.
    fn offenders(allowed: impl Fn(&Path) -> bool, needles: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        for (path, text) in sources().iter().filter(|(p, _)| !allowed(p)) {
            for (n, line) in text.lines().enumerate() {
                if needles.iter().any(|needle| line.contains(needle)) {
                    found.push(format!("src/{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
        found
    }

    #[test]
    fn sql_lives_only_in_server_db() {
        // Spelled in two halves so that this test does not find itself.
        let needles = [concat!("sqlx::", "query"), concat!("sqlx::", "raw_sql")];
        let found = offenders(|p| p.starts_with("server/db"), &needles);
        assert!(found.is_empty(), "SQL outside src/server/db:\n{}", found.join("\n"));
    }

    #[test]
    fn pages_and_handlers_never_touch_the_database_module() {
        let needles = [concat!("server::", "db"), concat!("use super::", "db")];
        let found = offenders(|p| !(p.starts_with("api") || p.starts_with("app")), &needles);
        assert!(
            found.is_empty(),
            "server functions, REST handlers and pages go through server operations:\n{}",
            found.join("\n")
        );
    }

    /// The crates a `[dependencies]`-like section of Cargo.toml names.
    fn crates_in(manifest: &str, section: &str) -> Vec<String> {
        let mut inside = false;
        let mut names = Vec::new();
        for line in manifest.lines() {
            if line.starts_with('[') {
                inside = line.trim() == section;
            } else if let Some((name, _)) = line.split_once('=').filter(|_| inside) {
                let name = name.trim();
                if !name.is_empty() && !name.starts_with('#') && !name.contains(' ') {
                    names.push(name.to_string());
                }
            }
        }
        names
    }

    /// Whether any Rust file under `dirs` names the crate.
    fn used_in(dirs: &[&str], krate: &str) -> bool {
        let needle = krate.replace('-', "_");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && std::fs::read_to_string(&path)
                        .is_ok_and(|t| t.contains(&format!("{needle}::")) || t.contains(&format!("use {needle}")))
                {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn every_dependency_is_used() {
        let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
        let unused: Vec<String> = crates_in(&manifest, "[dependencies]")
            .into_iter()
            .filter(|c| !used_in(&["src"], c))
            .chain(
                crates_in(&manifest, "[dev-dependencies]")
                    .into_iter()
                    .filter(|c| !used_in(&["src", "tests", "benches"], c)),
            )
            .collect();
        assert!(unused.is_empty(), "dependencies nothing uses (remove them from Cargo.toml): {unused:?}");
    }

    #[test]
    fn every_migration_bounds_its_lock_wait() {
        for m in super::MIGRATOR.iter() {
            let first = m.sql.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"));
            assert!(
                first.is_some_and(|l| l.trim_start().to_lowercase().starts_with("set lock_timeout")),
                "migration {} {} must start with SET lock_timeout",
                m.version,
                m.description
            );
        }
    }
}
