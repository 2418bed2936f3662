//! The SMS channel end to end: the real modem driver on a pseudo-terminal
//! against the simulated modem, with the appliance in process. PDUs are
//! checked by the independent decoder in `pdu_spec`.

use crate::devices::{device_state, wait_ready, wait_until, WAIT};
use crate::inprocess::{Login, Server, PASSWORD};
use crate::pdu_spec::{decode_submit, join, SpecSubmit};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tocsin::config::ModemConfig;
use tocsin::hw::sim::modem::{Fault, SimModem, SimModemConfig};

fn quick_modem(link: &Path) -> SimModem {
    SimModem::start(
        link,
        SimModemConfig {
            network_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            ..SimModemConfig::default()
        },
    )
    .unwrap()
}

fn modem_config(name: &str, link: &Path) -> ModemConfig {
    crate::devices::ec25(name, link, true)
}

/// A server whose modems are simulated at the given links (made in `dir`).
pub(crate) fn server_with_modems(
    dir: &tempfile::TempDir,
    names: &[&str],
) -> (Server, Vec<SimModem>) {
    let modems: Vec<SimModem> = names
        .iter()
        .map(|n| quick_modem(&dir.path().join(n)))
        .collect();
    let links: Vec<(String, std::path::PathBuf)> = names
        .iter()
        .map(|n| ((*n).to_owned(), dir.path().join(n)))
        .collect();
    let server = Server::start_with(move |config| {
        for (name, link) in &links {
            config.modems.push(modem_config(name, link));
        }
    });
    (server, modems)
}

pub(crate) fn member_with_phone(admin: &Login<'_>, name: &str, phone: &str) {
    admin.create_member(name, &["member"]);
    let r = admin.patch(
        &format!("/api/v1/users/{name}"),
        json!({"phones": [phone], "channels": ["sms"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn send_sms_alert(admin: &Login<'_>, title: &str, body: &str, users: &[&str]) -> String {
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": title, "body": body, "severity": "critical", "channels": ["sms"],
               "recipients": {"users": users}, "allow_eta": true}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    sent.json()["id"].as_str().unwrap().to_owned()
}

/// The delivery of `user`'s SMS in an alert.
fn sms_delivery(admin: &Login<'_>, alert: &str, user: &str) -> Value {
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    let recipient = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == format!("Member {user}"))
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {user} in {view}"));
    recipient["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "sms")
        .cloned()
        .unwrap()
}

fn wait_delivery_state(admin: &Login<'_>, alert: &str, user: &str, state: &str) -> Value {
    wait_until(&format!("{user}'s SMS {state}"), WAIT, || {
        let d = sms_delivery(admin, alert, user);
        (d["state"] == state).then_some(d)
    })
}

/// The messages the simulated modem took for one number, decoded and joined.
fn texts_to(modem: &SimModem, number: &str) -> Vec<(Vec<SpecSubmit>, String)> {
    let parts: Vec<SpecSubmit> = modem
        .sent()
        .iter()
        .map(|s| decode_submit(&s.hex))
        .filter(|p| p.destination == number)
        .collect();
    let mut messages: Vec<Vec<SpecSubmit>> = Vec::new();
    for part in parts {
        match part.concat {
            Some((reference, _, _)) => {
                match messages
                    .iter_mut()
                    .find(|m| m.first().and_then(|f| f.concat).map(|c| c.0) == Some(reference))
                {
                    Some(m) => m.push(part),
                    None => messages.push(vec![part]),
                }
            }
            None => messages.push(vec![part]),
        }
    }
    messages
        .into_iter()
        .map(|m| {
            let text = join(&m);
            (m, text)
        })
        .collect()
}

#[test]
fn alert_texts_arrive_as_correct_pdus_are_reported_delivered_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "aino", "+358401000001");
    member_with_phone(&admin, "elias", "+358401000002");
    member_with_phone(&admin, "linnea", "+358401000003");

    // GSM 7-bit with every extension character.
    let ext = send_sms_alert(&admin, "Drill €[]{}^~|\\", "Hall B", &["aino"]);
    wait_delivery_state(&admin, &ext, "aino", "delivered");
    let sent = texts_to(modem, "+358401000001");
    assert_eq!(sent.len(), 1);
    let (parts, text) = &sent[0];
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].dcs, 0x00, "GSM 7-bit default alphabet");
    assert!(parts[0].status_report_requested);
    assert_eq!(
        text,
        "CRITICAL: Drill €[]{}^~|\\\nHall B\nReply 1 = Coming, 2 = Not coming"
    );

    // UCS-2 with an emoji (a surrogate pair) and Finnish letters.
    let ucs = send_sms_alert(&admin, "Tulipalo 🔥", "Kerääntyminen pihalla", &["elias"]);
    wait_delivery_state(&admin, &ucs, "elias", "delivered");
    let sent = texts_to(modem, "+358401000002");
    let (parts, text) = &sent[0];
    assert_eq!(parts[0].dcs, 0x08, "UCS-2");
    assert!(
        text.starts_with("CRITICAL: Tulipalo 🔥\nKerääntyminen pihalla"),
        "{text}"
    );

    // 400 characters: three concatenated parts, reported delivered only when all are.
    let long_body: String = "Evacuate building C by the north stairs. ".repeat(8);
    let long = send_sms_alert(&admin, "Evacuation", &long_body, &["linnea"]);
    wait_delivery_state(&admin, &long, "linnea", "delivered");
    let sent = texts_to(modem, "+358401000003");
    let (parts, text) = &sent[0];
    assert_eq!(parts.len(), 3, "{} characters", text.chars().count());
    assert!(parts.iter().all(|p| p.concat.map(|c| c.1) == Some(3)));
    assert!(text.contains(long_body.trim()), "{text}");

    // Replies: "1" is Coming; "K 15" is Coming in 15 minutes; unknown senders are kept and ignored.
    modem.receive_sms("+358401000001", "1");
    modem.receive_sms("+358401000002", "E");
    modem.receive_sms("+358409999999", "hello?");
    wait_until("aino's answer", WAIT, || {
        let view = admin.get(&format!("/api/v1/alerts/{ext}")).json();
        (view["totals"]["coming"] == 1).then_some(())
    });
    let view = admin.get(&format!("/api/v1/alerts/{ext}")).json();
    let response = &view["recipients"][0]["response"];
    assert_eq!(response["choice"], "Coming");
    assert_eq!(response["channel"], "sms");
    wait_until("elias's answer", WAIT, || {
        let view = admin.get(&format!("/api/v1/alerts/{ucs}")).json();
        (view["totals"]["not_coming"] == 1).then_some(())
    });
    let inbound = wait_until("three inbound messages", WAIT, || {
        let list = admin.get("/api/v1/inbound?channel=sms").json();
        (list["messages"].as_array().unwrap().len() == 3).then_some(list)
    });
    let by_sender = |from: &str| {
        inbound["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["from"] == from)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_sender("+358401000001")["handling"]["kind"], "response");
    assert_eq!(by_sender("+358401000001")["handling"]["choice"], "Coming");
    assert_eq!(by_sender("+358409999999")["handling"]["kind"], "ignored");
    // One organisation owns every sender; the stranger's text is its to see.
    assert_eq!(
        by_sender("+358409999999")["handling"]["why"],
        "no open alert was sent to this number"
    );
    wait_until("the modem's storage emptied", WAIT, || {
        (modem.stored_count() == 0).then_some(())
    });

    // A long reply in two parts is put back together.
    let long_reply = format!(
        "1 10 {}",
        "coming with the ladder truck and two more ".repeat(4)
    );
    modem.receive_sms("+358401000003", &long_reply);
    let whole = wait_until("the long reply", WAIT, || {
        let list = admin.get("/api/v1/inbound?from=%2B358401000003").json();
        list["messages"].as_array().unwrap().first().cloned()
    });
    assert_eq!(whole["parts"], 2);
    assert_eq!(whole["text"], long_reply.as_str());
    let view = admin.get(&format!("/api/v1/alerts/{long}")).json();
    assert_eq!(view["recipients"][0]["response"]["eta_minutes"], 10);

    let metrics = server.send("GET", "/metrics", &[], None).body;
    assert!(
        metrics.contains("tocsin_device_up{device=\"gsm1\",kind=\"modem\"} 1"),
        "{metrics}"
    );
    let ready = server.send("GET", "/readyz", &[], None).json();
    assert_eq!(ready["checks"]["devices"]["gsm1"], "ok");
}

#[test]
fn messages_left_in_the_modem_are_read_at_start_and_deleted_only_once_stored() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gsm1");
    let modem = quick_modem(&link);
    // Arrives while nothing drives the modem: it waits in the modem's storage.
    modem.receive_sms("+358401234567", "Is anyone there?");
    wait_until("stored in the modem", WAIT, || {
        (modem.stored_count() == 1).then_some(())
    });
    let server = Server::start_with(|config| config.modems.push(modem_config("gsm1", &link)));
    let admin = server.admin();
    // Read before the test's organisation exists, it is the appliance's
    // (no organisation owned the sender yet); read after, acme's.
    let message = wait_until("the stored SMS", WAIT, || {
        let list = admin.get("/api/v1/inbound").json();
        let acme = list["messages"].as_array().unwrap().first().cloned();
        let appliance = server
            .store
            .unassigned_inbound(&tocsin::store::InboundFilter::default())
            .unwrap()
            .first()
            .map(|m| serde_json::json!(m));
        acme.or(appliance)
    });
    assert_eq!(message["text"], "Is anyone there?");
    wait_until("deleted from the modem", WAIT, || {
        (modem.stored_count() == 0).then_some(())
    });
}

#[test]
fn send_refusals_are_retried_or_failed_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "aino", "+358401000001");
    member_with_phone(&admin, "elias", "+358401000002");

    // Congestion (42) is worth another try: it goes out after the pause.
    modem.fault(Fault::CmsError { code: 42, times: 1 });
    let busy = send_sms_alert(&admin, "Congested", "", &["aino"]);
    let queued = wait_until("the first try refused", WAIT, || {
        let d = sms_delivery(&admin, &busy, "aino");
        (d["state"] == "queued" && d["last_error"].is_string()).then_some(d)
    });
    assert_eq!(
        queued["last_error"], "the network is congested (+CMS ERROR: 42)",
        "{queued}"
    );
    server.advance(Duration::from_secs(6));
    wait_delivery_state(&admin, &busy, "aino", "delivered");

    // An unassigned number (1) will never work: failed at once, in words.
    modem.fault(Fault::CmsError { code: 1, times: 1 });
    let bad = send_sms_alert(&admin, "Unassigned", "", &["elias"]);
    let failed = wait_delivery_state(&admin, &bad, "elias", "failed");
    assert_eq!(
        failed["last_error"],
        "the number is not assigned (+CMS ERROR: 1)"
    );

    // A transient "SIM busy" is waited out on the spot and poisons nothing.
    modem.fault(Fault::SimBusy { times: 2 });
    let after_busy = send_sms_alert(&admin, "After busy", "", &["elias"]);
    wait_delivery_state(&admin, &after_busy, "elias", "delivered");

    // Garbage on the line between commands is survived.
    modem.fault(Fault::Garbage);
    let after_garbage = send_sms_alert(&admin, "After garbage", "", &["aino"]);
    wait_delivery_state(&admin, &after_garbage, "aino", "delivered");
}

#[test]
fn a_hung_modem_is_reset_and_an_unplugged_one_comes_back_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let clock: tocsin::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
    tocsin::provisioning::create_operator(&server.store, &clock, "op", PASSWORD).unwrap();
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "aino", "+358401000001");
    member_with_phone(&admin, "elias", "+358401000002");

    let hung_at = Instant::now();
    modem.fault(Fault::Hang);
    let during_hang = send_sms_alert(&admin, "During the hang", "", &["aino"]);
    wait_until("the hang noticed", Duration::from_secs(40), || {
        (device_state(&admin, "gsm1") != "ready").then_some(())
    });
    let detected = hung_at.elapsed();
    // The message given back by the hung modem is retried after its pause.
    wait_ready(&admin, "gsm1");
    server.advance(Duration::from_secs(6));
    wait_delivery_state(&admin, &during_hang, "aino", "delivered");
    let resumed = hung_at.elapsed();
    println!("hang detected after {detected:?}, sending resumed after {resumed:?}");
    assert!(detected <= Duration::from_secs(30), "{detected:?}");
    assert!(resumed <= Duration::from_secs(60), "{resumed:?}");

    // Unplugged for 3 s; an alert sent meanwhile waits and goes when it is back.
    modem.fault(Fault::Unplug {
        for_: Duration::from_secs(3),
    });
    wait_until("the unplug noticed", WAIT, || {
        (device_state(&admin, "gsm1") == "disconnected").then_some(())
    });
    let unplugged = send_sms_alert(&admin, "While unplugged", "", &["elias"]);
    let back_at = Instant::now() + Duration::from_secs(3);
    wait_ready(&admin, "gsm1");
    let back_in_service = Instant::now().saturating_duration_since(back_at);
    println!("back in service {back_in_service:?} after reappearing");
    assert!(
        back_in_service <= Duration::from_secs(10),
        "{back_in_service:?}"
    );
    wait_until("the queued SMS out", WAIT, || {
        let d = sms_delivery(&admin, &unplugged, "elias");
        if d["state"] == "queued" {
            server.advance(Duration::from_secs(6));
        }
        (d["state"] == "delivered").then_some(())
    });
    let hw = admin.get("/api/v1/devices/hardware").json();
    assert!(hw["devices"][0]["last_error"].is_string(), "{hw}");

    // Each fault and each recovery is in the appliance's own trail.
    let op = server.login("appliance", "op", PASSWORD);
    let trail = wait_until("the faults audited", WAIT, || {
        let trail = op.get("/api/v1/audit?action=device.").json();
        let actions: Vec<String> = trail["events"]
            .as_array()?
            .iter()
            .rev()
            .filter_map(|e| e["action"].as_str().map(str::to_owned))
            .collect();
        (actions.len() >= 4).then_some((actions, trail))
    });
    assert_eq!(
        trail.0[..4],
        [
            "device.fault",
            "device.recovered",
            "device.fault",
            "device.recovered"
        ],
        "{}",
        trail.1
    );
    assert!(
        trail.1["events"][0]["target"]
            .as_str()
            .unwrap()
            .ends_with("gsm1"),
        "{}",
        trail.1
    );
}

#[test]
fn a_second_modem_takes_over_the_first_ones_queue() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1", "gsm2"]);
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    wait_ready(&admin, "gsm2");
    let names = ["aino", "elias", "linnea", "oliver", "sofia", "ville"];
    for (i, name) in names.iter().enumerate() {
        member_with_phone(&admin, name, &format!("+35840100001{i}"));
    }
    // Both modems share the load.
    let shared = send_sms_alert(&admin, "Shared", "", &names);
    for name in names {
        wait_delivery_state(&admin, &shared, name, "delivered");
    }
    let (one, two) = (modems[0].sent().len(), modems[1].sent().len());
    assert_eq!(one + two, names.len());
    assert!(one > 0 && two > 0, "both modems send: {one} and {two}");

    // gsm1 is pulled out for good: everything goes through gsm2.
    modems[0].fault(Fault::Unplug {
        for_: Duration::from_secs(600),
    });
    let before = modems[1].sent().len();
    let failover = send_sms_alert(&admin, "Failover", "", &names);
    wait_until("all through gsm2", WAIT, || {
        let delivered = names
            .iter()
            .filter(|n| sms_delivery(&admin, &failover, n)["state"] == "delivered")
            .count();
        if delivered < names.len() {
            server.advance(Duration::from_secs(6));
        }
        (delivered == names.len()).then_some(())
    });
    assert_eq!(modems[1].sent().len() - before, names.len());
    let hw = admin.get("/api/v1/devices/hardware").json();
    assert_eq!(hw["sms"]["queued"], 0, "{hw}");
}

#[test]
fn sms_login_codes_work_end_to_end_through_the_modem() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "aino", "+358401000001");
    let aino = server.login("acme", "aino", PASSWORD);
    let last_code = |count: usize| {
        let sent = wait_until("a login code", WAIT, || {
            let texts = texts_to(modem, "+358401000001");
            (texts.len() >= count).then_some(texts)
        });
        let text = &sent[count - 1].1;
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in {text}"))
            .to_owned()
    };

    let wrong_number = aino.post(
        "/api/v1/me/sms-second-factor",
        json!({"phone": "+358409999999", "current_password": PASSWORD}),
    );
    assert_eq!(wrong_number.status, 422);
    assert_eq!(wrong_number.json()["field"], "phone");
    let begin = aino.post(
        "/api/v1/me/sms-second-factor",
        json!({"phone": "+358401000001", "current_password": PASSWORD}),
    );
    assert_eq!(begin.status, 202, "{}", begin.body);
    let code = last_code(1);
    let bad = aino.post(
        "/api/v1/me/sms-second-factor/confirm",
        json!({"code": "000000"}),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let confirmed = aino.post(
        "/api/v1/me/sms-second-factor/confirm",
        json!({"code": code}),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(
        confirmed.json()["recovery_codes"].as_array().unwrap().len(),
        10
    );

    let first = server.login_attempt("acme", "aino", PASSWORD, None);
    assert_eq!(first.status, 401, "{}", first.body);
    assert_eq!(first.json()["code"], "second_factor_required");
    assert!(
        first.json()["detail"]
            .as_str()
            .unwrap()
            .contains("ending 01"),
        "{}",
        first.body
    );
    let code = last_code(2);
    let wrong = server.login_attempt("acme", "aino", PASSWORD, Some("123456"));
    assert_eq!(wrong.status, 401);
    let ok = server.login_attempt("acme", "aino", PASSWORD, Some(&code));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let replay = server.login_attempt("acme", "aino", PASSWORD, Some(&code));
    assert_eq!(replay.status, 401, "a code works once");
}

#[test]
fn an_allowed_number_with_its_pin_fires_a_template_by_sms() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let modem = &modems[0];
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    admin.create_member("aino", &["member"]);
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "fire", "alert": {"title": "Fire alarm by SMS", "severity": "critical",
               "channels": ["app"], "recipients": {"users": ["aino"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let sealed = admin.post(
        "/api/v1/templates",
        json!({"name": "covert", "alert": {"title": "Covert call-out", "severity": "critical",
               "channels": ["app"], "recipients": {"users": ["aino"]},
               "sealed": {"scheme": "PBKDF2-SHA256/AES-256-GCM/bound-v1", "iterations": 600000,
                          "salt": "AAECAwQFBgcICQoLDA0ODw==", "iv": "AAECAwQFBgcICQoL",
                          "ciphertext": "q83vASNFZ4mrze8BI0VniavN7wEjRWeJ"}}}),
    );
    assert_eq!(sealed.status, 201, "{}", sealed.body);
    let bad_pin = admin.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": "+358405550000", "pin": "12"}]}),
    );
    assert_eq!(bad_pin.status, 422);
    assert_eq!(bad_pin.json()["field"], "sms_triggers[0].pin");
    let set = admin.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": "+358405550000", "pin": "471147", "templates": ["fire", "covert"]}]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert!(!set.body.contains("471147"), "the PIN is kept only hashed");

    modem.receive_sms("+358405550000", "1234 fire wrong pin");
    modem.receive_sms("+358405550000", "471147 fire Hall B");
    modem.receive_sms("+358405550000", "471147 covert Gate 4");
    let handled = wait_until("all handled", WAIT, || {
        let list = admin.get("/api/v1/inbound").json();
        let messages = list["messages"].as_array().unwrap().clone();
        (messages.len() == 3 && messages.iter().all(|m| m["handling"]["kind"] != "pending"))
            .then_some(messages)
    });
    let fired = handled
        .iter()
        .find(|m| m["text"] == "[PIN] fire Hall B")
        .unwrap();
    assert_eq!(fired["handling"]["kind"], "trigger", "{fired}");
    let alert = fired["handling"]["alert"].as_str().unwrap();
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    assert_eq!(view["alert"]["title"], "Fire alarm by SMS");
    // A sealed template takes no plain text: the words go to its timeline.
    let covert = handled
        .iter()
        .find(|m| m["text"] == "[PIN] covert Gate 4")
        .unwrap();
    assert_eq!(covert["handling"]["kind"], "trigger", "{covert}");
    let view = admin
        .get(&format!(
            "/api/v1/alerts/{}",
            covert["handling"]["alert"].as_str().unwrap()
        ))
        .json();
    assert_eq!(view["alert"]["body"], "");
    assert!(view["alert"]["sealed"].is_object());
    assert!(
        view["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "trigger_detail" && e["detail"]["detail"] == "Gate 4"),
        "{view}"
    );
    let refused = handled
        .iter()
        .find(|m| m["text"] == "[PIN] fire wrong pin")
        .unwrap();
    assert_eq!(
        refused["handling"]["why"],
        "an SMS trigger with a wrong PIN (1 of 5)"
    );
    let audit = admin.get("/api/v1/audit?action=sms_trigger").json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
}

#[test]
fn a_sealed_alert_reaches_sms_as_a_link_to_the_app_in_the_organisations_language() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "aino", "+358401000001");
    let finnish = admin.patch("/api/v1/settings", json!({"language": "fi"}));
    assert_eq!(finnish.status, 200, "{}", finnish.body);
    let ciphertext = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8B";
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Operaatio", "severity": "critical", "channels": ["sms"],
               "recipients": {"users": ["aino"]},
               "sealed": {"scheme": "PBKDF2-SHA256/AES-256-GCM/bound-v1", "iterations": 600000,
                          "salt": "AAECAwQFBgcICQoLDA0ODw==", "iv": "AAECAwQFBgcICQoL", "ciphertext": ciphertext}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let texts = wait_until("the SMS", WAIT, || {
        let texts = texts_to(&modems[0], "+358401000001");
        (!texts.is_empty()).then_some(texts)
    });
    let text = &texts[0].1;
    assert!(
        text.starts_with("KRIITTINEN: Operaatio\nSalattu viesti."),
        "{text}"
    );
    assert!(text.contains(&format!("/app/#alert={id}")), "{text}");
    assert!(!text.contains(ciphertext), "{text}");
}

#[test]
fn a_security_finding_reaches_the_security_contact_by_sms() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = server_with_modems(&dir, &["gsm1"]);
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    member_with_phone(&admin, "sec", "+358401000009");
    let set = admin.patch(
        "/api/v1/settings",
        json!({"security": {"contacts": ["sec"], "channels": ["sms"], "failed_logins_per_account": 5}}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    admin.create_member("jdoe", &["member"]);
    for i in 1..=5 {
        let refused = server.login_from(
            &format!("127.0.6.{i}"),
            ("acme", "jdoe", "a wrong guess"),
            None,
        );
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let texts = wait_until("the finding by SMS", WAIT, || {
        let texts: Vec<String> = texts_to(&modems[0], "+358401000009")
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        texts
            .iter()
            .any(|t| t.contains("5 failed logins for jdoe"))
            .then_some(texts)
    });
    assert_eq!(texts.len(), 1, "told once: {texts:?}");
}
