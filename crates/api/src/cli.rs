//! The `kim` command. Every failure ends with one line on stderr and a non-zero exit code.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kim_domain::{Role, Scope};
use kim_store::audit::Actor;
use kim_store::connection::{connect_pool, writer_pool_size, PoolOptions};
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
        /// Add N fictional cases (default 100000) with clients, consents, referrals, goals,
        /// contacts and status histories over the five years up to --until; seeds the demo
        /// data first when it is missing. For volume tests and benchmarks only.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "100000")]
        synthetic: Option<u64>,
        /// Random seed of --synthetic: the same seed and --until give the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Last day of the synthetic five years (YYYY-MM-DD); default today.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
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
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the OpenAPI document (JSON).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Also write the partner document (only what partner tokens may call) to this file.
        #[arg(long)]
        partner_output: Option<std::path::PathBuf>,
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
enum AuditCommand {
    /// Walk the audit trail's hash chain and recompute every hash; prints how many events were
    /// checked and exits non-zero naming the first event whose hash does not match.
    Verify,
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

/// `kim audit verify`: the report to print (how many events were checked, the head), and `Err`
/// naming the first event whose hash does not match (the command then exits non-zero).
pub fn audit_verify(conn: &mut DbConn) -> (String, Result<(), String>) {
    let result = match kim_store::audit::verify(conn) {
        Ok(result) => result,
        Err(e) => return (String::new(), Err(format!("cannot verify: {e}"))),
    };
    let report = format!(
        "audit trail: {} events checked, {} not yet sealed, chain starts after {}, head {} {}",
        result.checked,
        result.unsealed,
        result.anchor_seq.unwrap_or(0),
        result.head.seq,
        result.head.hash
    );
    let outcome = match result.first_broken {
        None => Ok(()),
        Some(broken) => Err(format!(
            "audit trail broken at event {} (chain seq {}): {}",
            broken.id, broken.chain_seq, broken.reason
        )),
    };
    (report, outcome)
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
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let pool = open_database()?;
            migrate(&pool)?;
            let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
            let (report, outcome) = audit_verify(&mut conn);
            println!("{report}");
            outcome
        }
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
        Command::Seed {
            demo,
            synthetic,
            seed,
            until,
        } => {
            if let Some(count) = synthetic {
                return seed_synthetic(count, seed, until);
            }
            if !demo {
                return Err(
                    "say what to seed: `kim seed --demo` or `kim seed --synthetic N`".into(),
                );
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
            match in_transaction(&pool, seed::contributors::demo_contributor_token)? {
                Some(issued) => {
                    println!(
                        "demo contributor token for {} (scopes {}; member of the Kita project group), shown once:",
                        seed::contributors::DEMO_CONTRIBUTOR,
                        Scope::join(&issued.token.scopes)
                    );
                    println!("{}", issued.secret);
                }
                None => println!(
                    "demo contributor token for {}: already issued",
                    seed::contributors::DEMO_CONTRIBUTOR
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
                must_change_password: false,
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
        Command::Openapi {
            output,
            partner_output,
        } => {
            if let Some(path) = partner_output {
                let json = openapi::partner_document_json()
                    .map_err(|e| format!("cannot render the partner document: {e}"))?;
                std::fs::write(&path, json)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
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

/// Synthetic case managers the cases are spread over (the demo county has one).
const SYNTHETIC_CASE_MANAGERS: usize = 24;

fn seed_synthetic(count: u64, seed: u64, until: Option<chrono::NaiveDate>) -> Result<(), String> {
    use seed::synthetic::{Cursor, Generator, BATCH_CASES};
    let pool = open_database()?;
    migrate(&pool)?;
    let hash = auth::password::hash(seed::DEMO_PASSWORD)?;
    in_transaction(&pool, |conn| seed::demo(conn, &hash))?;
    in_transaction(&pool, |conn| {
        seed::synthetic_case_managers(conn, &hash, SYNTHETIC_CASE_MANAGERS)
    })?;
    let reference = in_transaction(&pool, kim_store::synthetic::reference)?;
    let until = until.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut generator = Generator::new(seed, reference, until)?;

    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(count);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} cases ({per_sec}, {eta} left)",
        )
        .map_err(|e| e.to_string())?
        .progress_chars("=> "),
    );
    let mut left = count;
    while left > 0 {
        let n = left.min(BATCH_CASES as u64);
        in_transaction(&pool, |conn| {
            let mut cursor = Cursor::read(conn)?;
            let rows = generator.batch(n as usize, &mut cursor);
            kim_store::synthetic::insert(conn, &rows)
        })?;
        left -= n;
        bar.inc(n);
    }
    in_transaction(&pool, |conn| {
        seed::synthetic::finish(conn)?;
        kim_store::audit::record(conn, &Actor::system(), "seed.synthetic", "case", None)
    })?;
    bar.finish();
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    kim_store::synthetic::refresh_statistics(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "synthetic data: {count} cases (seed {seed}, five years up to {until}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
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
                    crate::routes::partner_tokens::Issuer::Operator,
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
                println!(
                    "{:>5}  {:<14} {:>6}  {:<40} {:<25} {}",
                    t.id,
                    t.token_prefix,
                    t.organisation_id,
                    Scope::join(&t.scopes),
                    t.expires_at.to_rfc3339(),
                    t.status
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
    if config.development {
        tracing::warn!(
            "development mode (KIM_DEVELOPMENT=true): the published development signing key and \
             short keys are accepted; never run like this with real data"
        );
    }
    let pool = connect_pool(
        &config.database_url,
        PoolOptions {
            max_size: writer_pool_size(config.database_url.backend(), config.pool_size),
            connection_timeout: config.pool_timeout,
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
    let db =
        crate::db::Db::with_options(pool, &config.database_url, config.pool_size, config.audit);
    let state = actix_web::web::Data::new(AppState::new(&config, db));
    server::seed_default_intake_rule(&state);
    let on_shutdown = state.clone();
    let listener = std::net::TcpListener::bind(config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let metrics_listener = config
        .metrics_bind
        .map(|address| {
            std::net::TcpListener::bind(address)
                .map_err(|e| format!("cannot listen on {address} (KIM_METRICS_BIND): {e}"))
        })
        .transpose()?;
    if let Some(address) = config.metrics_bind {
        tracing::info!(%address, "serving metrics");
        println!("Metrics on http://{address}/metrics");
    }
    let metrics = state.metrics.clone();
    let (webhook_db, webhook_settings) = (state.db.clone(), config.webhooks.clone());
    let grace = config.shutdown_grace;
    tracing::info!(address = %config.bind, database = config.database_url.backend().as_str(), "serving");
    println!(
        "KIM API on http://{}  (Swagger UI: http://{}/swagger-ui/)",
        config.bind, config.bind
    );
    let served = actix_web::rt::System::new()
        .block_on(async move {
            // The metrics listener ignores signals and stops after the API server has.
            let metrics = metrics_listener
                .map(|listener| crate::metrics::spawn(metrics, listener))
                .transpose()?;
            // Delivers webhooks beside the server; stopped once the server has stopped, so a
            // graceful shutdown ends it too (an attempt cut off is sent again after restart).
            let webhooks = crate::webhook::Worker::start(webhook_db, webhook_settings);
            let served = server::build(&config, state, listener)?.await;
            webhooks.stop(grace).await;
            if let Some(handle) = metrics {
                handle.stop(true).await;
            }
            served
        })
        .map_err(|e| format!("server failed: {e}"));
    on_shutdown.db.optimize();
    served
}
