//! What the modem and radio drivers share: the queue of send requests each
//! answered with a reply, why serving a device stopped, and pauses that end
//! early when the daemon stops.

use crate::hw::at::{AtEngine, AtError, UrcTable};
use crate::hw::serial::{SerialError, SerialLink};
use crate::hw::status::{DeviceState, DeviceStatus, StatusCell};
use crate::hw::SendFailure;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// A request waiting for its device, with where its answer goes: the
/// references the device gave each part, or why it could not send.
pub struct Queued<R> {
    pub request: R,
    pub reply: oneshot::Sender<Result<Vec<u8>, SendFailure>>,
}

/// The rest of the appliance's side of a running device: its request
/// queue, how many requests wait, and its state.
pub struct Line<R> {
    queue: mpsc::Sender<Queued<R>>,
    waiting: Arc<AtomicUsize>,
    status: StatusCell,
}

impl<R> Clone for Line<R> {
    fn clone(&self) -> Self {
        Line {
            queue: self.queue.clone(),
            waiting: self.waiting.clone(),
            status: self.status.clone(),
        }
    }
}

impl<R> Line<R> {
    pub fn new(queue: mpsc::Sender<Queued<R>>, status: StatusCell) -> Line<R> {
        Line {
            queue,
            waiting: Arc::new(AtomicUsize::new(0)),
            status,
        }
    }

    /// Queues `request` for the device's thread and waits for its answer,
    /// counted in `waiting` meanwhile (the pool's "shortest queue").
    pub async fn send(&self, request: R) -> Result<Vec<u8>, SendFailure> {
        let (reply, answer) = oneshot::channel();
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let result = match self.queue.send(Queued { request, reply }).await {
            Ok(()) => answer
                .await
                .unwrap_or_else(|_| Err(SendFailure::down("the device's task ended"))),
            Err(_) => Err(SendFailure::down("the device's task ended")),
        };
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        result
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn status(&self) -> DeviceStatus {
        let mut status = self.status.get();
        status.queue = self.waiting();
        status
    }

    pub fn is_ready(&self) -> bool {
        self.status.get().state == DeviceState::Ready
    }
}

/// Answers every queued request as "device down", so the pool moves them to
/// another device at once.
pub fn refuse_waiting<R>(requests: &mut mpsc::Receiver<Queued<R>>, why: &str) {
    while let Ok(q) = requests.try_recv() {
        let _ = q.reply.send(Err(SendFailure::down(why)));
    }
}

/// How long a closed or reset device waits before its port is opened again.
const REOPEN_PAUSE: Duration = Duration::from_millis(500);

/// What one kind of device does inside the shared supervision loop
/// ([`supervise`]): how its port is opened and set up, how it is served,
/// and what it tries when it hangs.
#[allow(async_fn_in_trait)] // Drivers run on a current-thread runtime: no Send needed.
pub trait Supervised {
    type Request;
    /// "modem" or "radio", as logs and refusals say it.
    const KIND: &'static str;
    fn name(&self) -> &str;
    fn stop(&mut self) -> &mut watch::Receiver<bool>;
    fn status(&self) -> &StatusCell;
    fn requests(&mut self) -> &mut mpsc::Receiver<Queued<Self::Request>>;
    /// Opens the device's port with its settings.
    fn open(&self) -> Result<SerialLink, SerialError>;
    /// The unsolicited result codes the device sends, for a new AT engine.
    fn urc_table(&self) -> UrcTable;
    async fn initialise(&mut self, at: &mut AtEngine) -> Result<(), Interrupted>;
    /// Serves requests and what the device says until something stops it.
    async fn serve(&mut self, at: &mut AtEngine) -> Interrupted;
    /// Tried on a hung device before its port is closed; reopening the port
    /// is the reset when this does nothing.
    async fn after_hang(&mut self, _at: &mut AtEngine) {}
}

/// Runs a device until the daemon stops: opens its port (waiting for it to
/// appear), sets it up, serves it, and on a lost port, a hang or a restart
/// starts again; requests waiting meanwhile are refused, so the pool sends
/// them through another device.
pub async fn supervise<D: Supervised>(driver: &mut D) {
    let (name, kind) = (driver.name().to_owned(), D::KIND);
    loop {
        if *driver.stop().borrow() {
            return;
        }
        let link = match driver.open() {
            Ok(link) => link,
            Err(e) => {
                driver
                    .status()
                    .set_state(DeviceState::Disconnected, Some(e.to_string()));
                refuse_waiting(driver.requests(), &format!("the {kind} is not connected"));
                if pause(driver.stop(), REOPEN_PAUSE).await {
                    return;
                }
                continue;
            }
        };
        tracing::info!(device = %name, kind, "port open");
        let mut at = AtEngine::new(link, driver.urc_table());
        driver.status().set_state(DeviceState::Initialising, None);
        let served = match driver.initialise(&mut at).await {
            Ok(()) => {
                driver.status().set_state(DeviceState::Ready, None);
                tracing::info!(device = %name, kind, "ready");
                driver.serve(&mut at).await
            }
            Err(e) => e,
        };
        match served {
            Interrupted::Stop => return,
            Interrupted::Closed(why) => {
                tracing::warn!(device = %name, kind, %why, "port lost; waiting for it to come back");
                driver
                    .status()
                    .set_state(DeviceState::Disconnected, Some(why));
            }
            Interrupted::Hung(why) => {
                tracing::error!(device = %name, kind, %why, "hung; resetting it");
                driver.status().set_state(DeviceState::Resetting, Some(why));
                driver.after_hang(&mut at).await;
            }
            Interrupted::Restarted(why) => {
                tracing::warn!(device = %name, kind, %why, "restarted; initialising again");
                driver
                    .status()
                    .set_state(DeviceState::Initialising, Some(why));
            }
        }
        drop(at);
        refuse_waiting(driver.requests(), &format!("the {kind} is being reset"));
        if pause(driver.stop(), REOPEN_PAUSE).await {
            return;
        }
    }
}

/// Sleeps; `true` when asked to stop meanwhile.
pub async fn pause(stop: &mut watch::Receiver<bool>, time: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(time) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// Why serving a device stopped.
pub enum Interrupted {
    Stop,
    /// The port went away (unplugged, closed).
    Closed(String),
    /// The device stopped answering; it is reset and reopened.
    Hung(String),
    /// The device restarted by itself, or must be set up again.
    Restarted(String),
}

impl From<AtError> for Interrupted {
    fn from(e: AtError) -> Self {
        match e {
            AtError::Closed(why) => Interrupted::Closed(why),
            AtError::Serial(e) => Interrupted::Closed(e.to_string()),
            other => Interrupted::Hung(other.to_string()),
        }
    }
}
