//! The operator commands of the `debrief` binary, against the test's own database.

use crate::common::spawn;
use sqlx::PgPool;
use std::io::Write;
use std::process::{Command, Stdio};

/// DATABASE_URL points at the server; the test's fresh database has its own name.
fn url_for(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let db = pool.connect_options().get_database().expect("database name").to_string();
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

fn debrief(pool: &PgPool, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args(args)
        .env("DATABASE_URL", url_for(pool))
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run debrief");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test(migrations = "./migrations")]
async fn user_add_and_token_create_give_a_working_api_token(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let p = pool.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        debrief(
            &p,
            &["user", "add", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"],
            "a long passphrase\n",
        )
    })
    .await
    .unwrap();
    assert!(ok, "user add failed: {err}");
    assert!(out.contains("added Ops <ops@example.com> as admin"), "{out}");

    let p = pool.clone();
    let (ok, token, err) =
        tokio::task::spawn_blocking(move || debrief(&p, &["token", "create", "--email", "ops@example.com"], ""))
            .await
            .unwrap();
    assert!(ok, "token create failed: {err}");
    let me: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ops@example.com");
    assert_eq!(me["role"], "admin");
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_cli_input_is_explained(pool: PgPool) {
    debrief::startup::migrate(&pool).await.unwrap();
    let p = pool.clone();
    let (ok, _, err) = tokio::task::spawn_blocking(move || {
        debrief(&p, &["user", "add", "--email", "nope", "--name", "X", "--role", "boss"], "short\n")
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(err.contains("email: Enter an email address"), "{err}");
    assert!(err.contains("role: unknown user role"), "{err}");
    assert!(err.contains("password: Use at least 12 characters"), "{err}");

    let p = pool.clone();
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || debrief(&p, &["token", "create", "--email", "ghost@example.com"], ""))
            .await
            .unwrap();
    assert!(!ok);
    assert!(err.contains("No such user"), "{err}");
}

#[sqlx::test(migrations = "./migrations")]
async fn token_create_takes_a_name_a_scope_and_an_expiry(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    app.user("ops@example.com", "Ops", "member").await;
    let p = pool.clone();
    let args = [
        "token",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Grafana",
        "--scope",
        "read",
        "--expires",
        "2099-12-31",
    ];
    let (ok, token, err) = tokio::task::spawn_blocking(move || debrief(&p, &args, "")).await.unwrap();
    assert!(ok, "token create failed: {err}");
    let http = reqwest::Client::new();
    let list: serde_json::Value =
        http.get(app.url("/api/v1/tokens")).bearer_auth(token.trim()).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["name"], "Grafana");
    assert_eq!(list[0]["scope"], "read");
    assert_eq!(list[0]["expires_at"], "2100-01-01T00:00:00Z");
    let write = http.post(app.url("/api/v1/incidents")).bearer_auth(token.trim()).json(&serde_json::json!({})).send();
    assert_eq!(write.await.unwrap().status(), 403, "read-only");

    let p = pool.clone();
    let bad = ["token", "create", "--email", "ops@example.com", "--scope", "root", "--expires", "yesterday"];
    let (ok, _, err) = tokio::task::spawn_blocking(move || debrief(&p, &bad, "")).await.unwrap();
    assert!(!ok);
    assert!(err.contains("scope: unknown token scope") && err.contains("expires_at:"), "{err}");
}

#[sqlx::test(migrations = "./migrations")]
async fn local_passwords_can_always_be_turned_back_on_from_the_command_line(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    app.user("ops@example.com", "Ops", "admin").await;
    sqlx::query("UPDATE settings SET value = 'off' WHERE key = 'local_passwords'").execute(&pool).await.unwrap();
    let p = pool.clone();
    let (ok, _, err) = tokio::task::spawn_blocking(move || debrief(&p, &["local-passwords", "off"], "")).await.unwrap();
    assert!(!ok && err.contains("Set up single sign-on first"), "refused without SSO: {err}");
    let p = pool.clone();
    let (ok, out, err) =
        tokio::task::spawn_blocking(move || debrief(&p, &["local-passwords", "on"], "")).await.unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("local passwords are on"));
    crate::pages::sign_in_as(&app, "ops@example.com").await;
}
