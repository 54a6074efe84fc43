//! The API against its own description. The document is served and names every route (see also the
//! unit test beside it); schemathesis (PyPI, installed by `.ci/setup --browser`) then fuzzes every
//! operation with an admin's token: no answer may be a 5xx, and every answer (status, content type,
//! headers, body) must match the document.

use crate::common::{venv_bin, TestApp};
use crate::support::Api;
use serde_json::{json, Value};
use sqlx::PgPool;

/// What schemathesis holds each answer to.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance";

#[sqlx::test(migrations = "./migrations")]
async fn the_document_is_served_to_anyone_and_describes_itself(pool: PgPool) {
    let app = crate::common::spawn(pool).await;
    let res = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    let declare = &doc["paths"]["/incidents"]["post"];
    assert_eq!(
        declare["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DeclareInput"
    );
    let severity = &doc["components"]["schemas"]["Severity"]["enum"];
    assert_eq!(severity, &json!(["SEV1", "SEV2", "SEV3", "SEV4"]), "one spelling, from the type");
    assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");
}

/// Ids 1 of each kind exist, so the examples in the document (id 1, `INC-1`) reach real work.
async fn seed(api: &Api<'_>) {
    let inc = api.declare(json!({"title": "Checkout errors", "severity": "SEV2", "services": ["checkout"]})).await;
    let id = crate::support::id(&inc);
    api.note(id, json!({"body": "Rolled back", "key": "mitigation"})).await;
    let (s, b) = api.post(&format!("/incidents/{id}/actions"), json!({"title": "Alert on error rate", "owner": 1, "due_on": "2030-01-01", "type": "alerting", "priority": "P2"})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api.post(&format!("/incidents/{id}/postmortem"), json!({})).await;
    assert_eq!(s, 201, "{b}");
    for (path, body) in [
        ("/services", json!({"name": "checkout", "team": "payments"})),
        ("/integrations", json!({"kind": "generic", "name": "Grafana"})),
        (
            "/destinations",
            json!({"kind": "signed_json", "name": "Audit sink", "url": "http://127.0.0.1:9/hook", "events": ["declared"]}),
        ),
    ] {
        let (s, b) = api.post(path, body).await;
        assert_eq!(s, 201, "{path}: {b}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_document(pool: PgPool) {
    let st = venv_bin("st");
    assert!(st.exists(), "schemathesis is not installed ({}): run .ci/setup --browser", st.display());
    let (app, ada) = TestApp::with_admin(pool.clone()).await;
    seed(&Api::new(&app, &ada.token)).await;
    let fuzzer = app.admin("fuzzer@example.com", "Fuzzer").await;
    // It learns ids from answers, so it would find its own token and account and revoke or demote
    // them like any admin may: those two operations come last, in a run of their own.
    let locks_out = "^(people_revoke_token|people_change_user)$";
    for (filter, excluded) in [("--exclude-operation-id-regex", true), ("--include-operation-id-regex", false)] {
        let report = schemathesis(&app, &fuzzer.token, &[filter, locks_out]).await;
        let (selected, total, tested) = counts(&report);
        assert_eq!(tested, selected, "every selected operation was tried:\n{report}");
        assert_eq!(selected, if excluded { total - 2 } else { 2 }, "{report}");
        // Every route but the document itself, which schemathesis leaves alone.
        assert_eq!(total, debrief::api::rest::api_routes().len() - 1, "{report}");
        if excluded {
            let (s, me) = Api::new(&app, &fuzzer.token).get("/me").await;
            assert_eq!((s.as_u16(), me["email"].as_str()), (200, Some("fuzzer@example.com")), "the token held");
        }
    }
}

/// `Selected: a/b` and `Tested: c` from the report's summary.
fn counts(report: &str) -> (usize, usize, usize) {
    let after = |label: &str| {
        let line = report.lines().map(str::trim).find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{report}"));
        line[label.len()..].trim().to_string()
    };
    let selected = after("Selected:");
    let (a, b) = selected.split_once('/').unwrap_or_else(|| panic!("{report}"));
    (a.parse().unwrap(), b.parse().unwrap(), after("Tested:").parse().unwrap())
}

/// One run of schemathesis over the operations `filter` selects; its report, or a failure with it.
async fn schemathesis(app: &TestApp, token: &str, filter: &[&str]) -> String {
    let out = tokio::process::Command::new(venv_bin("st"))
        .args(["run", &app.url("/api/v1/openapi.json"), "--checks", CHECKS])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(filter)
        // Fixed, so a failure here is a failure on the next run too.
        .args(["--seed", "1", "--max-examples", "25", "--workers", "1"])
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("schemathesis runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems:\n{report}");
    report
}

#[sqlx::test(migrations = "./migrations")]
async fn the_reference_page_reads_the_document_without_javascript(pool: PgPool) {
    let app = crate::common::spawn(pool).await;
    let page = reqwest::get(app.url("/api-docs")).await.unwrap().text().await.unwrap();
    assert!(page.contains("<h1>Debrief API</h1>"), "{page}");
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let operations: usize = doc["paths"].as_object().unwrap().values().map(|i| i.as_object().unwrap().len()).sum();
    assert_eq!(page.matches(r#"data-testid="operation""#).count(), operations, "every operation is on the page");
    assert!(page.contains(r#"id="incidents_create""#) && page.contains("/api/v1/incidents/{id}/timeline"));
    assert!(page.contains(r##"<a href="#schema-DeclareInput">"##), "a body links to its schema");
    assert!(page.contains(r#"id="schema-Severity""#) && page.contains("SEV1, SEV2, SEV3, SEV4"));
    assert!(page.contains("Integration token") && page.contains("None needed"));
}
