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
//! The pty handling is the GSM modem simulator's: one thread owns the
//! master, the handle talks to it over a channel, and each time the driver
//! closes the port the radio moves to a fresh pty because the exclusive lock
//! outlives the close.

use super::modem::{lock, normalise, open_pty};
use crate::hw::tetra::sds::{self, Callout, CalloutFunction, ReportRequest, Sds};
use serialport::TTYPort;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Master read timeout (set by `open_pty`): how late a timer may be served.
const TICK: Duration = Duration::from_millis(20);
const PTY_RETRY: Duration = Duration::from_secs(1);
/// After `AT+CMGS=` the radio waits this long for the user data and its
/// Ctrl-Z before it gives up with `+CME ERROR: 37`.
const USER_DATA_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_LINE: usize = 1024;
/// SDS type 4 carries at most 2047 bits: more hex than this is noise.
const MAX_HEX: usize = 512;
/// The upper bound `AT+CMGS=?` announces.
const MAX_CMGS_BITS: usize = 1184;
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;
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
    link: PathBuf,
    /// Dropping the sender is what tells the thread to end.
    control: Mutex<Option<Sender<Control>>>,
    shared: Arc<Mutex<Shared>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SimRadio {
    /// Creates the pty, makes `link` a symlink to its slave (replacing an
    /// existing symlink, never a file) and serves it on a thread.
    pub fn start(link: &Path, config: SimRadioConfig) -> io::Result<SimRadio> {
        if fs::symlink_metadata(link).is_ok_and(|m| !m.file_type().is_symlink()) {
            let why = format!("{} exists and is not a symlink", link.display());
            return Err(io::Error::new(ErrorKind::AlreadyExists, why));
        }
        let master = open_pty(link)?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (tx, rx) = mpsc::channel();
        let engine = Engine::new(link, config, Arc::clone(&shared), rx, master);
        let thread = std::thread::Builder::new()
            .name("sim-radio".to_owned())
            .spawn(move || engine.run())
            .inspect_err(|_| drop(fs::remove_file(link)))?;
        Ok(SimRadio {
            link: link.to_owned(),
            control: Mutex::new(Some(tx)),
            shared,
            thread: Mutex::new(Some(thread)),
        })
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
        self.send(Control::Text {
            from,
            text,
            report: report_wanted,
        });
    }

    /// A status SDS (AI service 13, 16 bits) arrives from radio `from`.
    pub fn receive_status(&self, from: u32, value: u16) {
        let data = value.to_be_bytes().to_vec();
        self.send(Control::Sds {
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
        self.send(Control::Sds {
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
        self.send(Control::Raw { header, data });
    }

    pub fn fault(&self, fault: Fault) {
        self.send(Control::Fault(fault));
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
        &self.link
    }

    /// Ends the thread (the driver's port sees a hangup) and removes the link.
    pub fn stop(&self) {
        drop(lock(&self.control).take());
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
            if fs::symlink_metadata(&self.link).is_ok_and(|m| m.file_type().is_symlink()) {
                let _ = fs::remove_file(&self.link);
            }
        }
    }

    fn send(&self, message: Control) {
        if let Some(tx) = lock(&self.control).as_ref() {
            let _ = tx.send(message);
        }
    }
}

impl Drop for SimRadio {
    fn drop(&mut self) {
        self.stop();
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

/// What a reboot loses; the sent log, behaviours and groups live in `Shared`.
struct Volatile {
    echo: bool,
    /// `AT+CTSDS` AI service and called party identity type.
    ai: u8,
    identity_type: u8,
    ctom: u8,
    creg: u8,
    cscs: String,
    input: VecDeque<u8>,
    line: Vec<u8>,
    /// The line holds bytes from before the port was last opened.
    line_dirty: bool,
    /// The last byte served ended user data: a line end now is data without
    /// a command.
    after_ctrl_z: bool,
    user_data: Option<UserData>,
    events: BTreeMap<(Instant, u64), Event>,
    /// URCs held back while the driver writes user data.
    held: Vec<String>,
}

impl Default for Volatile {
    fn default() -> Self {
        Volatile {
            echo: true,
            ai: AI_SDS,
            identity_type: 0,
            ctom: 0,
            creg: 0,
            cscs: "8859-1".to_owned(),
            input: VecDeque::new(),
            line: Vec::new(),
            line_dirty: false,
            after_ctrl_z: false,
            user_data: None,
            events: BTreeMap::new(),
            held: Vec::new(),
        }
    }
}

#[derive(Default)]
struct Faults {
    cme_error: Option<(u16, u32)>,
    garbage: bool,
}

enum Final {
    Ok,
    Cme(u16),
    /// `AT+CMGS`: the answer waits for the user data.
    Pending,
}

enum Op {
    Exec,
    Read,
    Test,
    Set(Vec<String>),
}

struct Engine {
    link: PathBuf,
    config: SimRadioConfig,
    shared: Arc<Mutex<Shared>>,
    control: Receiver<Control>,
    /// `None` while unplugged or between two ptys.
    master: Option<TTYPort>,
    replug_at: Option<Instant>,
    /// The driver has the port open (the master sees no hangup).
    connected: bool,
    hung: bool,
    v: Volatile,
    faults: Faults,
    out: Vec<u8>,
    /// One SDS on the air at a time: when the air is free again.
    air_free: Instant,
    /// Orders events due at the same instant.
    seq: u64,
    /// Message references of texts the other radios send.
    text_ref: u8,
    /// `+CMGS: 0,4,<ref>` for sends without an SDS-TL reference (status).
    plain_ref: u8,
    rng: u64,
}

impl Engine {
    fn new(
        link: &Path,
        config: SimRadioConfig,
        shared: Arc<Mutex<Shared>>,
        control: Receiver<Control>,
        master: TTYPort,
    ) -> Engine {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let rng = ((nanos as u64) ^ (u64::from(std::process::id()) << 32)) | 1;
        let mut engine = Engine {
            link: link.to_owned(),
            config,
            shared,
            control,
            master: Some(master),
            replug_at: None,
            connected: false,
            hung: false,
            v: Volatile::default(),
            faults: Faults::default(),
            out: Vec::new(),
            air_free: Instant::now(),
            seq: 0,
            text_ref: 0,
            plain_ref: 0,
            rng,
        };
        // Drivers must not assume references start at 0 or 1.
        engine.text_ref = engine.random() as u8;
        engine.plain_ref = engine.random() as u8;
        engine
    }

    fn run(mut self) {
        loop {
            if !self.drain() {
                return;
            }
            self.on_timers(Instant::now());
            self.flush();
            self.read();
            // Whatever the handle sent before the driver wrote applies first:
            // a test sets a fault or behaviour, then lets the driver send.
            if !self.drain() {
                return;
            }
            self.pump();
            self.flush();
        }
    }

    /// Serves control messages; false once the handle is gone.
    fn drain(&mut self) -> bool {
        loop {
            match self.control.try_recv() {
                Ok(Control::Text { from, text, report }) => self.text_from(from, &text, report),
                Ok(Control::Sds {
                    ai,
                    from,
                    bits,
                    data,
                }) => self.incoming(ai, from, bits, &data),
                Ok(Control::Raw { header, data }) => self.urc(&format!("{header}\r\n{data}")),
                Ok(Control::Fault(fault)) => self.apply(fault),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn read(&mut self) {
        let Some(master) = self.master.as_mut() else {
            std::thread::sleep(TICK);
            return;
        };
        let mut buf = [0u8; 512];
        match master.read(&mut buf) {
            Ok(n) if n > 0 => {
                self.on_open();
                let bytes = buf.get(..n).unwrap_or_default();
                if self.hung {
                    tracing::debug!(bytes = n, "sim radio hung: input discarded");
                } else {
                    tracing::debug!(input = ?String::from_utf8_lossy(bytes), "sim radio <-");
                    self.v.input.extend(bytes);
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => self.on_open(),
            // Hangup (BrokenPipe, EIO) or EOF: nobody has the port open.
            Ok(_) | Err(_) => {
                self.on_closed();
                std::thread::sleep(TICK);
            }
        }
    }

    fn on_open(&mut self) {
        if !self.connected {
            self.connected = true;
            tracing::debug!("sim radio port opened");
        }
    }

    fn on_closed(&mut self) {
        if self.hung {
            tracing::warn!("sim radio: port closed while hung, rebooting");
            self.reboot();
        }
        if self.connected {
            self.connected = false;
            tracing::debug!("sim radio port closed");
            // The radio never learns of the close: a partial command stays in
            // its buffer and spoils the next one (CME 35 at start-up).
            self.v.line_dirty |= !self.v.line.is_empty();
            self.v.user_data = None;
            self.v.held.clear();
            self.v.after_ctrl_z = false;
            // The old pty may carry the driver's exclusive lock.
            self.master = None;
            self.replug_at = Some(Instant::now());
        }
    }

    fn reboot(&mut self) {
        self.hung = false;
        self.v = Volatile::default();
        self.faults.garbage = false;
        self.air_free = Instant::now();
        lock(&self.shared).routes.clear();
    }

    fn on_timers(&mut self, now: Instant) {
        if self.replug_at.is_some_and(|t| t <= now) {
            match open_pty(&self.link) {
                Ok(master) => (self.master, self.replug_at) = (Some(master), None),
                Err(e) => {
                    tracing::warn!(error = %e, "sim radio cannot make a new pty");
                    self.replug_at = Some(now + PTY_RETRY);
                }
            }
        }
        if self.v.user_data.as_ref().is_some_and(|u| u.deadline <= now) {
            tracing::warn!("sim radio: AT+CMGS without user data and Ctrl-Z");
            self.v.user_data = None;
            self.finish(Final::Cme(37));
            self.release_held();
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
        let idle = self.v.user_data.is_none() && !self.hung;
        if self.faults.garbage && idle && self.master.is_some() {
            self.faults.garbage = false;
            // High bytes: never a line end, never AT text, often invalid UTF-8.
            for _ in 0..8 + self.random() % 8 {
                let byte = 0x80 | self.random() as u8;
                self.out.push(byte);
            }
            self.out.extend_from_slice(NOISE_TAIL);
        }
    }

    fn apply(&mut self, fault: Fault) {
        tracing::warn!(?fault, "sim radio fault");
        match fault {
            Fault::CmeError { code, times } => {
                self.faults.cme_error = (times > 0).then_some((code, times));
            }
            Fault::Hang => {
                self.reboot();
                self.hung = true;
            }
            Fault::Garbage => self.faults.garbage = true,
            Fault::Unplug { for_ } => {
                // Link first: a driver whose port fails must not find the old link.
                if let Err(e) = fs::remove_file(&self.link) {
                    tracing::warn!(error = %e, "sim radio cannot remove its link");
                }
                self.master = None;
                self.replug_at = Some(Instant::now() + for_);
                self.connected = false;
                self.reboot();
            }
        }
    }

    /// xorshift64: for noise and start values only.
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn say(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    fn urc(&mut self, text: &str) {
        if self.hung {
            tracing::debug!(%text, "sim radio hung: URC lost");
        } else if self.v.user_data.is_some() {
            self.v.held.push(text.to_owned());
        } else {
            self.say(&format!("\r\n{text}\r\n"));
        }
    }

    fn release_held(&mut self) {
        for text in std::mem::take(&mut self.v.held) {
            self.urc(&text);
        }
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

    fn flush(&mut self) {
        let out = std::mem::take(&mut self.out);
        let Some(master) = self.master.as_mut() else {
            return;
        };
        if !out.is_empty() {
            tracing::debug!(output = ?String::from_utf8_lossy(&out), "sim radio ->");
            // Nobody reading (port closed, driver stuck): lost, as on a wire.
            if let Err(e) = master.write_all(&out) {
                tracing::debug!(error = %e, bytes = out.len(), "sim radio output lost");
            }
        }
    }

    fn pump(&mut self) {
        while !self.hung {
            let Some(byte) = self.v.input.pop_front() else {
                break;
            };
            if self.v.user_data.is_some() {
                self.user_data_byte(byte);
            } else {
                self.line_byte(byte);
            }
        }
    }

    fn echo(&mut self, byte: u8) {
        if self.v.echo {
            self.out.push(byte);
        }
    }

    fn line_byte(&mut self, byte: u8) {
        let after_ctrl_z = std::mem::take(&mut self.v.after_ctrl_z);
        match byte {
            b'\r' => {
                self.echo(byte);
                let line = std::mem::take(&mut self.v.line);
                let dirty = std::mem::take(&mut self.v.line_dirty);
                self.execute(&line, dirty, after_ctrl_z);
            }
            // A stray line feed, or Ctrl-Z/ESC a driver sends to end a stuck send.
            b'\n' | CTRL_Z | ESC => {}
            0x08 => {
                if self.v.line.pop().is_some() {
                    self.echo(byte);
                }
            }
            _ => {
                if self.v.line.len() < MAX_LINE {
                    self.v.line.push(byte);
                }
                self.echo(byte);
            }
        }
    }

    fn user_data_byte(&mut self, byte: u8) {
        match byte {
            CTRL_Z => {
                if let Some(user_data) = self.v.user_data.take() {
                    self.submit(user_data);
                }
                self.v.after_ctrl_z = true;
                self.release_held();
            }
            ESC => {
                self.v.user_data = None;
                self.finish(Final::Ok);
                self.release_held();
            }
            b'\r' | b'\n' | b' ' => self.echo(byte),
            _ => {
                self.echo(byte);
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
    fn run_line(&mut self, mut rest: &str, info: &mut Vec<String>) -> Final {
        while !rest.is_empty() && !rest.starts_with(['+', ';']) {
            let name_len = if rest.starts_with('&') { 2 } else { 1 };
            let (Some(name), Some(after)) = (rest.get(..name_len), rest.get(name_len..)) else {
                return Final::Cme(35);
            };
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let value: u32 = after
                .get(..digits)
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            rest = after.get(digits..).unwrap_or_default();
            match (name, value) {
                ("E", v) => self.v.echo = v == 1,
                // Settings back to power-on; routing survives, as the AT+CTSP table
                // is not a Hayes setting.
                ("Z", _) => {
                    self.v.echo = true;
                    (self.v.ai, self.v.identity_type) = (AI_SDS, 0);
                }
                ("V", 1) | ("Q", 0) | ("&C" | "&D" | "&F" | "&W", _) => {}
                _ => return Final::Cme(35),
            }
        }
        for part in rest.split(';').filter(|p| !p.is_empty()) {
            match self.extended(part, info) {
                Final::Ok => {}
                other => return other,
            }
        }
        Final::Ok
    }

    fn extended(&mut self, part: &str, info: &mut Vec<String>) -> Final {
        let cut = part.find(['=', '?']).unwrap_or(part.len());
        let (name, tail) = part.split_at_checked(cut).unwrap_or((part, ""));
        let op = match tail {
            "" => Op::Exec,
            "?" => Op::Read,
            "=?" => Op::Test,
            _ => match tail.strip_prefix('=') {
                Some(args) => Op::Set(
                    args.split(',')
                        .map(|a| a.trim_matches('"').to_owned())
                        .collect(),
                ),
                None => return Final::Cme(35),
            },
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

fn arg<T: FromStr>(args: &[String], i: usize) -> Option<T> {
    args.get(i)?.parse().ok()
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
