//! Shared by the API and browser tests: the real app on 127.0.0.1:0 over a fresh database.
#![allow(dead_code)]

pub mod alertmanager;
pub mod oidc;
pub mod smtp;

use debrief::server::sso::{Sso, SsoConfig};
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
    /// Single sign-on; its redirect URL is filled in with the app's address.
    pub sso: Option<SsoConfig>,
    /// Whether this instance runs the outbox worker (as every deployed one does).
    pub outbox_worker: bool,
    /// Mail through this SMTP server.
    pub smtp: Option<debrief::server::mail::MailConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Options { webhook_allow_private: true, sso: None, outbox_worker: true, smtp: None }
    }
}

/// A program of the tests' Python virtualenv (aiosmtpd, schemathesis), which `.ci/setup --browser` makes.
pub fn venv_bin(name: &str) -> std::path::PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    cache.join("debrief-venv/bin").join(name)
}

/// The folder `.ci/site` builds (CSS, JS and WASM), served as the README's build serves it.
pub fn site_root() -> String {
    std::env::var("LEPTOS_SITE_ROOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/site").to_string())
}

/// `TEST_LOG=1` (or a filter such as `TEST_LOG=debrief=debug,sqlx=info`) prints the app's logs
/// into each test's captured output, which the test runner shows for the tests that fail.
fn show_logs() {
    let Ok(filter) = std::env::var("TEST_LOG") else { return };
    let filter = if filter == "1" { "info,sqlx=warn,tower_sessions=warn".to_string() } else { filter };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .try_init();
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, Options::default()).await
}

pub async fn spawn_with(pool: PgPool, options: Options) -> TestApp {
    show_logs();
    // `#[sqlx::test]` applied the numbered migrations; this adds the session store's table.
    debrief::startup::migrate(&pool).await.expect("migrate");
    let form_key = FormKey::shared(&pool).await.expect("form-state key");
    let mailer = options.smtp.map(|c| debrief::server::mail::Mailer::new(&c).expect("mailer"));
    let outbound = Outbound::new(options.webhook_allow_private).expect("webhook client").with_mail(mailer);
    let (leptos_options, assets) = debrief::startup::site(Some(&site_root())).expect("site");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sso = options.sso.map(|c| {
        let c = SsoConfig { redirect_url: format!("{base}/sso/callback"), ..c };
        std::sync::Arc::new(Sso::new(c).expect("single sign-on"))
    });
    let state = AppState {
        live: Live::start(pool.clone()),
        pool: pool.clone(),
        leptos_options,
        assets,
        form_key,
        outbound: outbound.clone(),
        sso,
    };
    // The outbox worker, with retries quick enough for a test to watch.
    let (retry, poll) = (std::time::Duration::from_millis(50), std::time::Duration::from_millis(200));
    if options.outbox_worker {
        tokio::spawn(debrief::server::outbox::run(pool.clone(), outbound.clone(), retry, poll));
    }
    let app = router(state, false).await.expect("router");
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestApp { base, pool, outbound }
}

/// A user of the test app and their API token.
pub struct Account {
    pub user: debrief::domain::User,
    pub token: String,
}

impl TestApp {
    /// A fresh app whose first user is Ada, an admin with an API token: how most tests begin.
    pub async fn with_admin(pool: PgPool) -> (TestApp, Account) {
        Self::with_admin_named(pool, "Ada").await
    }

    /// The same, for tests that need the admin's full name.
    pub async fn with_admin_named(pool: PgPool, name: &str) -> (TestApp, Account) {
        let app = spawn(pool).await;
        let admin = app.account("ada@example.com", name, "admin").await;
        (app, admin)
    }

    pub async fn admin(&self, email: &str, name: &str) -> Account {
        self.account(email, name, "admin").await
    }

    pub async fn member(&self, email: &str, name: &str) -> Account {
        self.account(email, name, "member").await
    }

    pub async fn reader(&self, email: &str, name: &str) -> Account {
        self.account(email, name, "reader").await
    }

    /// A user with any role and an API token for them.
    pub async fn account(&self, email: &str, name: &str, role: &str) -> Account {
        let user = self.user(email, name, role).await;
        let token = token_for(&self.pool, email, "write").await;
        Account { user, token }
    }

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
}

/// A new API token with this scope for the user with this email (as the CLI makes one).
pub async fn token_for(pool: &PgPool, email: &str, scope: &str) -> String {
    let req = accounts::TokenRequest { name: format!("{scope} token"), scope: scope.into(), expires_at: None };
    accounts::create_token_for(pool, email, &req).await.expect("token").token
}

/// A test app signing in through a real OpenID provider (started here, on a free port; it lives
/// as long as the returned handle), restricted to example.com and mapping `sre-leads` to admin.
pub async fn spawn_with_sso(pool: PgPool) -> (TestApp, oidc::Provider) {
    let port = oidc::Provider::free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_with(pool, Options { sso: Some(oidc::Provider::config(&issuer)), ..Options::default() }).await;
    let provider = oidc::Provider::start(port, &app.url("/sso/callback"));
    (app, provider)
}

pub const PASSWORD: &str = "correct horse battery staple";
