//! Hardware: the serial ports, the AT engine modems and radios share, the
//! GSM modem and TETRA radio drivers, and the simulated devices tests and
//! the demo run against.

pub mod at;
pub mod device;
pub mod gsm;
pub mod profile;
pub mod serial;
pub mod sim;
pub mod status;
pub mod tetra;

use crate::channels::{SmsDesk, SmsPool, TetraChannel, TetraDesk};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::live::Hub;
use crate::store::Store;
use status::DeviceStatus;
use std::sync::Arc;
use tokio::sync::watch;

/// Why a device could not send, sorted by what the caller should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The device is down or resetting: another one can send it now.
    DeviceDown,
    /// The network is busy or out of service: try again soon.
    RetryLater,
    /// This message will never go (bad number, barred, too long).
    Permanent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub class: FailureClass,
    pub reason: String,
}

impl SendFailure {
    pub fn down(reason: &str) -> SendFailure {
        SendFailure {
            class: FailureClass::DeviceDown,
            reason: reason.to_owned(),
        }
    }
}

/// The appliance's devices: started with the daemon, stopped with it.
pub struct Hardware {
    pub sms: Option<Arc<SmsPool>>,
    pub tetra: Option<Arc<TetraChannel>>,
    stop: watch::Sender<bool>,
}

impl Hardware {
    /// Starts one driver thread per configured modem and radio. A device that is
    /// missing now is waited for; it never stops the daemon from starting.
    pub fn start(
        config: &Config,
        store: &Store,
        hub: Arc<Hub>,
        clock: SharedClock,
    ) -> std::io::Result<Arc<Hardware>> {
        let (stop, stopped) = watch::channel(false);
        let sms = if config.modems.is_empty() {
            None
        } else {
            let desk = SmsDesk::new(store.clone(), hub.clone(), clock.clone());
            let mut modems = Vec::new();
            for m in &config.modems {
                let spec = gsm::modem::ModemSpec {
                    name: m.name.clone(),
                    device: m.device.clone(),
                    baud: m.baud,
                    sim_pin: m.sim_pin.clone(),
                    profile: m.profile.clone(),
                };
                modems.push(gsm::modem::start(spec, desk.clone(), stopped.clone())?);
            }
            Some(SmsPool::new(
                modems,
                store.clone(),
                config.http.public_url.clone(),
            ))
        };
        let tetra = if config.radios.is_empty() {
            None
        } else {
            let desk = TetraDesk::new(store.clone(), hub, clock);
            let mut radios = Vec::new();
            for r in &config.radios {
                let spec = tetra::radio::RadioSpec {
                    name: r.name.clone(),
                    device: r.device.clone(),
                    baud: r.baud,
                    issi: r.issi,
                    profile: r.profile.clone(),
                };
                radios.push(tetra::radio::start(spec, desk.clone(), stopped.clone())?);
            }
            Some(TetraChannel::new(
                radios,
                store.clone(),
                config.http.public_url.clone(),
            ))
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
