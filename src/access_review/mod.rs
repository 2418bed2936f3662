//! Access reviews (ISO/IEC 27001 A.5.18, "access rights" reviewed at
//! planned intervals): the report of who holds which accounts and keys and
//! what looks no longer needed, its CSV form, and the reminder that a
//! review is due. Campaigns themselves are kept by the store
//! ([`crate::store::AccessReview`]).

pub mod csv;
pub mod remind;

use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{
    ApiKeyRecord, Decision, OrgStore, ReviewItem, ReviewSubject, StoreError, User, ADMIN,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// Days without use after which an account or key is flagged, unless the
/// caller asks otherwise.
pub const STALE_DAYS: u32 = 90;

/// How many of a user's newest alerts are looked at for their last answer.
pub const ANSWER_SCAN: usize = 500;

/// Something in the report that deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// An account that can log in has not for `stale_days`.
    NoLoginDays,
    /// A key not used for `stale_days`, never used ones older than that too.
    KeyUnused,
    /// Manages people or roles, or holds the admin role, without a second
    /// factor.
    AdminWithoutSecondFactor,
    /// In no group: alerts to groups never reach them.
    InNoGroup,
}

impl Flag {
    pub fn name(self) -> &'static str {
        match self {
            Flag::NoLoginDays => "no_login_days",
            Flag::KeyUnused => "key_unused",
            Flag::AdminWithoutSecondFactor => "admin_without_second_factor",
            Flag::InNoGroup => "in_no_group",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    Totp,
    Sms,
    None,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserEntry {
    pub id: Id,
    pub username: String,
    pub name: String,
    pub roles: Vec<String>,
    /// The union of their roles' permissions.
    pub permissions: Vec<Permission>,
    /// The groups their roles limit alerting to; `None` when they may alert
    /// any group or don't send alerts at all.
    pub alert_groups: Option<Vec<String>>,
    pub groups: Vec<String>,
    pub second_factor: SecondFactor,
    pub can_log_in: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_alert_answered_at: Option<OffsetDateTime>,
    pub device_count: usize,
    pub devices: Vec<String>,
    pub deactivated: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    pub id: Id,
    pub name: String,
    pub role: String,
    /// Who made it, when that was recorded.
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub age_days: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    pub stale_days: u32,
    pub users: Vec<UserEntry>,
    pub keys: Vec<KeyEntry>,
}

/// The report for one organisation as it is now.
pub fn report(org: &OrgStore, stale_days: u32, now: OffsetDateTime) -> Result<Report, StoreError> {
    let stale = Duration::days(i64::from(stale_days));
    let roles = org.roles()?;
    let groups = org.groups()?;
    let devices = org.devices()?;
    let access_of =
        |names: &[String]| Access::from_roles(roles.iter().filter(|r| names.contains(&r.name)));
    let mut users = Vec::new();
    let mut listed = org.users()?;
    listed.sort_by(|a, b| a.username.cmp(&b.username));
    for user in listed {
        let access = access_of(&user.roles);
        let second_factor = second_factor_of(&user);
        let member_of: Vec<String> = groups
            .iter()
            .filter(|g| g.members.contains(&user.id))
            .map(|g| g.name.clone())
            .collect();
        let own: Vec<String> = devices
            .iter()
            .filter(|d| d.user_id == user.id)
            .map(|d| d.name.clone())
            .collect();
        let can_log_in = user.password_hash.is_some();
        let mut flags = Vec::new();
        if !user.deactivated {
            let since = user.last_login_at.unwrap_or(user.created_at);
            if can_log_in && now - since >= stale {
                flags.push(Flag::NoLoginDays);
            }
            let powerful = access.allows(Permission::ManageUsers)
                || access.allows(Permission::ManageRoles)
                || user.roles.iter().any(|r| r.eq_ignore_ascii_case(ADMIN));
            if powerful && second_factor == SecondFactor::None {
                flags.push(Flag::AdminWithoutSecondFactor);
            }
            if member_of.is_empty() {
                flags.push(Flag::InNoGroup);
            }
        }
        let alert_groups = match (&access.alert_groups, access.allows(Permission::SendAlerts)) {
            (Some(ids), true) => Some(
                groups
                    .iter()
                    .filter(|g| ids.contains(&g.id))
                    .map(|g| g.name.clone())
                    .collect(),
            ),
            _ => None,
        };
        users.push(UserEntry {
            last_alert_answered_at: org.last_answer_of(user.id, ANSWER_SCAN)?,
            id: user.id,
            username: user.username,
            name: user.name,
            roles: user.roles,
            permissions: access.permissions,
            alert_groups,
            groups: member_of,
            second_factor,
            can_log_in,
            last_login_at: user.last_login_at,
            device_count: own.len(),
            devices: own,
            deactivated: user.deactivated,
            created_at: user.created_at,
            flags,
        });
    }
    let mut keys: Vec<KeyEntry> = org
        .api_keys()?
        .into_iter()
        .map(|k| key_entry(k, stale, now))
        .collect();
    keys.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(Report {
        generated_at: now,
        stale_days,
        users,
        keys,
    })
}

fn second_factor_of(user: &User) -> SecondFactor {
    if user.totp.as_ref().is_some_and(|t| t.confirmed) {
        SecondFactor::Totp
    } else if user.sms_second_factor.is_some() {
        SecondFactor::Sms
    } else {
        SecondFactor::None
    }
}

fn key_entry(key: ApiKeyRecord, stale: Duration, now: OffsetDateTime) -> KeyEntry {
    let mut flags = Vec::new();
    let since = key.last_used_at.unwrap_or(key.created_at);
    if key.revoked_at.is_none() && now - since >= stale {
        flags.push(Flag::KeyUnused);
    }
    KeyEntry {
        age_days: (now - key.created_at).whole_days(),
        id: key.id,
        name: key.name,
        role: key.role,
        created_by: key.created_by.map(|a| a.name),
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
        flags,
    }
}

/// The items a new review covers: every account not switched off and
/// every key not revoked, each pending.
pub fn items_of(report: &Report) -> Vec<ReviewItem> {
    let flags = |f: &[Flag]| f.iter().map(|f| f.name().to_owned()).collect();
    let users = report
        .users
        .iter()
        .filter(|u| !u.deactivated)
        .map(|u| ReviewItem {
            id: Id::new(),
            kind: ReviewSubject::User,
            subject: u.id,
            name: u.username.clone(),
            roles: u.roles.clone(),
            flags: flags(&u.flags),
            decision: Decision::Pending,
            note: None,
            decided_by: None,
            decided_at: None,
        });
    let keys = report
        .keys
        .iter()
        .filter(|k| k.revoked_at.is_none())
        .map(|k| ReviewItem {
            id: Id::new(),
            kind: ReviewSubject::ApiKey,
            subject: k.id,
            name: k.name.clone(),
            roles: vec![k.role.clone()],
            flags: flags(&k.flags),
            decision: Decision::Pending,
            note: None,
            decided_by: None,
            decided_at: None,
        });
    users.chain(keys).collect()
}
