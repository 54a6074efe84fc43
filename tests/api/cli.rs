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
