//! Hardware: the serial ports, the AT engine modems and radios share, the
//! GSM modem and TETRA radio drivers, and the simulated devices tests and
//! the demo run against. Drivers and codecs import nothing above them: the
//! rest of the appliance wires them up (see `crate::devices`).

pub mod at;
pub mod device;
pub mod gsm;
pub mod octets;
pub mod profile;
pub mod serial;
pub mod sim;
pub mod status;
pub mod tetra;
pub mod udh;

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
