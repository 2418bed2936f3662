//! Modem profiles: what differs between models lives in data
//! (`firmware-configs/modems/*.toml`), not in code. The profiles shipped with
//! Tocsin are compiled in; a file of the same name in the configuration
//! directory's `firmware-configs/modems/` replaces one or adds a new model.

pub use crate::hw::profile::ProfileError;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

const BUILT_IN: &[(&str, &str)] = &[
    (
        "quectel-ec25",
        include_str!("../../../firmware-configs/modems/quectel-ec25.toml"),
    ),
    (
        "simcom-sim7600",
        include_str!("../../../firmware-configs/modems/simcom-sim7600.toml"),
    ),
    (
        "huawei-e3372",
        include_str!("../../../firmware-configs/modems/huawei-e3372.toml"),
    ),
    (
        "telit-le910",
        include_str!("../../../firmware-configs/modems/telit-le910.toml"),
    ),
];

/// How the modem hands over new messages or status reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Routing {
    /// Kept in modem storage and announced (`+CMTI`, `+CDSI`): survives a
    /// daemon restart between the announcement and the read.
    Stored,
    /// Given on the line at once (`+CMT`, `+CDS`).
    Direct,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemProfile {
    pub model: String,
    /// Sent after `ATE0`, `ATV1` and `AT+CMEE=1`; each must answer `OK`.
    #[serde(default)]
    pub init: Vec<String>,
    /// Sent the same way; a refusal is logged and ignored.
    #[serde(default)]
    pub optional_init: Vec<String>,
    /// Message storage for mem1..mem3 (`AT+CPMS`).
    #[serde(default = "default_storage")]
    pub storage: String,
    /// The `AT+CNMI` settings matching `new_messages` and `status_reports`.
    pub cnmi: String,
    pub new_messages: Routing,
    pub status_reports: Routing,
    /// Direct (`+CMT`) messages must be acknowledged with `AT+CNMA`.
    #[serde(default)]
    pub acknowledge_direct: bool,
    /// Vendor URC prefixes to route away from command answers.
    #[serde(default)]
    pub urcs: Vec<String>,
    /// URC prefixes that mean the modem restarted and forgot its settings.
    #[serde(default = "default_restart_urcs")]
    pub restart_urcs: Vec<String>,
    /// Sent (without waiting for an answer) before the port is reopened
    /// after a hang.
    #[serde(default)]
    pub reset: Option<String>,
    #[serde(default)]
    pub hardware_flow: bool,
    /// A cap on messages per minute, for a SIM whose operator flags faster
    /// bursts. Without one the modem sends as fast as it completes each
    /// message: an alarm is not held back by a guess.
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Validity period asked of the network for each message.
    #[serde(default = "default_validity")]
    pub validity_minutes: u32,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// How this model places robot calls; none means it sends SMS only.
    #[serde(default)]
    pub voice: Option<VoiceProfile>,
}

/// A model's voice commands. `{number}`, `{file}` and `{size}` are filled in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceProfile {
    /// Sent after every initialisation (modems forget these settings when
    /// they restart); each must answer `OK`.
    #[serde(default)]
    pub init: Vec<String>,
    pub dial: String,
    pub answer: String,
    pub hang_up: String,
    /// Uploads `{file}` of `{size}` bytes: the modem answers `CONNECT`,
    /// takes the raw bytes, then its result and `OK`.
    pub upload: String,
    pub delete: String,
    pub play: String,
    pub stop: String,
    /// The line that says a file played to its end.
    pub played: String,
    /// The URC prefix that tells call state changes.
    pub call_state: String,
    /// Which field of that URC (counted from 0 after the colon) holds the
    /// 3GPP call state: 0 active, 2 dialling, 3 alerting, 4 incoming,
    /// 6 or 7 released.
    pub state_field: usize,
    /// Which field holds the number of the other end.
    pub number_field: usize,
    /// Which field says the direction: 0 a call the modem placed, 1 incoming.
    pub direction_field: usize,
    /// The URC prefix of a key the far end pressed.
    pub key: String,
    /// The key comes as its ASCII code (`+QTONEDET: 49`) rather than itself
    /// (`+RXDTMF: 1`).
    #[serde(default)]
    pub key_as_code: bool,
    /// The modem sends SMS while a call goes on.
    #[serde(default)]
    pub sms_during_call: bool,
    #[serde(default)]
    pub timeouts: VoiceTimeouts,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoiceTimeouts {
    /// From dialling to an answer, after which the call ends as no answer.
    pub ring_s: u64,
    /// Waiting for a key after the message, before it is said again.
    pub key_s: u64,
    /// Waiting for the next digit of an arrival time.
    pub digit_s: u64,
    /// Uploading one spoken message.
    pub upload_s: u64,
    /// The longest call: a stuck call is hung up after this.
    pub call_s: u64,
}

impl Default for VoiceTimeouts {
    fn default() -> Self {
        VoiceTimeouts {
            ring_s: 40,
            key_s: 8,
            digit_s: 4,
            upload_s: 60,
            call_s: 300,
        }
    }
}

impl VoiceTimeouts {
    pub fn ring(&self) -> Duration {
        crate::hw::profile::seconds(self.ring_s)
    }
    pub fn key(&self) -> Duration {
        crate::hw::profile::seconds(self.key_s)
    }
    pub fn digit(&self) -> Duration {
        crate::hw::profile::seconds(self.digit_s)
    }
    pub fn upload(&self) -> Duration {
        crate::hw::profile::seconds(self.upload_s)
    }
    pub fn call(&self) -> Duration {
        crate::hw::profile::seconds(self.call_s)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    pub command_s: u64,
    pub prompt_s: u64,
    /// From the PDU to `+CMGS: <mr>`: the network's part.
    pub send_s: u64,
    /// Quiet time after which the modem is asked how it is.
    pub keepalive_s: u64,
    /// Each `AT` probe when the modem seems hung.
    pub probe_s: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            command_s: 5,
            prompt_s: 10,
            send_s: 20,
            keepalive_s: 10,
            probe_s: 2,
        }
    }
}

impl Timeouts {
    pub fn command(&self) -> Duration {
        crate::hw::profile::seconds(self.command_s)
    }
    pub fn prompt(&self) -> Duration {
        crate::hw::profile::seconds(self.prompt_s)
    }
    pub fn send(&self) -> Duration {
        crate::hw::profile::seconds(self.send_s)
    }
    pub fn keepalive(&self) -> Duration {
        crate::hw::profile::seconds(self.keepalive_s)
    }
    pub fn probe(&self) -> Duration {
        crate::hw::profile::seconds(self.probe_s)
    }
}

fn default_storage() -> String {
    "ME".to_owned()
}
fn default_restart_urcs() -> Vec<String> {
    vec!["RDY".to_owned(), "+CPIN: NOT READY".to_owned()]
}
fn default_validity() -> u32 {
    24 * 60
}

/// Finds a modem profile by name: the configuration directory first, then
/// the profiles compiled in.
pub fn load(name: &str, config_dir: Option<&Path>) -> Result<ModemProfile, ProfileError> {
    crate::hw::profile::load("modems", BUILT_IN, name, config_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_profile_parses() {
        for (name, _) in BUILT_IN {
            let p = load(name, None).unwrap();
            assert!(
                !p.model.is_empty() && p.cnmi.starts_with("AT+CNMI="),
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_profiles_and_keys_are_named() {
        let e = load("nokia-3310", None).unwrap_err().to_string();
        assert!(
            e.contains("nokia-3310") && e.contains("quectel-ec25"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let modems = dir.path().join("firmware-configs/modems");
        std::fs::create_dir_all(&modems).unwrap();
        std::fs::write(
            modems.join("odd.toml"),
            "model = \"x\"\ncnmi = \"AT+CNMI=2,1,0,2,0\"\nnew_messages = \"stored\"\nstatus_reports = \"stored\"\nspeed = 3\n",
        )
        .unwrap();
        let e = load("odd", Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("odd.toml") && e.contains("speed"), "{e}");
    }
}
