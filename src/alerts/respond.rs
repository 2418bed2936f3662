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
    respond_as(org, alert, recipient, input, channel, Id::new(), now)
}

/// [`respond`] with the timeline event's id given: an answer read from a
/// received message names the event after the message, so handling the
/// message again after a crash writes the same answer and event once.
pub fn respond_as(
    org: &OrgStore,
    alert: Id,
    recipient: Id,
    input: ResponseInput,
    channel: Channel,
    event: Id,
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
            id: event,
            at: now,
            kind: "response".to_owned(),
            detail: serde_json::json!({
                "recipient": updated.id, "name": updated.name, "choice": choice,
                "eta_minutes": input.eta_minutes, "text": text, "channel": channel,
            }),
        },
    )?;
    super::span(org.org_id(), alert).in_scope(|| {
        tracing::info!(recipient = %updated.id, %choice, eta_minutes = ?input.eta_minutes, ?channel, "answer recorded");
    });
    org.store().emit_webhook(
        org.org_id(),
        "answer",
        serde_json::json!({
            "alert_id": alert, "recipient_id": updated.id, "name": updated.name,
            "choice": choice, "eta_minutes": input.eta_minutes, "text": text, "channel": channel,
        }),
        now,
    );
    Ok(updated)
}

/// Reads a coded reply ("1", "2", "K 15", "E", "1 on my way") against an
/// alert's options and the organisation's reply codes. `None` when the text
/// is no reply to this alert.
pub fn parse_reply(
    text: &str,
    codes: &std::collections::BTreeMap<String, u8>,
    options: &[String],
    allow_eta: bool,
    allow_text: bool,
) -> Option<ResponseInput> {
    let text = text.trim();
    let mut words = text.splitn(2, char::is_whitespace);
    let first = words.next()?.to_uppercase();
    let rest = words.next().unwrap_or("").trim();
    // "K15" is "K" with an ETA of 15.
    let letters_end = first.find(|c: char| c.is_ascii_digit()).filter(|i| *i > 0);
    let (code, glued) = match letters_end {
        Some(i) if !codes.contains_key(&first) => (
            first.get(..i)?.to_owned(),
            first.get(i..).unwrap_or("").to_owned(),
        ),
        _ => (first.clone(), String::new()),
    };
    let option = *codes.get(&code)?;
    let choice = options.get(usize::from(option).checked_sub(1)?)?.clone();
    let mut remainder = rest;
    let eta_word = if glued.is_empty() {
        let mut parts = rest.splitn(2, char::is_whitespace);
        let candidate = parts.next().unwrap_or("");
        if allow_eta && !candidate.is_empty() && candidate.bytes().all(|b| b.is_ascii_digit()) {
            remainder = parts.next().unwrap_or("").trim();
            candidate.to_owned()
        } else {
            String::new()
        }
    } else {
        glued
    };
    let eta_minutes = if allow_eta {
        eta_word.parse::<u32>().ok().filter(|m| *m <= 1440)
    } else {
        None
    };
    let text = (allow_text && !remainder.is_empty()).then(|| remainder.chars().take(500).collect());
    Some(ResponseInput {
        choice,
        eta_minutes,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> std::collections::BTreeMap<String, u8> {
        crate::store::OrgSettings::default().reply_codes
    }

    fn options() -> Vec<String> {
        vec!["Coming".to_owned(), "Not coming".to_owned()]
    }

    #[test]
    fn coded_replies_map_to_options_with_eta_and_text() {
        let parse = |t: &str| parse_reply(t, &codes(), &options(), true, true);
        assert_eq!(parse("1").map(|r| r.choice), Some("Coming".to_owned()));
        assert_eq!(
            parse(" e ").map(|r| r.choice),
            Some("Not coming".to_owned())
        );
        let eta = parse("K 15").unwrap();
        assert_eq!((eta.choice.as_str(), eta.eta_minutes), ("Coming", Some(15)));
        let glued = parse("k15").unwrap();
        assert_eq!(glued.eta_minutes, Some(15));
        let with_text = parse("1 10 at the gate").unwrap();
        assert_eq!(
            (with_text.eta_minutes, with_text.text.as_deref()),
            (Some(10), Some("at the gate"))
        );
        assert!(parse("3").is_none(), "no third option");
        assert!(parse("hello").is_none());
        assert!(parse("").is_none());
        let strict = parse_reply("1 10 note", &codes(), &options(), false, false).unwrap();
        assert_eq!((strict.eta_minutes, strict.text), (None, None));
    }
}
