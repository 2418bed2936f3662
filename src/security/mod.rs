//! Watching the audit trail for attacks and unusual activity. Every couple
//! of seconds each organisation's new audit events are checked as a chain
//! and go through the rules (`rules`); a rule that fires is a finding:
//! audited as `security.finding` and told to the organisation's security
//! contacts on the channels its settings name, at most once an hour per
//! rule and subject.

mod rules;

pub use rules::{login_network, Finding, RULES};

use crate::alerts::{Engine, Notice, RecipientSpec};
use crate::audit::ship::ShipStatus;
use crate::audit::{self, Entry};
use crate::clock::SharedClock;
use crate::ids::Id;
use crate::store::{
    AuditEvent, NetworkSeen, OrgStore, Outcome, SecurityMark, SecurityMonitoring, Store, StoreError,
};
use rules::FailedLogins;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

const EVERY: Duration = Duration::from_secs(2);

/// What monitoring keeps in memory per organisation.
#[derive(Debug, Default)]
struct Watch {
    failed: FailedLogins,
    mark: SecurityMark,
}

/// Starts watching every organisation's trail, and the log server's lag
/// when `shipping` is on. Runs until the runtime stops.
pub fn start(store: Store, engine: Engine, clock: SharedClock, shipping: Option<Arc<ShipStatus>>) {
    actix_web::rt::spawn(async move {
        let mut watches: HashMap<Id, Watch> = HashMap::new();
        loop {
            let (s, e, sh, now) = (store.clone(), engine.clone(), shipping.clone(), clock.now());
            let mut kept = std::mem::take(&mut watches);
            let done = crate::store::blocking(move || {
                if let Err(error) = sweep(&s, &e, sh.as_deref(), &mut kept, now) {
                    tracing::error!(%error, "security monitoring could not read the audit trail");
                }
                Ok::<_, StoreError>(kept)
            })
            .await;
            watches = done.unwrap_or_default();
            tokio::time::sleep(EVERY).await;
        }
    });
}

fn sweep(
    store: &Store,
    engine: &Engine,
    shipping: Option<&ShipStatus>,
    watches: &mut HashMap<Id, Watch>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    // The appliance's own trail exists once it has an operator.
    let appliance = store.org_by_slug(crate::store::APPLIANCE_SLUG)?;
    let mut orgs = store.orgs()?;
    orgs.extend(appliance.clone());
    for org in orgs {
        let handle = store.org(org.id);
        let settings = &org.settings.security;
        let watch = match watches.entry(org.id) {
            std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
            std::collections::hash_map::Entry::Vacant(place) => {
                place.insert(resume(store, &handle, settings, engine, now)?)
            }
        };
        if handle.audit_head()?.seq <= watch.mark.seq {
            continue;
        }
        let new = handle.audit_after(watch.mark.seq)?;
        let Some(last) = new.last() else { continue };
        let mut found = Vec::new();
        if let Some(why) =
            rules::chain_break(Some((watch.mark.seq, watch.mark.hash.as_deref())), &new)
        {
            found.push(chain_finding(why));
        }
        watch.mark = SecurityMark {
            seq: last.seq,
            hash: last.hash.clone(),
        };
        watch.failed.take(&new, settings, now);
        found.extend(rules::findings(settings, &watch.failed, &new));
        found.extend(new_networks(&handle, &new)?);
        for finding in found.iter().filter(|f| rules::is_on(settings, f.rule)) {
            report(&handle, settings, engine, finding, now);
        }
        store.set_security_mark(org.id, &watch.mark)?;
    }
    if let (Some(why), Some(appliance)) = (shipping.and_then(|s| s.stale(now)), appliance) {
        let settings = &appliance.settings.security;
        if rules::is_on(settings, "shipping_lag") {
            let finding = Finding {
                rule: "shipping_lag",
                subject: "log server".to_owned(),
                title: "Security: the audit trail is not reaching the log server".to_owned(),
                body: why,
            };
            report(&store.org(appliance.id), settings, engine, &finding, now);
        }
    }
    Ok(())
}

/// Where monitoring of an organisation picks up after a start: at its
/// mark, with the chain since the last signed checkpoint checked again
/// (it may have been edited while the appliance was off). An organisation
/// never watched before starts at its head: old news is not told.
fn resume(
    store: &Store,
    org: &OrgStore,
    settings: &SecurityMonitoring,
    engine: &Engine,
    now: OffsetDateTime,
) -> Result<Watch, StoreError> {
    let head = org.audit_head()?;
    let mark = store.security_mark(org.org_id())?.unwrap_or(SecurityMark {
        seq: head.seq,
        hash: head.hash,
    });
    // Without a checkpoint, a bounded stretch before the mark is checked.
    let from = org
        .last_checkpoint()?
        .map_or(mark.seq.saturating_sub(10_000), |c| c.seq.min(mark.seq));
    let events = org.audit_after(from.saturating_sub(1))?;
    let checked: Vec<AuditEvent> = events.into_iter().filter(|e| e.seq <= mark.seq).collect();
    let broken = match org.last_checkpoint()? {
        Some(c)
            if checked
                .first()
                .is_some_and(|e| e.seq == c.seq && e.hash.as_deref() != Some(c.hash.as_str())) =>
        {
            Some(format!(
                "event {} is not what checkpoint {} signed",
                c.seq, c.seq
            ))
        }
        _ => rules::chain_break(None, &checked),
    };
    if let Some(why) = broken {
        if rules::is_on(settings, "audit_chain") {
            report(org, settings, engine, &chain_finding(why), now);
        }
    }
    let mut failed = FailedLogins::default();
    let recent: Vec<AuditEvent> = checked
        .into_iter()
        .filter(|e| e.at >= now - time::Duration::minutes(i64::from(settings.window_minutes)))
        .collect();
    failed.take(&recent, settings, now);
    Ok(Watch { failed, mark })
}

fn chain_finding(why: String) -> Finding {
    Finding {
        rule: "audit_chain",
        subject: "audit chain".to_owned(),
        title: "Security: the audit chain does not verify".to_owned(),
        body: format!("The audit trail has been changed outside the appliance: {why}."),
    }
}

/// Logins from a network the person has not logged in from before (their
/// very first login excepted).
fn new_networks(org: &OrgStore, events: &[AuditEvent]) -> Result<Vec<Finding>, StoreError> {
    let mut found = Vec::new();
    for e in events.iter().filter(|e| e.action == "login.succeeded") {
        let (Some(user), Some(network)) = (e.actor.id, e.source.as_deref().and_then(login_network))
        else {
            continue;
        };
        if org.remember_network(user, &network, e.at)? == NetworkSeen::New {
            found.push(Finding {
                rule: "new_network",
                subject: format!("{} {network}", e.actor.name),
                title: format!("Security: {} logged in from a new network", e.actor.name),
                body: format!(
                    "{} logged in from {network} ({}), a network not seen for this account before, at {}.",
                    e.actor.name,
                    e.source.as_deref().unwrap_or("-"),
                    e.at
                ),
            });
        }
    }
    Ok(found)
}

/// Whom the organisation's settings name: its contacts and the members of
/// its contact groups that still exist, or its admins when none do.
fn contacts(org: &OrgStore, settings: &SecurityMonitoring) -> Result<RecipientSpec, StoreError> {
    let mut to = RecipientSpec::default();
    for name in &settings.contacts {
        if org.find_user(name)?.is_some() {
            to.users.push(name.clone());
        }
    }
    for name in &settings.contact_groups {
        if org.find_group(name)?.is_some() {
            to.groups.push(name.clone());
        }
    }
    if to.users.is_empty() && to.groups.is_empty() {
        to.roles.push(crate::store::ADMIN.to_owned());
    }
    Ok(to)
}

fn report(
    org: &OrgStore,
    settings: &SecurityMonitoring,
    engine: &Engine,
    finding: &Finding,
    now: OffsetDateTime,
) {
    tracing::warn!(rule = finding.rule, subject = %finding.subject, "security finding");
    let hour = now.unix_timestamp() / 3600;
    let notice = Notice {
        title: finding.title.clone(),
        body: finding.body.clone(),
        key: format!("security:{}:{}:{hour}", finding.rule, finding.subject),
        via: "security monitoring",
    };
    let told = contacts(org, settings)
        .map_err(crate::alerts::AlertError::from)
        .and_then(|to| engine.tell(org, notice, to, settings.channels.clone(), now));
    match told {
        Ok(raised) if raised.created.existing => {}
        Ok(_) => {
            let _ = Entry::new(audit::appliance(), "security.finding", Outcome::Success)
                .target(finding.rule)
                .detail(finding.title.clone())
                .write(org, now);
        }
        Err(e) => tracing::error!(error = %e, "cannot tell the security contacts of a finding"),
    }
}
