//! The command line: `serve` (the default), `migrate`, `seed-demo`, `seed-bench` and `openapi`.

use clap::{Args, Parser, Subcommand};

use crate::config::{DatabaseSettings, LogSettings, ServerSettings};
use crate::domain::{Classification, Role, Scope};

/// Liên Kết: the system of record for cross-border coordination between police, military commands
/// and border guards. Every option can also be set through the environment variable it names.
#[derive(Debug, Parser)]
#[command(name = "lienket", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogSettings,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default): migrate the database, load demo data into an empty one, listen.
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit.
    Migrate(DatabaseArgs),
    /// Load the demo data unless the database already holds records, then exit.
    SeedDemo(DatabaseArgs),
    /// Load the national-scale load-test data set into an empty database, then print what it
    /// holds and the generated logins as JSON.
    SeedBench(SeedBenchArgs),
    /// Print the OpenAPI document to standard output.
    Openapi,
    /// Manage users (to bootstrap a deployment without demo data).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage agency clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Clone, Args)]
pub struct SeedBenchArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Size relative to the national data set (1: 10 000 units, 2 000 clusters, 1 000 000
    /// incidents, 200 000 activities, 300 000 bulletins); above 0, at most 10.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The seed; the same seed and scale give the same records.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input with `--password-stdin`;
    /// otherwise one is generated and printed.
    Create(CreateUserArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CreateUserArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Login name: 3–64 characters of a–z, 0–9, `.`, `_`, `-`.
    #[arg(long)]
    pub username: String,
    /// The name shown for the user (defaults to the login name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// The id of the user's unit.
    #[arg(long)]
    pub unit_id: uuid::Uuid,
    /// A role (repeat for several): admin, coordinator, officer, analyst, auditor.
    #[arg(long = "role", required = true)]
    pub roles: Vec<Role>,
    /// The highest classification the user may see.
    #[arg(long, default_value = "internal")]
    pub clearance: Classification,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an agency client; prints its id and its secret (shown this once).
    Create(CreateClientArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CreateClientArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// The system's name.
    #[arg(long)]
    pub name: String,
    /// The id of the unit operating the system.
    #[arg(long)]
    pub unit_id: uuid::Uuid,
    /// A granted scope (repeat for several), e.g. `clusters:read`.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<Scope>,
    /// A cluster the client may see (repeat for several).
    #[arg(long = "cluster-id")]
    pub cluster_ids: Vec<uuid::Uuid>,
    /// The highest classification the client may see.
    #[arg(long, default_value = "internal")]
    pub clearance: Classification,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain of the audit trail; exits non-zero at the first broken event.
    Verify(DatabaseArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub server: ServerSettings,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
}
