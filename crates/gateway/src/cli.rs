//! The `trellis` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Trellis: the backend of small service businesses and agencies.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the public and internal listeners (the default).
    Serve,
    /// Apply, roll back or inspect database migrations.
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Control-center administration.
    Admin {
        /// The administration action.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Exit 0 if the server configured by TRELLIS_HTTP_ADDR answers /healthz
    /// (for container health checks).
    Healthcheck,
    /// Write the OpenAPI documents (openapi.json/.yaml and internal.json/.yaml).
    Openapi {
        /// Directory to write into.
        #[arg(long, default_value = "openapi")]
        out: PathBuf,
    },
}

/// Migration actions.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up {
        /// How many to apply.
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Roll back the last N migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again. Destroys all data.
    Fresh {
        /// Required when TRELLIS_ENV=production.
        #[arg(long)]
        force: bool,
    },
}

/// Administration actions.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a staff account (or make an existing account staff and set its
    /// password). The password is prompted for, or read from standard input
    /// when it is not a terminal.
    CreateStaff {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// Also grant the admin role (may change roles and settings).
        #[arg(long)]
        admin: bool,
    },
}
