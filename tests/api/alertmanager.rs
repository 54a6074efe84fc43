//! The real Prometheus Alertmanager sends to Debrief: the incident opens in triage, repeats and a
//! restart of Alertmanager add nothing, and resolving is recorded.

use crate::common::alertmanager::Alertmanager;
use crate::common::{Account, TestApp};
use crate::support::{id, Api};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// One alert as Prometheus posts it; it keeps its `startsAt` in every post, as Prometheus does.
fn disk_full(instance: &str, starts: DateTime<Utc>, ends_at: Option<DateTime<Utc>>) -> Value {
    let mut a = json!({
        "labels": {"alertname": "DiskFull", "severity": "critical", "service": "storage", "instance": instance},
        "annotations": {"summary": format!("disk full on {instance}")},
        "startsAt": starts.to_rfc3339(),
        "generatorURL": "http://prometheus.example/graph?g0.expr=disk"
    });
    if let Some(t) = ends_at {
        a["endsAt"] = json!(t.to_rfc3339());
    }
    a
}

async fn triage(api: &Api<'_>) -> Vec<Value> {
    api.get("/incidents?status=triage").await.1.as_array().cloned().unwrap_or_default()
}

/// The alert events of an incident, oldest first.
async fn alert_events(api: &Api<'_>, i: i64) -> Vec<Value> {
    api.timeline(i).await.into_iter().filter(|e| e["kind"] == "alert").collect()
}

async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn alertmanager_opens_an_incident_once_and_records_resolving(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (_, made) = api.post("/integrations", json!({"kind": "alertmanager", "name": "Production Alertmanager"})).await;
    let rules = json!({"severity_rules": [{"label": "severity", "value": "critical", "severity": "SEV1"}],
                       "default_severity": "SEV3", "service_labels": ["service"]});
    assert_eq!(
        api.request(reqwest::Method::PUT, "/integrations/rules").json(&rules).send().await.unwrap().status(),
        200
    );
    let webhook = app.url("/api/v1/integrations/alertmanager");
    let mut am = Alertmanager::start(&webhook, made["token"].as_str().unwrap()).await;
    let began = DateTime::from_timestamp(Utc::now().timestamp() - 300, 0).unwrap();

    am.post(json!([disk_full("db1", began, None), disk_full("db2", began, None)])).await;
    eventually("the alert opens an incident", || async { !triage(&api).await.is_empty() }).await;
    let list = triage(&api).await;
    assert_eq!(list.len(), 1, "one group, one incident: {list:?}");
    let inc = &list[0];
    assert_eq!((inc["severity"].as_str(), inc["services"].clone()), (Some("SEV1"), json!(["storage"])));
    assert_eq!(inc["source"]["integration_name"], "Production Alertmanager");
    assert!(inc["source"]["group_key"].as_str().unwrap().contains("DiskFull"), "{inc}");
    let i = id(inc);
    eventually("both alerts are on the timeline", || async { alert_events(&api, i).await.len() == 2 }).await;

    // Alertmanager repeats the group every two seconds: wait for several, then nothing has been added.
    am.wait_for_notifications(4).await;
    assert_eq!(alert_events(&api, i).await.len(), 2, "repeats are recorded once");

    // A restart forgets the alerts; Prometheus posts them again, and Alertmanager sends them again.
    am.restart().await;
    am.post(json!([disk_full("db1", began, None), disk_full("db2", began, None)])).await;
    am.wait_for_notifications(2).await;
    assert_eq!(alert_events(&api, i).await.len(), 2, "a restart of Alertmanager adds nothing");
    assert_eq!(triage(&api).await.len(), 1);

    // Both resolve: each is recorded, and then that the whole group has resolved. It stays in triage.
    let now = Utc::now();
    am.post(json!([disk_full("db1", began, Some(now)), disk_full("db2", began, Some(now))])).await;
    eventually("the group's resolution is recorded", || async {
        api.timeline(i).await.iter().any(|e| e["to"] == "all_resolved")
    })
    .await;
    let events = alert_events(&api, i).await;
    let resolved = events.iter().filter(|e| e["to"] == "resolved").count();
    assert_eq!(resolved, 2, "{events:?}");
    assert_eq!(api.incident(i).await["status"], "triage", "resolving alerts do not resolve the incident");
}
