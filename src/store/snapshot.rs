//! A point-in-time image of the whole store, taken while the daemon serves.
//!
//! sled has no snapshots and its export is not consistent across trees, so
//! the image is a fuzzy copy plus a redo log, as databases take online
//! checkpoints: under the write gate (held for microseconds, with no write
//! in flight) the copy starts listening to every change; the three trees are
//! then read while writes go on; under the gate again the changes made
//! meanwhile are collected and listening stops. Restoring writes the copy,
//! then replays the changes in order, which gives exactly the store as it
//! was at the second gate: never half a transaction, never a delivery
//! without its alert. Writers wait only for the two short gates.

use super::keys::Kind;
use super::{Result, Store, StoreError};
use std::collections::HashSet;

/// Which tree an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeId {
    Meta = 1,
    Records = 2,
    Index = 3,
}

impl TreeId {
    pub fn from_byte(b: u8) -> Option<TreeId> {
        match b {
            1 => Some(TreeId::Meta),
            2 => Some(TreeId::Records),
            3 => Some(TreeId::Index),
            _ => None,
        }
    }
}

/// One entry of an image: a value to set, or (in the redo part) a key to
/// remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Set {
        tree: TreeId,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Remove {
        tree: TreeId,
        key: Vec<u8>,
    },
}

/// Record kinds counted in a backup's header.
const COUNTED: [(Kind, &str); 5] = [
    (Kind::Organisation, "organisations"),
    (Kind::User, "users"),
    (Kind::Group, "groups"),
    (Kind::Alert, "alerts"),
    (Kind::Recipient, "recipients"),
];

/// Counts records by kind as an image goes by, so a backup's header says
/// what is in it.
#[derive(Debug, Default)]
pub struct Tally {
    present: HashSet<Vec<u8>>,
}

impl Tally {
    fn kind_name(key: &[u8]) -> Option<&'static str> {
        let kind = *key.get(16)?;
        COUNTED
            .iter()
            .find(|(k, _)| *k as u8 == kind)
            .map(|(_, name)| *name)
    }

    pub fn see(&mut self, change: &Change) {
        match change {
            Change::Set {
                tree: TreeId::Records,
                key,
                ..
            } if Self::kind_name(key).is_some() => {
                self.present.insert(key.clone());
            }
            Change::Remove {
                tree: TreeId::Records,
                key,
            } => {
                self.present.remove(key);
            }
            _ => {}
        }
    }

    /// Records by counted kind.
    pub fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        let mut counts: std::collections::BTreeMap<String, u64> =
            COUNTED.iter().map(|(_, n)| ((*n).to_owned(), 0)).collect();
        for key in &self.present {
            if let Some(name) = Self::kind_name(key) {
                *counts.entry(name.to_owned()).or_default() += 1;
            }
        }
        counts
    }
}

fn is_scratch(tree: TreeId, key: &[u8]) -> bool {
    tree == TreeId::Records && key.get(16) == Some(&(Kind::Probe as u8))
}

impl Store {
    /// Writes a consistent image of the store to `emit`, base entries first,
    /// then the changes made while they were read. Returns the tally of
    /// what the image restores to.
    pub fn snapshot(&self, mut emit: impl FnMut(&Change) -> Result<()>) -> Result<Tally> {
        let trees = [
            (TreeId::Meta, &*self.db),
            (TreeId::Records, &self.records),
            (TreeId::Index, &self.index),
        ];
        // The copy reads only up to each tree's last key at the start: keys
        // added later are in the changes, and a copy chasing a growing tail
        // would never end.
        let (subscribers, ends) = {
            let _gate = self.gate.exclusive();
            let subscribers = trees.map(|(id, tree)| (id, tree.watch_prefix(Vec::new())));
            let mut ends = Vec::with_capacity(trees.len());
            for (_, tree) in trees {
                ends.push(tree.last()?.map(|(key, _)| key));
            }
            (subscribers, ends)
        };
        // sled blocks a writer when a listener falls 1,024 changes behind:
        // a thread keeps draining them while the trees are read.
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let drain = std::thread::spawn(move || {
            let mut log = Vec::new();
            let mut subscribers = subscribers;
            let mut stopping = false;
            loop {
                stopping = stopping || stop_rx.try_recv().is_ok();
                let mut idle = true;
                for (id, sub) in &mut subscribers {
                    // Polled, not `next_timeout`: sled 0.34's `next_timeout`
                    // sticks for good at a change that turned out a no-op
                    // (removing a missing key), losing every later one.
                    while let Some(Some(event)) = futures_util::FutureExt::now_or_never(&mut *sub) {
                        idle = false;
                        log.push(change_of(*id, event));
                    }
                }
                if stopping && idle {
                    return log;
                }
                if idle {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
        });
        let mut tally = Tally::default();
        let mut copy = || -> Result<()> {
            for ((id, tree), end) in trees.into_iter().zip(&ends) {
                let Some(end) = end else { continue };
                for item in tree.range(..=end.clone()) {
                    let (key, value) = item?;
                    if is_scratch(id, &key) {
                        continue;
                    }
                    let change = Change::Set {
                        tree: id,
                        key: key.to_vec(),
                        value: value.to_vec(),
                    };
                    tally.see(&change);
                    emit(&change)?;
                }
            }
            Ok(())
        };
        let copied = copy();
        let log = {
            let _gate = self.gate.exclusive();
            let _ = stop_tx.send(());
            drain.join().map_err(|_| {
                StoreError::Sled(sled::Error::ReportableBug(
                    "the snapshot's change listener failed".to_owned(),
                ))
            })?
        };
        copied?;
        for change in log {
            let (tree, key) = match &change {
                Change::Set { tree, key, .. } | Change::Remove { tree, key } => (*tree, key),
            };
            if is_scratch(tree, key) {
                continue;
            }
            tally.see(&change);
            emit(&change)?;
        }
        Ok(tally)
    }

    /// Records by counted kind, as they are now.
    pub fn counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut tally = Tally::default();
        for item in self.records.iter() {
            let (key, _) = item?;
            tally.see(&Change::Set {
                tree: TreeId::Records,
                key: key.to_vec(),
                value: Vec::new(),
            });
        }
        Ok(tally.counts())
    }

    /// Writes an image into a new store at `path` (which must not hold
    /// one) and flushes it. The store is not opened as such: opening it
    /// afterwards checks its key and migrates it.
    pub fn restore_image(
        path: &std::path::Path,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<u64> {
        let db = sled::Config::new()
            .path(path)
            .open()
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let records = db.open_tree("records")?;
        let index = db.open_tree("index")?;
        let mut written = 0;
        for change in changes {
            let tree = |id| match id {
                TreeId::Meta => &*db,
                TreeId::Records => &records,
                TreeId::Index => &index,
            };
            match change {
                Change::Set {
                    tree: id,
                    key,
                    value,
                } => {
                    tree(id).insert(key, value)?;
                }
                Change::Remove { tree: id, key } => {
                    tree(id).remove(key)?;
                }
            }
            written += 1;
        }
        db.flush()?;
        Ok(written)
    }
}

fn change_of(tree: TreeId, event: sled::Event) -> Change {
    match event {
        sled::Event::Insert { key, value } => Change::Set {
            tree,
            key: key.to_vec(),
            value: value.to_vec(),
        },
        sled::Event::Remove { key } => Change::Remove {
            tree,
            key: key.to_vec(),
        },
    }
}
