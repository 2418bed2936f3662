//! Hardware: the serial ports, the AT engine modems and radios share, the
//! GSM modem driver and the simulated devices tests and the demo run against.

pub mod at;
pub mod gsm;
pub mod serial;
pub mod sim;
pub mod status;
pub mod tetra;

use crate::channels::{SmsDesk, SmsPool};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::live::Hub;
use crate::store::Store;
use status::DeviceStatus;
use std::sync::Arc;
use tokio::sync::watch;

/// The appliance's devices: started with the daemon, stopped with it.
pub struct Hardware {
    pub sms: Option<Arc<SmsPool>>,
    stop: watch::Sender<bool>,
}

impl Hardware {
    /// Starts one driver thread per configured modem. A device that is
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
            let desk = SmsDesk::new(store.clone(), hub, clock);
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
            Some(SmsPool::new(modems, store.clone()))
        };
        Ok(Arc::new(Hardware { sms, stop }))
    }

    /// Every device's state, modems first.
    pub fn devices(&self) -> Vec<DeviceStatus> {
        self.sms
            .iter()
            .flat_map(|pool| pool.modems().iter().map(|m| m.status()))
            .collect()
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
            .finish()
    }
}

impl Drop for Hardware {
    fn drop(&mut self) {
        self.stop();
    }
}
