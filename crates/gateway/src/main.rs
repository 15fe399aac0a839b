//! The `trellis` binary.

use std::process::ExitCode;

use clap::Parser;
use sea_orm::ConnectionTrait;
use sea_orm_migration::MigratorTrait;
use tokio_util::sync::CancellationToken;
use trellis_gateway::{
    App, Config,
    cli::{AdminAction, Cli, Command, MigrateAction},
    config::Environment,
    healthcheck, openapi, telemetry,
};
use trellis_migration::Migrator;

/// glibc's malloc took a fifth of a list request's CPU under load
/// (`just bench-load` with `BENCH_PROFILE=1`); mimalloc's thread-local free
/// lists make the many small allocations of decoding rows and encoding JSON
/// cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    trellis_gateway::allocator::tune();
    // A missing .env is normal; a malformed one is worth knowing about.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("warning: .env was not loaded: {err}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli.command.unwrap_or(Command::Serve)))
}

async fn run(command: Command) -> ExitCode {
    if let Command::Openapi { out } = &command {
        return match openapi::write_all(out) {
            Ok(files) => {
                files.iter().for_each(|f| println!("wrote {f}"));
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!(
                    "error: cannot write the OpenAPI documents to {}: {err}",
                    out.display()
                );
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::from(2);
        }
    };
    if let Command::Healthcheck = command {
        let target = healthcheck::local_target(config.listen.public);
        return match healthcheck::check(target, std::time::Duration::from_secs(3)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(reason) => {
                eprintln!("{reason}");
                ExitCode::FAILURE
            }
        };
    }
    telemetry::init(config.log.format, &config.log.filter);
    let result = match command {
        Command::Serve => serve(config).await,
        Command::Migrate { action } => migrate(config, action).await,
        Command::Admin { action } => admin(config, action).await,
        Command::Openapi { .. } | Command::Healthcheck => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let bound = App::build(config)
        .await
        .map_err(|e| e.to_string())?
        .bind()
        .await
        .map_err(|e| e.to_string())?;
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signal(shutdown.clone()));
    bound.run(shutdown).await.map_err(|e| e.to_string())
}

/// Cancels `shutdown` on SIGINT (Ctrl-C) or SIGTERM (docker stop).
async fn on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
    shutdown.cancel();
}

async fn migrate(config: Config, action: MigrateAction) -> Result<(), String> {
    // One connection: SQLite pragmas below then apply to every statement.
    let options = trellis_kernel::db::DbOptions {
        max_connections: 1,
        ..trellis_kernel::db::DbOptions::default()
    };
    let db = trellis_kernel::db::connect(&config.database.url, &options)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let result = match action {
        MigrateAction::Up { steps } => Migrator::up(&db, steps).await,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await,
        MigrateAction::Status => {
            let migrations = Migrator::get_migration_with_status(&db)
                .await
                .map_err(|e| e.to_string())?;
            for m in migrations {
                println!(
                    "{:<10} {}",
                    format!("{:?}", m.status()).to_lowercase(),
                    m.name()
                );
            }
            Ok(())
        }
        MigrateAction::Fresh { force } => {
            if config.env == Environment::Production && !force {
                return Err(
                    "`migrate fresh` destroys all data; pass --force to do it in production".into(),
                );
            }
            // SQLite refuses to drop a table that another still references
            // while foreign keys are enforced; fresh drops them all anyway.
            let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
            if sqlite {
                db.execute_unprepared("PRAGMA foreign_keys = OFF")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let result = Migrator::fresh(&db).await;
            if sqlite {
                db.execute_unprepared("PRAGMA foreign_keys = ON")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            result
        }
    };
    result.map_err(|e| format!("migration failed: {e}"))
}

async fn admin(config: Config, action: AdminAction) -> Result<(), String> {
    let AdminAction::CreateStaff { email, admin } = action;
    let password = read_password()?;
    let app = App::build(config).await.map_err(|e| e.to_string())?;
    let state = app.state();
    let user = state
        .identity
        .staff
        .create_staff(&state.db, &email, &password, admin)
        .await
        .map_err(|e| match e {
            trellis_identity::Error::Validation(fields) => fields
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "staff account {} ({}) has roles: {}",
        user.email.unwrap_or_default(),
        user.id,
        roles.join(", ")
    );
    Ok(())
}

/// Prompts on a terminal; reads one line from standard input otherwise.
fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Repeat it: ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
