//! One-click answer links for messages (email today): each link names one
//! recipient of one alert and one answer option, expires, and is signed
//! with the appliance's own key (HMAC-SHA-256), so answering needs no login
//! and a link can't be forged or changed into another person's answer.

use crate::ids::Id;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How long a link answers.
pub const LIFETIME: time::Duration = time::Duration::hours(24);
const PAYLOAD: usize = 16 * 3 + 1 + 8;
/// The signature is cut to 128 bits: plenty against forgery, shorter links.
const TAG: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub org: Id,
    pub alert: Id,
    pub recipient: Id,
    /// Index into the alert's answer options.
    pub option: u8,
    pub expires: OffsetDateTime,
}

impl Claim {
    /// What the link signs, as one digest: a link is used once by this,
    /// however its text was spelled.
    pub fn fingerprint(&self) -> Vec<u8> {
        let mut hasher = Sha256::new();
        hasher.update(self.org.to_bytes());
        hasher.update(self.alert.to_bytes());
        hasher.update(self.recipient.to_bytes());
        hasher.update([self.option]);
        hasher.update(self.expires.unix_timestamp().to_be_bytes());
        hasher.finalize().to_vec()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("this link is damaged or was not made by this appliance")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

#[derive(Clone)]
pub struct AnswerLinks {
    key: [u8; 32],
}

impl std::fmt::Debug for AnswerLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerLinks(..)")
    }
}

impl AnswerLinks {
    pub fn new(key: [u8; 32]) -> AnswerLinks {
        AnswerLinks { key }
    }

    fn mac(&self, payload: &[u8]) -> Option<Vec<u8>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(payload);
        Some(mac.finalize().into_bytes().get(..TAG)?.to_vec())
    }

    /// The token for a link (URL-safe).
    pub fn sign(&self, claim: &Claim) -> String {
        let mut payload = Vec::with_capacity(PAYLOAD + TAG);
        payload.extend_from_slice(&claim.org.to_bytes());
        payload.extend_from_slice(&claim.alert.to_bytes());
        payload.extend_from_slice(&claim.recipient.to_bytes());
        payload.push(claim.option);
        payload.extend_from_slice(&claim.expires.unix_timestamp().to_be_bytes());
        let tag = self.mac(&payload).unwrap_or_default();
        payload.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// Checks a token's signature and age.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Claim, LinkError> {
        // Mail programs add stray spaces; the claim, not the spelling, is
        // what is used once.
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| LinkError::Invalid)?;
        if bytes.len() != PAYLOAD + TAG {
            return Err(LinkError::Invalid);
        }
        let (payload, tag) = bytes.split_at(PAYLOAD);
        let expected = self.mac(payload).ok_or(LinkError::Invalid)?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(tag, expected.as_slice())) {
            return Err(LinkError::Invalid);
        }
        let id = |range: std::ops::Range<usize>| {
            payload
                .get(range)
                .and_then(Id::from_slice)
                .ok_or(LinkError::Invalid)
        };
        let seconds = payload
            .get(49..57)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_be_bytes)
            .ok_or(LinkError::Invalid)?;
        let claim = Claim {
            org: id(0..16)?,
            alert: id(16..32)?,
            recipient: id(32..48)?,
            option: payload.get(48).copied().ok_or(LinkError::Invalid)?,
            expires: OffsetDateTime::from_unix_timestamp(seconds)
                .map_err(|_| LinkError::Invalid)?,
        };
        if claim.expires < now {
            return Err(LinkError::Expired);
        }
        Ok(claim)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_and_refuse_tampering_and_age() {
        let links = AnswerLinks::new([7; 32]);
        let now = OffsetDateTime::now_utc();
        let claim = Claim {
            org: Id::new(),
            alert: Id::new(),
            recipient: Id::new(),
            option: 1,
            expires: now.replace_nanosecond(0).unwrap() + LIFETIME,
        };
        let token = links.sign(&claim);
        assert_eq!(links.verify(&token, now), Ok(claim));
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[48] = 0;
        assert_eq!(
            links.verify(&URL_SAFE_NO_PAD.encode(bytes), now),
            Err(LinkError::Invalid),
            "another option can't be chosen by editing the link"
        );
        assert_eq!(
            AnswerLinks::new([8; 32]).verify(&token, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            links.verify(&token, now + LIFETIME + time::Duration::seconds(1)),
            Err(LinkError::Expired)
        );
        assert_eq!(links.verify("not a token", now), Err(LinkError::Invalid));
    }
}
