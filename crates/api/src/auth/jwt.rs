//! Access tokens for people: HS256 JWTs with issuer, audience, `nbf` and `exp`. The algorithm is
//! fixed on both sides, so `alg: none` and algorithm switching fail verification.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::JwtSettings;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Unique per token, for tracing a token in logs without logging the token.
    pub jti: String,
    /// The account's token version when the token was issued; a logout, a password change or
    /// reset, a deactivation or a role change raises the account's, ending this token.
    pub ver: i32,
}

/// What a verified access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    pub token_version: i32,
}

#[derive(Clone)]
pub struct JwtService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    settings: JwtSettings,
}

impl JwtService {
    pub fn new(settings: JwtSettings) -> Self {
        let secret = settings.secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        // Clock skew between this server's own instances is small.
        validation.leeway = 5;
        JwtService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            settings,
        }
    }

    /// Lifetime of issued tokens, in seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.settings.ttl.num_seconds()
    }

    pub fn issue(
        &self,
        user_id: i64,
        token_version: i32,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds(),
            jti: uuid::Uuid::new_v4().to_string(),
            ver: token_version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user id and token version of a valid token; `None` for anything that does not
    /// verify (a token without `ver`, from before revocation existed, included).
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some(Verified {
            user_id: data.claims.sub.parse().ok()?,
            token_version: data.claims.ver,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn settings(secret: &str, audience: &str) -> JwtSettings {
        JwtSettings {
            secret: Secret::new(secret),
            issuer: "kim-api".into(),
            audience: audience.into(),
            ttl: chrono::Duration::seconds(900),
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify() {
        let jwt = JwtService::new(settings(SECRET, "kim"));
        let token = jwt.issue(42, 7).expect("issue");
        assert_eq!(
            jwt.verify(&token),
            Some(Verified {
                user_id: 42,
                token_version: 7
            })
        );
    }

    #[test]
    fn other_secret_or_audience_fails() {
        let token = JwtService::new(settings(SECRET, "kim"))
            .issue(1, 0)
            .expect("issue");
        let other_key = JwtService::new(settings("ffffffffffffffffffffffffffffffff", "kim"));
        assert_eq!(other_key.verify(&token), None);
        let other_aud = JwtService::new(settings(SECRET, "elsewhere"));
        assert_eq!(other_aud.verify(&token), None);
    }

    #[test]
    fn alg_none_and_other_algorithms_fail() {
        let jwt = JwtService::new(settings(SECRET, "kim"));
        let token = jwt.issue(1, 0).expect("issue");
        let parts: Vec<&str> = token.split('.').collect();
        // {"alg":"none","typ":"JWT"}
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert_eq!(jwt.verify(&none), None);
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &serde_json::json!({"sub": "1", "iss": "kim-api", "aud": "kim",
                "nbf": 0, "exp": Utc::now().timestamp() + 60}),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode");
        assert_eq!(jwt.verify(&hs512), None);
        assert_eq!(jwt.verify("not a token"), None);
    }
}
