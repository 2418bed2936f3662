//! The `tetra` channel: text SDS or call-outs through the appliance's TETRA
//! radios (a [`super::pool`] of them), and the desk that takes what radios
//! hear: SDS-TL reports (delivered, read), answers from radio users (text,
//! status, call-out replies), and alarms from the emergency centre, which the
//! organisation's rules turn into alerts.

use super::answers;
use super::pool::{ref_of, send_through, tag_of, Member};
use super::{Channel, Job, Limits, Outcome};
use crate::alerts::{fire_template, parse_reply, ResponseInput};
use crate::audit::Entry;
use crate::auth::{Access, Permission};
use crate::clock::SharedClock;
use crate::hw::tetra::radio::{Heard, RadioEvents, RadioHandle, Received, SdsPayload, SdsRequest};
use crate::hw::tetra::sds::ReportMeaning;
use crate::hw::SendFailure;
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{
    Actor, ActorKind, AlertEvent, Channel as ChannelName, DeliveryRef, Handling, InboundMessage,
    Organisation, Outcome as AuditOutcome, Peer, Report, Severity, Store, StoreError, TetraRule,
};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use time::OffsetDateTime;

/// The address radios are remembered under, apart from phone numbers.
fn radio_address(ssi: u32) -> String {
    format!("tetra:{ssi}")
}

fn callout_address(number: u8) -> String {
    format!("tetra-callout:{number}")
}

pub struct TetraChannel {
    radios: Vec<RadioHandle>,
    store: Store,
    /// Where a sealed alert's notice points (the members' app).
    public_url: String,
}

impl TetraChannel {
    pub fn new(radios: Vec<RadioHandle>, store: Store, public_url: String) -> Arc<TetraChannel> {
        Arc::new(TetraChannel {
            radios,
            store,
            public_url,
        })
    }

    pub fn radios(&self) -> &[RadioHandle] {
        &self.radios
    }

    fn payload(&self, job: &Job) -> Result<SdsPayload, String> {
        let alert = &job.alert;
        if let Some(status) = &alert.tetra_status {
            let value = self
                .radios
                .iter()
                .find_map(|r| r.profile.status_value(status))
                .or_else(|| {
                    (status.len() == 4)
                        .then(|| u16::from_str_radix(status, 16).ok())
                        .flatten()
                });
            return value.map(SdsPayload::Status).ok_or_else(|| {
                format!("status {status} is not in the radio profile's status table")
            });
        }
        if let Some(callout) = alert.tetra_callout {
            let mut text = alert.title.clone();
            let body =
                crate::alerts::outward_body(alert, &self.public_url, job.language(&self.store));
            if !body.is_empty() {
                text.push(' ');
                text.push_str(&body);
            }
            return Ok(SdsPayload::Callout {
                number: callout.number,
                severity: callout.severity,
                text,
                clear: callout.clear,
            });
        }
        let text = job.short_text(&self.store, &self.public_url);
        Ok(SdsPayload::Text {
            text,
            immediate: alert.severity == Severity::Critical,
        })
    }
}

impl Member for RadioHandle {
    type Request = SdsRequest;

    fn name(&self) -> &str {
        &self.name
    }
    fn is_ready(&self) -> bool {
        RadioHandle::is_ready(self)
    }
    fn waiting(&self) -> usize {
        RadioHandle::waiting(self)
    }
    fn state_name(&self) -> &'static str {
        self.status().state.name()
    }
    fn send(
        &self,
        request: SdsRequest,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SendFailure>> + Send {
        RadioHandle::send(self, request)
    }
}

impl Channel for TetraChannel {
    fn name(&self) -> ChannelName {
        ChannelName::Tetra
    }

    fn limits(&self) -> Limits {
        Limits {
            concurrency: (self.radios.len() * 2).max(1),
            per_minute: u32::MAX,
        }
    }

    fn send(&self, job: Job) -> BoxFuture<'static, Outcome> {
        let address = job.delivery.address.clone();
        let (group, ssi) = match address.strip_prefix("group:") {
            Some(g) => (true, g.parse::<u32>().ok()),
            None => (false, address.parse::<u32>().ok()),
        };
        let Some(to) = ssi else {
            let why = format!("{address} is not a TETRA ISSI or GSSI");
            return Box::pin(async move { Outcome::Permanent(why) });
        };
        let payload = match self.payload(&job) {
            Ok(payload) => payload,
            Err(why) => return Box::pin(async move { Outcome::Permanent(why) }),
        };
        let request = SdsRequest {
            to,
            group,
            payload,
            tag: Some(tag_of(DeliveryRef {
                org: job.org,
                alert: job.alert.id,
                recipient: job.recipient.id,
                delivery: job.delivery.id,
            })),
        };
        Box::pin(send_through(self.radios.clone(), "radio", request))
    }
}

/// Takes what radios hear.
pub struct TetraDesk {
    store: Store,
    hub: Arc<Hub>,
    clock: SharedClock,
}

impl TetraDesk {
    pub fn new(store: Store, hub: Arc<Hub>, clock: SharedClock) -> Arc<TetraDesk> {
        Arc::new(TetraDesk { store, hub, clock })
    }

    fn text_of(heard: &Heard) -> String {
        match &heard.what {
            Received::Text(text) => text.clone(),
            Received::Status { value, label } => match label {
                Some(label) => format!("status {label} ({value:04X})"),
                None => format!("status {value:04X}"),
            },
            Received::CalloutReply { number, text, .. } => {
                format!("call-out {number} answer: {text}")
            }
        }
    }

    fn keep(&self, radio: &str, heard: &Heard) -> Result<(), StoreError> {
        let at = self.clock.now();
        let peers = self.store.peers(&radio_address(heard.from), at)?;
        let rules_org = self.rule_org(heard)?;
        let org = match (&rules_org, peers.first()) {
            (Some((org, _)), _) => org.id,
            (None, Some(peer)) => peer.org,
            (None, None) => self.org_of_radio(heard.from)?.unwrap_or(Id::SYSTEM),
        };
        let message = InboundMessage {
            id: Id::new(),
            channel: ChannelName::Tetra,
            from: heard.from.to_string(),
            to: format!("{radio} ({})", heard.to),
            received_at: at,
            text: Self::text_of(heard),
            parts: 1,
            handling: Handling::Pending,
        };
        // Radios keep nothing, so nothing is read twice: every message is kept.
        let fingerprint = format!("tetra\u{0}{}", message.id);
        self.store.add_inbound(org, &message, &fingerprint)?;
        self.store.flush_blocking()?;
        let handling = match rules_org {
            Some((org, rule)) => self.fire_rule(&org, &rule, heard, &message.text, at)?,
            None => self.answer(heard, &peers, org == Id::SYSTEM, at)?,
        };
        tracing::info!(radio, from = heard.from, ?handling, "SDS received");
        self.store.set_inbound_handling(org, message.id, handling)?;
        self.store.flush_blocking()?;
        Ok(())
    }

    fn org_of_radio(&self, ssi: u32) -> Result<Option<Id>, StoreError> {
        for org in self.store.orgs()? {
            if self
                .store
                .org(org.id)
                .users()?
                .iter()
                .any(|u| u.tetra_issi == Some(ssi))
            {
                return Ok(Some(org.id));
            }
        }
        Ok(None)
    }

    /// The first organisation rule this message matches.
    fn rule_org(&self, heard: &Heard) -> Result<Option<(Organisation, TetraRule)>, StoreError> {
        for org in self.store.orgs()? {
            for rule in &org.settings.tetra_rules {
                if rule_matches(rule, heard) {
                    return Ok(Some((org.clone(), rule.clone())));
                }
            }
        }
        Ok(None)
    }

    fn fire_rule(
        &self,
        org: &Organisation,
        rule: &TetraRule,
        heard: &Heard,
        text: &str,
        at: OffsetDateTime,
    ) -> Result<Handling, StoreError> {
        let handle = self.store.org(org.id);
        let actor = Actor {
            kind: ActorKind::External,
            id: None,
            name: format!("TETRA {} (rule {})", heard.from, rule.name),
        };
        let Some(template) = handle.template_by_name(&rule.template)? else {
            return Ok(Handling::Ignored {
                why: format!("rule {} names no template \"{}\"", rule.name, rule.template),
            });
        };
        let mut detail = text.to_owned();
        if let (Received::Text(body), Some(pattern)) = (&heard.what, &rule.pattern) {
            if let Some(fields) = extract_fields(pattern, body) {
                detail.push_str(&fields);
            }
        }
        let access = Access {
            roles: vec!["tetra-rule".to_owned()],
            permissions: vec![Permission::SendAlerts],
            alert_groups: None,
        };
        match fire_template(
            &handle,
            &access,
            actor.clone(),
            template.id,
            Some(&detail),
            at,
        ) {
            Ok(fired) => {
                let action = if fired.merged {
                    "alert.trigger_merged"
                } else {
                    "alert.sent"
                };
                Entry::new(actor, action, AuditOutcome::Success)
                    .target(fired.created.alert.id)
                    .detail(format!("rule {} from TETRA {}", rule.name, heard.from))
                    .write(&handle, at)?;
                self.store.flush_blocking()?;
                self.hub.announce(org.id, &fired.created.app);
                self.hub.notify_alert(org.id, fired.created.alert.id);
                Ok(Handling::Trigger {
                    alert: fired.created.alert.id,
                })
            }
            Err(e) => Ok(Handling::Ignored {
                why: format!("rule {} could not fire its template: {e}", rule.name),
            }),
        }
    }

    /// An answer from a radio user: a call-out reply, a status or a text.
    fn answer(
        &self,
        heard: &Heard,
        peers: &[Peer],
        unknown: bool,
        at: OffsetDateTime,
    ) -> Result<Handling, StoreError> {
        let (candidates, input) = match &heard.what {
            Received::CalloutReply { number, option, .. } => {
                let mut candidates = self.store.peers(&callout_address(*number), at)?;
                candidates.extend_from_slice(peers);
                (candidates, option.map(Choice::Option))
            }
            Received::Status { label, .. } => {
                let option = label.as_ref().and_then(|label| {
                    peers.first().and_then(|p| {
                        self.store
                            .get_org(p.org)
                            .ok()
                            .flatten()
                            .and_then(|o| o.settings.tetra_status_replies.get(label).copied())
                    })
                });
                (peers.to_vec(), option.map(Choice::Option))
            }
            Received::Text(text) => (peers.to_vec(), Some(Choice::Text(text.clone()))),
        };
        // A group call-out is answered by each radio in the group: the answer
        // is the person's whose radio it is, found among the recipients.
        let Some((peer, org, alert)) = answers::open_alert(&self.store, &candidates)? else {
            return Ok(answers::unanswered(unknown, "radio"));
        };
        let recipient = org
            .recipients(alert.id)?
            .into_iter()
            .find(|r| r.issi == Some(heard.from))
            .map_or(peer.recipient, |r| r.id);
        let input = match &input {
            Some(Choice::Option(option)) => alert
                .responses
                .get(usize::from(*option).saturating_sub(1))
                .map(|choice| ResponseInput {
                    choice: choice.clone(),
                    ..ResponseInput::default()
                }),
            Some(Choice::Text(text)) => {
                let codes = self
                    .store
                    .get_org(peer.org)?
                    .map(|o| o.settings.reply_codes)
                    .unwrap_or_default();
                parse_reply(
                    text,
                    &codes,
                    &alert.responses,
                    alert.allow_eta,
                    alert.allow_text,
                )
            }
            None => None,
        };
        answers::answer_or_note(
            &self.hub,
            &org,
            &alert,
            recipient,
            input,
            ChannelName::Tetra,
            serde_json::json!({"from": heard.from, "text": Self::text_of(heard)}),
            at,
        )
    }
}

enum Choice {
    Option(u8),
    Text(String),
}

pub fn rule_matches(rule: &TetraRule, heard: &Heard) -> bool {
    if !rule.from.is_empty() && !rule.from.contains(&heard.from) {
        return false;
    }
    match &heard.what {
        Received::Status { label, .. } => rule
            .status
            .as_ref()
            .is_some_and(|wanted| label.as_deref() == Some(wanted.as_str())),
        Received::Text(text) => match &rule.pattern {
            Some(pattern) => regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text)),
            None => rule.status.is_none(),
        },
        Received::CalloutReply { .. } => false,
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

/// "\ncode: B3, address: Hauptstr 5" from a rule's named groups.
fn extract_fields(pattern: &str, text: &str) -> Option<String> {
    let fields: Vec<String> = named_fields(pattern, text)
        .into_iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    (!fields.is_empty()).then(|| format!("\n{}", fields.join(", ")))
}

impl RadioEvents for TetraDesk {
    fn sent(&self, radio: &str, request: &SdsRequest, references: &[u8]) {
        let Some(r) = request.tag.as_deref().and_then(ref_of) else {
            return;
        };
        let now = self.clock.now();
        let address = radio_address(request.to);
        let mut result = self.store.track_sent(radio, &address, references, r, now);
        if let SdsPayload::Callout { number, .. } = &request.payload {
            result =
                result.and_then(|()| self.store.remember_peer(&callout_address(*number), r, now));
        }
        if request.group {
            result = result.and_then(|()| {
                self.store.org(r.org).add_alert_event(
                    r.alert,
                    &AlertEvent {
                        id: Id::new(),
                        at: now,
                        kind: "tetra_group_sent".to_owned(),
                        detail: serde_json::json!({
                            "gssi": request.to, "radio": radio,
                            "note": "sent to the talk group; group sends have no per-member delivery reports",
                        }),
                    },
                )
            });
        }
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot remember a sent SDS; its reports will be ignored");
        }
    }

    fn report(&self, radio: &str, from: u32, reference: u8, meaning: ReportMeaning) {
        let report = match meaning {
            ReportMeaning::Received => Report::Received { more_to_come: true },
            ReportMeaning::Consumed => Report::Read,
            ReportMeaning::Pending => return,
            ReportMeaning::Failed(why) => {
                Report::Failed(format!("the radio network reports: {why}"))
            }
        };
        match self.store.apply_report(
            radio,
            &radio_address(from),
            reference,
            &report,
            self.clock.now(),
        ) {
            Ok(Some(r)) => {
                let _ = self.store.flush_blocking();
                self.hub.notify_alert(r.org, r.alert);
            }
            Ok(None) => {
                tracing::debug!(radio, from, reference, "SDS-TL report for nothing tracked")
            }
            Err(e) => tracing::error!(error = %e, "cannot apply an SDS-TL report"),
        }
    }

    fn received(&self, radio: &str, heard: &Heard) -> Result<(), String> {
        self.keep(radio, heard).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(from: u32, text: &str) -> Heard {
        Heard {
            from,
            from_identity: from.to_string(),
            to: "1000001".to_owned(),
            what: Received::Text(text.to_owned()),
        }
    }

    #[test]
    fn rules_match_sender_status_and_pattern() {
        let rule = TetraRule {
            name: "ils".to_owned(),
            from: vec![4711],
            status: None,
            pattern: Some(r"^ALARM (?P<code>\S+) (?P<address>.+?) (?P<kind>\S+)$".to_owned()),
            template: "fire".to_owned(),
        };
        assert!(rule_matches(
            &rule,
            &text(4711, "ALARM B3 Hauptstr 5 Brand")
        ));
        assert!(!rule_matches(
            &rule,
            &text(4712, "ALARM B3 Hauptstr 5 Brand")
        ));
        assert!(!rule_matches(&rule, &text(4711, "hello")));
        assert_eq!(
            extract_fields(
                rule.pattern.as_deref().unwrap(),
                "ALARM B3 Hauptstr 5 Brand"
            )
            .as_deref(),
            Some("\ncode: B3, address: Hauptstr 5, kind: Brand")
        );
        let status_rule = TetraRule {
            status: Some("9".to_owned()),
            pattern: None,
            ..rule
        };
        let status = Heard {
            what: Received::Status {
                value: 0x800B,
                label: Some("9".to_owned()),
            },
            ..text(4711, "")
        };
        assert!(rule_matches(&status_rule, &status));
    }
}
