//! Handling a received SMS: an SMS trigger ("<PIN> <template> [words]")
//! from a number with a trigger in the organisation it is assigned to, else
//! an answer to the newest open alert sent to that number, else nothing.

use super::answers;
use super::{Filed, Worker};
use crate::alerts::{parse_reply, Start, Trigger};
use crate::audit::Entry;
use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{
    sms_sender, Actor, ActorKind, Handling, InboundMessage, Organisation, Outcome, SmsTrigger,
    StoreError, PIN_ATTEMPTS,
};

/// What stands in for a trigger's PIN wherever its text is kept or shown.
pub const PIN_MARK: &str = "[PIN]";

/// The parts of a trigger attempt: PIN, template name, and the rest.
struct Attempt<'a> {
    pin: &'a str,
    template: &'a str,
    rest: Vec<&'a str>,
}

/// A message reads as a trigger attempt when it starts with a number of at
/// least four digits and a word. Shorter numbers are reply codes ("1 15").
fn attempt(text: &str) -> Option<Attempt<'_>> {
    let mut words = text.split_whitespace();
    let (pin, template) = (words.next()?, words.next()?);
    (pin.len() >= 4 && pin.bytes().all(|b| b.is_ascii_digit())).then(|| Attempt {
        pin,
        template,
        rest: words.collect(),
    })
}

fn redacted(attempt: &Attempt<'_>) -> String {
    let mut text = format!("{PIN_MARK} {}", attempt.template);
    for word in &attempt.rest {
        text.push(' ');
        text.push_str(word);
    }
    text
}

pub(super) fn handle(worker: &Worker, message: &InboundMessage) -> Result<Filed, StoreError> {
    if let Some(filed) = super::timer::handle(worker, message)? {
        return Ok(filed);
    }
    let store = &worker.store;
    let owner = store.sender_owner(&sms_sender(&message.from))?;
    if let Some(org) = owner.map(|id| store.get_org(id)).transpose()?.flatten() {
        let rule = org
            .settings
            .sms_triggers
            .iter()
            .find(|t| t.number == message.from);
        if let (Some(rule), Some(attempt)) = (rule, attempt(&message.text)) {
            let handling = trigger(worker, &org, rule, &attempt, message)?;
            return Ok(Filed {
                org: org.id,
                text: Some(redacted(&attempt)),
                handling,
            });
        }
    }
    let peers = store.peers(&message.from, message.received_at)?;
    if let Some((peer, org, alert)) = answers::open_alert(store, &peers)? {
        let codes = store
            .get_org(peer.org)?
            .map(|o| o.settings.reply_codes)
            .unwrap_or_default();
        let input = parse_reply(
            &message.text,
            &codes,
            &alert.responses,
            alert.allow_eta,
            alert.allow_text,
        );
        let handling =
            answers::answer_or_note(&worker.hub, &org, &alert, peer.recipient, input, message)?;
        return Ok(Filed::under(peer.org, handling));
    }
    let filed_under = owner
        .or_else(|| peers.first().map(|p| p.org))
        .unwrap_or(Id::SYSTEM);
    Ok(Filed::under(
        filed_under,
        answers::unanswered(filed_under != Id::SYSTEM, "number"),
    ))
}

fn trigger(
    worker: &Worker,
    org: &Organisation,
    rule: &SmsTrigger,
    attempt: &Attempt<'_>,
    message: &InboundMessage,
) -> Result<Handling, StoreError> {
    let store = &worker.store;
    let handle = store.org(org.id);
    let now = worker.now();
    let actor = Actor {
        kind: ActorKind::External,
        id: None,
        name: format!("SMS from {}", message.from),
    };
    let refuse = |why: String| -> Result<Handling, StoreError> {
        Entry::new(actor.clone(), "sms_trigger.refused", Outcome::Denied)
            .detail(why.clone())
            .write(&handle, now)?;
        Ok(Handling::Ignored { why })
    };
    let failures = store.pin_failures(org.id, &message.from)?;
    if let Some(until) = failures.locked_until.filter(|until| *until > now) {
        return refuse(format!(
            "this number is locked out until {} after {PIN_ATTEMPTS} wrong PINs",
            until
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        ));
    }
    if !worker.pins.verify(&rule.pin_hash, attempt.pin) {
        let counted = store.count_pin_failure(org.id, &message.from, now)?;
        let handling = refuse(format!(
            "an SMS trigger with a wrong PIN ({} of {PIN_ATTEMPTS})",
            counted.count.min(PIN_ATTEMPTS)
        ))?;
        if counted.count == PIN_ATTEMPTS {
            locked_out(worker, org, &actor, message)?;
        }
        return Ok(handling);
    }
    if failures.count > 0 {
        store.clear_pin_failures(org.id, &message.from)?;
    }
    let allowed = rule.templates.is_empty()
        || rule
            .templates
            .iter()
            .any(|t| t.eq_ignore_ascii_case(attempt.template));
    let template = handle.template_by_name(attempt.template)?;
    let Some(template) = template.filter(|_| allowed) else {
        return refuse(format!(
            "this number may not fire a template named \"{}\"",
            attempt.template
        ));
    };
    let access = Access {
        roles: vec!["sms-trigger".to_owned()],
        permissions: vec![Permission::SendAlerts],
        alert_groups: None,
    };
    let detail = (!attempt.rest.is_empty()).then(|| attempt.rest.join(" "));
    let mut trigger = Trigger::new(
        actor.clone(),
        access,
        Start::Template {
            id: template.id,
            detail,
        },
    );
    trigger.message = Some(message.id);
    trigger.via = Some(format!("by SMS from {}", message.from));
    match worker.engine.raise(&handle, trigger, now) {
        Ok(raised) => Ok(Handling::Trigger {
            alert: raised.created.alert.id,
        }),
        Err(crate::alerts::AlertError::Store(e)) => Err(e),
        Err(e) => refuse(format!("the template could not fire: {e}")),
    }
}

/// A number that just used up its PIN attempts: audited, which security
/// monitoring tells the organisation's security contacts of.
fn locked_out(
    worker: &Worker,
    org: &Organisation,
    actor: &Actor,
    message: &InboundMessage,
) -> Result<(), StoreError> {
    let handle = worker.store.org(org.id);
    let now = worker.now();
    Entry::new(actor.clone(), "sms_trigger.locked", Outcome::Denied)
        .target(&message.from)
        .detail(format!("{PIN_ATTEMPTS} wrong PINs; locked out for an hour"))
        .write(&handle, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_attempts_need_a_pin_and_a_word() {
        let a = attempt("123456 fire Hauptstr 5").unwrap();
        assert_eq!((a.pin, a.template), ("123456", "fire"));
        assert_eq!(redacted(&a), "[PIN] fire Hauptstr 5");
        assert!(attempt("1 15").is_none());
        assert!(attempt("123456").is_none());
        assert!(attempt("K 15").is_none());
    }
}
