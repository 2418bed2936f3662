//! CAP 1.2 in and out. A message from an alarm centre or a warning system
//! is checked ([`message`]), matched against the organisation's `cap_rules`
//! (first match wins) and fires the rule's template with its headline and
//! text; an `Update` changes, a `Cancel` cancels, the alert an earlier
//! message started. The sender gets an `Ack` or an `Error`. Out, any alert
//! is a CAP document, and an Atom feed lists an organisation's alerts.

pub mod message;
mod render;

pub use message::{parse, Invalid, Message, NAMESPACE};
pub use render::{ack, alert_as_cap, feed};

use crate::alerts::{AlertError, Engine, Start, Trigger};
use crate::audit::Entry;
use crate::auth::Access;
use crate::ids::Id;
use crate::store::{Actor, CapRule, OrgStore, Outcome, StoreError};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What a message did, for the `Ack`'s note and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Started {
        alert: Id,
        rule: String,
    },
    Updated {
        alert: Id,
    },
    Cancelled {
        alert: Id,
    },
    /// Nothing to do, and why.
    Nothing(String),
}

impl Done {
    pub fn note(&self) -> String {
        match self {
            Done::Started { alert, rule } => format!("alert {alert} started by the rule {rule}"),
            Done::Updated { alert } => format!("alert {alert} updated"),
            Done::Cancelled { alert } => format!("alert {alert} cancelled"),
            Done::Nothing(why) => why.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CapError {
    #[error(transparent)]
    Alert(#[from] AlertError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key a message is known by: sender and identifier (§3.2.1 makes the
/// pair unique).
fn message_key(sender: &str, identifier: &str) -> Id {
    Id::from_digest(&Sha256::digest(
        format!("cap\u{0}{sender}\u{0}{identifier}").as_bytes(),
    ))
}

fn matches(rule: &CapRule, info: &message::Info) -> bool {
    let pattern = |p: &Option<String>, text: &str| {
        p.as_ref()
            .is_none_or(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(text)))
    };
    let listed =
        |wanted: &[String], value: &str| wanted.is_empty() || wanted.iter().any(|w| w == value);
    pattern(&rule.event, &info.event)
        && pattern(&rule.sender_name, &info.sender_name)
        && (rule.area.is_none() || info.areas.iter().any(|a| pattern(&rule.area, a)))
        && (rule.category.is_empty() || info.categories.iter().any(|c| rule.category.contains(c)))
        && listed(&rule.urgency, &info.urgency)
        && listed(&rule.severity, &info.severity)
        && listed(&rule.certainty, &info.certainty)
}

/// The text an alert takes from a message's first info block.
fn detail(info: &message::Info) -> String {
    let mut parts = vec![
        info.headline.clone(),
        info.description.clone(),
        info.instruction.clone(),
    ];
    if !info.areas.is_empty() {
        parts.push(info.areas.join("; "));
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.join("\n")
}

/// Acts on a checked message for the organisation. Blocks on the store.
pub fn receive(
    engine: &Engine,
    org: &OrgStore,
    actor: &Actor,
    access: &Access,
    message: &Message,
    now: OffsetDateTime,
) -> Result<Done, CapError> {
    if message.status != "Actual" {
        return Ok(Done::Nothing(format!(
            "status {}: only Actual messages start, change or cancel alerts",
            message.status
        )));
    }
    match message.msg_type.as_str() {
        "Alert" => start(engine, org, actor, access, message, now),
        "Update" | "Cancel" => {
            let earlier = message.references.iter().rev().find_map(|r| {
                let mut f = r.split(',');
                let (sender, identifier) = (f.next()?, f.next()?);
                org.cap_alert(message_key(sender, identifier))
                    .ok()
                    .flatten()
            });
            let Some(alert) = earlier else {
                return Ok(Done::Nothing(
                    "no alert started by the referenced messages".to_owned(),
                ));
            };
            let entry = |action| {
                Entry::new(actor.clone(), action, Outcome::Success)
                    .detail(format!("CAP {} from {}", message.msg_type, message.sender))
            };
            if message.msg_type == "Cancel" {
                engine.cancel(org, alert, actor, false, entry("alert.cancelled"), now)?;
                org.remember_cap_message(message_key(&message.sender, &message.identifier), alert)?;
                return Ok(Done::Cancelled { alert });
            }
            let (title, body) = match message.infos.first() {
                Some(info) => (
                    Some(info.headline.clone()).filter(|h| !h.trim().is_empty()),
                    Some(detail(info)).filter(|d| !d.trim().is_empty()),
                ),
                None => (None, None),
            };
            engine.update(org, alert, title, body, actor, entry("alert.updated"), now)?;
            org.remember_cap_message(message_key(&message.sender, &message.identifier), alert)?;
            org.store().flush_blocking()?;
            Ok(Done::Updated { alert })
        }
        other => Ok(Done::Nothing(format!("msgType {other}: nothing to do"))),
    }
}

fn start(
    engine: &Engine,
    org: &OrgStore,
    actor: &Actor,
    access: &Access,
    message: &Message,
    now: OffsetDateTime,
) -> Result<Done, CapError> {
    let rules = org
        .store()
        .get_org(org.org_id())?
        .map(|o| o.settings.cap_rules)
        .unwrap_or_default();
    let found = rules.iter().find_map(|rule| {
        message
            .infos
            .iter()
            .find(|info| matches(rule, info))
            .map(|info| (rule, info))
    });
    let Some((rule, info)) = found else {
        return Ok(Done::Nothing(
            "no cap_rules entry matches; nothing was sent".to_owned(),
        ));
    };
    let Some(template) = org.find_template(&rule.template)? else {
        return Ok(Done::Nothing(format!(
            "the rule {} names the template {}, which does not exist",
            rule.name, rule.template
        )));
    };
    let key = message_key(&message.sender, &message.identifier);
    let mut trigger = Trigger::new(
        actor.clone(),
        access.clone(),
        Start::Template {
            id: template.id,
            detail: Some(detail(info)),
        },
    );
    // The same message posted again finds the alert it started.
    trigger.message = Some(key);
    trigger.via = Some(format!(
        "CAP {} from {}",
        message.identifier, message.sender
    ));
    let raised = engine.raise(org, trigger, now)?;
    let alert = raised.created.alert.id;
    org.remember_cap_message(key, alert)?;
    org.store().flush_blocking()?;
    Ok(Done::Started {
        alert,
        rule: rule.name.clone(),
    })
}

#[cfg(test)]
mod tests;
