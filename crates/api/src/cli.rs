//! The `kim` command. Every failure ends with one line on stderr and a non-zero exit code.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kim_domain::{Role, Scope};
use kim_store::audit::Actor;
use kim_store::connection::{connect_pool, PoolOptions};
use kim_store::partner_tokens::TokenFilter;
use kim_store::users::NewUser;
use kim_store::{migrations, DbConn, DbPool, StoreError};

use crate::config::process_env;
use crate::server::{self, AppState};
use crate::{auth, openapi, seed, telemetry};

#[derive(Parser)]
#[command(name = "kim", version, about = "KIM API: Kommunales Integrationsmanagement backend", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve the API (configuration from the environment).
    Serve,
    /// Apply pending migrations to DATABASE_URL and exit.
    Migrate,
    /// Load data into the database.
    Seed {
        /// The demo county: 19 municipalities, the concept's actors, one account per role
        /// (password "demo-password"). Idempotent.
        #[arg(long)]
        demo: bool,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage partner tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Apply the retention rules (Löschfristen).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Print the OpenAPI document (JSON).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// One of: admin, ki_lead, coordinator, cm_coordinator, case_manager, steering_member,
        /// project_group_member, analyst, immigration_officer, data_protection_officer.
        #[arg(long)]
        role: String,
        /// Shown name; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        organisation_id: Option<i64>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Apply every rule now, in batches, and print per rule how many records it touched.
    Run {
        /// Count what would be touched and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a partner token and print its secret (shown once).
    Issue {
        #[arg(long)]
        organisation_id: i64,
        /// What the token is for, e.g. "Jobcenter case system".
        #[arg(long)]
        name: String,
        /// A scope: referrals:read, referrals:write, reports:read. Repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Lifetime in days.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
    /// List partner tokens (never their secrets).
    List {
        /// Include revoked and expired tokens.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a partner token by id; it is refused from the next request on.
    Revoke { id: i64 },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kim: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve => serve(),
        Command::Migrate => {
            let pool = open_database()?;
            let applied = migrate(&pool)?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none pending".into()
                } else {
                    applied.join(", ")
                }
            );
            Ok(())
        }
        Command::Seed { demo } => {
            if !demo {
                return Err("say what to seed: `kim seed --demo`".into());
            }
            let pool = open_database()?;
            migrate(&pool)?;
            let hash = auth::password::hash(seed::DEMO_PASSWORD)?;
            let report = in_transaction(&pool, |conn| seed::demo(conn, &hash))?;
            println!(
                "demo data: {} municipalities, {} organisations, {} users created (existing ones kept)",
                report.municipalities_created, report.organisations_created, report.users_created
            );
            for (kind, created) in &report.steering_created {
                println!("demo data: {created} {kind} created");
            }
            match in_transaction(&pool, seed::demo_partner_token)? {
                Some(issued) => {
                    println!(
                        "demo partner token for {} (scopes {}), shown once:",
                        seed::DEMO_PARTNER,
                        Scope::join(&issued.token.scopes)
                    );
                    println!("{}", issued.secret);
                }
                None => println!(
                    "demo partner token for {}: already issued (revoke it with `kim token revoke` and seed again for a new one)",
                    seed::DEMO_PARTNER
                ),
            }
            println!(
                "demo logins (password \"{}\"): {}",
                seed::DEMO_PASSWORD,
                Role::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    display_name,
                    organisation_id,
                    password_stdin: _,
                },
        } => {
            let role = Role::parse(&role).map_err(|e| format!("--role: {e}"))?;
            kim_domain::text::check_username(&username).map_err(|e| format!("--username {e}"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("cannot read password from stdin: {e}"))?;
            let password = password.trim_end_matches(['\n', '\r']);
            kim_domain::text::check_password(password).map_err(|e| format!("password {e}"))?;
            let pool = open_database()?;
            migrate(&pool)?;
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                organisation_id,
                active: true,
                password_hash: auth::password::hash(password)?,
            };
            let user = in_transaction(&pool, |conn| {
                kim_store::users::insert(conn, &Actor::system(), &new)
            })?;
            println!(
                "created user {} (id {}, role {})",
                user.username, user.id, user.role
            );
            Ok(())
        }
        Command::Token { command } => token(command),
        Command::Retention {
            command: RetentionCommand::Run { dry_run },
        } => {
            let pool = open_database()?;
            migrate(&pool)?;
            let report =
                crate::retention_job::run_now(&pool, dry_run).map_err(|e| e.to_string())?;
            if dry_run {
                println!("retention dry run: nothing was changed");
            }
            for line in crate::retention_job::describe(&report) {
                println!("{line}");
            }
            Ok(())
        }
        Command::Openapi { output } => {
            let json =
                openapi::document_json().map_err(|e| format!("cannot render OpenAPI: {e}"))?;
            match output {
                Some(path) => std::fs::write(&path, json)
                    .map_err(|e| format!("cannot write {}: {e}", path.display())),
                None => {
                    print!("{json}");
                    Ok(())
                }
            }
        }
    }
}

fn token(command: TokenCommand) -> Result<(), String> {
    let pool = open_database()?;
    migrate(&pool)?;
    match command {
        TokenCommand::Issue {
            organisation_id,
            name,
            scopes,
            days,
        } => {
            let scopes = Scope::parse_list(&scopes).map_err(|e| format!("--scope: {e}"))?;
            if !(1..=3650).contains(&days) {
                return Err("--days must be between 1 and 3650".into());
            }
            let issued = in_transaction(&pool, |conn| {
                crate::routes::partner_tokens::issue_in(
                    conn,
                    &Actor::system(),
                    name,
                    organisation_id,
                    scopes,
                    days,
                )
            })?;
            println!(
                "issued partner token {} for organisation {} (expires {})",
                issued.token.id,
                organisation_id,
                issued.token.expires_at.to_rfc3339()
            );
            println!("secret (shown once; send as `Authorization: Bearer <secret>`):");
            println!("{}", issued.secret);
            Ok(())
        }
        TokenCommand::List { all } => {
            let filter = TokenFilter {
                organisation_id: None,
                include_inactive: all,
            };
            let page = kim_domain::paging::PageRequest {
                limit: kim_domain::paging::MAX_LIMIT,
                offset: 0,
            };
            let listed = in_transaction(&pool, |conn| {
                kim_store::partner_tokens::list(conn, &filter, page)
            })?;
            println!(
                "{:>5}  {:<14} {:>6}  {:<40} {:<25} status",
                "id", "prefix", "org", "scopes", "expires"
            );
            for t in listed.items {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= chrono::Utc::now() {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:>5}  {:<14} {:>6}  {:<40} {:<25} {status}",
                    t.id,
                    t.token_prefix,
                    t.organisation_id,
                    Scope::join(&t.scopes),
                    t.expires_at.to_rfc3339()
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            let token = in_transaction(&pool, |conn| {
                kim_store::partner_tokens::revoke(conn, &Actor::system(), id)
            })?;
            println!("revoked partner token {} ({})", token.id, token.name);
            Ok(())
        }
    }
}

fn open_database() -> Result<DbPool, String> {
    let url = process_env().database_url().map_err(|e| e.to_string())?;
    connect_pool(&url, PoolOptions::default())
}

fn migrate(pool: &DbPool) -> Result<Vec<String>, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    migrations::run_pending(&mut conn).map_err(|e| e.to_string())
}

fn in_transaction<T>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
) -> Result<T, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    kim_store::connection::transaction(&mut conn, f).map_err(|e| match e {
        StoreError::UnknownReference { field, message } => format!("{field}: {message}"),
        StoreError::Duplicate { field } => format!("{} already exists", field.unwrap_or("object")),
        StoreError::NotFound => "not found".into(),
        other => other.to_string(),
    })
}

fn serve() -> Result<(), String> {
    let env = process_env();
    let config = env.config().map_err(|e| e.to_string())?;
    telemetry::init(config.log_format);
    let pool = connect_pool(
        &config.database_url,
        PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
    )?;
    let applied = migrate(&pool)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    crate::retention_job::spawn_daily(pool.clone(), config.retention_hour)
        .map_err(|e| format!("cannot start the daily retention run: {e}"))?;
    tracing::info!(
        hour = config.retention_hour,
        "retention rules run daily at this hour (UTC)"
    );
    let db = crate::db::Db::new(pool, config.database_url.backend());
    let state = actix_web::web::Data::new(AppState::new(&config, db));
    let listener = std::net::TcpListener::bind(config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    tracing::info!(address = %config.bind, database = config.database_url.backend().as_str(), "serving");
    println!(
        "KIM API on http://{}  (Swagger UI: http://{}/swagger-ui/)",
        config.bind, config.bind
    );
    actix_web::rt::System::new()
        .block_on(async move { server::build(&config, state, listener)?.await })
        .map_err(|e| format!("server failed: {e}"))
}
