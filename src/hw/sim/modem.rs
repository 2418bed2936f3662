//! A simulated Quectel EC25-class GSM modem on a pseudo-terminal.
//!
//! Tests and the demo run the real serial driver against it, so it speaks the
//! bytes a real modem speaks (3GPP TS 27.007 / 27.005, PDU mode): echo until
//! `ATE0`, `\r\n`-framed answers, the `> ` prompt of `AT+CMGS`, URCs that
//! arrive while a send is in the air, and on demand the faults real hardware
//! shows: network refusals, hung firmware, a USB unplug, a busy SIM and noise.
//! It also places voice calls (`ATD`, ccinfo URCs, key detection, files on its
//! flash played into the call) to far ends whose behaviour tests choose, and
//! rings for calls coming in (`RING`, `+CLIP`, `ATA`) from callers tests
//! script the same way.
//!
//! The pty, the thread, replugs, hangs and noise are the shell's; the handle
//! reads the sent log and storage under a mutex.

use super::shell::{self, arg, basic, lock, normalise, operation, split, Cause, CommandSet};
use super::shell::{Handle, Op, Port, CTRL_Z, ESC};
use crate::hw::gsm::pdu;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Boot URCs wait this long after the port opens, so a driver that flushes its
/// input right after opening does not throw them away.
const BOOT_DELAY: Duration = Duration::from_millis(200);
/// How long `AT+CFUN=1,1` keeps the modem silent if the port stays open.
const REBOOT_TIME: Duration = Duration::from_secs(1);
/// Slots per storage; EC25 "ME" holds 255 and, like it, indexes start at 0.
const CAPACITY: u16 = 255;
/// A TPDU is at most 176 octets; more hex than this after the prompt is noise.
const MAX_PDU_HEX: usize = 2 * 200;
const REVISION: &str = "EC25EFAR06A08M4G";
const BOOT: &[u8] = b"\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n";
const NOISE_TAIL: &[u8] = b"\r\n^RSSI: 12\r\n\r\n+QIND: \"csq\",20,99\r\n\r\n+QIND: \"cs";
/// From `ATD` to the far end ringing (ccinfo state 2 to 3).
const DIAL_TIME: Duration = Duration::from_millis(300);
/// A busy far end: `BUSY` after this much alerting.
const BUSY_AFTER: Duration = Duration::from_secs(1);
/// The EC25 repeats `RING` while a call comes in, as often as its RI settings
/// say; 2 s is close to what it does and keeps tests short.
const RING_INTERVAL: Duration = Duration::from_secs(2);
/// `AT+QFUPL` waits this long for the next byte unless told otherwise.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Larger uploads are refused: the flash is small and tests never need more.
const MAX_FILE: usize = 8 << 20;
/// `AT+CME ERROR` codes of the voice and file commands.
const NOT_ALLOWED: u16 = 3;
const NOT_FOUND: u16 = 405;
const EXISTS: u16 = 407;
const UPLOAD_TIMED_OUT: u16 = 409;
/// A file `AT+QPSND` cannot play: not a mono 16-bit PCM WAV at 8 or 16 kHz.
const NOT_PLAYABLE: u16 = 902;

/// Answers that never change, by normalised command.
const FIXED: &[(&str, &str)] = &[
    ("+CGMI", "Quectel"),
    ("+GMI", "Quectel"),
    ("+CGMM", "EC25"),
    ("+GMM", "EC25"),
    ("+CGMR", REVISION),
    ("+GMR", REVISION),
    ("+CGSN", "867698041234567"),
    ("+GSN", "867698041234567"),
    ("+CIMI", "244051234567890"),
    ("+CPIN?", "+CPIN: READY"),
    ("+CSCA?", "+CSCA: \"+358400000000\",145"),
    ("+CSMS?", "+CSMS: 0,1,1,1"),
    ("+CSQ=?", "+CSQ: (0-31,99),(0-7,99)"),
    ("+CNMI=?", "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"),
    (
        "+CPMS=?",
        "+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")",
    ),
    ("+CNMA", ""),
];
/// Settings accepted and ignored: `AT+CPIN=<pin>` succeeds, `AT+CSCA=` changes nothing.
const IGNORED_SETS: &[&str] = &["+CPIN", "+COPS", "+CSCA", "+CMMS", "+CNMA", "+QURCCFG"];

#[derive(Debug, Clone)]
pub struct SimModemConfig {
    /// Time from PDU + Ctrl-Z to `+CMGS: <mr>` (the air/network time per message).
    pub network_delay: Duration,
    /// Time after `+CMGS` until the status report URC, if the SUBMIT asked for one.
    pub report_delay: Duration,
    pub operator: String,
    /// `AT+CSQ` rssi, 0..31.
    pub signal: u8,
    /// How long a far end that does not answer rings before `NO ANSWER`.
    pub ring_time: Duration,
}

impl Default for SimModemConfig {
    fn default() -> Self {
        SimModemConfig {
            network_delay: Duration::from_secs(1),
            report_delay: Duration::from_millis(500),
            operator: "Tocsin Sim".to_owned(),
            signal: 20,
            ring_time: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next `times` sends end with `+CMS ERROR: <code>` after the network delay.
    CmsError {
        code: u16,
        times: u32,
    },
    /// Silent until the driver closes the port; then a reboot (settings
    /// forgotten) and `RDY`, `+CPIN: READY`, `+QIND: SMS DONE` once reopened.
    Hang,
    /// Noise, unknown URCs and a partial line, written between commands.
    Garbage,
    /// The link vanishes and the port dies; after `for_` a new pty appears.
    Unplug {
        for_: Duration,
    },
    /// The next `times` SIM-touching commands answer `+CME ERROR: 14`.
    SimBusy {
        times: u32,
    },
    DropReports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPdu {
    /// What the driver wrote after the prompt, without Ctrl-Z, uppercase.
    pub hex: String,
    /// The message reference the modem answered (`+CMGS: <mr>`).
    pub reference: u8,
    pub at: Instant,
}

/// How the person at a called number behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// Picks up after ringing for `after` (unless the ring time runs out first).
    Answers {
        after: Duration,
        /// Keys pressed, each at its time after the answer: `0`-`9`, `*`,
        /// `#`, `A`-`D`.
        keys: Vec<(Duration, char)>,
        /// Hangs up this long after answering; `None` waits for the modem.
        hang_up: Option<Duration>,
    },
    /// `BUSY` after about a second of alerting.
    Busy,
    /// Rings until the ring time is over: `NO ANSWER`. Unknown numbers do this.
    NoAnswer,
    /// Turns the call down after ringing for `after`: `NO CARRIER`.
    Rejects { after: Duration },
}

/// How a member calling the modem behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Keys pressed, each at its time after the modem answers: `0`-`9`, `*`,
    /// `#`, `A`-`D`.
    pub keys: Vec<(Duration, char)>,
    /// Hangs up this long after the answer; `None` waits for the modem.
    pub hang_up: Option<Duration>,
    /// Stops ringing if the modem has not answered by then.
    pub gives_up_after: Duration,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The far end (the callee, or the caller of a call coming in) hung up
    /// after the answer: `NO CARRIER`.
    HungUpByCallee,
    /// `ATH` or `AT+CHUP` after the answer, or before an outgoing call was
    /// answered.
    HungUpByModem,
    /// `ATH` or `AT+CHUP` turned down a call coming in while it rang.
    RejectedByModem,
    /// The far end was busy; for a call coming in, the modem was already in
    /// a call and never heard of it.
    Busy,
    /// Nobody answered: the called number rang out (`NO ANSWER`), or the
    /// caller of a call coming in gave up first (`NO CARRIER`).
    NoAnswer,
    Rejected,
    /// A reboot, a hang or an unplug ended it without a word.
    Dropped,
}

/// A file played into a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    pub file: String,
    /// The WAV's playing time.
    pub length: Duration,
    /// How long it played before it ended, was stopped or the call ended.
    pub played: Duration,
    /// It played to its end (`+QPSND: 0` without `AT+QPSND=0`).
    pub complete: bool,
}

/// A key the far end pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPress {
    pub key: char,
    pub at: Instant,
    /// Key detection was on, so `+QTONEDET` told the driver.
    pub reported: bool,
}

/// A call the modem placed or was offered, as the network saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The number called, or the caller's.
    pub number: String,
    /// A member called the modem (mobile terminated).
    pub incoming: bool,
    /// When the modem dialled, or when a call coming in reached it.
    pub dialled: Instant,
    pub answered: Option<Instant>,
    pub ended: Option<Instant>,
    /// `None` while the call goes on.
    pub outcome: Option<CallOutcome>,
    pub played: Vec<Played>,
    pub keys: Vec<KeyPress>,
}

enum Control {
    Sms {
        from: String,
        text: String,
        /// Which parts (1-based) of a long message the network delivers;
        /// empty means all.
        parts: Vec<u8>,
    },
    Fault(Fault),
    CallIn {
        from: String,
        caller: Caller,
    },
}

struct Stored {
    pdu: String,
    read: bool,
}

#[derive(Default)]
struct Storage(BTreeMap<u16, Stored>);

impl Storage {
    fn insert(&mut self, pdu: String) -> Option<u16> {
        let index = (0..CAPACITY).find(|i| !self.0.contains_key(i))?;
        self.0.insert(index, Stored { pdu, read: false });
        Some(index)
    }
}

#[derive(Default)]
struct Shared {
    sent: Vec<SentPdu>,
    me: Storage,
    sr: Storage,
    /// The flash: survives reboots.
    files: BTreeMap<String, Vec<u8>>,
    callees: BTreeMap<String, Callee>,
    calls: Vec<CallRecord>,
    /// The TP-ST a number's status reports carry; numbers not set: 0x00,
    /// received.
    report_status: BTreeMap<String, u8>,
}

/// Handle to a running simulated modem; dropping it stops the modem.
pub struct SimModem {
    shell: Handle<Control>,
    shared: Arc<Mutex<Shared>>,
}

impl SimModem {
    /// Creates the pty, makes `link` a symlink to its slave (replacing an
    /// existing symlink, never a file) and serves it on a thread.
    pub fn start(link: &Path, config: SimModemConfig) -> io::Result<SimModem> {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let modem = |port| Modem::new(port, config, Arc::clone(&shared));
        let shell = Handle::start(link, "sim-modem", modem)?;
        Ok(SimModem { shell, shared })
    }

    /// An SMS arrives from the network (in several parts if long).
    pub fn receive_sms(&self, from: &str, text: &str) {
        self.receive_sms_parts(from, text, &[]);
    }

    /// Only `parts` (1-based) of a long SMS arrive; the network loses the
    /// rest.
    pub fn receive_sms_parts(&self, from: &str, text: &str, parts: &[u8]) {
        let (from, text) = (from.to_owned(), text.to_owned());
        self.shell.send(Control::Sms {
            from,
            text,
            parts: parts.to_vec(),
        });
    }

    pub fn fault(&self, fault: Fault) {
        self.shell.send(Control::Fault(fault));
    }

    /// Every PDU the network accepted, in order.
    pub fn sent(&self) -> Vec<SentPdu> {
        lock(&self.shared).sent.clone()
    }

    /// Messages in storage: received SMS ("ME") plus stored status reports ("SR").
    pub fn stored_count(&self) -> usize {
        let shared = lock(&self.shared);
        shared.me.0.len() + shared.sr.0.len()
    }

    /// How the person at `number` behaves from the next call on; numbers
    /// never set do not answer.
    pub fn set_callee(&self, number: &str, callee: Callee) {
        lock(&self.shared).callees.insert(number.to_owned(), callee);
    }

    /// The network's final word on messages to `number` from now on: the
    /// TP-ST of their status reports (3GPP TS 23.040 9.2.3.15), e.g. 0x43
    /// for a number that does not exist.
    pub fn set_report_status(&self, number: &str, status: u8) {
        lock(&self.shared)
            .report_status
            .insert(number.to_owned(), status);
    }

    /// A member calls the modem from `from`: it rings until the driver
    /// answers with `ATA` or turns the call down, or the caller gives up. A
    /// modem already in a call never hears of it (recorded as `Busy`).
    pub fn call_in(&self, from: &str, caller: Caller) {
        let from = from.to_owned();
        self.shell.send(Control::CallIn { from, caller });
    }

    /// Every call placed or offered, in order, the current one included.
    pub fn calls(&self) -> Vec<CallRecord> {
        lock(&self.shared).calls.clone()
    }

    /// The files on the modem's flash, by name.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.shared).files.clone()
    }

    pub fn link(&self) -> &Path {
        self.shell.link()
    }

    /// Ends the thread (the driver's port sees a hangup) and removes the link.
    pub fn stop(&self) {
        self.shell.stop();
    }
}

/// Echo is the shell's, as it is on every device.
struct Settings {
    cmee: u8,
    /// `AT+CNMI` mode, mt, bm, ds, bfr.
    cnmi: [u8; 5],
    /// URC modes of `AT+CREG`, `AT+CGREG`, `AT+CEREG`.
    reg: [u8; 3],
    cfun: u8,
    cmgf: u8,
    /// `AT+CPMS` put mem1 on "SR": reads and deletes go to the status reports.
    read_sr: bool,
    /// `AT+CLIP=1`: each `RING` is followed by the caller's number.
    clip: bool,
}

impl Default for Settings {
    fn default() -> Self {
        // EC25 power-on state: echo on, numeric CME errors, nothing routed.
        let (cnmi, reg) = ([0; 5], [0; 3]);
        Settings {
            cmee: 1,
            cnmi,
            reg,
            cfun: 1,
            cmgf: 0,
            read_sr: false,
            clip: false,
        }
    }
}

struct Prompt {
    length: usize,
    hex: String,
    overflow: bool,
}

struct Accepted {
    hex: String,
    mr: u8,
    to: String,
    report: bool,
}

struct InFlight {
    due: Instant,
    outcome: Result<Accepted, u16>,
}

/// What happens next in a call, at its time.
#[derive(Clone, Copy)]
enum Event {
    Alerting,
    Answer,
    /// A call coming in rings again.
    Ring,
    Key(char),
    End(CallOutcome),
    PlaybackDone,
}

struct Playing {
    file: String,
    started: Instant,
    length: Duration,
}

/// Who is at the other end of a call: the callee of an outgoing call or the
/// caller of an incoming one.
enum FarEnd {
    Callee(Callee),
    Caller(Caller),
}

struct Call {
    number: String,
    /// `AT+CLCC` state: 2 dialing, 3 alerting, 4 incoming, 0 active.
    state: u8,
    far: FarEnd,
    /// Index of its record in the shared call log.
    record: usize,
    events: Vec<(Instant, Event)>,
    playing: Option<Playing>,
}

impl Call {
    /// The `+CLCC` and ccinfo fields, from the call's id on.
    fn fields(&self, state: u8) -> String {
        let kind = address_type(&self.number);
        let dir = u8::from(self.incoming());
        format!("1,{dir},{state},0,0,\"{}\",{kind}", self.number)
    }

    fn incoming(&self) -> bool {
        matches!(self.far, FarEnd::Caller(_))
    }

    /// What the far end does once the call is answered: keys and a hang-up.
    fn after_answer(&self) -> (&[(Duration, char)], Option<Duration>) {
        match &self.far {
            FarEnd::Callee(Callee::Answers { keys, hang_up, .. }) => (keys, *hang_up),
            FarEnd::Caller(caller) => (&caller.keys, caller.hang_up),
            FarEnd::Callee(_) => (&[], None),
        }
    }

    /// The call is active from `at`: the far end's keys and hang-up count
    /// from it. Returns the ccinfo the driver may be told.
    fn connect(&mut self, at: Instant, shared: &Mutex<Shared>) -> String {
        self.state = 0;
        let (keys, hang_up) = self.after_answer();
        let keys = keys.iter().map(|(t, k)| (at + *t, Event::Key(*k)));
        let end = hang_up.map(|t| (at + t, Event::End(CallOutcome::HungUpByCallee)));
        let events: Vec<_> = keys.chain(end).collect();
        self.events.extend(events);
        if let Some(record) = lock(shared).calls.get_mut(self.record) {
            record.answered = Some(at);
        }
        ccinfo(self, 0)
    }

    fn next_due(&self, now: Instant) -> Option<usize> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| *t <= now)
            .min_by_key(|(_, (t, _))| *t)
            .map(|(i, _)| i)
    }
}

/// `AT+QFUPL` taking its bytes.
struct Upload {
    name: String,
    size: usize,
    data: Vec<u8>,
    timeout: Duration,
    last: Instant,
}

/// What a power cycle loses besides the shell's echo, input and held URCs;
/// storage and the sent log live in `Shared`.
#[derive(Default)]
struct Volatile {
    settings: Settings,
    prompt: Option<Prompt>,
    /// A send in the air blocks the command line: input waits unread.
    in_flight: Option<InFlight>,
    reports: Vec<(Instant, String)>,
    /// `AT+QINDCFG="ccinfo",1`.
    ccinfo: bool,
    /// `AT+QTONEDET=1`.
    tone_detection: bool,
    call: Option<Call>,
    upload: Option<Upload>,
    /// URCs a command causes, written after its final result.
    after_result: Vec<String>,
}

#[derive(Default)]
struct Faults {
    cms_error: Option<(u16, u32)>,
    sim_busy: u32,
    drop_reports: bool,
}

enum Final {
    Ok,
    Error,
    Cme(u16),
    Cms(u16),
    Prompt,
    Connect,
    NoCarrier,
}

/// The EC25's command set; the port side is the shell's.
struct Modem {
    port: Port,
    config: SimModemConfig,
    shared: Arc<Mutex<Shared>>,
    /// When an `AT+CFUN=1,1` reboot ends on a port that stayed open.
    wake_at: Option<Instant>,
    boot_on_open: bool,
    boot_at: Option<Instant>,
    v: Volatile,
    faults: Faults,
    next_mr: u8,
    concat_ref: u8,
}

impl CommandSet for Modem {
    type Control = Control;
    const NAME: &'static str = "sim modem";
    const NOISE_TAIL: &'static [u8] = NOISE_TAIL;

    fn port(&mut self) -> &mut Port {
        &mut self.port
    }

    fn control(&mut self, message: Control) -> Option<shell::Fault> {
        match message {
            Control::Sms { from, text, parts } => self.deliver(&from, &text, &parts),
            Control::Fault(fault) => return self.apply(fault),
            Control::CallIn { from, caller } => self.ring(from, caller),
        }
        None
    }

    fn reboot(&mut self, cause: Cause) {
        self.end_call(CallOutcome::Dropped, Instant::now());
        self.wake_at = None;
        self.boot_at = None;
        self.v = Volatile::default();
        match cause {
            Cause::ClosedWhileHung => self.boot_on_open = true,
            Cause::Unplug => self.boot_on_open = false,
            Cause::Hang | Cause::Wake => {}
        }
    }

    fn opened(&mut self) {
        if std::mem::take(&mut self.boot_on_open) {
            self.boot_at = Some(Instant::now() + BOOT_DELAY);
        }
    }

    fn closed(&mut self) {
        self.port.line.clear();
        self.port.input.clear();
        self.v.prompt = None;
        self.boot_on_open |= self.boot_at.take().is_some();
    }

    fn timers(&mut self, now: Instant) {
        if self.wake_at.is_some_and(|t| t <= now) {
            self.restart(Cause::Wake);
            self.boot_at = Some(now);
        }
        if self.boot_at.is_some_and(|t| t <= now) {
            self.boot_at = None;
            self.port.say_bytes(BOOT);
        }
        if self.v.in_flight.as_ref().is_some_and(|f| f.due <= now) {
            if let Some(flight) = self.v.in_flight.take() {
                self.finish_send(flight.outcome, now);
            }
        }
        let reports = std::mem::take(&mut self.v.reports);
        let (due, later): (Vec<_>, _) = reports.into_iter().partition(|(t, _)| *t <= now);
        self.v.reports = later;
        for (_, report) in due {
            self.emit_report(report);
        }
        self.call_timers(now);
        if self
            .v
            .upload
            .as_ref()
            .is_some_and(|u| u.last + u.timeout <= now)
        {
            if let Some(upload) = self.v.upload.take() {
                tracing::debug!(file = %upload.name, got = upload.data.len(), "sim modem: upload timed out");
            }
            self.result(Final::Cme(UPLOAD_TIMED_OUT));
            self.port.release_held();
        }
    }

    fn idle(&self) -> bool {
        self.v.prompt.is_none() && self.v.in_flight.is_none() && self.v.upload.is_none()
    }

    fn holds_input(&self) -> bool {
        self.v.in_flight.is_some()
    }

    fn byte(&mut self, byte: u8) -> bool {
        if self.v.upload.is_some() {
            self.upload_byte(byte);
            return true;
        }
        if self.v.prompt.is_none() {
            return false;
        }
        self.prompt_byte(byte);
        true
    }

    fn line(&mut self, line: &[u8]) {
        self.execute(&String::from_utf8_lossy(line));
    }
}

impl Modem {
    fn new(mut port: Port, config: SimModemConfig, shared: Arc<Mutex<Shared>>) -> Modem {
        // Drivers must not assume references start at 0 or 1.
        let next_mr = port.random() as u8;
        let concat_ref = port.random() as u8;
        Modem {
            port,
            config,
            shared,
            wake_at: None,
            boot_on_open: false,
            boot_at: None,
            v: Volatile::default(),
            faults: Faults::default(),
            next_mr,
            concat_ref,
        }
    }

    fn apply(&mut self, fault: Fault) -> Option<shell::Fault> {
        tracing::warn!(?fault, "sim modem fault");
        match fault {
            Fault::CmsError { code, times } => {
                self.faults.cms_error = (times > 0).then_some((code, times));
            }
            Fault::Hang => return Some(shell::Fault::Hang),
            Fault::Garbage => return Some(shell::Fault::Garbage),
            Fault::Unplug { for_ } => return Some(shell::Fault::Unplug(for_)),
            Fault::SimBusy { times } => self.faults.sim_busy = times,
            Fault::DropReports => {
                self.faults.drop_reports = true;
                self.v.reports.clear();
            }
        }
        None
    }

    fn say(&mut self, text: &str) {
        self.port.say(text);
    }

    fn urc(&mut self, text: &str) {
        let holding = self.v.prompt.is_some() || self.v.upload.is_some();
        self.port.urc(holding, text);
    }

    fn deliver(&mut self, from: &str, text: &str, only: &[u8]) {
        let parts = pdu::encode_deliver(from, text, network_timestamp(), self.concat_ref);
        self.concat_ref = self.concat_ref.wrapping_add(1);
        let mt = self.v.settings.cnmi[1];
        let kept = parts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| only.is_empty() || only.iter().any(|p| usize::from(*p) == i + 1));
        for (_, part) in kept {
            // Direct delivery to a closed port would lose the message; store it instead.
            if mt == 2 && self.port.connected && !self.port.hung {
                self.urc(&format!("+CMT: ,{}\r\n{part}", tpdu_len(&part)));
                continue;
            }
            let index = lock(&self.shared).me.insert(part);
            match index {
                None => tracing::warn!(%from, "sim modem storage full: SMS dropped"),
                Some(index) if mt == 1 || mt == 3 => self.urc(&format!("+CMTI: \"ME\",{index}")),
                Some(_) => {}
            }
        }
    }

    fn emit_report(&mut self, report: String) {
        match self.v.settings.cnmi[3] {
            _ if self.faults.drop_reports => {}
            1 => self.urc(&format!("+CDS: {}\r\n{report}", tpdu_len(&report))),
            2 => {
                let index = lock(&self.shared).sr.insert(report);
                match index {
                    Some(index) => self.urc(&format!("+CDSI: \"SR\",{index}")),
                    None => tracing::warn!("sim modem SR storage full: report dropped"),
                }
            }
            _ => tracing::debug!("status report not routed (CNMI ds=0)"),
        }
    }

    fn finish_send(&mut self, outcome: Result<Accepted, u16>, now: Instant) {
        match outcome {
            Ok(sent) => {
                self.say(&format!("\r\n+CMGS: {}\r\n\r\nOK\r\n", sent.mr));
                if sent.report && !self.faults.drop_reports {
                    let status = lock(&self.shared)
                        .report_status
                        .get(&sent.to)
                        .copied()
                        .unwrap_or(0x00);
                    let report = pdu::encode_status_report(sent.mr, &sent.to, status);
                    self.v
                        .reports
                        .push((now + self.config.report_delay, report));
                }
                let (hex, reference) = (sent.hex, sent.mr);
                lock(&self.shared).sent.push(SentPdu {
                    hex,
                    reference,
                    at: now,
                });
            }
            Err(code) => self.say(&format!("\r\n+CMS ERROR: {code}\r\n")),
        }
    }

    fn prompt_byte(&mut self, byte: u8) {
        match byte {
            CTRL_Z | ESC => {
                match self.v.prompt.take() {
                    Some(prompt) if byte == CTRL_Z => self.submit(prompt),
                    _ => self.say("\r\nOK\r\n"),
                }
                // URCs held during the prompt go out in the network time, before +CMGS.
                self.port.release_held();
            }
            b'\r' | b'\n' | b' ' => {}
            _ => {
                if let Some(prompt) = self.v.prompt.as_mut() {
                    prompt.overflow |= prompt.hex.len() >= MAX_PDU_HEX;
                    if !prompt.overflow {
                        prompt.hex.push(char::from(byte).to_ascii_uppercase());
                    }
                }
                self.port.echo(byte);
            }
        }
    }

    fn submit(&mut self, prompt: Prompt) {
        let hex = prompt.hex;
        let decoded = if prompt.overflow || tpdu_octets(&hex) != Some(prompt.length) {
            Err(format!(
                "the TPDU is not the {} octets announced",
                prompt.length
            ))
        } else {
            pdu::decode_submit(&hex).map_err(|e| e.to_string())
        };
        let submit = match decoded {
            Ok(submit) => submit,
            Err(why) => {
                tracing::debug!(%hex, %why, "sim modem rejects the PDU");
                return self.say("\r\n+CMS ERROR: 304\r\n");
            }
        };
        let outcome = match self.faults.cms_error {
            Some((code, times)) => {
                tracing::warn!(code, "sim modem: the network refuses a send");
                self.faults.cms_error = (times > 1).then_some((code, times - 1));
                Err(code)
            }
            None => {
                let mr = self.next_mr;
                self.next_mr = mr.wrapping_add(1);
                let (to, report) = (submit.to, submit.status_report);
                Ok(Accepted {
                    hex,
                    mr,
                    to,
                    report,
                })
            }
        };
        let due = Instant::now() + self.config.network_delay;
        self.v.in_flight = Some(InFlight { due, outcome });
    }

    fn execute(&mut self, raw: &str) {
        let command = normalise(raw);
        if command.is_empty() {
            return;
        }
        let mut info = Vec::new();
        let result = match command.strip_prefix("AT") {
            Some(rest) => self.run_line(rest, &mut info),
            None => Final::Error,
        };
        if !info.is_empty() {
            self.say(&format!("\r\n{}\r\n", info.join("\r\n")));
        }
        self.result(result);
        for text in std::mem::take(&mut self.v.after_result) {
            self.urc(&text);
        }
    }

    fn result(&mut self, result: Final) {
        match result {
            Final::Ok => self.say("\r\nOK\r\n"),
            Final::Cme(_) if self.v.settings.cmee == 0 => self.say("\r\nERROR\r\n"),
            Final::Error => self.say("\r\nERROR\r\n"),
            Final::Cme(14) if self.v.settings.cmee == 2 => self.say("\r\n+CME ERROR: SIM busy\r\n"),
            Final::Cme(code) => self.say(&format!("\r\n+CME ERROR: {code}\r\n")),
            Final::Cms(code) => self.say(&format!("\r\n+CMS ERROR: {code}\r\n")),
            Final::Prompt => self.say("\r\n> "),
            Final::Connect => self.say("\r\nCONNECT\r\n"),
            Final::NoCarrier => self.say("\r\nNO CARRIER\r\n"),
        }
    }

    /// Basic commands chain without separators (`ATE0V1&C1`); extended ones
    /// are separated by `;`.
    fn run_line(&mut self, rest: &str, info: &mut Vec<String>) -> Final {
        // A dial string runs to the end of the line: its `+` is no extended command.
        if let Some(dial) = rest.strip_prefix('D') {
            return self.dial(dial);
        }
        // V.250: whatever follows `A` on the line is ignored.
        if rest.starts_with('A') {
            return self.answer();
        }
        let mut hang_up = false;
        let (settings, port) = (&mut self.v.settings, &mut self.port);
        let rest = basic(rest, |name, value| {
            match (name, value) {
                ("E", v) => port.echo = v == 1,
                ("Z", _) => (*settings, port.echo) = (Settings::default(), true),
                ("I", _) => info.extend(
                    ["Quectel", "EC25", format!("Revision: {REVISION}").as_str()]
                        .map(str::to_owned),
                ),
                ("H", 0) => hang_up = true,
                ("V", 1) | ("Q", 0) | ("X", _) | ("&C" | "&D" | "&F" | "&W", _) => {}
                _ => return false,
            }
            true
        });
        let Some(rest) = rest else {
            return Final::Error;
        };
        if hang_up {
            self.hang_up();
        }
        for part in split(rest, ';', true).into_iter().filter(|p| !p.is_empty()) {
            match self.extended(part, info) {
                Final::Ok => {}
                other => return other,
            }
        }
        Final::Ok
    }

    fn extended(&mut self, part: &str, info: &mut Vec<String>) -> Final {
        if let Some((_, answer)) = FIXED.iter().find(|(command, _)| *command == part) {
            info.extend((!answer.is_empty()).then(|| (*answer).to_owned()));
            return Final::Ok;
        }
        let Some((name, op)) = operation(part, true) else {
            return Final::Error;
        };
        let touches_sim =
            matches!(name, "+CPMS" | "+CMGS" | "+CMGL" | "+CMGR") && !matches!(op, Op::Test);
        if touches_sim && self.faults.sim_busy > 0 {
            self.faults.sim_busy -= 1;
            tracing::warn!(command = name, "sim modem: SIM busy");
            return Final::Cme(14);
        }
        let registration = ["+CREG", "+CGREG", "+CEREG"]
            .iter()
            .position(|r| *r == name);
        let s = &mut self.v.settings;
        match (name, op) {
            (_, Op::Set(_)) if IGNORED_SETS.contains(&name) => {}
            ("+CMEE", Op::Set(a)) => match arg(&a, 0) {
                Some(n @ 0..=2) => s.cmee = n,
                _ => return Final::Error,
            },
            ("+CMEE", Op::Read) => info.push(format!("+CMEE: {}", s.cmee)),
            ("+CMGF", Op::Set(a)) => match arg(&a, 0) {
                Some(n @ 0..=1) => s.cmgf = n,
                _ => return Final::Error,
            },
            ("+CMGF", Op::Read) => info.push(format!("+CMGF: {}", s.cmgf)),
            ("+CFUN", Op::Read) => info.push(format!("+CFUN: {}", s.cfun)),
            ("+CFUN", Op::Set(a)) => {
                match arg(&a, 0) {
                    Some(fun @ (0 | 1 | 4)) => s.cfun = fun,
                    _ => return Final::Error,
                }
                if arg::<u8>(&a, 1) == Some(1) {
                    self.end_call(CallOutcome::Dropped, Instant::now());
                    // OK first, then silence until the port closes or the reboot is over.
                    self.port.hung = true;
                    self.wake_at = Some(Instant::now() + REBOOT_TIME);
                }
            }
            (_, Op::Set(a)) if registration.is_some() => {
                match (arg(&a, 0), registration.and_then(|i| s.reg.get_mut(i))) {
                    (Some(n @ 0..=2), Some(slot)) => *slot = n,
                    _ => return Final::Error,
                }
            }
            (_, Op::Test) if registration.is_some() => info.push(format!("{name}: (0-2)")),
            (_, Op::Read) if registration.is_some() => {
                let n = registration
                    .and_then(|i| s.reg.get(i))
                    .copied()
                    .unwrap_or(0);
                info.push(format!("{name}: {n},{}", u8::from(s.cfun == 1)));
            }
            ("+CHUP", Op::Exec) => self.hang_up(),
            ("+CLIP", Op::Set(a)) => match arg(&a, 0) {
                Some(n @ 0..=1) => s.clip = n == 1,
                _ => return Final::Error,
            },
            // The network provisions CLIP for every subscriber it simulates.
            ("+CLIP", Op::Read) => info.push(format!("+CLIP: {},1", u8::from(s.clip))),
            ("+CLIP", Op::Test) => info.push("+CLIP: (0,1)".to_owned()),
            ("+CLCC", Op::Exec) => {
                if let Some(call) = &self.v.call {
                    info.push(format!("+CLCC: {}", call.fields(call.state)));
                }
            }
            ("+QINDCFG", Op::Set(a)) => {
                let on = match a.get(1).map(String::as_str) {
                    None => None,
                    Some("0") => Some(false),
                    Some("1") => Some(true),
                    Some(_) => return Final::Error,
                };
                match (a.first().map(|k| k.to_ascii_lowercase()), on) {
                    (Some(k), Some(on)) if k == "ccinfo" => self.v.ccinfo = on,
                    (Some(k), None) if k == "ccinfo" => {
                        info.push(format!("+QINDCFG: \"ccinfo\",{}", u8::from(self.v.ccinfo)));
                    }
                    // Other indications are accepted; the simulator sends none of them.
                    (Some(_), _) => {}
                    (None, _) => return Final::Error,
                }
            }
            ("+QTONEDET", Op::Set(a)) => match arg(&a, 0) {
                Some(n @ 0..=1) => self.v.tone_detection = n == 1,
                _ => return Final::Error,
            },
            ("+QTONEDET", Op::Read) => {
                info.push(format!("+QTONEDET: {}", u8::from(self.v.tone_detection)));
            }
            ("+QFUPL", Op::Set(a)) => return self.start_upload(&a),
            ("+QFDEL", Op::Set(a)) => {
                let Some(name) = a.first() else {
                    return Final::Error;
                };
                let mut shared = lock(&self.shared);
                if name == "*" {
                    shared.files.clear();
                } else if shared.files.remove(name).is_none() {
                    return Final::Cme(NOT_FOUND);
                }
            }
            ("+QFLST", op @ (Op::Exec | Op::Set(_))) => {
                // `AT+QFLST="*"` lists everything, as the bare command does; a
                // name lists that file if it is there.
                let pattern = match &op {
                    Op::Set(a) => a.first().cloned().unwrap_or_default(),
                    _ => "*".to_owned(),
                };
                let shared = lock(&self.shared);
                for (name, data) in &shared.files {
                    if pattern == "*" || pattern == *name {
                        info.push(format!("+QFLST: \"{name}\",{}", data.len()));
                    }
                }
            }
            ("+QPSND", Op::Set(a)) => return self.play(&a),
            ("+CSQ", Op::Exec) => info.push(format!("+CSQ: {},99", self.config.signal)),
            ("+COPS", Op::Read) => info.push(format!("+COPS: 0,0,\"{}\",7", self.config.operator)),
            ("+CSMS", Op::Set(_)) => info.push("+CSMS: 1,1,1".to_owned()),
            ("+CNMI", Op::Set(a)) => {
                for (i, (value, limit)) in a.iter().zip([3, 3, 3, 2, 1]).enumerate() {
                    match (value.parse::<u8>(), s.cnmi.get_mut(i)) {
                        _ if value.is_empty() => {}
                        (Ok(v), Some(slot)) if v <= limit => *slot = v,
                        _ => return Final::Error,
                    }
                }
            }
            ("+CNMI", Op::Read) => {
                let [mode, mt, bm, ds, bfr] = s.cnmi;
                info.push(format!("+CNMI: {mode},{mt},{bm},{ds},{bfr}"));
            }
            ("+CPMS", Op::Set(a)) => {
                let memory = |i: usize| a.get(i).map(|m| m.to_ascii_uppercase());
                let ok = |m: Option<String>| m.is_none_or(|m| m == "ME" || m == "SM" || m == "MT");
                let read_sr = memory(0).as_deref() == Some("SR");
                if a.len() > 3 || !(read_sr || ok(memory(0))) || !ok(memory(1)) || !ok(memory(2)) {
                    return Final::Cms(302);
                }
                s.read_sr = read_sr;
                let shared = lock(&self.shared);
                let (me, sr) = (shared.me.0.len(), shared.sr.0.len());
                let first = if read_sr { sr } else { me };
                info.push(format!(
                    "+CPMS: {first},{CAPACITY},{me},{CAPACITY},{me},{CAPACITY}"
                ));
            }
            ("+CPMS", Op::Read) => {
                let shared = lock(&self.shared);
                let me = shared.me.0.len();
                let (name, first) = if s.read_sr {
                    ("SR", shared.sr.0.len())
                } else {
                    ("ME", me)
                };
                let me = format!("\"ME\",{me},{CAPACITY}");
                info.push(format!("+CPMS: \"{name}\",{first},{CAPACITY},{me},{me}"));
            }
            ("+CMGS", Op::Set(a)) => match arg(&a, 0) {
                Some(length @ 1..=176) => {
                    self.v.prompt = Some(Prompt {
                        length,
                        hex: String::new(),
                        overflow: false,
                    });
                    return Final::Prompt;
                }
                _ => return Final::Cms(304),
            },
            ("+CMGR", Op::Set(a)) => {
                let Some(index) = arg(&a, 0) else {
                    return Final::Error;
                };
                return self.with_store(|store| match store.0.get_mut(&index) {
                    Some(stored) => {
                        info.push(format!(
                            "+CMGR: {},,{}",
                            u8::from(stored.read),
                            tpdu_len(&stored.pdu)
                        ));
                        info.push(stored.pdu.clone());
                        stored.read = true;
                        Final::Ok
                    }
                    None => Final::Cms(321),
                });
            }
            ("+CMGL", Op::Exec) => self.list(0, info),
            ("+CMGL", Op::Set(a)) => match arg(&a, 0) {
                Some(stat @ 0..=4) => self.list(stat, info),
                _ => return Final::Error,
            },
            ("+CMGD", Op::Set(a)) => {
                let (Some(index), flag @ 0..=4) = (arg::<u16>(&a, 0), arg(&a, 1).unwrap_or(0u8))
                else {
                    return Final::Error;
                };
                self.with_store(|store| match flag {
                    0 => drop(store.0.remove(&index)),
                    1..=3 => store.0.retain(|_, m| !m.read),
                    _ => store.0.clear(),
                });
            }
            _ => return Final::Error,
        }
        Final::Ok
    }

    /// Runs `f` on the storage `AT+CPMS` chose for reading and deleting.
    fn with_store<R>(&self, f: impl FnOnce(&mut Storage) -> R) -> R {
        let mut shared = lock(&self.shared);
        f(if self.v.settings.read_sr {
            &mut shared.sr
        } else {
            &mut shared.me
        })
    }

    /// `AT+CMGL=<stat>` (4: all); like a real modem, listing marks messages read.
    fn list(&self, stat: u8, info: &mut Vec<String>) {
        self.with_store(|store| {
            for (index, stored) in store.0.iter_mut() {
                let status = u8::from(stored.read);
                if stat == 4 || stat == status {
                    info.push(format!(
                        "+CMGL: {index},{status},,{}",
                        tpdu_len(&stored.pdu)
                    ));
                    info.push(stored.pdu.clone());
                    stored.read = true;
                }
            }
        });
    }
}

/// Voice calls and the files played into them.
impl Modem {
    /// `ATD<number>;`: `OK` at once, progress as URCs.
    fn dial(&mut self, dial: &str) -> Final {
        let number = dial.strip_suffix(';').unwrap_or("");
        let digits = number.strip_prefix('+').unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Final::Cme(NOT_ALLOWED);
        }
        if self.v.call.is_some() {
            return Final::Cme(NOT_ALLOWED);
        }
        let now = Instant::now();
        let mut shared = lock(&self.shared);
        let callee = shared
            .callees
            .get(number)
            .cloned()
            .unwrap_or(Callee::NoAnswer);
        shared.calls.push(CallRecord {
            number: number.to_owned(),
            incoming: false,
            dialled: now,
            answered: None,
            ended: None,
            outcome: None,
            played: Vec::new(),
            keys: Vec::new(),
        });
        let record = shared.calls.len() - 1;
        drop(shared);
        tracing::debug!(%number, ?callee, "sim modem dials");
        let call = Call {
            number: number.to_owned(),
            state: 2,
            far: FarEnd::Callee(callee),
            record,
            events: vec![(now + DIAL_TIME, Event::Alerting)],
            playing: None,
        };
        if self.v.ccinfo {
            self.v.after_result.push(ccinfo(&call, 2));
        }
        self.v.call = Some(call);
        Final::Ok
    }

    /// `ATH` and `AT+CHUP`: `OK` with or without a call; the driver hung up,
    /// so no `NO CARRIER`. A call coming in that still rings is turned down.
    fn hang_up(&mut self) {
        let ringing = self.v.call.as_ref().is_some_and(|c| c.state == 4);
        let outcome = if ringing {
            CallOutcome::RejectedByModem
        } else {
            CallOutcome::HungUpByModem
        };
        self.end_call(outcome, Instant::now());
    }

    /// A member calls in: ccinfo 4 and the first `RING` at once, more `RING`s
    /// until the answer or the caller gives up.
    fn ring(&mut self, from: String, caller: Caller) {
        let now = Instant::now();
        let mut shared = lock(&self.shared);
        let busy = self.v.call.is_some();
        shared.calls.push(CallRecord {
            number: from.clone(),
            incoming: true,
            dialled: now,
            answered: None,
            ended: busy.then_some(now),
            outcome: busy.then_some(CallOutcome::Busy),
            played: Vec::new(),
            keys: Vec::new(),
        });
        let record = shared.calls.len() - 1;
        drop(shared);
        if busy {
            // Without call waiting the network tells the caller the line is
            // busy; the modem sees nothing.
            tracing::debug!(%from, "sim modem in a call: the caller hears busy");
            return;
        }
        tracing::debug!(%from, ?caller, "sim modem rings");
        let give_up = (
            now + caller.gives_up_after,
            Event::End(CallOutcome::NoAnswer),
        );
        let call = Call {
            number: from,
            state: 4,
            far: FarEnd::Caller(caller),
            record,
            events: vec![(now, Event::Ring), give_up],
            playing: None,
        };
        if self.v.ccinfo {
            self.urc(&ccinfo(&call, 4));
        }
        self.v.call = Some(call);
    }

    /// `ATA`: `OK` and the call is active; `NO CARRIER` if nothing rings.
    fn answer(&mut self) -> Final {
        let now = Instant::now();
        let Some(call) = self.v.call.as_mut().filter(|c| c.state == 4) else {
            return Final::NoCarrier;
        };
        // The caller no longer gives up and the ringing stops.
        call.events
            .retain(|(_, e)| !matches!(e, Event::Ring | Event::End(_)));
        let text = call.connect(now, &self.shared);
        if self.v.ccinfo {
            self.v.after_result.push(text);
        }
        Final::Ok
    }

    /// Ends the call, if any, and tells the driver what `outcome` tells it.
    fn end_call(&mut self, outcome: CallOutcome, now: Instant) {
        let Some(mut call) = self.v.call.take() else {
            return;
        };
        tracing::debug!(number = %call.number, ?outcome, "sim modem call ends");
        let played = call.playing.take().map(|p| played(p, now, false));
        if let Some(record) = lock(&self.shared).calls.get_mut(call.record) {
            record.ended = Some(now);
            record.outcome = Some(outcome);
            record.played.extend(played);
        }
        let released = ccinfo(&call, 7);
        let code = match outcome {
            CallOutcome::Dropped => return,
            CallOutcome::HungUpByModem | CallOutcome::RejectedByModem => {
                if self.v.ccinfo {
                    self.v.after_result.push(released);
                }
                return;
            }
            CallOutcome::HungUpByCallee | CallOutcome::Rejected => "NO CARRIER",
            CallOutcome::Busy => "BUSY",
            // The caller hung up before the answer, as far as the modem knows.
            CallOutcome::NoAnswer if call.incoming() => "NO CARRIER",
            CallOutcome::NoAnswer => "NO ANSWER",
        };
        if self.v.ccinfo {
            self.urc(&released);
        }
        self.urc(code);
    }

    /// Serves the call's events that are due, in their order.
    fn call_timers(&mut self, now: Instant) {
        loop {
            let Some(call) = self.v.call.as_mut() else {
                return;
            };
            let Some(i) = call.next_due(now) else {
                return;
            };
            let (at, event) = call.events.swap_remove(i);
            self.call_event(at, event);
        }
    }

    /// `at` is when the event was due: later events count from it, not from
    /// the tick that served it.
    fn call_event(&mut self, at: Instant, event: Event) {
        let ring_time = self.config.ring_time;
        let Some(call) = self.v.call.as_mut() else {
            return;
        };
        match event {
            Event::Alerting => {
                call.state = 3;
                let next = match &call.far {
                    FarEnd::Callee(Callee::Answers { after, .. }) if *after < ring_time => {
                        (*after, Event::Answer)
                    }
                    FarEnd::Callee(Callee::Busy) => (BUSY_AFTER, Event::End(CallOutcome::Busy)),
                    FarEnd::Callee(Callee::Rejects { after }) if *after < ring_time => {
                        (*after, Event::End(CallOutcome::Rejected))
                    }
                    _ => (ring_time, Event::End(CallOutcome::NoAnswer)),
                };
                call.events.push((at + next.0, next.1));
                let text = ccinfo(call, 3);
                if self.v.ccinfo {
                    self.urc(&text);
                }
            }
            Event::Answer => {
                let text = call.connect(at, &self.shared);
                if self.v.ccinfo {
                    self.urc(&text);
                }
            }
            Event::Ring => {
                call.events.push((at + RING_INTERVAL, Event::Ring));
                let clip = self.v.settings.clip.then(|| {
                    let kind = address_type(&call.number);
                    format!("+CLIP: \"{}\",{kind},\"\",,\"\",0", call.number)
                });
                self.urc("RING");
                if let Some(clip) = clip {
                    self.urc(&clip);
                }
            }
            Event::Key(key) => {
                let reported = self.v.tone_detection;
                if let Some(record) = lock(&self.shared).calls.get_mut(call.record) {
                    record.keys.push(KeyPress { key, at, reported });
                }
                if reported {
                    self.urc(&format!("+QTONEDET: {}", u32::from(key)));
                }
            }
            Event::PlaybackDone => {
                if let Some(playing) = call.playing.take() {
                    let played = played(playing, at, true);
                    if let Some(record) = lock(&self.shared).calls.get_mut(call.record) {
                        record.played.push(played);
                    }
                    self.urc("+QPSND: 0");
                }
            }
            Event::End(outcome) => self.end_call(outcome, at),
        }
    }

    /// `AT+QPSND=1,"<file>",<repeat>,<ul>,<dl>` plays into the active call;
    /// `AT+QPSND=0` stops.
    fn play(&mut self, args: &[String]) -> Final {
        let now = Instant::now();
        match arg::<u8>(args, 0) {
            Some(0) => {
                if let Some(call) = self.v.call.as_mut() {
                    call.events
                        .retain(|(_, e)| !matches!(e, Event::PlaybackDone));
                    if let Some(playing) = call.playing.take() {
                        let played = played(playing, now, false);
                        if let Some(record) = lock(&self.shared).calls.get_mut(call.record) {
                            record.played.push(played);
                        }
                        self.v.after_result.push("+QPSND: 0".to_owned());
                    }
                }
                Final::Ok
            }
            Some(1) => {
                let Some(name) = args.get(1) else {
                    return Final::Error;
                };
                let Some(call) = self.v.call.as_mut().filter(|c| c.state == 0) else {
                    return Final::Cme(NOT_ALLOWED);
                };
                if call.playing.is_some() {
                    return Final::Cme(NOT_ALLOWED);
                }
                let length = match lock(&self.shared).files.get(name) {
                    None => return Final::Cme(NOT_FOUND),
                    Some(data) => wav_length(data),
                };
                let Some(length) = length else {
                    return Final::Cme(NOT_PLAYABLE);
                };
                call.playing = Some(Playing {
                    file: name.clone(),
                    started: now,
                    length,
                });
                call.events.push((now + length, Event::PlaybackDone));
                Final::Ok
            }
            _ => Final::Error,
        }
    }

    /// `AT+QFUPL="<name>",<size>[,<timeout>]`: `CONNECT`, then the bytes.
    fn start_upload(&mut self, args: &[String]) -> Final {
        let (Some(name), Some(size)) = (args.first(), arg::<usize>(args, 1)) else {
            return Final::Error;
        };
        if name.is_empty() || size == 0 || size > MAX_FILE {
            return Final::Error;
        }
        let timeout = match args.get(2) {
            None => UPLOAD_TIMEOUT,
            Some(t) => match t.parse() {
                Ok(secs) => Duration::from_secs(secs),
                Err(_) => return Final::Error,
            },
        };
        if lock(&self.shared).files.contains_key(name) {
            return Final::Cme(EXISTS);
        }
        self.v.upload = Some(Upload {
            name: name.clone(),
            size,
            data: Vec::with_capacity(size),
            timeout,
            last: Instant::now(),
        });
        Final::Connect
    }

    /// Raw file data: nothing is echoed, every byte counts.
    fn upload_byte(&mut self, byte: u8) {
        let Some(upload) = self.v.upload.as_mut() else {
            return;
        };
        upload.data.push(byte);
        upload.last = Instant::now();
        if upload.data.len() < upload.size {
            return;
        }
        let Some(upload) = self.v.upload.take() else {
            return;
        };
        let (size, sum) = (upload.data.len(), checksum(&upload.data));
        lock(&self.shared).files.insert(upload.name, upload.data);
        self.say(&format!("\r\n+QFUPL: {size},{sum:x}\r\n\r\nOK\r\n"));
        self.port.release_held();
    }
}

/// The `<type>` of `+CLCC`, ccinfo and `+CLIP`: international with a `+`.
fn address_type(number: &str) -> u8 {
    if number.starts_with('+') {
        145
    } else {
        129
    }
}

/// `+QIND: "ccinfo",...` for `call` in `state` (4: incoming, 7: released).
fn ccinfo(call: &Call, state: u8) -> String {
    format!("+QIND: \"ccinfo\",{}", call.fields(state))
}

fn played(playing: Playing, now: Instant, complete: bool) -> Played {
    let played = now.saturating_duration_since(playing.started);
    Played {
        file: playing.file,
        played: if complete {
            playing.length
        } else {
            played.min(playing.length)
        },
        length: playing.length,
        complete,
    }
}

/// The `+QFUPL` checksum: XOR of big-endian 16-bit words, an odd last byte
/// padded with a zero.
fn checksum(data: &[u8]) -> u16 {
    data.chunks(2).fold(0, |sum, pair| {
        let high = pair.first().copied().unwrap_or(0);
        let low = pair.get(1).copied().unwrap_or(0);
        sum ^ u16::from_be_bytes([high, low])
    })
}

/// The playing time of a mono 16-bit PCM WAV at 8 or 16 kHz, the formats the
/// modem plays into a call; `None` for anything else.
fn wav_length(bytes: &[u8]) -> Option<Duration> {
    let le16 = |b: &[u8], at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let le32 = |b: &[u8], at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut rate = None;
    let mut at = 12usize;
    while let Some(id) = bytes.get(at..at + 4) {
        let size = usize::try_from(le32(bytes, at + 4)?).ok()?;
        let body = at + 8;
        match id {
            b"fmt " => {
                let format = (
                    le16(bytes, body)?,
                    le16(bytes, body + 2)?,
                    le32(bytes, body + 4)?,
                );
                let bits = le16(bytes, body + 14)?;
                match (format, bits) {
                    ((1, 1, hz @ (8000 | 16000)), 16) => rate = Some(u64::from(hz)),
                    _ => return None,
                }
            }
            b"data" => {
                // A truncated data chunk plays what is there.
                let length = size.min(bytes.len().saturating_sub(body));
                let samples = u64::try_from(length / 2).ok()?;
                return Some(Duration::from_micros(samples * 1_000_000 / rate?));
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = body.checked_add(size)?.checked_add(size % 2)?;
    }
    None
}

/// Octets after the SMSC field, if `hex` is well-formed hex.
fn tpdu_octets(hex: &str) -> Option<usize> {
    if hex.len() % 2 == 1 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let smsc = u8::from_str_radix(hex.get(..2)?, 16).ok()?;
    (hex.len() / 2).checked_sub(1 + usize::from(smsc))
}

/// The `<len>` of `+CMGR`, `+CMGL`, `+CMT` and `+CDS`.
fn tpdu_len(hex: &str) -> usize {
    tpdu_octets(hex).unwrap_or(0)
}

/// The service centre time stamp of an arriving SMS, in UTC.
fn network_timestamp() -> (u8, u8, u8, u8, u8, u8) {
    let now = time::OffsetDateTime::now_utc();
    let year = u8::try_from(now.year().rem_euclid(100)).unwrap_or(0);
    (
        year,
        now.month().into(),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
    )
}

#[cfg(test)]
mod tests;
