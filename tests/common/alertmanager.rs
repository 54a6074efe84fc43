//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, installed by `.ci/setup`)
//! whose webhook receiver points at a test app, on a free loopback port, stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = "prometheus-alertmanager";

pub struct Alertmanager {
    child: Child,
    port: u16,
    dir: PathBuf,
    pub url: String,
}

/// Groups by alert name, sends at once and repeats every two seconds, so a test sees repeats soon.
fn config(webhook: &str, token: &str) -> String {
    format!(
        "route:\n  receiver: debrief\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  \
         repeat_interval: 2s\nreceivers:\n  - name: debrief\n    webhook_configs:\n      - url: {webhook}\n        \
         send_resolved: true\n        http_config:\n          authorization:\n            credentials: {token}\n"
    )
}

impl Alertmanager {
    /// Starts Alertmanager sending to `webhook` with `token` as its bearer token.
    pub async fn start(webhook: &str, token: &str) -> Alertmanager {
        let port = super::oidc::Provider::free_port();
        let dir = std::env::temp_dir().join(format!("debrief-am-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("am.yml"), config(webhook, token)).unwrap();
        let child = Self::spawn(&dir, port);
        let am = Alertmanager { child, port, dir, url: format!("http://127.0.0.1:{port}") };
        am.wait_ready().await;
        am
    }

    fn spawn(dir: &std::path::Path, port: u16) -> Child {
        Command::new(BINARY)
            .arg(format!("--config.file={}", dir.join("am.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // An empty cluster address turns clustering (and its gossip port) off.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{BINARY} runs ({e}): run .ci/setup --browser"))
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{}/-/ready", self.url)).await.map(|r| r.status().is_success()).ok() != Some(true) {
            assert!(Instant::now() < deadline, "Alertmanager did not start in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops it as an operator would (SIGTERM, so it saves its notification log) and starts it again
    /// on the same port and storage. It forgets its alerts: senders post them again, as Prometheus does.
    pub async fn restart(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = Self::spawn(&self.dir, self.port);
        self.wait_ready().await;
    }

    /// Posts alerts to Alertmanager's own API, as Prometheus does.
    pub async fn post(&self, alerts: serde_json::Value) {
        let res =
            reqwest::Client::new().post(format!("{}/api/v2/alerts", self.url)).json(&alerts).send().await.unwrap();
        assert!(res.status().is_success(), "Alertmanager took the alerts: {}", res.status());
    }

    /// How many webhook notifications it has sent since it started, and how many failed.
    pub async fn notifications(&self) -> (u64, u64) {
        let text = reqwest::get(format!("{}/metrics", self.url)).await.unwrap().text().await.unwrap();
        let read = |name: &str| {
            let prefix = format!("{name}{{integration=\"webhook\"}} ");
            text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0)
                as u64
        };
        (read("alertmanager_notifications_total"), read("alertmanager_notifications_failed_total"))
    }

    /// Waits until it has sent at least `n` notifications since it started, none failing.
    pub async fn wait_for_notifications(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (sent, failed) = self.notifications().await;
            assert_eq!(failed, 0, "a notification to Debrief failed");
            if sent >= n {
                return;
            }
            assert!(Instant::now() < deadline, "Alertmanager sent {sent} of {n} notifications in time");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
