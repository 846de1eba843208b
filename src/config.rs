//! Settings: defaults in code, overridden by an optional env-style file and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// JSON when standard error is not a terminal, human-readable otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// Whether demo data is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoMode {
    /// Load the demo data when the database holds no records yet.
    Auto,
    /// Never load demo data.
    Off,
}

/// Database connection settings, shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL (`postgres://…` or `sqlite://…`). Unset: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory for the embedded SQLite database and other local files.
    #[arg(long, env = "LIENKET_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Most open database connections for requests. On PostgreSQL they are split evenly among
    /// the HTTP workers, rounded down and at least one each (so more workers than this still
    /// get one each). A worker's reads hold at most one fewer than its share, and keep them
    /// between reads; start-up work and the audit trail's writer use a pool of their own, one
    /// connection at a time.
    #[arg(long, env = "LIENKET_DB_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: u32,

    /// Milliseconds to wait for a free database connection before answering 503.
    #[arg(long, env = "LIENKET_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub db_acquire_timeout_ms: u64,
}

impl DatabaseSettings {
    /// The URL to connect to: `DATABASE_URL`, or the embedded SQLite file.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => format!("sqlite://{}?mode=rwc", self.sqlite_path().display()),
        }
    }

    /// Whether the embedded SQLite default is in use.
    pub fn is_embedded(&self) -> bool {
        self.database_url.as_deref().is_none_or(|u| u.trim().is_empty())
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("lienket.db")
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms)
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServerSettings {
    /// Address and port to listen on.
    #[arg(long, env = "LIENKET_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Worker threads serving HTTP; 0 means one per CPU core.
    #[arg(long, env = "LIENKET_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Largest accepted request body, in bytes; larger bodies get 413.
    #[arg(long, env = "LIENKET_MAX_BODY_BYTES", default_value_t = 1_048_576, value_parser = clap::value_parser!(u64).range(1024..=104_857_600))]
    pub max_body_bytes: u64,

    /// Seconds a request body may take to arrive, from the end of its head; a client that is
    /// slower (or stalls) gets 408 and its connection is closed.
    #[arg(long, env = "LIENKET_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,

    /// Seconds in-flight requests get to finish on SIGTERM/SIGINT before the process exits.
    #[arg(long, env = "LIENKET_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Hours an `Idempotency-Key` is remembered.
    #[arg(long, env = "LIENKET_IDEMPOTENCY_TTL_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub idempotency_ttl_hours: u32,

    /// Whether to load the demo data into an empty database at start.
    #[arg(long, env = "LIENKET_DEMO", value_enum, default_value_t = DemoMode::Auto)]
    pub demo: DemoMode,

    /// Addresses of reverse proxies (comma-separated) whose `X-Forwarded-For` is believed: behind
    /// them, the client address (for login limits and the audit trail) is the last address in
    /// that header that is not itself a trusted proxy. Unset: the connection's peer.
    #[arg(long, env = "LIENKET_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    #[command(flatten)]
    pub auth: AuthSettings,
}

/// Logging settings.
#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log line format.
    #[arg(long, env = "LIENKET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto, global = true)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` syntax, e.g. `info` or `lienket=debug,sqlx=warn`.
    #[arg(long, env = "LIENKET_LOG", default_value = "info", global = true)]
    pub log: String,
}

/// Loads `KEY=value` lines from the file named by `LIENKET_CONFIG_FILE` (when set) into the
/// environment; variables already set win over the file.
pub fn load_config_file() -> Result<Option<PathBuf>, String> {
    let Some(path) = std::env::var_os("LIENKET_CONFIG_FILE").map(PathBuf::from) else {
        return Ok(None);
    };
    dotenvy::from_path(&path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    Ok(Some(path))
}

/// Token, key and login-limit settings.
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// File holding the Ed25519 private key that signs tokens (PKCS#8 PEM). Required outside
    /// demo mode unless `LIENKET_JWT_SIGNING_KEY` holds the key itself.
    #[arg(long, env = "LIENKET_JWT_SIGNING_KEY_FILE")]
    pub jwt_signing_key_file: Option<PathBuf>,

    /// The signing key itself (PKCS#8 PEM), instead of a file.
    #[arg(long, env = "LIENKET_JWT_SIGNING_KEY", hide_env_values = true)]
    pub jwt_signing_key: Option<String>,

    /// Public keys (PEM files, comma-separated) still accepted besides the signing key's own: the
    /// keys of the previous signing keys while their tokens may still be in use.
    #[arg(long, env = "LIENKET_JWT_VERIFICATION_KEY_FILES", value_delimiter = ',')]
    pub jwt_verification_key_files: Vec<PathBuf>,

    /// The `iss` of issued tokens, and the only one accepted.
    #[arg(long, env = "LIENKET_JWT_ISSUER", default_value = "lienket")]
    pub jwt_issuer: String,

    /// The `aud` of issued access tokens, and the only one accepted.
    #[arg(long, env = "LIENKET_JWT_AUDIENCE", default_value = "lienket-api")]
    pub jwt_audience: String,

    /// Seconds an access token is valid.
    #[arg(long, env = "LIENKET_ACCESS_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(30..=86_400))]
    pub access_token_ttl_secs: u32,

    /// Seconds a refresh token is valid.
    #[arg(long, env = "LIENKET_REFRESH_TOKEN_TTL_SECS", default_value_t = 1_209_600, value_parser = clap::value_parser!(u32).range(60..=7_776_000))]
    pub refresh_token_ttl_secs: u32,

    /// Seconds of clock difference tolerated when checking `exp`, `nbf` and `iat`.
    #[arg(long, env = "LIENKET_CLOCK_SKEW_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub clock_skew_secs: u32,

    /// Token requests allowed per client address in each window.
    #[arg(long, env = "LIENKET_LOGIN_LIMIT_PER_ADDRESS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_limit_per_address: u32,

    /// Token requests allowed per account (username or client id) in each window.
    #[arg(long, env = "LIENKET_LOGIN_LIMIT_PER_ACCOUNT", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_limit_per_account: u32,

    /// Length of the login rate-limit window, in seconds.
    #[arg(long, env = "LIENKET_LOGIN_LIMIT_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub login_limit_window_secs: u32,

    /// Password hashes computed at once; further logins wait (and get 503 after a while).
    /// 0 means one per CPU core.
    #[arg(long, env = "LIENKET_PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,
}

impl AuthSettings {
    /// The defaults, with no key; for checking a key set at start.
    pub fn for_self_test() -> Self {
        Self {
            jwt_signing_key_file: None,
            jwt_signing_key: None,
            jwt_verification_key_files: Vec::new(),
            jwt_issuer: "self-test".to_owned(),
            jwt_audience: "self-test".to_owned(),
            access_token_ttl_secs: 60,
            refresh_token_ttl_secs: 60,
            clock_skew_secs: 0,
            login_limit_per_address: 30,
            login_limit_per_account: 10,
            login_limit_window_secs: 60,
            password_hash_concurrency: 0,
        }
    }
}
