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
    /// Locks since the last success: each one lasts longer.
    #[serde(default)]
    pub locks: u32,
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

    /// Counts one login attempt before its password is checked, so
    /// attempts made at once all count. Once the count reaches `lock_after`
    /// the account is locked, the n-th time for `lock_for(n)`. Returns when
    /// the lock ends if it was locked already (the attempt still counts,
    /// without making the lock longer).
    pub fn begin_login_attempt(
        &self,
        org_slug: &str,
        username: &str,
        now: OffsetDateTime,
        lock_after: u32,
        lock_for: impl Fn(u32) -> time::Duration,
    ) -> Result<Option<OffsetDateTime>> {
        let id = throttle_id(org_slug, username);
        self.transaction(|tx| {
            let mut t: LoginThrottle = tx
                .get(Id::SYSTEM, Kind::LoginThrottle, id)?
                .unwrap_or_default();
            let locked = t.locked_until.filter(|until| *until > now);
            t.failures = t.failures.saturating_add(1);
            if locked.is_none() && t.failures >= lock_after {
                t.locks = t.locks.saturating_add(1);
                t.locked_until = Some(now + lock_for(t.locks));
            }
            tx.put(Id::SYSTEM, Kind::LoginThrottle, id, &t)?;
            Ok(locked)
        })
    }

    /// Takes back an attempt that was no failure (the right password, a
    /// second factor still to come).
    pub fn forgive_login_attempt(
        &self,
        org_slug: &str,
        username: &str,
        lock_after: u32,
    ) -> Result<()> {
        let id = throttle_id(org_slug, username);
        self.transaction(|tx| {
            let mut t: LoginThrottle = tx
                .get(Id::SYSTEM, Kind::LoginThrottle, id)?
                .unwrap_or_default();
            t.failures = t.failures.saturating_sub(1);
            if t.failures < lock_after && t.locked_until.take().is_some() {
                t.locks = t.locks.saturating_sub(1);
            }
            tx.put(Id::SYSTEM, Kind::LoginThrottle, id, &t)?;
            Ok(())
        })
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
