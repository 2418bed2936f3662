//! Checks on names and addresses that come from people, shared by the API and
//! the command line so both accept exactly the same things.

/// Organisation slugs and usernames: what people type at a login prompt.
pub fn handle(value: &str) -> Result<(), &'static str> {
    let ok = (2..=64).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err("must be 2 to 64 characters: lowercase letters, digits, '-', '_' or '.', starting with a letter or digit")
    }
}

/// Display names: anything printable, within reason.
pub fn display_name(value: &str) -> Result<(), &'static str> {
    if value.trim().is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control)
    {
        Err("must be 1 to 200 printable characters")
    } else {
        Ok(())
    }
}

/// E.164: '+', a country code and at most 15 digits in all.
pub fn e164(value: &str) -> Result<(), &'static str> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err("must be an E.164 phone number such as +358401234567")
    }
}

/// A plausible mailbox address; the mail relay is the final judge.
pub fn email(value: &str) -> Result<(), &'static str> {
    let ok = value.len() <= 254
        && !value.contains(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err("must be an email address such as jdoe@example.org")
    }
}

/// TETRA individual and group short subscriber identities are 24 bits.
pub fn tetra_ssi(value: u32) -> Result<(), &'static str> {
    if (1..=0x00FF_FFFF).contains(&value) {
        Ok(())
    } else {
        Err("must be a TETRA short subscriber identity from 1 to 16777215")
    }
}

pub fn language(value: &str) -> Result<(), &'static str> {
    if matches!(value, "en" | "fi" | "sv") {
        Ok(())
    } else {
        Err("must be one of en, fi, sv")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_refuses() {
        assert!(handle("jdoe").is_ok());
        assert!(handle("J").is_err());
        assert!(handle("-x").is_err());
        assert!(e164("+358401234567").is_ok());
        assert!(e164("0401234567").is_err());
        assert!(e164("+0401234567").is_err());
        assert!(e164("+1234567890123456").is_err());
        assert!(email("a@b.fi").is_ok());
        assert!(email("a b@c.fi").is_err());
        assert!(email("a@b").is_err());
        assert!(tetra_ssi(2_001_234).is_ok());
        assert!(tetra_ssi(0).is_err());
        assert!(tetra_ssi(16_777_216).is_err());
    }
}
