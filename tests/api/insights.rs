//! The insights export: distributions from real incidents' moments, the small-sample rule, the
//! CSV forms, the follow-ups, privacy of the counts, and refusals of bad filters.

use crate::actions::{change, create, in_days, item};
use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, rfc3339, Api};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

/// An incident whose impact began `hours_ago` and was detected `detect_min` minutes later.
async fn incident(api: &Api<'_>, sev: &str, service: &str, hours_ago: i64, detect_min: i64) -> i64 {
    let began = Utc::now() - Duration::hours(hours_ago);
    let body = json!({"title": format!("{sev} on {service}"), "severity": sev, "services": [service], "started_at": rfc3339(began)});
    let inc = id(&api.declare(body).await);
    let detected = rfc3339(began + Duration::minutes(detect_min));
    let (s, out) = api.note(inc, json!({"body": "Alert fired", "key": "detection", "occurred_at": detected})).await;
    assert_eq!(s, 201, "{out}");
    inc
}

fn figure<'a>(v: &'a Value, metric: &str, group: &str) -> &'a Value {
    v["figures"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["metric"] == metric && x["group"] == group))
        .unwrap_or_else(|| panic!("no {metric} for {group} in {}", v["figures"]))
}

async fn text(api: &Api<'_>, path: &str) -> (StatusCode, String, String) {
    let res = api.request(reqwest::Method::GET, path).send().await.unwrap();
    let kind = res.headers().get("content-type").map(|h| h.to_str().unwrap().to_string()).unwrap_or_default();
    (res.status(), kind, res.text().await.unwrap())
}

#[sqlx::test(migrations = "./migrations")]
async fn durations_are_distributions_with_their_counts(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool.clone()).await;
    let api = Api::new(&app, &token);
    let mut sev2 = vec![];
    for n in 1..=6 {
        sev2.push(incident(&api, "SEV2", "payments", 10 + n, n).await);
    }
    incident(&api, "SEV1", "dns", 3, 30).await;
    // Declined from triage: never counted.
    let declined = incident(&api, "SEV1", "dns", 4, 50).await;
    sqlx::query("UPDATE incidents SET declined_at = now(), status = 'closed' WHERE id = $1")
        .bind(declined)
        .execute(&pool)
        .await
        .unwrap();

    let (s, v) = api.get("/insights").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["incidents"].as_array().unwrap().len(), 7);
    // 60 … 360 s: the median interpolates to 210 s, the 90th percentile to 330 s.
    let sev = figure(&v, "time_to_detect", "severity:SEV2");
    assert_eq!(
        (sev["count"].as_i64(), sev["median_s"].as_f64(), sev["p90_s"].as_f64()),
        (Some(6), Some(210.0), Some(330.0))
    );
    assert_eq!(figure(&v, "time_to_detect", "all")["count"], 7);
    assert_eq!(figure(&v, "time_to_detect", "service:payments")["count"], 6);
    let small = figure(&v, "time_to_detect", "severity:SEV1");
    assert_eq!(small["count"], 1);
    assert!(small["median_s"].is_null() && small["p90_s"].is_null(), "under five: no percentile: {small}");
    assert_eq!(figure(&v, "time_to_resolve", "all")["count"], 0, "nothing resolved yet");

    // A correction moves the figure it feeds.
    let began = v["incidents"][0]["moments"][0].as_str().unwrap().to_string();
    let later = rfc3339(chrono::DateTime::parse_from_rfc3339(&began).unwrap().to_utc() + Duration::minutes(60));
    let first = v["incidents"][0]["reference"].as_str().unwrap().to_string();
    let body = json!({"at": later, "reason": "The alert was silenced; a customer told us"});
    let path = format!("/incidents/{first}/milestones/detected");
    let (s, out) = read(api.request(reqwest::Method::PUT, &path).json(&body)).await;
    assert_eq!(s, 200, "{out}");
    let (_, v) = api.get("/insights?severity=SEV2").await;
    // 60, 120, 180, 240, 300 and now 3600 s.
    assert_eq!(figure(&v, "time_to_detect", "all")["p90_s"].as_f64(), Some(300.0 + 0.5 * 3300.0));

    // The same figures as CSV; and one row per incident.
    let (s, kind, csv) = text(&api, "/insights?severity=SEV2&format=csv").await;
    assert_eq!((s.as_u16(), kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(csv.starts_with("\"metric\",\"group\",\"count\",\"median_s\",\"p90_s\"\r\n"), "{csv}");
    assert!(csv.contains("\"time_to_detect\",\"severity:SEV2\",\"6\",\"210\",\"1950\"\r\n"), "{csv}");
    let (_, _, rows) = text(&api, "/insights?format=csv&rows=incidents").await;
    assert_eq!(rows.lines().count(), 1 + 7, "{rows}");
    assert!(rows.lines().next().unwrap().contains("\"impact_started\",\"detected\""));
    assert!(rows.contains(&format!("\"INC-{}\",\"SEV2 on payments\",\"SEV2\",\"payments\"", sev2[1])), "{rows}");
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_filters_are_refused_by_name(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let m = expect_field_error(&api.get("/insights?from=2026-11-10&to=2026-11-01").await, "to");
    assert!(m.contains("ends (2026-11-01) before it starts (2026-11-10)"), "{m}");
    assert!(expect_field_error(&api.get("/insights?severity=SEV9").await, "severity").contains("expected one of SEV1"));
    expect_field_error(&api.get("/insights?from=last+week").await, "from");
    expect_field_error(&api.get("/insights?format=xlsx").await, "format");
    expect_field_error(&api.get("/insights?format=csv&rows=everything").await, "rows");
    expect_field_error(&api.get(&format!("/insights?service={}", "s".repeat(201))).await, "service");
    // An unknown service or team is a question with an empty answer, not an error.
    let (s, v) = api.get("/insights?service=nothing-by-this-name&team=nobody").await;
    assert_eq!(s, 200);
    assert_eq!(figure(&v, "time_to_detect", "all")["count"], 0);
    expect_error(&read(api.http.get(api.url("/insights"))).await, 401, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn private_incidents_count_only_for_those_who_may_see_them(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let admin = Api::new(&app, &token);
    let member = app.member("mo@example.com", "Mo").await;
    incident(&admin, "SEV2", "api", 2, 5).await;
    let secret =
        admin.declare(json!({"title": "Leaked key", "severity": "SEV1", "private": true, "services": ["vault"]})).await;
    let (_, v) = admin.get("/insights").await;
    assert_eq!(v["incidents"].as_array().unwrap().len(), 2);
    let m = Api::new(&app, &member.token);
    let (_, v) = m.get("/insights").await;
    assert_eq!(v["incidents"].as_array().unwrap().len(), 1, "{v}");
    assert!(!v.to_string().contains("vault") && !v.to_string().contains("Leaked"), "not even its service: {v}");
    // Once Mo takes part, it counts for Mo too.
    let (s, out) =
        admin.post(&format!("/incidents/{}/participants", id(&secret)), json!({"user_id": member.user.id})).await;
    assert!(s.is_success(), "{out}");
    let (_, v) = m.get("/insights").await;
    assert_eq!(v["incidents"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn follow_ups_say_what_was_done_and_what_worked(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool.clone()).await;
    let api = Api::new(&app, &token);
    sqlx::query("UPDATE users SET team = 'Payments' WHERE id = $1").bind(ada.id).execute(&pool).await.unwrap();
    let inc = incident(&api, "SEV2", "api", 2, 5).await;
    let mut items = vec![];
    for (kind, back) in [("prevent", -1), ("prevent", -1), ("alerting", -1), ("process", 30)] {
        items.push(create(&api, inc, item(ada.id, json!({"type": kind, "check_back_on": in_days(back)}))).await);
    }
    let dropped = create(&api, inc, item(ada.id, json!({}))).await;
    change(&api, &dropped, json!({"status": "wont_do", "reason": "Superseded by the new gateway"})).await;
    let late = create(&api, inc, item(ada.id, json!({}))).await;
    sqlx::query("UPDATE action_items SET due_on = current_date - 3 WHERE id = $1")
        .bind(id(&late))
        .execute(&pool)
        .await
        .unwrap();
    for (a, outcome) in items.iter().zip([Some("worked"), Some("did_not_work"), None, None]) {
        let done = change(&api, a, json!({"status": "done"})).await;
        if let Some(o) = outcome {
            let (s, out) = api.post(&format!("/actions/{}/check", id(&done)), json!({"outcome": o})).await;
            assert_eq!(s, 200, "{out}");
        }
    }
    let (_, v) = api.get("/insights").await;
    let f = &v["follow_ups"];
    assert_eq!((f["total"].as_i64(), f["done"].as_i64(), f["wont_do"].as_i64()), (Some(6), Some(4), Some(1)));
    assert_eq!(f["completion_rate"].as_f64(), Some(0.8));
    assert_eq!((f["overdue"].as_i64(), f["overdue_oldest_days"].as_i64()), (Some(1), Some(3)));
    assert_eq!(f["overdue_median_days"].as_f64(), Some(3.0));
    let effect = |g: &str| {
        f["effectiveness"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["group"] == g)
            .cloned()
            .unwrap_or_else(|| panic!("{g}: {f}"))
    };
    assert_eq!(effect("type:prevent"), json!({"group": "type:prevent", "worked": 1, "did_not_work": 1, "unclear": 0}));
    assert_eq!(effect("team:Payments")["worked"], 1);
    // The alerting item is done and its check-back date has come: waiting for an answer.
    assert_eq!(f["awaiting_count"], 1);
    assert_eq!(f["awaiting"][0]["id"], items[2]["id"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_figures_read_the_moments_the_incident_page_shows(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let began = Utc::now() - Duration::hours(3);
    let inc = incident(&api, "SEV2", "api", 3, 12).await;
    api.note(
        inc,
        json!({"body": "Rolled back", "key": "mitigation", "occurred_at": rfc3339(began + Duration::minutes(40))}),
    )
    .await;
    api.change(&api.incident(inc).await, json!({"status": "monitoring"})).await;
    api.change(&api.incident(inc).await, json!({"status": "resolved"})).await;
    let body = json!({"at": rfc3339(began + Duration::minutes(5)), "reason": "A customer told us first"});
    let (s, _) =
        read(api.request(reqwest::Method::PUT, &format!("/incidents/{inc}/milestones/detected")).json(&body)).await;
    assert_eq!(s, 200);
    let (_, ms) = api.get(&format!("/incidents/{inc}/milestones")).await;
    let (_, v) = api.get("/insights").await;
    let moments = v["incidents"][0]["moments"].as_array().unwrap().clone();
    let names = ["impact_started", "detected", "declared", "acknowledged", "mitigated", "resolved", "closed"];
    for (name, stored) in names.iter().zip(&moments) {
        let live = ms[name]["at"].as_str().map(|t| crate::support::time(&json!(t)));
        let kept = stored.as_str().map(|t| crate::support::time(&json!(t)));
        assert_eq!(kept, live, "{name}: {stored} against {}", ms[name]);
    }
    assert_eq!(figure(&v, "time_to_detect", "all")["count"], 1);
    assert!(moments[5].is_string() && moments[6].is_null(), "resolved, not closed: {moments:?}");
}
