//! Robot calls on a modem: the spoken message is uploaded to the modem's
//! flash once, the number dialled, the message played into the answered
//! call, and the keys the person presses collected: a choice, an optional
//! arrival time in minutes ended with `#`, or `0` to hear it again. The
//! same conversation serves a member who calls in.
//!
//! What differs between models (commands, URCs, where the call state sits
//! in them) is the profile's `[voice]` table; this code only follows the
//! 3GPP call states those URCs carry.

use super::{Driver, Queued};
use crate::hw::at::{fields, AtEngine, AtError, Refusal, Urc};
use crate::hw::device::Interrupted;
use crate::hw::gsm::profile::VoiceProfile;
use crate::hw::{FailureClass, SendFailure};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many times the message is said in one call: once, and twice again
/// on `0` or silence.
const PLAYS: u32 = 3;
/// How long after the call-released state the modem's closing result code
/// (`BUSY`, `NO ANSWER`, `NO CARRIER`) may take.
const RESULT_AFTER_RELEASE: Duration = Duration::from_secs(1);
/// Announcements of the same caller this close together are one call.
const SAME_CALL: Duration = Duration::from_secs(5);
/// Digits in an arrival time: 1440 minutes (a day) is the longest.
const ETA_DIGITS: usize = 4;

/// A WAV file the modem plays, by the name it has on the modem's flash.
#[derive(Debug, Clone)]
pub struct Recording {
    pub name: String,
    pub audio: Arc<Vec<u8>>,
}

/// One robot call.
#[derive(Debug, Clone)]
pub struct CallRequest {
    pub to: String,
    pub message: Recording,
    /// What is said once a choice is recorded, one per choice, the first
    /// choice first.
    pub confirmations: Vec<Recording>,
    /// The person may key in their arrival time after their choice.
    pub eta: bool,
    /// The caller's own reference (a delivery), handed back in events.
    pub tag: String,
}

/// How far an answered call got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallProgress {
    /// The number is being called.
    Dialled,
    /// The person picked up.
    Answered,
    /// The message played to its end once.
    Heard,
}

/// What the person keyed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The choice, 1 for the first.
    pub choice: u8,
    pub eta_minutes: Option<u32>,
    /// Every key pressed for it, as pressed (`1`, `115#`).
    pub keys: String,
}

/// Where a modem's calls are reported, and who may call in.
pub trait CallEvents: Send + Sync + 'static {
    fn progress(&self, modem: &str, request: &CallRequest, progress: CallProgress);
    /// Keeps the answer durably; the confirmation is said only after `Ok`.
    fn keyed(&self, modem: &str, request: &CallRequest, keyed: &Keyed) -> Result<(), String>;
    /// Someone calls the modem: what they hear and answer, or `None` to
    /// turn the call down. Blocks the modem while it decides.
    fn calling_in(&self, modem: &str, number: &str) -> Option<CallRequest>;
}

/// What one line from the modem means for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    /// A 3GPP call state (27.007 `+CLCC` `<stat>`), with the direction
    /// (1: incoming) and the other end's number.
    State {
        state: u8,
        incoming: bool,
        number: String,
    },
    Key(char),
    Played,
    /// `BUSY`, `NO ANSWER` or `NO CARRIER`.
    Ended(String),
    Ring,
    Other,
}

fn hear(voice: &VoiceProfile, line: &str) -> Heard {
    if line.starts_with(voice.call_state.as_str()) {
        let f = fields(line);
        let value = |i: usize| f.get(i).cloned().unwrap_or_default();
        return match value(voice.state_field).parse::<u8>() {
            Ok(state) => Heard::State {
                state,
                incoming: value(voice.direction_field) == "1",
                number: value(voice.number_field),
            },
            Err(_) => Heard::Other,
        };
    }
    if line.starts_with(voice.played.as_str()) {
        return Heard::Played;
    }
    if let Some(rest) = line.strip_prefix(voice.key.as_str()) {
        let rest = rest.trim().trim_matches('"');
        let key = if voice.key_as_code {
            rest.parse::<u32>().ok().and_then(char::from_u32)
        } else {
            rest.chars().next()
        };
        return key.map_or(Heard::Other, |k| Heard::Key(k.to_ascii_uppercase()));
    }
    match line {
        "BUSY" | "NO ANSWER" | "NO CARRIER" => Heard::Ended(line.to_owned()),
        "RING" => Heard::Ring,
        _ if line.starts_with("+CRING:") => Heard::Ring,
        _ => Heard::Other,
    }
}

/// The number in a `+CLIP: "<number>",<type>,...` line.
fn clip_number(line: &str) -> Option<String> {
    line.starts_with("+CLIP:")
        .then(|| fields(line).into_iter().next())
        .flatten()
        .filter(|n| !n.is_empty())
}

/// Why an unanswered call ended, as the delivery's reason.
fn not_answered(reason: &str) -> SendFailure {
    let class = match reason {
        "busy" | "no answer" => FailureClass::RetryLater,
        _ => FailureClass::Permanent,
    };
    SendFailure {
        class,
        reason: reason.to_owned(),
    }
}

fn modem_error(detail: impl std::fmt::Display) -> SendFailure {
    SendFailure::down(&format!("modem error: {detail}"))
}

/// How a conversation ended.
enum Spoken {
    /// The modem hung up, or the far end did.
    Over,
    /// The modem failed; serving it must start again.
    Stopped(Interrupted),
}

impl Driver {
    fn voice(&self) -> Option<VoiceProfile> {
        self.spec.profile.voice.clone().filter(|_| self.spec.voice)
    }

    /// The voice settings a modem forgets when it restarts, and any call a
    /// crash or a restart left behind hung up.
    pub(super) async fn initialise_voice(&mut self, at: &mut AtEngine) -> Result<(), Interrupted> {
        let Some(voice) = self.voice() else {
            return Ok(());
        };
        let t = self.spec.profile.timeouts.command();
        if let Err(e) = at.command(&voice.hang_up, None, t).await {
            if e.is_device_fault() {
                return Err(e.into());
            }
        }
        for command in &voice.init {
            self.patiently(at, command).await.map_err(|e| match e {
                e if e.is_device_fault() => Interrupted::from(e),
                e => Interrupted::Hung(format!("voice initialisation failed: {e}")),
            })?;
        }
        self.status.update(|s| s.voice = true);
        Ok(())
    }

    /// Places one call and answers the request with how it went.
    pub(super) async fn call(
        &mut self,
        at: &mut AtEngine,
        request: CallRequest,
        reply: tokio::sync::oneshot::Sender<Result<Vec<u8>, SendFailure>>,
    ) -> Result<(), Interrupted> {
        let Some(voice) = self.voice() else {
            let _ = reply.send(Err(SendFailure {
                class: FailureClass::DeviceDown,
                reason: "this modem places no calls".to_owned(),
            }));
            return Ok(());
        };
        let started = Instant::now();
        self.status.update(|s| s.in_call = true);
        let result = self.dial_and_speak(at, &voice, &request).await;
        self.status.update(|s| s.in_call = false);
        let took = started.elapsed().as_secs_f64() * 1000.0;
        self.avg_call_ms = Some(self.avg_call_ms.map_or(took, |a| a * 0.8 + took * 0.2));
        let avg = self.avg_call_ms.map(|a| a as u64);
        self.status.update(|s| {
            s.calls += 1;
            s.avg_call_ms = avg;
        });
        match result {
            Ok(Ok(())) => {
                let _ = reply.send(Ok(Vec::new()));
                Ok(())
            }
            Ok(Err(failure)) => {
                if failure.class == FailureClass::DeviceDown {
                    let now = self.status.now();
                    self.status.update(|s| {
                        s.last_error = Some(failure.reason.clone());
                        s.last_error_at = Some(now);
                    });
                }
                let _ = reply.send(Err(failure));
                Ok(())
            }
            Err(stop) => {
                let _ = reply.send(Err(modem_error("the modem stopped during the call")));
                Err(stop)
            }
        }
    }

    async fn dial_and_speak(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        request: &CallRequest,
    ) -> Result<Result<(), SendFailure>, Interrupted> {
        for recording in std::iter::once(&request.message).chain(&request.confirmations) {
            if let Err(failure) = self.upload(at, voice, recording).await? {
                return Ok(Err(failure));
            }
        }
        let t = self.spec.profile.timeouts.command();
        let dial = voice.dial.replace("{number}", &request.to);
        match at.command(&dial, None, t).await {
            Ok(_) => {}
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(e) => return Ok(Err(dial_refused(&e))),
        }
        self.calls
            .progress(&self.spec.name, request, CallProgress::Dialled);
        let deadline = Instant::now() + voice.timeouts.ring();
        let mut alerting = false;
        loop {
            let heard = match self.next_line(at, voice, deadline).await? {
                Some(heard) => heard,
                None => {
                    self.hang_up(at, voice).await?;
                    return Ok(Err(not_answered("no answer")));
                }
            };
            match heard {
                Heard::State { state: 0, .. } => break,
                Heard::State { state: 3, .. } => alerting = true,
                Heard::State { state: 6 | 7, .. } => {
                    let closing = Instant::now() + RESULT_AFTER_RELEASE;
                    let code = loop {
                        match self.next_line(at, voice, closing).await? {
                            Some(Heard::Ended(code)) => break code,
                            Some(_) => {}
                            None => break "NO CARRIER".to_owned(),
                        }
                    };
                    return Ok(Err(not_answered(ended_reason(&code, alerting))));
                }
                Heard::Ended(code) => return Ok(Err(not_answered(ended_reason(&code, alerting)))),
                _ => {}
            }
        }
        self.calls
            .progress(&self.spec.name, request, CallProgress::Answered);
        match self.converse(at, voice, request).await {
            Spoken::Over => Ok(Ok(())),
            Spoken::Stopped(stop) => Err(stop),
        }
    }

    /// Answers a call coming in from `number`: the member hears their
    /// latest active alert and may answer it; anyone else is turned down.
    pub(super) async fn answer_incoming(
        &mut self,
        at: &mut AtEngine,
        number: &str,
    ) -> Result<(), Interrupted> {
        let Some(voice) = self.voice() else {
            return Ok(());
        };
        let Some(request) = self.calls.calling_in(&self.spec.name, number) else {
            tracing::warn!(modem = %self.spec.name, from = %number, "a call from an unknown number turned down");
            return self.hang_up(at, &voice).await;
        };
        self.status.update(|s| s.in_call = true);
        let result = self.answer_and_speak(at, &voice, &request).await;
        self.status.update(|s| s.in_call = false);
        result
    }

    async fn answer_and_speak(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        request: &CallRequest,
    ) -> Result<(), Interrupted> {
        for recording in std::iter::once(&request.message).chain(&request.confirmations) {
            if let Err(failure) = self.upload(at, voice, recording).await? {
                tracing::warn!(modem = %self.spec.name, reason = %failure.reason, "cannot answer a call coming in");
                return self.hang_up(at, voice).await;
            }
        }
        let t = self.spec.profile.timeouts.command();
        match at.command(&voice.answer, None, t).await {
            Ok(_) => {}
            Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
            Err(e) => {
                tracing::info!(modem = %self.spec.name, error = %e, "the call coming in ended before it was answered");
                return Ok(());
            }
        }
        match self.converse(at, voice, request).await {
            Spoken::Over => Ok(()),
            Spoken::Stopped(stop) => Err(stop),
        }
    }

    /// The answered part of a call: the message, the keys, the
    /// confirmation, and hanging up.
    async fn converse(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        request: &CallRequest,
    ) -> Spoken {
        let end = Instant::now() + voice.timeouts.call();
        let mut heard_once = false;
        let mut plays = 0;
        let choice = 'listening: loop {
            if plays == PLAYS {
                break None;
            }
            plays += 1;
            match self.play(at, voice, &request.message.name).await {
                Ok(Ok(())) => {}
                Ok(Err(Ended)) => return Spoken::Over,
                Err(stop) => return Spoken::Stopped(stop),
            }
            let mut playing = true;
            let mut silence = end;
            loop {
                let heard = match self.next_line(at, voice, silence.min(end)).await {
                    Ok(heard) => heard,
                    Err(stop) => return Spoken::Stopped(stop),
                };
                match heard {
                    None if Instant::now() >= end => break 'listening None,
                    None => continue 'listening,
                    Some(Heard::Played) if playing => {
                        playing = false;
                        silence = Instant::now() + voice.timeouts.key();
                        if !heard_once {
                            heard_once = true;
                            self.calls
                                .progress(&self.spec.name, request, CallProgress::Heard);
                        }
                    }
                    Some(Heard::Key(key)) => {
                        let digit = key.to_digit(10).and_then(|d| u8::try_from(d).ok());
                        let options = request.confirmations.len();
                        match digit {
                            Some(0) => {
                                if playing {
                                    if let Err(stop) = self.stop_playing(at, voice).await {
                                        return Spoken::Stopped(stop);
                                    }
                                }
                                // "Hear this again" is not counted as silence.
                                plays = plays.saturating_sub(1);
                                continue 'listening;
                            }
                            Some(d) if usize::from(d) <= options => {
                                if playing {
                                    if let Err(stop) = self.stop_playing(at, voice).await {
                                        return Spoken::Stopped(stop);
                                    }
                                }
                                break 'listening Some(d);
                            }
                            _ => {}
                        }
                    }
                    Some(Heard::Ended(_) | Heard::State { state: 6 | 7, .. }) => {
                        return Spoken::Over;
                    }
                    Some(_) => {}
                }
            }
        };
        if let Some(choice) = choice {
            let mut keys = choice.to_string();
            let eta_minutes = if request.eta {
                match self.arrival_time(at, voice, &mut keys).await {
                    Ok(Ok(minutes)) => minutes,
                    Ok(Err(Ended)) => None,
                    Err(stop) => return Spoken::Stopped(stop),
                }
            } else {
                None
            };
            let keyed = Keyed {
                choice,
                eta_minutes,
                keys,
            };
            match self.calls.keyed(&self.spec.name, request, &keyed) {
                Ok(()) => {
                    let confirmation = request
                        .confirmations
                        .get(usize::from(choice).saturating_sub(1))
                        .map(|r| r.name.clone());
                    if let Some(name) = confirmation {
                        match self.play(at, voice, &name).await {
                            Ok(Ok(())) => {
                                if let Err(stop) = self.until_played(at, voice, end).await {
                                    return Spoken::Stopped(stop);
                                }
                            }
                            Ok(Err(Ended)) => return Spoken::Over,
                            Err(stop) => return Spoken::Stopped(stop),
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(modem = %self.spec.name, error = %e, "cannot keep an answer keyed in a call");
                }
            }
        }
        match self.hang_up(at, voice).await {
            Ok(()) => Spoken::Over,
            Err(stop) => Spoken::Stopped(stop),
        }
    }

    /// Digits up to `#` or a pause: minutes until the person arrives.
    async fn arrival_time(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        keys: &mut String,
    ) -> Result<Result<Option<u32>, Ended>, Interrupted> {
        let mut digits = String::new();
        loop {
            let deadline = Instant::now() + voice.timeouts.digit();
            match self.next_line(at, voice, deadline).await? {
                None => break,
                Some(Heard::Key('#')) => {
                    keys.push('#');
                    break;
                }
                Some(Heard::Key(k)) if k.is_ascii_digit() && digits.len() < ETA_DIGITS => {
                    keys.push(k);
                    digits.push(k);
                }
                Some(Heard::Ended(_) | Heard::State { state: 6 | 7, .. }) => {
                    return Ok(Err(Ended));
                }
                Some(_) => {}
            }
        }
        Ok(Ok(digits.parse::<u32>().ok().filter(|m| *m <= 1440)))
    }

    async fn until_played(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        end: Instant,
    ) -> Result<(), Interrupted> {
        loop {
            match self.next_line(at, voice, end).await? {
                None
                | Some(Heard::Played | Heard::Ended(_) | Heard::State { state: 6 | 7, .. }) => {
                    return Ok(())
                }
                Some(_) => {}
            }
        }
    }

    /// Starts a file playing into the call; `Ended` when the call is over.
    async fn play(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        file: &str,
    ) -> Result<Result<(), Ended>, Interrupted> {
        let t = self.spec.profile.timeouts.command();
        let command = voice.play.replace("{file}", file);
        match at.command(&command, None, t).await {
            Ok(_) => Ok(Ok(())),
            Err(e) if e.is_device_fault() => Err(self.probe_after(at, e).await),
            Err(e) if is_no_carrier(&e) => Ok(Err(Ended)),
            Err(e) => {
                // The file may have gone from the flash: it is uploaded again
                // before the next call.
                self.uploaded.remove(file);
                tracing::warn!(modem = %self.spec.name, %file, error = %e, "cannot play into the call");
                let _ = self.hang_up(at, voice).await;
                Ok(Err(Ended))
            }
        }
    }

    async fn stop_playing(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
    ) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        match at.command(&voice.stop, None, t).await {
            Err(e) if e.is_device_fault() => Err(self.probe_after(at, e).await),
            _ => Ok(()),
        }
    }

    async fn hang_up(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
    ) -> Result<(), Interrupted> {
        let t = self.spec.profile.timeouts.command();
        match at.command(&voice.hang_up, None, t).await {
            Err(e) if e.is_device_fault() => Err(self.probe_after(at, e).await),
            _ => Ok(()),
        }
    }

    /// Puts a recording on the modem's flash unless it is there already.
    async fn upload(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        recording: &Recording,
    ) -> Result<Result<(), SendFailure>, Interrupted> {
        if self.uploaded.contains(&recording.name) {
            return Ok(Ok(()));
        }
        let t = self.spec.profile.timeouts.command();
        // A file of the same name may be half an upload a restart cut short.
        let delete = voice.delete.replace("{file}", &recording.name);
        if let Err(e) = at.command(&delete, None, t).await {
            if e.is_device_fault() {
                return Err(self.probe_after(at, e).await);
            }
        }
        let command = voice
            .upload
            .replace("{file}", &recording.name)
            .replace("{size}", &recording.audio.len().to_string());
        match at
            .command_with_upload(&command, None, &recording.audio, t, voice.timeouts.upload())
            .await
        {
            Ok(_) => {
                self.uploaded.insert(recording.name.clone());
                Ok(Ok(()))
            }
            Err(e) if e.is_device_fault() => Err(self.probe_after(at, e).await),
            Err(e) => Ok(Err(modem_error(format!(
                "cannot put the spoken message on the modem: {e}"
            )))),
        }
    }

    /// Deletes files from the flash; one that is not there is no error.
    pub(super) async fn forget(
        &mut self,
        at: &mut AtEngine,
        names: &[String],
    ) -> Result<(), Interrupted> {
        let Some(voice) = self.voice() else {
            return Ok(());
        };
        let t = self.spec.profile.timeouts.command();
        for name in names {
            match at
                .command(&voice.delete.replace("{file}", name), None, t)
                .await
            {
                Err(e) if e.is_device_fault() => return Err(self.probe_after(at, e).await),
                _ => {
                    self.uploaded.remove(name);
                }
            }
        }
        Ok(())
    }

    /// The next line that matters to a call, serving what else comes
    /// meanwhile (received SMS, and sends where the model allows them
    /// during a call); `None` at the deadline.
    async fn next_line(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        deadline: Instant,
    ) -> Result<Option<Heard>, Interrupted> {
        loop {
            if let Some(urc) = at.queued_urc() {
                if let Some(heard) = self.sort_during_call(at, voice, urc).await? {
                    return Ok(Some(heard));
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.stop.changed() => return Err(Interrupted::Stop),
                urc = at.next_urc() => {
                    let urc = urc.map_err(Interrupted::from)?;
                    if let Some(heard) = self.sort_during_call(at, voice, urc).await? {
                        return Ok(Some(heard));
                    }
                }
                queued = self.requests.recv() => {
                    let Some(queued) = queued else { return Err(Interrupted::Stop) };
                    self.during_call(at, voice, queued).await?;
                }
                () = tokio::time::sleep_until(deadline) => return Ok(None),
            }
        }
    }

    async fn sort_during_call(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        urc: Urc,
    ) -> Result<Option<Heard>, Interrupted> {
        match hear(voice, &urc.line) {
            Heard::Other if urc.line.starts_with("+CLIP:") => Ok(None),
            Heard::Other => {
                self.on_message_urc(at, urc).await?;
                Ok(None)
            }
            // Someone else calling meanwhile waits; the call states of a
            // second call are theirs, not this one's.
            Heard::Ring | Heard::State { state: 4 | 5, .. } => Ok(None),
            heard => Ok(Some(heard)),
        }
    }

    /// A request that came while a call goes on: an SMS goes out now where
    /// the model allows it; anything else is handed back to the pool.
    async fn during_call(
        &mut self,
        at: &mut AtEngine,
        voice: &VoiceProfile,
        queued: Queued,
    ) -> Result<(), Interrupted> {
        match queued.request {
            super::Request::Sms(request) if voice.sms_during_call => {
                self.send(at, request, queued.reply).await
            }
            _ => {
                let _ = queued
                    .reply
                    .send(Err(SendFailure::down("the modem is in a call")));
                Ok(())
            }
        }
    }

    /// Serves what a modem says about a call coming in while idle.
    pub(super) async fn on_call_urc(
        &mut self,
        at: &mut AtEngine,
        line: &str,
    ) -> Result<bool, Interrupted> {
        let Some(voice) = self.voice() else {
            return Ok(false);
        };
        let number = match hear(&voice, line) {
            // An empty number is a withheld one: turned down like a stranger.
            Heard::State {
                state: 4,
                incoming: true,
                number,
            } => number,
            Heard::State { .. } | Heard::Key(_) | Heard::Played | Heard::Ended(_) => {
                return Ok(true)
            }
            Heard::Ring | Heard::Other => match clip_number(line) {
                Some(number) => number,
                None => return Ok(matches!(hear(&voice, line), Heard::Ring)),
            },
        };
        // The call state and each `+CLIP` name the caller: the first counts.
        let now = Instant::now();
        let again = self
            .last_caller
            .as_ref()
            .is_some_and(|(n, at)| *n == number && now.duration_since(*at) < SAME_CALL);
        if again || self.status.get().in_call {
            return Ok(true);
        }
        self.answer_incoming(at, &number).await?;
        self.last_caller = Some((number, Instant::now()));
        Ok(true)
    }
}

/// The call ended (the far end hung up, or the modem did).
struct Ended;

fn is_no_carrier(e: &AtError) -> bool {
    matches!(e.refusal(), Some(Refusal::Other(code)) if code == "NO CARRIER")
}

/// `ATD` refused at once: what it says about the number.
fn dial_refused(e: &AtError) -> SendFailure {
    match e.refusal() {
        Some(Refusal::Other(code)) => match code.as_str() {
            "BUSY" => not_answered("busy"),
            "NO ANSWER" => not_answered("no answer"),
            "NO CARRIER" => not_answered("unreachable"),
            _ => modem_error(e),
        },
        _ => modem_error(e),
    }
}

/// The delivery's reason for a call that ended unanswered with `code`.
fn ended_reason(code: &str, alerting: bool) -> &'static str {
    match code {
        "BUSY" => "busy",
        "NO ANSWER" => "no answer",
        // The phone rang and the call was turned down; without ringing the
        // network could not reach it.
        _ if alerting => "rejected",
        _ => "unreachable",
    }
}

#[cfg(test)]
mod tests;
