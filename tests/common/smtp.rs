//! A real SMTP server for the mail tests: PyPI's aiosmtpd (installed by `.ci/setup --browser` into
//! a virtualenv), writing every message it receives into a maildir the test reads.

use debrief::server::mail::MailConfig;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let python = super::venv_bin("python");
        assert!(python.exists(), "aiosmtpd is not installed: run .ci/setup --browser");
        let port = super::oidc::Provider::free_port();
        let dir = std::env::temp_dir().join(format!("debrief-smtp-{}-{port}", std::process::id()));
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let server = SmtpServer { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    /// How the app reaches it: plain SMTP on loopback.
    pub fn config(&self) -> MailConfig {
        MailConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            tls: "none".into(),
            username: None,
            password: None,
            from: "Debrief <debrief@example.com>".into(),
        }
    }

    /// The raw messages received so far.
    pub fn received(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else { return vec![] };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
    }

    /// Waits until `n` messages have arrived, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{n} messages did not arrive; {} did", self.received().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
