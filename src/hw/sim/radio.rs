//! A simulated TETRA terminal (Sepura/Motorola class) that speaks PEI
//! (EN 300 392-5) on a pseudo-terminal, with a small simulated world of
//! other radios behind it.
//!
//! Tests and the demo run the real radio driver against it, so it speaks the
//! bytes a real terminal speaks: echo until `ATE0`, `\r\n`-framed answers,
//! `AT+CMGS=<dest>,<bits>\r\n<hex>\x1A` in one write with no prompt, an
//! immediate `+CMGS: 0` / `OK` and a later `+CMGS: 0,4,<ref>` once the SDS
//! is on the air, `+CTSDSR` header plus data line for everything that comes
//! back, and the start-up syntax error (`+CME ERROR: 35`) that leftover bytes
//! cause. The other radios answer by their [`Behaviour`]: SDS-TL reports,
//! nothing at all (switched off), or a callout answer.
//!
//! Like the real thing, an SDS only reaches the PEI when the driver has
//! routed its PID there with `AT+CTSP`; a driver that forgets a registration
//! sees nothing, here as on the air.
//!
//! The pty, the thread, replugs, hangs and noise are the simulated-device
//! shell's, as for the GSM modem.

use super::shell::{self, arg, basic, lock, normalise, operation, Cause, CommandSet, Handle, Op};
use super::shell::{Port, CTRL_Z, ESC};
use crate::hw::tetra::sds::{self, Callout, CalloutFunction, ReportRequest, Sds};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// After `AT+CMGS=` the radio waits this long for the user data and its
/// Ctrl-Z before it gives up with `+CME ERROR: 37`.
const USER_DATA_TIMEOUT: Duration = Duration::from_secs(3);
/// SDS type 4 carries at most 2047 bits: more hex than this is noise.
const MAX_HEX: usize = 512;
/// The upper bound `AT+CMGS=?` announces.
const MAX_CMGS_BITS: usize = 1184;
/// MCC 262 (Germany) and MNC 1001 (BOS), the prefix German bridges strip.
const TSI_PREFIX: &str = "26210010";
/// Verbatim from a real radio (ftl/tetra-pei `sds/command_test.go`).
const CMGS_TEST: &str =
    "+CMGS: (0-16777214,00000001-10231638316777214,1-255,0-999999999999999999999999),(8-1184)";
/// Call-control URCs a driver must skip, then a partial line.
const NOISE_TAIL: &[u8] = b"\r\n+CTCR: 1,1\r\n\r\n+CDTXC: 1,0\r\n\r\n+CTX";
const AI_SDS: u8 = 12;
const AI_STATUS: u8 = 13;
const PID_CALLOUT: u8 = 0xC3;
/// `AT+CTSP` layer 1 values: 2 = SDS (layer 2 20 = status), 3 = SDS-TL by PID.
const LAYER_SDS: u16 = 2;
const LAYER_SDS_TL: u16 = 3;
const STATUS_LAYER2: u16 = 20;
/// The "all PIDs 0-127" and "all PIDs 128-255" registrations.
const ALL_LOW_PIDS: u16 = 24;
const ALL_HIGH_PIDS: u16 = 25;
/// SDS-TL delivery status (table 29.16).
const RECEIVED: u8 = 0x00;
const CONSUMED: u8 = 0x02;
const ANSWER_TYPE: u8 = 2;

#[derive(Debug, Clone)]
pub struct SimRadioConfig {
    /// From the SDS write to the unsolicited `+CMGS: 0,4,<ref>` (sent over the air).
    pub air_delay: Duration,
    /// From that to the destination's SDS-TL report "received"; "consumed"
    /// comes another `report_delay` later. Callout answers come with "received".
    pub report_delay: Duration,
    /// This terminal's ISSI: the called identity in `+CTSDSR` headers.
    pub own_issi: u32,
    /// Sepura quirk: `+CTSDSR` data lines carry `ceil(bits/4)` hex digits
    /// (odd lengths possible) instead of whole bytes.
    pub nibble_hex: bool,
}

impl Default for SimRadioConfig {
    fn default() -> Self {
        SimRadioConfig {
            air_delay: Duration::from_secs(1),
            report_delay: Duration::from_millis(500),
            own_issi: 1_000_001,
            nibble_hex: false,
        }
    }
}

/// How a simulated radio reacts to what it is sent; radios never set behave as `Reports`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// SDS-TL reports as requested: received, then consumed.
    Reports,
    /// Only the "received" report: nobody opens the message.
    ReceivedOnly,
    /// Switched off: nothing comes back, though `+CMGS: 0,4,<ref>` still
    /// comes, as real networks send it for unreachable radios too.
    Off,
    /// Like `Reports`, and an alert callout is answered "ACCEPT".
    Accept,
    /// Like `Reports`, and an alert callout is answered "STANDBY".
    Standby,
    /// Like `Reports`, and an alert callout is answered "REJECT".
    Reject,
}

impl Behaviour {
    /// The callout answer text; how real radios answer is unverified (research §5),
    /// so this is the simulator's convention and the driver maps it through its profile.
    fn answer(self) -> Option<&'static str> {
        match self {
            Behaviour::Accept => Some("ACCEPT"),
            Behaviour::Standby => Some("STANDBY"),
            Behaviour::Reject => Some("REJECT"),
            Behaviour::Reports | Behaviour::ReceivedOnly | Behaviour::Off => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next `times` `AT+CMGS` answer `+CME ERROR: <code>` (after the
    /// Ctrl-Z), e.g. 42 MT busy, 30 out of service, 31 no layer-2 ACK.
    CmeError { code: u16, times: u32 },
    /// Silent until the driver closes the port; then a reboot: echo on,
    /// `AT+CTSP` registrations and `AT+CTSDS` forgotten.
    Hang,
    /// The link vanishes and the port dies; after `for_` a new pty appears
    /// and the radio has rebooted.
    Unplug { for_: Duration },
    /// Noise, call-control URCs and a partial line, written between commands.
    Garbage,
}

/// One `AT+CMGS` the radio accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSds {
    /// The destination as the driver wrote it (SSI or TSI).
    pub to: String,
    /// The `AT+CTSDS` AI service in force: 12 SDS type 4, 13 status.
    pub ai_service: u8,
    pub bits: usize,
    /// The user data, uppercase, without Ctrl-Z.
    pub hex: String,
    pub at: Instant,
}

enum Control {
    Text {
        from: u32,
        text: String,
        report: bool,
    },
    Sds {
        ai: u8,
        from: u32,
        bits: usize,
        data: Vec<u8>,
    },
    Raw {
        header: String,
        data: String,
    },
    Fault(Fault),
}

#[derive(Default)]
struct Shared {
    sent: Vec<SentSds>,
    /// `AT+CTSP` registrations: (layer 1, layer 2) → service profile.
    routes: BTreeMap<(u16, u16), u8>,
    behaviours: HashMap<u32, Behaviour>,
    groups: HashMap<u32, Vec<u32>>,
}

impl Shared {
    fn behaviour(&self, issi: u32) -> Behaviour {
        self.behaviours
            .get(&issi)
            .copied()
            .unwrap_or(Behaviour::Reports)
    }
}

/// Handle to a running simulated radio; dropping it stops the radio.
pub struct SimRadio {
    shell: Handle<Control>,
    shared: Arc<Mutex<Shared>>,
}

impl SimRadio {
    /// Creates the pty, makes `link` a symlink to its slave (replacing an
    /// existing symlink, never a file) and serves it on a thread.
    pub fn start(link: &Path, config: SimRadioConfig) -> io::Result<SimRadio> {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let radio = |port| Radio::new(port, config, Arc::clone(&shared));
        let shell = Handle::start(link, "sim-radio", radio)?;
        Ok(SimRadio { shell, shared })
    }

    /// Radios never set behave as [`Behaviour::Reports`].
    pub fn set_behaviour(&self, issi: u32, behaviour: Behaviour) {
        lock(&self.shared).behaviours.insert(issi, behaviour);
    }

    /// Makes `gssi` a group: sends to it get no reports, callouts to it are
    /// answered by its members.
    pub fn set_group(&self, gssi: u32, members: &[u32]) {
        lock(&self.shared).groups.insert(gssi, members.to_vec());
    }

    /// An SDS-TL text (PID 0x82, ISO-8859-1, report "received" requested when
    /// `report_wanted`) arrives from radio `from`.
    pub fn receive_text(&self, from: u32, text: &str, report_wanted: bool) {
        let text = text.to_owned();
        self.shell.send(Control::Text {
            from,
            text,
            report: report_wanted,
        });
    }

    /// A status SDS (AI service 13, 16 bits) arrives from radio `from`.
    pub fn receive_status(&self, from: u32, value: u16) {
        let data = value.to_be_bytes().to_vec();
        self.shell.send(Control::Sds {
            ai: AI_STATUS,
            from,
            bits: 16,
            data,
        });
    }

    /// Any SDS arrives from radio `from` with `bits` of `data` (an LIP report
    /// of 84 bits, say), framed like the simulated radios' own: subject to
    /// `AT+CTSP` routing and to `nibble_hex`.
    pub fn receive_sds(&self, from: u32, ai_service: u8, bits: usize, data: &[u8]) {
        let data = data.to_vec();
        self.shell.send(Control::Sds {
            ai: ai_service,
            from,
            bits,
            data,
        });
    }

    /// Writes exactly these two lines as an indication, for vendor quirks;
    /// no routing check.
    pub fn receive_raw(&self, header: &str, data: &str) {
        let (header, data) = (header.to_owned(), data.to_owned());
        self.shell.send(Control::Raw { header, data });
    }

    pub fn fault(&self, fault: Fault) {
        self.shell.send(Control::Fault(fault));
    }

    /// Every `AT+CMGS` the radio accepted, in order: texts, statuses,
    /// callouts and the reports the driver sends back. Sends refused with a
    /// `+CME ERROR` are not in it.
    pub fn sent(&self) -> Vec<SentSds> {
        lock(&self.shared).sent.clone()
    }

    /// PIDs registered with `AT+CTSP=<profile>,3,<pid>`, and 20 for
    /// `AT+CTSP=<profile>,2,20` (status), ascending.
    pub fn registered_pids(&self) -> Vec<u16> {
        let shared = lock(&self.shared);
        let pids: BTreeSet<u16> = shared
            .routes
            .keys()
            .filter_map(|&(layer1, layer2)| match (layer1, layer2) {
                (LAYER_SDS_TL, pid) => Some(pid),
                (LAYER_SDS, STATUS_LAYER2) => Some(STATUS_LAYER2),
                _ => None,
            })
            .collect();
        pids.into_iter().collect()
    }

    pub fn link(&self) -> &Path {
        self.shell.link()
    }

    /// Ends the thread (the driver's port sees a hangup) and removes the link.
    pub fn stop(&self) {
        self.shell.stop();
    }
}

/// Something the radio writes later.
enum Event {
    /// A URC of the radio itself (`+CMGS: 0,4,<ref>`).
    Urc(String),
    /// An SDS from another radio; routed at the time it arrives.
    Sds {
        ai: u8,
        from: u32,
        bits: usize,
        data: Vec<u8>,
    },
}

/// The user data after `AT+CMGS=`, collected until Ctrl-Z.
struct UserData {
    /// Destination and length, or the error the Ctrl-Z will answer: a real
    /// radio takes the whole write before it answers.
    target: Result<(String, usize), u16>,
    hex: String,
    bad: bool,
    deadline: Instant,
}

/// What a reboot loses besides the shell's echo, input and held URCs; the
/// sent log, behaviours and groups live in `Shared`.
struct Volatile {
    /// `AT+CTSDS` AI service and called party identity type.
    ai: u8,
    identity_type: u8,
    ctom: u8,
    creg: u8,
    cscs: String,
    /// The line holds bytes from before the port was last opened.
    line_dirty: bool,
    /// The last byte served ended user data: a line end now is data without
    /// a command.
    after_ctrl_z: bool,
    user_data: Option<UserData>,
    events: BTreeMap<(Instant, u64), Event>,
}

impl Default for Volatile {
    fn default() -> Self {
        Volatile {
            ai: AI_SDS,
            identity_type: 0,
            ctom: 0,
            creg: 0,
            cscs: "8859-1".to_owned(),
            line_dirty: false,
            after_ctrl_z: false,
            user_data: None,
            events: BTreeMap::new(),
        }
    }
}

#[derive(Default)]
struct Faults {
    cme_error: Option<(u16, u32)>,
}

enum Final {
    Ok,
    Cme(u16),
    /// `AT+CMGS`: the answer waits for the user data.
    Pending,
}

/// The PEI command set and the simulated world behind it; the port side is
/// the shell's.
struct Radio {
    port: Port,
    config: SimRadioConfig,
    shared: Arc<Mutex<Shared>>,
    v: Volatile,
    faults: Faults,
    /// One SDS on the air at a time: when the air is free again.
    air_free: Instant,
    /// Orders events due at the same instant.
    seq: u64,
    /// Message references of texts the other radios send.
    text_ref: u8,
    /// `+CMGS: 0,4,<ref>` for sends without an SDS-TL reference (status).
    plain_ref: u8,
}

impl CommandSet for Radio {
    type Control = Control;
    const NAME: &'static str = "sim radio";
    const NOISE_TAIL: &'static [u8] = NOISE_TAIL;

    fn port(&mut self) -> &mut Port {
        &mut self.port
    }

    fn control(&mut self, message: Control) -> Option<shell::Fault> {
        match message {
            Control::Text { from, text, report } => self.text_from(from, &text, report),
            Control::Sds {
                ai,
                from,
                bits,
                data,
            } => self.incoming(ai, from, bits, &data),
            Control::Raw { header, data } => self.urc(&format!("{header}\r\n{data}")),
            Control::Fault(fault) => return self.apply(fault),
        }
        None
    }

    fn reboot(&mut self, _: Cause) {
        self.v = Volatile::default();
        self.air_free = Instant::now();
        lock(&self.shared).routes.clear();
    }

    fn closed(&mut self) {
        // The radio never learns of the close: a partial command stays in
        // its buffer and spoils the next one (CME 35 at start-up).
        self.v.line_dirty |= !self.port.line.is_empty();
        self.v.user_data = None;
        self.port.held.clear();
        self.v.after_ctrl_z = false;
    }

    fn timers(&mut self, now: Instant) {
        if self.v.user_data.as_ref().is_some_and(|u| u.deadline <= now) {
            tracing::warn!("sim radio: AT+CMGS without user data and Ctrl-Z");
            self.v.user_data = None;
            self.finish(Final::Cme(37));
            self.port.release_held();
        }
        while let Some(entry) = self.v.events.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Event::Urc(text) => self.urc(&text),
                Event::Sds {
                    ai,
                    from,
                    bits,
                    data,
                } => self.incoming(ai, from, bits, &data),
            }
        }
    }

    fn idle(&self) -> bool {
        self.v.user_data.is_none()
    }

    fn byte(&mut self, byte: u8) -> bool {
        if self.v.user_data.is_some() {
            self.user_data_byte(byte);
            return true;
        }
        // Only the line end right after the Ctrl-Z is data without a command.
        if byte != b'\r' {
            self.v.after_ctrl_z = false;
        }
        false
    }

    fn line(&mut self, line: &[u8]) {
        let dirty = std::mem::take(&mut self.v.line_dirty);
        let after_ctrl_z = std::mem::take(&mut self.v.after_ctrl_z);
        self.execute(line, dirty, after_ctrl_z);
    }
}

impl Radio {
    fn new(mut port: Port, config: SimRadioConfig, shared: Arc<Mutex<Shared>>) -> Radio {
        // Drivers must not assume references start at 0 or 1.
        let text_ref = port.random() as u8;
        let plain_ref = port.random() as u8;
        Radio {
            port,
            config,
            shared,
            v: Volatile::default(),
            faults: Faults::default(),
            air_free: Instant::now(),
            seq: 0,
            text_ref,
            plain_ref,
        }
    }

    fn apply(&mut self, fault: Fault) -> Option<shell::Fault> {
        tracing::warn!(?fault, "sim radio fault");
        match fault {
            Fault::CmeError { code, times } => {
                self.faults.cme_error = (times > 0).then_some((code, times));
            }
            Fault::Hang => return Some(shell::Fault::Hang),
            Fault::Garbage => return Some(shell::Fault::Garbage),
            Fault::Unplug { for_ } => return Some(shell::Fault::Unplug(for_)),
        }
        None
    }

    fn say(&mut self, text: &str) {
        self.port.say(text);
    }

    fn urc(&mut self, text: &str) {
        self.port.urc(self.v.user_data.is_some(), text);
    }

    fn schedule(&mut self, at: Instant, event: Event) {
        self.seq += 1;
        self.v.events.insert((at, self.seq), event);
    }

    /// An SDS from another radio reaches the PEI if the driver routed it there.
    fn incoming(&mut self, ai: u8, from: u32, bits: usize, data: &[u8]) {
        if !self.routed(ai, data.first().copied()) {
            tracing::warn!(
                ai,
                from,
                pid = ?data.first(),
                "sim radio: SDS not routed to the PEI (no matching AT+CTSP)"
            );
            return;
        }
        let hex = data_hex(data, bits, self.config.nibble_hex);
        let own = self.config.own_issi;
        self.urc(&format!("+CTSDSR: {ai},{from},0,{own},0,{bits}\r\n{hex}"));
    }

    fn routed(&self, ai: u8, pid: Option<u8>) -> bool {
        let shared = lock(&self.shared);
        let has = |layer1: u16, layer2: u16| shared.routes.contains_key(&(layer1, layer2));
        match (ai, pid) {
            (AI_STATUS, _) => has(LAYER_SDS, STATUS_LAYER2),
            (_, Some(pid)) => {
                let all = if pid < 0x80 {
                    ALL_LOW_PIDS
                } else {
                    ALL_HIGH_PIDS
                };
                has(LAYER_SDS_TL, pid.into()) || has(LAYER_SDS_TL, all)
            }
            (_, None) => false,
        }
    }

    fn text_from(&mut self, from: u32, text: &str, report: bool) {
        let reference = self.next_text_ref();
        let request = ReportRequest {
            received: report,
            consumed: false,
        };
        match sds::encode_text(text, reference, request, false, false, MAX_CMGS_BITS) {
            Ok(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.next_text_ref();
                    }
                    self.incoming(AI_SDS, from, part.len() * 8, part);
                }
            }
            Err(e) => tracing::warn!(error = ?e, from, "sim radio cannot encode the text"),
        }
    }

    /// SDS-TL references run 1..=255 here; 0 is left out as some radios do.
    fn next_text_ref(&mut self) -> u8 {
        self.text_ref = self.text_ref.wrapping_add(1).max(1);
        self.text_ref
    }

    fn user_data_byte(&mut self, byte: u8) {
        match byte {
            CTRL_Z => {
                if let Some(user_data) = self.v.user_data.take() {
                    self.submit(user_data);
                }
                self.v.after_ctrl_z = true;
                self.port.release_held();
            }
            ESC => {
                self.v.user_data = None;
                self.finish(Final::Ok);
                self.port.release_held();
            }
            b'\r' | b'\n' | b' ' => self.port.echo(byte),
            _ => {
                self.port.echo(byte);
                if let Some(user_data) = self.v.user_data.as_mut() {
                    if byte.is_ascii_hexdigit() && user_data.hex.len() < MAX_HEX {
                        user_data.hex.push(char::from(byte.to_ascii_uppercase()));
                    } else {
                        user_data.bad = true;
                    }
                }
            }
        }
    }

    fn finish(&mut self, result: Final) {
        match result {
            Final::Ok => self.say("\r\nOK\r\n"),
            Final::Cme(code) => self.say(&format!("\r\n+CME ERROR: {code}\r\n")),
            Final::Pending => {}
        }
    }

    fn execute(&mut self, raw: &[u8], dirty: bool, after_ctrl_z: bool) {
        let printable = !dirty && raw.iter().all(|b| (0x20..0x7F).contains(b));
        let command = normalise(&String::from_utf8_lossy(raw));
        if command.is_empty() && printable {
            if after_ctrl_z {
                // A line end after Ctrl-Z reaches the radio as data without a command.
                tracing::debug!("sim radio: line end after Ctrl-Z");
                self.finish(Final::Cme(35));
            }
            return;
        }
        let rest = match command.strip_prefix("AT") {
            Some(rest) if printable => rest,
            _ => {
                tracing::debug!(line = ?String::from_utf8_lossy(raw), "sim radio: syntax error");
                return self.finish(Final::Cme(35));
            }
        };
        let mut info = Vec::new();
        let result = self.run_line(rest, &mut info);
        if !info.is_empty() {
            self.say(&format!("\r\n{}\r\n", info.join("\r\n")));
        }
        self.finish(result);
    }

    /// Basic commands chain without separators (`ATE0V1`); extended ones are
    /// separated by `;`.
    fn run_line(&mut self, rest: &str, info: &mut Vec<String>) -> Final {
        let (v, port) = (&mut self.v, &mut self.port);
        let rest = basic(rest, |name, value| {
            match (name, value) {
                ("E", value) => port.echo = value == 1,
                // Settings back to power-on; routing survives, as the AT+CTSP table
                // is not a Hayes setting.
                ("Z", _) => {
                    port.echo = true;
                    (v.ai, v.identity_type) = (AI_SDS, 0);
                }
                ("V", 1) | ("Q", 0) | ("&C" | "&D" | "&F" | "&W", _) => {}
                _ => return false,
            }
            true
        });
        let Some(rest) = rest else {
            return Final::Cme(35);
        };
        for part in rest.split(';').filter(|p| !p.is_empty()) {
            match self.extended(part, info) {
                Final::Ok => {}
                other => return other,
            }
        }
        Final::Ok
    }

    fn extended(&mut self, part: &str, info: &mut Vec<String>) -> Final {
        let Some((name, op)) = operation(part, false) else {
            return Final::Cme(35);
        };
        match (name, op) {
            ("+CSCS", Op::Set(a)) => match a.first() {
                Some(set) if !set.is_empty() => self.v.cscs.clone_from(set),
                _ => return Final::Cme(35),
            },
            ("+CSCS", Op::Read) => info.push(format!("+CSCS: \"{}\"", self.v.cscs)),
            ("+CTOM", Op::Read) => info.push(format!("+CTOM: {}", self.v.ctom)),
            ("+CTOM", Op::Set(a)) => match arg(&a, 0) {
                Some(mode @ (0 | 1 | 5 | 6)) => self.v.ctom = mode,
                _ => return Final::Cme(34),
            },
            ("+CNUMF", Op::Read) => {
                info.push(format!("+CNUMF: 6,{TSI_PREFIX}{:08}", self.config.own_issi))
            }
            ("+CSQ", Op::Exec) => info.push("+CSQ: 20,99".to_owned()),
            ("+CREG", Op::Read) => info.push(format!("+CREG: {},1", self.v.creg)),
            ("+CREG", Op::Set(a)) => match arg(&a, 0) {
                Some(n @ 0..=2) => self.v.creg = n,
                _ => return Final::Cme(34),
            },
            ("+CTSP", Op::Set(a)) => return self.register(&a),
            ("+CTSP", Op::Read) => {
                let shared = lock(&self.shared);
                info.extend(
                    shared
                        .routes
                        .iter()
                        .map(|((l1, l2), profile)| format!("+CTSP: {profile},{l1},{l2}")),
                );
            }
            ("+CTSDS", Op::Set(a)) => {
                let identity_type = match a.get(1).map(String::as_str) {
                    None | Some("") => 0,
                    Some(t) => match t.parse::<u8>() {
                        Ok(t @ 0..=5) => t,
                        _ => return Final::Cme(34),
                    },
                };
                match arg(&a, 0) {
                    Some(ai @ (AI_SDS | AI_STATUS)) => {
                        (self.v.ai, self.v.identity_type) = (ai, identity_type);
                    }
                    // SDS types 1-3 exist, but nobody uses them for alerting.
                    Some(9..=11) => return Final::Cme(4),
                    _ => return Final::Cme(34),
                }
            }
            ("+CTSDS", Op::Read) => {
                info.push(format!("+CTSDS: {},{}", self.v.ai, self.v.identity_type));
            }
            ("+CMGS", Op::Test) => info.push(CMGS_TEST.to_owned()),
            ("+CMGS", Op::Set(a)) => {
                let target = self.cmgs_target(&a);
                self.v.user_data = Some(UserData {
                    target,
                    hex: String::new(),
                    bad: false,
                    deadline: Instant::now() + USER_DATA_TIMEOUT,
                });
                return Final::Pending;
            }
            ("+CMGS", _) => return Final::Cme(35),
            _ => return Final::Cme(4),
        }
        Final::Ok
    }

    /// `AT+CTSP=<profile>,<layer1>[,<layer2>][,...]`.
    fn register(&mut self, a: &[String]) -> Final {
        let (Some(profile), Some(layer1)) = (arg::<u8>(a, 0), arg::<u16>(a, 1)) else {
            return Final::Cme(35);
        };
        let layer2 = match a.get(2).map(String::as_str) {
            None | Some("") => 0,
            Some(l) => match l.parse::<u16>() {
                Ok(l) => l,
                Err(_) => return Final::Cme(35),
            },
        };
        if profile > 2 {
            return Final::Cme(34);
        }
        let mut shared = lock(&self.shared);
        if shared.routes.contains_key(&(layer1, layer2)) {
            return Final::Cme(38);
        }
        shared.routes.insert((layer1, layer2), profile);
        tracing::debug!(profile, layer1, layer2, "sim radio: routed to the PEI");
        Final::Ok
    }

    fn cmgs_target(&self, a: &[String]) -> Result<(String, usize), u16> {
        let (Some(to), Some(bits)) = (a.first(), a.get(1)) else {
            return Err(35);
        };
        // SSI (≤ 8 digits) or TSI (MCC + MNC + SSI, up to 17 digits).
        if to.is_empty() || to.len() > 18 || !to.bytes().all(|b| b.is_ascii_digit()) {
            return Err(35);
        }
        let bits: usize = bits.parse().map_err(|_| 35u16)?;
        let fits = if self.v.ai == AI_STATUS {
            bits == 16
        } else {
            (8..=MAX_CMGS_BITS).contains(&bits)
        };
        if !fits {
            return Err(34);
        }
        Ok((to.clone(), bits))
    }

    fn submit(&mut self, user_data: UserData) {
        let (to, bits) = match user_data.target {
            Ok(target) => target,
            Err(code) => {
                tracing::debug!(code, "sim radio rejects the AT+CMGS line");
                return self.finish(Final::Cme(code));
            }
        };
        let hex = user_data.hex;
        if user_data.bad || hex.len() * 4 < bits {
            tracing::debug!(%hex, bits, "sim radio: user data does not hold the bits announced");
            return self.finish(Final::Cme(32));
        }
        if let Some((code, times)) = self.faults.cme_error {
            tracing::warn!(code, "sim radio refuses a send");
            self.faults.cme_error = (times > 1).then_some((code, times - 1));
            return self.finish(Final::Cme(code));
        }
        let ai = self.v.ai;
        let decoded = sds::decode(ai, bits, &hex);
        let now = Instant::now();
        let on_air = self.air_free.max(now) + self.config.air_delay;
        self.air_free = on_air;
        let reference = match &decoded {
            Ok(Sds::Text(text)) => text.reference,
            Ok(Sds::Callout(callout)) => callout.reference,
            Ok(
                Sds::Report { reference, .. }
                | Sds::Ack { reference, .. }
                | Sds::ShortReport { reference, .. },
            ) => *reference,
            _ => {
                self.plain_ref = self.plain_ref.wrapping_add(1);
                self.plain_ref
            }
        };
        self.say("\r\n+CMGS: 0\r\n\r\nOK\r\n");
        self.schedule(on_air, Event::Urc(format!("+CMGS: 0,4,{reference}")));
        lock(&self.shared).sent.push(SentSds {
            to: to.clone(),
            ai_service: ai,
            bits,
            hex,
            at: now,
        });
        match decoded {
            Ok(sds) => self.react(&to, ai, sds, on_air),
            // A real radio sends whatever it gets; the far end ignores it.
            Err(e) => {
                tracing::warn!(error = ?e, %to, "sim radio: undecodable SDS sent, nobody answers")
            }
        }
    }

    /// The simulated world answers what went on the air at `on_air`.
    fn react(&mut self, to: &str, ai: u8, sds: Sds, on_air: Instant) {
        if ai != AI_SDS {
            return;
        }
        let Some(dest) = ssi_of(to) else {
            return;
        };
        let (behaviour, members) = {
            let shared = lock(&self.shared);
            let members: Option<Vec<(u32, Behaviour)>> = shared
                .groups
                .get(&dest)
                .map(|m| m.iter().map(|&m| (m, shared.behaviour(m))).collect());
            (shared.behaviour(dest), members)
        };
        let answer_at = on_air + self.config.report_delay;
        match sds {
            // Group service: the SwMI prevents per-member reports.
            Sds::Text(_) if members.is_some() => {}
            Sds::Text(text) => {
                self.reports(
                    dest,
                    text.pid,
                    text.reference,
                    &text.report,
                    behaviour,
                    on_air,
                );
            }
            Sds::Callout(callout) if callout.message_type == 0 => match members {
                Some(members) => {
                    for (member, behaviour) in members {
                        self.answer(member, behaviour, &callout, answer_at);
                    }
                }
                None => {
                    let (reference, report) = (callout.reference, &callout.report);
                    self.reports(dest, PID_CALLOUT, reference, report, behaviour, on_air);
                    self.answer(dest, behaviour, &callout, answer_at);
                }
            },
            _ => {}
        }
    }

    fn reports(
        &mut self,
        from: u32,
        pid: u8,
        reference: u8,
        request: &ReportRequest,
        behaviour: Behaviour,
        on_air: Instant,
    ) {
        let delay = self.config.report_delay;
        let consumes = !matches!(behaviour, Behaviour::ReceivedOnly | Behaviour::Off);
        if request.received && behaviour != Behaviour::Off {
            let data = sds::encode_report(pid, RECEIVED, reference);
            self.schedule(on_air + delay, sds_event(from, data));
        }
        if request.consumed && consumes {
            let data = sds::encode_report(pid, CONSUMED, reference);
            self.schedule(on_air + delay * 2, sds_event(from, data));
        }
    }

    fn answer(&mut self, from: u32, behaviour: Behaviour, callout: &Callout, at: Instant) {
        let Some(text) = behaviour.answer() else {
            return;
        };
        if !matches!(callout.function, CalloutFunction::Alert) {
            return;
        }
        let reply = Callout {
            message_type: ANSWER_TYPE,
            reference: callout.reference,
            report: ReportRequest {
                received: false,
                consumed: false,
            },
            function: CalloutFunction::Alert,
            number: callout.number,
            severity: callout.severity,
            end: false,
            text: text.to_owned(),
        };
        match sds::encode_callout(&reply) {
            Ok(data) => self.schedule(at, sds_event(from, data)),
            Err(e) => tracing::warn!(error = ?e, "sim radio cannot encode a callout answer"),
        }
    }
}

fn sds_event(from: u32, data: Vec<u8>) -> Event {
    Event::Sds {
        ai: AI_SDS,
        from,
        bits: data.len() * 8,
        data,
    }
}

/// The SSI in an SSI or TSI: its last 8 digits.
fn ssi_of(to: &str) -> Option<u32> {
    to.get(to.len().saturating_sub(8)..)?.parse().ok()
}

/// The data line of an indication: whole bytes, or with the Sepura quirk
/// exactly `ceil(bits/4)` digits; zero-padded if `bits` claims more.
fn data_hex(data: &[u8], bits: usize, nibble_hex: bool) -> String {
    let digits = if nibble_hex {
        bits.div_ceil(4)
    } else {
        bits.div_ceil(8) * 2
    };
    let mut hex = sds::to_hex(data);
    if hex.len() < digits {
        hex.extend(std::iter::repeat_n('0', digits - hex.len()));
    }
    hex.truncate(digits);
    hex
}

#[cfg(test)]
mod tests;
