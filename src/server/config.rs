//! Command line and environment. Every setting has a working default for a developer's machine.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "debrief", version, about = "Blameless incident tracking and postmortems")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Postgres to use. Unset: Debrief runs its own private cluster under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded Postgres keeps its data (git-ignored).
    #[arg(long, env = "DEBRIEF_DATA_DIR", default_value = ".debrief", global = true)]
    pub data_dir: PathBuf,
    /// Port of the embedded Postgres, on 127.0.0.1 only.
    #[arg(long, env = "DEBRIEF_PG_PORT", default_value_t = 54329, global = true)]
    pub pg_port: u16,
    /// Address to serve on. Defaults to the site address in Cargo.toml (127.0.0.1:3000).
    #[arg(long, env = "DEBRIEF_ADDR", global = true)]
    pub addr: Option<String>,
    /// Mark session cookies Secure (set this behind HTTPS).
    #[arg(long, env = "DEBRIEF_SECURE_COOKIES", default_value_t = false, global = true)]
    pub secure_cookies: bool,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "DEBRIEF_LOG_JSON", default_value_t = false, global = true)]
    pub log_json: bool,
    /// Database connections per app instance.
    #[arg(long, env = "DEBRIEF_DB_POOL", default_value_t = 32, global = true)]
    pub db_pool: u32,
    /// Let the webhook post to loopback, private and link-local addresses (a receiver on this host
    /// or network). Off, an admin's webhook URL cannot reach inside the network.
    #[arg(long, env = "DEBRIEF_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true)]
    pub webhook_allow_private: bool,
    /// SMTP server for mail (email destinations, personal reminders). Unset: no mail.
    #[arg(long, env = "DEBRIEF_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    #[arg(long, env = "DEBRIEF_SMTP_PORT", default_value_t = 587, global = true)]
    pub smtp_port: u16,
    /// `starttls` (upgrade on connect, refused if the server cannot), `tls` (TLS from the first byte,
    /// usually port 465) or `none` (a local relay only).
    #[arg(long, env = "DEBRIEF_SMTP_TLS", default_value = "starttls", global = true)]
    pub smtp_tls: String,
    #[arg(long, env = "DEBRIEF_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    #[arg(long, env = "DEBRIEF_SMTP_PASSWORD", global = true, hide_env_values = true)]
    pub smtp_password: Option<Hidden>,
    /// The sender, e.g. `Debrief <debrief@example.com>`.
    #[arg(long, env = "DEBRIEF_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// OpenID Connect issuer URL for single sign-on (discovery at its
    /// `/.well-known/openid-configuration`). Unset: no single sign-on.
    #[arg(long, env = "DEBRIEF_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "DEBRIEF_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,
    #[arg(long, env = "DEBRIEF_OIDC_CLIENT_SECRET", global = true, hide_env_values = true)]
    pub oidc_client_secret: Option<Hidden>,
    /// The sign-in button's words.
    #[arg(long, env = "DEBRIEF_OIDC_LABEL", default_value = "Sign in with single sign-on", global = true)]
    pub oidc_label: String,
    /// Email domains allowed in, comma-separated; empty: any.
    #[arg(long, env = "DEBRIEF_OIDC_DOMAINS", default_value = "", global = true)]
    pub oidc_domains: String,
    /// The role of someone's first sign-in.
    #[arg(long, env = "DEBRIEF_OIDC_ROLE", default_value = "member", global = true)]
    pub oidc_role: String,
    /// The ID token claim listing the person's groups, for DEBRIEF_OIDC_GROUP_ROLES.
    #[arg(long, env = "DEBRIEF_OIDC_GROUPS_CLAIM", global = true)]
    pub oidc_groups_claim: Option<String>,
    /// Groups to roles, `sre-leads=admin,auditors=reader`; then roles follow groups at each sign-in.
    #[arg(long, env = "DEBRIEF_OIDC_GROUP_ROLES", default_value = "", global = true)]
    pub oidc_group_roles: String,
    /// Where the provider sends people back; default `<public URL>/sso/callback`.
    #[arg(long, env = "DEBRIEF_OIDC_REDIRECT_URL", global = true)]
    pub oidc_redirect_url: Option<String>,
}

/// A secret from the environment: its `Debug` never shows it, so printing the configuration is safe.
#[derive(Clone)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(..)")
    }
}

impl std::str::FromStr for Hidden {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Hidden(s.to_string()))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The embedded Postgres cluster, for scripts and tests.
    Pg {
        #[command(subcommand)]
        command: PgCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Turn password sign-in on or off (`on` is the way back in when single sign-on fails).
    LocalPasswords {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (shown once).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, shown in the token list.
        #[arg(long, default_value = "Command line")]
        name: String,
        /// read, write, or feed (the library's Atom feed only).
        #[arg(long, default_value = "write")]
        scope: String,
        /// Last day (2027-01-31, UTC) or instant (RFC 3339) it works; none for no expiry.
        #[arg(long)]
        expires: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PgCommand {
    /// Start the embedded cluster if it is not running and print its URL; it keeps running.
    Up,
    /// Stop the embedded cluster.
    Down,
}
