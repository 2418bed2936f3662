//! Writing audit events. Every login, failure, lockout, permission change, key,
//! device action and admin read goes through here into the store.

pub mod chain;
pub mod ship;

use crate::ids::Id;
use crate::store::{Actor, ActorKind, AuditEvent, OrgStore, Outcome, StoreError};
use time::OffsetDateTime;

/// One audit event about to be written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    pub action: &'static str,
    pub target: Option<String>,
    pub source: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

impl Entry {
    pub fn new(actor: Actor, action: &'static str, outcome: Outcome) -> Self {
        Entry {
            actor,
            action,
            target: None,
            source: None,
            outcome,
            detail: None,
        }
    }

    pub fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn source(mut self, source: Option<String>) -> Self {
        self.source = source;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn write(self, org: &OrgStore, now: OffsetDateTime) -> Result<(), StoreError> {
        org.record_audit(&self.event(Id::new(), now))
    }

    /// Writes to the appliance's own trail (the operator's), once the
    /// appliance has one; before the first operator exists there is nobody
    /// to read it.
    pub fn write_appliance(
        self,
        store: &crate::store::Store,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        match store.org_by_slug(crate::store::APPLIANCE_SLUG)? {
            Some(org) => self.write(&store.org(org.id), now),
            None => Ok(()),
        }
    }

    /// The event as stored, for writing together with what it describes.
    pub fn event(self, id: Id, now: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id,
            at: now,
            actor: self.actor,
            action: self.action.to_owned(),
            target: self.target,
            source: self.source,
            outcome: self.outcome,
            detail: self.detail,
            seq: 0,
            prev: None,
            hash: None,
        }
    }
}

pub fn user_actor(id: Id, username: &str) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: Some(id),
        name: username.to_owned(),
    }
}

/// Longest name an unauthenticated caller can put in the trail.
const TYPED_NAME_CHARS: usize = 64;

/// Someone not logged in, by the name they typed: bounded and with control
/// characters shown as `?`, so nobody writes lines of their own choosing
/// into the trail.
pub fn anonymous(typed_username: &str) -> Actor {
    let mut name: String = typed_username
        .chars()
        .take(TYPED_NAME_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if typed_username.chars().count() > TYPED_NAME_CHARS {
        name.push('…');
    }
    Actor {
        kind: ActorKind::Anonymous,
        id: None,
        name,
    }
}

/// The appliance itself, acting on what it noticed.
pub fn appliance() -> Actor {
    Actor {
        kind: ActorKind::Appliance,
        id: None,
        name: "Tocsin".to_owned(),
    }
}

pub fn shell() -> Actor {
    Actor {
        kind: ActorKind::Shell,
        id: None,
        name: "shell".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn typed_names_are_bounded_and_printable() {
        let long = "x".repeat(500);
        let actor = super::anonymous(&long);
        assert_eq!(actor.name.chars().count(), 65);
        assert_eq!(
            super::anonymous("root\nadmin.login ok").name,
            "root?admin.login ok"
        );
    }
}
