//! Alarms by email. The SMTP listener ([`smtp`]) takes mail only from
//! senders an organisation's `email_rules` name, and refuses the rest at
//! RCPT time with a reason (kept in the appliance's inbound list). A mail it
//! takes is stored as pending and flushed before the sender hears `250`;
//! the inbox worker then fires the template of the first rule whose subject
//! and body patterns match, with the subject and text as the detail, or
//! files it as ignored with the reason.

mod mime;
mod refusals;
mod smtp;

pub use mime::Parsed;
pub use smtp::{listen, SmtpError};

use super::{named_fields, Filed, Inbox, Worker};
use crate::alerts::{Start, Trigger};
use crate::audit::Entry;
use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{
    Actor, ActorKind, Channel, EmailRule, Handling, InboundMessage, Organisation, Outcome, Said,
    Store, StoreError,
};

/// A mail the listener took: the envelope and what the message says.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub parsed: Parsed,
}

/// Whether a rule's sender `pattern` ("alarms@plant.example", or
/// "*@scada.example" for anyone at that domain) takes mail from `address`.
/// Case is ignored: mail systems rewrite it freely.
pub fn sender_matches(pattern: &str, address: &str) -> bool {
    let (pattern, address) = (pattern.trim(), address.trim());
    match pattern.strip_prefix("*@") {
        Some(domain) => address
            .rsplit_once('@')
            .is_some_and(|(local, d)| !local.is_empty() && d.eq_ignore_ascii_case(domain)),
        None => !pattern.is_empty() && pattern.eq_ignore_ascii_case(address),
    }
}

/// Whether a rule takes this mail: the sender is in its list and the
/// subject and text match its patterns (each when given).
pub fn rule_matches(rule: &EmailRule, from: &str, subject: &str, text: &str) -> bool {
    let matches = |pattern: &Option<String>, text: &str| {
        pattern
            .as_ref()
            .is_none_or(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(text)))
    };
    rule.from.iter().any(|p| sender_matches(p, from))
        && matches(&rule.subject, subject)
        && matches(&rule.body, text)
}

/// The organisations with a rule that takes mail from `from`.
pub fn orgs_taking(store: &Store, from: &str) -> Result<Vec<Organisation>, StoreError> {
    Ok(store
        .orgs()?
        .into_iter()
        .filter(|o| {
            o.settings
                .email_rules
                .iter()
                .any(|r| r.from.iter().any(|p| sender_matches(p, from)))
        })
        .collect())
}

impl Inbox {
    /// Keeps a mail durably as pending. When this returns `Ok` the listener
    /// may answer `250`. A mail whose Message-ID was kept before from the
    /// same sender (sent again after a lost answer) is not kept twice.
    pub fn accept_email(&self, mail: &Mail) -> Result<Id, StoreError> {
        let received = InboundMessage {
            id: Id::new(),
            channel: Channel::Email,
            from: mail.from.clone(),
            to: mail.to.join(", "),
            received_at: self.clock.now(),
            text: mail.parsed.text.clone(),
            parts: 1,
            incomplete: false,
            said: Said::Email {
                subject: mail.parsed.subject.clone(),
                message_id: mail.parsed.message_id.clone(),
            },
            handling: Handling::Pending,
        };
        let fingerprint = mail
            .parsed
            .message_id
            .as_ref()
            .map(|id| format!("email\u{0}{}\u{0}{id}", mail.from.to_ascii_lowercase()));
        let new = self
            .store
            .accept_inbound(&received, fingerprint.as_deref())?;
        self.store.flush_blocking()?;
        if new {
            self.wake();
        } else {
            tracing::info!(from = %mail.from, "a mail already kept came again; ignored");
        }
        Ok(received.id)
    }

    /// Keeps a refused mail in the appliance's inbound list, with why.
    pub fn refuse_email(&self, from: &str, to: &str, why: &str) -> Result<(), StoreError> {
        let refused = InboundMessage {
            id: Id::new(),
            channel: Channel::Email,
            from: from.to_owned(),
            to: to.to_owned(),
            received_at: self.clock.now(),
            text: String::new(),
            parts: 1,
            incomplete: false,
            said: Said::Email {
                subject: String::new(),
                message_id: None,
            },
            handling: Handling::Ignored {
                why: why.to_owned(),
            },
        };
        tracing::info!(%from, %why, "a mail refused");
        self.store.finish_inbound(Id::SYSTEM, &refused)?;
        self.store.flush_blocking()
    }
}

pub(super) fn handle(worker: &Worker, message: &InboundMessage) -> Result<Filed, StoreError> {
    let subject = match &message.said {
        Said::Email { subject, .. } => subject.as_str(),
        _ => "",
    };
    let orgs = orgs_taking(&worker.store, &message.from)?;
    for org in &orgs {
        let rule = org
            .settings
            .email_rules
            .iter()
            .find(|r| rule_matches(r, &message.from, subject, &message.text));
        if let Some(rule) = rule {
            let handling = fire_rule(worker, org, rule, message, subject)?;
            return Ok(Filed::under(org.id, handling));
        }
    }
    Ok(match orgs.first() {
        Some(org) => Filed::under(
            org.id,
            Handling::Ignored {
                why: format!(
                    "no email rule matches this subject and text from {}",
                    message.from
                ),
            },
        ),
        None => Filed::under(
            Id::SYSTEM,
            Handling::Ignored {
                why: format!("no organisation takes mail from {} now", message.from),
            },
        ),
    })
}

fn fire_rule(
    worker: &Worker,
    org: &Organisation,
    rule: &EmailRule,
    message: &InboundMessage,
    subject: &str,
) -> Result<Handling, StoreError> {
    let handle = worker.store.org(org.id);
    let now = worker.now();
    let actor = Actor {
        kind: ActorKind::External,
        id: None,
        name: format!("email from {} (rule {})", message.from, rule.name),
    };
    let Some(template) = handle.template_by_name(&rule.template)? else {
        let why = format!("rule {} names no template \"{}\"", rule.name, rule.template);
        Entry::new(actor, "email_rule.refused", Outcome::Failure)
            .detail(why.clone())
            .write(&handle, now)?;
        return Ok(Handling::Ignored { why });
    };
    let mut detail = subject.to_owned();
    if !message.text.is_empty() {
        detail.push('\n');
        detail.push_str(&message.text);
    }
    let fields: Vec<String> = [
        (&rule.subject, subject),
        (&rule.body, message.text.as_str()),
    ]
    .into_iter()
    .filter_map(|(pattern, text)| Some(named_fields(pattern.as_deref()?, text)))
    .flatten()
    .map(|(name, value)| format!("{name}: {value}"))
    .collect();
    if !fields.is_empty() {
        detail = format!("{}\n{detail}", fields.join(", "));
    }
    let access = Access {
        roles: vec!["email-rule".to_owned()],
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
    // Keyed by the message: handling it again after a crash finds the
    // same alert.
    trigger.message = Some(message.id);
    trigger.via = Some(format!("rule {} by email from {}", rule.name, message.from));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_match_whole_addresses_or_a_domain() {
        assert!(sender_matches(
            "alarms@plant.example",
            "Alarms@Plant.example"
        ));
        assert!(!sender_matches(
            "alarms@plant.example",
            "other@plant.example"
        ));
        assert!(sender_matches("*@scada.example", "pump3@scada.example"));
        assert!(!sender_matches(
            "*@scada.example",
            "pump3@evil-scada.example"
        ));
        assert!(!sender_matches("*@scada.example", "@scada.example"));
        assert!(!sender_matches("", ""));
        let rule = EmailRule {
            name: "pumps".to_owned(),
            from: vec!["*@scada.example".to_owned()],
            subject: Some("(?i)^alarm".to_owned()),
            body: None,
            template: "fire".to_owned(),
        };
        assert!(rule_matches(&rule, "p@scada.example", "ALARM pump 3", ""));
        assert!(!rule_matches(&rule, "p@scada.example", "Weekly report", ""));
        assert!(!rule_matches(&rule, "p@other.example", "ALARM pump 3", ""));
    }
}
