//! Logging in with a password (and a second factor when the user has one).
//!
//! Every wrong organisation, username, password or code gets the same answer,
//! and an unknown user costs the same argon2 work as a known one, so neither
//! the message nor the timing tells whether an account exists. Failures are
//! counted per (organisation, username) as typed and per source (network or
//! known device); after [`LOCK_AFTER`] from one source it waits for a time
//! that doubles with each further failure, and after [`ACCOUNT_LOCK_AFTER`]
//! from anywhere the account locks against sources it was never used from
//! (NIST SP 800-63B §5.2.2 rate limiting). Devices the user already uses keep
//! working, so guessing can't lock a dispatcher out.

use super::{password, second_factor, token, Access};
use crate::audit::{self, Entry};
use crate::ids::Id;
use crate::store::{
    DeviceRecord, LoginLimits, LoginSource, OrgStore, Organisation, Outcome as AuditOutcome,
    SessionRecord, SessionStage, Store, StoreError, User,
};
use std::sync::OnceLock;
use std::time::Duration;
use time::OffsetDateTime;

pub const LOCK_AFTER: u32 = 10;
pub const ACCOUNT_LOCK_AFTER: u32 = 20;
const FIRST_LOCK: Duration = Duration::from_secs(60);
const LONGEST_LOCK: Duration = Duration::from_secs(24 * 3600);
pub const SESSION_PREFIX: &str = "session";

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SecondFactor(#[from] second_factor::SecondFactorError),
    #[error("the system random generator failed: {0}")]
    Random(#[from] getrandom::Error),
}

#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub org: String,
    pub username: String,
    pub password: String,
    pub code: Option<String>,
    /// The device this client registered at an earlier login.
    pub device_id: Option<Id>,
    pub device_name: String,
    pub platform: String,
    pub source: Option<String>,
    /// The client's network (an IPv4 address or IPv6 /64): guesses from
    /// one network are counted together.
    pub network: String,
    pub user_agent: Option<String>,
}

#[derive(Debug)]
pub enum Outcome {
    LoggedIn(Box<LoggedIn>),
    /// One answer for every wrong credential. `account_locked`: this
    /// failure locked the account against new devices (its admins should
    /// hear of it).
    Refused {
        account_locked: bool,
    },
    /// The password was right; the user must also give a code. When the
    /// user takes codes by SMS, one is issued here for the caller to send.
    SecondFactorRequired {
        sms: Option<SmsChallenge>,
    },
    Locked {
        retry_after: Duration,
    },
}

/// A login code to send by SMS.
#[derive(Debug)]
pub struct SmsChallenge {
    pub phone: String,
    pub code: String,
}

#[derive(Debug)]
pub struct LoggedIn {
    /// The cookie value; only its hash is stored.
    pub cookie: String,
    pub session: SessionRecord,
    pub user: User,
    pub org: Organisation,
    pub device: DeviceRecord,
    pub access: Access,
}

/// How long the `nth` lock since the last success lasts: a minute, then
/// doubling, at most a day.
pub fn lock_duration(nth: u32) -> Duration {
    let doublings = nth.saturating_sub(1).min(20);
    FIRST_LOCK.saturating_mul(1 << doublings).min(LONGEST_LOCK)
}

/// A hash with the production parameters for users that don't exist, made once.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password::hash("tocsin-dummy-password").unwrap_or_default())
}

/// Makes the dummy hash ahead of the first login, so that login isn't slower.
pub fn warm_up() {
    let _ = dummy_hash();
}

/// When guessing slows down: ten failures from one network or device, then
/// a wait that doubles; twenty from anywhere lock the account against
/// networks and devices it was never used from.
pub const LIMITS: LoginLimits = LoginLimits {
    per_source: LOCK_AFTER,
    per_account: ACCOUNT_LOCK_AFTER,
    lock_for: |n| time::Duration::try_from(lock_duration(n)).unwrap_or(time::Duration::DAY),
};

/// Where an attempt comes from: a device of this user that is not blocked,
/// or else its network.
fn source_of(
    handle: Option<&OrgStore>,
    user: Option<&User>,
    attempt: &Attempt,
) -> Result<LoginSource, StoreError> {
    if let (Some(handle), Some(user), Some(id)) = (handle, user, attempt.device_id) {
        if let Some(device) = handle.device(id)? {
            if device.user_id == user.id && device.blocked_at.is_none() {
                return Ok(LoginSource::KnownDevice(device.id));
            }
        }
    }
    Ok(LoginSource::Network(attempt.network.clone()))
}

pub fn login(store: &Store, now: OffsetDateTime, attempt: &Attempt) -> Result<Outcome, LoginError> {
    let org = store.org_by_slug(&attempt.org)?;
    let org_store = org.as_ref().map(|o| store.org(o.id));
    let user = match &org_store {
        Some(handle) => handle.user_by_username(&attempt.username)?,
        None => None,
    };
    let source = source_of(org_store.as_ref(), user.as_ref(), attempt)?;
    // Counted before the password is checked: guesses made at once all count.
    let gate = store.begin_login_attempt(&attempt.org, &attempt.username, &source, now, LIMITS)?;
    let audit_entry = |action, outcome| {
        Entry::new(audit::anonymous(&attempt.username), action, outcome)
            .source(attempt.source.clone())
    };

    if let Some(until) = gate.wait_until {
        if let Some(handle) = &org_store {
            audit_entry("login.locked", AuditOutcome::Denied).write(handle, now)?;
        }
        let left = (until - now).unsigned_abs();
        return Ok(Outcome::Locked {
            retry_after: Duration::from_secs(left.as_secs().max(1)),
        });
    }
    let refused = Outcome::Refused {
        account_locked: gate.account_locked,
    };

    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = password::verify(
        stored_hash.as_deref().unwrap_or(dummy_hash()),
        &attempt.password,
    ) && stored_hash.is_some()
        // A user an identity provider switched off is refused like a wrong
        // password, so the answer tells a guesser nothing.
        && !user.as_ref().is_some_and(|u| u.deactivated);

    let (Some(org), Some(handle), Some(user), true) = (org, org_store, user, password_ok) else {
        if let Some(handle) = store.org_by_slug(&attempt.org)?.map(|o| store.org(o.id)) {
            audit_entry("login.failed", AuditOutcome::Failure).write(&handle, now)?;
            if gate.account_locked {
                audit_entry("login.account_locked", AuditOutcome::Denied)
                    .detail(format!(
                        "{ACCOUNT_LOCK_AFTER} failed logins; new devices wait"
                    ))
                    .write(&handle, now)?;
            }
        }
        return Ok(refused);
    };

    if second_factor::enrolled(&user) {
        let Some(code) = attempt.code.as_deref().filter(|c| !c.trim().is_empty()) else {
            let sms = match &user.sms_second_factor {
                Some(phone) => {
                    second_factor::issue_sms_code(&handle, &user, phone, now)?.map(|code| {
                        SmsChallenge {
                            phone: phone.clone(),
                            code,
                        }
                    })
                }
                None => None,
            };
            if sms.is_some() {
                audit_entry("login.sms_code_sent", AuditOutcome::Success).write(&handle, now)?;
            }
            store.forgive_login_attempt(&attempt.org, &attempt.username, &source, LIMITS)?;
            return Ok(Outcome::SecondFactorRequired { sms });
        };
        match second_factor::verify(&handle, &user, code, now)? {
            Some(method) => {
                audit_entry("login.second_factor", AuditOutcome::Success)
                    .detail(format!("{method:?}"))
                    .write(&handle, now)?;
            }
            None => {
                audit_entry("login.failed", AuditOutcome::Failure)
                    .detail("wrong second-factor code")
                    .write(&handle, now)?;
                return Ok(refused);
            }
        }
    }

    let device = match attempt
        .device_id
        .map(|id| handle.device(id))
        .transpose()?
        .flatten()
    {
        Some(device) if device.user_id == user.id && device.blocked_at.is_none() => DeviceRecord {
            last_seen_at: now,
            ..device
        },
        Some(device) if device.user_id == user.id => {
            audit_entry("login.blocked_device", AuditOutcome::Denied)
                .target(device.id)
                .write(&handle, now)?;
            return Ok(refused);
        }
        _ => DeviceRecord {
            id: Id::new(),
            user_id: user.id,
            name: attempt.device_name.clone(),
            platform: attempt.platform.clone(),
            created_at: now,
            last_seen_at: now,
            blocked_at: None,
            wipe_requested_at: None,
            wipe_delivered_at: None,
        },
    };

    let access = access_of(&handle, &user)?;
    let stage = stage_for(&org, &user, &access, now);
    let issued = token::issue(SESSION_PREFIX, org.id)?;
    let session = SessionRecord {
        id: issued.id,
        user_id: user.id,
        device_id: device.id,
        secret_sha256: issued.secret_sha256,
        csrf_token: hex::encode(super::random_bytes::<32>()?),
        stage,
        created_at: now,
        last_seen_at: now,
        source: attempt.source.clone(),
        user_agent: attempt.user_agent.clone(),
    };
    handle.begin_session(&device, &session, now)?;
    store.clear_login_throttle(&attempt.org, &attempt.username, &source)?;
    Entry::new(
        audit::user_actor(user.id, &user.username),
        "login.succeeded",
        AuditOutcome::Success,
    )
    .source(attempt.source.clone())
    .detail(format!("device {} ({})", device.name, device.platform))
    .write(&handle, now)?;
    Ok(Outcome::LoggedIn(Box::new(LoggedIn {
        cookie: issued.token,
        session,
        user,
        org,
        device,
        access,
    })))
}

/// What the user's roles allow, looked up in their organisation.
pub fn access_of(org: &OrgStore, user: &User) -> Result<Access, StoreError> {
    let mut roles = Vec::new();
    for name in &user.roles {
        if let Some(role) = org.role_by_name(name)? {
            roles.push(role);
        }
    }
    Ok(Access::from_roles(&roles))
}

/// Whether a new session may do everything or must first fix the password or
/// enrol a second factor.
pub fn stage_for(
    org: &Organisation,
    user: &User,
    access: &Access,
    now: OffsetDateTime,
) -> SessionStage {
    let too_old = org
        .settings
        .password_max_age_days
        .zip(user.password_changed_at)
        .is_some_and(|(days, changed)| now - changed > time::Duration::days(i64::from(days)));
    let needs_second_factor = org.settings.requires_second_factor(&access.roles);
    if user.must_change_password || too_old {
        SessionStage::MustChangePassword
    } else if needs_second_factor && !second_factor::enrolled(user) {
        SessionStage::MustEnrollSecondFactor
    } else {
        SessionStage::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_doubles_and_is_capped() {
        assert_eq!(lock_duration(1), Duration::from_secs(60));
        assert_eq!(lock_duration(2), Duration::from_secs(120));
        assert_eq!(lock_duration(4), Duration::from_secs(480));
        assert_eq!(lock_duration(41), Duration::from_secs(24 * 3600));
    }
}
