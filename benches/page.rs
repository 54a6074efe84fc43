//! The incident page against the database's own ceiling for the same SQL.
//!
//! Seeds a `debrief_bench` database (1,000 incidents of 50 events, one of 10,000), serves the real
//! app on 127.0.0.1, signs in over HTTP and measures, in one run:
//! - incident pages per second over 32 connections, with latency percentiles;
//! - pgbench TPS for the SQL the page runs, captured from `incidents::page` itself;
//! - the p95 of the 10,000-event page against the p95 of a 50-event page;
//! - the p95 of a page with 5,000 users in the organisation against the p95 with 10;
//! - the WASM a browser downloads, raw and brotli;
//! - in headless Chromium throttled to a poor mobile network: the first render of an incident
//!   page and the time from declaring to the new incident's page.
//!
//! Timings are printed beside their goals, never asserted: setup failures are the only errors.

#[allow(dead_code)] // the tests' browser harness, of which the bench needs a part
#[path = "../tests/e2e/browser.rs"]
mod browser;
#[path = "page/network.rs"]
mod network;
#[path = "support.rs"]
mod support;

use clap::Parser;
use debrief::domain::{incident_url, User};
use debrief::server::config::{Cli, Config};
use debrief::server::incidents::{self, PAGE_EVENTS};
use debrief::startup::{migrate, pool};
use rand::Rng;
use reqwest::header::ACCEPT_ENCODING;
use reqwest::{Client, Url};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{fresh_database, ms, percentile, postgres, serve, verdict};
use tracing::field::{Field, Visit};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const DATABASE: &str = "debrief_bench";

/// The SQL any part of the process runs while capturing: what one page request costs the database.
static EVERY_REQUEST: std::sync::LazyLock<Statements> = std::sync::LazyLock::new(Statements::default);
/// Incidents 1..=INCIDENTS have EVENTS events each; incident BIG has BIG_EVENTS.
const INCIDENTS: i64 = 1_000;
const EVENTS: i64 = 50;
const BIG: i64 = INCIDENTS + 1;
const BIG_EVENTS: i64 = 10_000;

const EMAIL: &str = "bench@debrief.test";
const PASSWORD: &str = "bench password, not a secret";

const CONNECTIONS: usize = 32;
/// What Chromium sends on plain HTTP.
const BROWSER_ENCODINGS: &str = "gzip, deflate, br";
const WARM_UP: Duration = Duration::from_secs(2);
const RUN: Duration = Duration::from_secs(10);
/// Per worker: a bound on a run even if every request came back instantly.
const MAX_REQUESTS: usize = 200_000;

/// Requests per page for the 10,000-event comparison, one at a time, within a time budget.
const SAMPLES: usize = 200;
const SAMPLE_BUDGET: Duration = Duration::from_secs(60);

const PGBENCH_THREADS: &str = "2";
const PGBENCH_TIMEOUT: Duration = Duration::from_secs(60);

/// The organisation grows from USERS_FEW people to USERS_MANY.
const USERS_FEW: i64 = 10;
const USERS_MANY: i64 = 5_000;

const PAGE_GOAL: f64 = 0.5;
const P99_GOAL_MS: f64 = 25.0;
const BIG_PAGE_GOAL: f64 = 3.0;
const USERS_GOAL: f64 = 1.2;
const WASM_GOAL_KB: f64 = 250.0;
const FIRST_RENDER_GOAL: Duration = Duration::from_millis(1500);
const DECLARE_GOAL: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> ExitCode {
    support::exit(run().await)
}

async fn run() -> Result<(), String> {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(EVERY_REQUEST.clone()))
        .map_err(|e| e.to_string())?;
    // The app's own defaults and environment (DATABASE_URL, DEBRIEF_DATA_DIR, DEBRIEF_PG_PORT,
    // DEBRIEF_DB_POOL); the bench's command line belongs to cargo.
    let config = Cli::try_parse_from(["debrief"]).map_err(|e| e.to_string())?.config;
    let (server_url, pg) = postgres(&config).await?;
    let result = bench(&config, &server_url).await;
    if let Some(pg) = pg.filter(|pg| pg.started_here) {
        pg.stop()?;
    }
    result
}

async fn bench(config: &Config, server_url: &str) -> Result<(), String> {
    let url = fresh_database(server_url, DATABASE).await?;
    let pool = pool(&url, config.db_pool)?;
    migrate(&pool).await?;
    println!("seeding {DATABASE}: {INCIDENTS} incidents of {EVENTS} events, INC-{BIG} with {BIG_EVENTS}");
    let admin = seed(&pool).await?;
    let base = serve(pool.clone()).await?;
    let first = incidents::get(&pool, &admin, 1).await.map_err(|e| e.to_string())?;
    let client = support::sign_in(&base, (EMAIL, PASSWORD), &incident_url(1), &first.title).await?;

    println!("incident pages: {CONNECTIONS} connections for {} s", RUN.as_secs());
    pages(&client, &base, WARM_UP).await;
    let load = pages(&client, &base, RUN).await;
    println!("the page's operation alone: {CONNECTIONS} tasks for {} s", RUN.as_secs());
    let ops = operations(&pool, &admin, RUN).await;
    let sizes = page_sizes(&client, &base).await?;
    EVERY_REQUEST.1.store(true, std::sync::atomic::Ordering::Relaxed);
    fetch(&client, &base, 1).await;
    EVERY_REQUEST.1.store(false, std::sync::atomic::Ordering::Relaxed);
    let request_sql = EVERY_REQUEST.take();

    let script = pgbench_script(&page_sql(&pool, &admin).await?, admin.id)?;
    let script_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("page.pgbench");
    std::fs::write(&script_path, &script).map_err(|e| format!("writing {}: {e}", script_path.display()))?;
    println!("pgbench on the page's SQL ({}): {} s", script_path.display(), RUN.as_secs());
    // Both protocols: the app sends prepared statements (sqlx caches them per connection), which is
    // pgbench's `-M prepared`; its default, `-M simple`, also parses and plans every statement.
    let tps = [pgbench(&url, &script_path, "prepared").await, pgbench(&url, &script_path, "simple").await];

    println!("INC-{BIG} against 50-event pages: {SAMPLES} requests each, one at a time");
    let (big, small) = compare(&client, &base).await;

    println!("incident pages with {USERS_FEW} and then {USERS_MANY} users: {SAMPLES} requests each, one at a time");
    add_users(&pool, 1, USERS_FEW).await?;
    let few = sample(&client, &base).await;
    add_users(&pool, USERS_FEW, USERS_MANY).await?;
    let many = sample(&client, &base).await;

    println!("headless Chromium at {} kbit/s and {} ms", network::KBIT_PER_S, network::LATENCY_MS);
    let (b, incident) = (base.clone(), incident_url(1));
    let slow = tokio::spawn(async move { network::measure(&b, EMAIL, PASSWORD, &incident).await })
        .await
        .unwrap_or_else(|e| Err(format!("the browser run failed: {e}")));

    report(&load, &tps, &big, &small);
    report_parts(&load, &ops, &sizes, &request_sql);
    report_more(&few, &many, &wasm_sizes(), &slow);
    pool.close().await;
    Ok(())
}

/// Members number `from` … `to - 1` (the admin is the first user), straight into the table.
async fn add_users(pool: &PgPool, from: i64, to: i64) -> Result<(), String> {
    sqlx::query(
        "INSERT INTO users (email, name, role, password_hash, time_zone)
         SELECT 'person' || n || '@debrief.test', 'Person ' || n, 'member', 'x', 'UTC'
         FROM generate_series($1::bigint, $2::bigint - 1) n",
    )
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .map_err(|e| e.to_string())?;
    sqlx::raw_sql("ANALYZE users").execute(pool).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Random 50-event pages one at a time, after a short warm-up.
async fn sample(client: &Client, base: &str) -> Vec<Duration> {
    for _ in 0..10 {
        fetch(client, base, random_small()).await;
    }
    let deadline = Instant::now() + SAMPLE_BUDGET;
    let mut out = Vec::with_capacity(SAMPLES);
    while out.len() < SAMPLES && Instant::now() < deadline {
        out.extend(fetch(client, base, random_small()).await);
    }
    out.sort();
    out
}

/// The bundle `.ci/site` built: raw and brotli bytes of its WASM and its JS.
fn wasm_sizes() -> Result<[(u64, u64); 2], String> {
    let site = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/site"));
    let assets = debrief::server::assets::Assets::read(site)?;
    let size = |name: String| {
        std::fs::metadata(site.join("pkg").join(&name)).map(|m| m.len()).map_err(|e| format!("{name}: {e}"))
    };
    let pair = |ext: &str| -> Result<(u64, u64), String> {
        Ok((size(format!("{}.{ext}", assets.script))?, size(format!("{}.{ext}.br", assets.script))?))
    };
    Ok([pair("wasm")?, pair("js")?])
}

const SEED_INCIDENTS: &str = "
INSERT INTO incidents (id, title, severity, status, summary, services, started_at, declared_at, resolved_at,
                       declared_by, commander_id)
SELECT n,
       (ARRAY['Checkout latency above SLO', 'Elevated 5xx rate on the public API', 'Search results are stale',
              'Login failures for SSO users', 'Payment webhooks delayed', 'Queue backlog in order processing',
              'CDN serving expired certificates', 'Database replica lag'])[1 + n % 8] || ' #' || n,
       (ARRAY['SEV1', 'SEV2', 'SEV3', 'SEV4'])[1 + n % 4],
       (ARRAY['investigating', 'identified', 'monitoring', 'resolved', 'closed'])[1 + n % 5],
       'Customers saw errors or slow responses; see the timeline for the investigation.',
       ARRAY[(ARRAY['api', 'checkout', 'search', 'auth', 'payments', 'orders'])[1 + n % 6]],
       started, started + interval '4 minutes',
       CASE WHEN n % 5 >= 3 THEN started + interval '5 hours' END,
       $1, $1
FROM generate_series(1, $2::bigint) AS n
CROSS JOIN LATERAL (SELECT now() - interval '5 hours' - n * interval '3 hours' AS started) s";

/// Events spread evenly over four hours from the incident's start.
const SEED_EVENTS: &str = "
INSERT INTO timeline_events
    (incident_id, kind, author_id, body, body_html, from_value, to_value, key_kind, occurred_at, recorded_at)
SELECT i.id, e.kind, $1, e.body, '<p>' || e.body || '</p>', e.from_value, e.to_value, e.key_kind,
       e.occurred_at, e.occurred_at + interval '20 seconds'
FROM incidents i
CROSS JOIN LATERAL (SELECT CASE WHEN i.id = $3 THEN $4::bigint ELSE $2::bigint END AS total) t
CROSS JOIN LATERAL generate_series(1, t.total) AS s(n)
CROSS JOIN LATERAL (SELECT
    CASE WHEN s.n = 1 THEN 'declared' WHEN s.n % 10 = 0 THEN 'status' ELSE 'note' END AS kind,
    CASE WHEN s.n = 1 THEN 'Bench Admin declared the incident as ' || i.severity
         WHEN s.n % 10 = 0 THEN 'Bench Admin changed the status from Investigating to Identified'
         ELSE (ARRAY['Error rate back to baseline on two of three regions.',
                     'Rolled back the 14:05 deploy of the API gateway.',
                     'Paged the database on-call; replica lag is at 40 seconds.',
                     'Customer support reports login loops for SSO users.',
                     'Scaled the worker pool from 12 to 24 instances.',
                     'Latency dashboards show p99 at 2.4 s, up from 300 ms.',
                     'Status page updated: investigating degraded checkout.',
                     'Cache hit ratio dropped to 60% after the config change.'])[1 + s.n % 8]
    END AS body,
    CASE WHEN s.n % 10 = 0 THEN 'investigating' END AS from_value,
    CASE WHEN s.n = 1 THEN i.severity WHEN s.n % 10 = 0 THEN 'identified' END AS to_value,
    CASE s.n WHEN 2 THEN 'trigger' WHEN 3 THEN 'detection' WHEN 25 THEN 'mitigation' WHEN 45 THEN 'resolution'
    END AS key_kind,
    i.started_at + s.n * (interval '4 hours' / t.total) AS occurred_at
) e";

/// The admin (through the accounts module, so the password hash is real), then everything else in bulk.
async fn seed(pool: &PgPool) -> Result<User, String> {
    let admin = support::admin(pool, (EMAIL, PASSWORD)).await?;
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    sqlx::query(SEED_INCIDENTS).bind(admin.id).bind(BIG).execute(&mut *tx).await.map_err(|e| e.to_string())?;
    sqlx::query("SELECT setval('incidents_id_seq', $1)")
        .bind(BIG)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(SEED_EVENTS)
        .bind(admin.id)
        .bind(EVENTS)
        .bind(BIG)
        .bind(BIG_EVENTS)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    sqlx::raw_sql("ANALYZE").execute(pool).await.map_err(|e| e.to_string())?;
    Ok(admin)
}

/// One incident page, fully read, compressed as a browser asks for it: its latency, or `None` for
/// anything but a complete 200.
async fn fetch(client: &Client, base: &str, id: i64) -> Option<Duration> {
    let start = Instant::now();
    let res = client
        .get(format!("{base}{}", incident_url(id)))
        .header(ACCEPT_ENCODING, BROWSER_ENCODINGS)
        .send()
        .await
        .ok()?;
    let ok = res.status() == reqwest::StatusCode::OK;
    let body = res.bytes().await.ok()?;
    (ok && !body.is_empty()).then(|| start.elapsed())
}

fn random_small() -> i64 {
    rand::thread_rng().gen_range(1..=INCIDENTS)
}

struct Load {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

/// Random 50-event pages over CONNECTIONS concurrent connections for `length`.
async fn pages(client: &Client, base: &str, length: Duration) -> Load {
    let (client, base) = (client.clone(), base.to_string());
    throughput(length, move || {
        let (client, base) = (client.clone(), base.clone());
        async move { fetch(&client, &base, random_small()).await }
    })
    .await
}

/// The page's operation alone (`incidents::page`: its SQL and the Rust that assembles the data),
/// over CONNECTIONS concurrent tasks, without HTTP, sessions or HTML.
async fn operations(pool: &PgPool, viewer: &User, length: Duration) -> Load {
    let (pool, viewer) = (pool.clone(), viewer.clone());
    throughput(length, move || {
        let (pool, viewer) = (pool.clone(), viewer.clone());
        async move {
            let start = Instant::now();
            incidents::page(&pool, &viewer, random_small(), None, None).await.ok().map(|_| start.elapsed())
        }
    })
    .await
}

/// `request` over CONNECTIONS concurrent workers for `length`.
async fn throughput<F, Fut>(length: Duration, request: F) -> Load
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<Duration>> + Send,
{
    let start = Instant::now();
    let deadline = start + length;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let request = request.clone();
        workers.spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while Instant::now() < deadline && latencies.len() + errors < MAX_REQUESTS {
                match request().await {
                    Some(d) => latencies.push(d),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut load = Load { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    while let Some(done) = workers.join_next().await {
        match done {
            Ok((latencies, errors)) => {
                load.latencies.extend(latencies);
                load.errors += errors;
            }
            Err(_) => load.errors += 1,
        }
    }
    load.elapsed = start.elapsed();
    load.latencies.sort();
    load
}

/// INC-BIG and random 50-event pages, alternately and one at a time, after a short warm-up.
async fn compare(client: &Client, base: &str) -> (Vec<Duration>, Vec<Duration>) {
    for _ in 0..10 {
        fetch(client, base, BIG).await;
        fetch(client, base, random_small()).await;
    }
    let deadline = Instant::now() + SAMPLE_BUDGET;
    let (mut big, mut small) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for _ in 0..SAMPLES {
        if Instant::now() >= deadline {
            break;
        }
        big.extend(fetch(client, base, BIG).await);
        small.extend(fetch(client, base, random_small()).await);
    }
    big.sort();
    small.sort();
    (big, small)
}

/// Collects the SQL of every `sqlx` query logged while it is the subscriber, and, installed for the
/// whole process, while `capture` is on (off, it costs one atomic read per query).
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>, Arc<std::sync::atomic::AtomicBool>);

impl Statements {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn register_callsite(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.target() == "sqlx::query" && self.1.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut sql = StatementField::default();
        event.record(&mut sql);
        // Short statements are logged whole as the summary, with an empty `db.statement`.
        if let Some(sql) = sql.statement.filter(|s| !s.is_empty()).or(sql.summary) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(sql);
        }
    }
}

#[derive(Default)]
struct StatementField {
    statement: Option<String>,
    summary: Option<String>,
}

impl Visit for StatementField {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "db.statement" => self.statement = Some(value.trim().to_string()),
            "summary" => self.summary = Some(value.trim().to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The statements `incidents::page` runs for a first visit, exactly as it sends them.
async fn page_sql(pool: &PgPool, viewer: &User) -> Result<Vec<String>, String> {
    // A first call leaves a warm connection, so the captured call only runs the page's own SQL.
    incidents::page(pool, viewer, 1, None, None).await.map_err(|e| e.to_string())?;
    let statements = Statements::default();
    statements.1.store(true, std::sync::atomic::Ordering::Relaxed);
    let subscriber = tracing_subscriber::registry().with(statements.clone());
    incidents::page(pool, viewer, 1, None, None).with_subscriber(subscriber).await.map_err(|e| e.to_string())?;
    let statements = statements.take();
    if statements.is_empty() {
        return Err("captured no SQL from incidents::page".into());
    }
    Ok(statements)
}

/// A pgbench script over random 50-event incidents: the page's statements with the binds the page
/// sends for a first visit by `viewer`, each statement's own (`:id` is the incident). A statement
/// the bench does not know is an error rather than a guess.
fn pgbench_script(statements: &[String], viewer: i64) -> Result<String, String> {
    let mut script = format!("\\set id random(1, {INCIDENTS})\n");
    for sql in statements {
        let binds = binds_of(sql, viewer).ok_or_else(|| format!("no pgbench binds for: {sql}"))?;
        // From the highest number down, so that `$1` never eats the start of `$12`.
        let mut sql = sql.clone();
        for (n, value) in binds.iter().enumerate().rev() {
            sql = sql.replace(&format!("${}", n + 1), value);
        }
        script.push_str(&sql);
        script.push_str(";\n");
    }
    Ok(script)
}

/// The values of `$1`, `$2`… the page binds for one of its statements.
fn binds_of(sql: &str, viewer: i64) -> Option<Vec<String>> {
    let (id, me) = (":id".to_string(), viewer.to_string());
    let null = || "NULL".to_string();
    Some(if sql.starts_with("SELECT incident_visible") {
        vec![id, me]
    } else if sql.contains("FROM timeline_events e") {
        // No `before` cursor, then the window's limit.
        vec![id, null(), "0".into(), (PAGE_EVENTS + 1).to_string()]
    } else if sql.contains("FROM action_items a") {
        // The incident's filter (`$1`…`$12`: incident, no other filter, the viewer, no owners' dates
        // needed), then not one's own list, no cursor, and the page's limit plus one.
        let mut b = vec![id];
        b.extend((2..=8).map(|_| null()));
        b.extend([me, "'{}'::text[]".into(), "'{}'::date[]".into(), null(), "false".into()]);
        b.extend((14..=16).map(|_| null()));
        b.push((debrief::domain::paging::MAX_LIMIT + 1).to_string());
        b
    } else if sql.contains("WHERE i.id = $1") || sql.contains("WHERE incident_id = $1") {
        vec![id]
    } else {
        return None;
    })
}

fn pgbench_bin() -> Option<PathBuf> {
    let system = PathBuf::from("/usr/bin/pgbench");
    if system.exists() {
        return Some(system);
    }
    // The newest major version under /usr/lib/postgresql/<major>/bin.
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let dir = e.ok()?;
            let major: u32 = dir.file_name().to_str()?.parse().ok()?;
            Some((major, dir.path().join("bin/pgbench")))
        })
        .filter(|(_, bin)| bin.exists())
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin)
}

/// pgbench's TPS for the script, or why there is none.
async fn pgbench(url: &str, script: &Path, protocol: &str) -> Result<f64, String> {
    let bin = pgbench_bin().ok_or("pgbench not found (Debian: apt-get install postgresql-contrib)")?;
    let mut url = Url::parse(url).map_err(|e| e.to_string())?;
    let password = url.password().map(|p| urlencoding::decode(p).map(|p| p.into_owned()).unwrap_or_else(|_| p.into()));
    url.set_password(None).map_err(|_| "database URL without a host")?;
    let mut cmd = tokio::process::Command::new(bin);
    let (clients, seconds) = (CONNECTIONS.to_string(), RUN.as_secs().to_string());
    cmd.args(["-n", "-M", protocol, "-c", &clients, "-j", PGBENCH_THREADS, "-T", &seconds, "-f"]);
    cmd.arg(script).arg(url.as_str()).kill_on_drop(true);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = tokio::time::timeout(PGBENCH_TIMEOUT, cmd.output())
        .await
        .map_err(|_| "pgbench did not finish in time".to_string())?
        .map_err(|e| format!("running pgbench: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("pgbench failed: {}{stdout}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = ")?.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no TPS in pgbench's output:\n{stdout}"))
}

fn report(load: &Load, tps: &[Result<f64, String>; 2], big: &[Duration], small: &[Duration]) {
    let rps = load.latencies.len() as f64 / load.elapsed.as_secs_f64();
    let p = |q| percentile(&load.latencies, q);
    println!();
    println!("{:<52} {:>14} {:>8}", "", "measured", "goal");
    println!("{:<52} {:>14.1}", format!("incident page req/s ({CONNECTIONS} connections)"), rps);
    println!(
        "{:<52} {:>14}",
        "  latency p50 / p95 / p99 (ms)",
        format!("{} / {} / {}", ms(p(50.0)), ms(p(95.0)), ms(p(99.0)))
    );
    if let Some(p99) = p(99.0) {
        let goal = format!("≤ {P99_GOAL_MS}");
        println!("{:<52} {:>14.1} {goal:>8} {}", "  p99 (ms)", p99, verdict(p99 <= P99_GOAL_MS));
    }
    if load.errors > 0 {
        println!("{:<52} {:>14}", "  failed requests", load.errors);
    }
    // The same statements, 32 clients; see `bench` for the two protocols.
    for (tps, protocol) in tps.iter().zip(["-M prepared (the app's protocol)", "-M simple (pgbench's default)"]) {
        let name = format!("pgbench TPS, page's SQL, {protocol}");
        match tps {
            Ok(tps) => {
                println!("{name:<52} {tps:>14.1}");
                let ratio = rps / tps;
                let goal = format!("≥ {PAGE_GOAL}");
                println!(
                    "{:<52} {ratio:>14.2} {goal:>8} {}",
                    "  page req/s ÷ pgbench TPS",
                    verdict(ratio >= PAGE_GOAL)
                );
            }
            Err(e) => println!("{name:<52} {:>14}   ({e})", "n/a"),
        }
    }
    let (big95, small95) = (percentile(big, 95.0), percentile(small, 95.0));
    match (big95, small95) {
        (Some(b), Some(s)) => {
            let ratio = b / s;
            println!(
                "{:<52} {:>14.2} {:>8} {}",
                format!("p95 INC-{BIG} ({BIG_EVENTS} events) ÷ p95 50-event page"),
                ratio,
                format!("≤ {BIG_PAGE_GOAL}"),
                verdict(ratio <= BIG_PAGE_GOAL)
            );
        }
        _ => println!("{:<52} {:>14}", format!("p95 INC-{BIG} ({BIG_EVENTS} events) ÷ p95 50-event page"), "n/a"),
    }
    println!(
        "{:<52} {:>14}",
        format!("  p95 (ms), {} and {} requests", big.len(), small.len()),
        format!("{} / {}", ms(big95), ms(small95))
    );
}

fn report_more(
    few: &[Duration],
    many: &[Duration],
    sizes: &Result<[(u64, u64); 2], String>,
    slow: &Result<network::Figures, String>,
) {
    let (few95, many95) = (percentile(few, 95.0), percentile(many, 95.0));
    let label = format!("p95 with {USERS_MANY} users ÷ p95 with {USERS_FEW}");
    match (few95, many95) {
        (Some(f), Some(m)) => {
            let ratio = m / f;
            println!("{label:<52} {ratio:>14.2} {:>8} {}", format!("≤ {USERS_GOAL}"), verdict(ratio <= USERS_GOAL));
        }
        _ => println!("{label:<52} {:>14}", "n/a"),
    }
    println!("{:<52} {:>14}", "  p95 (ms)", format!("{} / {}", ms(few95), ms(many95)));
    match sizes {
        Ok([(wasm, wasm_br), (js, js_br)]) => {
            let kb = |b: &u64| *b as f64 / 1000.0;
            let goal = format!("≤ {WASM_GOAL_KB}");
            let met = verdict(kb(wasm_br) <= WASM_GOAL_KB);
            println!("{:<52} {:>14.0} {goal:>8} {met}", "WASM, brotli (KB)", kb(wasm_br));
            println!("{:<52} {:>14.0}", "  WASM, raw (KB)", kb(wasm));
            println!("{:<52} {:>14}", "  JS loader, raw / brotli (KB)", format!("{:.0} / {:.0}", kb(js), kb(js_br)));
        }
        Err(e) => println!("{:<52} {:>14}   ({e})", "WASM, brotli (KB)", "n/a"),
    }
    let net = format!("{} kbit/s, {} ms", network::KBIT_PER_S, network::LATENCY_MS);
    match slow {
        Ok(f) => {
            let s = |d: Duration| d.as_secs_f64();
            let line = |what: &str, d: Duration, goal: Option<Duration>| match goal {
                Some(g) => println!("{what:<52} {:>14.2} {:>8} {}", s(d), format!("≤ {}", s(g)), verdict(d <= g)),
                None => println!("{what:<52} {:>14.2}", s(d)),
            };
            line(&format!("first render of an incident page (s, {net})"), f.first_render, Some(FIRST_RENDER_GOAL));
            line("  interactive (hydrated) (s)", f.interactive, None);
            line("declare → the incident's page (s)", f.declare_to_page, Some(DECLARE_GOAL));
        }
        Err(e) => println!("{:<52} {:>14}   ({e})", format!("first render of an incident page (s, {net})"), "n/a"),
    }
}

/// An incident page's bytes: whole, as brotli (as browsers get it), and the part that is data for
/// hydration (the scripts Leptos writes beside the HTML).
struct PageSizes {
    html: usize,
    brotli: usize,
    hydration_data: usize,
}

async fn page_sizes(client: &Client, base: &str) -> Result<PageSizes, String> {
    let url = format!("{base}{}", incident_url(1));
    let html = client.get(&url).send().await.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
    let res = client.get(&url).header(ACCEPT_ENCODING, "br").send().await.map_err(|e| e.to_string())?;
    let brotli = res.bytes().await.map_err(|e| e.to_string())?.len();
    let hydration_data = html
        .split("<script")
        .skip(1)
        .filter_map(|s| s.split_once('>').and_then(|(_, rest)| rest.split_once("</script>")).map(|(body, _)| body))
        .filter(|body| body.contains("__RESOLVED_RESOURCES") || body.contains("__SERIALIZED"))
        .map(str::len)
        .sum();
    Ok(PageSizes { html: html.len(), brotli, hydration_data })
}

fn report_parts(load: &Load, ops: &Load, sizes: &PageSizes, request_sql: &[String]) {
    let rate = |l: &Load| l.latencies.len() as f64 / l.elapsed.as_secs_f64();
    let p99 = percentile(&ops.latencies, 99.0);
    println!("{:<52} {:>14.1}", format!("the page's operation alone, per s ({CONNECTIONS} tasks)"), rate(ops));
    println!("{:<52} {:>14}", "  p99 (ms)", ms(p99));
    println!("{:<52} {:>14.2}", "page req/s ÷ operations/s", rate(load) / rate(ops));
    println!("{:<52} {:>14}", "incident page bytes: HTML / brotli", format!("{} / {}", sizes.html, sizes.brotli));
    println!("{:<52} {:>14}", "  of which hydration data", sizes.hydration_data);
    println!("{:<52} {:>14}", "SQL statements per page request", request_sql.len());
    for sql in request_sql {
        let sql: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("    {}", sql.chars().take(100).collect::<String>());
    }
}
