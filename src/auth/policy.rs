//! Password policy: the organisation's minimum length, no passwords made from
//! the user's or organisation's own names, and a strength estimate (zxcvbn,
//! whose bundled dictionaries hold the most common passwords) that must reach
//! the organisation's minimum score. Reasons are for the person choosing.

use crate::store::OrgSettings;

/// Longer inputs are refused before estimating, which is costly on huge input.
pub const MAX_LENGTH: usize = 256;

pub struct Context<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub org_slug: &'a str,
    pub org_name: &'a str,
}

pub fn check(password: &str, settings: &OrgSettings, context: &Context) -> Result<(), String> {
    let length = password.chars().count();
    let min = usize::try_from(settings.password_min_length).unwrap_or(usize::MAX);
    if length < min {
        return Err(format!("must be at least {min} characters"));
    }
    if length > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters"));
    }
    let lowered = password.to_lowercase();
    let own_words = [
        context.username,
        context.name,
        context.org_slug,
        context.org_name,
    ];
    for word in own_words.iter().flat_map(|w| w.split_whitespace()) {
        let word = word.to_lowercase();
        if word.chars().count() >= 3 && lowered.contains(&word) {
            return Err("must not contain your name, username or organisation".to_owned());
        }
    }
    let estimate = zxcvbn::zxcvbn(password, &own_words);
    let score = u8::from(estimate.score());
    if score < settings.password_min_strength {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string())
            .unwrap_or_else(|| "it would be guessed too easily".to_owned());
        return Err(format!(
            "is too weak (strength {score} of 4, at least {} needed): {why}",
            settings.password_min_strength
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context<'static> {
        Context {
            username: "jdoe",
            name: "John Doe",
            org_slug: "acme",
            org_name: "Acme Rescue",
        }
    }

    #[test]
    fn refuses_short_common_and_personal_passwords() {
        let settings = OrgSettings::default();
        let short = check("Xk3!p", &settings, &context()).unwrap_err();
        assert!(short.contains("at least 12"), "{short}");
        let common = check("password1234", &settings, &context()).unwrap_err();
        assert!(common.contains("too weak"), "{common}");
        let keyboard = check("qwertyuiop123", &settings, &context()).unwrap_err();
        assert!(keyboard.contains("too weak"), "{keyboard}");
        let personal = check("acme-rescue-2026!", &settings, &context()).unwrap_err();
        assert!(personal.contains("organisation"), "{personal}");
        assert!(check("John.Doe.Firefighter", &settings, &context()).is_err());
        assert!(check(&"x".repeat(300), &settings, &context()).is_err());
    }

    #[test]
    fn accepts_a_strong_passphrase() {
        check(
            "violet tractor ladder 42 umbrella",
            &OrgSettings::default(),
            &context(),
        )
        .unwrap();
    }
}
