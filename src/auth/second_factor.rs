//! Second factors. TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step of
//! clock drift either way), one-time recovery codes, and one-time codes sent
//! by SMS through the appliance's own modems. Every method answers the same
//! question: is this code good for this user now?

use super::token::sha256_hex;
use crate::store::{
    recovery_code_matches, recovery_code_record, sms_code_hash, AtRestError, OrgStore, SmsCode,
    StoreError, TotpState, User, UserChange,
};
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

pub const ISSUER: &str = "Tocsin";
const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    #[error("the system random generator failed: {0}")]
    Random(#[from] getrandom::Error),
    #[error("the stored TOTP secret is unusable")]
    BadSecret,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    AtRest(#[from] AtRestError),
}

/// Which method accepted a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    RecoveryCode,
    Sms,
}

/// How long an SMS code works: long enough for a slow network, short
/// enough that a stolen phone's old messages are useless.
const SMS_CODE_LIFETIME: time::Duration = time::Duration::minutes(5);
/// A new code is not sent sooner than this after the last one.
const SMS_RESEND_AFTER: time::Duration = time::Duration::seconds(30);
/// Wrong guesses that end an SMS code.
const SMS_CODE_TRIES: u32 = 5;

/// True when the user has a second factor that must be asked for at login.
pub fn enrolled(user: &User) -> bool {
    user.totp.as_ref().is_some_and(|t| t.confirmed) || user.sms_second_factor.is_some()
}

/// Issues a six-digit code for `phone` and keeps only its hash. `None`
/// when a code went out less than half a minute ago (it is still good).
pub fn issue_sms_code(
    org: &OrgStore,
    user: &User,
    phone: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, SecondFactorError> {
    if user.sms_code.as_ref().is_some_and(|c| {
        c.phone == phone && now - c.sent_at < SMS_RESEND_AFTER && c.expires_at > now
    }) {
        return Ok(None);
    }
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes)?;
    let code = format!("{:06}", u32::from_be_bytes(bytes) % 1_000_000);
    let record = SmsCode {
        hash: sms_code_hash(org.store().at_rest(), user.id, &code),
        phone: phone.to_owned(),
        sent_at: now,
        expires_at: now + SMS_CODE_LIFETIME,
        tries: 0,
    };
    org.change_user(
        user.id,
        &UserChange {
            sms_code: Some(Some(record)),
            ..UserChange::default()
        },
        now,
    )?;
    Ok(Some(code))
}

/// Checks and uses up the outstanding SMS code. Returns the number it was
/// sent to when good.
pub fn take_sms_code(
    org: &OrgStore,
    user: &User,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, SecondFactorError> {
    let guess = sms_code_hash(org.store().at_rest(), user.id, code);
    Ok(org.try_sms_code(user.id, now, SMS_CODE_TRIES, |pending| {
        super::token::same(&pending.hash, &guess)
    })?)
}

fn totp_for(secret: &str, account: &str) -> Result<TOTP, SecondFactorError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| SecondFactorError::BadSecret)?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|_| SecondFactorError::BadSecret)
}

/// A fresh, unconfirmed TOTP state (its secret sealed for this user), the
/// secret to show once, and the otpauth:// URI for authenticator apps.
pub fn new_totp(
    org: &OrgStore,
    user: &User,
    account: &str,
) -> Result<(TotpState, String, String), SecondFactorError> {
    let raw: [u8; 20] = super::random_bytes()?;
    let Secret::Encoded(secret) = Secret::Raw(raw.to_vec()).to_encoded() else {
        return Err(SecondFactorError::BadSecret);
    };
    let uri = totp_for(&secret, account)?.get_url();
    let state = TotpState::sealed(org.store().at_rest(), org.org_id(), user.id, &secret)?;
    Ok((state, secret, uri))
}

/// The time step `code` is valid for, if any (now, or one step either side).
pub fn totp_step(
    org: &OrgStore,
    user: &User,
    state: &TotpState,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<u64>, SecondFactorError> {
    let secret = state.open_secret(org.store().at_rest(), org.org_id(), user.id)?;
    let totp = totp_for(&secret, "")?;
    let Ok(now) = u64::try_from(now.unix_timestamp()) else {
        return Ok(None);
    };
    let code = code.trim();
    let current = now / STEP_SECONDS;
    Ok([current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| super::token::same(&totp.generate(step * STEP_SECONDS), code)))
}

/// Checks a code against the user's second factors, using it up so it can't
/// be replayed.
pub fn verify(
    org: &OrgStore,
    user: &User,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<Accepted>, SecondFactorError> {
    if let Some(state) = user.totp.as_ref().filter(|t| t.confirmed) {
        if let Some(step) = totp_step(org, user, state, code, now)? {
            return Ok(org
                .consume_totp_step(user.id, step)?
                .then_some(Accepted::Totp));
        }
    }
    if user.sms_second_factor.is_some()
        && code.trim().len() == 6
        && code.trim().bytes().all(|b| b.is_ascii_digit())
        && take_sms_code(org, user, code, now)?.is_some()
    {
        return Ok(Some(Accepted::Sms));
    }
    let normalized = normalize_recovery_code(code);
    if normalized.len() == 10 {
        let digest = sha256_hex(&normalized);
        let key = org.store().at_rest();
        let (org_id, user_id) = (org.org_id(), user.id);
        if org.consume_recovery_code(user.id, |record| {
            recovery_code_matches(key, org_id, user_id, record, &digest)
        })? {
            return Ok(Some(Accepted::RecoveryCode));
        }
    }
    Ok(None)
}

/// Ten one-time recovery codes ("k7m2p-x9q4r") for this user, and their
/// salted, peppered forms to store.
pub fn new_recovery_codes(
    org: &OrgStore,
    user: &User,
) -> Result<(Vec<String>, Vec<String>), SecondFactorError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: [u8; 10] = super::random_bytes()?;
        // 31 symbols from a byte: the bias is under 1 %, irrelevant for 50 bits.
        let chars: String = raw
            .iter()
            .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()))
            .map(|c| char::from(*c))
            .collect();
        hashes.push(recovery_code_record(
            org.store().at_rest(),
            org.org_id(),
            user.id,
            &sha256_hex(&chars),
        )?);
        codes.push(format!("{}-{}", &chars[..5], &chars[5..]));
    }
    Ok((codes, hashes))
}

fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The current code for a secret (tests and the enrolment check use it).
pub fn current_code(secret: &str, now: OffsetDateTime) -> Option<String> {
    let totp = totp_for(secret, "").ok()?;
    Some(totp.generate(u64::try_from(now.unix_timestamp()).ok()?))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits).
        let totp = TOTP::new_unchecked(
            Algorithm::SHA1,
            8,
            1,
            30,
            b"12345678901234567890".to_vec(),
            None,
            String::new(),
        );
        assert_eq!(totp.generate(59), "94287082");
        assert_eq!(totp.generate(1_111_111_109), "07081804");
    }

    fn user_in_store() -> (tempfile::TempDir, OrgStore, User) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("store")).unwrap();
        let org = store.org(crate::ids::Id::new());
        let user = org
            .create_user(
                crate::store::NewUser {
                    username: "jdoe".to_owned(),
                    name: "J".to_owned(),
                    ..Default::default()
                },
                OffsetDateTime::now_utc(),
            )
            .unwrap();
        (dir, org, user)
    }

    #[test]
    fn codes_are_valid_one_step_either_side_only() {
        let (_dir, org, user) = user_in_store();
        let (state, secret, uri) = new_totp(&org, &user, "jdoe@acme").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Tocsin:jdoe%40acme?"),
            "{uri}"
        );
        assert!(!state.secret.contains(&secret), "kept sealed");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let code = current_code(&secret, now).unwrap();
        let step = |code: &str, at| totp_step(&org, &user, &state, code, at).unwrap();
        assert_eq!(step(&code, now), Some(1_800_000_000 / 30));
        assert!(step(&code, now + time::Duration::seconds(30)).is_some());
        assert!(step(&code, now + time::Duration::seconds(90)).is_none());
        assert!(step("000000x", now).is_none());

        // Sealed for this user: moved to another, it does not open.
        let other = User {
            id: crate::ids::Id::new(),
            ..user.clone()
        };
        assert!(totp_step(&org, &other, &state, &code, now).is_err());
    }

    #[test]
    fn recovery_codes_are_distinct_salted_and_match_normalized() {
        let (_dir, org, user) = user_in_store();
        let (codes, records) = new_recovery_codes(&org, &user).unwrap();
        assert_eq!(codes.len(), 10);
        let digest = sha256_hex(&normalize_recovery_code(&codes[0].to_uppercase()));
        let key = org.store().at_rest();
        assert!(recovery_code_matches(
            key,
            org.org_id(),
            user.id,
            &records[0],
            &digest
        ));
        assert!(!recovery_code_matches(
            key,
            org.org_id(),
            user.id,
            &records[1],
            &digest
        ));
        assert!(!records[0].contains(&digest), "never the bare hash");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
    }
}
