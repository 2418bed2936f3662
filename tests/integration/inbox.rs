//! The inbox end to end: what comes in on the appliance's shared modem and
//! radio is filed under the organisation that owns the sender, starts only
//! that organisation's alerts, answers only the alerts it was sent, and is
//! handled off the device threads. Real HTTPS calls; the modem and radio are
//! simulated at byte level on pseudo-terminals.

use crate::devices::{wait_ready, wait_until, WAIT};
use crate::inprocess::{Login, Server, PASSWORD};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin::clock::SharedClock;
use tocsin::config::{ModemConfig, RadioConfig};
use tocsin::hw::sim::modem::{SimModem, SimModemConfig};
use tocsin::hw::sim::radio::{SimRadio, SimRadioConfig};
use tocsin::hw::tetra::sds;

const OWN_ISSI: u32 = 1_000_001;
/// The AI service of SDS type 4 (texts, call-outs and their answers).
const AI_SDS: u8 = 12;

/// The appliance in process with a simulated modem and/or radio. Fields
/// drop in order: the daemon stops before its devices go away.
struct Rig {
    server: Server,
    modem: Option<SimModem>,
    radio: Option<SimRadio>,
    _links: tempfile::TempDir,
}

impl Rig {
    fn start(with_modem: bool, with_radio: bool) -> Rig {
        let links = tempfile::tempdir().unwrap();
        let modem_link = links.path().join("gsm1");
        let radio_link = links.path().join("tetra1");
        let modem = with_modem.then(|| {
            SimModem::start(
                &modem_link,
                SimModemConfig {
                    network_delay: Duration::from_millis(50),
                    report_delay: Duration::from_millis(100),
                    ..SimModemConfig::default()
                },
            )
            .unwrap()
        });
        let radio = with_radio.then(|| {
            SimRadio::start(
                &radio_link,
                SimRadioConfig {
                    air_delay: Duration::from_millis(50),
                    report_delay: Duration::from_millis(100),
                    own_issi: OWN_ISSI,
                    nibble_hex: true,
                },
            )
            .unwrap()
        });
        let server = Server::start_with(|config| {
            if with_modem {
                config.modems.push(modem_config(&modem_link));
            }
            if with_radio {
                config.radios.push(radio_config(&radio_link));
            }
        });
        let admin = server.admin();
        if with_modem {
            wait_ready(&admin, "gsm1");
        }
        if with_radio {
            wait_ready(&admin, "tetra1");
        }
        Rig {
            server,
            modem,
            radio,
            _links: links,
        }
    }

    fn modem(&self) -> &SimModem {
        self.modem.as_ref().unwrap()
    }

    fn radio(&self) -> &SimRadio {
        self.radio.as_ref().unwrap()
    }

    fn clock(&self) -> SharedClock {
        Arc::new(self.server.clock.clone())
    }
}

fn modem_config(link: &Path) -> ModemConfig {
    crate::devices::ec25("gsm1", link, true)
}

fn radio_config(link: &Path) -> RadioConfig {
    let mut profile = tocsin::hw::tetra::profile::load("sepura-srg3900", None).unwrap();
    profile.per_minute = 600;
    RadioConfig {
        name: "tetra1".to_owned(),
        device: link.to_owned(),
        baud: 38_400,
        profile_name: "sepura-srg3900".to_owned(),
        profile,
        issi: OWN_ISSI,
    }
}

/// A member with a phone and/or a radio, reached on those channels.
fn member(admin: &Login<'_>, name: &str, phone: Option<&str>, issi: Option<u32>) {
    admin.create_member(name, &["member"]);
    let mut change = serde_json::Map::new();
    let mut channels = Vec::new();
    if let Some(phone) = phone {
        change.insert("phones".to_owned(), json!([phone]));
        channels.push("sms");
    }
    if let Some(issi) = issi {
        change.insert("tetra_issi".to_owned(), json!(issi));
        channels.push("tetra");
    }
    change.insert("channels".to_owned(), json!(channels));
    let r = admin.patch(&format!("/api/v1/users/{name}"), Value::Object(change));
    assert_eq!(r.status, 200, "{}", r.body);
}

fn template(admin: &Login<'_>, name: &str, title: &str, users: &[&str], merge_window: u32) {
    let r = admin.post(
        "/api/v1/templates",
        json!({"name": name, "merge_window_seconds": merge_window,
               "alert": {"title": title, "severity": "critical", "channels": ["app"],
                         "recipients": {"users": users}}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

fn send_alert(login: &Login<'_>, body: Value) -> String {
    let sent = login.post("/api/v1/alerts", body);
    assert_eq!(sent.status, 202, "{}", sent.body);
    sent.json()["id"].as_str().unwrap().to_owned()
}

fn recipient(login: &Login<'_>, alert: &str, name: &str) -> Value {
    let view = login.get(&format!("/api/v1/alerts/{alert}")).json();
    view["recipients"]
        .as_array()
        .unwrap_or_else(|| panic!("no recipients in {view}"))
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {name} in {view}"))
}

fn delivery_state(login: &Login<'_>, alert: &str, name: &str, channel: &str) -> String {
    recipient(login, alert, name)["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == channel)
        .map(|d| d["state"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {channel} delivery for {name}"))
}

fn wait_delivered(login: &Login<'_>, alert: &str, name: &str, channel: &str) {
    wait_until(&format!("{name}'s {channel} delivery"), WAIT, || {
        (delivery_state(login, alert, name, channel) == "delivered").then_some(())
    });
}

/// The organisation's received messages (handled ones: pending messages
/// belong to nobody yet).
fn inbound(login: &Login<'_>) -> Vec<Value> {
    let r = login.get("/api/v1/inbound?limit=1000");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["messages"].as_array().unwrap().clone()
}

fn system_inbound(operator: &Login<'_>) -> Vec<Value> {
    let r = operator.get("/api/v1/system/inbound?limit=1000");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["messages"].as_array().unwrap().clone()
}

/// Waits for a message from `from` whose text satisfies `text` to be filed
/// in `messages()`.
fn wait_message(
    what: &str,
    messages: impl Fn() -> Vec<Value>,
    from: &str,
    text: impl Fn(&str) -> bool,
) -> Value {
    wait_until(what, WAIT, || {
        messages()
            .into_iter()
            .find(|m| m["from"] == from && text(m["text"].as_str().unwrap_or_default()))
    })
}

fn from_any(messages: &[Value], senders: &[&str]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| senders.iter().any(|s| m["from"] == *s))
        .cloned()
        .collect()
}

/// Every SDS the driver sent to `to`, decoded.
fn sent_to(radio: &SimRadio, to: &str) -> Vec<sds::Sds> {
    radio
        .sent()
        .iter()
        .filter(|s| s.to == to)
        .map(|s| sds::decode(s.ai_service, s.bits, &s.hex).unwrap())
        .collect()
}

/// The alert call-out a radio (or talk group) was sent.
fn callout_sent_to(radio: &SimRadio, to: &str) -> sds::Callout {
    wait_until(&format!("a call-out to {to}"), WAIT, || {
        sent_to(radio, to).into_iter().find_map(|s| match s {
            sds::Sds::Callout(c)
                if c.message_type == 0 && c.function == sds::CalloutFunction::Alert =>
            {
                Some(c)
            }
            _ => None,
        })
    })
}

/// Radio `from` answers call-out `to` with `answer` ("ACCEPT", "REJECT"),
/// as the PDU a real radio puts on the air: an SDS-TL call-out of message
/// type 2 (a response) with the call-out's number, built by the appliance's
/// own codec like the simulated radios' automatic answers.
fn answer_callout(radio: &SimRadio, from: u32, to: &sds::Callout, answer: &str) {
    let reply = sds::Callout {
        message_type: 2,
        reference: to.reference,
        report: sds::ReportRequest {
            received: false,
            consumed: false,
        },
        function: sds::CalloutFunction::Alert,
        number: to.number,
        severity: to.severity,
        end: false,
        text: answer.to_owned(),
    };
    let data = sds::encode_callout(&reply).unwrap();
    radio.receive_sds(from, AI_SDS, data.len() * 8, &data);
}

fn device_received(admin: &Login<'_>, name: &str) -> u64 {
    let hw = admin.get("/api/v1/devices/hardware").json();
    hw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["received"].as_u64())
        .unwrap_or_else(|| panic!("no received count for {name} in {hw}"))
}

#[test]
fn two_organisations_share_one_modem_and_one_radio() {
    let rig = Rig::start(true, true);
    let (server, modem, radio) = (&rig.server, rig.modem(), rig.radio());
    let clock = rig.clock();
    let acme = server.admin();
    tocsin::provisioning::create_admin(&server.store, &clock, "beta", "root", PASSWORD).unwrap();
    tocsin::provisioning::create_operator(&server.store, &clock, "op", PASSWORD).unwrap();
    let beta = server.login("beta", "root", PASSWORD);
    let op = server.login("appliance", "op", PASSWORD);

    member(&acme, "aino", Some("+358401000001"), Some(2_001_001));
    member(&beta, "bea", Some("+358402000001"), None);
    member(&beta, "ben", None, Some(2_002_002));
    member(&beta, "bo", None, Some(2_002_003));
    template(&acme, "acme-fire", "Acme fire alarm", &["aino"], 0);
    template(&beta, "beta-fire", "Beta fire alarm", &["bea"], 0);

    // Organisation admins don't reach the operator's API.
    for path in [
        "/api/v1/system/organisations",
        "/api/v1/system/inbound",
        "/api/v1/system/assignments/acme",
        "/api/v1/system/assignments/beta",
    ] {
        assert_eq!(acme.get(path).status, 403, "acme admin: {path}");
        assert_eq!(beta.get(path).status, 403, "beta admin: {path}");
    }
    let grab = beta.send(
        "PUT",
        "/api/v1/system/assignments/beta",
        Some(json!({"sms_numbers": ["+358401111111"], "tetra_ssis": [4711]})),
    );
    assert_eq!(grab.status, 403, "{}", grab.body);

    // With two organisations, a sender must be assigned before rules use it.
    let early_trigger = beta.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": "+358402222222", "pin": "246810", "templates": []}]}),
    );
    assert_eq!(early_trigger.status, 422, "{}", early_trigger.body);
    assert_eq!(early_trigger.json()["field"], "sms_triggers[0].number");
    let early_rule = beta.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [{"name": "ecc", "from": [4712], "pattern": r"^ALARM (?P<code>\S+) (?P<address>.+)$", "template": "beta-fire"}]}),
    );
    assert_eq!(early_rule.status, 422, "{}", early_rule.body);
    assert_eq!(early_rule.json()["field"], "tetra_rules[0].from[0]");

    // The operator assigns the senders; one sender, one organisation.
    let acme_senders = json!({"sms_numbers": ["+358401111111"], "tetra_ssis": [4711]});
    let r = op.send(
        "PUT",
        "/api/v1/system/assignments/acme",
        Some(acme_senders.clone()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let taken_number = op.send(
        "PUT",
        "/api/v1/system/assignments/beta",
        Some(json!({"sms_numbers": ["+358402222222", "+358401111111"], "tetra_ssis": [4712]})),
    );
    assert_eq!(taken_number.status, 409, "{}", taken_number.body);
    assert_eq!(taken_number.json()["field"], "sms_numbers[1]");
    let taken_ssi = op.send(
        "PUT",
        "/api/v1/system/assignments/beta",
        Some(json!({"sms_numbers": ["+358402222222"], "tetra_ssis": [4712, 4711]})),
    );
    assert_eq!(taken_ssi.status, 409, "{}", taken_ssi.body);
    assert_eq!(taken_ssi.json()["field"], "tetra_ssis[1]");
    let unchanged = op.get("/api/v1/system/assignments/beta");
    assert_eq!(unchanged.status, 200, "{}", unchanged.body);
    assert_eq!(
        unchanged.json(),
        json!({"sms_numbers": [], "tetra_ssis": []}),
        "a refused assignment changes nothing"
    );
    let beta_senders = json!({"sms_numbers": ["+358402222222"], "tetra_ssis": [4712]});
    let r = op.send(
        "PUT",
        "/api/v1/system/assignments/beta",
        Some(beta_senders.clone()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        op.get("/api/v1/system/assignments/acme").json(),
        acme_senders
    );
    assert_eq!(
        op.get("/api/v1/system/assignments/beta").json(),
        beta_senders
    );
    let orgs = op.get("/api/v1/system/organisations").json();
    let listed = |slug: &str| {
        orgs["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["slug"] == slug)
            .cloned()
            .unwrap_or_else(|| panic!("no {slug} in {orgs}"))
    };
    assert_eq!(listed("acme")["assignments"], acme_senders);
    assert_eq!(listed("beta")["assignments"], beta_senders);

    // An organisation can't use another's sender in its rules either.
    let foreign = acme.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": "+358402222222", "pin": "135790", "templates": []}]}),
    );
    assert_eq!(foreign.status, 422, "{}", foreign.body);
    assert_eq!(foreign.json()["field"], "sms_triggers[0].number");

    // A catch-all rule is refused: it would take every message.
    for pattern in [".*", ""] {
        let catch_all = beta.patch(
            "/api/v1/settings",
            json!({"tetra_rules": [{"name": "all", "from": [], "pattern": pattern, "template": "beta-fire"}]}),
        );
        assert_eq!(catch_all.status, 422, "{pattern:?}: {}", catch_all.body);
        assert_eq!(catch_all.json()["field"], "tetra_rules[0].pattern");
    }

    // Beta: its emergency centre's rule and its SMS trigger. Acme: a broad
    // (but valid) rule for any sender of its own.
    let r = beta.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [{"name": "ecc", "from": [4712],
                                "pattern": r"^ALARM (?P<code>\S+) (?P<address>.+)$",
                                "template": "beta-fire"}],
               "sms_triggers": [{"number": "+358402222222", "pin": "246810", "templates": []}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = acme.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [{"name": "any-alarm", "from": [], "pattern": "ALARM", "template": "acme-fire"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Beta's emergency centre fires beta's template; acme's broad rule
    // does not see beta's sender.
    radio.receive_text(4712, "ALARM B3 Hauptstr 5", false);
    let ecc = wait_message(
        "beta's alarm filed",
        || inbound(&beta),
        "4712",
        |t| t == "ALARM B3 Hauptstr 5",
    );
    assert_eq!(ecc["handling"]["kind"], "trigger", "{ecc}");
    let ecc_alert = ecc["handling"]["alert"].as_str().unwrap().to_owned();
    let view = beta.get(&format!("/api/v1/alerts/{ecc_alert}")).json();
    assert_eq!(view["alert"]["title"], "Beta fire alarm", "{view}");
    assert!(
        view["alert"]["body"]
            .as_str()
            .unwrap()
            .contains("address: Hauptstr 5"),
        "{view}"
    );
    assert_eq!(
        acme.get(&format!("/api/v1/alerts/{ecc_alert}")).status,
        404,
        "acme can't see beta's alert"
    );

    // Acme's rule does fire on acme's own sender: it is live, just not
    // beta's.
    radio.receive_text(4711, "ALARM A1 Testweg 1", false);
    let own = wait_message(
        "acme's alarm filed",
        || inbound(&acme),
        "4711",
        |t| t == "ALARM A1 Testweg 1",
    );
    assert_eq!(own["handling"]["kind"], "trigger", "{own}");
    let acme_alert = own["handling"]["alert"].as_str().unwrap().to_owned();
    assert_eq!(
        acme.get(&format!("/api/v1/alerts/{acme_alert}")).json()["alert"]["title"],
        "Acme fire alarm"
    );

    // Beta's SMS trigger fires beta's template; the PIN is not kept.
    modem.receive_sms("+358402222222", "246810 beta-fire Hall C");
    let by_sms = wait_message(
        "beta's SMS trigger filed",
        || inbound(&beta),
        "+358402222222",
        |_| true,
    );
    assert_eq!(by_sms["handling"]["kind"], "trigger", "{by_sms}");
    assert_eq!(by_sms["text"], "[PIN] beta-fire Hall C");
    let sms_alert = by_sms["handling"]["alert"].as_str().unwrap().to_owned();
    assert_eq!(
        beta.get(&format!("/api/v1/alerts/{sms_alert}")).json()["alert"]["title"],
        "Beta fire alarm"
    );

    // Beta's members answer beta's alert by SMS, by radio text and by status.
    let callup = send_alert(
        &beta,
        json!({"title": "Crew to the station", "severity": "warning", "channels": ["sms", "tetra"],
               "recipients": {"users": ["bea", "ben", "bo"]}}),
    );
    wait_delivered(&beta, &callup, "Member bea", "sms");
    wait_delivered(&beta, &callup, "Member ben", "tetra");
    wait_delivered(&beta, &callup, "Member bo", "tetra");
    modem.receive_sms("+358402000001", "1");
    radio.receive_text(2_002_002, "1", false);
    radio.receive_status(2_002_003, 0x8005);
    wait_until("three answers", WAIT, || {
        let view = beta.get(&format!("/api/v1/alerts/{callup}")).json();
        (view["totals"]["coming"] == 3).then_some(())
    });
    for (name, channel) in [
        ("Member bea", "sms"),
        ("Member ben", "tetra"),
        ("Member bo", "tetra"),
    ] {
        let response = &recipient(&beta, &callup, name)["response"];
        assert_eq!(response["choice"], "Coming", "{name}: {response}");
        assert_eq!(response["channel"], channel, "{name}: {response}");
    }
    let beta_messages = inbound(&beta);
    for from in ["+358402000001", "2002002", "2002003"] {
        let answer = from_any(&beta_messages, &[from]);
        assert_eq!(answer.len(), 1, "{from}: {beta_messages:?}");
        assert_eq!(answer[0]["handling"]["kind"], "response", "{:?}", answer[0]);
        assert_eq!(answer[0]["handling"]["alert"], callup.as_str());
    }

    // Traffic nobody owns: the operator's, in neither organisation's inbox;
    // acme's broad rule does not fire on it.
    modem.receive_sms("+358409999999", "hello?");
    radio.receive_text(3_000_001, "ALARM Z9 Nowhere 1", false);
    let unowned_sms = wait_message(
        "the unassigned SMS",
        || system_inbound(&op),
        "+358409999999",
        |t| t == "hello?",
    );
    assert_eq!(unowned_sms["handling"]["kind"], "ignored", "{unowned_sms}");
    let unowned_sds = wait_message(
        "the unassigned SDS",
        || system_inbound(&op),
        "3000001",
        |t| t == "ALARM Z9 Nowhere 1",
    );
    assert_eq!(unowned_sds["handling"]["kind"], "ignored", "{unowned_sds}");

    // Each organisation saw only its own.
    let beta_only = [
        "4712",
        "+358402222222",
        "+358402000001",
        "2002002",
        "2002003",
    ];
    let nobodys = ["+358409999999", "3000001"];
    let acme_messages = inbound(&acme);
    assert!(
        from_any(&acme_messages, &beta_only).is_empty(),
        "acme sees beta's traffic: {acme_messages:?}"
    );
    assert!(
        from_any(&acme_messages, &nobodys).is_empty(),
        "acme sees unassigned traffic: {acme_messages:?}"
    );
    assert_eq!(
        acme_messages.len(),
        1,
        "acme has only its own alarm: {acme_messages:?}"
    );
    let beta_messages = inbound(&beta);
    assert!(
        from_any(&beta_messages, &["4711"]).is_empty()
            && from_any(&beta_messages, &nobodys).is_empty(),
        "beta sees others' traffic: {beta_messages:?}"
    );
    assert_eq!(beta_messages.len(), 5, "{beta_messages:?}");
    let system = system_inbound(&op);
    assert!(
        from_any(&system, &beta_only).is_empty() && from_any(&system, &["4711"]).is_empty(),
        "owned traffic is not the operator's: {system:?}"
    );
    // Acme's only alert is the one its own sender fired.
    let acme_alerts = acme.get("/api/v1/alerts").json();
    let titles: Vec<&str> = acme_alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Acme fire alarm"], "{acme_alerts}");
}

#[test]
fn a_callout_reply_from_a_radio_that_was_not_addressed_is_recorded_for_nobody() {
    let rig = Rig::start(false, true);
    let (server, radio) = (&rig.server, rig.radio());
    let admin = server.admin();
    member(&admin, "aino", None, Some(2_001_001));
    member(&admin, "elias", None, Some(2_001_002));

    // Three call-outs at once: one to aino, one to elias, one to a talk group.
    let to_aino = send_alert(
        &admin,
        json!({"title": "Call-out A", "severity": "critical", "channels": ["tetra"],
               "tetra_callout": {}, "recipients": {"users": ["aino"]}}),
    );
    let to_elias = send_alert(
        &admin,
        json!({"title": "Call-out B", "severity": "critical", "channels": ["tetra"],
               "tetra_callout": {}, "recipients": {"users": ["elias"]}}),
    );
    let to_group = send_alert(
        &admin,
        json!({"title": "Call-out C", "severity": "critical", "channels": ["tetra"],
               "tetra_callout": {}, "recipients": {"tetra_gssi": [5_000_001]}}),
    );
    let a = callout_sent_to(radio, "2001001");
    let b = callout_sent_to(radio, "2001002");
    let c = callout_sent_to(radio, "5000001");
    println!(
        "call-out numbers on the air: A {}, B {}, C {}",
        a.number, b.number, c.number
    );
    for n in [a.number, b.number, c.number] {
        assert!((1..=15).contains(&n), "call-out number {n}");
    }
    assert!(
        a.number != b.number && b.number != c.number && a.number != c.number,
        "each active call-out has its own number: {} {} {}",
        a.number,
        b.number,
        c.number
    );

    // Elias's radio (addressed by B, not A) and a stranger's answer A.
    answer_callout(radio, 2_001_002, &a, "ACCEPT");
    answer_callout(radio, 2_009_999, &a, "ACCEPT");
    let said = format!("call-out {} answer: ACCEPT", a.number);
    for from in ["2001002", "2009999"] {
        let ignored = wait_message(
            &format!("{from}'s answer to A filed"),
            || inbound(&admin),
            from,
            |t| t == said,
        );
        assert_eq!(ignored["handling"]["kind"], "ignored", "{ignored}");
        assert!(
            ignored["handling"]["why"]
                .as_str()
                .unwrap()
                .contains("was not addressed to radio"),
            "{ignored}"
        );
    }
    for (alert, name) in [
        (&to_aino, "Member aino"),
        (&to_elias, "Member elias"),
        (&to_group, "talk group 5000001"),
    ] {
        let r = recipient(&admin, alert, name);
        assert!(r["response"].is_null(), "{name} got an answer: {r}");
    }
    let view = admin.get(&format!("/api/v1/alerts/{to_aino}")).json();
    assert_eq!(view["totals"]["coming"], 0, "{view}");

    // The addressed radio's answer counts, for its member.
    answer_callout(radio, 2_001_001, &a, "ACCEPT");
    let answered = wait_message(
        "aino's answer filed",
        || inbound(&admin),
        "2001001",
        |t| t == said,
    );
    assert_eq!(answered["handling"]["kind"], "response", "{answered}");
    assert_eq!(answered["handling"]["alert"], to_aino.as_str());
    let aino = recipient(&admin, &to_aino, "Member aino");
    assert_eq!(aino["response"]["choice"], "Coming", "{aino}");
    assert_eq!(aino["response"]["channel"], "tetra", "{aino}");
    assert!(recipient(&admin, &to_elias, "Member elias")["response"].is_null());

    // A talk-group call-out takes answers from the organisation's radios
    // only.
    answer_callout(radio, 2_009_999, &c, "ACCEPT");
    let said_c = format!("call-out {} answer: ACCEPT", c.number);
    let stranger = wait_message(
        "the stranger's answer to C filed",
        || inbound(&admin),
        "2009999",
        |t| t == said_c,
    );
    assert_eq!(stranger["handling"]["kind"], "ignored", "{stranger}");
    assert!(recipient(&admin, &to_group, "talk group 5000001")["response"].is_null());
    answer_callout(radio, 2_001_002, &c, "REJECT");
    let said_c = format!("call-out {} answer: REJECT", c.number);
    let member_answer = wait_message(
        "elias's answer to C filed",
        || inbound(&admin),
        "2001002",
        |t| t == said_c,
    );
    assert_eq!(
        member_answer["handling"]["kind"], "response",
        "{member_answer}"
    );
    assert_eq!(member_answer["handling"]["alert"], to_group.as_str());
    let group = recipient(&admin, &to_group, "talk group 5000001");
    assert_eq!(group["response"]["choice"], "Not coming", "{group}");
}

#[test]
fn the_modem_keeps_sending_while_the_inbox_handles_a_burst_of_pin_checked_triggers() {
    const BURST: usize = 50;
    let rig = Rig::start(true, false);
    let (server, modem) = (&rig.server, rig.modem());
    let admin = server.admin();
    member(&admin, "aino", Some("+358401000001"), None);
    template(&admin, "fire", "Fire alarm by SMS", &["root"], 300);
    // Ten numbers, each with its own PIN: the first trigger from each is
    // checked with argon2id, the later ones by the PIN the inbox remembers.
    const NUMBERS: usize = 10;
    let number = |i: usize| format!("+3584055500{:02}", i % NUMBERS);
    let pin = |i: usize| format!("2468135{}", i % NUMBERS);
    let triggers: Vec<Value> = (0..NUMBERS)
        .map(|i| json!({"number": number(i), "pin": pin(i), "templates": ["fire"]}))
        .collect();
    let r = admin.patch("/api/v1/settings", json!({ "sms_triggers": triggers }));
    assert_eq!(r.status, 200, "{}", r.body);
    let senders: Vec<String> = (0..NUMBERS).map(number).collect();
    let is_trigger = |m: &Value| senders.iter().any(|s| m["from"] == s.as_str());

    let handled_count = || inbound(&admin).iter().filter(|m| is_trigger(m)).count();
    let burst_at = Instant::now();
    for i in 0..BURST {
        modem.receive_sms(&number(i), &format!("{} fire Hall {i}", pin(i)));
    }
    // Once the inbox is busy with the burst, an ordinary alert by SMS.
    let busy = wait_until("the inbox busy with the burst", WAIT, || {
        let handled = handled_count();
        (handled >= 1).then_some(handled)
    });
    let busy_after = burst_at.elapsed();
    let alert = send_alert(
        &admin,
        json!({"title": "Ordinary", "severity": "warning", "channels": ["sms"],
               "recipients": {"users": ["aino"]}}),
    );
    let alert_at = Instant::now();
    let read_at_raise = device_received(&admin, "gsm1");
    let (state, handled_then) = wait_until("the ordinary SMS sent", WAIT, || {
        let state = delivery_state(&admin, &alert, "Member aino", "sms");
        (state == "sent" || state == "delivered").then(|| (state, handled_count()))
    });
    let sent_after = alert_at.elapsed();
    println!(
        "first trigger handled {busy_after:?} after the burst began ({busy} handled, \
         {read_at_raise} of {BURST} read by the modem when the alert was raised); \
         ordinary SMS {state} {sent_after:?} after it was raised, \
         when the inbox had handled {handled_then} of {BURST}"
    );
    assert!(
        handled_then < BURST,
        "the SMS went out only after the inbox had handled all {BURST} triggers"
    );
    wait_until("the modem read the whole burst", WAIT, || {
        (device_received(&admin, "gsm1") >= BURST as u64).then_some(())
    });
    let read_all = burst_at.elapsed();

    let messages = wait_until("every trigger handled", Duration::from_secs(120), || {
        let messages: Vec<Value> = inbound(&admin).into_iter().filter(is_trigger).collect();
        (messages.len() == BURST).then_some(messages)
    });
    let all_handled = burst_at.elapsed();
    println!(
        "burst of {BURST}: read by the modem in {read_all:?}, handled by the inbox in {all_handled:?} \
         ({:?} per trigger)",
        all_handled / BURST as u32
    );
    let alerts: std::collections::BTreeSet<&str> = messages
        .iter()
        .map(|m| {
            assert_eq!(m["handling"]["kind"], "trigger", "{m}");
            assert!(
                m["text"].as_str().unwrap().starts_with("[PIN] fire Hall "),
                "{m}"
            );
            m["handling"]["alert"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        alerts.len(),
        1,
        "the triggers merge into one alert within the window: {alerts:?}"
    );
    let fired = alerts.iter().next().unwrap();
    let view = admin.get(&format!("/api/v1/alerts/{fired}")).json();
    assert_eq!(view["alert"]["title"], "Fire alarm by SMS");
    let merged = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "trigger_merged")
        .count();
    assert_eq!(merged, BURST - 1, "{view}");
    wait_delivered(&admin, &alert, "Member aino", "sms");
}

#[test]
fn a_lone_part_of_a_long_sms_is_handled_as_incomplete_after_the_timeout() {
    let rig = Rig::start(true, false);
    let (server, modem) = (&rig.server, rig.modem());
    let admin = server.admin();
    member(&admin, "aino", Some("+358401000001"), None);
    let long: String = "Evacuate building C by the north stairs. ".repeat(10);
    assert!(long.chars().count() > 2 * 153 && long.chars().count() <= 3 * 153);
    modem.receive_sms_parts("+358401000001", &long, &[1]);
    wait_until("part 1 read from the modem", WAIT, || {
        (device_received(&admin, "gsm1") >= 1).then_some(())
    });
    // Kept, waiting for the other parts: not handled yet.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        inbound(&admin).is_empty(),
        "a lone part is not handled before the timeout"
    );

    server.advance(Duration::from_secs(11 * 60));
    let message = wait_message(
        "the incomplete SMS",
        || inbound(&admin),
        "+358401000001",
        |_| true,
    );
    assert_eq!(message["incomplete"], true, "{message}");
    assert_eq!(message["parts"], 1, "{message}");
    let text = message["text"].as_str().unwrap();
    let part_one: String = long.chars().take(150).collect();
    assert!(text.starts_with(&part_one), "{text}");
    assert!(
        text.chars().count() < 200,
        "only part 1 came: {} characters: {text}",
        text.chars().count()
    );
    assert_ne!(message["handling"]["kind"], "pending", "{message}");
    assert_eq!(inbound(&admin).len(), 1);
}

#[test]
fn wrong_pins_lock_the_number_for_an_hour() {
    const NUMBER: &str = "+358405550000";
    const PIN: &str = "24681357";
    let rig = Rig::start(true, false);
    let (server, modem) = (&rig.server, rig.modem());
    let admin = server.admin();
    template(&admin, "fire", "Fire alarm by SMS", &["root"], 0);
    let r = admin.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": NUMBER, "pin": PIN, "templates": ["fire"]}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains(PIN));

    let wrong = ["11111111", "22222222", "33333333", "44444444", "55555555"];
    for (i, pin) in wrong.iter().enumerate() {
        modem.receive_sms(NUMBER, &format!("{pin} fire try {i}"));
        wait_until(&format!("wrong PIN {} handled", i + 1), WAIT, || {
            (from_any(&inbound(&admin), &[NUMBER]).len() == i + 1).then_some(())
        });
    }
    let refused = from_any(&inbound(&admin), &[NUMBER]);
    assert!(
        refused.iter().all(|m| m["handling"]["kind"] == "ignored"),
        "{refused:?}"
    );

    // The right PIN is refused now.
    modem.receive_sms(NUMBER, &format!("{PIN} fire Hall B"));
    let locked = wait_message(
        "the right PIN while locked",
        || inbound(&admin),
        NUMBER,
        |t| t.ends_with("Hall B"),
    );
    assert_eq!(locked["handling"]["kind"], "ignored", "{locked}");
    assert!(
        locked["handling"]["why"]
            .as_str()
            .unwrap()
            .contains("locked out"),
        "{locked}"
    );
    // Security monitoring tells the admins of the lockout.
    let titles: Vec<String> = wait_until("the lockout notice", WAIT, || {
        let alerts = admin.get("/api/v1/alerts").json();
        let titles: Vec<String> = alerts["alerts"]
            .as_array()?
            .iter()
            .filter_map(|a| a["title"].as_str().map(str::to_owned))
            .collect();
        titles
            .contains(&format!("SMS trigger locked: {NUMBER}"))
            .then_some(titles)
    });
    assert!(
        !titles.iter().any(|t| t == "Fire alarm by SMS"),
        "nothing fired while locked: {titles:?}"
    );

    // The audit trail tells, without PINs or their hashes.
    let locks = admin.get("/api/v1/audit?action=sms_trigger.locked").json();
    let locks = locks["events"].as_array().unwrap().clone();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["target"], NUMBER, "{:?}", locks[0]);
    let audit = admin.get("/api/v1/audit?limit=1000");
    assert_eq!(audit.status, 200);
    let events = audit.json()["events"].as_array().unwrap().clone();
    assert!(events.len() < 1000, "the whole trail was read");
    for event in &events {
        let detail = event["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.contains("$argon2"),
            "a PIN hash in the audit: {event}"
        );
    }
    assert!(!audit.body.contains("$argon2"), "a PIN hash in the audit");
    assert!(!audit.body.contains(PIN), "the PIN in the audit");

    // After the hour the right PIN works again (the idle session is gone
    // by then: log in again).
    server.advance(Duration::from_secs(61 * 60));
    let admin = server.admin();
    modem.receive_sms(NUMBER, &format!("{PIN} fire Hall C"));
    let fired = wait_message(
        "the right PIN after the hour",
        || inbound(&admin),
        NUMBER,
        |t| t.ends_with("Hall C"),
    );
    assert_eq!(fired["handling"]["kind"], "trigger", "{fired}");

    // Kept texts have the PIN replaced, never the digits.
    let kept = from_any(&inbound(&admin), &[NUMBER]);
    assert_eq!(kept.len(), 7, "{kept:?}");
    for m in &kept {
        let text = m["text"].as_str().unwrap();
        assert!(text.starts_with("[PIN] fire "), "{text}");
        assert!(
            !text.contains(PIN) && wrong.iter().all(|w| !text.contains(w)),
            "{text}"
        );
    }
}

#[test]
fn adding_a_second_organisation_keeps_the_first_ones_triggers_working() {
    const NUMBER: &str = "+358405550001";
    const PIN: &str = "97531864";
    let rig = Rig::start(true, false);
    let (server, modem) = (&rig.server, rig.modem());
    let admin = server.admin();
    template(&admin, "fire", "Fire alarm by SMS", &["root"], 0);
    let r = admin.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": NUMBER, "pin": PIN, "templates": ["fire"]}],
               "tetra_rules": [{"name": "ecc", "from": [4711], "pattern": "^ALARM", "template": "fire"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Alone, acme needed no assignments. A second organisation arrives.
    tocsin::provisioning::create_admin(&server.store, &rig.clock(), "beta", "root", PASSWORD)
        .unwrap();
    tocsin::provisioning::create_operator(&server.store, &rig.clock(), "op", PASSWORD).unwrap();
    let operator = server.login("appliance", "op", PASSWORD);
    let kept = operator.get("/api/v1/system/assignments/acme").json();
    assert_eq!(kept["sms_numbers"], json!([NUMBER]), "{kept}");
    assert_eq!(kept["tetra_ssis"], json!([4711]), "{kept}");
    let trail = operator.get("/api/v1/audit?action=apikey").json();
    assert!(
        trail["events"].is_array(),
        "the operator reads its own trail"
    );

    // The trigger still fires, and acme's settings still save.
    modem.receive_sms(NUMBER, &format!("{PIN} fire Hall D"));
    let fired = wait_message(
        "acme's trigger after beta came",
        || inbound(&admin),
        NUMBER,
        |t| t.ends_with("Hall D"),
    );
    assert_eq!(fired["handling"]["kind"], "trigger", "{fired}");
    let again = admin.patch("/api/v1/settings", json!({"language": "fi"}));
    assert_eq!(again.status, 200, "{}", again.body);
    // beta can't take acme's number.
    let beta = server.login("beta", "root", PASSWORD);
    let taken = beta.patch(
        "/api/v1/settings",
        json!({"sms_triggers": [{"number": NUMBER, "pin": "12345678"}]}),
    );
    assert_eq!(taken.status, 422, "{}", taken.body);
    assert_eq!(taken.json()["field"], "sms_triggers[0].number");
}
