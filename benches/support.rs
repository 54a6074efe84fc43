//! What the benches share: the database server, a fresh database per run, the real app on a local
//! port, signing in through the login form, and percentiles.

use debrief::server::config::Config;
use debrief::server::embedded_pg::EmbeddedPg;
use debrief::server::{form_state::FormKey, live::Live, webhook::Outbound, AppState};
use debrief::startup::router;
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::{Client, Url};
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;

/// A bench's exit: what went wrong in setting it up, on stderr (timings never fail it).
pub fn exit(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The bench's admin, through the accounts module, so the password hash is real.
pub async fn admin(pool: &PgPool, (email, password): (&str, &str)) -> Result<debrief::domain::User, String> {
    use debrief::server::accounts::{create_user, NewUser};
    let new = NewUser { email, name: "Bench Admin", role: "admin", password, time_zone: None, team: None };
    create_user(pool, new).await.map_err(|e| format!("creating the admin: {e}"))
}

pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// DATABASE_URL's server, or the embedded cluster (started if needed, as `debrief serve` does).
pub async fn postgres(config: &Config) -> Result<(String, Option<EmbeddedPg>), String> {
    if let Some(url) = &config.database_url {
        return Ok((url.clone(), None));
    }
    let mut pg = EmbeddedPg::new(&config.data_dir, config.pg_port)?;
    pg.start()?;
    pg.ensure_database().await?;
    Ok((pg.url()?, Some(pg)))
}

/// Drops and recreates `name` on the server; returns its URL.
pub async fn fresh_database(server_url: &str, name: &str) -> Result<String, String> {
    let mut conn = PgConnection::connect(server_url).await.map_err(|e| format!("connecting to Postgres: {e}"))?;
    for sql in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
        sqlx::raw_sql(&sql).execute(&mut conn).await.map_err(|e| format!("{sql}: {e}"))?;
    }
    conn.close().await.map_err(|e| e.to_string())?;
    let mut url = Url::parse(server_url).map_err(|e| format!("database URL: {e}"))?;
    url.set_path(name);
    Ok(url.into())
}

/// The real app on 127.0.0.1:0, as the tests serve it; page HTML needs no site files.
pub async fn serve(pool: PgPool) -> Result<String, String> {
    let (leptos_options, assets) = debrief::startup::site(Some(concat!(env!("CARGO_MANIFEST_DIR"), "/target/site")))?;
    let form_key = FormKey::shared(&pool).await.map_err(|e| e.to_string())?;
    let outbound = Outbound::new(false)?;
    let state =
        AppState { live: Live::start(pool.clone()), pool, leptos_options, assets, form_key, outbound, sso: None };
    let app = router(state, false).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

/// Signs in through the login page's form, as a browser without JavaScript would, and checks that the
/// session opens `target` with `expect` on it.
pub async fn sign_in(
    base: &str,
    (email, password): (&str, &str),
    target: &str,
    expect: &str,
) -> Result<Client, String> {
    let client =
        Client::builder().cookie_store(true).no_proxy().timeout(REQUEST_TIMEOUT).build().map_err(|e| e.to_string())?;
    let login = client.get(format!("{base}/login")).send().await.map_err(|e| e.to_string())?;
    let login = login.text().await.map_err(|e| e.to_string())?;
    let action = sign_in_action(&login).ok_or("no sign-in form with an action on /login")?;
    let fields = [("email", email), ("password", password), ("next", target), ("time_zone", "Europe/Paris")];
    let res = client
        .post(format!("{base}{action}"))
        .header(ORIGIN, base)
        .header(ACCEPT, "text/html")
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("signing in: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("signing in at {action}: HTTP {}", res.status()));
    }
    let page = client.get(format!("{base}{target}")).send().await.map_err(|e| e.to_string())?;
    let status = page.status();
    let html = page.text().await.map_err(|e| e.to_string())?;
    if status != reqwest::StatusCode::OK || !html.contains(expect) {
        return Err(format!("GET {target} after signing in: HTTP {status}, {expect:?} not on the page"));
    }
    Ok(client)
}

/// The `action` of the form that asks for a password.
fn sign_in_action(html: &str) -> Option<String> {
    let form = html
        .split("<form")
        .skip(1)
        .find(|f| f.split("</form>").next().is_some_and(|f| f.contains("name=\"password\"")))?;
    let tag = &form[..form.find('>')?];
    let start = tag.find("action=\"")? + "action=\"".len();
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].to_string())
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).map(|d| d.as_secs_f64() * 1000.0)
}

pub fn ms(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.1}"))
}

pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}
