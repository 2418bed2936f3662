//! The TETRA radio driver: one thread owns one radio's PEI port. It brings
//! the radio up (leftover bytes cleared, `ATE0`, character set, service
//! profile registrations), sends one SDS at a time and waits for the radio's
//! word that it went on the air, sends the SDS-TL reports senders ask for,
//! hands everything received to [`RadioEvents`], and recovers from hangs and
//! unplugs the way the modem driver does.
//!
//! The radio's "sent over the air" is not "delivered": only an SDS-TL report
//! from the destination radio says that (received, then consumed = read).

use super::pei;
use super::profile::RadioProfile;
use super::sds::{self, Callout, CalloutFunction, ReportMeaning, ReportRequest, Sds};
use crate::clock::SharedClock;
use crate::hw::at::{fields, AtEngine, AtError, Refusal, UrcTable};
use crate::hw::device::{self, Interrupted};
use crate::hw::serial::SerialLink;
use crate::hw::status::{DeviceStatus, StatusCell};
use crate::hw::{FailureClass, SendFailure};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

const QUEUE_DEPTH: usize = 8;
const AI_SDS: u8 = 12;
const AI_STATUS: u8 = 13;
/// SDS-TL delivery status for "received" and "consumed" (table 29.16).
const RECEIVED: u8 = 0x00;
const CONSUMED: u8 = 0x02;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdsPayload {
    Text {
        text: String,
        immediate: bool,
    },
    Status(u16),
    Callout {
        number: u8,
        severity: u8,
        text: String,
        clear: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdsRequest {
    /// An ISSI, or a GSSI when `group` is set.
    pub to: u32,
    pub group: bool,
    pub payload: SdsPayload,
    /// The caller's own reference (a delivery), handed back in [`RadioEvents::sent`].
    pub tag: Option<String>,
}

/// Something a radio user or the emergency centre sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Text(String),
    /// A pre-coded status with its label from the profile ("3").
    Status {
        value: u16,
        label: Option<String>,
    },
    /// An answer to a call-out; `option` from the profile's reply table.
    CalloutReply {
        number: u8,
        text: String,
        option: Option<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The sender's SSI.
    pub from: u32,
    /// The sender as the radio gave it (SSI or TSI).
    pub from_identity: String,
    /// The called identity: this radio, or a group it listens to.
    pub to: String,
    pub what: Received,
}

pub trait RadioEvents: Send + Sync + 'static {
    /// An SDS went on the air; `references` are its SDS-TL references.
    fn sent(&self, radio: &str, request: &SdsRequest, references: &[u8]);
    /// A destination radio reported on an SDS sent earlier.
    fn report(&self, radio: &str, from: u32, reference: u8, meaning: ReportMeaning);
    /// Stores and acts on something received. An error is logged; the radio
    /// has no storage to keep it in.
    fn received(&self, radio: &str, heard: &Heard) -> Result<(), String>;
}

type Queued = device::Queued<SdsRequest>;

#[derive(Clone)]
pub struct RadioHandle {
    pub name: String,
    pub issi: u32,
    pub profile: Arc<RadioProfile>,
    line: device::Line<SdsRequest>,
}

impl RadioHandle {
    pub async fn send(&self, request: SdsRequest) -> Result<Vec<u8>, SendFailure> {
        self.line.send(request).await
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

pub struct RadioSpec {
    pub name: String,
    pub device: PathBuf,
    pub baud: u32,
    pub issi: u32,
    pub profile: RadioProfile,
    /// Stamps the radio's status and what it hears.
    pub clock: SharedClock,
}

pub fn start(
    spec: RadioSpec,
    events: Arc<dyn RadioEvents>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<RadioHandle> {
    let (queue, requests) = mpsc::channel(QUEUE_DEPTH);
    let status = StatusCell::new(&spec.name, "radio", &spec.device, spec.clock.clone());
    let profile = Arc::new(spec.profile.clone());
    let handle = RadioHandle {
        name: spec.name.clone(),
        issi: spec.issi,
        profile,
        line: device::Line::new(queue, status.clone()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("radio {}", spec.name))
        .spawn(move || {
            let mut driver = Driver {
                spec,
                events,
                requests,
                status,
                stop,
                reference: 1,
                ai_service: None,
                reports_owed: VecDeque::new(),
                next_send: Instant::now(),
            };
            runtime.block_on(device::supervise(&mut driver));
        })?;
    Ok(handle)
}

/// What a `+CMGS: <instance>,<status>,<reference>` line says.
fn air_result(line: &str) -> Option<(u8, u8)> {
    let f = fields(line);
    if f.len() < 3 {
        return None;
    }
    Some((f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?))
}

/// The AI service and the PDUs of one request, each with its SDS-TL reference.
type Encoded = (u8, Vec<(u8, Vec<u8>)>);

struct Driver {
    spec: RadioSpec,
    events: Arc<dyn RadioEvents>,
    requests: mpsc::Receiver<Queued>,
    status: StatusCell,
    stop: watch::Receiver<bool>,
    /// The SDS-TL message reference for the next SDS (never 0).
    reference: u8,
    /// The AI service `AT+CTSDS` last chose: it is modal.
    ai_service: Option<u8>,
    /// SDS-TL reports to send back to senders who asked for them.
    reports_owed: VecDeque<(u32, u8, u8, u8)>,
    next_send: Instant,
}

impl device::Supervised for Driver {
    type Request = SdsRequest;
    const KIND: &'static str = "radio";

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
        urcs.push("+CMGS:".to_owned());
        UrcTable::new(&urcs, &["+CTSDSR:".to_owned()])
    }
    async fn initialise(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        // `AT+CTSDS` is modal and a new port starts with nothing chosen.
        self.ai_service = None;
        Driver::initialise(self, at).await
    }
    async fn serve(&mut self, at: &mut AtEngine) -> Interrupted {
        Driver::serve(self, at).await
    }
}

impl Driver {
    async fn initialise(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.clone();
        at.drain(Duration::from_millis(300)).await?;
        // Leftover bytes in the radio make the first commands fail with
        // `+CME ERROR: 35`; `AT` until it answers `OK` clears them.
        let mut synced = false;
        for _ in 0..10 {
            match at.command("AT", None, Duration::from_millis(700)).await {
                Ok(_) => {
                    synced = true;
                    break;
                }
                Err(e @ (AtError::Closed(_) | AtError::Serial(_))) => return Err(e.into()),
                Err(_) => {}
            }
        }
        if !synced {
            return Err(Interrupted::Hung("the radio does not answer AT".to_owned()));
        }
        at.forget_urcs();
        if self.spec.profile.atz {
            self.command(at, "ATZ").await?;
        }
        self.command(at, "ATE0").await?;
        for command in self.spec.profile.init.clone() {
            self.command(at, &command).await?;
        }
        for command in self.spec.profile.ctsp.clone() {
            match at.command(&command, None, t.command()).await {
                Ok(_)
                | Err(AtError::Refused {
                    refusal: Refusal::Cme(38),
                    ..
                }) => {}
                Err(e) if e.is_device_fault() => return Err(e.into()),
                Err(e) => {
                    return Err(Interrupted::Hung(format!(
                        "the radio refused a registration: {e}"
                    )))
                }
            }
        }
        let model = at
            .command("AT+CGMM", None, t.command())
            .await
            .ok()
            .and_then(|l| l.into_iter().next());
        self.status.update(|s| {
            s.model = model.or_else(|| Some(self.spec.profile.model.clone()));
        });
        self.check(at).await
    }

    async fn command(
        &mut self,
        at: &mut AtEngine,
        command: &str,
    ) -> Result<Vec<String>, Interrupted> {
        at.command(command, None, self.spec.profile.timeouts.command())
            .await
            .map_err(|e| match e {
                e if e.is_device_fault() => Interrupted::from(e),
                e => Interrupted::Hung(format!("initialisation failed: {e}")),
            })
    }

    /// Registration and signal into the status; also the keep-alive.
    async fn check(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        let signal = match at.command("AT+CSQ", None, t).await {
            Ok(lines) => lines
                .iter()
                .find(|l| l.starts_with("+CSQ:"))
                .and_then(|l| fields(l).first().and_then(|v| v.parse::<u8>().ok()))
                .filter(|v| *v != 99),
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(_) => None,
        };
        let mode = match at.command("AT+CTOM?", None, t).await {
            Ok(lines) => lines
                .iter()
                .find(|l| l.starts_with("+CTOM:"))
                .and_then(|l| fields(l).first().cloned()),
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(_) => None,
        };
        let now = self.status.now();
        self.status.update(|s| {
            s.signal = signal;
            s.registration = mode.map(|m| {
                match m.as_str() {
                    "0" => "trunked (TMO)",
                    "1" => "direct (DMO)",
                    _ => "other mode",
                }
                .to_owned()
            });
            s.checked_at = Some(now);
        });
        Ok(())
    }

    async fn probe_after(&mut self, at: &mut AtEngine, error: AtError) -> Interrupted {
        if let AtError::Closed(_) | AtError::Serial(_) = error {
            return error.into();
        }
        match at.resync(2, self.spec.profile.timeouts.probe()).await {
            Ok(()) => Interrupted::Restarted(format!("{error}; the radio answers again")),
            Err(e @ (AtError::Closed(_) | AtError::Serial(_))) => e.into(),
            Err(_) => Interrupted::Hung(format!("{error}, and AT probes go unanswered")),
        }
    }

    async fn serve(&mut self, at: &mut AtEngine) -> Interrupted {
        let keepalive = self.spec.profile.timeouts.keepalive();
        loop {
            if let Some(urc) = at.queued_urc() {
                self.on_urc(urc);
                continue;
            }
            if let Some(owed) = self.reports_owed.pop_front() {
                if let Err(stop) = self.send_report(at, owed).await {
                    return stop;
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.stop.changed() => return Interrupted::Stop,
                urc = at.next_urc() => match urc {
                    Ok(urc) => self.on_urc(urc),
                    Err(e) => return e.into(),
                },
                queued = self.requests.recv() => {
                    let Some(queued) = queued else { return Interrupted::Stop };
                    if let Err(stop) = self.send(at, queued).await {
                        return stop;
                    }
                }
                () = tokio::time::sleep(keepalive) => {
                    if let Err(stop) = self.check(at).await {
                        return stop;
                    }
                }
            }
        }
    }

    fn next_reference(&mut self) -> u8 {
        let r = self.reference;
        self.reference = sds::next_reference(r);
        r
    }

    /// The PDUs for a request, with the SDS-TL reference of each.
    fn encode(&mut self, request: &SdsRequest) -> Result<Encoded, String> {
        let report = ReportRequest {
            received: !request.group,
            consumed: !request.group,
        };
        match &request.payload {
            SdsPayload::Status(value) => Ok((AI_STATUS, vec![(0, value.to_be_bytes().to_vec())])),
            SdsPayload::Text { text, immediate } => {
                let first = self.next_reference();
                let pdus = sds::encode_text(
                    text,
                    first,
                    report,
                    request.group,
                    *immediate,
                    self.spec.profile.max_pdu_bits,
                )
                .map_err(|e| e.to_string())?;
                let mut out = Vec::with_capacity(pdus.len());
                for pdu in pdus {
                    let reference = pdu.get(2).copied().unwrap_or(first);
                    self.reference = sds::next_reference(reference);
                    out.push((reference, pdu));
                }
                Ok((AI_SDS, out))
            }
            SdsPayload::Callout {
                number,
                severity,
                text,
                clear,
            } => {
                let reference = self.next_reference();
                let pdu = sds::encode_callout(&Callout {
                    message_type: 0,
                    reference,
                    report,
                    function: if *clear {
                        CalloutFunction::Clear
                    } else {
                        CalloutFunction::Alert
                    },
                    number: *number,
                    severity: *severity,
                    end: *clear,
                    text: text.clone(),
                })
                .map_err(|e| e.to_string())?;
                Ok((AI_SDS, vec![(reference, pdu)]))
            }
        }
    }

    async fn choose_service(&mut self, at: &mut AtEngine, ai: u8) -> Result<(), AtError> {
        if self.ai_service != Some(ai) {
            at.command(
                &format!("AT+CTSDS={ai},0"),
                None,
                self.spec.profile.timeouts.command(),
            )
            .await?;
            self.ai_service = Some(ai);
        }
        Ok(())
    }

    /// One PDU: the write, the radio's `+CMGS: 0`, then its word that the
    /// SDS went on the air (`+CMGS: <n>,4,<ref>`) or not (`...,5,...`).
    async fn send_pdu(
        &mut self,
        at: &mut AtEngine,
        to: u32,
        ai: u8,
        pdu: &[u8],
    ) -> Result<Result<(), SendFailure>, Interrupted> {
        let spacing = Duration::from_secs(60) / self.spec.profile.per_minute.max(1);
        tokio::time::sleep_until(self.next_send).await;
        self.next_send = Instant::now() + spacing;
        if let Err(e) = self.choose_service(at, ai).await {
            if e.is_device_fault() {
                return Err(self.probe_after(at, e).await);
            }
            return Ok(Err(SendFailure {
                class: FailureClass::DeviceDown,
                reason: format!("the radio refused the SDS service: {e}"),
            }));
        }
        let t = self.spec.profile.timeouts.clone();
        let bits = pdu.len() * 8;
        let command = format!("AT+CMGS={to},{bits}");
        let mut busy = 0;
        loop {
            match at
                .command_inline(&command, &sds::to_hex(pdu), Some("+CMGS:"), t.command())
                .await
            {
                Ok(_) => break,
                Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
                Err(e) => {
                    let refusal = e
                        .refusal()
                        .cloned()
                        .unwrap_or(Refusal::Other(e.to_string()));
                    let (class, reason) = classify(&refusal);
                    if class == FailureClass::RetryLater && refusal == Refusal::Cme(42) && busy < 5
                    {
                        // The radio is busy signalling: it passes within seconds.
                        busy += 1;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                    self.status.update(|s| {
                        s.last_error = Some(format!("{reason} ({refusal})"));
                        s.last_error_at = Some(self.status.now());
                    });
                    return Ok(Err(SendFailure {
                        class,
                        reason: format!("{reason} ({refusal})"),
                    }));
                }
            }
        }
        let deadline = Instant::now() + t.air();
        loop {
            let urc = match tokio::time::timeout_at(deadline, at.next_urc()).await {
                Ok(Ok(urc)) => urc,
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    return Ok(Err(SendFailure {
                        class: FailureClass::RetryLater,
                        reason: format!(
                            "the radio did not say within {} s whether the SDS went on the air",
                            t.air().as_secs()
                        ),
                    }))
                }
            };
            if urc.line.starts_with("+CMGS:") {
                if let Some((status, _reference)) = air_result(&urc.line) {
                    return Ok(match status {
                        4 => Ok(()),
                        _ => Err(SendFailure {
                            class: FailureClass::RetryLater,
                            reason: "the radio could not send the SDS over the air".to_owned(),
                        }),
                    });
                }
            } else {
                self.on_urc(urc);
            }
        }
    }

    async fn send(&mut self, at: &mut AtEngine, queued: Queued) -> Result<(), Interrupted> {
        let Queued { request, reply } = queued;
        let (ai, pdus) = match self.encode(&request) {
            Ok(encoded) => encoded,
            Err(why) => {
                let _ = reply.send(Err(SendFailure {
                    class: FailureClass::Permanent,
                    reason: format!("the SDS cannot be encoded: {why}"),
                }));
                return Ok(());
            }
        };
        let mut references = Vec::with_capacity(pdus.len());
        for (reference, pdu) in &pdus {
            match self.send_pdu(at, request.to, ai, pdu).await {
                Ok(Ok(())) => references.push(*reference),
                Ok(Err(failure)) => {
                    let _ = reply.send(Err(failure));
                    return Ok(());
                }
                Err(stop) => {
                    let _ = reply.send(Err(SendFailure::down("the radio failed while sending")));
                    return Err(stop);
                }
            }
        }
        self.events.sent(&self.spec.name, &request, &references);
        self.status.update(|s| s.sent += 1);
        let _ = reply.send(Ok(references));
        Ok(())
    }

    async fn send_report(
        &mut self,
        at: &mut AtEngine,
        owed: (u32, u8, u8, u8),
    ) -> Result<(), Interrupted> {
        let (to, pid, status, reference) = owed;
        let pdu = sds::encode_report(pid, status, reference);
        match self.send_pdu(at, to, AI_SDS, &pdu).await? {
            Ok(()) => {}
            Err(f) => {
                tracing::warn!(radio = %self.spec.name, to, reason = %f.reason, "cannot send an SDS-TL report back")
            }
        }
        Ok(())
    }

    fn on_urc(&mut self, urc: crate::hw::at::Urc) {
        let line = urc.line.as_str();
        if !line.starts_with("+CTSDSR:") {
            tracing::debug!(radio = %self.spec.name, %line, "unsolicited line");
            return;
        }
        let header = match pei::parse_ctsdsr(line) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(radio = %self.spec.name, %line, error = %e, "unreadable SDS header ignored");
                return;
            }
        };
        let hex = header.inline_hex.clone().or(urc.data).unwrap_or_default();
        let decoded = match sds::decode(header.ai_service, header.bits, &hex) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(radio = %self.spec.name, %line, data = %hex, error = %e, "unreadable SDS ignored");
                return;
            }
        };
        let from_identity = header.from.clone().unwrap_or_default();
        let Some(from) = pei::ssi_of(&from_identity) else {
            tracing::warn!(radio = %self.spec.name, %line, "SDS without a usable sender ignored");
            return;
        };
        let what = match decoded {
            Sds::Report {
                status, reference, ..
            } => {
                self.events.report(
                    &self.spec.name,
                    from,
                    reference,
                    sds::delivery_status_meaning(status),
                );
                return;
            }
            Sds::ShortReport { kind, reference } => {
                let meaning = match kind {
                    2 => ReportMeaning::Received,
                    3 => ReportMeaning::Consumed,
                    _ => ReportMeaning::Failed("the radio could not take the message"),
                };
                self.events
                    .report(&self.spec.name, from, reference, meaning);
                return;
            }
            Sds::Ack { .. } | Sds::Other { .. } => {
                tracing::debug!(radio = %self.spec.name, %line, "SDS not for the appliance ignored");
                return;
            }
            Sds::Status(value) => Received::Status {
                value,
                label: self.spec.profile.status_label(value).map(str::to_owned),
            },
            Sds::Text(text) => {
                if text.report.received {
                    self.reports_owed
                        .push_back((from, text.pid, RECEIVED, text.reference));
                }
                if text.report.consumed {
                    self.reports_owed
                        .push_back((from, text.pid, CONSUMED, text.reference));
                }
                Received::Text(text.text)
            }
            Sds::Callout(c) => {
                let answer = c.text.trim().to_uppercase();
                Received::CalloutReply {
                    number: c.number,
                    option: self.spec.profile.callout_replies.get(&answer).copied(),
                    text: c.text,
                }
            }
        };
        let heard = Heard {
            from,
            from_identity,
            to: header.to.clone(),
            what,
        };
        match self.events.received(&self.spec.name, &heard) {
            Ok(()) => self.status.update(|s| s.received += 1),
            Err(e) => {
                tracing::error!(radio = %self.spec.name, error = %e, "cannot store a received SDS")
            }
        }
    }
}

/// Sorts `+CME ERROR` codes from the radio (EN 300 392-5; the table in the
/// research note §8) and says what went wrong in words.
pub fn classify(refusal: &Refusal) -> (FailureClass, &'static str) {
    match refusal {
        Refusal::Cme(code) => match code {
            30 => (FailureClass::RetryLater, "the radio is out of service"),
            31 => (FailureClass::RetryLater, "the network did not acknowledge"),
            42 => (FailureClass::RetryLater, "the radio is busy signalling"),
            0 => (
                FailureClass::RetryLater,
                "the radio could not send over the air",
            ),
            41 => (
                FailureClass::DeviceDown,
                "the radio's transmitter is inhibited",
            ),
            40 | 43 => (
                FailureClass::DeviceDown,
                "the radio is in the wrong mode (DMO/TMO)",
            ),
            24 | 25 | 26 | 27 | 32 | 33 | 34 => {
                (FailureClass::Permanent, "the radio rejected the message")
            }
            35..=37 => (
                FailureClass::DeviceDown,
                "the radio lost track of the command",
            ),
            _ => (FailureClass::DeviceDown, "the radio refused the message"),
        },
        _ => (FailureClass::DeviceDown, "the radio refused the message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn air_results_and_error_classes() {
        assert_eq!(air_result("+CMGS: 0,4,42"), Some((4, 42)));
        assert_eq!(air_result("+CMGS: 0"), None);
        assert_eq!(classify(&Refusal::Cme(42)).0, FailureClass::RetryLater);
        assert_eq!(classify(&Refusal::Cme(30)).1, "the radio is out of service");
        assert_eq!(classify(&Refusal::Cme(34)).0, FailureClass::Permanent);
    }
}
