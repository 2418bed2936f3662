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
//! is accepted, so a person's deliveries live in their recipient record, the
//! recipients are accepted many to a sheet and get records of their own
//! later ([`sheets`]), and the outbox holds one work item per (alert,
//! channel) rather than one entry per message; only retries get entries of
//! their own.
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
//! - while an alert is new, its recipients on sheets ([`sheets`])

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
    NextChannel {
        recipient: Id,
        /// How many of the recipient's channels were in use when it was
        /// set; `None` in timers from before this was kept. A timer whose
        /// step was already taken (a failed delivery moves on at once)
        /// does nothing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<usize>,
    },
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

pub use crate::live::AppDelivery;

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

/// Where `parent`'s children after `after` start (all of them without).
fn children_after(org: Id, kind: Kind, parent: Id, after: Option<Id>) -> Vec<u8> {
    match after {
        Some(after) => {
            let mut key = child(org, kind, parent, after);
            key.push(0);
            key
        }
        None => children_prefix(org, kind, parent),
    }
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
    let sheet = store.org(org).sheet_of(alert, recipient)?;
    store
        .w()
        .records
        .transaction(|tx| {
            let Some(mut r) = sheets::current_in(tx, &key, sheet.as_deref(), recipient)? else {
                return Ok(None);
            };
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

fn flatten(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

/// An alert to try the store's alert code on.
#[cfg(test)]
pub(crate) mod fixtures {
    // Fixtures stamp their records with the wall clock.
    #![allow(clippy::disallowed_methods)]

    use super::*;

    fn recipient(alert: Id, user: Option<Id>, now: OffsetDateTime) -> Recipient {
        let id = Id::new();
        let delivery = |channel: Channel| Delivery {
            id: Id::new(),
            alert_id: alert,
            recipient_id: id,
            channel,
            address: "+358401234567".to_owned(),
            state: DeliveryState::Queued,
            priority: 0,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            updated_at: now,
            read_at: None,
        };
        Recipient {
            id,
            alert_id: alert,
            user_id: user,
            name: "Someone".to_owned(),
            phone: Some("+358401234567".to_owned()),
            email: None,
            issi: None,
            gssi: None,
            channels: vec![Channel::App, Channel::Sms],
            channels_used: 1,
            via: "user".to_owned(),
            response: None,
            deliveries: vec![delivery(Channel::App), delivery(Channel::Sms)],
        }
    }

    fn alert(id: Id, now: OffsetDateTime) -> Alert {
        Alert {
            id,
            title: "Fire".to_owned(),
            body: String::new(),
            severity: Severity::Critical,
            channels: vec![Channel::App, Channel::Sms],
            responses: vec!["coming".to_owned()],
            allow_eta: false,
            allow_text: false,
            escalation: None,
            state: AlertState::Active,
            created_by: Actor {
                kind: crate::store::ActorKind::Shell,
                id: None,
                name: "test".to_owned(),
            },
            created_at: now,
            cancelled_at: None,
            idempotency_key: None,
            tetra_callout: None,
            tetra_status: None,
            location: None,
            sealed: None,
            follows: None,
        }
    }

    /// An organisation and an alert to `people` members, each on the app
    /// and by SMS: (organisation, alert, the members).
    pub(crate) fn sample_alert(store: &Store, people: usize) -> (OrgStore, Id, Vec<Id>) {
        let now = OffsetDateTime::now_utc();
        let org = store.org(store.create_org("rescue", "Rescue", now).unwrap().id);
        let id = Id::new();
        let users: Vec<Id> = (0..people).map(|_| Id::new()).collect();
        let mut new = NewAlertBatch::default();
        for user in &users {
            let r = recipient(id, Some(*user), now);
            new.deliveries.extend(r.deliveries.iter().cloned());
            new.recipients.push(Recipient {
                deliveries: Vec::new(),
                ..r
            });
        }
        org.create_alert(&alert(id, now), &new).unwrap();
        (org, id, users)
    }
}

mod lifecycle;
mod outbox;
mod removal;
mod sheets;
mod timers;
