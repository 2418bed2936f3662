//! Alerts: who gets one and on which channels, answers, and escalation.
//!
//! [`create`] checks a request, resolves every recipient (users, groups,
//! roles, and ad-hoc numbers, addresses and radio ids that need no account),
//! and writes the alert with one delivery per (recipient, channel) in one
//! atomic batch, so the sender learns at once how many people and channels
//! are reached.

mod engine;
mod escalate;
mod lifecycle;
pub mod links;
mod receipts;
mod recipients;
mod request;
mod respond;
mod sealed;
pub mod spread;
mod view;

pub use engine::{Engine, Notice, Raised, Start, Trigger};
pub use receipts::Receipts;

/// The tracing span of one alert: every log line about it (created, each
/// delivery, escalations, answers, cancelled) carries its id, so one
/// alert's path can be followed in the journal.
pub fn span(org: Id, alert: Id) -> tracing::Span {
    tracing::info_span!("alert", %org, id = %alert)
}
pub use escalate::delivery_settled;
use escalate::handle_timer;
pub use respond::{parse_reply, respond, respond_as, ResponseInput};
pub use view::{AlertView, Totals};

use lifecycle::*;
use recipients::*;
pub use recipients::{channels_for, inside};
use request::*;
pub use request::{
    check_request, AlertRequest, EscalationSpec, RecipientSpec, TetraCalloutSpec,
    DEFAULT_RESPONSES, MAX_RECIPIENTS, SEEN_WITHIN_MINUTES,
};

use crate::audit::Entry;
use crate::auth::Access;
use crate::ids::Id;
use crate::store::{
    Actor, Alert, AlertEvent, AlertState, Channel, Contact, Delivery, DeliveryState, Escalation,
    Location, NewAlertBatch, OrgStore, Recipient, SealedBody, Severity, StoreError, TetraCallout,
    TimerAction, User,
};
use crate::text::{fill, Lang};
use crate::validate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{field}: {why}")]
    Invalid { field: String, why: String },
    #[error("{field}: {why}")]
    NotAllowed { field: String, why: String },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The body as channels that can't decrypt (SMS, email, radio) carry it: a
/// sealed body becomes a pointer to the members' app, never its ciphertext.
pub fn outward_body(alert: &Alert, public_url: &str, lang: Lang) -> String {
    match &alert.sealed {
        Some(_) => fill(
            lang,
            "sealed_notice",
            &[("link", &format!("{public_url}/app/#alert={}", alert.id))],
        ),
        None => alert.body.clone(),
    }
}

fn invalid(field: impl Into<String>, why: impl Into<String>) -> AlertError {
    AlertError::Invalid {
        field: field.into(),
        why: why.into(),
    }
}

#[derive(Debug)]
pub struct Created {
    pub alert: Alert,
    pub recipients: usize,
    pub deliveries: BTreeMap<Channel, usize>,
    /// Recipients none of the chosen channels can reach.
    pub unreachable: usize,
    /// True when the idempotency key named an alert that already existed.
    pub existing: bool,
    /// App deliveries to announce on members' open streams once flushed.
    pub app: Vec<AppNotice>,
}

/// A member and the app delivery their open streams should show.
pub type AppNotice = (Id, crate::store::AppDelivery);

/// An alert sent after another (the all-clear), with its app notices.
pub type FollowUp = (Alert, Vec<AppNotice>);

/// The app deliveries among `deliveries`, as notices for the members' streams.
pub fn app_notices(deliveries: &[Delivery]) -> Vec<AppNotice> {
    deliveries
        .iter()
        .filter(|d| d.channel == Channel::App && d.state == DeliveryState::Sent)
        .filter_map(|d| {
            let user = d.address.parse::<Id>().ok()?;
            Some((
                user,
                crate::store::AppDelivery {
                    alert: d.alert_id,
                    recipient: d.recipient_id,
                    delivery: d.id,
                },
            ))
        })
        .collect()
}

fn not_allowed(field: String, why: &str) -> AlertError {
    AlertError::NotAllowed {
        field,
        why: why.to_owned(),
    }
}
