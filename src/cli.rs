//! The command line: `serve` (the default), `migrate`, `seed-demo` and `openapi`.

use clap::{Args, Parser, Subcommand};

use crate::config::{DatabaseSettings, LogSettings, ServerSettings};

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
    /// Print the OpenAPI document to standard output.
    Openapi,
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
