//! Partner token secrets: `kimp_` and 64 hex digits (256 random bits). Only the SHA-256 hash is
//! stored; a fast hash suffices because the secret is random, not a password.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "kimp_";
const SHOWN_PREFIX_LEN: usize = 12;

pub struct IssuedSecret {
    /// The full secret, shown to the administrator once.
    pub secret: String,
    /// The first characters, stored to recognise the token in lists.
    pub prefix: String,
    pub hash: String,
}

pub fn generate() -> IssuedSecret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{PREFIX}{}", hex::encode(bytes));
    IssuedSecret {
        prefix: secret[..SHOWN_PREFIX_LEN].to_owned(),
        hash: hash(&secret),
        secret,
    }
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn looks_like_partner_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), PREFIX.len() + 64);
        assert!(looks_like_partner_token(&a.secret));
        assert_eq!(hash(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.prefix));
        assert!(!looks_like_partner_token("eyJhbGciOi"));
    }
}
