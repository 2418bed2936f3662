//! The inbox: the way back in, beside the dispatcher's outbox.
//!
//! A modem or radio only decodes what it hears and hands it here; the inbox
//! stores it as pending and flushes before the device lets go of it (a modem
//! deletes it from the SIM only then). A worker thread, off the device
//! threads, handles pending messages one at a time: an answer to an alert, a
//! note on one, an alert started by an SMS trigger or an emergency centre's
//! rule, or nothing. At start-up every message still pending is handled, so a
//! crash between storing and handling loses nothing; every effect of
//! handling is keyed by the message, so handling one twice does it once.
//!
//! Who may start whose alerts is decided by the sender's assignment (see
//! [`crate::store::Assignments`]): shared hardware belongs to the appliance,
//! and an organisation's rules see only the senders assigned to it.

mod answers;
mod email;
mod pins;
mod sms;
mod tetra;
mod timer;
mod voice;

pub use email::{listen as listen_for_mail, orgs_taking as orgs_taking_email, Mail, SmtpError};
pub use tetra::{named_fields, rule_matches};

use crate::alerts::Engine;
use crate::clock::SharedClock;
use crate::hw::gsm::pdu;
use crate::hw::tetra::radio::{Heard, Received};
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{
    Channel, DeliveryRef, Handling, InboundMessage, PartNumber, PartialSms, Said, Store, StoreError,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// How often the worker looks for long SMS whose parts stopped coming,
/// and for pending messages nobody woke it for.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Set (to anything) to keep received messages pending without handling
/// them: a fault-injection switch for proving crash recovery, never for
/// production.
pub const HOLD_SWITCH: &str = "TOCSIN_FAULT_HOLD_INBOX";

/// What handling a message decided: the organisation it is filed under,
/// its text as kept (a trigger's PIN redacted), and what was done.
struct Filed {
    org: Id,
    text: Option<String>,
    handling: Handling,
}

impl Filed {
    fn under(org: Id, handling: Handling) -> Filed {
        Filed {
            org,
            text: None,
            handling,
        }
    }
}

struct Worker {
    store: Store,
    engine: Engine,
    hub: Arc<Hub>,
    clock: SharedClock,
    part_timeout: time::Duration,
    pins: pins::PinCheck,
}

/// The devices' end of the inbox; cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    store: Store,
    clock: SharedClock,
    wake: mpsc::SyncSender<()>,
    stopping: Arc<AtomicBool>,
    worker: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").finish_non_exhaustive()
    }
}

impl Inbox {
    /// Starts the worker, which first handles whatever a crash left pending.
    pub fn start(
        store: Store,
        engine: Engine,
        hub: Arc<Hub>,
        clock: SharedClock,
        part_timeout: time::Duration,
    ) -> std::io::Result<Inbox> {
        let (wake, woken) = mpsc::sync_channel(1);
        let worker = Worker {
            store: store.clone(),
            engine,
            hub,
            clock: clock.clone(),
            part_timeout,
            pins: pins::PinCheck::new(),
        };
        let hold = std::env::var_os(HOLD_SWITCH).is_some();
        if hold {
            tracing::warn!("{HOLD_SWITCH} is set: received messages are stored but not handled");
        }
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("inbox".to_owned())
            .spawn(move || worker.run(&woken, &stop, hold))?;
        Ok(Inbox {
            store,
            clock,
            wake,
            stopping,
            worker: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Lets the message being handled finish, then ends the worker. What is
    /// still pending is handled at the next start. Blocks.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake();
        let thread = self
            .worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    /// Keeps an SMS (or one part of a long one) durably as pending. When this
    /// returns `Ok` the modem may delete it.
    pub fn accept_sms(&self, modem: &str, message: &pdu::Deliver) -> Result<(), StoreError> {
        let received = InboundMessage {
            id: Id::new(),
            channel: Channel::Sms,
            from: message.from.clone(),
            to: modem.to_owned(),
            received_at: self.clock.now(),
            text: message.text.clone(),
            parts: 1,
            incomplete: false,
            said: Said::Text,
            handling: Handling::Pending,
        };
        let stamp = message.timestamp.as_deref().unwrap_or("");
        let ready = match &message.concat {
            Some(c) if c.total > 1 => {
                let fingerprint = format!(
                    "sms-part\u{0}{}\u{0}{stamp}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
                    message.from, c.reference, c.total, c.seq, message.text
                );
                let number = PartNumber {
                    reference: c.reference,
                    total: c.total,
                    seq: c.seq,
                };
                self.store
                    .accept_sms_part(number, &received, &fingerprint)?
            }
            _ => {
                let fingerprint =
                    format!("sms\u{0}{}\u{0}{stamp}\u{0}{}", message.from, message.text);
                let new = self.store.accept_inbound(&received, Some(&fingerprint))?;
                if !new {
                    tracing::info!(from = %message.from, "an SMS already kept was read again; ignored");
                }
                new
            }
        };
        self.store.flush_blocking()?;
        if ready {
            self.wake();
        }
        Ok(())
    }

    /// Keeps what a radio heard durably as pending. Radios keep nothing, so
    /// nothing is heard twice.
    pub fn accept_radio(&self, radio: &str, heard: &Heard) -> Result<(), StoreError> {
        let (text, said) = match &heard.what {
            Received::Text(text) => (text.clone(), Said::Text),
            Received::Status { value, label } => (
                match label {
                    Some(label) => format!("status {label} ({value:04X})"),
                    None => format!("status {value:04X}"),
                },
                Said::Status {
                    value: *value,
                    label: label.clone(),
                },
            ),
            Received::CalloutReply {
                number,
                option,
                text,
            } => (
                format!("call-out {number} answer: {text}"),
                Said::CalloutReply {
                    number: *number,
                    option: *option,
                },
            ),
        };
        let received = InboundMessage {
            id: Id::new(),
            channel: Channel::Tetra,
            from: heard.from.to_string(),
            to: format!("{radio} ({})", heard.to),
            received_at: self.clock.now(),
            text,
            parts: 1,
            incomplete: false,
            said,
            handling: Handling::Pending,
        };
        self.store.accept_inbound(&received, None)?;
        self.store.flush_blocking()?;
        self.wake();
        Ok(())
    }

    /// Keeps what a person keyed in a robot call durably as pending, and
    /// settles the call's delivery as delivered in the same flush: they
    /// heard it, and a restart must not call them again.
    pub fn accept_keys(
        &self,
        modem: &str,
        from: &str,
        about: DeliveryRef,
        keys: &str,
        choice: u8,
        eta_minutes: Option<u32>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let received = InboundMessage {
            id: Id::new(),
            channel: Channel::Voice,
            from: from.to_owned(),
            to: modem.to_owned(),
            received_at: now,
            text: keys.to_owned(),
            parts: 1,
            incomplete: false,
            said: Said::Keys {
                org: about.org,
                alert: about.alert,
                recipient: about.recipient,
                choice,
                eta_minutes,
            },
            handling: Handling::Pending,
        };
        self.store.accept_inbound(&received, None)?;
        let settled = if about.delivery != Id::SYSTEM {
            self.store.settle_delivery(about, &Ok(()), now)?
        } else {
            None
        };
        self.store.flush_blocking()?;
        if let Some(d) = settled {
            crate::alerts::delivery_settled(&self.store, about, &d, now)?;
        }
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        // A wake-up already waiting covers this one too.
        let _ = self.wake.try_send(());
    }
}

impl Worker {
    fn run(&self, woken: &mpsc::Receiver<()>, stopping: &AtomicBool, hold: bool) {
        loop {
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            if !hold {
                if let Err(e) = self.give_up_stale_parts() {
                    tracing::error!(error = %e, "cannot check long SMS for missing parts");
                }
                if let Err(e) = self.handle_pending(stopping) {
                    tracing::error!(error = %e, "cannot read the inbox; trying again");
                }
            }
            match woken.recv_timeout(SWEEP_EVERY) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Handles every pending message, oldest first.
    fn handle_pending(&self, stopping: &AtomicBool) -> Result<(), StoreError> {
        for message in self.store.pending_inbound()? {
            if stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            if let Err(e) = self.handle_one(message.clone()) {
                // It stays pending and is tried again at the next sweep.
                tracing::error!(id = %message.id, error = %e, "cannot handle a received message");
            }
        }
        Ok(())
    }

    fn handle_one(&self, mut message: InboundMessage) -> Result<(), StoreError> {
        let filed = match message.channel {
            Channel::Tetra => tetra::handle(self, &message)?,
            Channel::Voice => voice::handle(self, &message)?,
            Channel::Email => email::handle(self, &message)?,
            _ => sms::handle(self, &message)?,
        };
        if let Some(text) = filed.text {
            message.text = text;
        }
        tracing::info!(channel = message.channel.name(), from = %message.from, handling = ?filed.handling, "message received");
        message.handling = filed.handling;
        self.store.finish_inbound(filed.org, &message)?;
        self.store.flush_blocking()
    }

    /// Long SMS whose other parts did not come within the timeout become
    /// messages of their own, marked incomplete.
    fn give_up_stale_parts(&self) -> Result<(), StoreError> {
        let cutoff = self.clock.now() - self.part_timeout;
        for partial in self.store.partial_sms_before(cutoff)? {
            let message = incomplete_message(&partial);
            tracing::warn!(from = %partial.from, came = partial.parts.len(), of = partial.total, "a long SMS is handled without its missing parts");
            self.store.give_up_partial_sms(&partial, &message)?;
            self.store.flush_blocking()?;
        }
        Ok(())
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

/// What came of a long SMS, with a gap mark where parts are missing.
fn incomplete_message(partial: &PartialSms) -> InboundMessage {
    let mut text = String::new();
    let mut expected = 1u8;
    for (seq, part) in &partial.parts {
        if *seq != expected {
            text.push('…');
        }
        text.push_str(part);
        expected = seq.saturating_add(1);
    }
    if expected <= partial.total {
        text.push('…');
    }
    InboundMessage {
        id: Id::new(),
        channel: Channel::Sms,
        from: partial.from.clone(),
        to: partial.to.clone(),
        received_at: partial.first_at,
        text,
        parts: u8::try_from(partial.parts.len()).unwrap_or(u8::MAX),
        incomplete: true,
        said: Said::Text,
        handling: Handling::Pending,
    }
}
