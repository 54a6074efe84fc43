//! Shared by the API and browser tests: the real app on 127.0.0.1:0 over a fresh database.
#![allow(dead_code)]

use debrief::server::{accounts, form_state::FormKey, live::Live, webhook::Outbound, AppState};
use debrief::startup::router;
use sqlx::PgPool;

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    /// What the app sends webhooks with, for operations tests call directly.
    pub outbound: Outbound,
}

/// How a test app is configured, where it differs from a default deployment.
pub struct Options {
    /// The tests' webhook receivers listen on 127.0.0.1, so the test app allows private addresses.
    pub webhook_allow_private: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { webhook_allow_private: true }
    }
}

/// The folder `.ci/site` builds (CSS, JS and WASM), served as the README's build serves it.
pub fn site_root() -> String {
    std::env::var("LEPTOS_SITE_ROOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/site").to_string())
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, Options::default()).await
}

pub async fn spawn_with(pool: PgPool, options: Options) -> TestApp {
    // `#[sqlx::test]` applied the numbered migrations; this adds the session store's table.
    debrief::startup::migrate(&pool).await.expect("migrate");
    let form_key = FormKey::shared(&pool).await.expect("form-state key");
    let outbound = Outbound::new(options.webhook_allow_private).expect("webhook client");
    let (leptos_options, assets) = debrief::startup::site(Some(&site_root())).expect("site");
    let state = AppState {
        live: Live::start(pool.clone()),
        pool: pool.clone(),
        leptos_options,
        assets,
        form_key,
        outbound: outbound.clone(),
    };
    let app = router(state, false).await.expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestApp { base, pool, outbound }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a user straight through the accounts module (as the CLI does).
    pub async fn user(&self, email: &str, name: &str, role: &str) -> debrief::domain::User {
        accounts::create_user(
            &self.pool,
            accounts::NewUser { email, name, role, password: PASSWORD, time_zone: Some("Europe/Paris"), team: None },
        )
        .await
        .expect("create user")
    }

    /// A user and an API token for them.
    pub async fn token(&self, email: &str, name: &str, role: &str) -> (debrief::domain::User, String) {
        let user = self.user(email, name, role).await;
        let token = accounts::create_token(&self.pool, email).await.expect("token");
        (user, token)
    }
}

impl TestApp {
    /// Declares an incident through the API; the declaration must succeed.
    pub async fn declare(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let res =
            reqwest::Client::new().post(self.url("/api/v1/incidents")).bearer_auth(token).json(&body).send().await;
        let res = res.expect("declare");
        assert_eq!(res.status(), 201, "declare failed");
        res.json().await.expect("incident JSON")
    }
}

pub const PASSWORD: &str = "correct horse battery staple";
