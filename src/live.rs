//! Live notifications inside the daemon: members' app streams get their new
//! deliveries, whoever follows an alert learns that it changed, and the
//! dispatcher learns that new deliveries wait. Nothing
//! here is durable; streams that reconnect catch up from the store.

use crate::ids::Id;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Wakes the dispatcher's loops when new work is stored. A wake-up that
/// comes while a loop is busy is kept until it next waits, so new work never
/// waits for an idle poll.
#[derive(Debug, Clone)]
pub struct Wake(Arc<watch::Sender<u64>>);

impl Default for Wake {
    fn default() -> Self {
        Wake(Arc::new(watch::channel(0).0))
    }
}

impl Wake {
    pub fn now(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// One loop's end of the wake-ups.
    pub fn waiter(&self) -> Waiter {
        Waiter(self.0.subscribe())
    }
}

pub struct Waiter(watch::Receiver<u64>);

impl Waiter {
    /// Returns when woken (or woken meanwhile since the last wait), or after
    /// `pause`.
    pub async fn or_after(&mut self, pause: Duration) {
        tokio::select! {
            changed = self.0.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(pause).await;
                }
            }
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// A member's app delivery in an alert: what their feed lists and their
/// live stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppDelivery {
    pub alert: Id,
    pub recipient: Id,
    pub delivery: Id,
}

type Subscribers<T> = Mutex<HashMap<(Id, Id), Vec<mpsc::Sender<T>>>>;

#[derive(Debug, Default)]
pub struct Hub {
    members: Subscribers<AppDelivery>,
    alerts: Subscribers<()>,
}

/// Per-stream buffer: a stream that falls this far behind is dropped and
/// catches up from the store when its client reconnects.
const MEMBER_BUFFER: usize = 256;

fn subscribe<T>(map: &Subscribers<T>, key: (Id, Id), capacity: usize) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel(capacity);
    if let Ok(mut map) = map.lock() {
        map.entry(key).or_default().push(tx);
    }
    rx
}

fn publish<T: Clone>(map: &Subscribers<T>, key: (Id, Id), event: T, drop_when_full: bool) -> usize {
    let Ok(mut map) = map.lock() else {
        return 0;
    };
    let Some(senders) = map.get_mut(&key) else {
        return 0;
    };
    senders.retain(|tx| match tx.try_send(event.clone()) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => !drop_when_full,
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    let reached = senders.len();
    if senders.is_empty() {
        map.remove(&key);
    }
    reached
}

impl Hub {
    pub fn subscribe_member(&self, org: Id, user: Id) -> mpsc::Receiver<AppDelivery> {
        subscribe(&self.members, (org, user), MEMBER_BUFFER)
    }

    /// Returns how many of the member's streams got the event.
    pub fn notify_member(&self, org: Id, user: Id, event: AppDelivery) -> usize {
        publish(&self.members, (org, user), event, true)
    }

    /// Announces stored app deliveries on their members' streams.
    pub fn announce(&self, org: Id, notices: &[(Id, AppDelivery)]) {
        for (user, event) in notices {
            self.notify_member(org, *user, *event);
        }
    }

    /// Changes to an alert arrive as a wake-up; one pending wake-up is enough,
    /// since the follower reads the alert's current state.
    pub fn subscribe_alert(&self, org: Id, alert: Id) -> mpsc::Receiver<()> {
        subscribe(&self.alerts, (org, alert), 1)
    }

    pub fn notify_alert(&self, org: Id, alert: Id) {
        publish(&self.alerts, (org, alert), (), false);
    }

    /// Ends every open stream (the daemon is stopping; clients reconnect and
    /// catch up from the store).
    pub fn close_all(&self) {
        if let Ok(mut m) = self.members.lock() {
            m.clear();
        }
        if let Ok(mut a) = self.alerts.lock() {
            a.clear();
        }
    }

    pub fn connected_members(&self) -> usize {
        self.members
            .lock()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
