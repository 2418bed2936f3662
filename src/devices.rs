//! The appliance's modems and radios, wired up: each driver's sends come
//! from its channel's pool, its reports settle deliveries, and what it hears
//! goes to the inbox. The one place that knows all three; the drivers know
//! none of them.

use crate::audit::{self, Entry};
use crate::channels::sms::SmsReports;
use crate::channels::tetra::TetraReports;
use crate::channels::{SmsPool, TetraChannel};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::hw::gsm::modem::{self, SmsEvents, SmsRequest};
use crate::hw::gsm::pdu;
use crate::hw::status::{DeviceState, DeviceStatus};
use crate::hw::tetra::radio::{self, Heard, RadioEvents, SdsRequest};
use crate::hw::tetra::sds::ReportMeaning;
use crate::inbox::Inbox;
use crate::live::Hub;
use crate::store::{Outcome, Store};
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::watch;

/// The appliance's devices: started with the daemon, stopped with it.
pub struct Hardware {
    pub sms: Option<Arc<SmsPool>>,
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
                    clock: clock.clone(),
                };
                modems.push(modem::start(spec, events.clone(), stopped.clone())?);
            }
            Some(SmsPool::new(modems, config.http.public_url.clone()))
        };
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
        Ok(Arc::new(Hardware { sms, tetra, stop }))
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
