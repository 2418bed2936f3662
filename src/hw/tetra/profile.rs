//! TETRA radio profiles (`firmware-configs/radios/*.toml`): what differs
//! between terminals, and what the research could not verify (the call-out
//! layout's answers, the status code table), lives here rather than in code.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use crate::hw::profile::ProfileError;

const BUILT_IN: &[(&str, &str)] = &[
    (
        "sepura-srg3900",
        include_str!("../../../firmware-configs/radios/sepura-srg3900.toml"),
    ),
    (
        "motorola-mtm5400",
        include_str!("../../../firmware-configs/radios/motorola-mtm5400.toml"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadioProfile {
    pub model: String,
    /// `ATZ` at start-up; some Sepura codeplugs reboot the radio on it.
    #[serde(default)]
    pub atz: bool,
    #[serde(default)]
    pub hardware_flow: bool,
    /// Sent after `ATE0`; each must answer `OK`.
    #[serde(default)]
    pub init: Vec<String>,
    /// Service profile registrations (`AT+CTSP=...`); "already registered"
    /// (`+CME ERROR: 38`) counts as done.
    pub ctsp: Vec<String>,
    /// The longest SDS-TL PDU the network carries; longer texts are split.
    #[serde(default = "default_max_bits")]
    pub max_pdu_bits: usize,
    /// Vendor unsolicited codes to route away from command answers.
    #[serde(default)]
    pub urcs: Vec<String>,
    /// SDS per minute the air interface takes from this radio.
    #[serde(default = "default_per_minute")]
    pub per_minute: u32,
    /// Status label → 16-bit value as hex ("3" = "8005" in German BOS).
    #[serde(default)]
    pub status: BTreeMap<String, String>,
    /// Call-out answer text → answer option (1 = the alert's first option,
    /// usually Coming); texts not listed become notes.
    #[serde(default)]
    pub callout_replies: BTreeMap<String, u8>,
    #[serde(default)]
    pub timeouts: Timeouts,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    pub command_s: u64,
    /// From the SDS to the radio's `+CMGS: <n>,4|5,<ref>` (on the air or not).
    pub air_s: u64,
    pub keepalive_s: u64,
    pub probe_s: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            command_s: 5,
            air_s: 15,
            keepalive_s: 15,
            probe_s: 2,
        }
    }
}

impl Timeouts {
    pub fn command(&self) -> Duration {
        crate::hw::profile::seconds(self.command_s)
    }
    pub fn air(&self) -> Duration {
        crate::hw::profile::seconds(self.air_s)
    }
    pub fn keepalive(&self) -> Duration {
        crate::hw::profile::seconds(self.keepalive_s)
    }
    pub fn probe(&self) -> Duration {
        crate::hw::profile::seconds(self.probe_s)
    }
}

fn default_max_bits() -> usize {
    668
}
fn default_per_minute() -> u32 {
    30
}

impl RadioProfile {
    /// The label of a received status value ("3"), if the table knows it.
    pub fn status_label(&self, value: u16) -> Option<&str> {
        self.status
            .iter()
            .find(|(_, hex)| u16::from_str_radix(hex, 16).ok() == Some(value))
            .map(|(label, _)| label.as_str())
    }

    /// The value to send for a status label.
    pub fn status_value(&self, label: &str) -> Option<u16> {
        self.status
            .get(label)
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
    }
}

/// Finds a radio profile by name: the configuration directory first, then
/// the profiles compiled in.
pub fn load(name: &str, config_dir: Option<&Path>) -> Result<RadioProfile, ProfileError> {
    crate::hw::profile::load("radios", BUILT_IN, name, config_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse_and_map_bos_status() {
        for (name, _) in BUILT_IN {
            let p = load(name, None).unwrap();
            assert!(p.ctsp.iter().any(|c| c == "AT+CTSP=1,3,130"), "{name}");
            assert_eq!(p.status_value("3"), Some(0x8005), "{name}");
            assert_eq!(p.status_label(0x8004), Some("2"), "{name}");
        }
        let e = load("kenwood", None).unwrap_err().to_string();
        assert!(e.contains("no radio profile \"kenwood\""), "{e}");
    }
}
