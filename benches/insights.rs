//! The insights page and its CSV export against the bare SQL they run.
//!
//! Seeds a `debrief_insights_bench` database: 100,000 incidents over three years, each with five
//! timeline events (declared, detection, a first note, monitoring, resolved), one in a hundred with a
//! corrected detection, and 200,000 action items. Serves the real app, signs in over HTTP, and for a
//! year of data measures, one request at a time:
//! - the page (`/insights`) and its CSV export of every incident counted (`/insights.csv?rows=incidents`);
//! - the SQL they run (`server::insights::read`: the incidents with their moments and the
//!   follow-ups in one snapshot), called directly on the same pool.
//!
//! Timings are printed beside their goals, never asserted: setup failures are the only errors.

#[path = "support.rs"]
mod support;

use chrono::{Duration as Days, Utc};
use clap::Parser;
use debrief::domain::User;
use debrief::server::config::Cli;
use debrief::server::db::insights::Filter;
use debrief::startup::{migrate, pool};
use reqwest::Client;
use sqlx::PgPool;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use support::{fresh_database, ms, percentile, postgres, serve, verdict};

const DATABASE: &str = "debrief_insights_bench";
const INCIDENTS: i64 = 100_000;
const ACTIONS_PER_INCIDENT: i64 = 2;
const EMAIL: &str = "bench@debrief.test";
const PASSWORD: &str = "bench password, not a secret";
const SAMPLES: usize = 40;
const RATIO_GOAL: f64 = 1.5;
const P95_GOAL_MS: f64 = 300.0;

#[tokio::main]
async fn main() -> ExitCode {
    support::exit(run().await)
}

async fn run() -> Result<(), String> {
    let config = Cli::try_parse_from(["debrief"]).map_err(|e| e.to_string())?.config;
    let (server_url, pg) = postgres(&config).await?;
    let result = bench(&server_url, config.db_pool).await;
    if let Some(pg) = pg.filter(|pg| pg.started_here) {
        pg.stop()?;
    }
    result
}

async fn bench(server_url: &str, pool_size: u32) -> Result<(), String> {
    let url = fresh_database(server_url, DATABASE).await?;
    let pool = pool(&url, pool_size)?;
    migrate(&pool).await?;
    println!(
        "seeding {DATABASE}: {INCIDENTS} incidents over three years, {} action items",
        INCIDENTS * ACTIONS_PER_INCIDENT
    );
    let seeding = Instant::now();
    let admin = seed(&pool).await?;
    println!("seeded in {:.0} s", seeding.elapsed().as_secs_f64());
    let base = serve(pool.clone()).await?;
    let today = Utc::now().date_naive();
    let (from, to) = (today - Days::days(365), today);
    let query = format!("from={from}&to={to}");
    let page = format!("/insights?{query}");
    let client = support::sign_in(&base, (EMAIL, PASSWORD), &page, "Time to detect").await?;

    println!("a year of data ({from} to {to}): {SAMPLES} requests each, one at a time");
    let pages = sample(|| get(&client, &base, &page)).await;
    let export = format!("/insights.csv?rows=incidents&{query}");
    let csv = sample(|| get(&client, &base, &export)).await;
    let filter = Filter {
        from: from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        until: (to + Days::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        severity: None,
        service: None,
        team: None,
        viewer: admin.id,
    };
    let bare = sample(|| bare_sql(&pool, &filter, today)).await;
    report(&pages, &csv, &bare);
    pool.close().await;
    Ok(())
}

/// The SQL the page runs, as it runs it (`server::insights::read`: one snapshot, its statements).
async fn bare_sql(pool: &PgPool, f: &Filter, today: chrono::NaiveDate) -> Option<Duration> {
    let start = Instant::now();
    debrief::server::insights::read(pool, f, today).await.ok()?;
    Some(start.elapsed())
}

async fn get(client: &Client, base: &str, path: &str) -> Option<Duration> {
    let start = Instant::now();
    let res = client.get(format!("{base}{path}")).send().await.ok()?;
    let ok = res.status() == reqwest::StatusCode::OK;
    let body = res.bytes().await.ok()?;
    (ok && !body.is_empty()).then(|| start.elapsed())
}

/// SAMPLES timings after three warm-up runs; a failed request is left out (and reported by its absence).
async fn sample<F, Fut>(run: F) -> Vec<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<Duration>>,
{
    for _ in 0..3 {
        run().await;
    }
    let mut out = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        out.extend(run().await);
    }
    out.sort();
    out
}

fn report(pages: &[Duration], csv: &[Duration], bare: &[Duration]) {
    let p95 = |d: &[Duration]| percentile(d, 95.0);
    let ratio = |d: &[Duration]| Some(p95(d)? / p95(bare)?);
    println!();
    println!("{:<44} {:>10} {:>10} {:>8}   goal", "", "p50 ms", "p95 ms", "n");
    for (name, d) in
        [("insights page, a year", pages), ("CSV export of its incidents", csv), ("bare SQL it runs", bare)]
    {
        println!("{name:<44} {:>10} {:>10} {:>8}", ms(percentile(d, 50.0)), ms(p95(d)), d.len());
    }
    println!();
    for (name, d) in [("page p95 ÷ bare SQL p95", pages), ("CSV p95 ÷ bare SQL p95", csv)] {
        let r = ratio(d);
        let shown = r.map_or("n/a".into(), |r| format!("{r:.2}"));
        println!("{name:<44} {shown:>10}   ≤ {RATIO_GOAL}: {}", verdict(r.is_some_and(|r| r <= RATIO_GOAL)));
    }
    for (name, d) in [("page p95 (ms)", pages), ("CSV p95 (ms)", csv)] {
        let v = p95(d);
        println!("{name:<44} {:>10}   ≤ {P95_GOAL_MS}: {}", ms(v), verdict(v.is_some_and(|v| v <= P95_GOAL_MS)));
    }
    if pages.len() < SAMPLES || csv.len() < SAMPLES || bare.len() < SAMPLES {
        println!("some requests failed: {} pages, {} CSV, {} SQL of {SAMPLES}", pages.len(), csv.len(), bare.len());
    }
}

/// Fifty people in five teams own the action items; the admin is real (its password hash too).
const SEED_USERS: &str = "
INSERT INTO users (email, name, role, password_hash, time_zone, team)
SELECT 'person' || n || '@debrief.test', 'Person ' || n, 'member', 'x', 'UTC',
       (ARRAY['Payments', 'Platform', 'Search', 'Identity', 'Data'])[1 + n % 5]
FROM generate_series(1, 50) n";

/// Three years back from now, one incident every 946 seconds; durations vary with `n` so the
/// percentiles have something to do.
const SEED_INCIDENTS: &str = "
INSERT INTO incidents (id, title, severity, status, summary, services, started_at, declared_at, resolved_at,
                       declared_by, commander_id, private)
SELECT n, 'Incident ' || n, (ARRAY['SEV1', 'SEV2', 'SEV3', 'SEV4'])[1 + n % 4],
       CASE WHEN n > $2::bigint - 20 THEN 'investigating' ELSE 'closed' END, '',
       ARRAY[(ARRAY['api', 'checkout', 'search', 'auth', 'payments', 'orders'])[1 + n % 6]],
       started, started + (n % 37) * interval '1 minute',
       CASE WHEN n <= $2::bigint - 20 THEN started + (30 + n % 600) * interval '1 minute' END,
       $1, $1, n % 50 = 0
FROM generate_series(1, $2::bigint) AS n
CROSS JOIN LATERAL (SELECT now() - ($2::bigint - n) * interval '946 seconds' AS started) s";

const SEED_EVENTS: &str = "
INSERT INTO timeline_events (incident_id, kind, author_id, body, to_value, key_kind, occurred_at, recorded_at)
SELECT i.id, e.kind, $1, e.body, e.to_value, e.key_kind, e.at, e.at
FROM incidents i
CROSS JOIN LATERAL (VALUES
    ('declared', 'Declared', i.severity, NULL, i.declared_at),
    ('note', 'Error rate alert fired', NULL, 'detection', i.started_at + (1 + i.id % 23) * interval '1 minute'),
    ('note', 'Looking at the dashboards', NULL, NULL, i.declared_at + (1 + i.id % 11) * interval '1 minute'),
    ('status', 'Monitoring', 'monitoring', NULL, i.declared_at + (10 + i.id % 90) * interval '1 minute'),
    ('status', 'Closed', 'closed', NULL, COALESCE(i.resolved_at, i.declared_at) + interval '1 day')
) e (kind, body, to_value, key_kind, at)";

const SEED_CORRECTIONS: &str = "
INSERT INTO milestone_corrections (incident_id, moment, at, set_by, reason)
SELECT id, 'detected', started_at + interval '2 minutes', $1, 'The first customer report came earlier'
FROM incidents WHERE id % 100 = 0";

const SEED_ACTIONS: &str = "
INSERT INTO action_items (incident_id, title, owner_id, due_on, type, priority, status, reason, check_back_on,
                          outcome, created_by)
SELECT i.id, 'Follow-up ' || k || ' of ' || i.id, 2 + (i.id + k) % 50, (i.started_at + interval '30 days')::date,
       (ARRAY['prevent', 'mitigate', 'observability', 'alerting', 'self_healing', 'process'])[1 + (i.id + k) % 6],
       'P2', (ARRAY['open', 'in_progress', 'done', 'done', 'wont_do'])[1 + (i.id + k) % 5],
       CASE WHEN (i.id + k) % 5 = 4 THEN 'Superseded' END,
       (i.started_at + interval '60 days')::date,
       CASE WHEN (i.id + k) % 5 IN (2, 3) THEN (ARRAY['worked', 'did_not_work', 'unclear', NULL])[1 + i.id % 4] END,
       $1
FROM incidents i CROSS JOIN generate_series(1, $2::bigint) k";

async fn seed(pool: &PgPool) -> Result<User, String> {
    let admin = support::admin(pool, (EMAIL, PASSWORD)).await?;
    let run = |sql: &'static str, n: Option<i64>| {
        let q = sqlx::query(sql).bind(admin.id);
        let q = match n {
            Some(n) => q.bind(n),
            None => q,
        };
        async move { q.execute(pool).await.map(|_| ()).map_err(|e| format!("seeding: {e}")) }
    };
    sqlx::raw_sql(SEED_USERS).execute(pool).await.map_err(|e| e.to_string())?;
    run(SEED_INCIDENTS, Some(INCIDENTS)).await?;
    sqlx::query("SELECT setval('incidents_id_seq', $1)")
        .bind(INCIDENTS)
        .execute(pool)
        .await
        .map_err(|e| e.to_string())?;
    run(SEED_EVENTS, None).await?;
    run(SEED_CORRECTIONS, None).await?;
    run(SEED_ACTIONS, Some(ACTIONS_PER_INCIDENT)).await?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(pool).await.map_err(|e| e.to_string())?;
    Ok(admin)
}
