//! Removing inbound messages and audit events past their retention, and
//! the records that say who was erased (`crate::privacy`).

use super::audit::AuditEvent;
use super::inbound::InboundMessage;
use super::keys::{self, Kind};
use super::{decode, OrgStore, Result};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A person erased. While `pending`, `user` or `address` say who, so an
/// erasure a crash interrupted is finished at the next start; once done
/// only the pseudonym and the audit events about them are left, so the
/// audit view can show the pseudonym in their place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub id: Id,
    pub pseudonym: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub pending: bool,
    #[serde(default)]
    pub user: Option<Id>,
    #[serde(default)]
    pub username: Option<String>,
    /// Phone numbers and email addresses the person was reached at.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Audit events that name the person.
    #[serde(default)]
    pub audit_events: Vec<Id>,
}

impl OrgStore {
    /// Removes up to `limit` inbound messages received before `cutoff`,
    /// oldest first; how many.
    pub fn remove_inbound_before(&self, cutoff: OffsetDateTime, limit: usize) -> Result<usize> {
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        for entry in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Inbound))
        {
            let (key, value) = entry?;
            let message: InboundMessage = decode(Kind::Inbound, &value)?;
            if message.received_at >= cutoff || removed >= limit {
                break;
            }
            batch.remove(key);
            removed += 1;
        }
        if removed > 0 {
            self.store.w().records.apply_batch(batch)?;
        }
        Ok(removed)
    }

    /// Removes up to `limit` audit events made before `cutoff`, oldest
    /// first, and the checkpoints before the oldest kept; how many. An
    /// event still waiting for the log server is kept, with all after it.
    /// The chain's remainder still verifies: a verifier checks links from
    /// the first event it is given.
    pub fn remove_audit_before(&self, cutoff: OffsetDateTime, limit: usize) -> Result<usize> {
        let mut queue = keys::kind_prefix(Id::SYSTEM, Kind::AuditQueue);
        queue.extend_from_slice(&self.org.to_bytes());
        let oldest_queued = match self.store.records.scan_prefix(&queue).keys().next() {
            Some(key) => key?
                .get(queue.len()..queue.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes),
            None => None,
        };
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        let mut last_seq = 0;
        for entry in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Audit))
        {
            let (key, value) = entry?;
            let event: AuditEvent = decode(Kind::Audit, &value)?;
            let unshipped = oldest_queued.is_some_and(|q| event.seq >= q);
            if event.at >= cutoff || unshipped || removed >= limit {
                break;
            }
            batch.remove(key);
            last_seq = last_seq.max(event.seq);
            removed += 1;
        }
        for key in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::AuditCheckpoint))
            .keys()
        {
            let key = key?;
            let prefix = keys::kind_prefix(self.org, Kind::AuditCheckpoint).len();
            let seq = key
                .get(prefix..prefix + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(u64::MAX, u64::from_be_bytes);
            if seq > last_seq {
                break;
            }
            batch.remove(key);
        }
        if removed > 0 {
            self.store.w().records.apply_batch(batch)?;
        }
        Ok(removed)
    }

    pub fn put_erasure(&self, erasure: &Erasure) -> Result<()> {
        let org = self.org;
        self.store
            .transaction(|tx| tx.put(org, Kind::Erasure, erasure.id, erasure))
    }

    pub fn erasures(&self) -> Result<Vec<Erasure>> {
        self.store.list(self.org, Kind::Erasure)
    }

    /// This organisation's inbound messages from any of `addresses`, with
    /// `pseudonym` as the sender and no text; how many. Messages no
    /// organisation owns are the appliance operator's, not reached from here.
    pub fn pseudonymise_inbound(&self, addresses: &[String], pseudonym: &str) -> Result<usize> {
        let mut changed = 0;
        for entry in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Inbound))
        {
            let (key, value) = entry?;
            let mut message: InboundMessage = decode(Kind::Inbound, &value)?;
            if !addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&message.from))
            {
                continue;
            }
            message.from = pseudonym.to_owned();
            message.text = String::new();
            if let super::Said::Email { subject, .. } = &mut message.said {
                subject.clear();
            }
            let bytes =
                serde_json::to_vec(&message).map_err(|source| super::StoreError::Corrupt {
                    kind: Kind::Inbound.name(),
                    source,
                })?;
            self.store.w().records.insert(key, bytes)?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Forgets which alerts `addresses` were texted about for this
    /// organisation (kept a week for matching replies).
    pub fn forget_sms_peers(&self, addresses: &[String]) -> Result<()> {
        for address in addresses {
            let prefix = super::sms::system_key(Kind::SmsPeer, &[address.as_bytes()]);
            for entry in self.store.records.scan_prefix(&prefix) {
                let (key, value) = entry?;
                let peer: super::Peer = decode(Kind::SmsPeer, &value)?;
                if peer.org == self.org {
                    self.store.w().records.remove(key)?;
                }
            }
        }
        Ok(())
    }
}
