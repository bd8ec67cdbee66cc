//! Checking a username and password, shared by `POST /auth/login` (JSON) and
//! `POST /auth/token` (OAuth2 password grant, RFC 6749 §4.3), so both meet the same lockout.

use chrono::Utc;
use kim_store::users::User;
use kim_store::{login_failures, users};

use super::password;
use crate::server::AppState;
use crate::ApiError;

/// The account whose password matched, or the refusal: 401 for a wrong username or password
/// (the same for an unknown or disabled account), 429 while the username is locked.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    given: String,
) -> Result<User, ApiError> {
    let username = username.trim().to_lowercase();
    let policy = state.login_policy;

    let lookup_name = username.clone();
    let (record, account) = state
        .db
        .read(move |conn| {
            let record = login_failures::get(conn, &lookup_name)?;
            let account = users::find_for_login(conn, &lookup_name)?;
            Ok((record, account))
        })
        .await?;
    if let Some(wait) = policy.retry_after(&record, Utc::now()) {
        return Err(too_many(wait));
    }

    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let verified = state
        .passwords
        .run(move || match account {
            Some((user, hash)) => password::verify(&given, &hash) && user.active,
            None => password::verify_against_dummy(&given),
        })
        .await?;
    let verified_user = if verified {
        let name = username.clone();
        state
            .db
            .read(move |conn| users::find_by_username(conn, &name))
            .await?
    } else {
        None
    };

    let Some(user) = verified_user else {
        let now = Utc::now();
        state
            .db
            .write(move |conn| {
                let record = login_failures::get(conn, &username)?;
                login_failures::put(conn, &username, &policy.after_failure(&record, now))
            })
            .await?;
        return Err(ApiError::Unauthorized("wrong username or password".into()));
    };

    if record.failures > 0 || record.locked_until.is_some() {
        let name = user.username.clone();
        state
            .db
            .write(move |conn| login_failures::clear(conn, &name))
            .await?;
    }
    Ok(user)
}

fn too_many(wait: chrono::Duration) -> ApiError {
    // Round up so a client that waits exactly Retry-After is not refused again.
    let seconds = (wait.num_milliseconds().max(0) as u64)
        .div_ceil(1000)
        .max(1);
    ApiError::TooManyRequests {
        retry_after_seconds: seconds,
    }
}
