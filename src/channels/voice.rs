//! The `voice` channel: robot calls through the appliance's own modems. The
//! alert is spoken in the recipient's language (see [`crate::speech`]),
//! the call goes to a modem that is free, and how the call went settles the
//! delivery: `sent` when answered, `delivered` when heard to the end, and
//! `busy` or `no answer` tried again after a pause. Keys pressed are
//! answers, through the inbox.

use super::pool::{ref_of, send_through, tag_of, Member};
use super::{Channel, Job, Limits, Outcome, Retries};
use crate::clock::SharedClock;
use crate::hw::gsm::modem::{CallProgress, CallRequest, ModemHandle, Recording};
use crate::ids::Id;
use crate::live::Hub;
use crate::speech::{Script, SpeechCache, SpeechError};
use crate::store::{Alert, AlertState, Channel as ChannelName, Severity, Store};
use crate::text::{fill, Lang};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// How often closed alerts' spoken messages are looked for and deleted.
const FORGET_EVERY: Duration = Duration::from_secs(30);

pub struct VoiceChannel {
    /// The modems that place calls.
    modems: Vec<ModemHandle>,
    speech: Arc<SpeechCache>,
    retries: Retries,
}

/// A modem taking calls from the pool: ready and not already in a call.
#[derive(Clone)]
struct Caller(ModemHandle);

impl Member for Caller {
    type Request = CallRequest;

    fn name(&self) -> &str {
        &self.0.name
    }
    fn is_ready(&self) -> bool {
        self.0.is_ready() && !self.0.status().in_call
    }
    fn waiting(&self) -> usize {
        self.0.waiting()
    }
    fn state_name(&self) -> &'static str {
        if self.0.status().in_call {
            "in a call"
        } else {
            self.0.status().state.name()
        }
    }
    fn send(
        &self,
        request: CallRequest,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, crate::hw::SendFailure>> + Send {
        self.0.call(request)
    }
}

impl VoiceChannel {
    /// `modems` are every modem; those that place no calls are left out.
    pub fn new(
        modems: &[ModemHandle],
        speech: SpeechCache,
        retries: u32,
        retry_pause: Duration,
    ) -> Arc<VoiceChannel> {
        Arc::new(VoiceChannel {
            modems: modems.iter().filter(|m| m.voice).cloned().collect(),
            speech: Arc::new(speech),
            retries: Retries {
                attempts: retries.saturating_add(1),
                pause: Some(retry_pause),
            },
        })
    }

    pub fn modems(&self) -> &[ModemHandle] {
        &self.modems
    }

    /// Calls an hour the modems that are ready can place, from each one's
    /// measured average call; `None` before any call was measured.
    pub fn calls_per_hour(&self) -> Option<f64> {
        let measured: Vec<f64> = self
            .modems
            .iter()
            .filter(|m| m.is_ready())
            .filter_map(|m| m.status().avg_call_ms)
            .filter(|ms| *ms > 0)
            .map(|ms| 3_600_000.0 / ms as f64)
            .collect();
        (!measured.is_empty()).then(|| measured.iter().sum())
    }

    /// The measured average call, dialling to hanging up, over the modems
    /// that measured one.
    pub fn avg_call_seconds(&self) -> Option<f64> {
        let measured: Vec<u64> = self
            .modems
            .iter()
            .filter_map(|m| m.status().avg_call_ms)
            .collect();
        (!measured.is_empty()).then(|| {
            let avg = measured.iter().sum::<u64>() as f64 / measured.len() as f64 / 1000.0;
            (avg * 10.0).round() / 10.0
        })
    }

    /// Deletes the spoken messages of alerts that are no longer active,
    /// from disk and from every modem: at start (for alerts that closed
    /// while the appliance was down) and then every half minute. Runs until
    /// the runtime stops.
    pub fn forget_closed(self: &Arc<Self>, store: Store) {
        let channel = self.clone();
        tokio::spawn(async move {
            loop {
                let (speech, store) = (channel.speech.clone(), store.clone());
                let gone = crate::store::blocking(move || {
                    let orgs = store.orgs()?;
                    let mut gone = Vec::new();
                    for alert in speech.alerts().into_keys() {
                        let mut active = false;
                        for org in &orgs {
                            active |= store
                                .org(org.id)
                                .alert(alert)?
                                .is_some_and(|a| a.state == AlertState::Active);
                        }
                        if !active {
                            gone.extend(speech.forget(alert));
                        }
                    }
                    Ok::<_, crate::store::StoreError>(gone)
                })
                .await;
                match gone {
                    Ok(gone) if !gone.is_empty() => {
                        for modem in &channel.modems {
                            modem.forget(gone.clone()).await;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot look for closed alerts' spoken messages")
                    }
                }
                tokio::time::sleep(FORGET_EVERY).await;
            }
        });
    }

    /// The call for an alert: the message and each choice's confirmation,
    /// spoken in `lang` (or taken from before). Blocks while espeak-ng
    /// speaks.
    pub fn spoken_call(
        &self,
        org_name: &str,
        alert: &Alert,
        lang: Lang,
        to: &str,
        tag: String,
    ) -> Result<CallRequest, SpeechError> {
        spoken_call(&self.speech, org_name, alert, lang, to, tag)
    }
}

fn spoken_call(
    speech: &SpeechCache,
    org_name: &str,
    alert: &Alert,
    lang: Lang,
    to: &str,
    tag: String,
) -> Result<CallRequest, SpeechError> {
    let script = Script {
        org: org_name,
        critical: alert.severity == Severity::Critical,
        warning: alert.severity == Severity::Warning,
        title: &alert.title,
        body: alert.sealed.is_none().then_some(alert.body.as_str()),
        responses: &alert.responses,
        allow_eta: alert.allow_eta,
    };
    let message = speech.spoken(alert.id, lang, "message", &script.words(lang))?;
    let mut confirmations = Vec::new();
    for (i, choice) in alert.responses.iter().enumerate().take(9) {
        let words = fill(lang, "voice_recorded", &[("choice", choice)]);
        let name = format!("choice{}", i + 1);
        confirmations.push(recording(speech.spoken(alert.id, lang, &name, &words)?)?);
    }
    Ok(CallRequest {
        to: to.to_owned(),
        message: recording(message)?,
        confirmations,
        eta: alert.allow_eta,
        tag,
    })
}

/// A spoken file as the modem gets it, named as on disk.
fn recording(path: std::path::PathBuf) -> Result<Recording, SpeechError> {
    let audio = std::fs::read(&path).map_err(|source| SpeechError::Cache {
        path: path.clone(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Recording {
        name,
        audio: Arc::new(audio),
    })
}

impl Channel for VoiceChannel {
    fn name(&self) -> ChannelName {
        ChannelName::Voice
    }

    fn limits(&self) -> Limits {
        // One call per modem at a time.
        Limits {
            concurrency: self.modems.len().max(1),
            per_minute: u32::MAX,
        }
    }

    fn retries(&self) -> Retries {
        self.retries
    }

    fn send(&self, job: Job) -> BoxFuture<'static, Outcome> {
        let modems: Vec<Caller> = self.modems.iter().cloned().map(Caller).collect();
        let speech = self.speech.clone();
        Box::pin(async move {
            if job.recipient.response.is_some() {
                // Answered already, in a call a restart cut short: never
                // called again.
                return Outcome::Delivered;
            }
            let tag = tag_of(job.delivery_ref());
            let spoken = tokio::task::spawn_blocking(move || {
                spoken_call(
                    &speech,
                    &job.org_name,
                    &job.alert,
                    job.lang,
                    &job.delivery.address,
                    tag,
                )
            })
            .await;
            match spoken {
                Ok(Ok(request)) => send_through(modems, "modem that places calls", request).await,
                Ok(Err(e)) => Outcome::Transient(format!("the message cannot be spoken: {e}")),
                Err(e) => Outcome::Transient(format!("the message cannot be spoken: {e}")),
            }
        })
    }
}

/// What modems report on calls: answered, heard to the end.
pub struct VoiceReports {
    store: Store,
    hub: Arc<Hub>,
    clock: SharedClock,
}

impl VoiceReports {
    pub fn new(store: Store, hub: Arc<Hub>, clock: SharedClock) -> VoiceReports {
        VoiceReports { store, hub, clock }
    }

    /// A number called is remembered, so its owner can call back and
    /// answer; an answered call is `sent`; heard to the end, `delivered`.
    /// Calls in have no delivery.
    pub fn progress(&self, request: &CallRequest, progress: CallProgress) {
        let Some(r) = ref_of(&request.tag).filter(|r| r.delivery != Id::SYSTEM) else {
            return;
        };
        let now = self.clock.now();
        let result = match progress {
            CallProgress::Dialled => {
                if let Err(e) = self.store.remember_peer(&request.to, r, now) {
                    tracing::error!(error = %e, "cannot remember a number called");
                }
                return;
            }
            CallProgress::Answered => self.store.call_answered(r, now),
            CallProgress::Heard => self.store.settle_delivery(r, &Ok(()), now),
        };
        match result {
            Ok(Some(d)) => {
                let _ = self.store.flush_blocking();
                if let Err(e) = crate::alerts::delivery_settled(&self.store, r, &d, now) {
                    tracing::error!(error = %e, "cannot pass on a delivery's new state");
                }
                self.hub.notify_alert(r.org, r.alert);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot record how a call went"),
        }
    }
}
