//! Failed-login counters per (organisation, username) as typed, and per
//! (account, source): the network a guess came from, or the known device it
//! came through. They are kept for names that don't exist too, so a lockout
//! can't tell anyone whether an account exists.
//!
//! A source that keeps guessing waits longer and longer; the account as a
//! whole locks only against sources it has never logged in from, so nobody
//! can lock a dispatcher out of the console they already use.

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

/// Where a guess came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginSource {
    /// A device the user logged in from before and that is not blocked.
    KnownDevice(Id),
    /// Anything else: the client's network (an IPv4 address or IPv6 /64).
    Network(String),
}

impl LoginSource {
    fn key(&self) -> String {
        match self {
            LoginSource::KnownDevice(id) => format!("device:{id}"),
            LoginSource::Network(net) => format!("net:{net}"),
        }
    }
}

/// When guessing slows down.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures from one source before it has to wait.
    pub per_source: u32,
    /// Failures from all sources before the account locks against unknown
    /// ones.
    pub per_account: u32,
    /// How long the n-th wait or lock since the last success lasts.
    pub lock_for: fn(u32) -> time::Duration,
}

/// What a counted attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Set when the attempt must not be checked: wait until then.
    pub wait_until: Option<OffsetDateTime>,
    /// This attempt locked the account for the first time since its last
    /// success (its admins should hear of it).
    pub account_locked: bool,
}

fn throttle_id(org_slug: &str, username: &str, source: Option<&LoginSource>) -> Id {
    let mut text = format!("{}\0{}", org_slug.to_lowercase(), username.to_lowercase());
    if let Some(source) = source {
        text.push('\0');
        text.push_str(&source.key());
    }
    let digest = Sha256::digest(text);
    Id::from_digest(&digest)
}

/// Counts a failure on one counter; starts its next lock when it reaches
/// `after`. True when a lock started.
fn count(t: &mut LoginThrottle, after: u32, now: OffsetDateTime, limits: &LoginLimits) -> bool {
    t.failures = t.failures.saturating_add(1);
    let locked = t.locked_until.is_some_and(|until| until > now);
    if !locked && t.failures >= after {
        t.locks = t.locks.saturating_add(1);
        t.locked_until = Some(now + (limits.lock_for)(t.locks));
        return true;
    }
    false
}

impl Store {
    pub fn login_throttle(&self, org_slug: &str, username: &str) -> Result<LoginThrottle> {
        self.throttle(throttle_id(org_slug, username, None))
    }

    pub fn login_source_throttle(
        &self,
        org_slug: &str,
        username: &str,
        source: &LoginSource,
    ) -> Result<LoginThrottle> {
        self.throttle(throttle_id(org_slug, username, Some(source)))
    }

    fn throttle(&self, id: Id) -> Result<LoginThrottle> {
        Ok(self
            .get(Id::SYSTEM, Kind::LoginThrottle, id)?
            .unwrap_or_default())
    }

    /// Counts one login attempt before its password is checked, so
    /// attempts made at once all count. An attempt that must wait still
    /// counts, without making any wait longer.
    pub fn begin_login_attempt(
        &self,
        org_slug: &str,
        username: &str,
        source: &LoginSource,
        now: OffsetDateTime,
        limits: LoginLimits,
    ) -> Result<Gate> {
        let account_id = throttle_id(org_slug, username, None);
        let source_id = throttle_id(org_slug, username, Some(source));
        let known = matches!(source, LoginSource::KnownDevice(_));
        self.transaction(|tx| {
            let mut account: LoginThrottle = tx
                .get(Id::SYSTEM, Kind::LoginThrottle, account_id)?
                .unwrap_or_default();
            let mut from: LoginThrottle = tx
                .get(Id::SYSTEM, Kind::LoginThrottle, source_id)?
                .unwrap_or_default();
            let source_wait = from.locked_until.filter(|until| *until > now);
            let account_wait = account.locked_until.filter(|until| *until > now && !known);
            let wait_until = source_wait.max(account_wait);
            let mut account_locked = false;
            if wait_until.is_some() {
                account.failures = account.failures.saturating_add(1);
                from.failures = from.failures.saturating_add(1);
            } else {
                count(&mut from, limits.per_source, now, &limits);
                account_locked =
                    count(&mut account, limits.per_account, now, &limits) && account.locks == 1;
            }
            tx.put(Id::SYSTEM, Kind::LoginThrottle, account_id, &account)?;
            tx.put(Id::SYSTEM, Kind::LoginThrottle, source_id, &from)?;
            Ok(Gate {
                wait_until,
                account_locked,
            })
        })
    }

    /// Takes back an attempt that was no failure (the right password, a
    /// second factor still to come).
    pub fn forgive_login_attempt(
        &self,
        org_slug: &str,
        username: &str,
        source: &LoginSource,
        limits: LoginLimits,
    ) -> Result<()> {
        let counters = [
            (throttle_id(org_slug, username, None), limits.per_account),
            (
                throttle_id(org_slug, username, Some(source)),
                limits.per_source,
            ),
        ];
        self.transaction(|tx| {
            for (id, after) in counters {
                let mut t: LoginThrottle = tx
                    .get(Id::SYSTEM, Kind::LoginThrottle, id)?
                    .unwrap_or_default();
                t.failures = t.failures.saturating_sub(1);
                if t.failures < after && t.locked_until.take().is_some() {
                    t.locks = t.locks.saturating_sub(1);
                }
                tx.put(Id::SYSTEM, Kind::LoginThrottle, id, &t)?;
            }
            Ok(())
        })
    }

    /// A success: the account and the source it came from start afresh.
    pub fn clear_login_throttle(
        &self,
        org_slug: &str,
        username: &str,
        source: &LoginSource,
    ) -> Result<()> {
        let ids = [
            throttle_id(org_slug, username, None),
            throttle_id(org_slug, username, Some(source)),
        ];
        self.transaction(|tx| {
            for id in ids {
                tx.remove(Id::SYSTEM, Kind::LoginThrottle, id)?;
            }
            Ok(())
        })
    }
}
