//! Erasing a person: their account and everything it holds, their name and
//! addresses in every alert they received (a pseudonym takes their place,
//! so the alert's totals stay), the text of their answers and of messages
//! they sent in, and the alerts' record of who sent them.
//!
//! The audit chain is signed and can't be rewritten; the events naming the
//! person are listed in the erasure record, and the audit view shows the
//! pseudonym in their place.
//!
//! An erasure is recorded as pending before anything is removed and
//! finished at the next start if a crash cuts it short; every step can be
//! taken twice.

use super::export::addresses_of;
use crate::ids::Id;
use crate::store::{
    ActorKind, AuditEvent, AuditFilter, Erasure, OrgStore, Store, StoreError, User,
};
use time::OffsetDateTime;

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub pseudonym: String,
    pub alerts: usize,
    pub messages: usize,
}

fn pseudonym() -> String {
    let id = Id::new().to_string();
    let random = id.get(id.len().saturating_sub(10)..).unwrap_or(&id);
    format!("erased-{}", random.to_lowercase())
}

/// The audit events that name the person.
fn naming(org: &OrgStore, about: impl Fn(&AuditEvent) -> bool) -> Result<Vec<Id>, StoreError> {
    let all = AuditFilter {
        limit: usize::MAX,
        ..Default::default()
    };
    Ok(org
        .audit_events(&all)?
        .into_iter()
        .filter(|e| about(e))
        .map(|e| e.id)
        .collect())
}

fn names(
    event: &AuditEvent,
    user: Option<Id>,
    username: Option<&str>,
    addresses: &[String],
) -> bool {
    let is = |text: &str| {
        username.is_some_and(|u| text.eq_ignore_ascii_case(u))
            || user.is_some_and(|id| text == id.to_string())
            || addresses.iter().any(|a| text.eq_ignore_ascii_case(a))
    };
    (user.is_some() && event.actor.id == user)
        || is(&event.actor.name)
        || event.target.as_deref().is_some_and(is)
}

/// Starts erasing a member with an account: records the erasure as
/// pending, then does it. The caller audits it under the pseudonym.
pub fn erase_user(org: &OrgStore, user: &User, now: OffsetDateTime) -> Result<Erased, StoreError> {
    let addresses = addresses_of(user);
    let audit_events = naming(org, |e| {
        names(e, Some(user.id), Some(&user.username), &addresses)
    })?;
    let erasure = Erasure {
        id: user.id,
        pseudonym: pseudonym(),
        at: now,
        pending: true,
        user: Some(user.id),
        username: Some(user.username.clone()),
        addresses,
        audit_events,
    };
    org.put_erasure(&erasure)?;
    org.store().flush_blocking()?;
    finish(org, erasure)
}

/// Starts erasing a phone number or email address that alerts reached
/// without an account.
pub fn erase_address(
    org: &OrgStore,
    address: &str,
    now: OffsetDateTime,
) -> Result<Erased, StoreError> {
    let addresses = vec![address.to_owned()];
    let audit_events = naming(org, |e| names(e, None, None, &addresses))?;
    let erasure = Erasure {
        id: Id::new(),
        pseudonym: pseudonym(),
        at: now,
        pending: true,
        user: None,
        username: None,
        addresses,
        audit_events,
    };
    org.put_erasure(&erasure)?;
    org.store().flush_blocking()?;
    finish(org, erasure)
}

/// Takes every step of a pending erasure, then keeps only what the audit
/// view needs.
fn finish(org: &OrgStore, mut erasure: Erasure) -> Result<Erased, StoreError> {
    let pseudonym = erasure.pseudonym.clone();
    let mut reached = match erasure.user {
        Some(user) => org.alerts_of_user(user)?,
        None => Vec::new(),
    };
    for address in &erasure.addresses {
        if erasure.user.is_none() {
            reached.extend(org.alerts_of_address(address)?);
        }
    }
    for (alert, recipient) in &reached {
        org.pseudonymise_recipient(*alert, *recipient, &pseudonym)?;
    }
    let messages = org.pseudonymise_inbound(&erasure.addresses, &pseudonym)?;
    org.forget_sms_peers(&erasure.addresses)?;
    if let Some(user) = erasure.user {
        org.pseudonymise_sender(user, &pseudonym)?;
        if org.user(user)?.is_some() {
            org.delete_user(user)?;
        }
    }
    erasure.pending = false;
    erasure.username = None;
    erasure.addresses.clear();
    org.put_erasure(&erasure)?;
    org.store().flush_blocking()?;
    Ok(Erased {
        pseudonym,
        alerts: reached.len(),
        messages,
    })
}

/// Finishes erasures a crash cut short; how many.
pub fn resume_erasures(store: &Store) -> Result<usize, StoreError> {
    let mut resumed = 0;
    for org in store.orgs()? {
        let handle = store.org(org.id);
        for erasure in handle.erasures()?.into_iter().filter(|e| e.pending) {
            finish(&handle, erasure)?;
            resumed += 1;
        }
    }
    Ok(resumed)
}

/// An audit event as the API shows it: with the pseudonym in place of a
/// person erased since.
pub fn as_shown(event: AuditEvent, erasures: &[Erasure]) -> AuditEvent {
    let Some(erasure) = erasures.iter().find(|e| e.audit_events.contains(&event.id)) else {
        return event;
    };
    let mut shown = event;
    let acted = match erasure.user {
        Some(user) => shown.actor.id == Some(user),
        None => shown.actor.kind == ActorKind::External,
    };
    if acted {
        shown.actor.name = erasure.pseudonym.clone();
        shown.actor.id = None;
    } else if shown.target.is_some() {
        shown.target = Some(erasure.pseudonym.clone());
    }
    shown.detail = None;
    shown
}
