//! Authentication: API tokens (`Authorization: Bearer …`) and HTTP Basic with argon2 password
//! hashes (PHC strings).
//!
//! - A token is `cwt_` followed by 43 base64url characters (32 random bytes); the store keeps
//!   only its SHA-256, so a token is looked up by hash and shown once, when issued.
//! - A password is stored as an argon2id PHC string (argon2 0.6 defaults: m = 19 MiB, t = 2,
//!   p = 1). Verifying costs tens of milliseconds, so a successful check is remembered in memory
//!   under HMAC(server key, user, password, stored hash): the next request with the same
//!   credentials skips argon2, and a changed password (a new PHC string) misses the cache.

use crate::cursor::hmac_sha256;
use crate::error::{ApiError, ServerError};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chainward_store_api::{TaxiiStore, UserRow};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// The prefix of every API token.
pub const TOKEN_PREFIX: &str = "cwt_";

/// Fills a buffer from the operating system's CSPRNG.
///
/// # Panics
/// When the operating system's random source fails (argon2's own salt generation would fail
/// the same way).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let mut filled = 0;
    while filled < N {
        let salt = argon2::password_hash::generate_salt();
        let n = salt.len().min(N - filled);
        out[filled..filled + n].copy_from_slice(&salt[..n]);
        filled += n;
    }
    out
}

/// Hashes a password to an argon2id PHC string.
///
/// # Errors
/// [`ServerError::Password`] when argon2 fails (it does not for passwords of sane length).
pub fn hash_password(password: &str) -> Result<String, ServerError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ServerError::Password(e.to_string()))
}

/// Whether `password` matches a PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A new random API token.
pub(crate) fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// The SHA-256 of a token, as stored.
pub fn token_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Verified Basic credentials, remembered (bounded).
#[derive(Debug, Default)]
pub(crate) struct BasicCache {
    verified: Mutex<HashSet<[u8; 32]>>,
}

const CACHE_LIMIT: usize = 4096;

impl BasicCache {
    fn key(server_key: &[u8; 32], user: &UserRow, password: &str, phc: &str) -> [u8; 32] {
        let text = format!("{}\0{}\0{}\0{}", user.id, user.name, password, phc);
        hmac_sha256(server_key, text.as_bytes())
    }
}

/// Finds the caller of a request from its `Authorization` header.
pub(crate) fn authenticate(
    store: &dyn TaxiiStore,
    server_key: &[u8; 32],
    cache: &BasicCache,
    basic_enabled: bool,
    authorization: Option<&str>,
) -> Result<UserRow, ApiError> {
    let Some(authorization) = authorization else {
        return Err(ApiError::unauthorized(
            "send an API token (Authorization: Bearer …) or HTTP Basic credentials",
        ));
    };
    let (scheme, value) = authorization.trim().split_once(' ').unwrap_or((authorization, ""));
    let value = value.trim();
    let user = if scheme.eq_ignore_ascii_case("bearer") {
        store
            .taxii_user_by_token(&token_sha256(value))?
            .ok_or_else(|| ApiError::unauthorized("the API token is unknown or revoked"))?
    } else if scheme.eq_ignore_ascii_case("basic") {
        if !basic_enabled {
            return Err(ApiError::unauthorized(
                "HTTP Basic is disabled on this server; use an API token",
            ));
        }
        let wrong = || ApiError::unauthorized("wrong user name or password");
        let decoded = STANDARD
            .decode(value)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| ApiError::unauthorized("malformed HTTP Basic credentials"))?;
        let (name, password) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("malformed HTTP Basic credentials"))?;
        let user = store.taxii_user_by_name(name)?;
        let Some((user, phc)) = user.and_then(|u| u.password_hash.clone().map(|p| (u, p))) else {
            // Same work as a real check, so that timing does not tell which names exist.
            let _ = verify_password(password, dummy_phc());
            return Err(wrong());
        };
        let key = BasicCache::key(server_key, &user, password, &phc);
        let cached = cache.verified.lock().is_ok_and(|set| set.contains(&key));
        if !cached {
            if !verify_password(password, &phc) {
                return Err(wrong());
            }
            if let Ok(mut set) = cache.verified.lock() {
                if set.len() >= CACHE_LIMIT {
                    set.clear();
                }
                set.insert(key);
            }
        }
        user
    } else {
        return Err(ApiError::unauthorized(format!(
            "unsupported authorization scheme {scheme:?}; use Bearer or Basic"
        )));
    };
    if user.disabled {
        return Err(ApiError::unauthorized("this account is disabled"));
    }
    Ok(user)
}

/// An argon2id hash of a random string, checked against when the user does not exist.
fn dummy_phc() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&URL_SAFE_NO_PAD.encode(random_bytes::<16>())).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_to_phc_strings_that_verify() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not a phc string"));
        assert!(PasswordHash::new(dummy_phc()).is_ok());
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let (a, b) = (new_token(), new_token());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
    }
}
