//! Bearer secrets (API keys, session cookies): `<prefix>_<org id>_<record id>_<secret>`.
//! The ids say where to look, so no global index is needed; the secret is 32
//! random bytes in hex and only its SHA-256 is stored. A slow hash adds nothing
//! for a 256-bit random secret and would slow every request.

use crate::ids::Id;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub struct Issued {
    /// Given once to its holder, never stored.
    pub token: String,
    pub id: Id,
    pub secret_sha256: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub fn issue(prefix: &str, org: Id) -> Result<Issued, getrandom::Error> {
    let id = Id::new();
    let secret = hex::encode(super::random_bytes::<32>()?);
    Ok(Issued {
        token: format!("{prefix}_{org}_{id}_{secret}"),
        id,
        secret_sha256: sha256_hex(&secret),
    })
}

#[derive(PartialEq, Eq)]
pub struct Parsed {
    pub org: Id,
    pub id: Id,
    secret: String,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("org", &self.org)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub fn parse(prefix: &str, token: &str) -> Option<Parsed> {
    let mut parts = token.split('_');
    if parts.next()? != prefix {
        return None;
    }
    let org = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    let secret = parts.next()?;
    if parts.next().is_some()
        || secret.len() != 64
        || !secret.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    Some(Parsed {
        org,
        id,
        secret: secret.to_ascii_lowercase(),
    })
}

impl Parsed {
    /// Compares in time independent of how many characters match.
    pub fn matches(&self, stored_sha256: &str) -> bool {
        bool::from(
            sha256_hex(&self.secret)
                .as_bytes()
                .ct_eq(stored_sha256.as_bytes()),
        )
    }
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
