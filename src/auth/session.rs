//! Checking a session cookie on each request: its secret, the organisation's
//! idle timeout and absolute lifetime, and the device it belongs to. A device
//! with a pending wipe order gets the order exactly once and is then blocked.

use super::login::{access_of, stage_for, SESSION_PREFIX};
use super::{token, Access};
use crate::ids::Id;
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

/// When the session ends however active it is.
pub fn absolute_expiry(org: &Organisation, session: &SessionRecord) -> OffsetDateTime {
    session.created_at + time::Duration::hours(i64::from(org.settings.session_lifetime_hours))
}

/// Idle too long (for requests; an open live stream is the app in use) or
/// past its lifetime.
fn expired(org: &Organisation, session: &SessionRecord, now: OffsetDateTime, purpose: Use) -> bool {
    let idle = time::Duration::minutes(i64::from(org.settings.session_idle_minutes));
    let idle_out = purpose == Use::Request && session.last_seen_at + idle <= now;
    idle_out || absolute_expiry(org, session) <= now
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
    check(store, org, session, now, Use::Request)
}

/// Checks again a session a live stream was opened under: whether it may
/// still receive. Touches nothing and delivers no wipe order (the app's
/// next request collects it).
pub fn recheck(
    store: &Store,
    org: Id,
    session: Id,
    now: OffsetDateTime,
) -> Result<Verdict, StoreError> {
    let Some(org) = store.get_org(org)? else {
        return Ok(Verdict::Refused);
    };
    let Some(session) = store.org(org.id).session(session)? else {
        return Ok(Verdict::Refused);
    };
    check(store, org, session, now, Use::Recheck)
}

/// Why a session is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A request made with its cookie: it counts as activity.
    Request,
    /// A live stream making sure it may go on.
    Recheck,
}

fn check(
    store: &Store,
    org: Organisation,
    session: SessionRecord,
    now: OffsetDateTime,
    purpose: Use,
) -> Result<Verdict, StoreError> {
    let handle = store.org(org.id);
    if expired(&org, &session, now, purpose) {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    }
    let Some(device) = handle.device(session.device_id)? else {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    };
    let wipe_pending = device.wipe_requested_at.is_some() && device.wipe_delivered_at.is_none();
    if wipe_pending && purpose == Use::Recheck {
        return Ok(Verdict::Refused);
    }
    if wipe_pending {
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
    if user.deactivated {
        handle.end_session(session.id)?;
        return Ok(Verdict::Refused);
    }
    let access = access_of(&handle, &user)?;
    // What the session may do follows the user's security state now, not
    // at login: a reset password or a new second-factor rule applies to
    // sessions already open.
    let mut session = session;
    session.stage = stage_for(&org, &user, &access, now);
    if purpose == Use::Request && now - session.last_seen_at > TOUCH_EVERY {
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
