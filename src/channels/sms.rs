//! The `sms` channel: a pool of GSM modems sharing the load (see
//! [`super::pool`]), and the status reports that settle its deliveries.
//! What people send in goes to the inbox, not here.

use super::pool::{ref_of, send_through, tag_of, Member};
use super::{Channel, Job, Limits, Outcome};
use crate::clock::SharedClock;
use crate::hw::gsm::modem::{ModemHandle, SmsRequest};
use crate::hw::gsm::pdu::{self, DeliveryStatus};
use crate::live::Hub;
use crate::store::{Channel as ChannelName, Report, Store};
use futures_util::future::BoxFuture;
use std::sync::Arc;

pub struct SmsPool {
    modems: Vec<ModemHandle>,
    /// Where links in messages point (the members' app).
    public_url: String,
}

/// The send time assumed for a modem that has not sent yet: GSM modems
/// are known to manage six to ten messages a minute at worst, so the first
/// estimate errs long; the first message sent replaces it.
pub const UNMEASURED_SEND_MS: u64 = 6_000;

impl SmsPool {
    pub fn new(modems: Vec<ModemHandle>, public_url: String) -> Arc<SmsPool> {
        Arc::new(SmsPool { modems, public_url })
    }

    pub fn modems(&self) -> &[ModemHandle] {
        &self.modems
    }

    /// Sends one text through the pool: used for alerts and for login codes.
    pub async fn send_text(&self, request: SmsRequest) -> Outcome {
        send_through(self.modems.clone(), "modem", request).await
    }

    /// Messages per minute the pool can really send now: what each ready
    /// modem's measured send time allows, or before it has sent anything
    /// [`UNMEASURED_SEND_MS`]; never more than its SIM's cap.
    pub fn capacity_per_minute(&self) -> f64 {
        self.modems
            .iter()
            .filter(|m| m.is_ready())
            .map(|m| {
                let ms = match m.status().avg_send_ms {
                    Some(ms) if ms > 0 => ms,
                    _ => UNMEASURED_SEND_MS,
                };
                let sustained = 60_000.0 / ms as f64;
                m.per_minute
                    .map_or(sustained, |cap| sustained.min(f64::from(cap.max(1))))
            })
            .fold(0.0, |total, rate| total + rate)
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
            text: job.short_text(&self.public_url),
            status_report: true,
            tag: Some(tag_of(job.delivery_ref())),
        };
        let modems = self.modems.clone();
        Box::pin(send_through(modems, "modem", request))
    }
}

/// What modems report on sent messages: the network's references of each
/// sent part, then status reports that settle deliveries.
pub struct SmsReports {
    store: Store,
    hub: Arc<Hub>,
    clock: SharedClock,
}

impl SmsReports {
    pub fn new(store: Store, hub: Arc<Hub>, clock: SharedClock) -> SmsReports {
        SmsReports { store, hub, clock }
    }

    /// A message left the modem: remembers its parts' references.
    pub fn sent(&self, modem: &str, request: &SmsRequest, references: &[u8]) {
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

    /// A status report: the delivery is delivered or failed, on disk before
    /// the modem deletes the report.
    pub fn report(&self, modem: &str, report: &pdu::StatusReport) {
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
            Ok(Some((r, d))) => {
                let _ = self.store.flush_blocking();
                if let Err(e) =
                    crate::alerts::delivery_settled(&self.store, r, &d, self.clock.now())
                {
                    tracing::error!(error = %e, "cannot pass on a delivery's new state");
                }
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
