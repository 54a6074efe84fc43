//! A small JSON client for the API: every response must be JSON, and errors must have the documented shape.
//! The browser tests use it too, to set the scene.
#![allow(dead_code)]

use crate::common::TestApp;
use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// Calls the API as one user.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub http: reqwest::Client,
}

impl<'a> Api<'a> {
    pub fn new(app: &'a TestApp, token: &str) -> Self {
        Api { app, token: token.to_string(), http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(&format!("/api/v1{path}"))
    }

    /// A request with this user's token and no body yet.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.request(Method::PATCH, path).json(&body)).await
    }

    /// Declares an incident and returns it; the declaration must succeed.
    pub async fn declare(&self, body: Value) -> Value {
        let (status, inc) = self.post("/incidents", body).await;
        assert_eq!(status, StatusCode::CREATED, "declare failed: {inc}");
        inc
    }

    /// Declares a SEV2 incident with just a title.
    pub async fn declare_titled(&self, title: &str) -> Value {
        self.declare(json!({"title": title, "severity": "SEV2"})).await
    }

    /// The incident as every answer about it gives it: the single read adds its `milestones`
    /// (checked where they matter, through `incident_with_milestones`), which this leaves out.
    pub async fn incident(&self, id: i64) -> Value {
        let mut inc = self.incident_with_milestones(id).await;
        assert!(inc["milestones"].is_object(), "GET /incidents/{id} has milestones: {inc}");
        inc.as_object_mut().map(|o| o.remove("milestones"));
        inc
    }

    pub async fn incident_with_milestones(&self, id: i64) -> Value {
        let (status, inc) = self.get(&format!("/incidents/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{inc}");
        inc
    }

    /// Changes an incident from the version it has now; the change must succeed.
    pub async fn change(&self, inc: &Value, mut changes: Value) -> Value {
        changes["version"] = inc["version"].clone();
        let (status, out) = self.patch(&format!("/incidents/{}", id(inc)), changes).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        out
    }

    /// The whole timeline, following its pages.
    pub async fn timeline(&self, id: i64) -> Vec<Value> {
        let mut events = Vec::new();
        let mut next = Some(self.url(&format!("/incidents/{id}/timeline?limit=200")));
        while let Some(url) = next.take() {
            let res = self.http.get(&url).bearer_auth(&self.token).send().await.expect("request sent");
            assert_eq!(res.status(), StatusCode::OK, "{url}");
            next = res.headers().get("link").and_then(|l| l.to_str().ok()).map(|l| {
                let path = &l[1..l.find('>').expect("a <link>")];
                self.app.url(path)
            });
            let page: Value = res.json().await.expect("JSON");
            events.extend(page.as_array().expect("timeline is an array").iter().cloned());
        }
        events
    }

    pub async fn note(&self, id: i64, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/incidents/{id}/timeline"), body).await
    }
}

/// Sends a request and reads its JSON body. A body that is not JSON fails the test, whatever the status.
pub async fn read(req: RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request sent");
    let status = res.status();
    let content_type =
        res.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = res.text().await.expect("response body");
    assert!(content_type.starts_with("application/json"), "{status} with Content-Type {content_type:?}: {text}");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
    (status, body)
}

/// Checks the error shape and returns the `error` object.
pub fn expect_error(res: &(StatusCode, Value), status: u16, code: &str) -> Value {
    let (got, body) = res;
    assert_eq!(got.as_u16(), status, "unexpected status; body: {body}");
    let error = &body["error"];
    assert!(error.is_object(), "no error object in {body}");
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().unwrap_or_else(|| panic!("error.message is not a string: {body}"));
    assert!(!message.trim().is_empty(), "empty error message: {body}");
    error.clone()
}

/// A 422 that names `field`; returns that field's message.
pub fn expect_field_error(res: &(StatusCode, Value), field: &str) -> String {
    let error = expect_error(res, 422, "invalid");
    let message = error["fields"][field].as_str().unwrap_or_else(|| panic!("no fields.{field} in {error}"));
    assert!(!message.trim().is_empty(), "empty message for {field}: {error}");
    message.to_string()
}

pub fn id(inc: &Value) -> i64 {
    inc["id"].as_i64().unwrap_or_else(|| panic!("no numeric id in {inc}"))
}

/// Parses an API timestamp, which must be RFC 3339 in UTC.
pub fn time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("timestamp is not a string: {v}"));
    assert!(s.ends_with('Z'), "timestamp {s:?} is not UTC");
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}")).with_timezone(&Utc)
}

/// An RFC 3339 UTC string for `t`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The kinds of a timeline, in order.
pub fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect()
}

/// Asserts that a timeline is ordered by `occurred_at` (ties by id).
pub fn assert_chronological(events: &[Value]) {
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let key = |e: &Value| (time(&e["occurred_at"]), e["id"].as_i64().unwrap());
        assert!(key(a) < key(b), "timeline out of order: {a} before {b}");
    }
}

/// A webhook receiver on 127.0.0.1:0 that hands every POSTed JSON body to the test.
pub async fn webhook_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}
