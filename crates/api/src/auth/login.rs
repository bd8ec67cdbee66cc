//! Checking a username and password, shared by `POST /auth/login` (JSON) and
//! `POST /auth/token` (OAuth2 password grant, RFC 6749 §4.3), so both meet the same limits:
//!
//! 1. per client address (governor's keyed GCRA limiter): a burst over many usernames gets
//!    429 `rate-limited`;
//! 2. a place in the bounded password queue, or 503 `overloaded`;
//! 3. the attempt is counted for the username in one transaction *before* the password is
//!    checked (`kim_domain::login_throttle`), so at most `KIM_LOGIN_MAX_FAILURES` attempts per
//!    lockout window are ever judged, however many arrive at once; a locked username gets 429
//!    `login-locked`, even with the right password;
//! 4. argon2 on the password workers; a success clears the count.
//!
//! Unknown usernames are counted too (so a lock does not reveal which usernames exist), but
//! under one of [`UNKNOWN_BUCKETS`] keys derived from the name, so guessing names cannot grow
//! the table without bound.

use std::net::IpAddr;

use actix_web::HttpRequest;
use chrono::Utc;
use governor::clock::{Clock, DefaultClock};
use kim_store::users::User;
use kim_store::{login_failures, users};
use sha2::{Digest, Sha256};

use super::password;
use crate::config::ClientAddress;
use crate::server::AppState;
use crate::ApiError;

/// Keys under which failures of unknown usernames are counted (a power of 16: hex digits).
pub const UNKNOWN_BUCKETS: usize = 4096;

/// The address the per-address limit counts, or `None` when it cannot be told (then the limit
/// is not applied rather than lumping every such client together).
pub fn client_address(request: &HttpRequest, source: ClientAddress) -> Option<IpAddr> {
    match source {
        ClientAddress::Peer => request.peer_addr().map(|a| a.ip()),
        ClientAddress::Forwarded => request
            .connection_info()
            .realip_remote_addr()
            .and_then(|a| {
                a.parse::<IpAddr>()
                    .ok()
                    .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
            }),
    }
}

/// The key a failed attempt is counted under: the username of an account, or for an unknown
/// name one of [`UNKNOWN_BUCKETS`] keys (`#` cannot start a username, so they never meet one).
fn throttle_key(username: &str, exists: bool) -> String {
    if exists {
        return username.to_owned();
    }
    let digest = Sha256::digest(username.as_bytes());
    let bucket = (usize::from(digest[0]) << 8 | usize::from(digest[1])) % UNKNOWN_BUCKETS;
    format!("#unknown-{bucket:03x}")
}

fn seconds_rounded_up(wait: std::time::Duration) -> u64 {
    // Round up so a client that waits exactly Retry-After is not refused again.
    u64::try_from(wait.as_millis())
        .unwrap_or(u64::MAX)
        .div_ceil(1000)
        .max(1)
}

/// The account whose password matched, or the refusal: 401 for a wrong username or password
/// (the same for an unknown or disabled account), 429 `rate-limited` or `login-locked`, 503
/// `overloaded`.
pub async fn check_credentials(
    state: &AppState,
    client: Option<IpAddr>,
    username: &str,
    given: String,
) -> Result<User, ApiError> {
    if let Some(address) = client {
        if let Err(not_until) = state.login_limiter.check_key(&address) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(ApiError::RateLimited {
                retry_after_seconds: seconds_rounded_up(wait),
            });
        }
        // Forget addresses whose allowance is full again, so the limiter stays small.
        if state.login_limiter.len() > 10_000 {
            state.login_limiter.retain_recent();
        }
    }
    let admission = state.passwords.admit()?;

    let username = username.trim().to_lowercase();
    let policy = state.login_policy;
    let lookup_name = username.clone();
    let (account, key, reserved) = state
        .db
        .read(move |conn| {
            let account = users::find_for_login(conn, &lookup_name)?;
            let key = throttle_key(&lookup_name, account.is_some());
            let reserved = login_failures::reserve(conn, &key, &policy, Utc::now())?;
            Ok((account, key, reserved))
        })
        .await?;
    if let Err(wait) = reserved {
        return Err(ApiError::LoginLocked {
            retry_after_seconds: seconds_rounded_up(wait.to_std().unwrap_or_default()),
        });
    }

    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let verified = admission
        .run(move || match account {
            Some((user, hash)) => password::verify(&given, &hash) && user.active,
            None => password::verify_against_dummy(&given),
        })
        .await?;
    if !verified {
        // The attempt was counted when it was reserved.
        return Err(ApiError::Unauthorized("wrong username or password".into()));
    }
    let user = state
        .db
        .write(move |conn| {
            login_failures::clear(conn, &key)?;
            users::find_by_username(conn, &username)
        })
        .await?;
    // Deleted or disabled between the check and now.
    user.filter(|u| u.active)
        .ok_or_else(|| ApiError::Unauthorized("wrong username or password".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_share_a_bounded_set_of_keys() {
        assert_eq!(throttle_key("analyst", true), "analyst");
        let keys: std::collections::HashSet<String> = (0..20_000)
            .map(|i| throttle_key(&format!("guess{i}"), false))
            .collect();
        assert!(keys.len() <= UNKNOWN_BUCKETS, "{}", keys.len());
        assert!(keys.iter().all(|k| k.starts_with("#unknown-")));
        // The same unknown name always counts under the same key.
        assert_eq!(throttle_key("nobody", false), throttle_key("nobody", false));
    }
}
