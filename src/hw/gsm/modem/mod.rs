//! The GSM modem driver: one thread owns one modem's serial port and runs it
//! through its life: open, initialise, serve sends and unsolicited results,
//! watch signal and registration, and recover from hangs and unplugs.
//!
//! Received messages are handed to [`SmsEvents::received`], which stores them
//! durably; only then are they deleted from the modem. Messages found in
//! storage at start-up or at the periodic sweep go the same way, so a restart
//! between `+CMTI` and the read loses nothing.
//!
//! A modem whose profile has a `[voice]` table also places robot calls and
//! answers members calling in (see [`call`]); one call at a time.

mod call;

pub use call::{CallEvents, CallProgress, CallRequest, Keyed, Recording};

use super::pdu::{self, Incoming, SubmitOptions};
use super::profile::ModemProfile;
use crate::clock::SharedClock;
use crate::hw::at::{fields, AtEngine, AtError, Refusal, UrcTable};
use crate::hw::device::{self, Interrupted};
use crate::hw::serial::SerialLink;
use crate::hw::status::{DeviceStatus, StatusCell};
pub use crate::hw::{FailureClass, SendFailure};
use crate::secret::Secret;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

/// Requests waiting at one modem beyond the one being sent.
const QUEUE_DEPTH: usize = 8;
/// Keepalives between two sweeps of the modem's storage for missed messages.
const SWEEP_EVERY: u32 = 6;

/// Where the modem's received messages and send results go.
pub trait SmsEvents: Send + Sync + 'static {
    /// Stores a received message (or one part of it) durably. An error keeps
    /// it in the modem for the next sweep.
    fn received(
        &self,
        modem: &str,
        message: &pdu::Deliver,
        at: OffsetDateTime,
    ) -> Result<(), String>;
    /// A message left the modem; `references` are the network's TP-MR for
    /// each part, for matching status reports.
    fn sent(&self, modem: &str, request: &SmsRequest, references: &[u8]);
    /// A status report arrived.
    fn report(&self, modem: &str, report: &pdu::StatusReport);
}

/// One message to send. `tag` is the caller's own reference (a delivery),
/// handed back in [`SmsEvents::sent`].
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub to: String,
    pub text: String,
    pub status_report: bool,
    pub tag: Option<String>,
}

/// What a modem is asked to do.
#[derive(Debug, Clone)]
pub enum Request {
    Sms(SmsRequest),
    Call(CallRequest),
    /// Delete these spoken messages (an alert's, once it closed).
    Forget(Vec<String>),
}

type Queued = device::Queued<Request>;

/// A running modem, as the rest of the appliance sees it.
#[derive(Clone)]
pub struct ModemHandle {
    pub name: String,
    /// The SIM's cap, if it has one.
    pub per_minute: Option<u32>,
    /// The modem places robot calls (its profile can, and it is not kept
    /// for SMS only).
    pub voice: bool,
    line: device::Line<Request>,
}

impl ModemHandle {
    /// Queues a message and waits for the modem's answer.
    pub async fn send(&self, request: SmsRequest) -> Result<Vec<u8>, SendFailure> {
        self.line.send(Request::Sms(request)).await
    }

    /// Places a call and waits until it is over: `Ok` once it was answered,
    /// else why not (`busy`, `no answer`, `rejected`, `unreachable`, or a
    /// modem error).
    pub async fn call(&self, request: CallRequest) -> Result<Vec<u8>, SendFailure> {
        self.line.send(Request::Call(request)).await
    }

    /// Deletes spoken messages from the modem's flash.
    pub async fn forget(&self, names: Vec<String>) {
        let _ = self.line.send(Request::Forget(names)).await;
    }

    pub fn waiting(&self) -> usize {
        self.line.waiting()
    }

    pub fn status(&self) -> DeviceStatus {
        self.line.status()
    }

    pub fn is_ready(&self) -> bool {
        self.line.is_ready()
    }
}

pub struct ModemSpec {
    pub name: String,
    pub device: PathBuf,
    pub baud: u32,
    pub sim_pin: Option<Secret>,
    pub profile: ModemProfile,
    /// Places calls when the profile can; `false` keeps it for SMS.
    pub voice: bool,
    /// Stamps the modem's status and what it receives.
    pub clock: SharedClock,
}

/// Starts the modem's thread. It runs until `stop` turns true.
pub fn start(
    spec: ModemSpec,
    events: Arc<dyn SmsEvents>,
    calls: Arc<dyn CallEvents>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<ModemHandle> {
    let (queue, requests) = mpsc::channel(QUEUE_DEPTH);
    let status = StatusCell::new(&spec.name, "modem", &spec.device, spec.clock.clone());
    let handle = ModemHandle {
        name: spec.name.clone(),
        per_minute: spec.profile.per_minute,
        voice: spec.voice && spec.profile.voice.is_some(),
        line: device::Line::new(queue, status.clone()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("modem {}", spec.name))
        .spawn(move || {
            let mut driver = Driver {
                spec,
                events,
                calls,
                requests,
                status,
                stop,
                reference: 0,
                next_send: tokio::time::Instant::now(),
                avg_send_ms: None,
                avg_call_ms: None,
                uploaded: HashSet::new(),
                last_caller: None,
            };
            runtime.block_on(device::supervise(&mut driver));
        })?;
    Ok(handle)
}

struct Driver {
    spec: ModemSpec,
    events: Arc<dyn SmsEvents>,
    calls: Arc<dyn CallEvents>,
    requests: mpsc::Receiver<Queued>,
    status: StatusCell,
    stop: watch::Receiver<bool>,
    /// Concatenation reference for the next long message.
    reference: u8,
    /// The SIM's rate limit: no part goes out before this.
    next_send: tokio::time::Instant,
    avg_send_ms: Option<f64>,
    avg_call_ms: Option<f64>,
    /// Spoken messages on the modem's flash. Forgotten with the driver: a
    /// file found again is replaced, since a crash may have cut it short.
    uploaded: HashSet<String>,
    /// The last caller answered or turned down, and when: a call coming in
    /// is announced several times (call state, `RING` with `+CLIP`).
    last_caller: Option<(String, tokio::time::Instant)>,
}

impl device::Supervised for Driver {
    type Request = Request;
    const KIND: &'static str = "modem";

    fn name(&self) -> &str {
        &self.spec.name
    }
    fn stop(&mut self) -> &mut watch::Receiver<bool> {
        &mut self.stop
    }
    fn status(&self) -> &StatusCell {
        &self.status
    }
    fn requests(&mut self) -> &mut mpsc::Receiver<Queued> {
        &mut self.requests
    }
    fn open(&self) -> Result<SerialLink, crate::hw::serial::SerialError> {
        SerialLink::open(
            &self.spec.device,
            self.spec.baud,
            self.spec.profile.hardware_flow,
        )
    }
    fn urc_table(&self) -> UrcTable {
        let mut urcs = self.spec.profile.urcs.clone();
        if let Some(voice) = &self.spec.profile.voice {
            urcs.extend([
                voice.call_state.clone(),
                voice.key.clone(),
                voice.played.clone(),
                "BUSY".to_owned(),
                "NO ANSWER".to_owned(),
            ]);
        }
        UrcTable::new(&urcs, &[])
    }
    async fn initialise(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        Driver::initialise(self, at).await
    }
    async fn serve(&mut self, at: &mut AtEngine) -> Interrupted {
        Driver::serve(self, at).await
    }
    async fn after_hang(&mut self, at: &mut AtEngine) {
        if let Some(reset) = &self.spec.profile.reset {
            // A hung modem may still hear this; if not, reopening the port is the reset.
            let _ = at.command(reset, None, Duration::from_millis(300)).await;
        }
    }
}

impl Driver {
    async fn initialise(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.clone();
        at.drain(Duration::from_millis(300)).await?;
        at.resync(10, Duration::from_millis(500)).await?;
        // Messages announced in the chatter are picked up by the sweep below.
        at.forget_urcs();
        for basic in ["ATE0", "ATV1", "AT+CMEE=1"] {
            if let Err(e) = at.command(basic, None, t.command()).await {
                tracing::debug!(modem = %self.spec.name, error = %e, "basic setting refused");
                if e.is_device_fault() {
                    return Err(e.into());
                }
            }
        }
        let ask = |lines: Result<Vec<String>, AtError>| {
            lines.ok().and_then(|l| l.into_iter().next()).map(|l| {
                l.split_once(':')
                    .map_or(l.as_str(), |(_, v)| v)
                    .trim()
                    .to_owned()
            })
        };
        let maker = ask(at.command("AT+CGMI", None, t.command()).await);
        let model = ask(at.command("AT+CGMM", None, t.command()).await);
        let firmware = ask(at.command("AT+CGMR", None, t.command()).await);
        self.status.update(|s| {
            s.model = match (&maker, &model) {
                (Some(a), Some(b)) => Some(format!("{a} {b}")),
                (a, b) => a.clone().or_else(|| b.clone()),
            };
            s.firmware = firmware;
        });
        self.unlock_sim(at).await?;
        for command in self.spec.profile.init.clone() {
            self.patiently(at, &command).await.map_err(|e| match e {
                e if e.is_device_fault() => Interrupted::from(e),
                e => Interrupted::Hung(format!("initialisation failed: {e}")),
            })?;
        }
        for command in self.spec.profile.optional_init.clone() {
            if let Err(e) = self.patiently(at, &command).await {
                if e.is_device_fault() {
                    return Err(e.into());
                }
                tracing::info!(modem = %self.spec.name, %command, error = %e, "optional setting refused");
            }
        }
        let storage = format!("AT+CPMS=\"{0}\",\"{0}\",\"{0}\"", self.spec.profile.storage);
        let cnmi = self.spec.profile.cnmi.clone();
        for command in [storage, cnmi] {
            self.patiently(at, &command).await.map_err(|e| match e {
                e if e.is_device_fault() => Interrupted::from(e),
                e => Interrupted::Hung(format!("initialisation failed: {e}")),
            })?;
        }
        self.initialise_voice(at).await?;
        self.check_network(at).await?;
        self.sweep(at).await?;
        Ok(())
    }

    /// Runs a command, waiting out "SIM busy" and "initialising" answers that
    /// modems give for a while after start-up or PIN entry.
    async fn patiently(&self, at: &mut AtEngine, command: &str) -> Result<Vec<String>, AtError> {
        let t = self.spec.profile.timeouts.command();
        let mut tries = 0;
        loop {
            match at.command(command, None, t).await {
                Err(e) if e.refusal().is_some_and(is_busy) && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => return other,
            }
        }
    }

    async fn unlock_sim(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        for _ in 0..3 {
            let state = self
                .patiently(at, "AT+CPIN?")
                .await
                .map_err(|e| match e {
                    e if e.is_device_fault() => Interrupted::from(e),
                    e => Interrupted::Hung(format!("the SIM does not answer: {e}")),
                })?
                .into_iter()
                .find(|l| l.starts_with("+CPIN:"))
                .map(|l| fields(&l).join(","))
                .unwrap_or_default();
            match state.as_str() {
                "READY" => return Ok(()),
                "SIM PIN" => {
                    let Some(pin) = self.spec.sim_pin.clone() else {
                        return Err(Interrupted::Hung(
                            "the SIM asks for a PIN: set sim_pin for this modem".to_owned(),
                        ));
                    };
                    at.command(
                        &format!("AT+CPIN={}", pin.expose()),
                        None,
                        self.spec.profile.timeouts.command(),
                    )
                    .await
                    .map_err(|e| match e {
                        e if e.is_device_fault() => Interrupted::from(e),
                        _ => Interrupted::Hung("the SIM refused the PIN in sim_pin".to_owned()),
                    })?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => {
                    return Err(Interrupted::Hung(format!(
                        "the SIM is not usable (+CPIN: {other}); it may need its PUK"
                    )))
                }
            }
        }
        Err(Interrupted::Hung("the SIM stays locked".to_owned()))
    }

    /// Reads registration, operator and signal into the status.
    async fn check_network(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        let mut registration = None;
        for query in ["AT+CREG?", "AT+CEREG?"] {
            let prefix = query.trim_start_matches("AT").trim_end_matches('?');
            match at.command(query, Some(prefix), t).await {
                Ok(lines) => {
                    if let Some(stat) = lines.iter().find_map(|l| registration_of(l)) {
                        let better =
                            registration.is_none_or(|r: &str| r != "home" && r != "roaming");
                        if better {
                            registration = Some(stat);
                        }
                    }
                }
                Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
                Err(_) => {}
            }
        }
        let signal = match at.command("AT+CSQ", Some("+CSQ:"), t).await {
            Ok(lines) => lines
                .iter()
                .find(|l| l.starts_with("+CSQ:"))
                .and_then(|l| fields(l).first().and_then(|v| v.parse::<u8>().ok()))
                .filter(|v| *v != 99),
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(_) => None,
        };
        let operator = match at.command("AT+COPS?", Some("+COPS:"), t).await {
            Ok(lines) => lines
                .iter()
                .find(|l| l.starts_with("+COPS:"))
                .and_then(|l| fields(l).get(2).cloned())
                .filter(|o| !o.is_empty()),
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(_) => None,
        };
        let now = self.status.now();
        self.status.update(|s| {
            s.registration = registration.map(str::to_owned);
            s.signal = signal;
            s.operator = operator;
            s.checked_at = Some(now);
        });
        Ok(())
    }

    /// After a command timed out: is the modem still there? ESC and `AT`
    /// probes tell a slow answer from a hang.
    async fn probe_after(&mut self, at: &mut AtEngine, error: AtError) -> Interrupted {
        if !error.is_device_fault() {
            return Interrupted::Hung(error.to_string());
        }
        if let AtError::Closed(_) | AtError::Serial(_) = error {
            return error.into();
        }
        let probe = self.spec.profile.timeouts.probe();
        match at.resync(2, probe).await {
            Ok(()) => Interrupted::Restarted(format!("{error}; the modem answers again")),
            Err(e @ (AtError::Closed(_) | AtError::Serial(_))) => e.into(),
            Err(_) => Interrupted::Hung(format!("{error}, and AT probes go unanswered")),
        }
    }

    async fn serve(&mut self, at: &mut AtEngine) -> Interrupted {
        let keepalive = self.spec.profile.timeouts.keepalive();
        let mut ticks = 0u32;
        loop {
            if let Some(urc) = at.queued_urc() {
                if let Err(stop) = self.on_urc(at, urc).await {
                    return stop;
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.stop.changed() => return Interrupted::Stop,
                urc = at.next_urc() => match urc {
                    Ok(urc) => {
                        if let Err(stop) = self.on_urc(at, urc).await {
                            return stop;
                        }
                    }
                    Err(e) => return e.into(),
                },
                queued = self.requests.recv() => {
                    let Some(Queued { request, reply }) = queued else { return Interrupted::Stop };
                    let served = match request {
                        Request::Sms(request) => self.send(at, request, reply).await,
                        Request::Call(request) => self.call(at, request, reply).await,
                        Request::Forget(names) => {
                            let forgotten = self.forget(at, &names).await;
                            let _ = reply.send(Ok(Vec::new()));
                            forgotten
                        }
                    };
                    if let Err(stop) = served {
                        return stop;
                    }
                }
                () = tokio::time::sleep(keepalive) => {
                    ticks = ticks.wrapping_add(1);
                    if let Err(stop) = self.check_network(at).await {
                        return stop;
                    }
                    if ticks % SWEEP_EVERY == 0 {
                        if let Err(stop) = self.sweep(at).await {
                            return stop;
                        }
                    }
                }
            }
        }
    }

    async fn send(
        &mut self,
        at: &mut AtEngine,
        request: SmsRequest,
        reply: tokio::sync::oneshot::Sender<Result<Vec<u8>, SendFailure>>,
    ) -> Result<(), Interrupted> {
        let options = SubmitOptions {
            status_report: request.status_report,
            validity_minutes: Some(self.spec.profile.validity_minutes),
            concat_ref: self.reference,
        };
        self.reference = self.reference.wrapping_add(1);
        let parts = match pdu::encode_submit(&request.to, &request.text, &options) {
            Ok(parts) => parts,
            Err(e) => {
                let _ = reply.send(Err(SendFailure {
                    class: FailureClass::Permanent,
                    reason: format!("the message cannot be encoded: {e}"),
                }));
                return Ok(());
            }
        };
        let t = self.spec.profile.timeouts.clone();
        let mut references = Vec::with_capacity(parts.len());
        let spacing = self
            .spec
            .profile
            .per_minute
            .map_or(Duration::ZERO, |cap| Duration::from_secs(60) / cap.max(1));
        for part in &parts {
            tokio::time::sleep_until(self.next_send).await;
            let started = tokio::time::Instant::now();
            self.next_send = started + spacing;
            let command = format!("AT+CMGS={}", part.tpdu_len);
            let mut busy_tries = 0;
            loop {
                let result = at
                    .command_with_payload(&command, Some("+CMGS:"), &part.hex, t.prompt(), t.send())
                    .await;
                match result {
                    Ok(lines) => {
                        let mr = lines
                            .iter()
                            .find(|l| l.starts_with("+CMGS:"))
                            .and_then(|l| fields(l).first().and_then(|v| v.parse::<u8>().ok()));
                        references.push(mr.unwrap_or(0));
                        let took = started.elapsed().as_secs_f64() * 1000.0;
                        let avg = self.avg_send_ms.map_or(took, |a| a * 0.8 + took * 0.2);
                        self.avg_send_ms = Some(avg);
                        self.status.update(|s| s.avg_send_ms = Some(avg as u64));
                        break;
                    }
                    Err(e) if e.is_device_fault() => {
                        let _ = reply.send(Err(SendFailure::down(&format!(
                            "the modem failed while sending: {e}"
                        ))));
                        return Err(self.probe_after(at, e).await);
                    }
                    Err(e) => {
                        let refusal = e
                            .refusal()
                            .cloned()
                            .unwrap_or(Refusal::Other(e.to_string()));
                        let (class, reason) = classify(&refusal);
                        if class == Class::Busy && busy_tries < 6 {
                            busy_tries += 1;
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue;
                        }
                        let failure = SendFailure {
                            class: match class {
                                Class::Permanent => FailureClass::Permanent,
                                Class::Busy | Class::Network => FailureClass::RetryLater,
                                Class::Reinitialise => FailureClass::DeviceDown,
                            },
                            reason: format!("{reason} ({refusal})"),
                        };
                        let _ = reply.send(Err(failure));
                        self.status.update(|s| {
                            s.last_error = Some(format!("{reason} ({refusal})"));
                            s.last_error_at = Some(self.status.now());
                        });
                        if class == Class::Reinitialise {
                            return Err(Interrupted::Restarted(reason.to_owned()));
                        }
                        return Ok(());
                    }
                }
            }
        }
        self.events.sent(&self.spec.name, &request, &references);
        self.status.update(|s| s.sent += 1);
        let _ = reply.send(Ok(references));
        Ok(())
    }

    async fn on_urc(
        &mut self,
        at: &mut AtEngine,
        urc: crate::hw::at::Urc,
    ) -> Result<(), Interrupted> {
        if self.on_call_urc(at, &urc.line).await? {
            return Ok(());
        }
        self.on_message_urc(at, urc).await
    }

    /// What a modem says about messages, registration and itself.
    async fn on_message_urc(
        &mut self,
        at: &mut AtEngine,
        urc: crate::hw::at::Urc,
    ) -> Result<(), Interrupted> {
        let line = urc.line.as_str();
        if self
            .spec
            .profile
            .restart_urcs
            .iter()
            .any(|p| line.starts_with(p.as_str()))
        {
            return Err(Interrupted::Restarted(format!("the modem said \"{line}\"")));
        }
        if line.starts_with("+CMTI:") || line.starts_with("+CDSI:") {
            let f = fields(line);
            let memory = f.first().cloned().unwrap_or_default();
            match f
                .get(1)
                .and_then(|i| i.parse::<i32>().ok())
                .filter(|i| *i >= 0)
            {
                Some(index) => self.read_stored(at, &memory, index).await?,
                // SIM7000 sends `+CMTI: ,-1`: look at everything instead.
                None => self.sweep(at).await?,
            }
        } else if line.starts_with("+CMT:") || line.starts_with("+CDS:") {
            match urc.data.as_deref() {
                Some(hex) => {
                    let kept = self.take_pdu(hex);
                    if self.spec.profile.acknowledge_direct && kept && line.starts_with("+CMT:") {
                        let _ = at
                            .command("AT+CNMA", None, self.spec.profile.timeouts.command())
                            .await;
                    }
                }
                None => {
                    tracing::warn!(modem = %self.spec.name, %line, "message announcement without its PDU")
                }
            }
        } else if line.starts_with("+CREG:") || line.starts_with("+CEREG:") {
            if let Some(stat) = registration_of(line) {
                self.status
                    .update(|s| s.registration = Some(stat.to_owned()));
            }
        } else {
            tracing::debug!(modem = %self.spec.name, %line, "unsolicited line");
        }
        Ok(())
    }

    /// Hands one PDU over; `true` when it was stored (or was a report).
    fn take_pdu(&self, hex: &str) -> bool {
        match pdu::decode_incoming(hex) {
            Ok(Incoming::Deliver(message)) => {
                match self
                    .events
                    .received(&self.spec.name, &message, self.status.now())
                {
                    Ok(()) => {
                        self.status.update(|s| s.received += 1);
                        true
                    }
                    Err(e) => {
                        tracing::error!(modem = %self.spec.name, error = %e, "cannot store a received SMS; it stays in the modem");
                        false
                    }
                }
            }
            Ok(Incoming::StatusReport(report)) => {
                self.events.report(&self.spec.name, &report);
                true
            }
            Err(e) => {
                tracing::warn!(modem = %self.spec.name, error = %e, pdu = %hex, "unreadable PDU from the modem dropped");
                true
            }
        }
    }

    async fn read_stored(
        &mut self,
        at: &mut AtEngine,
        memory: &str,
        index: i32,
    ) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        let other_memory = !memory.is_empty() && memory != self.spec.profile.storage;
        if other_memory {
            self.patiently(at, &format!("AT+CPMS=\"{memory}\""))
                .await
                .map_err(Interrupted::from_soft)?;
        }
        let read = self.patiently(at, &format!("AT+CMGR={index}")).await;
        let mut keep = false;
        match read {
            Ok(lines) => {
                if let Some(hex) = pdu_after(&lines, "+CMGR:") {
                    keep = !self.take_pdu(&hex);
                }
            }
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(e) => {
                tracing::warn!(modem = %self.spec.name, index, error = %e, "cannot read a stored message");
                keep = true;
            }
        }
        if !keep {
            if let Err(e) = at.command(&format!("AT+CMGD={index}"), None, t).await {
                if e.is_device_fault() {
                    return Err(self.probe_after(at, e).await);
                }
                tracing::warn!(modem = %self.spec.name, index, error = %e, "cannot delete a stored message");
            }
        }
        if other_memory {
            let storage = self.spec.profile.storage.clone();
            self.patiently(at, &format!("AT+CPMS=\"{storage}\""))
                .await
                .map_err(Interrupted::from_soft)?;
        }
        Ok(())
    }

    /// Reads every message in storage (`AT+CMGL=4`), hands each over, and
    /// deletes those stored safely.
    async fn sweep(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        let lines = match self.patiently(at, "AT+CMGL=4").await {
            Ok(lines) => lines,
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(e) => {
                tracing::info!(modem = %self.spec.name, error = %e, "cannot list stored messages");
                return Ok(());
            }
        };
        let mut done = Vec::new();
        let mut iter = lines.iter().peekable();
        while let Some(line) = iter.next() {
            let Some(index) = line
                .strip_prefix("+CMGL:")
                .and_then(|_| fields(line).first().and_then(|i| i.parse::<i32>().ok()))
            else {
                continue;
            };
            if let Some(hex) = iter.next_if(|l| !l.starts_with("+CMGL:")) {
                if self.take_pdu(hex) {
                    done.push(index);
                }
            }
        }
        for index in done {
            if let Err(e) = at.command(&format!("AT+CMGD={index}"), None, t).await {
                if e.is_device_fault() {
                    return Err(self.probe_after(at, e).await);
                }
            }
        }
        Ok(())
    }
}

impl Interrupted {
    fn from_soft(e: AtError) -> Interrupted {
        if e.is_device_fault() {
            e.into()
        } else {
            Interrupted::Restarted(format!("storage switch refused: {e}"))
        }
    }
}

fn pdu_after(lines: &[String], header: &str) -> Option<String> {
    let mut iter = lines.iter().skip_while(|l| !l.starts_with(header));
    iter.next()?;
    iter.next().cloned()
}

fn registration_of(line: &str) -> Option<&'static str> {
    let f = fields(line);
    // The answer to `AT+CREG?` is `<n>,<stat>[,...]`; the URC is `<stat>[,...]`.
    let stat = if f.len() >= 2 && f.get(1).is_some_and(|v| v.len() == 1) {
        f.get(1)
    } else {
        f.first()
    }?;
    Some(match stat.as_str() {
        "0" => "not registered",
        "1" => "home",
        "2" => "searching",
        "3" => "denied",
        "5" => "roaming",
        _ => "unknown",
    })
}

fn is_busy(refusal: &Refusal) -> bool {
    matches!(
        refusal,
        Refusal::Cme(14) | Refusal::Cme(515) | Refusal::Cms(314) | Refusal::Cms(515)
    )
}

/// What to do about a refused send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// SIM or modem busy for a moment: retry on this modem shortly.
    Busy,
    /// Network trouble: retry later (maybe on another modem).
    Network,
    /// The modem's settings are off: initialise it again, then retry.
    Reinitialise,
    /// This message will never go.
    Permanent,
}

/// Sorts `+CMS ERROR` and `+CME ERROR` codes (3GPP TS 27.005 §3.2.5, TS 24.011
/// annex E, TS 23.040 §9.2.3.22) and says in words what went wrong.
pub fn classify(refusal: &Refusal) -> (Class, &'static str) {
    match refusal {
        Refusal::Cms(code) => match code {
            1 => (Class::Permanent, "the number is not assigned"),
            8 | 10 => (Class::Permanent, "the operator bars this number"),
            21 => (Class::Permanent, "the network rejected the message"),
            27 => (
                Class::Network,
                "the recipient's phone is off or out of coverage",
            ),
            28 | 30 => (Class::Permanent, "the recipient is unknown to the network"),
            29 | 50 | 193 => (
                Class::Permanent,
                "the SIM's subscription does not allow SMS",
            ),
            38 => (Class::Network, "the network is out of order"),
            41 | 42 | 47 | 192 => (Class::Network, "the network is congested"),
            69 | 95..=99 | 111 | 127 => (
                Class::Permanent,
                "the network did not understand the message",
            ),
            195 => (Class::Permanent, "the phone number is invalid"),
            196 => (Class::Permanent, "the recipient is barred"),
            197 => (Class::Permanent, "the network rejected a duplicate"),
            304 => (Class::Permanent, "the modem rejected the PDU"),
            314 | 515 => (Class::Busy, "the SIM is busy"),
            300 | 302 | 310..=313 | 315..=318 | 320 | 500 => {
                (Class::Reinitialise, "the modem is not ready to send")
            }
            322 => (Class::Reinitialise, "the modem's message storage is full"),
            330 => (Class::Reinitialise, "the SIM has no message centre number"),
            331 => (Class::Network, "no network service"),
            332 => (Class::Network, "the network did not answer in time"),
            512..=514 => (Class::Network, "weak signal or radio link lost"),
            _ => (Class::Network, "the modem refused the message"),
        },
        Refusal::Cme(code) => match code {
            14 | 515 => (Class::Busy, "the SIM is busy"),
            10..=13 | 15..=18 => (Class::Reinitialise, "the SIM is missing or locked"),
            30 | 31 => (Class::Network, "no network service"),
            _ => (Class::Reinitialise, "the modem refused the command"),
        },
        Refusal::Other(_) => (Class::Reinitialise, "the modem refused the command"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_refusals_are_sorted_into_what_to_do() {
        assert_eq!(classify(&Refusal::Cms(42)).0, Class::Network);
        assert_eq!(classify(&Refusal::Cms(1)).0, Class::Permanent);
        assert_eq!(classify(&Refusal::Cms(314)).0, Class::Busy);
        assert_eq!(classify(&Refusal::Cms(302)).0, Class::Reinitialise);
        assert_eq!(
            classify(&Refusal::Cms(330)).1,
            "the SIM has no message centre number"
        );
        assert_eq!(classify(&Refusal::Cme(14)).0, Class::Busy);
    }

    #[test]
    fn registration_from_answers_and_urcs() {
        assert_eq!(
            registration_of("+CREG: 2,1,\"00C3\",\"0A1B\",7"),
            Some("home")
        );
        assert_eq!(registration_of("+CREG: 0,5"), Some("roaming"));
        assert_eq!(registration_of("+CREG: 2"), Some("searching"));
        assert_eq!(
            registration_of("+CEREG: 1,\"00C3\",\"0A1B2C3D\",7"),
            Some("home")
        );
    }
}
