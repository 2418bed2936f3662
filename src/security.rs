//! Watching the audit trail for attacks and unusual activity. Every couple
//! of seconds each organisation's new audit events go through the rules;
//! a rule that fires is a finding: audited as `security.finding` and told
//! to the organisation's admins in the app and by email, at most once an
//! hour per rule and subject.

use crate::alerts::{AdminNotice, Engine};
use crate::audit::{self, Entry};
use crate::clock::SharedClock;
use crate::ids::Id;
use crate::store::{AuditEvent, AuditFilter, OrgStore, Outcome, Store};
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;

const EVERY: Duration = Duration::from_secs(2);
/// The window the counting rules look back over.
const WINDOW: time::Duration = time::Duration::minutes(10);
/// Failed logins for one account within the window that make a finding.
pub const FAILED_LOGINS_PER_ACCOUNT: usize = 20;
/// Failed logins from one address within the window that make a finding.
pub const FAILED_LOGINS_PER_ADDRESS: usize = 50;

/// Something a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// Who or what it is about: an account, an address, a key.
    pub subject: String,
    pub title: String,
    pub body: String,
}

/// The rules over one organisation's recent events, oldest first; `new`
/// are those not seen before (the rest are the window's history).
pub fn findings(recent: &[AuditEvent], new: &[AuditEvent]) -> Vec<Finding> {
    let mut found = Vec::new();
    let failed: Vec<&AuditEvent> = recent
        .iter()
        .filter(|e| e.action == "login.failed")
        .collect();
    let mut by_account: HashMap<&str, usize> = HashMap::new();
    let mut by_address: HashMap<&str, usize> = HashMap::new();
    for e in &failed {
        *by_account
            .entry(e.target.as_deref().unwrap_or(&e.actor.name))
            .or_default() += 1;
        if let Some(source) = e.source.as_deref() {
            *by_address.entry(source).or_default() += 1;
        }
    }
    let touched = |f: &dyn Fn(&AuditEvent) -> bool| new.iter().any(f);
    for (account, n) in by_account {
        let is_it = |e: &AuditEvent| {
            e.action == "login.failed" && e.target.as_deref().unwrap_or(&e.actor.name) == account
        };
        if n >= FAILED_LOGINS_PER_ACCOUNT && touched(&is_it) {
            found.push(Finding {
                rule: "failed_logins_account",
                subject: account.to_owned(),
                title: format!("Security: {n} failed logins for {account}"),
                body: format!(
                    "{n} wrong passwords or codes for the account {account} within {} minutes.",
                    WINDOW.whole_minutes()
                ),
            });
        }
    }
    for (address, n) in by_address {
        let is_it =
            |e: &AuditEvent| e.action == "login.failed" && e.source.as_deref() == Some(address);
        if n >= FAILED_LOGINS_PER_ADDRESS && touched(&is_it) {
            found.push(Finding {
                rule: "failed_logins_address",
                subject: address.to_owned(),
                title: format!("Security: {n} failed logins from {address}"),
                body: format!(
                    "{n} failed logins from the address {address} within {} minutes.",
                    WINDOW.whole_minutes()
                ),
            });
        }
    }
    for e in new {
        let (rule, what) = match e.action.as_str() {
            "login.account_locked" => ("lockout", "An account was locked"),
            // A person given other roles, or a role's permissions changed;
            // a new role changes nothing until someone holds it.
            "user.roles_changed" | "role.changed" => ("privilege", "Roles or permissions changed"),
            "user.admin_recovered" => ("privilege", "An admin was recovered from the shell"),
            "apikey.created" => ("api_key", "An API key was created"),
            "device.wipe_ordered" => ("device_wipe", "A device wipe was ordered"),
            "backup.failed" => ("backup", "A backup failed"),
            _ => continue,
        };
        let subject = e.target.clone().unwrap_or_else(|| e.actor.name.clone());
        found.push(Finding {
            rule,
            subject: subject.clone(),
            title: format!("Security: {what}: {subject}"),
            body: format!(
                "{what}: {subject}, by {} from {} at {}.",
                e.actor.name,
                e.source.as_deref().unwrap_or("the appliance"),
                e.at
            ),
        });
    }
    found
}

/// Starts watching every organisation's trail. Runs until the runtime stops.
pub fn start(store: Store, engine: Engine, clock: SharedClock) {
    actix_web::rt::spawn(async move {
        let mut seen: HashMap<Id, u64> = HashMap::new();
        let mut first = true;
        loop {
            let (s, e, now) = (store.clone(), engine.clone(), clock.now());
            let mut kept = std::mem::take(&mut seen);
            let starting = first;
            let done = tokio::task::spawn_blocking(move || {
                if let Err(error) = sweep(&s, &e, &mut kept, starting, now) {
                    tracing::error!(%error, "security monitoring could not read the audit trail");
                }
                kept
            })
            .await;
            seen = done.unwrap_or_default();
            first = false;
            tokio::time::sleep(EVERY).await;
        }
    });
}

fn sweep(
    store: &Store,
    engine: &Engine,
    seen: &mut HashMap<Id, u64>,
    starting: bool,
    now: OffsetDateTime,
) -> Result<(), crate::store::StoreError> {
    let mut orgs: Vec<Id> = store.orgs()?.into_iter().map(|o| o.id).collect();
    if let Some(appliance) = store.org_by_slug(crate::store::APPLIANCE_SLUG)? {
        if !orgs.contains(&appliance.id) {
            orgs.push(appliance.id);
        }
    }
    for org in orgs {
        let handle = store.org(org);
        let head = handle.audit_head()?.seq;
        let last = seen.entry(org).or_insert(if starting { head } else { 0 });
        if head <= *last {
            continue;
        }
        let mut recent = handle.audit_events(&AuditFilter {
            since: Some(now - WINDOW),
            limit: 100_000,
            ..AuditFilter::default()
        })?;
        recent.reverse();
        let new: Vec<AuditEvent> = recent.iter().filter(|e| e.seq > *last).cloned().collect();
        *last = head;
        for finding in findings(&recent, &new) {
            report(&handle, engine, &finding, now);
        }
    }
    Ok(())
}

fn report(org: &OrgStore, engine: &Engine, finding: &Finding, now: OffsetDateTime) {
    tracing::warn!(rule = finding.rule, subject = %finding.subject, "security finding");
    let hour = now.unix_timestamp() / 3600;
    let notice = AdminNotice {
        title: finding.title.clone(),
        body: finding.body.clone(),
        key: format!("security:{}:{}:{hour}", finding.rule, finding.subject),
        via: "security monitoring",
    };
    match engine.tell_admins(org, notice, now) {
        Ok(raised) if raised.created.existing => {}
        Ok(_) => {
            let _ = Entry::new(audit::appliance(), "security.finding", Outcome::Success)
                .target(finding.rule)
                .detail(finding.title.clone())
                .write(org, now);
        }
        Err(e) => tracing::error!(error = %e, "cannot tell the admins of a security finding"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Actor, ActorKind};

    fn failed(account: &str, from: &str) -> AuditEvent {
        AuditEvent {
            id: Id::new(),
            at: OffsetDateTime::now_utc(),
            actor: Actor {
                kind: ActorKind::Anonymous,
                id: None,
                name: account.into(),
            },
            action: "login.failed".into(),
            target: Some(account.into()),
            source: Some(from.into()),
            outcome: Outcome::Failure,
            detail: None,
            seq: 0,
            prev: None,
            hash: None,
        }
    }

    #[test]
    fn twenty_failed_logins_for_one_account_are_a_finding_once_seen() {
        let events: Vec<AuditEvent> = (0..FAILED_LOGINS_PER_ACCOUNT)
            .map(|i| failed("jdoe", &format!("192.0.2.{i}")))
            .collect();
        let found = findings(&events, &events[19..]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "failed_logins_account");
        assert!(findings(&events[..19], &events[..19]).is_empty());
        assert!(
            findings(&events, &[]).is_empty(),
            "old news is not told again"
        );
    }
}
