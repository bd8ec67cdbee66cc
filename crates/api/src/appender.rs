//! The audit appender: group commit for the audit events of reads (issue 13), and the one place
//! that extends the audit trail's hash chain (`kim_store::audit::chain`).
//!
//! A read of personal data runs in a read transaction, collects its audit events, and hands
//! them here; it answers only after the batch holding them has committed ("no read without its
//! audit event": if the flush fails, the read answers 503 and shows nothing). One thread per
//! database takes the events of many concurrent reads, writes them in one transaction (one
//! multi-row INSERT, already sealed into the chain) and acknowledges every request of the
//! batch. A batch closes when it holds `batch_size` events or `max_wait` has passed since its
//! first event; while one batch commits, the next one fills, so under load batches grow by
//! themselves. The same transaction first seals the events write requests committed in their
//! own transactions since the last batch, so the chain has one order and one writer. When idle
//! the thread seals now and then (`idle_seal`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kim_store::audit::{self, NewEvent};
use kim_store::StoreError;
use tokio::sync::oneshot;

use crate::db::MeteredPool;
use crate::ApiError;

/// Batching settings (`KIM_AUDIT_BATCH_SIZE`, `KIM_AUDIT_BATCH_WAIT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppenderOptions {
    /// Most events per batch (one INSERT, one commit).
    pub batch_size: usize,
    /// Longest a batch waits for more events after its first.
    pub max_wait: Duration,
    /// How often an idle appender seals events written by write requests.
    pub idle_seal: Duration,
}

impl Default for AppenderOptions {
    fn default() -> Self {
        AppenderOptions {
            batch_size: 512,
            max_wait: Duration::from_millis(1),
            idle_seal: Duration::from_millis(500),
        }
    }
}

/// Requests waiting in the queue before new ones are refused with 503 (back pressure).
const QUEUE: usize = 8_192;

struct Job {
    events: Vec<NewEvent>,
    done: oneshot::Sender<Result<(), String>>,
    /// When the request handed its events over: a batch waits for a connection at most the
    /// pool's timeout counted from its oldest job, so a read is answered within it even while
    /// earlier batches sat out theirs.
    asked: Instant,
}

/// A handle to the appender thread; cloned into every request.
#[derive(Clone)]
pub struct Appender {
    queue: SyncSender<Job>,
    counts: Arc<Counts>,
}

/// What the metrics read (`crate::metrics`); `std::sync::mpsc` does not tell its length.
#[derive(Default)]
struct Counts {
    /// Requests whose events are in the queue, not yet taken into a batch.
    queued: AtomicUsize,
    refused: AtomicU64,
    failed_batches: AtomicU64,
}

/// The appender's queue now and its failures since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppenderLoad {
    /// Requests waiting for their events to be taken into a batch.
    pub length: usize,
    /// At this length requests are refused (503).
    pub capacity: usize,
    /// Requests refused because the queue was full.
    pub refused: u64,
    /// Batches that could not be committed (each answered its reads 503).
    pub failed_batches: u64,
}

impl Appender {
    /// Starts the thread; it ends when the last handle is dropped, after its last batch.
    pub fn start(pool: MeteredPool, options: AppenderOptions) -> Appender {
        let (queue, jobs) = mpsc::sync_channel::<Job>(QUEUE);
        let counts = Arc::new(Counts::default());
        let taken = Arc::clone(&counts);
        let spawned = std::thread::Builder::new()
            .name("kim-audit-appender".into())
            .spawn(move || run(pool, options, jobs, &taken));
        if let Err(e) = spawned {
            // Without the thread every audited read answers 503: loud, and nothing unaudited.
            tracing::error!(error = %e, "cannot start the audit appender");
        }
        Appender { queue, counts }
    }

    /// The queue's length now, its capacity and the failures so far.
    pub fn load(&self) -> AppenderLoad {
        AppenderLoad {
            length: self.counts.queued.load(Ordering::Relaxed),
            capacity: QUEUE,
            refused: self.counts.refused.load(Ordering::Relaxed),
            failed_batches: self.counts.failed_batches.load(Ordering::Relaxed),
        }
    }

    /// Writes `events` durably (with the events of concurrent requests); `Err` (503) when the
    /// batch could not be committed or the appender is overloaded.
    pub async fn append(&self, events: Vec<NewEvent>) -> Result<(), ApiError> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, acknowledged) = oneshot::channel();
        // Counted before sending, so the thread's decrement never comes first.
        self.counts.queued.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            events,
            done,
            asked: Instant::now(),
        };
        if self.queue.try_send(job).is_err() {
            self.counts.queued.fetch_sub(1, Ordering::Relaxed);
            self.counts.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError::Unavailable(
                "the audit trail is not accepting events".into(),
            ));
        }
        match acknowledged.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(cause)) => Err(ApiError::Unavailable(format!(
                "the audit events could not be written: {cause}"
            ))),
            Err(_) => Err(ApiError::Unavailable("the audit appender stopped".into())),
        }
    }
}

fn run(pool: MeteredPool, options: AppenderOptions, jobs: mpsc::Receiver<Job>, counts: &Counts) {
    let taken = |job: Job| {
        counts.queued.fetch_sub(1, Ordering::Relaxed);
        job
    };
    loop {
        let first = match jobs.recv_timeout(options.idle_seal) {
            Ok(job) => taken(job),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = write(&pool, &[], Instant::now()) {
                    tracing::warn!(error = %e, "sealing the audit trail failed; will retry");
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let deadline = Instant::now() + options.max_wait;
        let mut count = first.events.len();
        let mut batch = vec![first];
        while count < options.batch_size {
            let next = match jobs.try_recv() {
                Ok(job) => taken(job),
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    match jobs.recv_timeout(deadline - now) {
                        Ok(job) => taken(job),
                        Err(_) => break,
                    }
                }
            };
            count += next.events.len();
            batch.push(next);
        }
        let mut events = Vec::with_capacity(count);
        let mut waiting = Vec::with_capacity(batch.len());
        let oldest = batch
            .iter()
            .map(|job| job.asked)
            .min()
            .unwrap_or_else(Instant::now);
        for job in batch {
            events.extend(job.events);
            waiting.push(job.done);
        }
        let result = write(&pool, &events, oldest);
        if let Err(e) = &result {
            counts.failed_batches.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, events = events.len(), "audit batch failed; its reads answer 503");
        }
        for done in waiting {
            // A request that gave up (client gone) no longer listens; nothing to do.
            let _ = done.send(result.clone());
        }
    }
}

fn write(pool: &MeteredPool, events: &[NewEvent], asked: Instant) -> Result<(), String> {
    let mut conn = pool.checkout(asked).map_err(|e| e.to_string())?;
    audit::append(&mut conn, events).map_err(|e| {
        if matches!(e, StoreError::Unavailable(_)) {
            kim_store::connection::drop_if_lost(&mut conn);
        }
        e.to_string()
    })
}

#[cfg(test)]
mod tests {
    use kim_store::audit::Actor;
    use kim_store::connection::{pool_unchecked, PoolOptions};
    use kim_store::DatabaseUrl;

    use super::*;

    #[actix_web::test]
    async fn a_failed_batch_is_counted_and_the_queue_drains() {
        // A database without the audit table: every batch fails.
        let dir = std::env::temp_dir().join(format!("kim-appender-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = DatabaseUrl::parse(&dir.join("kim.db").to_string_lossy()).expect("url");
        let pool = MeteredPool::new(pool_unchecked(&url, PoolOptions::default()));
        let appender = Appender::start(pool, AppenderOptions::default());
        let event = NewEvent::new(&Actor::system(), "case.read", "case", Some(1), None);
        let outcome = appender.append(vec![event]).await;
        assert!(
            matches!(outcome, Err(ApiError::Unavailable(_))),
            "{outcome:?}"
        );
        assert_eq!(
            appender.load(),
            AppenderLoad {
                length: 0,
                capacity: QUEUE,
                refused: 0,
                failed_batches: 1,
            }
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
