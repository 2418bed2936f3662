//! Every message received on any channel is kept, with what Tocsin did with
//! it, under the organisation it concerns. Messages from senders nobody
//! knows are kept under the appliance itself ([`Id::SYSTEM`]).

use super::alerts::Channel;
use super::keys::{self, Kind};
use super::{decode, OrgStore, Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Handling {
    /// Stored; not acted on yet (a restart in between acts on it again).
    Pending,
    /// An answer to an alert.
    Response {
        alert: Id,
        recipient: Id,
        choice: String,
    },
    /// Kept on an alert as a free-text note from a recipient.
    Note {
        alert: Id,
        recipient: Id,
    },
    /// It started an alert.
    Trigger {
        alert: Id,
    },
    Ignored {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub id: Id,
    pub channel: Channel,
    pub from: String,
    /// The device or address it came in on.
    pub to: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub text: String,
    /// How many network messages it arrived in.
    pub parts: u8,
    pub handling: Handling,
}

#[derive(Debug, Clone, Default)]
pub struct InboundFilter {
    pub channel: Option<Channel>,
    pub from: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

fn encode(record: &InboundMessage) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Corrupt {
        kind: Kind::Inbound.name(),
        source,
    })
}

fn seen_key(fingerprint: &[u8]) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::InboundSeen);
    key.extend_from_slice(fingerprint);
    key
}

impl Store {
    /// Keeps a received message unless the same one (same sender, send time
    /// and text) was kept before; then returns that earlier record, so a
    /// message read again after a restart is handled once.
    pub fn add_inbound(
        &self,
        org: Id,
        message: &InboundMessage,
        fingerprint: &str,
    ) -> Result<Option<(Id, InboundMessage)>> {
        let digest = Sha256::digest(fingerprint.as_bytes());
        let seen = seen_key(&digest);
        let mut value = org.to_bytes().to_vec();
        value.extend_from_slice(&message.id.to_bytes());
        let record = encode(message)?;
        let earlier = self
            .records
            .transaction(|tx| {
                if let Some(current) = tx.get(&seen)? {
                    return Ok(Some(current));
                }
                tx.insert(seen.as_slice(), value.as_slice())?;
                tx.insert(
                    keys::record(org, Kind::Inbound, message.id),
                    record.as_slice(),
                )?;
                Ok(None)
            })
            .map_err(
                |e: sled::transaction::TransactionError<StoreError>| match e {
                    sled::transaction::TransactionError::Abort(e) => e,
                    sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                },
            )?;
        let Some(current) = earlier else {
            return Ok(None);
        };
        let (Some(org), Some(id)) = (
            current.get(..16).and_then(Id::from_slice),
            current.get(16..32).and_then(Id::from_slice),
        ) else {
            return Ok(None);
        };
        match self.records.get(keys::record(org, Kind::Inbound, id))? {
            Some(bytes) => Ok(Some((org, decode(Kind::Inbound, &bytes)?))),
            None => Ok(None),
        }
    }

    /// Records what was done with a received message.
    pub fn set_inbound_handling(&self, org: Id, id: Id, handling: Handling) -> Result<()> {
        let key = keys::record(org, Kind::Inbound, id);
        if let Some(bytes) = self.records.get(&key)? {
            let mut message: InboundMessage = decode(Kind::Inbound, &bytes)?;
            message.handling = handling;
            self.records.insert(key, encode(&message)?)?;
        }
        Ok(())
    }

    /// Received messages under the appliance itself (unknown senders).
    pub fn unassigned_inbound(&self, filter: &InboundFilter) -> Result<Vec<InboundMessage>> {
        self.org(Id::SYSTEM).inbound(filter)
    }
}

impl OrgStore {
    /// Received messages, newest first.
    pub fn inbound(&self, filter: &InboundFilter) -> Result<Vec<InboundMessage>> {
        let mut out = Vec::new();
        let limit = if filter.limit == 0 { 100 } else { filter.limit };
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Inbound))
            .values()
            .rev()
        {
            let message: InboundMessage = decode(Kind::Inbound, &value?)?;
            if filter
                .since
                .is_some_and(|since| message.received_at < since)
            {
                break;
            }
            if filter.channel.is_some_and(|c| c != message.channel)
                || filter.from.as_ref().is_some_and(|f| *f != message.from)
            {
                continue;
            }
            out.push(message);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}
