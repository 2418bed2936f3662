//! How many refused mails the inbound list keeps. A refused sender tends to
//! try again and again, and a flood must neither fill the disk (each kept
//! refusal is flushed) nor bury the refusals of others: each peer address
//! gets a few a minute and the listener a few more in all. Past that a mail
//! is still refused, only counted, and the count logged once the minute is
//! over.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Refusals kept from one peer address in a minute.
pub const PER_PEER: u32 = 10;
/// Refusals kept from all peers in a minute.
pub const IN_ALL: u32 = 60;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct RefusalBudget {
    window: Mutex<Window>,
}

struct Window {
    /// When the first refusal of this minute came; `None` before any.
    started: Option<Instant>,
    /// At most `IN_ALL` entries: a peer is only added while there is room.
    per_peer: HashMap<IpAddr, u32>,
    kept: u32,
    unlisted: u32,
}

impl Default for Window {
    fn default() -> Window {
        Window::new(None)
    }
}

impl Window {
    fn new(started: Option<Instant>) -> Window {
        Window {
            started,
            per_peer: HashMap::new(),
            kept: 0,
            unlisted: 0,
        }
    }
}

impl RefusalBudget {
    /// Whether a refusal of mail from `peer` at `now` goes into the inbound
    /// list.
    pub fn take(&self, peer: IpAddr, now: Instant) -> bool {
        // A poisoned lock only means another session panicked mid-count.
        let mut w = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.started
            .is_none_or(|s| now.saturating_duration_since(s) >= WINDOW)
        {
            if w.unlisted > 0 {
                tracing::warn!(
                    unlisted = w.unlisted,
                    "mails refused in the last minute beyond what the inbound list keeps"
                );
            }
            *w = Window::new(Some(now));
        }
        if w.kept >= IN_ALL {
            w.unlisted += 1;
            return false;
        }
        let from_peer = w.per_peer.entry(peer).or_insert(0);
        if *from_peer >= PER_PEER {
            w.unlisted += 1;
            return false;
        }
        *from_peer += 1;
        w.kept += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_peer_is_capped_without_hiding_others_and_the_next_minute_starts_afresh() {
        let start = Instant::now();
        let budget = RefusalBudget::default();
        let flood: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        let kept = (0..1000).filter(|_| budget.take(flood, start)).count();
        assert_eq!(kept, PER_PEER as usize);
        assert!(
            budget.take(other, start),
            "another sender's refusal is kept"
        );
        let later = start + WINDOW;
        assert!(budget.take(flood, later));
    }

    #[test]
    fn many_peers_are_capped_in_all() {
        let start = Instant::now();
        let budget = RefusalBudget::default();
        let kept = (0..=255u8)
            .flat_map(|a| (0..4u8).map(move |b| IpAddr::from([10, 0, a, b])))
            .filter(|ip| budget.take(*ip, start))
            .count();
        assert_eq!(kept, IN_ALL as usize);
        let w = budget.window.lock().unwrap();
        assert!(w.per_peer.len() <= IN_ALL as usize);
    }
}
