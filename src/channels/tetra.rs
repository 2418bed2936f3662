//! The `tetra` channel: text SDS, statuses or call-outs through the
//! appliance's TETRA radios (a [`super::pool`] of them), and the SDS-TL
//! reports (delivered, read) that settle its deliveries. What radio users
//! and the emergency centre send in goes to the inbox, not here.

use super::pool::{ref_of, send_through, tag_of, Member};
use super::{Channel, Job, Limits, Outcome};
use crate::clock::SharedClock;
use crate::hw::tetra::radio::{RadioHandle, SdsPayload, SdsRequest};
use crate::hw::tetra::sds::ReportMeaning;
use crate::hw::SendFailure;
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{AlertEvent, Channel as ChannelName, Report, Severity, Store};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The address radios are remembered under, apart from phone numbers.
pub fn radio_address(ssi: u32) -> String {
    crate::store::tetra_sender(ssi)
}

pub struct TetraChannel {
    radios: Vec<RadioHandle>,
    /// Where a sealed alert's notice points (the members' app).
    public_url: String,
}

impl TetraChannel {
    pub fn new(radios: Vec<RadioHandle>, public_url: String) -> Arc<TetraChannel> {
        Arc::new(TetraChannel { radios, public_url })
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
            let body = crate::alerts::outward_body(alert, &self.public_url, job.lang);
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
        let text = job.short_text(&self.public_url);
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
            tag: Some(tag_of(job.delivery_ref())),
        };
        Box::pin(send_through(self.radios.clone(), "radio", request))
    }
}

/// What radios report on sent SDS: their SDS-TL references, then reports
/// that a radio received or its user read a message.
pub struct TetraReports {
    store: Store,
    hub: Arc<Hub>,
    clock: SharedClock,
}

impl TetraReports {
    pub fn new(store: Store, hub: Arc<Hub>, clock: SharedClock) -> TetraReports {
        TetraReports { store, hub, clock }
    }

    pub fn sent(&self, radio: &str, request: &SdsRequest, references: &[u8]) {
        let Some(r) = request.tag.as_deref().and_then(ref_of) else {
            return;
        };
        let now = self.clock.now();
        let address = radio_address(request.to);
        let mut result = self.store.track_sent(radio, &address, references, r, now);
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

    pub fn report(&self, radio: &str, from: u32, reference: u8, meaning: ReportMeaning) {
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
            Ok(Some((r, d))) => {
                let _ = self.store.flush_blocking();
                if let Err(e) =
                    crate::alerts::delivery_settled(&self.store, r, &d, self.clock.now())
                {
                    tracing::error!(error = %e, "cannot pass on a delivery's new state");
                }
                self.hub.notify_alert(r.org, r.alert);
            }
            Ok(None) => {
                tracing::debug!(radio, from, reference, "SDS-TL report for nothing tracked")
            }
            Err(e) => tracing::error!(error = %e, "cannot apply an SDS-TL report"),
        }
    }
}
