//! Organisations: the unit of isolation. The directory of organisations (slug →
//! id) is the one index that lives under the system namespace.

use super::keys::{self, IndexKind, Kind};
use super::{Result, RoleRecord, Store, StoreError, BUILT_IN};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: Id,
    /// Short name used at login and on the command line ("acme").
    pub slug: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default)]
    pub settings: OrgSettings,
}

/// What each organisation's admins decide for their own people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgSettings {
    pub password_min_length: u32,
    /// Minimum zxcvbn score, 0 (anything) to 4 (very strong).
    pub password_min_strength: u8,
    /// Passwords older than this must be changed at the next login.
    pub password_max_age_days: Option<u32>,
    /// A session unused this long ends (automatic logout).
    pub session_idle_minutes: u32,
    /// A session ends this long after login, however active.
    pub session_lifetime_hours: u32,
    /// Roles whose holders must use a second factor.
    pub require_second_factor_for: Vec<String>,
    /// Alerts integrations (API keys) may send per minute before the rate
    /// guard refuses more: a runaway integration must not cause an alarm storm.
    pub max_automated_alerts_per_minute: u32,
    /// Reply codes for SMS and radio answers: code → answer option (1 is the
    /// first option, "coming"). "K 15" answers option 1 with an ETA of 15 min.
    pub reply_codes: std::collections::BTreeMap<String, u8>,
    /// Numbers that may start alerts by SMS: "<PIN> <template> [words]".
    pub sms_triggers: Vec<SmsTrigger>,
    /// TETRA status label (as the radio profile names it, "3") → answer
    /// option it gives on the sender's open alert (1 = the first, Coming).
    pub tetra_status_replies: std::collections::BTreeMap<String, u8>,
    /// What TETRA messages from the emergency centre start which alerts.
    pub tetra_rules: Vec<TetraRule>,
    /// What mail to the SMTP listener starts which alerts; the first match
    /// wins. Mail from a sender no rule of any organisation names is refused.
    pub email_rules: Vec<EmailRule>,
    /// The language (en, fi, sv) of messages to people who chose none.
    pub language: String,
    /// Who hears of security findings, how, and what counts as one.
    pub security: SecurityMonitoring,
    /// When members' apps share their position.
    pub location_policy: LocationPolicy,
    /// Positions older than this are erased.
    pub location_retention_hours: u32,
    /// The template a check-in timer that ran out fires (name or id).
    pub dead_man_template: Option<String>,
    /// After a timer runs out, the time to check in before the alarm.
    pub dead_man_grace_seconds: u32,
    /// What CAP messages start which alerts; the first match wins.
    pub cap_rules: Vec<CapRule>,
    /// How long alerts, inbound messages and audit events are kept.
    pub retention: Retention,
    /// How often accounts and keys are reviewed: the admins are reminded
    /// when the last closed review is older than this.
    pub access_review_interval_days: u32,
}

/// How long records are kept before the sweeper removes them
/// (`crate::privacy::retention`); positions have their own, shorter
/// `location_retention_hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Alerts with their recipients, deliveries, answers and timeline.
    pub alerts_days: u32,
    /// Messages received on any channel.
    pub inbound_days: u32,
    /// Audit events; never fewer than [`Retention::MIN_AUDIT_DAYS`], and
    /// never one the log server has not taken yet.
    pub audit_days: u32,
}

impl Retention {
    pub const MIN_ALERTS_DAYS: u32 = 30;
    pub const MIN_INBOUND_DAYS: u32 = 7;
    /// A year: what incident investigation and the customer's own audits
    /// need to look back on.
    pub const MIN_AUDIT_DAYS: u32 = 365;
    /// Ten years: longer is "forever" in all but name.
    pub const MAX_DAYS: u32 = 3650;
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            alerts_days: 365,
            inbound_days: 365,
            audit_days: 730,
        }
    }
}

/// A CAP message that matches fires `template`. Every condition given must
/// hold for one of the message's info blocks; lists match any of theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapRule {
    pub name: String,
    /// A pattern on `event`.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub category: Vec<String>,
    #[serde(default)]
    pub urgency: Vec<String>,
    #[serde(default)]
    pub severity: Vec<String>,
    #[serde(default)]
    pub certainty: Vec<String>,
    /// A pattern on `senderName`.
    #[serde(default)]
    pub sender_name: Option<String>,
    /// A pattern on any `areaDesc`.
    #[serde(default)]
    pub area: Option<String>,
    pub template: String,
}

/// When members' apps share their position with the appliance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationPolicy {
    #[default]
    Never,
    /// While the member has answered an active alert.
    Alerts,
    /// While the member has switched duty on in the app.
    Duty,
}

/// The organisation's own settings for security monitoring
/// (`crate::security`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityMonitoring {
    /// Usernames told of findings.
    pub contacts: Vec<String>,
    /// Groups whose members are told of findings. With no contacts and no
    /// groups, the organisation's admins are.
    pub contact_groups: Vec<String>,
    /// How they are told: any of app, sms, email.
    pub channels: Vec<super::Channel>,
    /// Failed logins for one account within the window that make a finding.
    pub failed_logins_per_account: u32,
    /// Failed logins from one address within the window that make a finding.
    pub failed_logins_per_address: u32,
    pub window_minutes: u32,
    /// Rules switched off, by name.
    pub rules_off: Vec<String>,
}

impl Default for SecurityMonitoring {
    fn default() -> Self {
        SecurityMonitoring {
            contacts: Vec::new(),
            contact_groups: Vec::new(),
            channels: vec![super::Channel::App, super::Channel::Email],
            failed_logins_per_account: 20,
            failed_logins_per_address: 50,
            window_minutes: 10,
            rules_off: Vec::new(),
        }
    }
}

/// An inbound alarm rule: a message from one of `from` (any sender when
/// empty) that is the status `status`, or a text matching `pattern`, fires
/// `template`. Named groups in `pattern` ("(?P<address>...)") are added to
/// the alert's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TetraRule {
    pub name: String,
    #[serde(default)]
    pub from: Vec<u32>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    pub template: String,
}

/// An alarm by email: mail from one of `from` ("alarms@plant.example", or
/// "*@scada.example" for a whole domain) whose subject matches `subject`
/// and whose text matches `body` (each when given) fires `template`, with
/// the subject and text as the alert's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRule {
    pub name: String,
    pub from: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    pub template: String,
}

/// One number allowed to fire templates by SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsTrigger {
    /// E.164, as the network gives the sender.
    pub number: String,
    /// argon2id hash of the PIN the message must start with.
    pub pin_hash: String,
    /// Template names this number may fire; empty means any.
    #[serde(default)]
    pub templates: Vec<String>,
}

/// Digits for the options in order, and the Finnish Kyllä / Ei.
fn default_reply_codes() -> std::collections::BTreeMap<String, u8> {
    [
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("4", 4),
        ("5", 5),
        ("6", 6),
        ("K", 1),
        ("E", 2),
    ]
    .into_iter()
    .map(|(code, option)| (code.to_owned(), option))
    .collect()
}

impl OrgSettings {
    /// Whether holders of any of `roles` must use a second factor. Role
    /// names are compared as they are stored, ignoring case.
    pub fn requires_second_factor(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| {
            self.require_second_factor_for
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(r))
        })
    }
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            password_min_length: 12,
            password_min_strength: 3,
            password_max_age_days: None,
            session_idle_minutes: 30,
            session_lifetime_hours: 12,
            require_second_factor_for: Vec::new(),
            max_automated_alerts_per_minute: 10,
            reply_codes: default_reply_codes(),
            sms_triggers: Vec::new(),
            tetra_status_replies: [("3".to_owned(), 1)].into_iter().collect(),
            tetra_rules: Vec::new(),
            email_rules: Vec::new(),
            language: "en".to_owned(),
            security: SecurityMonitoring::default(),
            location_policy: LocationPolicy::Never,
            location_retention_hours: 24,
            dead_man_template: None,
            dead_man_grace_seconds: 120,
            cap_rules: Vec::new(),
            retention: Retention::default(),
            access_review_interval_days: 90,
        }
    }
}

/// The name the appliance operator logs in under, in place of an
/// organisation's; no organisation can take it.
pub const APPLIANCE_SLUG: &str = "appliance";

impl Store {
    /// The language code a person reads: their own choice, else their
    /// organisation's (`user` is `None` for people without an account).
    pub fn language_of(&self, org: Id, user: Option<Id>) -> Option<String> {
        let own = user
            .and_then(|id| self.org(org).user(id).ok().flatten())
            .and_then(|u| u.language);
        own.or_else(|| {
            self.get_org(org)
                .ok()
                .flatten()
                .map(|o| o.settings.language)
        })
    }

    /// The appliance's own namespace ([`Id::SYSTEM`]) as an organisation the
    /// operator logs into; made on first use. It is not among
    /// [`Store::orgs`].
    pub fn appliance_org(&self, now: OffsetDateTime) -> Result<Organisation> {
        let org = Organisation {
            id: Id::SYSTEM,
            slug: APPLIANCE_SLUG.to_owned(),
            name: "Appliance".to_owned(),
            created_at: now,
            settings: OrgSettings::default(),
        };
        self.transaction(|tx| {
            if let Some(existing) = tx.get(Id::SYSTEM, Kind::Organisation, Id::SYSTEM)? {
                return Ok(existing);
            }
            tx.put(Id::SYSTEM, Kind::Organisation, Id::SYSTEM, &org)?;
            Ok(org.clone())
        })
    }

    /// Creates an organisation with the built-in roles to start from.
    pub fn create_org(&self, slug: &str, name: &str, now: OffsetDateTime) -> Result<Organisation> {
        if slug.eq_ignore_ascii_case(APPLIANCE_SLUG) {
            return Err(StoreError::Duplicate {
                what: "organisation",
                value: slug.to_owned(),
            });
        }
        let org = Organisation {
            id: Id::new(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            created_at: now,
            settings: OrgSettings::default(),
        };
        let roles: Vec<RoleRecord> = BUILT_IN
            .iter()
            .map(|b| RoleRecord {
                id: Id::new(),
                name: b.name.to_owned(),
                description: b.description.to_owned(),
                permissions: b.permissions.to_vec(),
                alert_groups: None,
                built_in: true,
                created_at: now,
                updated_at: now,
            })
            .collect();
        self.transaction(|tx| {
            tx.claim(
                Id::SYSTEM,
                IndexKind::OrgSlug,
                &org.slug,
                org.id,
                "organisation",
            )?;
            tx.put(org.id, Kind::Organisation, org.id, &org)?;
            for role in &roles {
                tx.claim(org.id, IndexKind::RoleName, &role.name, role.id, "role")?;
                tx.put(org.id, Kind::Role, role.id, role)?;
            }
            Ok(())
        })?;
        Ok(org)
    }

    pub fn org_by_slug(&self, slug: &str) -> Result<Option<Organisation>> {
        if slug.eq_ignore_ascii_case(APPLIANCE_SLUG) {
            return self.get_org(Id::SYSTEM);
        }
        match self.lookup(Id::SYSTEM, IndexKind::OrgSlug, slug)? {
            Some(id) => self.get_org(id),
            None => Ok(None),
        }
    }

    pub fn get_org(&self, id: Id) -> Result<Option<Organisation>> {
        self.get(id, Kind::Organisation, id)
    }

    pub fn set_org_settings(&self, id: Id, settings: &OrgSettings) -> Result<Organisation> {
        self.modify(id, Kind::Organisation, id, |org: &mut Organisation| {
            org.settings = settings.clone();
            Ok(())
        })
    }

    pub fn orgs(&self) -> Result<Vec<Organisation>> {
        let prefix = keys::index(Id::SYSTEM, IndexKind::OrgSlug, "");
        let mut orgs = Vec::new();
        for entry in self.index.scan_prefix(prefix).values() {
            let id = Id::from_slice(&entry?).ok_or(StoreError::NotFound {
                what: "organisation",
            })?;
            if let Some(org) = self.get_org(id)? {
                orgs.push(org);
            }
        }
        Ok(orgs)
    }
}
