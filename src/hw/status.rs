//! What each modem and radio is doing, shared between its driver thread and
//! the web side (`/readyz`, `/metrics`, `GET /api/v1/devices/hardware`).

use crate::clock::SharedClock;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// The port is not there or cannot be opened; retried every half second.
    Disconnected,
    Initialising,
    Ready,
    /// The device stopped answering and is being reset.
    Resetting,
}

impl DeviceState {
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Disconnected => "disconnected",
            DeviceState::Initialising => "initialising",
            DeviceState::Ready => "ready",
            DeviceState::Resetting => "resetting",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceStatus {
    pub name: String,
    pub kind: &'static str,
    pub device: String,
    pub state: DeviceState,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    pub model: Option<String>,
    pub firmware: Option<String>,
    /// `home`, `roaming`, `searching`, `denied`, `not registered`.
    pub registration: Option<String>,
    pub operator: Option<String>,
    /// `AT+CSQ` RSSI, 0 (≤ −113 dBm) to 31 (≥ −51 dBm).
    pub signal: Option<u8>,
    pub signal_dbm: Option<i32>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    /// Messages waiting for this device.
    pub queue: usize,
    pub sent: u64,
    pub received: u64,
    /// Recent average time one message takes, prompt to confirmation.
    pub avg_send_ms: Option<u64>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_error_at: Option<OffsetDateTime>,
    /// Times the device stopped being ready since the daemon started.
    pub faults: u64,
    /// The modem places robot calls.
    pub voice: bool,
    /// A call goes on now.
    pub in_call: bool,
    /// Calls placed (answered or not) since the daemon started.
    pub calls: u64,
    /// Recent average time one call takes, dialling to hanging up.
    pub avg_call_ms: Option<u64>,
}

impl DeviceStatus {
    pub fn new(name: &str, kind: &'static str, device: &Path, now: OffsetDateTime) -> DeviceStatus {
        DeviceStatus {
            name: name.to_owned(),
            kind,
            device: device.display().to_string(),
            state: DeviceState::Disconnected,
            since: now,
            model: None,
            firmware: None,
            registration: None,
            operator: None,
            signal: None,
            signal_dbm: None,
            checked_at: None,
            queue: 0,
            sent: 0,
            received: 0,
            voice: false,
            in_call: false,
            calls: 0,
            avg_call_ms: None,
            avg_send_ms: None,
            last_error: None,
            last_error_at: None,
            faults: 0,
        }
    }
}

/// A status shared by a driver (which writes) and readers.
#[derive(Clone)]
pub struct StatusCell {
    inner: Arc<Mutex<DeviceStatus>>,
    clock: SharedClock,
}

impl StatusCell {
    /// A cell for a device that starts now by `clock`, which stamps its
    /// changes.
    pub fn new(name: &str, kind: &'static str, device: &Path, clock: SharedClock) -> StatusCell {
        StatusCell {
            inner: Arc::new(Mutex::new(DeviceStatus::new(
                name,
                kind,
                device,
                clock.now(),
            ))),
            clock,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn get(&self) -> DeviceStatus {
        match self.inner.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn update(&self, change: impl FnOnce(&mut DeviceStatus)) {
        let mut s = match self.inner.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        change(&mut s);
        s.signal_dbm = s
            .signal
            .filter(|v| *v <= 31)
            .map(|v| -113 + 2 * i32::from(v));
    }

    /// A new state, with the error that caused it if any.
    pub fn set_state(&self, state: DeviceState, error: Option<String>) {
        let now = self.now();
        self.update(|s| {
            if s.state == DeviceState::Ready && state != DeviceState::Ready {
                s.faults += 1;
            }
            s.state = state;
            if let Some(e) = error {
                s.last_error = Some(e);
                s.last_error_at = Some(now);
            }
            s.since = now;
        });
    }
}
