//! A simulated Quectel EC25-class GSM modem on a pseudo-terminal.
//!
//! Tests and the demo run the real serial driver against it, so it speaks the
//! bytes a real modem speaks (3GPP TS 27.007 / 27.005, PDU mode): echo until
//! `ATE0`, `\r\n`-framed answers, the `> ` prompt of `AT+CMGS`, URCs that
//! arrive while a send is in the air, and on demand the faults real hardware
//! shows: network refusals, hung firmware, a USB unplug, a busy SIM and noise.
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
}

impl Default for SimModemConfig {
    fn default() -> Self {
        SimModemConfig {
            network_delay: Duration::from_secs(1),
            report_delay: Duration::from_millis(500),
            operator: "Tocsin Sim".to_owned(),
            signal: 20,
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

enum Control {
    Sms {
        from: String,
        text: String,
        /// Which parts (1-based) of a long message the network delivers;
        /// empty means all.
        parts: Vec<u8>,
    },
    Fault(Fault),
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

/// What a power cycle loses besides the shell's echo, input and held URCs;
/// storage and the sent log live in `Shared`.
#[derive(Default)]
struct Volatile {
    settings: Settings,
    prompt: Option<Prompt>,
    /// A send in the air blocks the command line: input waits unread.
    in_flight: Option<InFlight>,
    reports: Vec<(Instant, String)>,
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
        }
        None
    }

    fn reboot(&mut self, cause: Cause) {
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
    }

    fn idle(&self) -> bool {
        self.v.prompt.is_none() && self.v.in_flight.is_none()
    }

    fn holds_input(&self) -> bool {
        self.v.in_flight.is_some()
    }

    fn byte(&mut self, byte: u8) -> bool {
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
        self.port.urc(self.v.prompt.is_some(), text);
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
                    let report = pdu::encode_status_report(sent.mr, &sent.to, 0x00);
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
        match result {
            Final::Ok => self.say("\r\nOK\r\n"),
            Final::Cme(_) if self.v.settings.cmee == 0 => self.say("\r\nERROR\r\n"),
            Final::Error => self.say("\r\nERROR\r\n"),
            Final::Cme(14) if self.v.settings.cmee == 2 => self.say("\r\n+CME ERROR: SIM busy\r\n"),
            Final::Cme(code) => self.say(&format!("\r\n+CME ERROR: {code}\r\n")),
            Final::Cms(code) => self.say(&format!("\r\n+CMS ERROR: {code}\r\n")),
            Final::Prompt => self.say("\r\n> "),
        }
    }

    /// Basic commands chain without separators (`ATE0V1&C1`); extended ones
    /// are separated by `;`.
    fn run_line(&mut self, rest: &str, info: &mut Vec<String>) -> Final {
        let (settings, port) = (&mut self.v.settings, &mut self.port);
        let rest = basic(rest, |name, value| {
            match (name, value) {
                ("E", v) => port.echo = v == 1,
                ("Z", _) => (*settings, port.echo) = (Settings::default(), true),
                ("I", _) => info.extend(
                    ["Quectel", "EC25", format!("Revision: {REVISION}").as_str()]
                        .map(str::to_owned),
                ),
                ("V", 1) | ("Q", 0) | ("X", _) | ("&C" | "&D" | "&F" | "&W", _) => {}
                _ => return false,
            }
            true
        });
        let Some(rest) = rest else {
            return Final::Error;
        };
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
