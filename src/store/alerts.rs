//! Alerts, their recipients and deliveries, the outbox the dispatcher reads,
//! and the escalation timers.
//!
//! An alert with all its recipients (each holding its deliveries), outbox
//! entries and timers is written as one atomic batch. Deliveries move
//! `queued → sending → sent → delivered` or `failed`, each step persisted
//! before the next; a delivery in `sending` is also listed under "in flight",
//! so after a crash it is found and sent again (at-least-once: a duplicate SMS
//! is better than a missed alarm).
//!
//! The number of entries an alert writes is what limits how fast a big alert
//! is accepted, so a person's deliveries live in their recipient record and
//! the outbox holds one work item per (alert, channel) rather than one entry
//! per message; only retries get entries of their own.
//!
//! Keys (all in the records tree):
//! - `org | Alert | alert`, `org | Recipient | alert | recipient`,
//!   `org | AlertEvent | alert | event`
//! - `org | UserAlert | user | alert` → recipient (+ app delivery): finds a
//!   person's record in an alert, and is their app feed
//! - `SYSTEM | Outbox | channel | priority | due ms | org | alert | recipient | delivery`
//!   (recipient and delivery are [`Id::SYSTEM`] in a work item)
//! - `SYSTEM | InFlight | org | alert | recipient | delivery`
//! - `SYSTEM | Timer | due ms | org | alert | timer` → the timer's action

use super::keys::{self, IndexKind, Kind};
use super::{decode, Actor, OrgStore, Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;
use sled::Batch;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    App,
    Sms,
    Voice,
    Email,
    Tetra,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::App,
        Channel::Sms,
        Channel::Voice,
        Channel::Email,
        Channel::Tetra,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Email => "email",
            Channel::Tetra => "tetra",
        }
    }

    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }

    fn code(self) -> u8 {
        match self {
            Channel::App => 1,
            Channel::Sms => 2,
            Channel::Voice => 3,
            Channel::Email => 4,
            Channel::Tetra => 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// Outbox order: critical alerts go ahead of everything else.
    pub fn priority(self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Active,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Without an answer this long, a recipient is tried on their next channel.
    pub next_channel_after_seconds: Option<u32>,
    /// With fewer "coming" answers than this after `coming_within_seconds`,
    /// `then_groups` are alerted too.
    pub min_coming: Option<u32>,
    pub coming_within_seconds: Option<u32>,
    #[serde(default)]
    pub then_groups: Vec<Id>,
    /// How many times the group step may repeat.
    #[serde(default)]
    pub max_rounds: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: Id,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub channels: Vec<Channel>,
    /// Answer options; the first one counts as "coming".
    pub responses: Vec<String>,
    pub allow_eta: bool,
    pub allow_text: bool,
    pub escalation: Option<Escalation>,
    pub state: AlertState,
    pub created_by: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Sent to TETRA radios as a call-out rather than a text SDS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tetra_callout: Option<TetraCallout>,
    /// Sent to TETRA radios as this status (a label of the radio profile's
    /// status table, such as "3", or four hex digits) rather than a text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tetra_status: Option<String>,
    /// Where it happens, for the members' map and navigation link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// A body the sender's browser encrypted with a password agreed
    /// beforehand; `body` is then empty and the plaintext never reaches the
    /// appliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealedBody>,
    /// For an update or all-clear: the alert it follows up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<Id>,
}

/// A point on the map (WGS 84 degrees) and what to call it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub label: String,
}

/// AES-256-GCM ciphertext under a key derived from a password with
/// PBKDF2-HMAC-SHA-256; binary fields are base64. Only members' browsers
/// that know the password can open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedBody {
    /// "PBKDF2-SHA256/AES-256-GCM/bound-v1" (bound to the organisation and
    /// title); alerts from before binding keep "PBKDF2-SHA256/AES-256-GCM".
    pub scheme: String,
    pub iterations: u32,
    pub salt: String,
    pub iv: String,
    pub ciphertext: String,
}

/// How an alert goes out as a TETRA call-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TetraCallout {
    /// 1 (lowest) to 15 (highest).
    pub severity: u8,
    /// The call-out number radios show (1 to 15); an all-clear reuses the
    /// alert's own.
    pub number: u8,
    /// True for the follow-up that clears the call-out on the radios.
    #[serde(default)]
    pub clear: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: Id,
    pub alert_id: Id,
    pub user_id: Option<Id>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub issi: Option<u32>,
    pub gssi: Option<u32>,
    /// The channels this recipient is reached on, in the order tried.
    pub channels: Vec<Channel>,
    /// How many of `channels` have been used so far.
    pub channels_used: usize,
    /// How the recipient was chosen: "user", "group:crew", "phone", ...
    pub via: String,
    pub response: Option<Response>,
    /// One per channel used so far. Kept inside the recipient's record: an
    /// alert to thousands writes one record per person, not one per message.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub choice: String,
    pub eta_minutes: Option<u32>,
    pub text: Option<String>,
    pub channel: Channel,
    #[serde(with = "time::serde::rfc3339")]
    pub first_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Cancelled,
}

impl DeliveryState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            DeliveryState::Delivered | DeliveryState::Failed | DeliveryState::Cancelled
        )
    }

    pub fn reached(self) -> bool {
        matches!(self, DeliveryState::Sent | DeliveryState::Delivered)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Id,
    pub alert_id: Id,
    pub recipient_id: Id,
    pub channel: Channel,
    /// Phone number, email address, ISSI/GSSI or user id, as the channel needs.
    pub address: String,
    pub state: DeliveryState,
    pub priority: u8,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

/// One entry of an alert's timeline, streamed to whoever follows the alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub id: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimerAction {
    /// Try the recipient's next channel unless they answered.
    NextChannel { recipient: Id },
    /// Alert more groups unless enough are coming.
    GroupShortfall { round: u32 },
}

/// A timer that fell due.
#[derive(Debug, Clone)]
pub struct DueTimer {
    key: Vec<u8>,
    pub org: Id,
    pub alert: Id,
    pub action: TimerAction,
}

/// Where the dispatcher stopped in each work item, so it doesn't read a big
/// alert's recipients from the start on every look.
pub type Cursors = std::collections::HashMap<Vec<u8>, Id>;

/// Where a delivery sits, for the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRef {
    pub org: Id,
    pub alert: Id,
    pub recipient: Id,
    pub delivery: Id,
}

/// What a channel did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    Delivered,
    Retry { at: OffsetDateTime, error: String },
    Failed { error: String },
}

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn child(org: Id, kind: Kind, parent: Id, id: Id) -> Vec<u8> {
    let mut key = keys::kind_prefix(org, kind);
    key.extend_from_slice(&parent.to_bytes());
    key.extend_from_slice(&id.to_bytes());
    key
}

fn children_prefix(org: Id, kind: Kind, parent: Id) -> Vec<u8> {
    let mut key = keys::kind_prefix(org, kind);
    key.extend_from_slice(&parent.to_bytes());
    key
}

fn outbox_key(org: Id, d: &Delivery) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
    key.push(d.channel.code());
    key.push(d.priority);
    key.extend_from_slice(&millis(d.next_attempt_at).to_be_bytes());
    key.extend_from_slice(&org.to_bytes());
    key.extend_from_slice(&d.alert_id.to_bytes());
    key.extend_from_slice(&d.recipient_id.to_bytes());
    key.extend_from_slice(&d.id.to_bytes());
    key
}

/// One outbox entry standing for all the queued deliveries of one alert on
/// one channel: a big alert adds a handful of entries, not one per message.
/// Its recipient and delivery ids are [`Id::SYSTEM`].
fn work_key(org: Id, alert: Id, channel: Channel, priority: u8, due: OffsetDateTime) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
    key.push(channel.code());
    key.push(priority);
    key.extend_from_slice(&millis(due).to_be_bytes());
    key.extend_from_slice(&org.to_bytes());
    key.extend_from_slice(&alert.to_bytes());
    key.extend_from_slice(&Id::SYSTEM.to_bytes());
    key.extend_from_slice(&Id::SYSTEM.to_bytes());
    key
}

fn in_flight_key(r: DeliveryRef) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::InFlight);
    key.extend_from_slice(&r.org.to_bytes());
    key.extend_from_slice(&r.alert.to_bytes());
    key.extend_from_slice(&r.recipient.to_bytes());
    key.extend_from_slice(&r.delivery.to_bytes());
    key
}

fn timer_key(at: OffsetDateTime, org: Id, alert: Id) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::Timer);
    key.extend_from_slice(&millis(at).to_be_bytes());
    key.extend_from_slice(&org.to_bytes());
    key.extend_from_slice(&alert.to_bytes());
    key.extend_from_slice(&Id::new().to_bytes());
    key
}

/// The four ids at the end of an outbox or in-flight key.
fn trailing_ref(key: &[u8]) -> Option<DeliveryRef> {
    let start = key.len().checked_sub(64)?;
    let tail = key.get(start..)?;
    Some(DeliveryRef {
        org: Id::from_slice(tail.get(0..16)?)?,
        alert: Id::from_slice(tail.get(16..32)?)?,
        recipient: Id::from_slice(tail.get(32..48)?)?,
        delivery: Id::from_slice(tail.get(48..64)?)?,
    })
}

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<StoreError>>;

fn tx_abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

/// Changes one recipient record (and its deliveries) in a transaction on the
/// records tree, with whatever else `f` writes in the same transaction.
/// `None` when the recipient doesn't exist.
fn update_recipient<T>(
    store: &Store,
    org: Id,
    alert: Id,
    recipient: Id,
    f: impl Fn(&mut Recipient, &sled::transaction::TransactionalTree) -> TxResult<Option<T>>,
) -> Result<Option<T>> {
    let key = child(org, Kind::Recipient, alert, recipient);
    store
        .w()
        .records
        .transaction(|tx| {
            let Some(bytes) = tx.get(&key)? else {
                return Ok(None);
            };
            let mut r: Recipient = decode(Kind::Recipient, &bytes).map_err(tx_abort)?;
            let out = f(&mut r, tx)?;
            if out.is_some() {
                tx.insert(
                    key.as_slice(),
                    encode(Kind::Recipient, &r).map_err(tx_abort)?,
                )?;
            }
            Ok(out)
        })
        .map_err(flatten)
}

fn encode<R: Serialize>(kind: Kind, record: &R) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Corrupt {
        kind: kind.name(),
        source,
    })
}

/// A new alert with everything that goes with it.
#[derive(Debug, Default)]
pub struct NewAlertBatch {
    pub recipients: Vec<Recipient>,
    pub deliveries: Vec<Delivery>,
    pub timers: Vec<(OffsetDateTime, TimerAction)>,
    pub events: Vec<AlertEvent>,
    /// Audit events written with the alert, in the same step.
    pub audit: Vec<super::AuditEvent>,
}

impl OrgStore {
    /// The index entries, outbox entries, timers and events of new
    /// deliveries, recipients and timers.
    fn stage_indexes(&self, batch: &mut Batch, alert: Id, new: &NewAlertBatch) -> Result<()> {
        let mut work: std::collections::BTreeMap<(Channel, u8), OffsetDateTime> =
            std::collections::BTreeMap::new();
        for d in new
            .deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Queued)
        {
            let due = work
                .entry((d.channel, d.priority))
                .or_insert(d.next_attempt_at);
            *due = (*due).min(d.next_attempt_at);
        }
        for ((channel, priority), due) in work {
            batch.insert(work_key(self.org, alert, channel, priority, due), &[]);
        }
        for (at, action) in &new.timers {
            batch.insert(
                timer_key(*at, self.org, alert),
                encode(Kind::Timer, action)?,
            );
        }
        for e in &new.events {
            batch.insert(
                child(self.org, Kind::AlertEvent, alert, e.id),
                encode(Kind::AlertEvent, e)?,
            );
        }
        Ok(())
    }

    /// Applies `batch` and chains `audit` into the organisation's trail in
    /// one transaction.
    fn apply_audited(&self, batch: &Batch, audit: &[super::AuditEvent]) -> Result<()> {
        let (org, queue) = (self.org, self.store.ships_audit());
        self.store
            .w()
            .records
            .transaction(|tx| {
                tx.apply_batch(batch)?;
                for event in audit {
                    super::audit::append(tx, org, event, queue)?;
                }
                Ok(())
            })
            .map_err(flatten)
    }

    /// The entry that finds a user's recipient record in an alert and, for
    /// their feed, their app delivery: `user | alert` → recipient (+ delivery).
    fn user_index(&self, alert: Id, r: &Recipient) -> Option<(Vec<u8>, Vec<u8>)> {
        let user = r.user_id?;
        let mut value = r.id.to_bytes().to_vec();
        if let Some(app) = r.deliveries.iter().find(|d| d.channel == Channel::App) {
            value.extend_from_slice(&app.id.to_bytes());
        }
        Some((child(self.org, Kind::UserAlert, user, alert), value))
    }

    /// The recipients of a batch with their new deliveries put inside them.
    fn with_deliveries(new: &NewAlertBatch) -> Vec<Recipient> {
        let mut recipients = new.recipients.clone();
        let mut at: std::collections::HashMap<Id, usize> = std::collections::HashMap::new();
        for (i, r) in recipients.iter().enumerate() {
            at.insert(r.id, i);
        }
        for d in &new.deliveries {
            if let Some(r) = at.get(&d.recipient_id).and_then(|i| recipients.get_mut(*i)) {
                r.deliveries.push(d.clone());
            }
        }
        recipients
    }

    /// Writes an alert and all its recipients, deliveries, outbox entries and
    /// timers atomically (not yet flushed).
    pub fn create_alert(&self, alert: &Alert, new: &NewAlertBatch) -> Result<()> {
        let mut batch = Batch::default();
        batch.insert(
            keys::record(self.org, Kind::Alert, alert.id),
            encode(Kind::Alert, alert)?,
        );
        for r in Self::with_deliveries(new) {
            if let Some((key, value)) = self.user_index(alert.id, &r) {
                batch.insert(key, value);
            }
            batch.insert(
                child(self.org, Kind::Recipient, alert.id, r.id),
                encode(Kind::Recipient, &r)?,
            );
        }
        self.stage_indexes(&mut batch, alert.id, new)?;
        self.apply_audited(&batch, &new.audit)
    }

    /// Escalation: adds recipients, or to existing recipients their next
    /// deliveries and `channels_used`, with the timers and index entries, in
    /// one transaction with removing the timer that caused it. Existing
    /// recipients are changed inside the transaction, so a delivery the
    /// dispatcher finishes at the same moment is not overwritten.
    pub fn extend_alert(
        &self,
        alert: Id,
        new: &NewAlertBatch,
        done: Option<&DueTimer>,
    ) -> Result<()> {
        let recipients = Self::with_deliveries(new);
        let mut extra = Batch::default();
        self.stage_indexes(&mut extra, alert, new)?;
        let mut encoded = Vec::new();
        for r in &recipients {
            encoded.push((child(self.org, Kind::Recipient, alert, r.id), r));
        }
        let new_deliveries: std::collections::HashMap<Id, Vec<Delivery>> = recipients
            .iter()
            .map(|r| {
                (
                    r.id,
                    r.deliveries
                        .iter()
                        .filter(|d| new.deliveries.iter().any(|n| n.id == d.id))
                        .cloned()
                        .collect(),
                )
            })
            .collect();
        self.store
            .w()
            .records
            .transaction(|tx| {
                for (key, r) in &encoded {
                    let merged = match tx.get(key)? {
                        Some(bytes) => {
                            let mut current: Recipient =
                                decode(Kind::Recipient, &bytes).map_err(tx_abort)?;
                            current.channels_used = current.channels_used.max(r.channels_used);
                            current
                                .deliveries
                                .extend(new_deliveries.get(&r.id).cloned().unwrap_or_default());
                            current
                        }
                        None => (*r).clone(),
                    };
                    tx.insert(
                        key.as_slice(),
                        encode(Kind::Recipient, &merged).map_err(tx_abort)?,
                    )?;
                    if let Some((index_key, value)) = self.user_index(alert, &merged) {
                        tx.insert(index_key, value)?;
                    }
                }
                tx.apply_batch(&extra)?;
                for event in &new.audit {
                    super::audit::append(tx, self.org, event, self.store.ships_audit())?;
                }
                if let Some(timer) = done {
                    tx.remove(timer.key.as_slice())?;
                }
                Ok(())
            })
            .map_err(flatten)
    }

    /// Reserves an idempotency key for an alert; returns the alert that
    /// already holds it, if one does.
    pub fn claim_idempotency_key(&self, key: &str, alert: Id) -> Result<Option<Id>> {
        let index_key = keys::index(self.org, IndexKind::Idempotency, key);
        loop {
            let current = self.store.index.get(&index_key)?;
            if let Some(existing) = current.as_ref().and_then(|v| Id::from_slice(v)) {
                // A claim whose alert never got written (a crash in between)
                // is free again.
                if existing != alert && self.alert(existing)?.is_some() {
                    return Ok(Some(existing));
                }
            }
            let swapped = self.store.w().index.compare_and_swap(
                &index_key,
                current,
                Some(&alert.to_bytes()[..]),
            )?;
            if swapped.is_ok() {
                return Ok(None);
            }
        }
    }

    pub fn alert(&self, id: Id) -> Result<Option<Alert>> {
        self.store.get(self.org, Kind::Alert, id)
    }

    /// Newest first.
    pub fn alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        self.store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Alert))
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(Kind::Alert, &v?))
            .collect()
    }

    fn children<R: serde::de::DeserializeOwned>(&self, kind: Kind, parent: Id) -> Result<Vec<R>> {
        self.store
            .records
            .scan_prefix(children_prefix(self.org, kind, parent))
            .values()
            .map(|v| decode(kind, &v?))
            .collect()
    }

    pub fn recipients(&self, alert: Id) -> Result<Vec<Recipient>> {
        self.children(Kind::Recipient, alert)
    }

    /// Every delivery of an alert, recipient by recipient.
    pub fn deliveries(&self, alert: Id) -> Result<Vec<Delivery>> {
        Ok(self
            .recipients(alert)?
            .into_iter()
            .flat_map(|r| r.deliveries)
            .collect())
    }

    pub fn alert_events(&self, alert: Id) -> Result<Vec<AlertEvent>> {
        self.children(Kind::AlertEvent, alert)
    }

    pub fn recipient(&self, alert: Id, id: Id) -> Result<Option<Recipient>> {
        match self
            .store
            .records
            .get(child(self.org, Kind::Recipient, alert, id))?
        {
            Some(v) => decode(Kind::Recipient, &v).map(Some),
            None => Ok(None),
        }
    }

    pub fn recipient_of_user(&self, alert: Id, user: Id) -> Result<Option<Recipient>> {
        let Some(id) = self
            .store
            .records
            .get(child(self.org, Kind::UserAlert, user, alert))?
            .and_then(|v| v.get(..16).and_then(Id::from_slice))
        else {
            return Ok(None);
        };
        self.recipient(alert, id)
    }

    /// A member's app deliveries in alerts after `after` (oldest first):
    /// (delivery, alert).
    pub fn user_feed(&self, user: Id, after: Option<Id>, limit: usize) -> Result<Vec<(Id, Id)>> {
        let prefix = children_prefix(self.org, Kind::UserAlert, user);
        let start = match after {
            Some(after) => {
                let mut key = child(self.org, Kind::UserAlert, user, after);
                key.push(0);
                key
            }
            None => prefix.clone(),
        };
        let mut feed = Vec::new();
        for entry in self.store.records.range(start..) {
            let (key, value) = entry?;
            if !key.starts_with(&prefix) || feed.len() >= limit {
                break;
            }
            let alert = key.get(prefix.len()..).and_then(Id::from_slice);
            let delivery = value.get(16..32).and_then(Id::from_slice);
            if let (Some(delivery), Some(alert)) = (delivery, alert) {
                feed.push((delivery, alert));
            }
        }
        Ok(feed)
    }

    pub fn add_alert_event(&self, alert: Id, event: &AlertEvent) -> Result<()> {
        self.store.w().records.insert(
            child(self.org, Kind::AlertEvent, alert, event.id),
            encode(Kind::AlertEvent, event)?,
        )?;
        Ok(())
    }

    /// An event on the alert's timeline and its audit event, in one step.
    pub fn add_alert_event_audited(
        &self,
        alert: Id,
        event: &AlertEvent,
        audit: &super::AuditEvent,
    ) -> Result<()> {
        let mut batch = Batch::default();
        batch.insert(
            child(self.org, Kind::AlertEvent, alert, event.id),
            encode(Kind::AlertEvent, event)?,
        );
        self.apply_audited(&batch, std::slice::from_ref(audit))
    }

    /// Stores an answer; the first answer's time is kept when it changes.
    pub fn record_response(
        &self,
        alert: Id,
        recipient: Id,
        response: Response,
    ) -> Result<Recipient> {
        update_recipient(&self.store, self.org, alert, recipient, |r, _| {
            let mut answer = response.clone();
            if let Some(previous) = &r.response {
                answer.first_at = previous.first_at;
            }
            r.response = Some(answer);
            Ok(Some(r.clone()))
        })?
        .ok_or(StoreError::NotFound { what: "recipient" })
    }

    pub fn update_alert_text(&self, id: Id, title: &str, body: &str) -> Result<Alert> {
        self.store
            .modify(self.org, Kind::Alert, id, |a: &mut Alert| {
                a.title = title.to_owned();
                a.body = body.to_owned();
                Ok(())
            })
    }

    /// Cancels an alert: its queued deliveries stop; returns the alert.
    pub fn cancel_alert(&self, id: Id, now: OffsetDateTime) -> Result<Alert> {
        let mut alert = self
            .alert(id)?
            .ok_or(StoreError::NotFound { what: "alert" })?;
        alert.state = AlertState::Cancelled;
        alert.cancelled_at = Some(now);
        // Cancelled first, so the dispatcher claims nothing more of it.
        self.store.w().records.insert(
            keys::record(self.org, Kind::Alert, id),
            encode(Kind::Alert, &alert)?,
        )?;
        for r in self.recipients(id)? {
            update_recipient(&self.store, self.org, id, r.id, |r, tx| {
                let mut changed = false;
                for d in r
                    .deliveries
                    .iter_mut()
                    .filter(|d| d.state == DeliveryState::Queued)
                {
                    tx.remove(outbox_key(self.org, d))?;
                    d.state = DeliveryState::Cancelled;
                    d.updated_at = now;
                    changed = true;
                }
                Ok(changed.then_some(()))
            })?;
        }
        Ok(alert)
    }

    /// Marks an app delivery received (and read) by the member's client.
    pub fn mark_received(
        &self,
        alert: Id,
        recipient: Id,
        delivery: Id,
        read: bool,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(&self.store, self.org, alert, recipient, |r, _| {
            let Some(d) = r.deliveries.iter_mut().find(|d| d.id == delivery) else {
                return Ok(None);
            };
            let before = (d.state, d.read_at);
            if matches!(
                d.state,
                DeliveryState::Sent | DeliveryState::Sending | DeliveryState::Queued
            ) {
                d.state = DeliveryState::Delivered;
            }
            if read && d.read_at.is_none() {
                d.read_at = Some(now);
            }
            if (d.state, d.read_at) == before {
                return Ok(None);
            }
            d.updated_at = now;
            Ok(Some(d.clone()))
        })
    }
}

fn flatten(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    /// Deliveries of `channel` due by `now`, critical first, oldest first.
    pub fn due_deliveries(
        &self,
        channel: Channel,
        now: OffsetDateTime,
        limit: usize,
        cursors: &mut Cursors,
    ) -> Result<Vec<DeliveryRef>> {
        let now_ms = millis(now);
        let mut due = Vec::new();
        for priority in 0..=2u8 {
            let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
            prefix.push(channel.code());
            prefix.push(priority);
            for key in self.records.scan_prefix(&prefix).keys() {
                let key = key?;
                let at = key
                    .get(prefix.len()..prefix.len() + 8)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(u64::MAX);
                if at > now_ms || due.len() >= limit {
                    break;
                }
                let Some(r) = trailing_ref(&key) else {
                    continue;
                };
                if r.recipient != Id::SYSTEM {
                    due.push(r);
                    continue;
                }
                self.work_through(&key, r, channel, now, limit, cursors, &mut due)?;
            }
        }
        Ok(due)
    }

    /// Takes queued deliveries of a work item's alert and channel, from where
    /// the last look stopped. The item goes only when a look finds nothing
    /// left, so deliveries handed out but not yet claimed when the process
    /// dies are found again after a restart (the cursor lives in memory).
    #[allow(clippy::too_many_arguments)]
    fn work_through(
        &self,
        key: &[u8],
        item: DeliveryRef,
        channel: Channel,
        now: OffsetDateTime,
        limit: usize,
        cursors: &mut Cursors,
        due: &mut Vec<DeliveryRef>,
    ) -> Result<()> {
        let prefix = children_prefix(item.org, Kind::Recipient, item.alert);
        let start = match cursors.get(key) {
            Some(after) => {
                let mut k = child(item.org, Kind::Recipient, item.alert, *after);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let mut found = false;
        for entry in self.records.range(start..) {
            let (k, v) = entry?;
            if !k.starts_with(&prefix) {
                break;
            }
            if due.len() >= limit {
                return Ok(());
            }
            let r: Recipient = decode(Kind::Recipient, &v)?;
            for d in r.deliveries.iter().filter(|d| {
                d.channel == channel && d.state == DeliveryState::Queued && d.next_attempt_at <= now
            }) {
                due.push(DeliveryRef {
                    org: item.org,
                    alert: item.alert,
                    recipient: r.id,
                    delivery: d.id,
                });
                found = true;
            }
            cursors.insert(key.to_vec(), r.id);
        }
        if !found && due.len() < limit {
            self.w().records.remove(key)?;
            cursors.remove(key);
        }
        Ok(())
    }

    /// When the next delivery of `channel` falls due, if any is queued.
    pub fn next_due(&self, channel: Channel) -> Result<Option<OffsetDateTime>> {
        let mut earliest: Option<u64> = None;
        for priority in 0..=2u8 {
            let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
            prefix.push(channel.code());
            prefix.push(priority);
            if let Some(key) = self.records.scan_prefix(&prefix).keys().next() {
                let at = key?
                    .get(prefix.len()..prefix.len() + 8)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes);
                earliest = match (earliest, at) {
                    (Some(e), Some(a)) => Some(e.min(a)),
                    (e, a) => e.or(a),
                };
            }
        }
        Ok(earliest.and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }))
    }

    /// Queued → sending, in one step with leaving the outbox and entering the
    /// in-flight list. `None` if the delivery is no longer queued or its alert
    /// was cancelled (then it is marked cancelled).
    pub fn claim_delivery(
        &self,
        r: DeliveryRef,
        now: OffsetDateTime,
    ) -> Result<Option<(Alert, Recipient, Delivery)>> {
        let Some(alert) = self.org(r.org).alert(r.alert)? else {
            return Ok(None);
        };
        let cancelled = alert.state == AlertState::Cancelled;
        let claimed = update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if d.state != DeliveryState::Queued {
                return Ok(None);
            }
            tx.remove(outbox_key(r.org, d))?;
            d.updated_at = now;
            if cancelled {
                d.state = DeliveryState::Cancelled;
                return Ok(Some(None));
            }
            d.state = DeliveryState::Sending;
            d.attempts += 1;
            let claimed = d.clone();
            tx.insert(in_flight_key(r), &[])?;
            Ok(Some(Some((rec.clone(), claimed))))
        })?;
        Ok(claimed
            .flatten()
            .map(|(recipient, delivery)| (alert, recipient, delivery)))
    }

    /// Records what the channel did: sent, delivered, retry later or failed.
    pub fn finish_delivery(
        &self,
        r: DeliveryRef,
        outcome: &SendOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if d.state != DeliveryState::Sending {
                return Ok(None);
            }
            tx.remove(in_flight_key(r))?;
            d.updated_at = now;
            match outcome {
                SendOutcome::Sent => d.state = DeliveryState::Sent,
                SendOutcome::Delivered => d.state = DeliveryState::Delivered,
                SendOutcome::Failed { error } => {
                    d.state = DeliveryState::Failed;
                    d.last_error = Some(error.clone());
                }
                SendOutcome::Retry { at, error } => {
                    d.state = DeliveryState::Queued;
                    d.last_error = Some(error.clone());
                    d.next_attempt_at = *at;
                    tx.insert(outbox_key(r.org, d), &[])?;
                }
            }
            Ok(Some(d.clone()))
        })
    }

    /// A delivery's final word from the network (a status report): `Ok` for
    /// delivered, `Err` with the reason for failed. A report can beat the
    /// dispatcher's own "sent" record, so a delivery still `sending` settles
    /// too. `None` when there was nothing to change.
    pub fn settle_delivery(
        &self,
        r: DeliveryRef,
        result: &std::result::Result<(), String>,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if !matches!(d.state, DeliveryState::Sending | DeliveryState::Sent) {
                return Ok(None);
            }
            if d.state == DeliveryState::Sending {
                tx.remove(in_flight_key(r))?;
            }
            match result {
                Ok(()) => d.state = DeliveryState::Delivered,
                Err(reason) => {
                    d.state = DeliveryState::Failed;
                    d.last_error = Some(reason.clone());
                }
            }
            d.updated_at = now;
            Ok(Some(d.clone()))
        })
    }

    /// After a crash: every delivery left in `sending` is queued again, due
    /// now. Returns how many.
    pub fn requeue_in_flight(&self, now: OffsetDateTime) -> Result<usize> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::InFlight);
        let refs: Vec<DeliveryRef> = self
            .records
            .scan_prefix(&prefix)
            .keys()
            .filter_map(|k| k.ok().and_then(|k| trailing_ref(&k)))
            .collect();
        let mut requeued = 0;
        for r in refs {
            let outcome = SendOutcome::Retry {
                at: now,
                error: "interrupted by a restart; sent again".to_owned(),
            };
            if self.finish_delivery(r, &outcome, now)?.is_some() {
                requeued += 1;
            } else {
                self.w().records.remove(in_flight_key(r))?;
            }
        }
        Ok(requeued)
    }

    /// How many deliveries wait in each channel's outbox.
    /// How many deliveries of `channel` wait to be sent.
    pub fn outbox_depth(&self, channel: Channel) -> usize {
        let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
        prefix.push(channel.code());
        let mut depth = 0;
        for key in self.records.scan_prefix(prefix).keys().flatten() {
            match trailing_ref(&key) {
                Some(item) if item.recipient == Id::SYSTEM => {
                    depth += self
                        .org(item.org)
                        .recipients(item.alert)
                        .map(|rs| {
                            rs.iter()
                                .flat_map(|r| &r.deliveries)
                                .filter(|d| {
                                    d.channel == channel && d.state == DeliveryState::Queued
                                })
                                .count()
                        })
                        .unwrap_or(0);
                }
                Some(_) => depth += 1,
                None => {}
            }
        }
        depth
    }

    pub fn due_timers(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<DueTimer>> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::Timer);
        let now = millis(now);
        let mut due = Vec::new();
        for entry in self.records.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let at = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            if at > now || due.len() >= limit {
                break;
            }
            let ids = key.get(prefix.len() + 8..);
            let org = ids.and_then(|i| i.get(0..16)).and_then(Id::from_slice);
            let alert = ids.and_then(|i| i.get(16..32)).and_then(Id::from_slice);
            if let (Some(org), Some(alert)) = (org, alert) {
                due.push(DueTimer {
                    key: key.to_vec(),
                    org,
                    alert,
                    action: decode(Kind::Timer, &value)?,
                });
            }
        }
        Ok(due)
    }

    pub fn next_timer(&self) -> Result<Option<OffsetDateTime>> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::Timer);
        let Some(key) = self.records.scan_prefix(&prefix).keys().next() else {
            return Ok(None);
        };
        let ms = key?
            .get(prefix.len()..prefix.len() + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes);
        Ok(ms.and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }))
    }

    /// Removes a timer that was handled, together with what handling it wrote.
    pub fn complete_timer(&self, timer: &DueTimer) -> Result<()> {
        self.w().records.remove(&timer.key)?;
        Ok(())
    }
}
