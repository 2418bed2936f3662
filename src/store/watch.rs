//! Wake-ups for whoever depends on a record staying as it was. A live
//! stream watches its session, device and user, and its organisation's
//! roles and settings; any committed write to one of them wakes it at once,
//! whichever code path made the write, so the stream can check whether it
//! may go on.

use super::keys::{self, Kind};
use crate::ids::Id;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::Notify;

/// Kinds whose changes can end or narrow a session.
const WATCHED: [Kind; 6] = [
    Kind::ApiKey,
    Kind::Session,
    Kind::Device,
    Kind::User,
    Kind::Role,
    Kind::Organisation,
];

/// Key length of an organisation's kind prefix: org id, then the kind byte.
const PREFIX_LEN: usize = 17;

pub(super) fn is_watched(kind: Kind) -> bool {
    WATCHED.contains(&kind)
}

/// Who listens for which keys (a full record key, or an organisation's
/// kind prefix for "any of its roles").
#[derive(Debug, Default)]
pub(super) struct Watches {
    listeners: Mutex<HashMap<Vec<u8>, Vec<Weak<Notify>>>>,
}

impl Watches {
    /// Wakes the listeners of keys a committed transaction wrote.
    pub(super) fn committed(&self, written: &[Vec<u8>]) {
        if written.is_empty() {
            return;
        }
        let Ok(listeners) = self.listeners.lock() else {
            return;
        };
        for key in written {
            let prefix = key.get(..PREFIX_LEN).unwrap_or(key);
            for k in [key.as_slice(), prefix] {
                for listener in listeners.get(k).into_iter().flatten() {
                    if let Some(notify) = listener.upgrade() {
                        notify.notify_one();
                    }
                }
            }
        }
    }

    fn add(&self, keys: &[Vec<u8>], notify: &Arc<Notify>) {
        if let Ok(mut listeners) = self.listeners.lock() {
            for key in keys {
                listeners
                    .entry(key.clone())
                    .or_default()
                    .push(Arc::downgrade(notify));
            }
        }
    }

    fn forget(&self, keys: &[Vec<u8>]) {
        if let Ok(mut listeners) = self.listeners.lock() {
            for key in keys {
                if let Some(list) = listeners.get_mut(key) {
                    list.retain(|l| l.strong_count() > 0);
                    if list.is_empty() {
                        listeners.remove(key);
                    }
                }
            }
        }
    }

    pub(super) fn listening(&self) -> usize {
        self.listeners
            .lock()
            .map(|l| l.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}

/// What a live session depends on.
#[derive(Debug, Clone, Copy)]
pub struct SessionKeys {
    pub org: Id,
    pub session: Id,
    pub device: Id,
    pub user: Id,
}

/// One listener's wake-ups; dropping it stops them.
#[derive(Debug)]
pub struct Watch {
    notify: Arc<Notify>,
    keys: Vec<Vec<u8>>,
    watches: Arc<Watches>,
}

impl Watch {
    pub(super) fn session(watches: Arc<Watches>, on: SessionKeys) -> Watch {
        Watch::on(
            watches,
            vec![
                keys::record(on.org, Kind::Session, on.session),
                keys::record(on.org, Kind::Device, on.device),
                keys::record(on.org, Kind::User, on.user),
                keys::kind_prefix(on.org, Kind::Role),
                keys::record(on.org, Kind::Organisation, on.org),
            ],
        )
    }

    pub(super) fn api_key(watches: Arc<Watches>, org: Id, key: Id) -> Watch {
        Watch::on(
            watches,
            vec![
                keys::record(org, Kind::ApiKey, key),
                keys::kind_prefix(org, Kind::Role),
            ],
        )
    }

    fn on(watches: Arc<Watches>, keys: Vec<Vec<u8>>) -> Watch {
        let notify = Arc::new(Notify::new());
        watches.add(&keys, &notify);
        Watch {
            notify,
            keys,
            watches,
        }
    }

    /// Returns once something watched changed (at once if it changed since
    /// the last call).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Our Arc goes after this body; the weak entries are pruned once it
        // is gone, so let it go first.
        let notify = std::mem::replace(&mut self.notify, Arc::new(Notify::new()));
        drop(notify);
        self.watches.forget(&self.keys);
    }
}
