//! The default database: a private Postgres cluster made from the system's Postgres binaries, with its
//! data under the project. Used only when DATABASE_URL is unset.
//!
//! The folder holds the superuser's password, so it is kept private: the folder is 0700, the password
//! file is created 0600 in one step, neither is ever reached through a symbolic link, and a folder or
//! file that someone else owns is refused rather than used.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
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

// The one unsafe call in the code base (denied elsewhere by `[lints]`).
#[allow(unsafe_code)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn is_root() -> bool {
    euid() == 0
}

/// Who may own the cluster's folder and password file: us, and as root also `postgres`, which runs the
/// tools then and so owns the folder after `init`.
fn allowed_owners() -> Vec<u32> {
    let mut owners = vec![euid()];
    if is_root() {
        let out = Command::new("id").args(["-u", "postgres"]).output();
        if let Some(uid) = out.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()) {
            owners.push(uid);
        }
    }
    owners
}

/// Refuses a symbolic link, something other than `dir`/file as expected, or another user's entry.
fn check_entry(path: &Path, meta: &std::fs::Metadata, want_dir: bool, owners: &[u32]) -> Result<(), String> {
    let what = if want_dir { "folder" } else { "file" };
    if meta.file_type().is_symlink() {
        return Err(format!("refusing to use {}: it is a symbolic link, not a {what}", path.display()));
    }
    if (want_dir && !meta.is_dir()) || (!want_dir && !meta.is_file()) {
        return Err(format!("refusing to use {}: it is not a {what}", path.display()));
    }
    if !owners.contains(&meta.uid()) {
        return Err(format!(
            "refusing to use {}: it belongs to another user (uid {}); remove it or set DEBRIEF_DATA_DIR elsewhere",
            path.display(),
            meta.uid()
        ));
    }
    Ok(())
}

/// Makes `dir` a private folder: created 0700 if missing (its parents as usual), otherwise it must be a
/// real folder of ours, and is narrowed to 0700 if an older version left it open.
fn private_dir(dir: &Path, owners: &[u32]) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => {
            check_entry(dir, &meta, true, owners)?;
            if meta.mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| format!("making {} private: {e}", dir.display()))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
            }
            DirBuilder::new().mode(0o700).create(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
        }
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

/// Writes a new file readable by its owner only. It is created with mode 0600 in the same call that
/// creates it (never widened, never through a symbolic link); a file of ours left by an earlier,
/// failed start is replaced.
fn write_private_file(path: &Path, contents: &str, owners: &[u32]) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            check_entry(path, &meta, false, owners)?;
            std::fs::remove_file(path).map_err(|e| format!("replacing {}: {e}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    f.write_all(contents.as_bytes()).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Reads a private file without following a symbolic link; one left readable by others (by an
/// older version) is narrowed to 0600 first.
fn read_private_file(path: &Path, owners: &[u32]) -> Result<String, String> {
    let mut f = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?;
    let meta = f.metadata().map_err(|e| format!("reading {}: {e}", path.display()))?;
    check_entry(path, &meta, false, owners)?;
    if meta.mode() & 0o077 != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("making {} private: {e}", path.display()))?;
    }
    let mut text = String::new();
    f.read_to_string(&mut text).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(text)
}

/// As root, where the data goes when `postgres` cannot enter the project: a folder in the temporary
/// directory whose name others cannot guess (so they cannot create it first), found again on the next
/// run by its prefix. Only a real folder owned by us or `postgres` is taken; anything else with that
/// prefix is ignored.
fn fallback_dir(tmp: &Path, project: &Path, owners: &[u32]) -> PathBuf {
    let prefix = format!("debrief-pg-{:016x}", path_hash(project));
    let mut found: Vec<PathBuf> =
        std::fs::read_dir(tmp).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    found.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ours = name == prefix || name.strip_prefix(&prefix).is_some_and(|rest| rest.starts_with('-'));
        let usable = std::fs::symlink_metadata(p).is_ok_and(|m| check_entry(p, &m, true, owners).is_ok());
        if ours && !usable {
            tracing::warn!("ignoring {}: not a private folder of ours", p.display());
        }
        ours && usable
    });
    // A folder with a cluster in it first, then by name, so every run picks the same one.
    found.sort_by_key(|p| (!p.join("pg").join("PG_VERSION").exists(), p.clone()));
    found.into_iter().next().unwrap_or_else(|| {
        let mut bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        tmp.join(format!("{prefix}-{}", hex::encode(bytes)))
    })
}

impl EmbeddedPg {
    pub fn new(data_dir: &Path, port: u16) -> Result<Self, String> {
        let bin = find_bin_dir()?;
        let mut base = std::path::absolute(data_dir).map_err(|e| format!("data dir {}: {e}", data_dir.display()))?;
        if is_root() && !postgres_can_reach(&base) {
            // As root the cluster belongs to `postgres`, which cannot enter a project under a private
            // home directory (such as /root). Keep the data where it can, one folder per project.
            let fallback = fallback_dir(&std::env::temp_dir(), &base, &allowed_owners());
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

    fn base(&self) -> Result<&Path, String> {
        self.data.parent().ok_or_else(|| "data dir has no parent".to_string())
    }

    fn url_for(&self, database: &str) -> Result<String, String> {
        let owners = allowed_owners();
        private_dir(self.base()?, &owners)?;
        let pw = read_private_file(&self.password_file(), &owners)?;
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
        let base = self.base()?;
        let owners = allowed_owners();
        private_dir(base, &owners)?;
        let password: String = {
            use rand::Rng;
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(32).map(char::from).collect()
        };
        let pwfile = self.password_file();
        write_private_file(&pwfile, &password, &owners)?;
        if is_root() {
            // The postgres user must own the cluster and be able to read the password file once.
            private_dir(&self.data, &owners)?;
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
        private_dir(self.base()?, &allowed_owners())?;
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
        super::db::create_database_if_missing(&mut conn, "debrief").await.map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let mut bytes = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            let dir = std::env::temp_dir().join(format!("debrief-test-{name}-{}", hex::encode(bytes)));
            std::fs::create_dir(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn password_file_is_0600_in_a_0700_folder() {
        let t = Scratch::new("modes");
        let base = t.0.join("deep").join(".debrief");
        let owners = [euid()];
        private_dir(&base, &owners).unwrap();
        assert_eq!(mode(&base), 0o700);
        let pw = base.join("pg-password");
        write_private_file(&pw, "secret", &owners).unwrap();
        assert_eq!(mode(&pw), 0o600);
        assert_eq!(read_private_file(&pw, &owners).unwrap(), "secret");
        // A leftover from a failed start is replaced, still 0600.
        write_private_file(&pw, "again", &owners).unwrap();
        assert_eq!((mode(&pw), read_private_file(&pw, &owners).unwrap().as_str()), (0o600, "again"));
    }

    #[test]
    fn what_an_older_version_left_open_is_narrowed() {
        let t = Scratch::new("legacy");
        let base = t.0.join(".debrief");
        std::fs::create_dir(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        let pw = base.join("pg-password");
        std::fs::write(&pw, "old").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_dir(&base, &[euid()]).unwrap();
        assert_eq!(read_private_file(&pw, &[euid()]).unwrap(), "old");
        assert_eq!((mode(&base), mode(&pw)), (0o700, 0o600));
    }

    #[test]
    fn symlinks_are_refused() {
        let t = Scratch::new("links");
        let owners = [euid()];
        let target = t.0.join("elsewhere");
        std::fs::write(&target, "not yours").unwrap();
        let base = t.0.join(".debrief");
        private_dir(&base, &owners).unwrap();
        let pw = base.join("pg-password");
        std::os::unix::fs::symlink(&target, &pw).unwrap();
        let e = write_private_file(&pw, "secret", &owners).unwrap_err();
        assert!(e.contains("symbolic link") && e.contains("pg-password"), "{e}");
        let e = read_private_file(&pw, &owners).unwrap_err();
        assert!(e.contains("pg-password"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "not yours", "nothing written through the link");

        let linked_dir = t.0.join("linked");
        std::os::unix::fs::symlink(&base, &linked_dir).unwrap();
        let e = private_dir(&linked_dir, &owners).unwrap_err();
        assert!(e.contains("symbolic link") && e.contains("linked"), "{e}");
    }

    #[test]
    fn another_users_folder_or_file_is_refused() {
        let t = Scratch::new("owner");
        let base = t.0.join(".debrief");
        private_dir(&base, &[euid()]).unwrap();
        let pw = base.join("pg-password");
        write_private_file(&pw, "secret", &[euid()]).unwrap();
        // Pretend we are someone else: these entries are not ours.
        let stranger = [euid() + 4242];
        let e = private_dir(&base, &stranger).unwrap_err();
        assert!(e.contains("belongs to another user") && e.contains(".debrief"), "{e}");
        let e = read_private_file(&pw, &stranger).unwrap_err();
        assert!(e.contains("belongs to another user") && e.contains("pg-password"), "{e}");
        let e = write_private_file(&pw, "mine", &stranger).unwrap_err();
        assert!(e.contains("belongs to another user"), "{e}");
        assert_eq!(read_private_file(&pw, &[euid()]).unwrap(), "secret", "left alone");
    }

    #[test]
    fn root_fallback_is_unguessable_and_only_ours_is_reused() {
        let tmp = Scratch::new("fallback");
        let owners = [euid()];
        let project = Path::new("/root/projects/debrief/.debrief");
        let prefix = format!("debrief-pg-{:016x}", path_hash(project));

        let first = fallback_dir(&tmp.0, project, &owners);
        let name = first.file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with(&format!("{prefix}-")) && name.len() == prefix.len() + 17, "{name}");
        assert_ne!(fallback_dir(&tmp.0, project, &owners), first, "nothing made yet: a fresh random name");

        // Planted by someone else: a symlink with the old predictable name, and (when we can make one)
        // another user's folder with the new prefix.
        std::os::unix::fs::symlink("/etc", tmp.0.join(&prefix)).unwrap();
        let planted = tmp.0.join(format!("{prefix}-0000000000000000"));
        std::fs::create_dir(&planted).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&planted, Some(4242), Some(4242)).unwrap();
            let chosen = fallback_dir(&tmp.0, project, &owners);
            assert!(chosen != planted && chosen != tmp.0.join(&prefix), "{}", chosen.display());
        }

        private_dir(&first, &owners).unwrap();
        std::fs::create_dir_all(first.join("pg")).unwrap();
        std::fs::write(first.join("pg").join("PG_VERSION"), "15").unwrap();
        assert_eq!(fallback_dir(&tmp.0, project, &owners), first, "the folder with the cluster is found again");
    }
}
