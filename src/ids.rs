//! Sortable identifiers. Every record id is a ULID: 16 bytes on disk (so keys sort
//! by creation time) and 26 Crockford base32 characters on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ulid::Ulid;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(Ulid);

impl Id {
    /// The id of the system namespace: keys that belong to no organisation (the
    /// organisation directory itself) live under it.
    pub const SYSTEM: Id = Id(Ulid::nil());

    /// A new id, greater than every id this process made before: records
    /// stored by id (audit events, alerts) list in the order they were
    /// made, even within one millisecond.
    pub fn new() -> Self {
        static MONOTONIC: std::sync::Mutex<ulid::Generator> =
            std::sync::Mutex::new(ulid::Generator::new());
        let mut generator = MONOTONIC
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only 2^80 ids in one millisecond overflow: then a random one.
        Id(generator.generate().unwrap_or_else(|_| Ulid::new()))
    }

    /// An id that sorts at `at`, for records made for another time than
    /// now: data seeded for benchmarks and tests, imported history.
    pub fn at(at: time::OffsetDateTime) -> Self {
        let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let random = u128::from_be_bytes(Id::new().to_bytes()) & ((1u128 << 80) - 1);
        Id(Ulid::from_parts(millis, random))
    }

    /// An id made of a hash's first 16 bytes, for records found by what
    /// they are about rather than by a fresh id.
    pub fn from_digest(digest: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        for (to, from) in bytes.iter_mut().zip(digest) {
            *to = *from;
        }
        Id::from_bytes(bytes)
    }

    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_bytes()
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Id(Ulid::from_bytes(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 16] = bytes.try_into().ok()?;
        Some(Self::from_bytes(array))
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not a valid id (expected 26 characters of Crockford base32)")]
pub struct InvalidId;

impl FromStr for Id {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulid::from_string(s).map(Id).map_err(|_| InvalidId)
    }
}
