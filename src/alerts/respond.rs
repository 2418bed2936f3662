//! Answers from any channel, matched to (alert, recipient). The first answer
//! counts for "how fast"; later ones replace it. An answer ends the
//! recipient's escalation: timers check for it before acting.

use super::AlertError;
use crate::ids::Id;
use crate::store::{AlertEvent, AlertState, Channel, OrgStore, Recipient, Response};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct ResponseInput {
    pub choice: String,
    pub eta_minutes: Option<u32>,
    pub text: Option<String>,
}

pub fn respond(
    org: &OrgStore,
    alert: Id,
    recipient: Id,
    input: ResponseInput,
    channel: Channel,
    now: OffsetDateTime,
) -> Result<Recipient, AlertError> {
    let record = org.alert(alert)?.ok_or(AlertError::NotFound("alert"))?;
    if record.state == AlertState::Cancelled {
        return Err(AlertError::Conflict("the alert was cancelled"));
    }
    let choice = record
        .responses
        .iter()
        .find(|option| option.eq_ignore_ascii_case(input.choice.trim()))
        .cloned()
        .ok_or_else(|| {
            super::invalid(
                "choice",
                format!("must be one of {}", record.responses.join(", ")),
            )
        })?;
    if input.eta_minutes.is_some() && !record.allow_eta {
        return Err(super::invalid("eta_minutes", "this alert asks for no ETA"));
    }
    if input.eta_minutes.is_some_and(|m| m > 1440) {
        return Err(super::invalid("eta_minutes", "must be at most 1440"));
    }
    let text = input
        .text
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if text.is_some() && !record.allow_text {
        return Err(super::invalid("text", "this alert asks for no free text"));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > 500) {
        return Err(super::invalid("text", "must be at most 500 characters"));
    }
    let updated = org.record_response(
        alert,
        recipient,
        Response {
            choice: choice.clone(),
            eta_minutes: input.eta_minutes,
            text: text.clone(),
            channel,
            first_at: now,
            at: now,
        },
    )?;
    org.add_alert_event(
        alert,
        &AlertEvent {
            id: Id::new(),
            at: now,
            kind: "response".to_owned(),
            detail: serde_json::json!({
                "recipient": updated.id, "name": updated.name, "choice": choice,
                "eta_minutes": input.eta_minutes, "text": text, "channel": channel,
            }),
        },
    )?;
    Ok(updated)
}
