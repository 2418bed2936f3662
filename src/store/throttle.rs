//! Failed-login counters per (organisation, username) as typed. They are kept
//! for names that don't exist too, so a lockout can't tell anyone whether an
//! account exists.

use super::keys::Kind;
use super::{Result, Store};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginThrottle {
    pub failures: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
}

fn throttle_id(org_slug: &str, username: &str) -> Id {
    let digest = Sha256::digest(format!(
        "{}\0{}",
        org_slug.to_lowercase(),
        username.to_lowercase()
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Id::from_bytes(bytes)
}

impl Store {
    pub fn login_throttle(&self, org_slug: &str, username: &str) -> Result<LoginThrottle> {
        Ok(self
            .get(
                Id::SYSTEM,
                Kind::LoginThrottle,
                throttle_id(org_slug, username),
            )?
            .unwrap_or_default())
    }

    pub fn set_login_throttle(
        &self,
        org_slug: &str,
        username: &str,
        throttle: &LoginThrottle,
    ) -> Result<()> {
        self.insert(
            Id::SYSTEM,
            Kind::LoginThrottle,
            throttle_id(org_slug, username),
            throttle,
        )
    }

    pub fn clear_login_throttle(&self, org_slug: &str, username: &str) -> Result<()> {
        self.transaction(|tx| {
            tx.remove(
                Id::SYSTEM,
                Kind::LoginThrottle,
                throttle_id(org_slug, username),
            )?;
            Ok(())
        })
    }
}
