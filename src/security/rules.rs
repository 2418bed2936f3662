//! The detection rules: pure functions from audit events to findings, so
//! each is tested without a server.

use crate::store::{AuditEvent, SecurityMonitoring};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use time::OffsetDateTime;

/// Every rule, by the name settings and findings use.
pub const RULES: [&str; 11] = [
    "failed_logins_account",
    "failed_logins_address",
    "lockout",
    "privilege",
    "api_key",
    "new_network",
    "personal_data_export",
    "device_wipe",
    "backup",
    "audit_chain",
    "shipping_lag",
];

/// Something a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// Who or what it is about: an account, an address, a key.
    pub subject: String,
    pub title: String,
    pub body: String,
}

/// A failed login still inside the counting window.
#[derive(Debug, Clone)]
pub struct FailedLogin {
    pub at: OffsetDateTime,
    pub account: String,
    pub source: Option<String>,
}

/// The failed logins of the last window, oldest first.
#[derive(Debug, Default)]
pub struct FailedLogins(VecDeque<FailedLogin>);

impl FailedLogins {
    /// Takes in the failed logins among `events` and forgets those older
    /// than the window.
    pub fn take(
        &mut self,
        events: &[AuditEvent],
        settings: &SecurityMonitoring,
        now: OffsetDateTime,
    ) {
        for e in events.iter().filter(|e| e.action == "login.failed") {
            self.0.push_back(FailedLogin {
                at: e.at,
                account: account_of(e).to_owned(),
                source: e.source.clone(),
            });
        }
        let since = now - window(settings);
        while self.0.front().is_some_and(|f| f.at < since) {
            self.0.pop_front();
        }
    }
}

fn window(settings: &SecurityMonitoring) -> time::Duration {
    time::Duration::minutes(i64::from(settings.window_minutes.max(1)))
}

fn account_of(e: &AuditEvent) -> &str {
    e.target.as_deref().unwrap_or(&e.actor.name)
}

/// The rules that need nothing but the events: counting failed logins over
/// the window, and single events that matter. `new` are the events not
/// seen before; a count fires only when one of them adds to it.
pub fn findings(
    settings: &SecurityMonitoring,
    failed: &FailedLogins,
    new: &[AuditEvent],
) -> Vec<Finding> {
    let mut found = Vec::new();
    let minutes = settings.window_minutes.max(1);
    let mut by_account: HashMap<&str, usize> = HashMap::new();
    let mut by_address: HashMap<&str, usize> = HashMap::new();
    for f in &failed.0 {
        *by_account.entry(&f.account).or_default() += 1;
        if let Some(source) = f.source.as_deref() {
            *by_address.entry(source).or_default() += 1;
        }
    }
    let new_failed: Vec<&AuditEvent> = new.iter().filter(|e| e.action == "login.failed").collect();
    for (account, n) in by_account {
        let added = new_failed.iter().any(|e| account_of(e) == account);
        if added && n >= settings.failed_logins_per_account as usize {
            found.push(Finding {
                rule: "failed_logins_account",
                subject: account.to_owned(),
                title: format!("Security: {n} failed logins for {account}"),
                body: format!(
                    "{n} wrong passwords or codes for the account {account} within {minutes} minutes."
                ),
            });
        }
    }
    for (address, n) in by_address {
        let added = new_failed
            .iter()
            .any(|e| e.source.as_deref() == Some(address));
        if added && n >= settings.failed_logins_per_address as usize {
            found.push(Finding {
                rule: "failed_logins_address",
                subject: address.to_owned(),
                title: format!("Security: {n} failed logins from {address}"),
                body: format!(
                    "{n} failed logins from the address {address} within {minutes} minutes."
                ),
            });
        }
    }
    for e in new {
        if let Some(finding) = single(e) {
            found.push(finding);
        }
    }
    found
}

/// Whether the organisation left `rule` on.
pub fn is_on(settings: &SecurityMonitoring, rule: &str) -> bool {
    !settings.rules_off.iter().any(|off| off == rule)
}

/// A finding a single event makes on its own.
fn single(e: &AuditEvent) -> Option<Finding> {
    let subject = e.target.clone().unwrap_or_else(|| e.actor.name.clone());
    let (rule, title) = match e.action.as_str() {
        "login.account_locked" => ("lockout", format!("Login locked: {subject}")),
        "sms_trigger.locked" => ("lockout", format!("SMS trigger locked: {subject}")),
        // A person given other roles, or a role's permissions changed; a
        // new role changes nothing until someone holds it.
        "user.roles_changed" | "role.changed" => (
            "privilege",
            format!("Security: roles or permissions changed: {subject}"),
        ),
        "user.admin_recovered" => (
            "privilege",
            format!("Security: an admin was recovered from the shell: {subject}"),
        ),
        "apikey.created" => (
            "api_key",
            format!("Security: an API key was created: {subject}"),
        ),
        "device.wipe_ordered" => (
            "device_wipe",
            format!("Security: a device wipe was ordered: {subject}"),
        ),
        "backup.failed" => ("backup", format!("Security: a backup failed: {subject}")),
        action if action.ends_with(".exported") && e.outcome == crate::store::Outcome::Success => (
            "personal_data_export",
            format!("Security: personal data exported: {subject}"),
        ),
        _ => return None,
    };
    Some(Finding {
        rule,
        subject,
        body: format!(
            "{}: {} by {} from {} at {}.",
            e.action,
            e.target.as_deref().unwrap_or("-"),
            e.actor.name,
            e.source.as_deref().unwrap_or("the appliance"),
            e.at
        ),
        title,
    })
}

/// The network a login came from, as the new-network rule compares them:
/// an IPv4 /24 or an IPv6 /48, the usual size of one site's allocation.
pub fn login_network(source: &str) -> Option<String> {
    match source.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => login_network(&v4.to_string()),
            None => {
                let masked = u128::from(v6) & !((1u128 << 80) - 1);
                Some(format!("{}/48", std::net::Ipv6Addr::from(masked)))
            }
        },
    }
}

/// The first place where `events` (oldest first) do not follow `after`
/// and each other as a chain: a hash that does not match the content, a
/// link to the wrong event, or a gap in the numbers.
pub fn chain_break(after: Option<(u64, Option<&str>)>, events: &[AuditEvent]) -> Option<String> {
    let mut before: Option<(u64, Option<String>)> = after.map(|(s, h)| (s, h.map(str::to_owned)));
    for e in events {
        if e.hash.as_deref() != Some(e.content_hash().as_str()) {
            return Some(format!("event {} does not match its hash (edited)", e.seq));
        }
        if let Some((seq, hash)) = &before {
            if e.seq != seq + 1 {
                return Some(format!(
                    "events {} to {} are missing",
                    seq + 1,
                    e.seq.saturating_sub(1)
                ));
            }
            if hash.is_some() && e.prev != *hash {
                return Some(format!("event {} does not link to event {seq}", e.seq));
            }
        }
        before = Some((e.seq, e.hash.clone()));
    }
    None
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::ids::Id;
    use crate::store::{Actor, ActorKind, Outcome};

    fn event(action: &str, account: &str, from: &str) -> AuditEvent {
        AuditEvent {
            id: Id::new(),
            at: OffsetDateTime::now_utc(),
            actor: Actor {
                kind: ActorKind::Anonymous,
                id: None,
                name: account.into(),
            },
            action: action.into(),
            target: Some(account.into()),
            source: Some(from.into()),
            outcome: Outcome::Failure,
            detail: None,
            seq: 0,
            prev: None,
            hash: None,
        }
    }

    fn counted(events: &[AuditEvent], settings: &SecurityMonitoring) -> FailedLogins {
        let mut failed = FailedLogins::default();
        failed.take(events, settings, OffsetDateTime::now_utc());
        failed
    }

    #[test]
    fn twenty_failed_logins_for_one_account_are_a_finding_once_seen() {
        let settings = SecurityMonitoring::default();
        let events: Vec<AuditEvent> = (0..20)
            .map(|i| event("login.failed", "jdoe", &format!("192.0.2.{i}")))
            .collect();
        let all = counted(&events, &settings);
        let found = findings(&settings, &all, &events[19..]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "failed_logins_account");
        let nineteen = counted(&events[..19], &settings);
        assert!(findings(&settings, &nineteen, &events[..19]).is_empty());
        assert!(
            findings(&settings, &all, &[]).is_empty(),
            "old news is not told again"
        );
    }

    #[test]
    fn the_organisation_sets_the_threshold_and_switches_rules_off() {
        let mut settings = SecurityMonitoring {
            failed_logins_per_account: 3,
            ..SecurityMonitoring::default()
        };
        let events: Vec<AuditEvent> = (0..3)
            .map(|_| event("login.failed", "jdoe", "192.0.2.1"))
            .collect();
        let failed = counted(&events, &settings);
        assert_eq!(findings(&settings, &failed, &events).len(), 1);
        settings.rules_off = vec!["failed_logins_account".into()];
        assert!(!is_on(&settings, "failed_logins_account"));
        assert!(is_on(&settings, "lockout"));
    }

    #[test]
    fn failed_logins_older_than_the_window_are_forgotten() {
        let settings = SecurityMonitoring::default();
        let mut old = event("login.failed", "jdoe", "192.0.2.1");
        old.at -= time::Duration::minutes(11);
        let failed = counted(&[old], &settings);
        assert!(failed.0.is_empty());
    }

    #[test]
    fn exports_and_lockouts_are_findings_of_their_own() {
        let settings = SecurityMonitoring::default();
        let mut export = event("alert.exported", "01J…", "192.0.2.1");
        export.outcome = Outcome::Success;
        let lock = event("login.account_locked", "jdoe", "192.0.2.1");
        let found = findings(&settings, &FailedLogins::default(), &[export, lock]);
        let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["personal_data_export", "lockout"]);
        assert_eq!(found[1].title, "Login locked: jdoe");
    }

    #[test]
    fn networks_are_a_24_or_a_48() {
        assert_eq!(login_network("192.0.2.77").as_deref(), Some("192.0.2.0/24"));
        assert_eq!(
            login_network("::ffff:192.0.2.77").as_deref(),
            Some("192.0.2.0/24")
        );
        assert_eq!(
            login_network("2001:db8:1:2::5").as_deref(),
            Some("2001:db8:1::/48")
        );
        assert_eq!(login_network("not an address"), None);
    }

    fn chained(n: u64) -> Vec<AuditEvent> {
        let mut prev = None;
        (1..=n)
            .map(|seq| {
                let mut e = event("user.created", "jdoe", "192.0.2.1");
                e.seq = seq;
                e.prev = prev.clone();
                e.hash = Some(e.content_hash());
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn a_chain_break_is_named() {
        let events = chained(4);
        assert_eq!(chain_break(None, &events), None);
        let after = Some((1, events[0].hash.as_deref()));
        assert_eq!(chain_break(after, &events[1..]), None);

        let mut edited = events.clone();
        edited[2].action = "user.deleted".into();
        assert!(chain_break(None, &edited)
            .unwrap()
            .contains("event 3 does not match"));
        let mut deleted = events.clone();
        deleted.remove(1);
        assert!(chain_break(None, &deleted)
            .unwrap()
            .contains("events 2 to 2 are missing"));
        let relinked = chained(4);
        assert!(chain_break(Some((1, Some("beef"))), &relinked[1..])
            .unwrap()
            .contains("does not link"));
    }
}
