//! What the modem and radio drivers share: the queue of send requests each
//! answered with a reply, why serving a device stopped, and pauses that end
//! early when the daemon stops.

use crate::hw::at::AtError;
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
