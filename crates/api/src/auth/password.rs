//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, OWASP's minimum).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use std::cell::RefCell;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), allocated once per thread
    /// and reused. Allocating it per hash made the resident size grow by 19 MiB per login up to
    /// about 250 MiB (glibc keeps such freed blocks in the thread's arena).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2id with `params` into `out`, on this thread's reused working memory.
fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let needed = params.block_count();
        if memory.len() < needed {
            memory.resize(needed, Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..needed])
    })
}

/// An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a random salt.
pub fn hash(password: &str) -> Result<String, String> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| format!("salt: {e}"))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        compute(&params, password.as_bytes(), salt_bytes, out).map_err(Into::into)
    })
    .map_err(|e| format!("hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| format!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches `stored_hash` (argon2id PHC string); compared in constant time.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    let (Ok(params), Some(salt), Some(expected)) =
        (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let computed = Output::init_with(expected.len(), |out| {
        compute(&params, password.as_bytes(), salt_bytes, out).map_err(Into::into)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|computed| computed == expected)
}

/// Checking an unknown username against this hash costs as much as checking a real one, so
/// response times do not reveal which usernames exist.
pub fn verify_against_dummy(password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("dummy password for timing").unwrap_or_default());
    verify(password, dummy);
    false
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads for argon2. Each hash takes 19 MiB and tens of milliseconds of CPU;
/// on the general blocking pool a burst of logins would spread that memory over many threads'
/// allocator arenas (seen: over 600 MiB resident under a login load test) and starve other
/// requests of CPU. Here at most `KIM_PASSWORD_THREADS` hashes (default 1, so one core stays
/// free for everything else and the working memory is 19 MiB in all) run at a time; the rest wait
/// in a queue. The queue is bounded: at most `KIM_PASSWORD_QUEUE` checks wait or run at once, and
/// a login beyond that is refused at once ([`PasswordWorkers::admit`], 503 with `Retry-After`)
/// instead of making everyone wait longer and longer.
#[derive(Clone)]
pub struct PasswordWorkers {
    jobs: Sender<Job>,
    places: Arc<tokio::sync::Semaphore>,
    capacity: usize,
    /// Logins refused because the queue was full, since start (for the metrics).
    refused: Arc<AtomicU64>,
}

/// How full the password queue is now (see `crate::metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLoad {
    /// Checks waiting or running.
    pub length: usize,
    /// `KIM_PASSWORD_QUEUE`: at this length logins are refused.
    pub capacity: usize,
    /// Logins refused with 503 because the queue was full, since start.
    pub refused: u64,
}

/// A place in the password queue, taken before any work is done for a login so that a full
/// queue refuses the login before its attempt is counted.
pub struct Admission {
    jobs: Sender<Job>,
    _place: tokio::sync::OwnedSemaphorePermit,
}

/// How long a client refused by a full queue should wait: a few hashes' time.
const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

impl PasswordWorkers {
    /// Starts `threads` workers with room for `queue` checks waiting or running; the workers
    /// end when the last handle is dropped.
    pub fn start(threads: usize, places: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("kim-argon2-{index}"))
                .spawn(move || loop {
                    let next = match queue.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        let capacity = places.max(1);
        PasswordWorkers {
            jobs,
            places: Arc::new(tokio::sync::Semaphore::new(capacity)),
            capacity,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The queue's length now (checks holding a place), its capacity and the refusals so far.
    pub fn load(&self) -> PasswordLoad {
        PasswordLoad {
            length: self
                .capacity
                .saturating_sub(self.places.available_permits()),
            capacity: self.capacity,
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// A place in the queue, or 503 `overloaded` when it is full.
    pub fn admit(&self) -> Result<Admission, crate::ApiError> {
        let place = Arc::clone(&self.places).try_acquire_owned().map_err(|_| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            crate::ApiError::Overloaded {
                retry_after_seconds: BUSY_RETRY_AFTER_SECONDS,
            }
        })?;
        Ok(Admission {
            jobs: self.jobs.clone(),
            _place: place,
        })
    }

    /// Runs `work` on a worker if the queue has room (see [`PasswordWorkers::admit`]).
    pub async fn run<T, F>(&self, work: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.admit()?.run(work).await
    }
}

impl Admission {
    /// Runs `work` on a worker and waits for its result without blocking the async runtime;
    /// the place in the queue is given back when the result is in.
    pub async fn run<T, F>(self, work: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (reply, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = reply.send(work());
            }))
            .map_err(|_| crate::ApiError::Internal("password workers stopped".into()))?;
        result
            .await
            .map_err(|_| crate::ApiError::Internal("password worker failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("anything", "not a hash"));
        // Hashes made by the argon2 crate's own API verify too (and the other way round).
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let standard = Argon2::default()
            .hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng))
            .expect("standard hash")
            .to_string();
        assert!(verify("correct horse battery", &standard));
        let ours = PasswordHash::new(&h).expect("parse");
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &ours)
            .is_ok());
        assert!(!verify_against_dummy("dummy password for timing"));
    }

    #[actix_web::test]
    async fn workers_run_jobs_and_return_results() {
        let workers = PasswordWorkers::start(2, 2);
        let hashed = workers
            .run(|| hash("correct horse battery"))
            .await
            .expect("ran")
            .expect("hash");
        let checks = futures_util::future::join_all((0..2).map(|_| {
            let workers = workers.clone();
            let hashed = hashed.clone();
            async move {
                workers
                    .run(move || verify("correct horse battery", &hashed))
                    .await
            }
        }))
        .await;
        assert!(checks.into_iter().all(|c| c.expect("ran")));
    }

    #[actix_web::test]
    async fn a_full_queue_refuses_at_once_with_retry_after() {
        let workers = PasswordWorkers::start(1, 2);
        let first = workers.admit().expect("room");
        let second = workers.admit().expect("room");
        assert_eq!(
            workers.load(),
            PasswordLoad {
                length: 2,
                capacity: 2,
                refused: 0
            }
        );
        match workers.admit() {
            Err(crate::ApiError::Overloaded {
                retry_after_seconds,
            }) => assert!(retry_after_seconds >= 1),
            Err(other) => panic!("expected Overloaded, got {other:?}"),
            Ok(_) => panic!("a third check was admitted to a queue of two"),
        }
        // A finished check gives its place back.
        assert_eq!(workers.load().refused, 1, "the refusal is counted");
        assert_eq!(first.run(|| 1).await.expect("ran"), 1);
        drop(second);
        assert_eq!(workers.load().length, 0, "places are given back");
        assert!(workers.admit().is_ok());
    }
}
