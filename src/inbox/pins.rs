//! SMS trigger PINs, checked against their argon2id hash. A PIN that
//! matched is remembered while the daemon runs, as a keyed digest (never the
//! PIN itself, never on disk), so the next alarm from the same number is not
//! held up by another argon2 run; any other PIN, or a changed hash, goes
//! through argon2 again, and wrong PINs always do.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

pub struct PinCheck {
    /// Random per run; `None` when the system gave no randomness, and then
    /// nothing is remembered.
    key: Option<[u8; 32]>,
    /// PIN hash → digest of the PIN that matched it.
    matched: Mutex<HashMap<String, Vec<u8>>>,
}

impl PinCheck {
    pub fn new() -> PinCheck {
        let mut key = [0u8; 32];
        PinCheck {
            key: getrandom::fill(&mut key).ok().map(|()| key),
            matched: Mutex::new(HashMap::new()),
        }
    }

    pub fn verify(&self, pin_hash: &str, pin: &str) -> bool {
        let digest = self.digest(pin_hash, pin);
        if let Some(digest) = &digest {
            let matched = self
                .matched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if matched
                .get(pin_hash)
                .is_some_and(|known| bool::from(known.ct_eq(digest)))
            {
                return true;
            }
        }
        let ok = crate::auth::password::verify(pin_hash, pin);
        if let (true, Some(digest)) = (ok, digest) {
            self.matched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(pin_hash.to_owned(), digest);
        }
        ok
    }

    fn digest(&self, pin_hash: &str, pin: &str) -> Option<Vec<u8>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key?).ok()?;
        mac.update(pin_hash.as_bytes());
        mac.update(&[0]);
        mac.update(pin.as_bytes());
        Some(mac.finalize().into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matched_pin_is_known_and_others_are_checked_again() {
        let hash = crate::auth::password::hash("24681357").unwrap();
        let check = PinCheck::new();
        assert!(!check.verify(&hash, "11111111"));
        assert!(check.verify(&hash, "24681357"));
        let started = std::time::Instant::now();
        assert!(check.verify(&hash, "24681357"));
        assert!(started.elapsed() < std::time::Duration::from_millis(20));
        assert!(!check.verify(&hash, "24681358"));
        let other = crate::auth::password::hash("97531864").unwrap();
        assert!(!check.verify(&other, "24681357"), "bound to its hash");
    }
}
