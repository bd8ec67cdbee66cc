//! Configuration from environment variables. Every variable is listed in `.env.example` and
//! README; an invalid value stops start-up with one line naming the variable.
//!
//! One file on purpose (about 520 lines, the rest their tests): every variable is read and checked
//! in one place, so one file answers what the server can be told.

use std::net::SocketAddr;

use chrono::Duration;
use kim_domain::login_throttle::ThrottlePolicy;
use kim_store::DatabaseUrl;

use crate::telemetry::LogFormat;

/// The default database when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "kim.db";
/// HMAC-SHA256 keys shorter than the hash output weaken it (RFC 7518 §3.2).
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// The signing key the Makefile publishes for `make run`: anyone who reads the repository can
/// sign tokens with it, so `kim serve` refuses it unless `KIM_DEVELOPMENT=true`.
pub const PUBLISHED_DEV_JWT_SECRET: &str = "dev-only-secret-change-me-0123456789abcdef";

/// A secret value whose `Debug` output reveals nothing, so it cannot leak into logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub secret: Secret,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Started for development explicitly (`KIM_DEVELOPMENT=true`, as `make run` does): the
    /// published development key and short keys are accepted.
    pub development: bool,
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub pool_size: u32,
    /// The longest a request waits for a database connection before it is answered 503
    /// (`KIM_DB_POOL_TIMEOUT_SECONDS`).
    pub pool_timeout: std::time::Duration,
    /// How long a stopping server (SIGTERM) lets requests in flight finish before it closes
    /// their connections (`KIM_SHUTDOWN_GRACE_SECONDS`).
    pub shutdown_grace: std::time::Duration,
    pub jwt: JwtSettings,
    pub login: ThrottlePolicy,
    pub cors_origins: Vec<String>,
    pub json_limit_bytes: usize,
    pub log_format: LogFormat,
    pub workers: Option<usize>,
    /// The longest lifetime an administrator may give a partner token.
    pub partner_token_max_days: i64,
    /// Who may be taken on as a case without a written justification: the seed of the default
    /// intake rule, written on the first start when the database holds none (`kim_store::intake_rules::ensure_default`).
    pub intake_rule: kim_domain::eligibility::EligibilityRule,
    /// How many days before today a case's `opened_on` may lie (`KIM_CASE_BACKDATE_MAX_DAYS`).
    pub case_backdate_max_days: u32,
    /// How long a stored response to an `Idempotency-Key` is replayed
    /// (`KIM_IDEMPOTENCY_TTL_HOURS`); an older key is processed afresh.
    pub idempotency_ttl: Duration,
    /// Threads hashing passwords; each holds argon2's 19 MiB of working memory.
    pub password_threads: usize,
    /// Password checks that may wait or run at once; more are refused with 503.
    pub password_queue: usize,
    /// Login attempts (both login endpoints) one client address may make per minute.
    pub login_per_address_per_minute: u32,
    /// Where the client address for that limit comes from.
    pub client_address: ClientAddress,
    /// Distinct reporting positions that let the CM coordination escalate a gap without a
    /// written justification.
    pub gap_escalation_threshold: u32,
    /// The hour of the day (UTC) at which the server runs the retention rules.
    pub retention_hour: u32,
    /// The smallest count a report shows (`KIM_REPORT_MIN_CELL`); smaller ones are withheld.
    pub report_min_cell: u64,
    /// Group commit of audit events (`KIM_AUDIT_BATCH_SIZE`, `KIM_AUDIT_BATCH_WAIT_MS`).
    pub audit: crate::appender::AppenderOptions,
    /// Where Prometheus metrics are served (`KIM_METRICS_BIND`): a listener of their own, never
    /// the API's; `None` serves no metrics at all.
    pub metrics_bind: Option<SocketAddr>,
    /// Webhook delivery (`KIM_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
}

/// How webhooks are checked and delivered (issue 15 item 2).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK` and `KIM_WEBHOOK_ALLOWED_HOSTS`.
    pub policy: kim_domain::webhook::UrlPolicy,
    /// `KIM_WEBHOOK_TIMEOUT_SECONDS`: the longest one delivery (connect, send, answer) takes.
    pub timeout: std::time::Duration,
    /// `KIM_WEBHOOK_POLL_MILLIS`: how often the worker looks for new events and due retries.
    pub poll: std::time::Duration,
    /// `KIM_WEBHOOK_RETRY_BASE_MILLIS`: the first retry step; the schedule scales with it.
    pub retry_base: std::time::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            policy: kim_domain::webhook::UrlPolicy::default(),
            timeout: std::time::Duration::from_secs(10),
            poll: std::time::Duration::from_secs(1),
            retry_base: kim_domain::webhook::DEFAULT_RETRY_BASE,
        }
    }
}

/// Where the client's address is read from (`KIM_CLIENT_ADDRESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddress {
    /// The TCP peer: right when clients connect directly.
    Peer,
    /// The `Forwarded` / `X-Forwarded-For` header: right only behind a reverse proxy that sets
    /// it (and strips what clients send), otherwise clients could pick their own address.
    Forwarded,
}

/// One bad variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// Reads variables through `lookup`, so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        accepted: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| bad(name, format!("must be {accepted}, got '{raw}'"))),
        }
    }

    pub fn database_url(&self) -> Result<DatabaseUrl, ConfigError> {
        let raw = self
            .get("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        DatabaseUrl::parse(&raw).map_err(|e| bad("DATABASE_URL", e))
    }

    pub fn log_format(&self) -> Result<LogFormat, ConfigError> {
        match self.get("KIM_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(bad(
                "KIM_LOG_FORMAT",
                format!("must be 'text' or 'json', got '{other}'"),
            )),
        }
    }

    pub fn config(&self) -> Result<Config, ConfigError> {
        let secret = self.get("KIM_JWT_SECRET").ok_or_else(|| {
            bad("KIM_JWT_SECRET", format!("is required: a random string of at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"))
        })?;
        let development: bool = self.parsed("KIM_DEVELOPMENT", false, "true or false")?;
        if secret == PUBLISHED_DEV_JWT_SECRET && !development {
            return Err(bad(
                "KIM_JWT_SECRET",
                "is the development key published in the Makefile: generate your own \
                 (`openssl rand -hex 32`), or set KIM_DEVELOPMENT=true on a developer machine",
            ));
        }
        if secret.len() < MIN_JWT_SECRET_BYTES && !development {
            return Err(bad(
                "KIM_JWT_SECRET",
                format!(
                    "must be at least {MIN_JWT_SECRET_BYTES} bytes long, got {}",
                    secret.len()
                ),
            ));
        }
        let ttl_seconds: i64 =
            self.parsed("KIM_ACCESS_TOKEN_TTL_SECONDS", 900, "a number of seconds")?;
        if !(60..=86_400).contains(&ttl_seconds) {
            return Err(bad(
                "KIM_ACCESS_TOKEN_TTL_SECONDS",
                "must be between 60 and 86400",
            ));
        }
        let max_failures: u32 = self.parsed("KIM_LOGIN_MAX_FAILURES", 5, "a positive integer")?;
        if max_failures == 0 {
            return Err(bad("KIM_LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        let lockout_seconds: i64 =
            self.parsed("KIM_LOGIN_LOCKOUT_SECONDS", 300, "a number of seconds")?;
        if lockout_seconds < 1 {
            return Err(bad("KIM_LOGIN_LOCKOUT_SECONDS", "must be at least 1"));
        }
        let pool_size: u32 = self.parsed("KIM_DB_POOL_SIZE", 8, "a positive integer")?;
        if pool_size == 0 {
            return Err(bad("KIM_DB_POOL_SIZE", "must be at least 1"));
        }
        let pool_timeout_seconds: u64 =
            self.parsed("KIM_DB_POOL_TIMEOUT_SECONDS", 3, "a number of seconds")?;
        if !(1..=60).contains(&pool_timeout_seconds) {
            return Err(bad(
                "KIM_DB_POOL_TIMEOUT_SECONDS",
                "must be between 1 and 60",
            ));
        }
        let shutdown_grace_seconds: u64 =
            self.parsed("KIM_SHUTDOWN_GRACE_SECONDS", 10, "a number of seconds")?;
        if shutdown_grace_seconds > 3_600 {
            return Err(bad(
                "KIM_SHUTDOWN_GRACE_SECONDS",
                "must be between 0 and 3600",
            ));
        }
        let json_limit_bytes: usize =
            self.parsed("KIM_JSON_LIMIT_BYTES", 64 * 1024, "a number of bytes")?;
        if json_limit_bytes < 1024 {
            return Err(bad("KIM_JSON_LIMIT_BYTES", "must be at least 1024"));
        }
        let workers = match self.get("KIM_WORKERS") {
            None => None,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(bad(
                        "KIM_WORKERS",
                        format!("must be a positive integer, got '{raw}'"),
                    ))
                }
            },
        };
        let partner_token_max_days: i64 =
            self.parsed("KIM_PARTNER_TOKEN_MAX_DAYS", 365, "a number of days")?;
        if partner_token_max_days < 1 {
            return Err(bad("KIM_PARTNER_TOKEN_MAX_DAYS", "must be at least 1"));
        }
        let cors_origins = self
            .get("KIM_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let cors_origins: Vec<String> = cors_origins;
        if let Some(origin) = cors_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(bad(
                "KIM_CORS_ORIGINS",
                format!("entries must start with http:// or https://, got '{origin}'"),
            ));
        }
        let max_years: u32 =
            self.parsed("KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL", 3, "a number of years")?;
        if !(1..=50).contains(&max_years) {
            return Err(bad(
                "KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL",
                "must be between 1 and 50",
            ));
        }
        let exclude_other: bool = self.parsed(
            "KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT",
            true,
            "true or false",
        )?;
        let case_backdate_max_days: u32 =
            self.parsed("KIM_CASE_BACKDATE_MAX_DAYS", 31, "a number of days")?;
        if case_backdate_max_days > 36_500 {
            return Err(bad(
                "KIM_CASE_BACKDATE_MAX_DAYS",
                "must be between 0 and 36500",
            ));
        }
        let idempotency_ttl_hours: i64 =
            self.parsed("KIM_IDEMPOTENCY_TTL_HOURS", 24, "a number of hours")?;
        if !(1..=720).contains(&idempotency_ttl_hours) {
            return Err(bad(
                "KIM_IDEMPOTENCY_TTL_HOURS",
                "must be between 1 and 720",
            ));
        }
        let password_threads: usize =
            self.parsed("KIM_PASSWORD_THREADS", 1, "a number of threads")?;
        if !(1..=64).contains(&password_threads) {
            return Err(bad("KIM_PASSWORD_THREADS", "must be between 1 and 64"));
        }
        let password_queue: usize =
            self.parsed("KIM_PASSWORD_QUEUE", 32, "a number of password checks")?;
        if !(1..=10_000).contains(&password_queue) {
            return Err(bad("KIM_PASSWORD_QUEUE", "must be between 1 and 10000"));
        }
        let login_per_address_per_minute: u32 = self.parsed(
            "KIM_LOGIN_PER_ADDRESS_PER_MINUTE",
            30,
            "a number of attempts per minute",
        )?;
        if !(1..=1_000_000).contains(&login_per_address_per_minute) {
            return Err(bad(
                "KIM_LOGIN_PER_ADDRESS_PER_MINUTE",
                "must be between 1 and 1000000",
            ));
        }
        let client_address = match self.get("KIM_CLIENT_ADDRESS").as_deref().map(str::trim) {
            None | Some("peer") => ClientAddress::Peer,
            Some("forwarded") => ClientAddress::Forwarded,
            Some(other) => {
                return Err(bad(
                    "KIM_CLIENT_ADDRESS",
                    format!("must be 'peer' or 'forwarded', got '{other}'"),
                ))
            }
        };
        let gap_escalation_threshold: u32 =
            self.parsed("KIM_GAP_ESCALATION_THRESHOLD", 2, "a number of positions")?;
        if !(1..=50).contains(&gap_escalation_threshold) {
            return Err(bad(
                "KIM_GAP_ESCALATION_THRESHOLD",
                "must be between 1 and 50",
            ));
        }
        let retention_hour: u32 = self.parsed("KIM_RETENTION_HOUR", 2, "an hour of the day")?;
        let retention_hour = kim_domain::retention::check_run_hour(retention_hour)
            .map_err(|problem| bad("KIM_RETENTION_HOUR", problem))?;
        let report_min_cell: u64 = self.parsed(
            "KIM_REPORT_MIN_CELL",
            kim_domain::report::disclosure::DEFAULT_MIN_CELL,
            "a positive integer",
        )?;
        if !(1..=100).contains(&report_min_cell) {
            return Err(bad("KIM_REPORT_MIN_CELL", "must be between 1 and 100"));
        }
        let bind = self.parsed(
            "KIM_BIND",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "host:port, e.g. 127.0.0.1:8080",
        )?;
        let metrics_bind = self.metrics_bind(bind)?;
        let webhooks = self.webhooks()?;
        Ok(Config {
            webhooks,
            metrics_bind,
            report_min_cell,
            retention_hour,
            development,
            password_threads,
            password_queue,
            login_per_address_per_minute,
            client_address,
            gap_escalation_threshold,
            intake_rule: kim_domain::eligibility::EligibilityRule {
                max_years_since_arrival: max_years,
                exclude_other_case_management: exclude_other,
            },
            case_backdate_max_days,
            idempotency_ttl: Duration::hours(idempotency_ttl_hours),
            audit: self.audit()?,
            bind,
            database_url: self.database_url()?,
            pool_size,
            pool_timeout: std::time::Duration::from_secs(pool_timeout_seconds),
            shutdown_grace: std::time::Duration::from_secs(shutdown_grace_seconds),
            jwt: JwtSettings {
                secret: Secret::new(secret),
                issuer: self
                    .get("KIM_JWT_ISSUER")
                    .unwrap_or_else(|| "kim-api".into()),
                audience: self.get("KIM_JWT_AUDIENCE").unwrap_or_else(|| "kim".into()),
                ttl: Duration::seconds(ttl_seconds),
            },
            login: ThrottlePolicy {
                max_failures,
                lockout: Duration::seconds(lockout_seconds),
            },
            cors_origins,
            json_limit_bytes,
            log_format: self.log_format()?,
            workers,
            partner_token_max_days,
        })
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// `KIM_METRICS_BIND`: unset, no metrics; set, an address that cannot be the API's own
    /// (the metrics must not be reachable where API clients are).
    fn metrics_bind(&self, api: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
        let Some(raw) = self.get("KIM_METRICS_BIND") else {
            return Ok(None);
        };
        let address: SocketAddr = raw.trim().parse().map_err(|_| {
            bad(
                "KIM_METRICS_BIND",
                format!("must be host:port, e.g. 127.0.0.1:9464, got '{raw}'"),
            )
        })?;
        let same_interface =
            address.ip() == api.ip() || address.ip().is_unspecified() || api.ip().is_unspecified();
        if address.port() != 0 && address.port() == api.port() && same_interface {
            return Err(bad(
                "KIM_METRICS_BIND",
                format!("must not be the API's address (KIM_BIND={api}): metrics get a listener of their own"),
            ));
        }
        Ok(Some(address))
    }

    fn webhooks(&self) -> Result<WebhookSettings, ConfigError> {
        let defaults = WebhookSettings::default();
        let allow_http_loopback: bool =
            self.parsed("KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK", false, "true or false")?;
        let allowed_hosts = self.get("KIM_WEBHOOK_ALLOWED_HOSTS").unwrap_or_default();
        let timeout: u64 = self.parsed(
            "KIM_WEBHOOK_TIMEOUT_SECONDS",
            defaults.timeout.as_secs(),
            "a number of seconds",
        )?;
        if !(1..=60).contains(&timeout) {
            return Err(bad(
                "KIM_WEBHOOK_TIMEOUT_SECONDS",
                "must be between 1 and 60",
            ));
        }
        let poll: u64 = self.parsed(
            "KIM_WEBHOOK_POLL_MILLIS",
            defaults.poll.as_millis() as u64,
            "a number of milliseconds",
        )?;
        if !(10..=60_000).contains(&poll) {
            return Err(bad(
                "KIM_WEBHOOK_POLL_MILLIS",
                "must be between 10 and 60000",
            ));
        }
        let retry_base: u64 = self.parsed(
            "KIM_WEBHOOK_RETRY_BASE_MILLIS",
            defaults.retry_base.as_millis() as u64,
            "a number of milliseconds",
        )?;
        if !(1..=600_000).contains(&retry_base) {
            return Err(bad(
                "KIM_WEBHOOK_RETRY_BASE_MILLIS",
                "must be between 1 and 600000",
            ));
        }
        Ok(WebhookSettings {
            policy: kim_domain::webhook::UrlPolicy::new(allow_http_loopback, &allowed_hosts),
            timeout: std::time::Duration::from_secs(timeout),
            poll: std::time::Duration::from_millis(poll),
            retry_base: std::time::Duration::from_millis(retry_base),
        })
    }

    fn audit(&self) -> Result<crate::appender::AppenderOptions, ConfigError> {
        let defaults = crate::appender::AppenderOptions::default();
        let batch_size: usize = self.parsed(
            "KIM_AUDIT_BATCH_SIZE",
            defaults.batch_size,
            "a positive integer",
        )?;
        if batch_size == 0 || batch_size > 10_000 {
            return Err(bad("KIM_AUDIT_BATCH_SIZE", "must be between 1 and 10000"));
        }
        let wait_ms: u64 = self.parsed(
            "KIM_AUDIT_BATCH_WAIT_MS",
            defaults.max_wait.as_millis() as u64,
            "a number of milliseconds",
        )?;
        if wait_ms > 1_000 {
            return Err(bad("KIM_AUDIT_BATCH_WAIT_MS", "must be at most 1000"));
        }
        Ok(crate::appender::AppenderOptions {
            batch_size,
            max_wait: std::time::Duration::from_millis(wait_ms),
            ..defaults
        })
    }
}

/// The process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|name: &str| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env(move |name: &str| map.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_with_only_a_secret() {
        let config = env(&[("KIM_JWT_SECRET", SECRET)]).config().expect("valid");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url.backend(), kim_store::Backend::Sqlite);
        assert_eq!(config.login.max_failures, 5);
        assert_eq!(config.jwt.ttl, Duration::seconds(900));
        assert_eq!(config.gap_escalation_threshold, 2);
        assert_eq!(config.case_backdate_max_days, 31);
        assert_eq!(config.idempotency_ttl, Duration::hours(24));
        assert_eq!(config.metrics_bind, None, "no metrics unless asked for");
        assert_eq!(config.pool_timeout, std::time::Duration::from_secs(3));
        assert_eq!(config.shutdown_grace, std::time::Duration::from_secs(10));
        assert!(
            !format!("{config:?}").contains(SECRET),
            "secret leaked into Debug"
        );
    }

    #[test]
    fn pool_timeout_and_shutdown_grace_are_read() {
        let config = env(&[
            ("KIM_JWT_SECRET", SECRET),
            ("KIM_DB_POOL_TIMEOUT_SECONDS", "5"),
            ("KIM_SHUTDOWN_GRACE_SECONDS", "0"),
        ])
        .config()
        .expect("valid");
        assert_eq!(config.pool_timeout, std::time::Duration::from_secs(5));
        // 0: connections in flight are closed at once.
        assert_eq!(config.shutdown_grace, std::time::Duration::ZERO);
    }

    #[test]
    fn missing_or_short_secret_is_one_clear_error() {
        assert_eq!(env(&[]).config().unwrap_err().variable, "KIM_JWT_SECRET");
        let err = env(&[("KIM_JWT_SECRET", "short")]).config().unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn the_published_development_key_needs_development_mode() {
        let err = env(&[("KIM_JWT_SECRET", PUBLISHED_DEV_JWT_SECRET)])
            .config()
            .unwrap_err();
        assert_eq!(err.variable, "KIM_JWT_SECRET");
        assert!(err.to_string().contains("published"), "{err}");
        let dev = env(&[
            ("KIM_JWT_SECRET", PUBLISHED_DEV_JWT_SECRET),
            ("KIM_DEVELOPMENT", "true"),
        ])
        .config()
        .expect("accepted for development");
        assert!(dev.development);
        // Short keys too, only for development.
        assert!(
            env(&[("KIM_JWT_SECRET", "short"), ("KIM_DEVELOPMENT", "true")])
                .config()
                .is_ok()
        );
        assert!(
            !env(&[("KIM_JWT_SECRET", SECRET)])
                .config()
                .expect("valid")
                .development
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("KIM_BIND", "nowhere"),
            ("KIM_LOGIN_MAX_FAILURES", "0"),
            ("KIM_LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x/y"),
            ("KIM_CORS_ORIGINS", "example.org"),
            ("KIM_WORKERS", "-1"),
            ("KIM_ACCESS_TOKEN_TTL_SECONDS", "5"),
            ("KIM_GAP_ESCALATION_THRESHOLD", "0"),
            ("KIM_GAP_ESCALATION_THRESHOLD", "two"),
            ("KIM_PASSWORD_QUEUE", "0"),
            ("KIM_LOGIN_PER_ADDRESS_PER_MINUTE", "0"),
            ("KIM_CLIENT_ADDRESS", "x-real-ip"),
            ("KIM_RETENTION_HOUR", "24"),
            ("KIM_RETENTION_HOUR", "night"),
            ("KIM_DEVELOPMENT", "yes please"),
            ("KIM_CASE_BACKDATE_MAX_DAYS", "-1"),
            ("KIM_CASE_BACKDATE_MAX_DAYS", "36501"),
            ("KIM_IDEMPOTENCY_TTL_HOURS", "0"),
            ("KIM_IDEMPOTENCY_TTL_HOURS", "a day"),
            ("KIM_METRICS_BIND", "9464"),
            ("KIM_METRICS_BIND", "localhost:9464"),
            ("KIM_METRICS_BIND", "127.0.0.1:8080"),
            ("KIM_METRICS_BIND", "0.0.0.0:8080"),
            ("KIM_DB_POOL_TIMEOUT_SECONDS", "0"),
            ("KIM_DB_POOL_TIMEOUT_SECONDS", "61"),
            ("KIM_SHUTDOWN_GRACE_SECONDS", "3601"),
            ("KIM_SHUTDOWN_GRACE_SECONDS", "-1"),
            ("KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK", "maybe"),
            ("KIM_WEBHOOK_TIMEOUT_SECONDS", "0"),
            ("KIM_WEBHOOK_POLL_MILLIS", "5"),
            ("KIM_WEBHOOK_RETRY_BASE_MILLIS", "0"),
        ] {
            let err = env(&[("KIM_JWT_SECRET", SECRET), (name, value)])
                .config()
                .unwrap_err();
            assert_eq!(err.variable, name);
        }
    }

    #[test]
    fn metrics_get_an_address_of_their_own() {
        let config = env(&[
            ("KIM_JWT_SECRET", SECRET),
            ("KIM_METRICS_BIND", "127.0.0.1:9464"),
        ])
        .config()
        .expect("valid");
        assert_eq!(
            config.metrics_bind.map(|a| a.to_string()).as_deref(),
            Some("127.0.0.1:9464")
        );
        // Another interface on the API's port is another address.
        let config = env(&[
            ("KIM_JWT_SECRET", SECRET),
            ("KIM_BIND", "10.0.0.5:8080"),
            ("KIM_METRICS_BIND", "127.0.0.1:8080"),
        ])
        .config()
        .expect("valid");
        assert!(config.metrics_bind.is_some());
        let err = env(&[
            ("KIM_JWT_SECRET", SECRET),
            ("KIM_METRICS_BIND", "127.0.0.1:8080"),
        ])
        .config()
        .unwrap_err();
        assert!(err.to_string().contains("KIM_BIND=127.0.0.1:8080"), "{err}");
    }
}
