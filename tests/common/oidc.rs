//! A real OpenID Connect provider for the single sign-on tests: the npm package `oidc-provider`
//! (installed by `.ci/setup` under `tests/oidc/`), on a free loopback port, stopped when dropped.

use debrief::domain::sso::SsoRules;
use debrief::server::sso::SsoConfig;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "debrief-tests";
pub const CLIENT_SECRET: &str = "a client secret that must never be logged";

/// The people the provider knows, by login name.
pub fn accounts() -> serde_json::Value {
    serde_json::json!({
        "grace": {"email": "grace@example.com", "email_verified": true, "name": "Grace Hopper", "groups": ["eng"]},
        "lead": {"email": "lead@example.com", "email_verified": true, "name": "Sre Lead", "groups": ["sre-leads"]},
        "eve": {"email": "eve@example.com", "email_verified": false, "name": "Eve Unverified"},
        "mallory": {"email": "mallory@evil.example", "email_verified": true, "name": "Mallory"},
    })
}

pub struct Provider {
    child: Child,
    pub issuer: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Provider {
    /// The app's settings for this provider: example.com only, groups mapped to roles.
    pub fn config(issuer: &str) -> SsoConfig {
        SsoConfig {
            issuer: issuer.to_string(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            label: "Sign in with Example SSO".into(),
            redirect_url: String::new(),
            rules: SsoRules::parse("example.com", "member", Some("groups"), "sre-leads=admin").unwrap(),
        }
    }

    /// An address where no provider answers, for the "provider is down" case.
    pub fn nowhere() -> String {
        format!("http://127.0.0.1:{}", free_port())
    }

    /// Starts the provider for an app whose callback is `redirect_uri`.
    pub fn start(issuer_port: u16, redirect_uri: &str) -> Provider {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        assert!(
            std::path::Path::new(dir).join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: run .ci/setup --browser"
        );
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir)
            .env("PORT", issuer_port.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URI", redirect_uri)
            .env("ACCOUNTS", accounts().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("ready") => break,
                Some(Ok(_)) => {}
                _ => panic!("the OpenID provider did not start"),
            }
            assert!(Instant::now() < deadline, "the OpenID provider did not start in time");
        }
        // Keep reading what it prints: a closed pipe would kill it at its next line.
        std::thread::spawn(move || lines.for_each(drop));
        Provider { child, issuer: format!("http://127.0.0.1:{issuer_port}") }
    }

    pub fn free_port() -> u16 {
        free_port()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
