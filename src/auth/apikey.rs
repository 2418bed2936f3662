//! API keys for integrations: `tocsin_<org>_<key>_<secret>` (see [`super::token`]).

use super::token;
use crate::ids::Id;
use crate::store::{ApiKeyRecord, NewApiKey};
use time::OffsetDateTime;

const PREFIX: &str = "tocsin";

pub struct IssuedKey {
    /// Shown once to whoever created the key, never stored.
    pub token: String,
    pub record: NewApiKey,
}

pub fn issue(
    org: Id,
    name: &str,
    role: &str,
    expires_at: Option<OffsetDateTime>,
) -> Result<IssuedKey, getrandom::Error> {
    let issued = token::issue(PREFIX, org)?;
    Ok(IssuedKey {
        token: issued.token,
        record: NewApiKey {
            id: issued.id,
            name: name.to_owned(),
            role: role.to_owned(),
            secret_sha256: issued.secret_sha256,
            expires_at,
            created_by: None,
        },
    })
}

pub fn parse(value: &str) -> Option<token::Parsed> {
    token::parse(PREFIX, value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    WrongSecret,
    Revoked,
    Expired,
}

pub fn check(
    parsed: &token::Parsed,
    record: &ApiKeyRecord,
    now: OffsetDateTime,
) -> Result<(), KeyRefusal> {
    if !parsed.matches(&record.secret_sha256) {
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

/// What a key that authenticated earlier (a live stream's) may do now:
/// nothing once it is revoked, expired or its role is gone.
pub fn recheck(
    org: &crate::store::OrgStore,
    key: crate::ids::Id,
    now: OffsetDateTime,
) -> Result<Option<super::Access>, crate::store::StoreError> {
    let Some(record) = org.api_key(key)? else {
        return Ok(None);
    };
    if record.revoked_at.is_some() || record.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    Ok(org
        .role_by_name(&record.role)?
        .map(|role| super::Access::from_roles([&role])))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
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
            created_by: None,
        }
    }

    #[test]
    fn issued_key_parses_and_checks_and_only_its_hash_is_kept() {
        let org = Id::new();
        let issued = issue(org, "ci", "admin", None).unwrap();
        let parsed = parse(&issued.token).unwrap();
        assert_eq!(parsed.org, org);
        assert_eq!(parsed.id, issued.record.id);
        let secret = issued.token.rsplit('_').next().unwrap();
        assert_ne!(issued.record.secret_sha256, secret);
        assert_eq!(issued.record.secret_sha256, token::sha256_hex(secret));
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

        let mut tampered = issued.token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        let tampered = parse(&tampered).unwrap();
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
