//! API key tokens: `tocsin_<org id>_<key id>_<secret>`. The ids say where to look
//! so no global index of keys is needed; the secret is 32 random bytes in hex and
//! only its SHA-256 is stored.

use crate::ids::Id;
use crate::store::{ApiKeyRecord, NewApiKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

const PREFIX: &str = "tocsin";

pub struct IssuedKey {
    /// Shown once to whoever created the key, never stored.
    pub token: String,
    pub record: NewApiKey,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("id", &self.record.id)
            .finish_non_exhaustive()
    }
}

pub fn issue(
    org: Id,
    name: &str,
    role: &str,
    expires_at: Option<OffsetDateTime>,
) -> Result<IssuedKey, getrandom::Error> {
    let id = Id::new();
    let secret = hex::encode(super::random_bytes::<32>()?);
    Ok(IssuedKey {
        token: format!("{PREFIX}_{org}_{id}_{secret}"),
        record: NewApiKey {
            id,
            name: name.to_owned(),
            role: role.to_owned(),
            secret_sha256: digest(&secret),
            expires_at,
        },
    })
}

#[derive(PartialEq, Eq)]
pub struct ParsedKey {
    pub org: Id,
    pub key: Id,
    secret: String,
}

impl std::fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedKey")
            .field("org", &self.org)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

pub fn parse(token: &str) -> Option<ParsedKey> {
    let mut parts = token.split('_');
    if parts.next()? != PREFIX {
        return None;
    }
    let org = parts.next()?.parse().ok()?;
    let key = parts.next()?.parse().ok()?;
    let secret = parts.next()?;
    if parts.next().is_some()
        || secret.len() != 64
        || !secret.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    Some(ParsedKey {
        org,
        key,
        secret: secret.to_ascii_lowercase(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    WrongSecret,
    Revoked,
    Expired,
}

/// Checks a presented key against its record; the comparison takes the same time
/// however many characters match.
pub fn check(
    parsed: &ParsedKey,
    record: &ApiKeyRecord,
    now: OffsetDateTime,
) -> Result<(), KeyRefusal> {
    let presented = digest(&parsed.secret);
    if !bool::from(presented.as_bytes().ct_eq(record.secret_sha256.as_bytes())) {
        return Err(KeyRefusal::WrongSecret);
    }
    if record.revoked_at.is_some() {
        return Err(KeyRefusal::Revoked);
    }
    if record.expires_at.is_some_and(|at| at <= now) {
        return Err(KeyRefusal::Expired);
    }
    Ok(())
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_for(issued: &IssuedKey) -> ApiKeyRecord {
        ApiKeyRecord {
            id: issued.record.id,
            name: issued.record.name.clone(),
            role: issued.record.role.clone(),
            secret_sha256: issued.record.secret_sha256.clone(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: issued.record.expires_at,
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn issued_key_parses_and_checks() {
        let org = Id::new();
        let issued = issue(org, "ci", "admin", None).unwrap();
        let parsed = parse(&issued.token).unwrap();
        assert_eq!(parsed.org, org);
        assert_eq!(parsed.key, issued.record.id);
        assert!(!issued.record.secret_sha256.contains(&parsed.secret));
        assert_eq!(
            check(&parsed, &record_for(&issued), OffsetDateTime::now_utc()),
            Ok(())
        );
    }

    #[test]
    fn tampered_revoked_and_expired_keys_are_refused() {
        let issued = issue(Id::new(), "ci", "admin", Some(OffsetDateTime::UNIX_EPOCH)).unwrap();
        let mut record = record_for(&issued);
        let parsed = parse(&issued.token).unwrap();
        assert_eq!(
            check(&parsed, &record, OffsetDateTime::now_utc()),
            Err(KeyRefusal::Expired)
        );
        record.expires_at = None;
        record.revoked_at = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            check(&parsed, &record, OffsetDateTime::now_utc()),
            Err(KeyRefusal::Revoked)
        );

        let mut token = issued.token.clone();
        let last = token.pop().unwrap();
        token.push(if last == '0' { '1' } else { '0' });
        let tampered = parse(&token).unwrap();
        assert_eq!(
            check(&tampered, &record, OffsetDateTime::now_utc()),
            Err(KeyRefusal::WrongSecret)
        );
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for bad in [
            "",
            "tocsin",
            "tocsin_x_y_z",
            "Bearer abc",
            "tocsin_01_02_zz",
            "other_01H_01H_00",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
