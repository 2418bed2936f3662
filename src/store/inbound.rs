//! Every message received on any channel is kept, with what Tocsin did with
//! it. A device hands a message over with [`Store::accept_inbound`]: it is
//! kept as pending under the appliance until the inbox has handled it, then
//! moved under the organisation it concerns ([`Store::finish_inbound`]), or
//! kept under the appliance itself ([`Id::SYSTEM`]) when nobody owns it.

use super::alerts::Channel;
use super::keys::{self, Kind};
use super::sms::system_key;
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
    /// A member's check-in timer: started, checked in or ended.
    Timer {
        user: Id,
        action: String,
    },
    Ignored {
        why: String,
    },
}

/// What a device heard, beyond text: TETRA statuses, call-out replies and
/// keys pressed in a call carry values the inbox needs again if it handles
/// the message after a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Said {
    #[default]
    Text,
    Status {
        value: u16,
        label: Option<String>,
    },
    CalloutReply {
        number: u8,
        option: Option<u8>,
    },
    /// Keys pressed in a robot call about one alert: a choice (1 for the
    /// first) and perhaps an arrival time.
    Keys {
        org: Id,
        alert: Id,
        recipient: Id,
        choice: u8,
        eta_minutes: Option<u32>,
    },
    /// A mail to the SMTP listener: `text` is its plain text, the subject
    /// and the sender's Message-ID are kept beside it.
    Email {
        subject: String,
        message_id: Option<String>,
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
    /// Some parts of a long SMS never came; `text` is what did.
    #[serde(default)]
    pub incomplete: bool,
    #[serde(default)]
    pub said: Said,
    pub handling: Handling,
}

#[derive(Debug, Clone, Default)]
pub struct InboundFilter {
    pub channel: Option<Channel>,
    pub from: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

/// One part of a long SMS, as its header numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartNumber {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

/// The parts of a long SMS that came, when the rest did not.
#[derive(Debug, Clone)]
pub struct PartialSms {
    pub from: String,
    pub to: String,
    pub total: u8,
    pub first_at: OffsetDateTime,
    /// (sequence number, text), in order.
    pub parts: Vec<(u8, String)>,
    keys: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Part {
    text: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    #[serde(default)]
    to: String,
}

fn encode<R: Serialize>(kind: Kind, record: &R) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Corrupt {
        kind: kind.name(),
        source,
    })
}

fn seen_key(fingerprint: &str) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::InboundSeen);
    key.extend_from_slice(&Sha256::digest(fingerprint.as_bytes()));
    key
}

fn part_prefix(from: &str, reference: u16, total: u8) -> Vec<u8> {
    system_key(
        Kind::SmsPart,
        &[from.as_bytes(), &reference.to_be_bytes(), &[total]],
    )
}

type TxResult<T> =
    std::result::Result<T, sled::transaction::ConflictableTransactionError<StoreError>>;

fn tx_error(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    /// Keeps a received message as pending, unless one with the same
    /// `fingerprint` (a modem's message read again after a restart) was
    /// kept before. `true` when it is new. Not durable until flushed.
    pub fn accept_inbound(
        &self,
        message: &InboundMessage,
        fingerprint: Option<&str>,
    ) -> Result<bool> {
        let pending = keys::record(Id::SYSTEM, Kind::InboxPending, message.id);
        let record = encode(Kind::InboxPending, message)?;
        let seen = fingerprint.map(seen_key);
        self.w()
            .records
            .transaction(|tx| -> TxResult<bool> {
                if let Some(seen) = &seen {
                    if tx.get(seen)?.is_some() {
                        return Ok(false);
                    }
                    tx.insert(seen.as_slice(), &message.id.to_bytes()[..])?;
                }
                tx.insert(pending.as_slice(), record.as_slice())?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    /// Keeps one part of a long SMS. When this was the last one missing, the
    /// whole message (`message` with the joined text) becomes pending in the
    /// same step and `true` is returned. A part read again (same
    /// `fingerprint`) changes nothing.
    pub fn accept_sms_part(
        &self,
        number: PartNumber,
        message: &InboundMessage,
        fingerprint: &str,
    ) -> Result<bool> {
        let prefix = part_prefix(&message.from, number.reference, number.total);
        let mut key = prefix.clone();
        key.push(number.seq);
        let part = encode(
            Kind::SmsPart,
            &Part {
                text: message.text.clone(),
                at: message.received_at,
                to: message.to.clone(),
            },
        )?;
        let seen = seen_key(fingerprint);
        let others: Vec<(u8, Vec<u8>, Part)> = self
            .records
            .scan_prefix(&prefix)
            .map(|entry| -> Result<(u8, Vec<u8>, Part)> {
                let (k, v) = entry?;
                Ok((
                    k.last().copied().unwrap_or(0),
                    k.to_vec(),
                    decode(Kind::SmsPart, &v)?,
                ))
            })
            .collect::<Result<_>>()?;
        self.w()
            .records
            .transaction(|tx| -> TxResult<bool> {
                if tx.get(&seen)?.is_some() {
                    return Ok(false);
                }
                tx.insert(seen.as_slice(), &message.id.to_bytes()[..])?;
                let mut texts: Vec<(u8, String)> = others
                    .iter()
                    .filter(|(seq, _, _)| *seq != number.seq)
                    .map(|(seq, _, p)| (*seq, p.text.clone()))
                    .collect();
                texts.push((number.seq, message.text.clone()));
                if texts.len() < usize::from(number.total) {
                    tx.insert(key.as_slice(), part.as_slice())?;
                    return Ok(false);
                }
                texts.sort_by_key(|(seq, _)| *seq);
                for (_, k, _) in &others {
                    tx.remove(k.as_slice())?;
                }
                let first_at = others
                    .iter()
                    .map(|(_, _, p)| p.at)
                    .min()
                    .unwrap_or(message.received_at)
                    .min(message.received_at);
                let whole = InboundMessage {
                    text: texts.into_iter().map(|(_, t)| t).collect(),
                    parts: number.total,
                    received_at: first_at,
                    ..message.clone()
                };
                let record = encode(Kind::InboxPending, &whole)
                    .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                tx.insert(
                    keys::record(Id::SYSTEM, Kind::InboxPending, message.id),
                    record,
                )?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    /// Long SMS whose first part came before `cutoff` and whose other parts
    /// are still missing.
    pub fn partial_sms_before(&self, cutoff: OffsetDateTime) -> Result<Vec<PartialSms>> {
        let mut groups: Vec<PartialSms> = Vec::new();
        let mut current: Option<Vec<u8>> = None;
        for entry in self
            .records
            .scan_prefix(keys::kind_prefix(Id::SYSTEM, Kind::SmsPart))
        {
            let (key, value) = entry?;
            let Some((seq, prefix)) = key.split_last() else {
                continue;
            };
            let part: Part = decode(Kind::SmsPart, &value)?;
            if current.as_deref() != Some(prefix) {
                // The sender, reference and total, as the key spells them.
                let body = prefix.get(17..).unwrap_or_default();
                let from_end = body.iter().position(|b| *b == 0).unwrap_or(body.len());
                let from =
                    String::from_utf8_lossy(body.get(..from_end).unwrap_or(body)).into_owned();
                let total = prefix
                    .get(prefix.len().saturating_sub(2))
                    .copied()
                    .unwrap_or(0);
                groups.push(PartialSms {
                    from,
                    to: part.to.clone(),
                    total,
                    first_at: part.at,
                    parts: Vec::new(),
                    keys: Vec::new(),
                });
                current = Some(prefix.to_vec());
            }
            if let Some(group) = groups.last_mut() {
                group.first_at = group.first_at.min(part.at);
                group.parts.push((*seq, part.text));
                group.keys.push(key.to_vec());
            }
        }
        groups.retain(|g| g.first_at < cutoff);
        Ok(groups)
    }

    /// Gives up waiting for the rest of a long SMS: its parts are replaced
    /// by `message` (what came, marked incomplete), pending for the inbox.
    pub fn give_up_partial_sms(
        &self,
        partial: &PartialSms,
        message: &InboundMessage,
    ) -> Result<()> {
        let record = encode(Kind::InboxPending, message)?;
        let mut batch = sled::Batch::default();
        for key in &partial.keys {
            batch.remove(key.as_slice());
        }
        batch.insert(
            keys::record(Id::SYSTEM, Kind::InboxPending, message.id),
            record,
        );
        self.w().records.apply_batch(batch)?;
        Ok(())
    }

    /// Messages kept but not yet handled, oldest first.
    pub fn pending_inbound(&self) -> Result<Vec<InboundMessage>> {
        self.list(Id::SYSTEM, Kind::InboxPending)
    }

    /// Files a handled message under `org` and takes it off the pending
    /// list, in one step.
    pub fn finish_inbound(&self, org: Id, message: &InboundMessage) -> Result<()> {
        let record = encode(Kind::Inbound, message)?;
        let mut batch = sled::Batch::default();
        batch.remove(keys::record(Id::SYSTEM, Kind::InboxPending, message.id));
        batch.insert(keys::record(org, Kind::Inbound, message.id), record);
        self.w().records.apply_batch(batch)?;
        Ok(())
    }

    /// Received messages no organisation owns.
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
