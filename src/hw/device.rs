//! What the modem and radio drivers share: the queue of send requests each
//! answered with a reply, why serving a device stopped, and pauses that end
//! early when the daemon stops.

use crate::hw::at::AtError;
use crate::hw::SendFailure;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// A request waiting for its device, with where its answer goes: the
/// references the device gave each part, or why it could not send.
pub struct Queued<R> {
    pub request: R,
    pub reply: oneshot::Sender<Result<Vec<u8>, SendFailure>>,
}

/// Queues `request` for the device's thread and waits for its answer,
/// counting it in `waiting` meanwhile (the pool's "shortest queue").
pub async fn submit<R>(
    queue: &mpsc::Sender<Queued<R>>,
    waiting: &AtomicUsize,
    request: R,
) -> Result<Vec<u8>, SendFailure> {
    let (reply, answer) = oneshot::channel();
    waiting.fetch_add(1, Ordering::Relaxed);
    let result = match queue.send(Queued { request, reply }).await {
        Ok(()) => answer
            .await
            .unwrap_or_else(|_| Err(SendFailure::down("the device's task ended"))),
        Err(_) => Err(SendFailure::down("the device's task ended")),
    };
    waiting.fetch_sub(1, Ordering::Relaxed);
    result
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
