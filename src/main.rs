use std::process::ExitCode;

use clap::Parser;
use lienket::auth::keys;
use lienket::cli::{AuditCommand, Cli, ClientCommand, Command, CreateClientArgs, CreateUserArgs, SeedBenchArgs, ServeArgs, UserCommand};
use lienket::config::{DatabaseSettings, DemoMode};
use lienket::startup::{Application, SWAGGER_PATH, openapi_document};
use lienket::{admin, config, db, seed, telemetry};

#[actix_web::main]
async fn main() -> ExitCode {
    let config_file = match config::load_config_file() {
        Ok(file) => file,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse();
    if let Err(e) = telemetry::init(&cli.log) {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    std::panic::set_hook(Box::new(|info| tracing::error!(panic = %info, "panic")));
    if let Some(file) = config_file {
        tracing::info!(file = %file.display(), "configuration file loaded");
    }
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => migrate(&args.database).await,
        Some(Command::SeedDemo(args)) => seed_demo(&args.database).await,
        Some(Command::SeedBench(args)) => seed_bench(args).await,
        Some(Command::User(UserCommand::Create(args))) => create_user(args).await,
        Some(Command::Client(ClientCommand::Create(args))) => create_client(args).await,
        Some(Command::Audit(AuditCommand::Verify(args))) => verify_audit(&args.database).await,
        Some(Command::Openapi) => openapi_document()
            .to_pretty_json()
            .map(|json| println!("{json}"))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped with an error");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let db = db::connect(&args.database)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut server = args.server;
    let auth = &mut server.auth;
    if server.demo == DemoMode::Auto
        && auth.jwt_signing_key_file.is_none()
        && auth.jwt_signing_key.as_deref().is_none_or(|k| k.trim().is_empty())
    {
        auth.jwt_signing_key = Some(keys::demo_signing_key(&args.database.data_dir)?);
    }
    let bind = server.bind;
    let app = Application::build(db, server).await?;
    if let Some(credentials) = app.demo_credentials() {
        println!("{credentials}");
    }
    let base = format!("http://{}:{}", bind.ip(), app.port());
    tracing::info!(
        database = if args.database.is_embedded() {
            "embedded SQLite"
        } else {
            "DATABASE_URL"
        },
        "Liên Kết listening on {base} — Swagger UI: {base}{SWAGGER_PATH}"
    );
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn migrate(settings: &DatabaseSettings) -> Result<(), String> {
    let db = db::connect(settings).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&db).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn seed_demo(settings: &DatabaseSettings) -> Result<(), String> {
    let db = db::connect(settings).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&db).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    let loaded = seed::load_demo_if_empty(&db)
        .await
        .map_err(|e| format!("cannot load the demo data: {e}"))?;
    match loaded {
        Some(credentials) => {
            tracing::info!("demo data loaded");
            println!("{credentials}");
        }
        None => tracing::info!("demo data not loaded: the database already holds records"),
    }
    Ok(())
}

async fn seed_bench(args: SeedBenchArgs) -> Result<(), String> {
    let db = open(&args.database).await?;
    let started = std::time::Instant::now();
    let summary = seed::bench::load(&db, args.scale, args.seed)
        .await
        .map_err(|e| format!("cannot load the bench data set: {e}"))?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), counts = ?summary.counts, "bench data set loaded");
    let json = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}

async fn open(settings: &DatabaseSettings) -> Result<sea_orm::DatabaseConnection, String> {
    let db = db::connect(settings).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&db).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(db)
}

async fn create_user(args: CreateUserArgs) -> Result<(), String> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let db = open(&args.database).await?;
    let username = args.username.clone();
    let (id, generated) = admin::create_user(&db, args, password).await?;
    println!("user {username} created: id={id}");
    if let Some(password) = generated {
        println!("password={password}");
    }
    Ok(())
}

async fn create_client(args: CreateClientArgs) -> Result<(), String> {
    let db = open(&args.database).await?;
    let (id, secret) = admin::create_client(&db, args).await?;
    println!("client_id={id}");
    println!("client_secret={secret}");
    Ok(())
}

async fn verify_audit(settings: &DatabaseSettings) -> Result<(), String> {
    let db = open(settings).await?;
    let events = admin::verify_audit(&db).await?;
    println!("the audit trail is intact: {events} events");
    Ok(())
}
