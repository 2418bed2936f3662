//! What the SMS and TETRA channels remember between sending and hearing
//! back: which delivery each sent part belongs to (status reports and SDS-TL
//! reports name only the device's 8-bit reference and the address), who was
//! sent which alert (replies name only the sender's address).

use super::alerts::{Delivery, DeliveryRef};
use super::keys::{self, Kind};
use super::{decode, Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How far back a reply may still answer an alert it was texted about.
const PEER_MEMORY: time::Duration = time::Duration::days(7);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Track {
    org: Id,
    alert: Id,
    recipient: Id,
    delivery: Id,
    parts: usize,
}

/// An alert an address (phone number, radio) was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub org: Id,
    pub alert: Id,
    pub recipient: Id,
}

/// What a device heard about a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The recipient's device has it; `more_to_come` when a "read" report
    /// may follow.
    Received {
        more_to_come: bool,
    },
    /// The person opened it.
    Read,
    Failed(String),
}

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

pub(super) fn system_key(kind: Kind, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, kind);
    for part in parts {
        key.extend_from_slice(part);
        key.push(0);
    }
    key
}

fn track_key(modem: &str, number: &str, reference: u8) -> Vec<u8> {
    system_key(
        Kind::SmsTrack,
        &[modem.as_bytes(), number.as_bytes(), &[reference]],
    )
}

fn encode<R: Serialize>(kind: Kind, record: &R) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Corrupt {
        kind: kind.name(),
        source,
    })
}

impl Store {
    /// Remembers a sent message: each part's reference for its report, and
    /// the address's conversation for replies. A device's references wrap at
    /// 256, so a newer send replaces an older entry.
    pub fn track_sent(
        &self,
        device: &str,
        address: &str,
        references: &[u8],
        r: DeliveryRef,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut batch = sled::Batch::default();
        let track = encode(
            Kind::SmsTrack,
            &Track {
                org: r.org,
                alert: r.alert,
                recipient: r.recipient,
                delivery: r.delivery,
                parts: references.len(),
            },
        )?;
        for reference in references {
            batch.insert(track_key(device, address, *reference), track.clone());
        }
        batch.remove(system_key(
            Kind::SmsPartsDelivered,
            &[&r.delivery.to_bytes()],
        ));
        self.stage_peer(&mut batch, address, r, now)?;
        self.w().records.apply_batch(batch)?;
        Ok(())
    }

    /// Remembers that `address` was sent alert `r.alert`, for matching what
    /// comes back from it.
    pub fn remember_peer(&self, address: &str, r: DeliveryRef, now: OffsetDateTime) -> Result<()> {
        let mut batch = sled::Batch::default();
        self.stage_peer(&mut batch, address, r, now)?;
        self.w().records.apply_batch(batch)?;
        Ok(())
    }

    fn stage_peer(
        &self,
        batch: &mut sled::Batch,
        address: &str,
        r: DeliveryRef,
        now: OffsetDateTime,
    ) -> Result<()> {
        let peer = Peer {
            org: r.org,
            alert: r.alert,
            recipient: r.recipient,
        };
        batch.insert(
            system_key(
                Kind::SmsPeer,
                &[
                    address.as_bytes(),
                    &millis(now).to_be_bytes(),
                    &r.alert.to_bytes(),
                ],
            ),
            encode(Kind::SmsPeer, &peer)?,
        );
        Ok(())
    }

    /// Applies a report. Delivered parts are counted; the delivery is
    /// delivered when every part is. A failed part fails the delivery; a
    /// "read" report (TETRA's consumed) marks it read. Returns the delivery
    /// it changed, as it is now, if any.
    pub fn apply_report(
        &self,
        device: &str,
        address: &str,
        reference: u8,
        report: &Report,
        now: OffsetDateTime,
    ) -> Result<Option<(DeliveryRef, Delivery)>> {
        let key = track_key(device, address, reference);
        let Some(bytes) = self.records.get(&key)? else {
            return Ok(None);
        };
        let track: Track = decode(Kind::SmsTrack, &bytes)?;
        // A radio reports "received" and later "read": keep the entry for that.
        if !matches!(report, Report::Received { more_to_come: true }) {
            self.w().records.remove(&key)?;
        }
        let result = match report {
            Report::Received { .. } => Ok(()),
            Report::Read => {
                let r = DeliveryRef {
                    org: track.org,
                    alert: track.alert,
                    recipient: track.recipient,
                    delivery: track.delivery,
                };
                return Ok(self
                    .org(track.org)
                    .mark_received(track.alert, track.recipient, track.delivery, true, now)?
                    .map(|d| (r, d)));
            }
            Report::Failed(why) => Err(why.clone()),
        };
        let r = DeliveryRef {
            org: track.org,
            alert: track.alert,
            recipient: track.recipient,
            delivery: track.delivery,
        };
        if result.is_ok() && track.parts > 1 {
            let counter = system_key(Kind::SmsPartsDelivered, &[&track.delivery.to_bytes()]);
            let done = self.w().records.update_and_fetch(&counter, |old| {
                let n = old
                    .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
                    .unwrap_or(0);
                Some((n + 1).to_be_bytes().to_vec())
            })?;
            let count = done
                .and_then(|b| b.as_ref().try_into().ok().map(u64::from_be_bytes))
                .unwrap_or(0);
            if count < track.parts as u64 {
                return Ok(None);
            }
            self.w().records.remove(&counter)?;
        }
        Ok(self.settle_delivery(r, &result, now)?.map(|d| (r, d)))
    }

    /// The alerts an address was sent in the last week, newest first.
    pub fn peers(&self, address: &str, now: OffsetDateTime) -> Result<Vec<Peer>> {
        let prefix = system_key(Kind::SmsPeer, &[address.as_bytes()]);
        let oldest = millis(now - PEER_MEMORY);
        let mut peers = Vec::new();
        for entry in self.records.scan_prefix(&prefix).rev() {
            let (key, value) = entry?;
            let at = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            if at < oldest {
                self.w().records.remove(&key)?;
                continue;
            }
            peers.push(decode(Kind::SmsPeer, &value)?);
            if peers.len() >= 50 {
                break;
            }
        }
        Ok(peers)
    }
}
