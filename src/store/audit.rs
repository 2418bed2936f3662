//! Audit events: who did what, when, from where, with what outcome. Append-only
//! and written through the store (never only to a log file), so they are as
//! durable as the change they describe.

use super::keys::{self, Kind};
use super::{decode, OrgStore, Result};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    /// Dotted name of what happened: "login.failed", "user.created", ...
    pub action: String,
    #[serde(default)]
    pub target: Option<String>,
    /// The client address the request came from.
    #[serde(default)]
    pub source: Option<String>,
    pub outcome: Outcome,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    #[serde(default)]
    pub id: Option<Id>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    /// The appliance's shell (`tocsin admin create`, ...).
    Shell,
    /// Someone not (yet) authenticated, e.g. a failed login.
    Anonymous,
    /// A sender outside the appliance known only by an address: an SMS
    /// number allowed to trigger alerts, a radio.
    External,
    /// The appliance itself, telling admins of something it noticed.
    Appliance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

impl OrgStore {
    pub fn record_audit(&self, event: &AuditEvent) -> Result<()> {
        self.store.insert(self.org, Kind::Audit, event.id, event)
    }

    /// Newest first.
    pub fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let mut found = Vec::new();
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Audit))
            .values()
            .rev()
        {
            let event: AuditEvent = decode(Kind::Audit, &value?)?;
            if filter.since.is_some_and(|since| event.at < since) {
                break;
            }
            let keep = filter
                .action_prefix
                .as_ref()
                .is_none_or(|p| event.action.starts_with(p.as_str()))
                && filter.actor.as_ref().is_none_or(|a| event.actor.name == *a)
                && filter.outcome.is_none_or(|o| event.outcome == o);
            if keep {
                found.push(event);
                if found.len() >= filter.limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}
