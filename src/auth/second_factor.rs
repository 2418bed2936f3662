//! Second factors. TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step of
//! clock drift either way), one-time recovery codes, and one-time codes sent
//! by SMS through the appliance's own modems. Every method answers the same
//! question: is this code good for this user now?

use super::token::sha256_hex;
use crate::store::{OrgStore, SmsCode, StoreError, TotpState, User, UserChange};
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

fn sms_code_hash(user: &User, code: &str) -> String {
    sha256_hex(&format!("{}:{}", user.id, code.trim()))
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
        hash: sms_code_hash(user, &code),
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
    let guess = sms_code_hash(user, code);
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

/// A fresh, unconfirmed TOTP secret and the otpauth:// URI for authenticator apps.
pub fn new_totp(account: &str) -> Result<(TotpState, String), SecondFactorError> {
    let raw: [u8; 20] = super::random_bytes()?;
    let Secret::Encoded(secret) = Secret::Raw(raw.to_vec()).to_encoded() else {
        return Err(SecondFactorError::BadSecret);
    };
    let uri = totp_for(&secret, account)?.get_url();
    Ok((
        TotpState {
            secret,
            confirmed: false,
            last_step: 0,
        },
        uri,
    ))
}

/// The time step `code` is valid for, if any (now, or one step either side).
pub fn totp_step(state: &TotpState, code: &str, now: OffsetDateTime) -> Option<u64> {
    let totp = totp_for(&state.secret, "").ok()?;
    let now = u64::try_from(now.unix_timestamp()).ok()?;
    let code = code.trim();
    let current = now / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| super::token::same(&totp.generate(step * STEP_SECONDS), code))
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
        if let Some(step) = totp_step(state, code, now) {
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
    if normalized.len() == 10 && org.consume_recovery_code(user.id, &sha256_hex(&normalized))? {
        return Ok(Some(Accepted::RecoveryCode));
    }
    Ok(None)
}

/// Ten one-time recovery codes ("k7m2p-x9q4r") and the hashes to store.
pub fn new_recovery_codes() -> Result<(Vec<String>, Vec<String>), SecondFactorError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: [u8; 10] = super::random_bytes()?;
        // 31 symbols from a byte: the bias is under 1 %, irrelevant for 50 bits.
        let chars: String = raw
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        hashes.push(sha256_hex(&chars));
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

    #[test]
    fn codes_are_valid_one_step_either_side_only() {
        let (state, uri) = new_totp("jdoe@acme").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Tocsin:jdoe%40acme?"),
            "{uri}"
        );
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let code = current_code(&state.secret, now).unwrap();
        assert_eq!(totp_step(&state, &code, now), Some(1_800_000_000 / 30));
        assert!(totp_step(&state, &code, now + time::Duration::seconds(30)).is_some());
        assert!(totp_step(&state, &code, now + time::Duration::seconds(90)).is_none());
        assert!(totp_step(&state, "000000x", now).is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_normalized() {
        let (codes, hashes) = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            hashes[0],
            sha256_hex(&normalize_recovery_code(&codes[0].to_uppercase()))
        );
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(unique.len(), 10);
    }
}
