//! The retention run: printed by `kim retention run`, and once a day inside the server at
//! `KIM_RETENTION_HOUR` (UTC). Several servers on one PostgreSQL each try; the advisory lock in
//! the store lets one act and the others log that they skipped.

use kim_store::audit::Actor;
use kim_store::privacy::retention::{self, RunReport};
use kim_store::{clock, DbPool, StoreError};

/// Runs every rule now with a connection from `pool`.
pub fn run_now(pool: &DbPool, dry_run: bool) -> Result<RunReport, StoreError> {
    let mut conn = pool.get()?;
    retention::run(&mut conn, &Actor::system(), clock::now(), dry_run)
}

/// One line per rule, for the command line and the log.
pub fn describe(report: &RunReport) -> Vec<String> {
    if !report.ran {
        return vec!["retention run skipped: another server is running it".into()];
    }
    let verb = if report.dry_run {
        "would touch"
    } else {
        "touched"
    };
    report
        .outcomes
        .iter()
        .map(|o| {
            format!(
                "{:<20} {:<9} after {:<9} before {}: {verb} {} records",
                o.rule.record_type.as_str(),
                o.rule.action.as_str(),
                o.rule.period.to_string(),
                o.cutoff.format("%Y-%m-%d %H:%M"),
                o.records
            )
        })
        .collect()
}

/// Starts the daily run on its own thread (it blocks on the database and sleeps in between, so
/// it stays off the HTTP workers).
pub fn spawn_daily(pool: DbPool, hour: u32) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("kim-retention".into())
        .spawn(move || loop {
            let wait = kim_domain::retention::until_next_run(clock::now(), hour);
            std::thread::sleep(
                wait.to_std()
                    .unwrap_or(std::time::Duration::from_secs(3600)),
            );
            match run_now(&pool, false) {
                Ok(report) => {
                    for line in describe(&report) {
                        tracing::info!(target: "kim_api::retention", "{line}");
                    }
                }
                Err(error) => tracing::error!(%error, "retention run failed"),
            }
        })
        .map(|_| ())
}
