//! The default database: a private Postgres cluster made from the system's Postgres binaries, with its
//! data under the project. Used only when DATABASE_URL is unset.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct EmbeddedPg {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// Set when this process started the cluster, so it stops it on exit and leaves others' alone.
    pub started_here: bool,
}

const SUPERUSER: &str = "debrief";

fn find_bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("initdb").exists() && d.join("pg_ctl").exists());
    // Newest major version first.
    dirs.sort_by_key(|d| {
        std::cmp::Reverse(
            d.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok()),
        )
    });
    dirs.into_iter().next().ok_or_else(|| {
        "No Postgres server binaries found under /usr/lib/postgresql/*/bin. Install them \
         (Debian: `apt-get install postgresql`) or set DATABASE_URL to an existing Postgres."
            .to_string()
    })
}

/// Whether the `postgres` user can traverse every existing ancestor of `dir`.
fn postgres_can_reach(dir: &Path) -> bool {
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"));
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(existing)
        .status()
        .is_ok_and(|s| s.success())
}

fn path_hash(p: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.hash(&mut h);
    h.finish()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl EmbeddedPg {
    pub fn new(data_dir: &Path, port: u16) -> Result<Self, String> {
        let bin = find_bin_dir()?;
        let mut base = std::path::absolute(data_dir).map_err(|e| format!("data dir {}: {e}", data_dir.display()))?;
        if is_root() && !postgres_can_reach(&base) {
            // As root the cluster belongs to `postgres`, which cannot enter a project under a private
            // home directory (such as /root). Keep the data where it can, one folder per project.
            let fallback = std::env::temp_dir().join(format!("debrief-pg-{:016x}", path_hash(&base)));
            tracing::warn!(
                "the postgres user cannot reach {}; keeping the embedded database in {}",
                base.display(),
                fallback.display()
            );
            base = fallback;
        }
        Ok(EmbeddedPg { bin, data: base.join("pg"), port, started_here: false })
    }

    fn password_file(&self) -> PathBuf {
        self.data.with_file_name("pg-password")
    }

    pub fn url(&self) -> Result<String, String> {
        self.url_for("debrief")
    }

    fn url_for(&self, database: &str) -> Result<String, String> {
        let pw = std::fs::read_to_string(self.password_file())
            .map_err(|e| format!("reading {}: {e}", self.password_file().display()))?;
        Ok(format!("postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}", pw.trim(), self.port))
    }

    /// Runs a Postgres tool. `initdb` refuses to run as root, so as root every tool runs as the
    /// `postgres` system user, which then owns the data directory.
    fn tool(&self, name: &str) -> Command {
        let exe = self.bin.join(name);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, mut c: Command, what: &str) -> Result<String, String> {
        let out = c.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ))
        }
    }

    pub fn is_running(&self) -> bool {
        self.data.join("PG_VERSION").exists()
            && self.tool("pg_ctl").arg("status").arg("-D").arg(&self.data).output().is_ok_and(|o| o.status.success())
    }

    fn init(&self) -> Result<(), String> {
        let base = self.data.parent().ok_or("data dir has no parent")?;
        std::fs::create_dir_all(base).map_err(|e| format!("creating {}: {e}", base.display()))?;
        let password: String = {
            use rand::Rng;
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(32).map(char::from).collect()
        };
        let pwfile = self.password_file();
        std::fs::write(&pwfile, &password).map_err(|e| format!("writing {}: {e}", pwfile.display()))?;
        if is_root() {
            // The postgres user must own the cluster and be able to read the password file once.
            std::fs::create_dir_all(&self.data).map_err(|e| e.to_string())?;
            self.run(
                {
                    let mut c = Command::new("chown");
                    c.arg("-R").arg("postgres:postgres").arg(base);
                    c
                },
                "chown",
            )?;
        }
        let mut c = self.tool("initdb");
        c.arg("-D")
            .arg(&self.data)
            .args(["-U", SUPERUSER, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale"])
            .arg(format!("--pwfile={}", pwfile.display()));
        self.run(c, "initdb")?;
        Ok(())
    }

    /// Starts the cluster unless one is already running on this data directory (then it is reused).
    pub fn start(&mut self) -> Result<(), String> {
        if !self.data.join("PG_VERSION").exists() {
            self.init()?;
        }
        if self.is_running() {
            return Ok(());
        }
        let log = self.data.with_file_name("pg.log");
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 \
             -c shared_buffers=256MB -c fsync=on",
            self.port
        );
        let mut c = self.tool("pg_ctl");
        c.arg("start").arg("-w").arg("-t").arg("60").arg("-D").arg(&self.data).arg("-l").arg(&log).arg("-o").arg(opts);
        self.run(c, "pg_ctl start").map_err(|e| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            format!("{e}\nPostgres log ({}):\n{}", log.display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
        })?;
        self.started_here = true;
        Ok(())
    }

    /// Creates the application database if missing (connecting to the maintenance database).
    pub async fn ensure_database(&self) -> Result<(), String> {
        use sqlx::Connection;
        let admin = self.url_for("postgres")?;
        let mut conn = sqlx::PgConnection::connect(&admin).await.map_err(|e| format!("connecting: {e}"))?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'debrief')")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        if !exists {
            sqlx::query("CREATE DATABASE debrief").execute(&mut conn).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub fn stop(&self) -> Result<(), String> {
        if !self.is_running() {
            return Ok(());
        }
        let mut c = self.tool("pg_ctl");
        c.arg("stop").arg("-m").arg("fast").arg("-w").arg("-D").arg(&self.data);
        self.run(c, "pg_ctl stop").map(|_| ())
    }
}
