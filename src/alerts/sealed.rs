//! Checks on a sealed (password-encrypted) alert body. The appliance never
//! sees the password or the plaintext, so all it can check is that the parts
//! are well formed and the key derivation is not too weak to be worth it.

use crate::store::SealedBody;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// AES-GCM with the organisation's id and the alert's title as additional
/// data, so a body copied into another alert does not open there.
pub const SCHEME: &str = "PBKDF2-SHA256/AES-256-GCM/bound-v1";
/// OWASP's 2023 figure for PBKDF2-HMAC-SHA-256 is 600,000; fewer is refused
/// below this floor so an old or careless client can't weaken every member.
/// What the console's sealing uses; nothing weaker is taken.
pub const MIN_ITERATIONS: u32 = 600_000;
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// 4,000 characters of UTF-8 (at most 4 bytes each) and the 16-byte tag.
const MAX_CIPHERTEXT: usize = 4000 * 4 + 16;

/// The failing field and why.
pub fn check(sealed: &SealedBody) -> Result<(), (&'static str, String)> {
    if sealed.scheme != SCHEME {
        return Err(("scheme", format!("must be \"{SCHEME}\"")));
    }
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&sealed.iterations) {
        return Err((
            "iterations",
            format!("must be from {MIN_ITERATIONS} to {MAX_ITERATIONS}"),
        ));
    }
    let bytes = |field: &'static str, value: &str, min: usize, max: usize| {
        let decoded = STANDARD
            .decode(value)
            .map_err(|_| (field, "must be standard base64".to_owned()))?;
        if decoded.len() < min || decoded.len() > max {
            return Err((field, format!("must decode to {min} to {max} bytes")));
        }
        Ok(())
    };
    bytes("salt", &sealed.salt, 16, 64)?;
    bytes("iv", &sealed.iv, 12, 12)?;
    bytes("ciphertext", &sealed.ciphertext, 17, MAX_CIPHERTEXT)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spoil = fn(&mut SealedBody);

    fn good() -> SealedBody {
        SealedBody {
            scheme: SCHEME.to_owned(),
            iterations: 600_000,
            salt: STANDARD.encode([7u8; 16]),
            iv: STANDARD.encode([1u8; 12]),
            ciphertext: STANDARD.encode([2u8; 40]),
        }
    }

    #[test]
    fn a_well_formed_body_passes_and_each_fault_names_its_field() {
        assert_eq!(check(&good()), Ok(()));
        let cases: [(&str, Spoil); 6] = [
            ("scheme", |s| s.scheme = "AES-CBC".to_owned()),
            ("iterations", |s| s.iterations = 1000),
            ("salt", |s| s.salt = STANDARD.encode([0u8; 4])),
            ("iv", |s| s.iv = STANDARD.encode([0u8; 16])),
            ("ciphertext", |s| s.ciphertext = "not base64!".to_owned()),
            ("ciphertext", |s| s.ciphertext = STANDARD.encode([0u8; 16])),
        ];
        for (field, spoil) in cases {
            let mut sealed = good();
            spoil(&mut sealed);
            assert_eq!(check(&sealed).map_err(|(f, _)| f), Err(field));
        }
    }
}
