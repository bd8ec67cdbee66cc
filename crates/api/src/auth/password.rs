//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, OWASP's minimum).

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
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
/// requests of CPU. Here at most one hash per core runs at a time; the rest wait in a queue.
#[derive(Clone)]
pub struct PasswordWorkers {
    jobs: Sender<Job>,
}

impl PasswordWorkers {
    /// Starts `threads` workers; they end when the last handle is dropped.
    pub fn start(threads: usize) -> Self {
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
        PasswordWorkers { jobs }
    }

    /// One worker per CPU core.
    pub fn per_core() -> Self {
        Self::start(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    }

    /// Runs `work` on a worker and waits for its result without blocking the async runtime.
    pub async fn run<T, F>(&self, work: F) -> Result<T, crate::ApiError>
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
        assert!(!verify_against_dummy("dummy password for timing"));
    }

    #[actix_web::test]
    async fn workers_run_jobs_and_return_results() {
        let workers = PasswordWorkers::start(2);
        let hashed = workers
            .run(|| hash("correct horse battery"))
            .await
            .expect("ran")
            .expect("hash");
        let checks = futures_util::future::join_all((0..4).map(|_| {
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
}
