//! Checking a session cookie on each request: its secret, the organisation's
//! idle timeout and absolute lifetime, and the device it belongs to. A device
//! with a pending wipe order gets the order exactly once and is then blocked.

use super::login::{access_of, stage_for, SESSION_PREFIX};
use super::{token, Access};
use crate::store::{DeviceRecord, Organisation, SessionRecord, Store, StoreError, User};
use time::OffsetDateTime;

/// `__Host-`: browsers take it only over HTTPS, for the whole site, from
/// this host alone (no `Domain`), so a neighbouring host can't plant one.
pub const COOKIE: &str = "__Host-tocsin_session";

/// How stale "last seen" may get before a request writes it again; it bounds
/// how early the idle timeout can strike.
const TOUCH_EVERY: time::Duration = time::Duration::seconds(15);

#[derive(Debug)]
pub enum Verdict {
    Valid(Box<Authenticated>),
    Refused,
    /// The device was ordered wiped; this answer carries the order, once.
    Wiped,
}

#[derive(Debug)]
pub struct Authenticated {
    pub session: SessionRecord,
    pub user: User,
    pub org: Organisation,
    pub device: DeviceRecord,
    pub access: Access,
}

pub fn expired(org: &Organisation, session: &SessionRecord, now: OffsetDateTime) -> bool {
    let idle = time::Duration::minutes(i64::from(org.settings.session_idle_minutes));
    let lifetime = time::Duration::hours(i64::from(org.settings.session_lifetime_hours));
    session.last_seen_at + idle <= now || session.created_at + lifetime <= now
}

pub fn authenticate(
    store: &Store,
    cookie: &str,
    now: OffsetDateTime,
) -> Result<Verdict, StoreError> {
    let Some(parsed) = token::parse(SESSION_PREFIX, cookie) else {
        return Ok(Verdict::Refused);
    };
    let Some(org) = store.get_org(parsed.org)? else {
        return Ok(Verdict::Refused);
    };
    let handle = store.org(org.id);
    let Some(session) = handle.session(parsed.id)? else {
        return Ok(Verdict::Refused);
    };
    if !parsed.matches(&session.secret_sha256) {
        return Ok(Verdict::Refused);
    }
    if expired(&org, &session, now) {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    }
    let Some(device) = handle.device(session.device_id)? else {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    };
    if device.wipe_requested_at.is_some() && device.wipe_delivered_at.is_none() {
        handle.modify_device(device.id, |d| {
            d.wipe_delivered_at = Some(now);
            d.blocked_at.get_or_insert(now);
        })?;
        handle.end_sessions_of_device(device.id)?;
        crate::audit::Entry::new(
            crate::audit::appliance(),
            "device.wipe_delivered",
            crate::store::Outcome::Success,
        )
        .target(device.id)
        .detail(format!("{} ({})", device.name, device.platform))
        .write(&handle, now)?;
        return Ok(Verdict::Wiped);
    }
    if device.blocked_at.is_some() {
        handle.end_sessions_of_device(device.id)?;
        return Ok(Verdict::Refused);
    }
    let Some(user) = handle.user(session.user_id)? else {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    };
    let access = access_of(&handle, &user)?;
    // What the session may do follows the user's security state now, not
    // at login: a reset password or a new second-factor rule applies to
    // sessions already open.
    let mut session = session;
    session.stage = stage_for(&org, &user, &access, now);
    if now - session.last_seen_at > TOUCH_EVERY {
        handle.touch_session(session.id, now)?;
        handle.modify_device(device.id, |d| d.last_seen_at = now)?;
    }
    Ok(Verdict::Valid(Box::new(Authenticated {
        session,
        user,
        org,
        device,
        access,
    })))
}
