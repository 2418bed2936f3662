//! Audit events: who did what, when, from where, with what outcome. Append-only
//! and written through the store (never only to a log file), so they are as
//! durable as the change they describe.
//!
//! Each organisation's events form a hash chain: an event carries its
//! sequence number, the hash of the event before it and its own hash, all
//! assigned in the transaction that stores it. Checkpoints sign a chain's
//! head (see `crate::audit::chain`), so an edited, deleted, inserted or
//! reordered event shows.

use super::keys::{self, Kind};
use super::{decode, OrgStore, Result};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    /// Dotted name of what happened: "login.failed", "user.created", ...
    pub action: String,
    #[serde(default)]
    pub target: Option<String>,
    /// The client address the request came from.
    #[serde(default)]
    pub source: Option<String>,
    pub outcome: Outcome,
    #[serde(default)]
    pub detail: Option<String>,
    /// The place in its organisation's chain, from 1; 0 for events written
    /// before chains existed.
    #[serde(default)]
    pub seq: u64,
    /// The hash of the event before it in the chain (hex).
    #[serde(default)]
    pub prev: Option<String>,
    /// SHA-256 (hex) of this event as JSON without this field.
    #[serde(default)]
    pub hash: Option<String>,
}

impl AuditEvent {
    /// The hash the event's content gives, with `seq` and `prev` as set.
    pub fn content_hash(&self) -> String {
        use sha2::Digest;
        let unhashed = AuditEvent {
            hash: None,
            ..self.clone()
        };
        let json = serde_json::to_vec(&unhashed).unwrap_or_default();
        hex::encode(sha2::Sha256::digest(json))
    }
}

/// Where an organisation's chain ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: Option<String>,
}

/// A signed chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub org: Id,
    pub seq: u64,
    pub hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The signing key's public half (hex), so a verifier names the key.
    pub key: String,
    /// Ed25519 over [`Checkpoint::message`] (hex).
    pub signature: String,
}

impl Checkpoint {
    /// What is signed.
    pub fn message(org: Id, seq: u64, hash: &str, at: OffsetDateTime) -> Vec<u8> {
        format!(
            "tocsin-audit-checkpoint\n{org}\n{seq}\n{hash}\n{}",
            at.unix_timestamp_nanos()
        )
        .into_bytes()
    }
}

type TxError = sled::transaction::ConflictableTransactionError<super::StoreError>;

/// Appends `event` to `org`'s chain inside a transaction on the records
/// tree: numbers and links it, stores it and moves the head.
pub(super) fn append(
    tx: &sled::transaction::TransactionalTree,
    org: Id,
    event: &AuditEvent,
    queue: bool,
) -> std::result::Result<(), TxError> {
    let head_key = keys::record(Id::SYSTEM, Kind::AuditHead, org);
    let head: ChainHead = match tx.get(&head_key)? {
        Some(bytes) => decode(Kind::AuditHead, &bytes).map_err(TxError::Abort)?,
        None => ChainHead::default(),
    };
    let mut chained = event.clone();
    chained.seq = head.seq + 1;
    chained.prev = head.hash;
    chained.hash = Some(chained.content_hash());
    let bytes = encode(Kind::Audit, &chained)?;
    if queue {
        tx.insert(queue_key(org, chained.seq), bytes.as_slice())?;
    }
    tx.insert(keys::record(org, Kind::Audit, event.id), bytes)?;
    let next = ChainHead {
        seq: chained.seq,
        hash: chained.hash,
    };
    tx.insert(head_key, encode(Kind::AuditHead, &next)?)?;
    Ok(())
}

fn queue_key(org: Id, seq: u64) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::AuditQueue);
    key.extend_from_slice(&org.to_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// An audit event waiting for the log server.
#[derive(Debug, Clone)]
pub struct Queued {
    pub org: Id,
    pub event: AuditEvent,
}

impl super::Store {
    /// From now on, audit events are also queued for the log server.
    pub fn ship_audit(&self) {
        self.ships_audit
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(super) fn ships_audit(&self) -> bool {
        self.ships_audit.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Up to `limit` queued events after `sent` (by organisation, the
    /// highest sequence already sent on this connection), each
    /// organisation's in order.
    pub fn audit_queue(
        &self,
        sent: &std::collections::HashMap<Id, u64>,
        limit: usize,
    ) -> Result<Vec<Queued>> {
        let mut out = Vec::new();
        for item in self
            .records
            .scan_prefix(keys::kind_prefix(Id::SYSTEM, Kind::AuditQueue))
        {
            let (key, value) = item?;
            let Some((org, seq)) = parse_queue_key(&key) else {
                continue;
            };
            if sent.get(&org).is_some_and(|s| seq <= *s) {
                continue;
            }
            out.push(Queued {
                org,
                event: decode(Kind::Audit, &value)?,
            });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// How many events wait, and when the oldest was written.
    pub fn audit_queue_depth(&self) -> Result<(u64, Option<OffsetDateTime>)> {
        let mut depth = 0;
        let mut oldest: Option<OffsetDateTime> = None;
        for item in self
            .records
            .scan_prefix(keys::kind_prefix(Id::SYSTEM, Kind::AuditQueue))
        {
            let (_, value) = item?;
            depth += 1;
            let event: AuditEvent = decode(Kind::Audit, &value)?;
            oldest = Some(oldest.map_or(event.at, |o| o.min(event.at)));
        }
        Ok((depth, oldest))
    }

    /// Drops events the log server has taken.
    pub fn audit_shipped(&self, shipped: &[(Id, u64)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (org, seq) in shipped {
            batch.remove(queue_key(*org, *seq));
        }
        self.w().records.apply_batch(batch)?;
        Ok(())
    }
}

fn parse_queue_key(key: &[u8]) -> Option<(Id, u64)> {
    let prefix = keys::kind_prefix(Id::SYSTEM, Kind::AuditQueue).len();
    let org = Id::from_bytes(key.get(prefix..prefix + 16)?.try_into().ok()?);
    let seq = u64::from_be_bytes(key.get(prefix + 16..prefix + 24)?.try_into().ok()?);
    Some((org, seq))
}

fn encode<R: Serialize>(kind: Kind, record: &R) -> std::result::Result<Vec<u8>, TxError> {
    serde_json::to_vec(record).map_err(|source| {
        TxError::Abort(super::StoreError::Corrupt {
            kind: kind.name(),
            source,
        })
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    #[serde(default)]
    pub id: Option<Id>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    /// The appliance's shell (`tocsin admin create`, ...).
    Shell,
    /// Someone not (yet) authenticated, e.g. a failed login.
    Anonymous,
    /// A sender outside the appliance known only by an address: an SMS
    /// number allowed to trigger alerts, a radio.
    External,
    /// The appliance itself, telling admins of something it noticed.
    Appliance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

impl OrgStore {
    pub fn record_audit(&self, event: &AuditEvent) -> Result<()> {
        let (org, queue) = (self.org, self.store.ships_audit());
        self.store
            .w()
            .records
            .transaction(|tx| append(tx, org, event, queue))
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => super::StoreError::Sled(e),
            })
    }

    /// Where this organisation's chain ends.
    pub fn audit_head(&self) -> Result<ChainHead> {
        match self
            .store
            .records
            .get(keys::record(Id::SYSTEM, Kind::AuditHead, self.org))?
        {
            Some(bytes) => decode(Kind::AuditHead, &bytes),
            None => Ok(ChainHead::default()),
        }
    }

    /// Every chained event from `since` on, oldest first, with the
    /// checkpoints among them.
    pub fn audit_chain(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<(Vec<AuditEvent>, Vec<Checkpoint>)> {
        let mut events: Vec<AuditEvent> = Vec::new();
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Audit))
            .values()
        {
            let event: AuditEvent = decode(Kind::Audit, &value?)?;
            if event.seq > 0 && since.is_none_or(|s| event.at >= s) {
                events.push(event);
            }
        }
        events.sort_by_key(|e| e.seq);
        let first = events.first().map_or(u64::MAX, |e| e.seq);
        let mut checkpoints = Vec::new();
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::AuditCheckpoint))
            .values()
        {
            let checkpoint: Checkpoint = decode(Kind::AuditCheckpoint, &value?)?;
            if checkpoint.seq >= first {
                checkpoints.push(checkpoint);
            }
        }
        Ok((events, checkpoints))
    }

    /// Every stored event of this organisation, newest first.
    fn audit_newest_first(&self) -> impl Iterator<Item = Result<AuditEvent>> + '_ {
        self.store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Audit))
            .values()
            .rev()
            .map(|value| decode(Kind::Audit, &value?))
    }

    /// The chained events after `seq`, oldest first. Events are stored by
    /// their time-ordered id and numbered in the transaction that stores
    /// them, so the two orders can differ slightly between concurrent
    /// writers: the scan goes back a margin past `seq` before it stops.
    pub fn audit_after(&self, seq: u64) -> Result<Vec<AuditEvent>> {
        const MARGIN: u64 = 1_000;
        let mut events = Vec::new();
        for event in self.audit_newest_first() {
            let event = event?;
            if event.seq > seq {
                events.push(event);
            } else if event.seq == 0 || event.seq + MARGIN <= seq {
                break;
            }
        }
        events.sort_by_key(|e| e.seq);
        Ok(events)
    }

    /// Keeps a signed checkpoint of this organisation's chain.
    pub fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()> {
        let mut key = keys::kind_prefix(self.org, Kind::AuditCheckpoint);
        key.extend_from_slice(&checkpoint.seq.to_be_bytes());
        let bytes =
            serde_json::to_vec(checkpoint).map_err(|source| super::StoreError::Corrupt {
                kind: Kind::AuditCheckpoint.name(),
                source,
            })?;
        self.store.w().records.insert(key, bytes)?;
        Ok(())
    }

    /// The newest checkpoint, if any.
    pub fn last_checkpoint(&self) -> Result<Option<Checkpoint>> {
        match self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::AuditCheckpoint))
            .values()
            .next_back()
        {
            Some(value) => decode(Kind::AuditCheckpoint, &value?).map(Some),
            None => Ok(None),
        }
    }

    /// Newest first.
    pub fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let mut found = Vec::new();
        for event in self.audit_newest_first() {
            let event = event?;
            if filter.since.is_some_and(|since| event.at < since) {
                break;
            }
            let keep = filter
                .action_prefix
                .as_ref()
                .is_none_or(|p| event.action.starts_with(p.as_str()))
                && filter.actor.as_ref().is_none_or(|a| event.actor.name == *a)
                && filter.outcome.is_none_or(|o| event.outcome == o);
            if keep {
                found.push(event);
                if found.len() >= filter.limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}
