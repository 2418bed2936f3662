//! Webhook subscriptions and their outbox.
//!
//! Keys (records tree):
//! - `org | Webhook | subscription` → [`Webhook`]
//! - `SYSTEM | WebhookOutbox | subscription | seq` → [`WebhookJob`]
//!
//! The outbox is ordered per subscription by a sequence number from sled's
//! monotonic id generator (which survives restarts), so the sender takes
//! only the head of each subscription and events arrive in the order they
//! happened. A job leaves the outbox only once the receiver answered 2xx:
//! a crash at any point sends it again with the same id (at-least-once).
//!
//! The signing secret is kept sealed with the at-rest key, not hashed: the
//! appliance must read it back to sign every request.

use super::keys::{self, Kind};
use super::{decode, OrgStore, Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The events a subscription may ask for.
pub const WEBHOOK_EVENTS: [&str; 6] = [
    "alert.created",
    "alert.updated",
    "alert.cancelled",
    "delivery.changed",
    "answer",
    "escalation",
];

/// The type of the event `POST /webhooks/{id}/test` sends.
pub const WEBHOOK_TEST_EVENT: &str = "test";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookState {
    Active,
    /// Paused by an admin, or by the appliance after a day of failures:
    /// events still queue, nothing is sent until it is resumed.
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Id,
    pub url: String,
    pub events: Vec<String>,
    /// The `whsec_…` signing secret, sealed with the at-rest key.
    pub secret: String,
    pub state: WebhookState,
    /// Why it is paused, when the appliance paused it.
    #[serde(default)]
    pub paused_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the oldest unanswered event first failed; `None` while healthy.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub failing_since: Option<OffsetDateTime>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
}

impl Webhook {
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == kind)
    }
}

/// One event waiting for one subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookJob {
    pub org: Id,
    pub subscription: Id,
    /// The `webhook-id`: the same on every attempt, so receivers dedupe.
    pub event: Id,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    pub data: serde_json::Value,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
}

/// Where a job sits in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookJobKey(Vec<u8>);

fn context(org: Id, id: Id) -> String {
    format!("webhook secret {org} {id}")
}

fn outbox_prefix(subscription: Option<Id>) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::WebhookOutbox);
    if let Some(s) = subscription {
        key.extend_from_slice(&s.to_bytes());
    }
    key
}

fn encode<R: Serialize>(kind: Kind, record: &R) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Corrupt {
        kind: kind.name(),
        source,
    })
}

impl OrgStore {
    /// Stores a new subscription with its secret sealed.
    pub fn create_webhook(
        &self,
        url: String,
        events: Vec<String>,
        secret: &str,
        now: OffsetDateTime,
    ) -> Result<Webhook> {
        let id = Id::new();
        let sealed = self
            .store
            .at_rest()
            .seal(&context(self.org, id), secret.as_bytes())
            .map_err(StoreError::AtRest)?;
        let record = Webhook {
            id,
            url,
            events,
            secret: sealed,
            state: WebhookState::Active,
            paused_reason: None,
            created_at: now,
            failing_since: None,
            last_error: None,
            last_success_at: None,
        };
        self.store.insert(self.org, Kind::Webhook, id, &record)?;
        Ok(record)
    }

    pub fn webhook(&self, id: Id) -> Result<Option<Webhook>> {
        self.store.get(self.org, Kind::Webhook, id)
    }

    pub fn webhooks(&self) -> Result<Vec<Webhook>> {
        self.store.list(self.org, Kind::Webhook)
    }

    /// The signing secret in the clear, for signing.
    pub fn webhook_secret(&self, hook: &Webhook) -> Result<String> {
        let plain = self
            .store
            .at_rest()
            .open(&context(self.org, hook.id), &hook.secret, "webhook secret")
            .map_err(StoreError::AtRest)?;
        String::from_utf8(plain).map_err(|_| {
            StoreError::AtRest(super::AtRestError::Unsealable {
                what: "webhook secret",
            })
        })
    }

    pub fn change_webhook(&self, id: Id, f: impl Fn(&mut Webhook)) -> Result<Webhook> {
        self.store.modify(self.org, Kind::Webhook, id, |w| {
            f(w);
            Ok(())
        })
    }

    /// Removes a subscription and whatever still waited for it.
    pub fn delete_webhook(&self, id: Id) -> Result<bool> {
        let removed = self
            .store
            .transaction(|tx| tx.remove(self.org, Kind::Webhook, id))?;
        let w = self.store.w();
        for key in w.records.scan_prefix(outbox_prefix(Some(id))).keys() {
            w.records.remove(key?)?;
        }
        Ok(removed)
    }

    /// Queues `kind` with `data` for every subscription that wants it (or
    /// only `only`, for a test event). Not flushed: the caller flushes, and
    /// knows from the count whether there is anything to flush.
    pub fn queue_webhook_event(
        &self,
        kind: &str,
        data: &serde_json::Value,
        only: Option<Id>,
        now: OffsetDateTime,
    ) -> Result<usize> {
        let prefix = keys::kind_prefix(self.org, Kind::Webhook);
        // Most organisations have no webhooks: one empty prefix scan.
        if self.store.records.scan_prefix(&prefix).next().is_none() {
            return Ok(0);
        }
        let hooks: Vec<Webhook> = self
            .webhooks()?
            .into_iter()
            .filter(|h| match only {
                Some(id) => h.id == id,
                None => h.wants(kind),
            })
            .collect();
        let w = self.store.w();
        for hook in &hooks {
            let seq = w.db.generate_id()?;
            let mut key = outbox_prefix(Some(hook.id));
            key.extend_from_slice(&seq.to_be_bytes());
            let job = WebhookJob {
                org: self.org,
                subscription: hook.id,
                event: Id::new(),
                kind: kind.to_owned(),
                timestamp: now,
                data: data.clone(),
                attempts: 0,
                next_attempt_at: now,
            };
            w.records.insert(key, encode(Kind::WebhookOutbox, &job)?)?;
        }
        Ok(hooks.len())
    }
}

impl Store {
    /// Queues an event for an organisation's subscriptions and flushes it,
    /// if any subscription wants it. For callers that have just stored (and
    /// flushed) what the event tells of; a failure here is logged, not
    /// passed on, as the change itself stands.
    pub fn emit_webhook(&self, org: Id, kind: &str, data: serde_json::Value, now: OffsetDateTime) {
        let queued = self
            .org(org)
            .queue_webhook_event(kind, &data, None, now)
            .and_then(|n| {
                if n > 0 {
                    self.flush_blocking()?;
                }
                Ok(n)
            });
        if let Err(e) = queued {
            tracing::error!(%org, kind, error = %e, "cannot queue a webhook event");
        }
    }

    /// The head of each subscription's outbox: the one event of each that
    /// may be sent next, due or not.
    pub fn webhook_heads(&self) -> Result<Vec<(WebhookJobKey, WebhookJob)>> {
        let prefix = outbox_prefix(None);
        let mut heads = Vec::new();
        let mut start = prefix.clone();
        while let Some(entry) = self.records.range(start.clone()..).next() {
            let (key, value) = entry?;
            if !key.starts_with(&prefix) {
                break;
            }
            let job: WebhookJob = decode(Kind::WebhookOutbox, &value)?;
            // Skip the rest of this subscription's queue.
            start = outbox_prefix(Some(job.subscription));
            start.extend_from_slice(&[0xFF; 9]);
            heads.push((WebhookJobKey(key.to_vec()), job));
        }
        Ok(heads)
    }

    /// How many events wait for `subscription`.
    pub fn webhook_backlog(&self, subscription: Id) -> usize {
        self.records
            .scan_prefix(outbox_prefix(Some(subscription)))
            .count()
    }

    /// Counts an attempt before it is made, so the attempt number (and the
    /// pause before the next) survives a crash during the request.
    pub fn start_webhook_attempt(&self, key: &WebhookJobKey) -> Result<Option<WebhookJob>> {
        let w = self.w();
        let Some(value) = w.records.get(&key.0)? else {
            return Ok(None);
        };
        let mut job: WebhookJob = decode(Kind::WebhookOutbox, &value)?;
        job.attempts = job.attempts.saturating_add(1);
        w.records
            .insert(key.0.clone(), encode(Kind::WebhookOutbox, &job)?)?;
        Ok(Some(job))
    }

    /// The receiver took it: the job leaves the outbox and the subscription
    /// is healthy again.
    pub fn webhook_sent(
        &self,
        key: &WebhookJobKey,
        job: &WebhookJob,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.w().records.remove(&key.0)?;
        let org = self.org(job.org);
        if org.webhook(job.subscription)?.is_some() {
            org.change_webhook(job.subscription, |w| {
                w.failing_since = None;
                w.last_error = None;
                w.last_success_at = Some(now);
            })?;
        }
        Ok(())
    }

    /// The attempt failed: the job waits until `retry_at`. Returns the
    /// subscription as it now is (`None` if it was deleted meanwhile).
    pub fn webhook_failed(
        &self,
        key: &WebhookJobKey,
        job: &WebhookJob,
        error: &str,
        retry_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Option<Webhook>> {
        {
            let w = self.w();
            if w.records.get(&key.0)?.is_some() {
                let mut job = job.clone();
                job.next_attempt_at = retry_at;
                w.records
                    .insert(key.0.clone(), encode(Kind::WebhookOutbox, &job)?)?;
            }
        }
        let org = self.org(job.org);
        if org.webhook(job.subscription)?.is_none() {
            return Ok(None);
        }
        org.change_webhook(job.subscription, |w| {
            w.failing_since.get_or_insert(now);
            w.last_error = Some(error.to_owned());
        })
        .map(Some)
    }
}
