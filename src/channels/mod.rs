//! Channels carry deliveries to people. Each channel owns its device; the
//! dispatcher hands it one delivery at a time within the channel's limits,
//! and learns from the devices' reports how each delivery ended.

mod email;
pub mod pool;
pub mod sms;
pub mod tetra;
pub mod voice;

pub use email::{EmailChannel, EmailSetupError};
pub use sms::SmsPool;
pub use tetra::TetraChannel;
pub use voice::VoiceChannel;

use crate::ids::Id;
use crate::store::{
    ActorKind, Alert, Channel as ChannelName, Delivery, DeliveryRef, Recipient, Severity, Store,
    StoreError,
};
use crate::text::{phrase, Lang};
use futures_util::future::BoxFuture;
use std::collections::BTreeMap;

/// What a channel can take: parallel sends and sends per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub concurrency: usize,
    pub per_minute: u32,
}

/// How a channel's transient failures are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Attempts in all, the first included, before the delivery fails.
    pub attempts: u32,
    /// The pause before each new attempt; `None` for pauses that grow
    /// (5 s, 15 s, 45 s, …).
    pub pause: Option<std::time::Duration>,
}

impl Retries {
    /// What suits networks and servers that are down for a while.
    pub const GROWING: Retries = Retries {
        attempts: 5,
        pause: None,
    };
}

/// One delivery to send, with what it is about, to whom, and how the
/// recipient reads it. Everything a channel needs to render its message is
/// here: channels read no store while sending.
#[derive(Debug, Clone)]
pub struct Job {
    pub org: crate::ids::Id,
    pub alert: Alert,
    pub recipient: Recipient,
    pub delivery: Delivery,
    /// The recipient's language: their own choice, else their organisation's.
    pub lang: Lang,
    /// The organisation's name, as a robot call introduces itself.
    pub org_name: String,
    /// The organisation's reply codes, for the SMS and radio reply hint.
    pub reply_codes: BTreeMap<String, u8>,
    /// Who sent the alert, as people read it: a person's display name,
    /// never their username (which is half of their login).
    pub sender: String,
    /// When the delivery was claimed, by the appliance's clock: links in the
    /// message expire counting from it.
    pub claimed_at: time::OffsetDateTime,
}

impl Job {
    /// A claimed delivery with what its message needs from the store.
    pub fn prepare(
        store: &Store,
        org: Id,
        alert: Alert,
        recipient: Recipient,
        delivery: Delivery,
        claimed_at: time::OffsetDateTime,
    ) -> Result<Job, StoreError> {
        let (org_name, reply_codes) = store
            .get_org(org)?
            .map(|o| (o.name, o.settings.reply_codes))
            .unwrap_or_default();
        let sender = match (&alert.created_by.kind, alert.created_by.id) {
            (ActorKind::User, Some(id)) => store
                .org(org)
                .user(id)?
                .map_or_else(|| alert.created_by.name.clone(), |u| u.name),
            _ => alert.created_by.name.clone(),
        };
        Ok(Job {
            sender,
            lang: Lang::from_code(store.language_of(org, recipient.user_id).as_deref()),
            org,
            org_name,
            alert,
            recipient,
            delivery,
            reply_codes,
            claimed_at,
        })
    }

    /// The alert as a short text for SMS and radio: severity, title, body
    /// (or where to open a sealed one), and the reply codes.
    pub fn short_text(&self, public_url: &str) -> String {
        let tag = match self.alert.severity {
            Severity::Critical => phrase(self.lang, "critical_short"),
            Severity::Warning => phrase(self.lang, "warning_short"),
            Severity::Info => "",
        };
        let mut text = format!("{tag}{}", self.alert.title);
        let body = crate::alerts::outward_body(&self.alert, public_url, self.lang);
        if !body.is_empty() {
            text.push('\n');
            text.push_str(&body);
        }
        let replies = sms::reply_hint(&self.reply_codes, &self.alert.responses);
        if !replies.is_empty() {
            text.push('\n');
            text.push_str(&replies);
        }
        text
    }

    /// The delivery this job sends.
    pub fn delivery_ref(&self) -> DeliveryRef {
        DeliveryRef {
            org: self.org,
            alert: self.alert.id,
            recipient: self.recipient.id,
            delivery: self.delivery.id,
        }
    }
}

/// What a channel made of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to the network; a delivery report may follow.
    Sent,
    /// The recipient's device has it.
    Delivered,
    /// Worth trying again later (network busy, device resetting).
    Transient(String),
    /// Will never work (bad number, unknown user).
    Permanent(String),
}

pub trait Channel: Send + Sync {
    fn name(&self) -> ChannelName;
    fn limits(&self) -> Limits;
    fn send(&self, job: Job) -> BoxFuture<'static, Outcome>;
    fn retries(&self) -> Retries {
        Retries::GROWING
    }
}

/// A channel with no device behind it on this appliance: its deliveries fail
/// at once with a reason the sender sees, while the other channels carry on.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable(pub ChannelName);

impl Channel for Unavailable {
    fn name(&self) -> ChannelName {
        self.0
    }

    fn limits(&self) -> Limits {
        Limits {
            concurrency: 16,
            per_minute: u32::MAX,
        }
    }

    fn send(&self, _job: Job) -> BoxFuture<'static, Outcome> {
        let why = format!(
            "no {} device or service is configured on this appliance",
            self.0.name()
        );
        Box::pin(async move { Outcome::Permanent(why) })
    }
}
