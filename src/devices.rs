//! The appliance's modems and radios, wired up: each driver's sends come
//! from its channel's pool, its reports settle deliveries, and what it hears
//! goes to the inbox. The one place that knows all three; the drivers know
//! none of them.

use crate::audit::{self, Entry};
use crate::channels::sms::SmsReports;
use crate::channels::tetra::TetraReports;
use crate::channels::voice::VoiceReports;
use crate::channels::{SmsPool, TetraChannel, VoiceChannel};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::hw::gsm::modem::{
    self, CallEvents, CallProgress, CallRequest, Keyed, SmsEvents, SmsRequest,
};
use crate::hw::gsm::pdu;
use crate::hw::status::{DeviceState, DeviceStatus};
use crate::hw::tetra::radio::{self, Heard, RadioEvents, SdsRequest};
use crate::hw::tetra::sds::ReportMeaning;
use crate::inbox::Inbox;
use crate::live::Hub;
use crate::store::{AlertState, DeliveryRef, Outcome, Store};
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;
use tokio::sync::watch;

/// The appliance's devices: started with the daemon, stopped with it.
pub struct Hardware {
    pub sms: Option<Arc<SmsPool>>,
    /// Robot calls, when some modem places them.
    pub voice: Option<Arc<VoiceChannel>>,
    pub tetra: Option<Arc<TetraChannel>>,
    stop: watch::Sender<bool>,
}

struct ModemEvents {
    reports: SmsReports,
    inbox: Inbox,
}

impl SmsEvents for ModemEvents {
    fn received(
        &self,
        modem: &str,
        message: &pdu::Deliver,
        _at: OffsetDateTime,
    ) -> Result<(), String> {
        self.inbox
            .accept_sms(modem, message)
            .map_err(|e| e.to_string())
    }

    fn sent(&self, modem: &str, request: &SmsRequest, references: &[u8]) {
        self.reports.sent(modem, request, references);
    }

    fn report(&self, modem: &str, report: &pdu::StatusReport) {
        self.reports.report(modem, report);
    }
}

struct ModemCalls {
    reports: VoiceReports,
    inbox: Inbox,
    store: Store,
    clock: SharedClock,
    calls_in: bool,
    /// Set once the modems it serves are running.
    channel: OnceLock<Arc<VoiceChannel>>,
}

impl CallEvents for ModemCalls {
    fn progress(&self, _modem: &str, request: &CallRequest, progress: CallProgress) {
        self.reports.progress(request, progress);
    }

    fn keyed(&self, modem: &str, request: &CallRequest, keyed: &Keyed) -> Result<(), String> {
        let about = crate::channels::pool::ref_of(&request.tag)
            .ok_or_else(|| format!("a call tagged {} answers nothing", request.tag))?;
        self.inbox
            .accept_keys(
                modem,
                &request.to,
                about,
                &keyed.keys,
                keyed.choice,
                keyed.eta_minutes,
            )
            .map_err(|e| e.to_string())
    }

    fn calling_in(&self, modem: &str, number: &str) -> Option<CallRequest> {
        match self.call_for(number) {
            Ok(Some(request)) => Some(request),
            Ok(None) => {
                let entry =
                    Entry::new(audit::appliance(), "voice.call_in_refused", Outcome::Denied)
                        .target(format!("modem {modem}"))
                        .detail(match (self.calls_in, number) {
                            (false, _) => format!("{number} called; calls in are off"),
                            (true, "") => "a caller with a withheld number".to_owned(),
                            (true, _) => format!("{number} has no active alert sent to it"),
                        });
                if entry
                    .write_appliance(&self.store, self.clock.now())
                    .is_err()
                {
                    tracing::error!("cannot audit a call turned down");
                }
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot look up who calls in");
                None
            }
        }
    }
}

impl ModemCalls {
    /// The latest active alert sent to `number` (by SMS or call), spoken
    /// for its recipient.
    fn call_for(&self, number: &str) -> Result<Option<CallRequest>, String> {
        let Some(channel) = self
            .channel
            .get()
            .filter(|_| self.calls_in && !number.is_empty())
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut peers = self.store.peers(number, now).map_err(|e| e.to_string())?;
        if peers.is_empty() && !number.starts_with('+') {
            // Some networks give international numbers without their `+`.
            peers = self
                .store
                .peers(&format!("+{number}"), now)
                .map_err(|e| e.to_string())?;
        }
        for peer in peers {
            let org = self.store.org(peer.org);
            let Some(alert) = org.alert(peer.alert).map_err(|e| e.to_string())? else {
                continue;
            };
            if alert.state != AlertState::Active {
                continue;
            }
            let recipient = org
                .recipient(alert.id, peer.recipient)
                .map_err(|e| e.to_string())?;
            let lang = crate::text::Lang::from_code(
                self.store
                    .language_of(peer.org, recipient.and_then(|r| r.user_id))
                    .as_deref(),
            );
            let org_name = self
                .store
                .get_org(peer.org)
                .map_err(|e| e.to_string())?
                .map(|o| o.name)
                .unwrap_or_default();
            let about = DeliveryRef {
                org: peer.org,
                alert: alert.id,
                recipient: peer.recipient,
                delivery: crate::ids::Id::SYSTEM,
            };
            let tag = crate::channels::pool::tag_of(about);
            return channel
                .spoken_call(&org_name, &alert, lang, number, tag)
                .map(Some)
                .map_err(|e| e.to_string());
        }
        Ok(None)
    }
}

struct RadioSink {
    reports: TetraReports,
    inbox: Inbox,
}

impl RadioEvents for RadioSink {
    fn sent(&self, radio: &str, request: &SdsRequest, references: &[u8]) {
        self.reports.sent(radio, request, references);
    }

    fn report(&self, radio: &str, from: u32, reference: u8, meaning: ReportMeaning) {
        self.reports.report(radio, from, reference, meaning);
    }

    fn received(&self, radio: &str, heard: &Heard) -> Result<(), String> {
        self.inbox
            .accept_radio(radio, heard)
            .map_err(|e| e.to_string())
    }
}

impl Hardware {
    /// Starts one driver thread per configured modem and radio. A device that is
    /// missing now is waited for; it never stops the daemon from starting.
    pub fn start(
        config: &Config,
        store: &Store,
        hub: Arc<Hub>,
        clock: SharedClock,
        inbox: &Inbox,
    ) -> std::io::Result<Arc<Hardware>> {
        let (stop, stopped) = watch::channel(false);
        let calls = Arc::new(ModemCalls {
            reports: VoiceReports::new(store.clone(), hub.clone(), clock.clone()),
            inbox: inbox.clone(),
            store: store.clone(),
            clock: clock.clone(),
            calls_in: config.voice.calls_in,
            channel: OnceLock::new(),
        });
        let sms = if config.modems.is_empty() {
            None
        } else {
            let events = Arc::new(ModemEvents {
                reports: SmsReports::new(store.clone(), hub.clone(), clock.clone()),
                inbox: inbox.clone(),
            });
            let mut modems = Vec::new();
            for m in &config.modems {
                let spec = modem::ModemSpec {
                    name: m.name.clone(),
                    device: m.device.clone(),
                    baud: m.baud,
                    sim_pin: m.sim_pin.clone(),
                    profile: m.profile.clone(),
                    voice: m.voice,
                    clock: clock.clone(),
                };
                modems.push(modem::start(
                    spec,
                    events.clone(),
                    calls.clone(),
                    stopped.clone(),
                )?);
            }
            Some(SmsPool::new(modems, config.http.public_url.clone()))
        };
        let voice = sms
            .as_ref()
            .filter(|pool| pool.modems().iter().any(|m| m.voice))
            .map(|pool| {
                VoiceChannel::new(
                    pool.modems(),
                    crate::speech::SpeechCache::new(&config.data_dir.join("speech")),
                    config.voice.retries,
                    config.voice.retry_pause,
                )
            });
        if let Some(voice) = &voice {
            let _ = calls.channel.set(voice.clone());
        }
        let tetra = if config.radios.is_empty() {
            None
        } else {
            let events = Arc::new(RadioSink {
                reports: TetraReports::new(store.clone(), hub, clock.clone()),
                inbox: inbox.clone(),
            });
            let mut radios = Vec::new();
            for r in &config.radios {
                let spec = radio::RadioSpec {
                    name: r.name.clone(),
                    device: r.device.clone(),
                    baud: r.baud,
                    issi: r.issi,
                    profile: r.profile.clone(),
                    clock: clock.clone(),
                };
                radios.push(radio::start(spec, events.clone(), stopped.clone())?);
            }
            Some(TetraChannel::new(radios, config.http.public_url.clone()))
        };
        Ok(Arc::new(Hardware {
            sms,
            voice,
            tetra,
            stop,
        }))
    }

    /// Every device's state, modems first.
    pub fn devices(&self) -> Vec<DeviceStatus> {
        let modems = self
            .sms
            .iter()
            .flat_map(|pool| pool.modems().iter().map(|m| m.status()));
        let radios = self
            .tetra
            .iter()
            .flat_map(|channel| channel.radios().iter().map(|r| r.status()));
        modems.chain(radios).collect()
    }

    /// Writes each device fault (a device that was ready losing its port,
    /// hanging or restarting) and each recovery to the appliance's audit
    /// trail. Counted by the driver, so a fault shorter than the poll is
    /// still seen. Runs until the runtime stops.
    pub fn audit_faults(self: &Arc<Self>, store: Store, clock: SharedClock) {
        let hardware = self.clone();
        tokio::spawn(async move {
            // Per device: faults audited so far, and whether its recovery is.
            let mut told: std::collections::HashMap<String, (u64, bool)> = Default::default();
            loop {
                for device in hardware.devices() {
                    let (faults, recovered) = told.entry(device.name.clone()).or_insert((0, true));
                    let mut entries = Vec::new();
                    if device.faults > *faults {
                        if !*recovered {
                            entries.push(Entry::new(
                                audit::appliance(),
                                "device.recovered",
                                Outcome::Success,
                            ));
                        }
                        entries.push(
                            Entry::new(audit::appliance(), "device.fault", Outcome::Failure)
                                .detail(
                                    device
                                        .last_error
                                        .clone()
                                        .unwrap_or_else(|| "no answer".to_owned()),
                                ),
                        );
                        (*faults, *recovered) = (device.faults, false);
                    }
                    if device.state == DeviceState::Ready && !*recovered {
                        entries.push(Entry::new(
                            audit::appliance(),
                            "device.recovered",
                            Outcome::Success,
                        ));
                        *recovered = true;
                    }
                    for entry in entries {
                        let (store, now) = (store.clone(), clock.now());
                        let entry = entry.target(format!("{} {}", device.kind, device.name));
                        let written =
                            crate::store::blocking(move || entry.write_appliance(&store, now))
                                .await;
                        if written.is_err() {
                            tracing::error!(device = %device.name, "cannot audit a device's state");
                        }
                    }
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }

    /// Asks every driver to close its port and end.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl std::fmt::Debug for Hardware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hardware")
            .field("modems", &self.sms.as_ref().map_or(0, |p| p.modems().len()))
            .field(
                "radios",
                &self.tetra.as_ref().map_or(0, |t| t.radios().len()),
            )
            .finish()
    }
}

impl Drop for Hardware {
    fn drop(&mut self) {
        self.stop();
    }
}
