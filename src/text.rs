//! Words Tocsin puts in messages and pages outside the console, in the
//! person's language (Finnish, Swedish or English), and HTML escaping for
//! them.

/// A language Tocsin writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fi,
    Sv,
}

impl Lang {
    /// From a user's `language` ("fi", "sv-FI", ...); English otherwise.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code.map(|c| c.get(..2).unwrap_or(c).to_ascii_lowercase()) {
            Some(c) if c == "fi" => Lang::Fi,
            Some(c) if c == "sv" => Lang::Sv,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fi => "fi",
            Lang::Sv => "sv",
        }
    }
}

/// A phrase by key; `{name}` placeholders are filled with [`fill`].
pub fn phrase(lang: Lang, key: &str) -> &'static str {
    let (en, fi, sv) = match key {
        "critical" => ("[CRITICAL] ", "[KRIITTINEN] ", "[KRITISK] "),
        "warning" => ("[WARNING] ", "[VAROITUS] ", "[VARNING] "),
        "critical_short" => ("CRITICAL: ", "KRIITTINEN: ", "KRITISK: "),
        "warning_short" => ("WARNING: ", "VAROITUS: ", "VARNING: "),
        "sealed_notice" => (
            "Encrypted message. Open it in the app with the agreed password: {link}",
            "Salattu viesti. Avaa se sovelluksessa sovitulla salasanalla: {link}",
            "Krypterat meddelande. Öppna det i appen med det överenskomna lösenordet: {link}",
        ),
        "one_click" => (
            "Answer with one click (each link works once, for 24 hours):",
            "Vastaa yhdellä napsautuksella (linkki toimii kerran, 24 tuntia):",
            "Svara med ett klick (länken fungerar en gång, i 24 timmar):",
        ),
        "links_once" => (
            "Each link works once, for 24 hours.",
            "Linkki toimii kerran, 24 tuntia.",
            "Länken fungerar en gång, i 24 timmar.",
        ),
        "sent_by" => (
            "Sent by Tocsin for {sender}. Alert {alert}.",
            "Lähettäjä: Tocsin, {sender}. Hälytys {alert}.",
            "Skickat av Tocsin för {sender}. Larm {alert}.",
        ),
        "answer_question" => (
            "Answer {choice}?",
            "Vastataanko {choice}?",
            "Svara {choice}?",
        ),
        "answer_button" => ("Answer {choice}", "Vastaa {choice}", "Svara {choice}"),
        "recorded" => (
            "Thank you. Your answer {choice} is recorded.",
            "Kiitos. Vastauksesi {choice} on tallennettu.",
            "Tack. Ditt svar {choice} är sparat.",
        ),
        "not_recorded" => (
            "The answer could not be recorded: {why}.",
            "Vastausta ei voitu tallentaa: {why}.",
            "Svaret kunde inte sparas: {why}.",
        ),
        "link_unusable" => (
            "This link can't be used",
            "Tätä linkkiä ei voi käyttää",
            "Den här länken kan inte användas",
        ),
        "link_invalid" => (
            "The link is damaged or was not made by this appliance.",
            "Linkki on vioittunut tai sitä ei ole tehnyt tämä laite.",
            "Länken är skadad eller kommer inte från den här enheten.",
        ),
        "link_expired" => (
            "The link has expired.",
            "Linkki on vanhentunut.",
            "Länken har gått ut.",
        ),
        "link_used" => (
            "This link was used already",
            "Tätä linkkiä on jo käytetty",
            "Den här länken har redan använts",
        ),
        "first_answer_stands" => (
            "Each link answers once. Your first answer stands.",
            "Linkillä voi vastata kerran. Ensimmäinen vastauksesi on voimassa.",
            "Varje länk svarar en gång. Ditt första svar gäller.",
        ),
        "alert_gone" => (
            "This alert is gone",
            "Tätä hälytystä ei enää ole",
            "Det här larmet finns inte längre",
        ),
        "try_again" => (
            "Something went wrong; please try again.",
            "Jokin meni vikaan; yritä uudelleen.",
            "Något gick fel; försök igen.",
        ),
        "checkin_title" => ("Check-in timer", "Turvatarkistus", "Incheckningstimer"),
        "checkin_done" => (
            "Your check-in timer: {action}.",
            "Turvatarkistuksesi: {action}.",
            "Din incheckningstimer: {action}.",
        ),
        "checkin_reminder" => (
            "Your check-in timer runs out in 5 minutes",
            "Turvatarkistuksesi aika päättyy 5 minuutin kuluttua",
            "Din incheckningstimer går ut om 5 minuter",
        ),
        "checkin_grace" => (
            "Check in now: your timer ran out",
            "Kuittaa nyt: turvatarkistuksen aika päättyi",
            "Checka in nu: din timer har gått ut",
        ),
        "checkin_how" => (
            "Check in in the app, or reply OK. Without it the alarm is raised.",
            "Kuittaa sovelluksessa tai vastaa OK. Muuten hälytys lähtee.",
            "Checka in i appen eller svara OK. Annars larmas det.",
        ),
        "voice_intro" => (
            "This is an alert from {org}.",
            "Tämä on hälytys: {org}.",
            "Det här är ett larm från {org}.",
        ),
        "voice_critical" => ("Critical.", "Kiireellinen.", "Kritiskt."),
        "voice_warning" => ("Warning.", "Varoitus.", "Varning."),
        "voice_sealed" => (
            "An encrypted message is waiting for you in the app.",
            "Sovelluksessa odottaa sinulle salattu viesti.",
            "Ett krypterat meddelande väntar på dig i appen.",
        ),
        "voice_shortened" => (
            "The message continues in the app.",
            "Viesti jatkuu sovelluksessa.",
            "Meddelandet fortsätter i appen.",
        ),
        "voice_press" => (
            "Press {digit} for {option}.",
            "Paina {digit}: {option}.",
            "Tryck {digit} för {option}.",
        ),
        "voice_eta" => (
            "To say when you arrive, enter the minutes and then the hash key.",
            "Ilmoita saapumisaikasi: näppäile minuutit ja sitten risuaita.",
            "För att ange när du kommer, slå minuterna och sedan fyrkant.",
        ),
        "voice_repeat" => (
            "Press 0 to hear this again.",
            "Paina nolla kuullaksesi viestin uudelleen.",
            "Tryck noll för att höra detta igen.",
        ),
        "voice_recorded" => (
            "Your answer {choice} is recorded. Thank you.",
            "Vastauksesi {choice} on tallennettu. Kiitos.",
            "Ditt svar {choice} är sparat. Tack.",
        ),
        _ => ("", "", ""),
    };
    match lang {
        Lang::En => en,
        Lang::Fi => fi,
        Lang::Sv => sv,
    }
}

/// A phrase with its placeholders filled in.
pub fn fill(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    let mut text = phrase(lang, key).to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Text made safe for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_phrases_and_escaping() {
        assert_eq!(Lang::from_code(Some("sv-FI")), Lang::Sv);
        assert_eq!(Lang::from_code(Some("FI")), Lang::Fi);
        assert_eq!(Lang::from_code(None), Lang::En);
        assert_eq!(
            fill(Lang::Fi, "answer_button", &[("choice", "Tulossa")]),
            "Vastaa Tulossa"
        );
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
