//! Robot calls end to end: the real modem driver on pseudo-terminals
//! against simulated modems whose far ends answer and press keys, are busy
//! or never pick up; the alert spoken by the real espeak-ng. The WAV files
//! the modems were given are read here by their own header, not by the
//! appliance's code.

use crate::devices::{wait_ready, wait_until, WAIT};
use crate::inprocess::{Login, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tocsin::config::ModemConfig;
use tocsin::hw::sim::modem::{CallOutcome, CallRecord, Callee, SimModem, SimModemConfig};

const AINO: &str = "+358401000001";
const EEVA: &str = "+358401000002";
const BERTIL: &str = "+358401000003";
const CECILIA: &str = "+358401000004";
const RETRY_PAUSE: Duration = Duration::from_secs(60);

fn voice_modem(link: &Path) -> SimModem {
    SimModem::start(
        link,
        SimModemConfig {
            network_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            ring_time: Duration::from_secs(2),
            ..SimModemConfig::default()
        },
    )
    .unwrap()
}

fn modem_config(name: &str, link: &Path, voice: bool) -> ModemConfig {
    let mut config = crate::devices::ec25(name, link, voice);
    if let Some(v) = config.profile.voice.as_mut() {
        v.timeouts.key_s = 3;
    }
    config
}

fn server_with_voice_modems(dir: &tempfile::TempDir, names: &[&str]) -> (Server, Vec<SimModem>) {
    let modems: Vec<SimModem> = names
        .iter()
        .map(|n| voice_modem(&dir.path().join(n)))
        .collect();
    let links: Vec<(String, std::path::PathBuf)> = names
        .iter()
        .map(|n| ((*n).to_owned(), dir.path().join(n)))
        .collect();
    let server = Server::start_with(move |config| {
        for (name, link) in &links {
            config.modems.push(modem_config(name, link, true));
        }
        config.voice.retries = 1;
        config.voice.retry_pause = RETRY_PAUSE;
    });
    (server, modems)
}

fn member(admin: &Login<'_>, name: &str, phone: &str, language: &str) {
    admin.create_member(name, &["member"]);
    let r = admin.patch(
        &format!("/api/v1/users/{name}"),
        json!({"phones": [phone], "channels": ["voice", "sms"], "language": language}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn recipient(admin: &Login<'_>, alert: &str, user: &str) -> Value {
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == format!("Member {user}"))
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {user} in {view}"))
}

fn delivery(admin: &Login<'_>, alert: &str, user: &str, channel: &str) -> Option<Value> {
    recipient(admin, alert, user)["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == channel)
        .cloned()
}

fn calls_to(modems: &[SimModem], number: &str) -> Vec<CallRecord> {
    let mut calls: Vec<CallRecord> = modems
        .iter()
        .flat_map(|m| m.calls())
        .filter(|c| c.number == number)
        .collect();
    calls.sort_by_key(|c| c.dialled);
    calls
}

fn ended_calls(modems: &[SimModem], number: &str) -> usize {
    calls_to(modems, number)
        .iter()
        .filter(|c| c.outcome.is_some())
        .count()
}

/// The WAV file a modem holds under `name`.
fn file(modems: &[SimModem], name: &str) -> Vec<u8> {
    modems
        .iter()
        .find_map(|m| m.files().get(name).cloned())
        .unwrap_or_else(|| panic!("no file {name} on any modem"))
}

/// Reads a canonical PCM WAV header: (rate, channels, bits, seconds).
fn wav_format(bytes: &[u8]) -> (u32, u16, u16, f64) {
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let (mut pos, mut format, mut data) = (12, None, None);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
        if id == b"fmt " {
            let pcm = u16::from_le_bytes([body[0], body[1]]);
            assert_eq!(pcm, 1, "PCM");
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            let bits = u16::from_le_bytes([body[14], body[15]]);
            format = Some((rate, channels, bits));
        } else if id == b"data" {
            data = Some(body.len());
        }
        pos += 8 + size + (size & 1);
    }
    let (rate, channels, bits) = format.expect("a fmt chunk");
    let data = data.expect("a data chunk");
    let seconds = data as f64 / (f64::from(rate) * f64::from(channels) * f64::from(bits / 8));
    (rate, channels, bits, seconds)
}

#[test]
fn a_voice_alert_is_answered_by_key_retried_when_busy_and_escalates_to_sms() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_voice_modems(&dir, &["gsm1", "gsm2"]);
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    wait_ready(&admin, "gsm2");
    member(&admin, "aino", AINO, "fi");
    member(&admin, "eeva", EEVA, "en");
    member(&admin, "bertil", BERTIL, "sv");
    member(&admin, "cecilia", CECILIA, "en");
    for modem in &modems {
        // Aino presses 1 while the message plays; Eeva listens to the end
        // and presses 2 when it is said again.
        modem.set_callee(
            AINO,
            Callee::Answers {
                after: Duration::from_millis(300),
                keys: vec![(Duration::from_secs(2), '1')],
                hang_up: None,
            },
        );
        modem.set_callee(
            EEVA,
            Callee::Answers {
                after: Duration::from_millis(300),
                keys: vec![(Duration::from_secs(30), '2')],
                hang_up: Some(Duration::from_secs(90)),
            },
        );
        modem.set_callee(BERTIL, Callee::Busy);
        modem.set_callee(CECILIA, Callee::NoAnswer);
    }
    let title = "Fire at the warehouse";
    let body = "Smoke seen on the second floor of warehouse three, near the loading bay.";
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": title, "body": body, "severity": "critical",
               "channels": ["voice", "sms"],
               "recipients": {"users": ["aino", "eeva", "bertil", "cecilia"]},
               "escalation": {"next_channel_after_seconds": 600}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let alert = sent.json()["id"].as_str().unwrap().to_owned();

    // Aino: answered, pressed 1 during the message, her answer is Coming.
    let aino = wait_until("Aino's answer", WAIT, || {
        let r = recipient(&admin, &alert, "aino");
        (!r["response"].is_null()).then_some(r)
    });
    assert_eq!(aino["response"]["choice"], "Coming", "{aino}");
    assert_eq!(aino["response"]["channel"], "voice", "{aino}");
    let d = delivery(&admin, &alert, "aino", "voice").unwrap();
    assert_eq!(d["state"], "delivered", "{d}");

    // Bertil: busy, called once more after the pause, then failed `busy`
    // and reached by SMS through escalation at once.
    wait_until("Bertil's first call", WAIT, || {
        (ended_calls(&modems, BERTIL) == 1).then_some(())
    });
    let d = wait_until("Bertil's retry queued", WAIT, || {
        let d = delivery(&admin, &alert, "bertil", "voice")?;
        (d["state"] == "queued").then_some(d)
    });
    assert_eq!(d["last_error"], "busy", "{d}");
    // Cecilia's first call rings out meanwhile.
    wait_until("Cecilia's first call", WAIT, || {
        (ended_calls(&modems, CECILIA) == 1).then_some(())
    });
    server.clock.advance(RETRY_PAUSE);
    let d = wait_until("Bertil's voice delivery failed", WAIT, || {
        let d = delivery(&admin, &alert, "bertil", "voice")?;
        (d["state"] == "failed").then_some(d)
    });
    assert!(d["last_error"].as_str().unwrap().starts_with("busy"), "{d}");
    let bertil_calls = calls_to(&modems, BERTIL);
    assert_eq!(bertil_calls.len(), 2, "{bertil_calls:?}");
    assert!(bertil_calls
        .iter()
        .all(|c| c.outcome == Some(CallOutcome::Busy)));
    let sms = wait_until("Bertil's SMS", WAIT, || {
        let d = delivery(&admin, &alert, "bertil", "sms")?;
        matches!(d["state"].as_str(), Some("sent" | "delivered")).then_some(d)
    });
    assert_eq!(sms["address"], BERTIL, "{sms}");

    // Cecilia: never picks up; `no answer` after the retry.
    let d = wait_until("Cecilia's voice delivery failed", WAIT, || {
        let d = delivery(&admin, &alert, "cecilia", "voice")?;
        (d["state"] == "failed").then_some(d)
    });
    assert!(
        d["last_error"].as_str().unwrap().starts_with("no answer"),
        "{d}"
    );
    assert_eq!(calls_to(&modems, CECILIA).len(), 2);

    // Eeva heard the message to its end (delivered), then answered 2.
    let eeva = wait_until("Eeva's answer", Duration::from_secs(90), || {
        let r = recipient(&admin, &alert, "eeva");
        (!r["response"].is_null()).then_some(r)
    });
    assert_eq!(eeva["response"]["choice"], "Not coming", "{eeva}");
    assert_eq!(
        delivery(&admin, &alert, "eeva", "voice").unwrap()["state"],
        "delivered"
    );

    // What was played: 8 kHz mono 16-bit WAVs, as long as the words need,
    // in each person's own language.
    let aino_call = &calls_to(&modems, AINO)[0];
    let eeva_call = &calls_to(&modems, EEVA)[0];
    let aino_file = &aino_call.played[0].file;
    let eeva_file = &eeva_call.played[0].file;
    assert!(aino_file.contains("-fi-"), "{aino_file}");
    assert!(eeva_file.contains("-en-"), "{eeva_file}");
    assert!(eeva_call.played[0].complete, "{eeva_call:?}");
    let (aino_wav, eeva_wav) = (file(&modems, aino_file), file(&modems, eeva_file));
    assert_ne!(aino_wav, eeva_wav);
    let words = format!("{title} {body}").split_whitespace().count() as f64;
    for wav in [&aino_wav, &eeva_wav] {
        let (rate, channels, bits, seconds) = wav_format(wav);
        assert_eq!((rate, channels, bits), (8000, 1, 16));
        // The title and text at a phone line's pace (2 to 3 words a
        // second), plus who calls and the choices.
        assert!(
            seconds > words / 3.5 && seconds < words / 1.5 + 30.0,
            "{seconds} s for {words} words"
        );
    }
    // The confirmation of Aino's choice followed the key.
    assert!(
        aino_call
            .played
            .iter()
            .any(|p| p.file.contains("-choice1-")),
        "{aino_call:?}"
    );
}

#[test]
fn voice_is_refused_up_front_where_no_modem_places_calls() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gsm1");
    let _modem = voice_modem(&link);
    // A modem kept for SMS only: the appliance places no calls.
    let server = Server::start_with(|config| {
        config.modems.push(modem_config("gsm1", &link, false));
    });
    let admin = server.admin();
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Test", "severity": "info", "channels": ["voice"], "recipients": {"phones": [AINO]}}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "channels", "{}", r.body);
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    // A text longer than any call may speak is refused with its field.
    let server = Server::start();
    let admin = server.admin();
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Long", "severity": "info", "body": "x".repeat(20_000), "channels": ["sms"],
               "recipients": {"phones": [AINO]}}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "body", "{}", r.body);
}

#[test]
fn a_member_calls_in_and_answers_a_stranger_is_turned_down_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_voice_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let clock: tocsin::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
    tocsin::provisioning::create_operator(&server.store, &clock, "op", crate::inprocess::PASSWORD)
        .unwrap();
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member(&admin, "aino", AINO, "sv");
    // Aino was texted; she calls back instead of replying.
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Crew needed", "body": "Report to the station.", "severity": "warning",
               "channels": ["sms"], "recipients": {"users": ["aino"]}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let alert = sent.json()["id"].as_str().unwrap().to_owned();
    wait_until("the SMS sent", WAIT, || {
        let d = delivery(&admin, &alert, "aino", "sms")?;
        matches!(d["state"].as_str(), Some("sent" | "delivered")).then_some(())
    });
    modem.call_in(
        AINO,
        tocsin::hw::sim::modem::Caller {
            keys: vec![(Duration::from_secs(2), '2')],
            hang_up: Some(Duration::from_secs(60)),
            gives_up_after: Duration::from_secs(20),
        },
    );
    let aino = wait_until("Aino's answer by phone", WAIT, || {
        let r = recipient(&admin, &alert, "aino");
        (!r["response"].is_null()).then_some(r)
    });
    assert_eq!(aino["response"]["choice"], "Not coming", "{aino}");
    assert_eq!(aino["response"]["channel"], "voice", "{aino}");
    let call = wait_until("Aino's call over", WAIT, || {
        modem
            .calls()
            .into_iter()
            .find(|c| c.incoming && c.number == AINO && c.outcome.is_some())
    });
    assert!(
        call.played.first().is_some_and(|p| p.file.contains("-sv-")),
        "{call:?}"
    );
    assert_eq!(call.outcome, Some(CallOutcome::HungUpByModem), "{call:?}");
    let received = admin.get("/api/v1/inbound?channel=voice").json();
    assert_eq!(received["messages"][0]["text"], "2", "{received}");

    // A number the appliance never alerted is turned down and audited.
    let stranger = "+358409999999";
    modem.call_in(
        stranger,
        tocsin::hw::sim::modem::Caller {
            keys: vec![(Duration::from_secs(1), '1')],
            hang_up: None,
            gives_up_after: Duration::from_secs(20),
        },
    );
    let call = wait_until("the stranger's call over", WAIT, || {
        modem
            .calls()
            .into_iter()
            .find(|c| c.number == stranger && c.outcome.is_some())
    });
    assert_eq!(call.outcome, Some(CallOutcome::RejectedByModem), "{call:?}");
    assert!(
        call.answered.is_none() && call.played.is_empty(),
        "{call:?}"
    );
    let appliance = server
        .store
        .org_by_slug(tocsin::store::APPLIANCE_SLUG)
        .unwrap()
        .unwrap();
    let refused = wait_until("the refusal audited", WAIT, || {
        let events = server
            .store
            .org(appliance.id)
            .audit_events(&tocsin::store::AuditFilter {
                action_prefix: Some("voice.call_in_refused".to_owned()),
                actor: None,
                outcome: None,
                since: None,
                limit: 10,
            })
            .unwrap();
        (!events.is_empty()).then_some(events)
    });
    assert_eq!(refused.len(), 1, "one audit entry per call: {refused:?}");
    assert!(
        refused[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains(stranger),
        "{refused:?}"
    );
}
