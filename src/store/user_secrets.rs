//! How a user's second-factor secrets are kept: the TOTP secret sealed with
//! the at-rest key and bound to its user, recovery codes and SMS codes as
//! salted hashes peppered with it. Only the forms live here; the second
//! factors themselves are checked in `auth`.

use super::at_rest::{random, AtRestError, AtRestKey};
use super::TotpState;
use crate::ids::Id;

const RECOVERY_PREFIX: &str = "v2:";

fn totp_context(org: Id, user: Id) -> String {
    format!("totp secret:{org}:{user}")
}

fn recovery_context(org: Id, user: Id) -> String {
    format!("recovery code:{org}:{user}")
}

impl TotpState {
    /// A new, unconfirmed state holding `secret` (base32) sealed.
    pub fn sealed(key: &AtRestKey, org: Id, user: Id, secret: &str) -> Result<Self, AtRestError> {
        Ok(TotpState {
            secret: key.seal(&totp_context(org, user), secret.as_bytes())?,
            confirmed: false,
            last_step: 0,
        })
    }

    /// The base32 secret, opened.
    pub fn open_secret(&self, key: &AtRestKey, org: Id, user: Id) -> Result<String, AtRestError> {
        let plain = key.open(&totp_context(org, user), &self.secret, "TOTP secret")?;
        String::from_utf8(plain).map_err(|_| AtRestError::Unsealable {
            what: "TOTP secret",
        })
    }

    pub(super) fn is_sealed(&self) -> bool {
        AtRestKey::is_sealed(&self.secret)
    }
}

/// The stored form of a recovery code, from the SHA-256 (hex) of the code
/// as typed, normalised: a random salt and the peppered hash of both.
pub fn recovery_code_record(
    key: &AtRestKey,
    org: Id,
    user: Id,
    code_sha256: &str,
) -> Result<String, AtRestError> {
    let salt = hex::encode(random::<16>()?);
    let mac = key.pepper(
        &recovery_context(org, user),
        format!("{salt}:{code_sha256}").as_bytes(),
    );
    Ok(format!("{RECOVERY_PREFIX}{salt}:{mac}"))
}

/// Whether a stored recovery code is the one whose SHA-256 is given.
pub fn recovery_code_matches(
    key: &AtRestKey,
    org: Id,
    user: Id,
    record: &str,
    code_sha256: &str,
) -> bool {
    let Some((salt, mac)) = record
        .strip_prefix(RECOVERY_PREFIX)
        .and_then(|r| r.split_once(':'))
    else {
        return false;
    };
    let expected = key.pepper(
        &recovery_context(org, user),
        format!("{salt}:{code_sha256}").as_bytes(),
    );
    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into()
}

pub(super) fn is_recovery_record(record: &str) -> bool {
    record.starts_with(RECOVERY_PREFIX)
}

/// The stored form of an SMS code: peppered, so a copy of the store can't
/// be searched for the six digits.
pub fn sms_code_hash(key: &AtRestKey, user: Id, code: &str) -> String {
    key.pepper(&format!("sms code:{user}"), code.trim().as_bytes())
}
