//! The `sms` channel: a pool of GSM modems sharing the load (see
//! [`super::pool`]), and the desk that takes what the modems hear back
//! (status reports, replies, alerts started by SMS).

use super::answers;
use super::pool::{ref_of, send_through, tag_of, Member};
use super::{Channel, Job, Limits, Outcome};
use crate::alerts::{fire_template, parse_reply};
use crate::audit::Entry;
use crate::auth::{Access, Permission};
use crate::clock::SharedClock;
use crate::hw::gsm::modem::{ModemHandle, SmsEvents, SmsRequest};
use crate::hw::gsm::pdu::{self, DeliveryStatus};
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{
    Actor, ActorKind, Channel as ChannelName, DeliveryRef, Handling, InboundMessage,
    Outcome as AuditOutcome, Report, Store, StoreError,
};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use time::OffsetDateTime;

pub struct SmsPool {
    modems: Vec<ModemHandle>,
    store: Store,
    /// Where links in messages point (the members' app).
    public_url: String,
}

impl SmsPool {
    pub fn new(modems: Vec<ModemHandle>, store: Store, public_url: String) -> Arc<SmsPool> {
        Arc::new(SmsPool {
            modems,
            store,
            public_url,
        })
    }

    pub fn modems(&self) -> &[ModemHandle] {
        &self.modems
    }

    /// Sends one text through the pool: used for alerts and for login codes.
    pub async fn send_text(&self, request: SmsRequest) -> Outcome {
        send_through(self.modems.clone(), "modem", request).await
    }

    /// Messages per minute the pool can really send now: each ready modem's
    /// limit, or what its measured send time allows if that is lower.
    pub fn capacity_per_minute(&self) -> f64 {
        self.modems
            .iter()
            .filter(|m| m.is_ready())
            .map(|m| {
                let limit = f64::from(m.per_minute.max(1));
                match m.status().avg_send_ms {
                    Some(ms) if ms > 0 => limit.min(60_000.0 / ms as f64),
                    _ => limit,
                }
            })
            .fold(0.0, |total, rate| total + rate)
    }

    fn message(&self, job: &Job) -> String {
        job.short_text(&self.store, &self.public_url)
    }
}

/// "Reply 1 = Coming, 2 = Not coming": the numeric code for each option.
pub fn reply_hint(codes: &std::collections::BTreeMap<String, u8>, options: &[String]) -> String {
    let hints: Vec<String> = options
        .iter()
        .enumerate()
        .filter_map(|(i, option)| {
            let wanted = u8::try_from(i + 1).ok()?;
            let code = codes
                .iter()
                .filter(|(_, o)| **o == wanted)
                .map(|(c, _)| c)
                .min_by_key(|c| (!c.bytes().all(|b| b.is_ascii_digit()), c.len()))?;
            Some(format!("{code} = {option}"))
        })
        .collect();
    if hints.is_empty() {
        String::new()
    } else {
        format!("Reply {}", hints.join(", "))
    }
}

impl Member for ModemHandle {
    type Request = SmsRequest;

    fn name(&self) -> &str {
        &self.name
    }
    fn is_ready(&self) -> bool {
        ModemHandle::is_ready(self)
    }
    fn waiting(&self) -> usize {
        ModemHandle::waiting(self)
    }
    fn state_name(&self) -> &'static str {
        self.status().state.name()
    }
    fn send(
        &self,
        request: SmsRequest,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, crate::hw::SendFailure>> + Send {
        ModemHandle::send(self, request)
    }
}

impl Channel for SmsPool {
    fn name(&self) -> ChannelName {
        ChannelName::Sms
    }

    fn limits(&self) -> Limits {
        // Each modem paces itself to its SIM's limit; the dispatcher only
        // keeps every modem busy with one message and one waiting.
        Limits {
            concurrency: (self.modems.len() * 2).max(1),
            per_minute: u32::MAX,
        }
    }

    fn send(&self, job: Job) -> BoxFuture<'static, Outcome> {
        let request = SmsRequest {
            to: job.delivery.address.clone(),
            text: self.message(&job),
            status_report: true,
            tag: Some(tag_of(DeliveryRef {
                org: job.org,
                alert: job.alert.id,
                recipient: job.recipient.id,
                delivery: job.delivery.id,
            })),
        };
        let modems = self.modems.clone();
        Box::pin(send_through(modems, "modem", request))
    }
}

/// Takes what modems hear: reports settle deliveries, replies become answers.
pub struct SmsDesk {
    store: Store,
    hub: Arc<Hub>,
    clock: SharedClock,
}

impl SmsDesk {
    pub fn new(store: Store, hub: Arc<Hub>, clock: SharedClock) -> Arc<SmsDesk> {
        Arc::new(SmsDesk { store, hub, clock })
    }

    fn keep(
        &self,
        modem: &str,
        message: &pdu::Deliver,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (text, parts) = match &message.concat {
            Some(c) if c.total > 1 => {
                let whole = self.store.sms_part(
                    &message.from,
                    c.reference,
                    c.total,
                    c.seq,
                    &message.text,
                    at,
                )?;
                self.store.flush_blocking()?;
                match whole {
                    Some(text) => (text, c.total),
                    None => return Ok(()),
                }
            }
            _ => (message.text.clone(), 1),
        };
        let peers = self.store.peers(&message.from, at)?;
        let org = match peers.first() {
            Some(p) => p.org,
            None => self.org_of_number(&message.from)?.unwrap_or(Id::SYSTEM),
        };
        let fresh = InboundMessage {
            id: Id::new(),
            channel: ChannelName::Sms,
            from: message.from.clone(),
            to: modem.to_owned(),
            received_at: at,
            text: text.clone(),
            parts,
            handling: Handling::Pending,
        };
        let fingerprint = format!(
            "sms\u{0}{}\u{0}{}\u{0}{}",
            message.from,
            message.timestamp.as_deref().unwrap_or(""),
            text
        );
        let (org, record) = match self.store.add_inbound(org, &fresh, &fingerprint)? {
            None => (org, fresh),
            Some((org, earlier)) if earlier.handling == Handling::Pending => (org, earlier),
            Some(_) => {
                tracing::info!(from = %message.from, "an SMS already handled was read again; ignored");
                return Ok(());
            }
        };
        self.store.flush_blocking()?;
        let handling = self.handle(&record, &peers, org == Id::SYSTEM, at)?;
        tracing::info!(from = %record.from, ?handling, "SMS received");
        self.store.set_inbound_handling(org, record.id, handling)?;
        self.store.flush_blocking()?;
        Ok(())
    }

    fn org_of_number(&self, number: &str) -> Result<Option<Id>, StoreError> {
        for org in self.store.orgs()? {
            if org.settings.sms_triggers.iter().any(|t| t.number == number) {
                return Ok(Some(org.id));
            }
            let known = self
                .store
                .org(org.id)
                .users()?
                .iter()
                .any(|u| u.phones.iter().any(|p| p == number));
            if known {
                return Ok(Some(org.id));
            }
        }
        Ok(None)
    }

    fn handle(
        &self,
        message: &InboundMessage,
        peers: &[crate::store::Peer],
        unknown: bool,
        at: OffsetDateTime,
    ) -> Result<Handling, StoreError> {
        if let Some(handling) = self.trigger(message, at)? {
            return Ok(handling);
        }
        let Some((peer, org, alert)) = answers::open_alert(&self.store, peers)? else {
            return Ok(answers::unanswered(unknown, "number"));
        };
        let codes = self
            .store
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
        answers::answer_or_note(
            &self.hub,
            &org,
            &alert,
            peer.recipient,
            input,
            ChannelName::Sms,
            serde_json::json!({"from": message.from, "text": message.text}),
            at,
        )
    }
}

impl SmsDesk {
    /// "<PIN> <template> [words]" from a number an organisation allows fires
    /// that template. `None` when the message is no trigger attempt.
    fn trigger(
        &self,
        message: &InboundMessage,
        at: OffsetDateTime,
    ) -> Result<Option<Handling>, StoreError> {
        let mut words = message.text.split_whitespace();
        let (Some(pin), Some(name)) = (words.next(), words.next()) else {
            return Ok(None);
        };
        if !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let rest: Vec<&str> = words.collect();
        let detail = (!rest.is_empty()).then(|| rest.join(" "));
        for org in self.store.orgs()? {
            let Some(rule) = org
                .settings
                .sms_triggers
                .iter()
                .find(|t| t.number == message.from)
            else {
                continue;
            };
            let handle = self.store.org(org.id);
            let actor = Actor {
                kind: ActorKind::External,
                id: None,
                name: format!("SMS from {}", message.from),
            };
            let refuse = |why: String| -> Result<Option<Handling>, StoreError> {
                Entry::new(actor.clone(), "sms_trigger.refused", AuditOutcome::Denied)
                    .detail(why.clone())
                    .write(&handle, at)?;
                Ok(Some(Handling::Ignored { why }))
            };
            if !crate::auth::password::verify(&rule.pin_hash, pin) {
                return refuse("an SMS trigger with a wrong PIN".to_owned());
            }
            let allowed = rule.templates.is_empty()
                || rule.templates.iter().any(|t| t.eq_ignore_ascii_case(name));
            let template = handle.template_by_name(name)?;
            let Some(template) = template.filter(|_| allowed) else {
                return refuse(format!(
                    "this number may not fire a template named \"{name}\""
                ));
            };
            let access = Access {
                roles: vec!["sms-trigger".to_owned()],
                permissions: vec![Permission::SendAlerts],
                alert_groups: None,
            };
            return match fire_template(
                &handle,
                &access,
                actor.clone(),
                template.id,
                detail.as_deref(),
                at,
            ) {
                Ok(fired) => {
                    Entry::new(actor, "alert.sent", AuditOutcome::Success)
                        .target(fired.created.alert.id)
                        .detail(format!("template {} by SMS", template.name))
                        .write(&handle, at)?;
                    self.store.flush_blocking()?;
                    self.hub.announce(org.id, &fired.created.app);
                    Ok(Some(Handling::Trigger {
                        alert: fired.created.alert.id,
                    }))
                }
                Err(e) => refuse(format!("the template could not fire: {e}")),
            };
        }
        Ok(None)
    }
}

impl SmsEvents for SmsDesk {
    fn received(
        &self,
        modem: &str,
        message: &pdu::Deliver,
        _at: OffsetDateTime,
    ) -> Result<(), String> {
        self.keep(modem, message, self.clock.now())
            .map_err(|e| e.to_string())
    }

    fn sent(&self, modem: &str, request: &SmsRequest, references: &[u8]) {
        let Some(r) = request.tag.as_deref().and_then(ref_of) else {
            return;
        };
        if let Err(e) = self
            .store
            .track_sent(modem, &request.to, references, r, self.clock.now())
        {
            tracing::error!(error = %e, "cannot remember a sent SMS; its status report will be ignored");
        }
    }

    fn report(&self, modem: &str, report: &pdu::StatusReport) {
        let result = match pdu::status_meaning(report.status) {
            DeliveryStatus::Delivered => Report::Received {
                more_to_come: false,
            },
            DeliveryStatus::Pending => return,
            DeliveryStatus::Failed(why) => Report::Failed(format!("the network reports: {why}")),
        };
        match self.store.apply_report(
            modem,
            &report.recipient,
            report.reference,
            &result,
            self.clock.now(),
        ) {
            Ok(Some(r)) => {
                let _ = self.store.flush_blocking();
                self.hub.notify_alert(r.org, r.alert);
            }
            Ok(None) => tracing::debug!(
                modem,
                reference = report.reference,
                "status report for nothing tracked"
            ),
            Err(e) => tracing::error!(error = %e, "cannot apply a status report"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_hint_prefers_digits() {
        let codes = crate::store::OrgSettings::default().reply_codes;
        let hint = reply_hint(&codes, &["Coming".to_owned(), "Not coming".to_owned()]);
        assert_eq!(hint, "Reply 1 = Coming, 2 = Not coming");
    }
}
