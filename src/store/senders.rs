//! Who owns what comes in on the appliance's shared modems and radios. The
//! appliance operator assigns each organisation the SMS numbers and TETRA
//! SSIs that may start its alerts; one sender belongs to one organisation
//! at most. With a single organisation, every sender is its own.
//!
//! Also here: TETRA call-out numbers (1–15, shared by every organisation on
//! the air), held by one active call-out at a time, and wrong SMS trigger
//! PINs counted per organisation and number.

use super::keys::{self, IndexKind, Kind};
use super::{Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// An organisation's senders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Assignments {
    /// E.164 numbers whose SMS may fire the organisation's SMS triggers.
    pub sms_numbers: Vec<String>,
    /// ISSIs and GSSIs whose SDS may fire its TETRA rules.
    pub tetra_ssis: Vec<u32>,
}

/// A sender as the assignment index names it.
pub fn sms_sender(number: &str) -> String {
    format!("sms:{number}")
}

pub fn tetra_sender(ssi: u32) -> String {
    format!("tetra:{ssi}")
}

/// How long a call-out keeps its number when nobody cancels it.
pub const CALLOUT_HOLD: time::Duration = time::Duration::hours(24);

/// Wrong PINs from one number before it is locked out.
pub const PIN_ATTEMPTS: u32 = 5;
/// How long a number stays locked out after too many wrong PINs.
pub const PIN_LOCKOUT: time::Duration = time::Duration::hours(1);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinFailures {
    pub count: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CalloutHold {
    org: Id,
    alert: Id,
    #[serde(with = "time::serde::rfc3339")]
    since: OffsetDateTime,
}

fn pin_key(org: Id, number: &str) -> Id {
    let digest = Sha256::digest(format!("{org}\0{number}"));
    Id::from_digest(&digest)
}

fn callout_key(number: u8) -> Vec<u8> {
    keys::index(Id::SYSTEM, IndexKind::CalloutNumber, &number.to_string())
}

impl Store {
    /// The organisation's senders.
    pub fn assignments(&self, org: Id) -> Result<Assignments> {
        Ok(self.get(org, Kind::Assignments, org)?.unwrap_or_default())
    }

    /// Replaces the organisation's senders. A sender another organisation
    /// holds is refused as [`StoreError::Duplicate`] and nothing changes.
    pub fn set_assignments(&self, org: Id, new: &Assignments) -> Result<Assignments> {
        let senders: Vec<(&'static str, String)> = new
            .sms_numbers
            .iter()
            .map(|n| ("sms_numbers", sms_sender(n)))
            .chain(
                new.tetra_ssis
                    .iter()
                    .map(|s| ("tetra_ssis", tetra_sender(*s))),
            )
            .collect();
        self.transaction(|tx| {
            let old: Assignments = tx.get(org, Kind::Assignments, org)?.unwrap_or_default();
            for number in &old.sms_numbers {
                tx.release(Id::SYSTEM, IndexKind::Sender, &sms_sender(number))?;
            }
            for ssi in &old.tetra_ssis {
                tx.release(Id::SYSTEM, IndexKind::Sender, &tetra_sender(*ssi))?;
            }
            for (what, sender) in &senders {
                tx.claim(Id::SYSTEM, IndexKind::Sender, sender, org, what)?;
            }
            tx.put(org, Kind::Assignments, org, new)?;
            Ok(())
        })?;
        Ok(new.clone())
    }

    /// The organisation a sender belongs to: the one it is assigned to, or,
    /// on an appliance with a single organisation, that one.
    pub fn sender_owner(&self, sender: &str) -> Result<Option<Id>> {
        if let Some(org) = self.lookup(Id::SYSTEM, IndexKind::Sender, sender)? {
            return Ok(Some(org));
        }
        let orgs = self.orgs()?;
        Ok(match orgs.as_slice() {
            [only] => Some(only.id),
            _ => None,
        })
    }

    /// Takes the lowest call-out number no active call-out holds, for
    /// `alert`. A number is free again when its alert is cancelled, gone, or
    /// older than [`CALLOUT_HOLD`]; `is_active` tells. `None` when all 15
    /// are held.
    pub fn claim_callout_number(
        &self,
        org: Id,
        alert: Id,
        now: OffsetDateTime,
        is_active: impl Fn(Id, Id) -> Result<bool>,
    ) -> Result<Option<u8>> {
        let hold = serde_json::to_vec(&CalloutHold {
            org,
            alert,
            since: now,
        })
        .map_err(|source| StoreError::Corrupt {
            kind: "call-out number",
            source,
        })?;
        for number in 1..=15u8 {
            let key = callout_key(number);
            let current = self.index.get(&key)?;
            if let Some(bytes) = &current {
                let held: Option<CalloutHold> = serde_json::from_slice(bytes).ok();
                let busy = match held {
                    Some(h) => now - h.since < CALLOUT_HOLD && is_active(h.org, h.alert)?,
                    None => false,
                };
                if busy {
                    continue;
                }
            }
            if self
                .w()
                .index
                .compare_and_swap(&key, current, Some(hold.as_slice()))?
                .is_ok()
            {
                return Ok(Some(number));
            }
        }
        Ok(None)
    }

    /// The call-out holding `number`: (organisation, alert).
    pub fn callout_holder(&self, number: u8) -> Result<Option<(Id, Id)>> {
        Ok(self
            .index
            .get(callout_key(number))?
            .and_then(|bytes| serde_json::from_slice::<CalloutHold>(&bytes).ok())
            .map(|h| (h.org, h.alert)))
    }

    pub fn pin_failures(&self, org: Id, number: &str) -> Result<PinFailures> {
        Ok(self
            .get(Id::SYSTEM, Kind::PinFailures, pin_key(org, number))?
            .unwrap_or_default())
    }

    /// Counts one wrong PIN from `number`; the count reaching
    /// [`PIN_ATTEMPTS`] locks the number out for [`PIN_LOCKOUT`]. Returns
    /// the new state.
    pub fn count_pin_failure(
        &self,
        org: Id,
        number: &str,
        now: OffsetDateTime,
    ) -> Result<PinFailures> {
        let id = pin_key(org, number);
        self.transaction(|tx| {
            let mut f: PinFailures = tx
                .get(Id::SYSTEM, Kind::PinFailures, id)?
                .unwrap_or_default();
            if f.locked_until.is_some_and(|until| until <= now) {
                f = PinFailures::default();
            }
            f.count += 1;
            if f.count >= PIN_ATTEMPTS && f.locked_until.is_none() {
                f.locked_until = Some(now + PIN_LOCKOUT);
            }
            tx.put(Id::SYSTEM, Kind::PinFailures, id, &f)?;
            Ok(f)
        })
    }

    pub fn clear_pin_failures(&self, org: Id, number: &str) -> Result<()> {
        let id = pin_key(org, number);
        self.transaction(|tx| {
            tx.remove(Id::SYSTEM, Kind::PinFailures, id)?;
            Ok(())
        })
    }
}
