//! Handling what a radio heard: a call-out reply (accepted only from a
//! radio the call-out addressed), an emergency centre's alarm (a rule of the
//! organisation the sender is assigned to), an answer to the newest open
//! alert sent to that radio, or nothing.
//!
//! Order: a rule that names the sender in `from` fires first (the emergency
//! centre is never taken for a member answering); then an open alert sent to
//! the sender takes its answer; then the organisation's rules without a
//! sender list.

use super::answers;
use super::{Filed, Worker};
use crate::alerts::{parse_reply, ResponseInput, Start, Trigger};
use crate::audit::Entry;
use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{
    tetra_sender, Actor, ActorKind, AlertEvent, AlertState, Handling, InboundMessage, Organisation,
    Outcome, Said, StoreError, TetraRule,
};

pub(super) fn handle(worker: &Worker, message: &InboundMessage) -> Result<Filed, StoreError> {
    let store = &worker.store;
    let Ok(ssi) = message.from.parse::<u32>() else {
        return Ok(Filed::under(
            Id::SYSTEM,
            Handling::Ignored {
                why: format!("{} is not a TETRA SSI", message.from),
            },
        ));
    };
    let owner = store.sender_owner(&tetra_sender(ssi))?;
    if let Said::CalloutReply { number, option } = &message.said {
        return callout_reply(worker, message, ssi, *number, *option, owner);
    }
    let org = owner.map(|id| store.get_org(id)).transpose()?.flatten();
    let rules: &[TetraRule] = org.as_ref().map_or(&[], |o| &o.settings.tetra_rules);
    let matching = |named: bool| {
        rules.iter().find(|r| {
            r.from.is_empty() != named && rule_matches(r, ssi, &message.said, &message.text)
        })
    };
    if let (Some(org), Some(rule)) = (&org, matching(true)) {
        let handling = fire_rule(worker, org, rule, message, ssi)?;
        return Ok(Filed::under(org.id, handling));
    }
    let peers = store.peers(&tetra_sender(ssi), message.received_at)?;
    if let Some((peer, alert_org, alert)) = answers::open_alert(store, &peers)? {
        let input = match &message.said {
            Said::Status { label, .. } => {
                let option = label.as_ref().and_then(|label| {
                    store
                        .get_org(peer.org)
                        .ok()
                        .flatten()
                        .and_then(|o| o.settings.tetra_status_replies.get(label).copied())
                });
                option.and_then(|o| chosen(&alert.responses, o))
            }
            _ => {
                let codes = store
                    .get_org(peer.org)?
                    .map(|o| o.settings.reply_codes)
                    .unwrap_or_default();
                parse_reply(
                    &message.text,
                    &codes,
                    &alert.responses,
                    alert.allow_eta,
                    alert.allow_text,
                )
            }
        };
        let handling = answers::answer_or_note(
            &worker.hub,
            &alert_org,
            &alert,
            peer.recipient,
            input,
            message,
        )?;
        return Ok(Filed::under(peer.org, handling));
    }
    if let (Some(org), Some(rule)) = (&org, matching(false)) {
        let handling = fire_rule(worker, org, rule, message, ssi)?;
        return Ok(Filed::under(org.id, handling));
    }
    let filed_under = owner
        .or_else(|| peers.first().map(|p| p.org))
        .unwrap_or(Id::SYSTEM);
    Ok(Filed::under(
        filed_under,
        answers::unanswered(filed_under != Id::SYSTEM, "radio"),
    ))
}

/// The answer option numbered `option` (1 is the first).
fn chosen(responses: &[String], option: u8) -> Option<ResponseInput> {
    responses
        .get(usize::from(option).saturating_sub(1))
        .map(|choice| ResponseInput {
            choice: choice.clone(),
            ..ResponseInput::default()
        })
}

/// A reply to call-out `number`. The number names the one active call-out
/// holding it; the reply counts only from a radio that call-out addressed:
/// a recipient's ISSI, or, for a call-out to a talk group, a radio of one of
/// the organisation's people.
fn callout_reply(
    worker: &Worker,
    message: &InboundMessage,
    ssi: u32,
    number: u8,
    option: Option<u8>,
    owner: Option<Id>,
) -> Result<Filed, StoreError> {
    let store = &worker.store;
    let nobody = |why: String| {
        tracing::warn!(from = ssi, number, %why, "call-out reply recorded for nobody");
        Ok(Filed::under(
            owner.unwrap_or(Id::SYSTEM),
            Handling::Ignored { why },
        ))
    };
    let Some((org_id, alert_id)) = store.callout_holder(number)? else {
        return nobody(format!("no call-out holds number {number}"));
    };
    let org = store.org(org_id);
    let Some(alert) = org
        .alert(alert_id)?
        .filter(|a| a.state == AlertState::Active)
    else {
        return nobody(format!("call-out {number} is no longer active"));
    };
    let recipients = org.recipients(alert.id)?;
    let (recipient, by_group) = match recipients.iter().find(|r| r.issi == Some(ssi)) {
        Some(r) => (r.id, None),
        None => {
            let talk_group = recipients.iter().find(|r| r.gssi.is_some());
            let person = match talk_group {
                Some(_) => org.users()?.into_iter().find(|u| u.tetra_issi == Some(ssi)),
                None => None,
            };
            match (talk_group, person) {
                (Some(group), Some(person)) => (group.id, Some(person.name)),
                _ => {
                    return nobody(format!(
                        "call-out {number} was not addressed to radio {ssi}"
                    ))
                }
            }
        }
    };
    if let Some(name) = &by_group {
        // Keyed by the message like its answer (which takes the message's own
        // id), so handling it again writes the note once.
        let mut note = message.id.to_bytes();
        note[15] ^= 1;
        org.add_alert_event(
            alert.id,
            &AlertEvent {
                id: Id::from_bytes(note),
                at: message.received_at,
                kind: "note".to_owned(),
                detail: serde_json::json!({
                    "from": message.from, "text": format!("{name} answered the talk group call-out"),
                    "recipient": recipient, "channel": message.channel,
                }),
            },
        )?;
    }
    let input = option.and_then(|o| chosen(&alert.responses, o));
    let handling = answers::answer_or_note(&worker.hub, &org, &alert, recipient, input, message)?;
    Ok(Filed::under(org_id, handling))
}

fn fire_rule(
    worker: &Worker,
    org: &Organisation,
    rule: &TetraRule,
    message: &InboundMessage,
    ssi: u32,
) -> Result<Handling, StoreError> {
    let handle = worker.store.org(org.id);
    let now = worker.now();
    let actor = Actor {
        kind: ActorKind::External,
        id: None,
        name: format!("TETRA {ssi} (rule {})", rule.name),
    };
    let Some(template) = handle.template_by_name(&rule.template)? else {
        let why = format!("rule {} names no template \"{}\"", rule.name, rule.template);
        Entry::new(actor, "tetra_rule.refused", Outcome::Failure)
            .detail(why.clone())
            .write(&handle, now)?;
        return Ok(Handling::Ignored { why });
    };
    let mut detail = message.text.clone();
    if let (Said::Text, Some(pattern)) = (&message.said, &rule.pattern) {
        let fields: Vec<String> = named_fields(pattern, &message.text)
            .into_iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        if !fields.is_empty() {
            detail.push('\n');
            detail.push_str(&fields.join(", "));
        }
    }
    let access = Access {
        roles: vec!["tetra-rule".to_owned()],
        permissions: vec![Permission::SendAlerts],
        alert_groups: None,
    };
    let mut trigger = Trigger::new(
        actor,
        access,
        Start::Template {
            id: template.id,
            detail: Some(detail),
        },
    );
    trigger.message = Some(message.id);
    trigger.via = Some(format!("rule {} from TETRA {ssi}", rule.name));
    match worker.engine.raise(&handle, trigger, now) {
        Ok(raised) => Ok(Handling::Trigger {
            alert: raised.created.alert.id,
        }),
        Err(crate::alerts::AlertError::Store(e)) => Err(e),
        Err(e) => Ok(Handling::Ignored {
            why: format!("rule {} could not fire its template: {e}", rule.name),
        }),
    }
}

/// Whether a rule takes a message from `from`: the sender is in the rule's
/// list (or the list is empty), and the message is the rule's status or a
/// text matching its pattern.
pub fn rule_matches(rule: &TetraRule, from: u32, said: &Said, text: &str) -> bool {
    if !rule.from.is_empty() && !rule.from.contains(&from) {
        return false;
    }
    match said {
        Said::Status { label, .. } => rule
            .status
            .as_ref()
            .is_some_and(|wanted| label.as_deref() == Some(wanted.as_str())),
        Said::Text => match &rule.pattern {
            Some(pattern) => regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text)),
            None => rule.status.is_none(),
        },
        Said::CalloutReply { .. } | Said::Keys { .. } | Said::Email { .. } => false,
    }
}

/// The named groups of a rule's pattern in a text: ("code", "B3"), ...
pub fn named_fields(pattern: &str, text: &str) -> Vec<(String, String)> {
    let Ok(re) = regex::Regex::new(pattern) else {
        return Vec::new();
    };
    let Some(captures) = re.captures(text) else {
        return Vec::new();
    };
    re.capture_names()
        .flatten()
        .filter_map(|name| {
            captures
                .name(name)
                .map(|m| (name.to_owned(), m.as_str().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_sender_status_and_pattern() {
        let rule = TetraRule {
            name: "ils".to_owned(),
            from: vec![4711],
            status: None,
            pattern: Some(r"^ALARM (?P<code>\S+) (?P<address>.+?) (?P<kind>\S+)$".to_owned()),
            template: "fire".to_owned(),
        };
        let alarm = "ALARM B3 Hauptstr 5 Brand";
        assert!(rule_matches(&rule, 4711, &Said::Text, alarm));
        assert!(!rule_matches(&rule, 4712, &Said::Text, alarm));
        assert!(!rule_matches(&rule, 4711, &Said::Text, "hello"));
        assert_eq!(
            named_fields(rule.pattern.as_deref().unwrap(), alarm),
            vec![
                ("code".to_owned(), "B3".to_owned()),
                ("address".to_owned(), "Hauptstr 5".to_owned()),
                ("kind".to_owned(), "Brand".to_owned())
            ]
        );
        let status_rule = TetraRule {
            status: Some("9".to_owned()),
            pattern: None,
            ..rule
        };
        let status = Said::Status {
            value: 0x800B,
            label: Some("9".to_owned()),
        };
        assert!(rule_matches(&status_rule, 4711, &status, "status 9 (800B)"));
    }
}
