//! The TETRA channel end to end: the real PEI driver on a pseudo-terminal
//! against the simulated radio and the radios behind it, with the appliance
//! in process.

use crate::devices::{device_state, wait_ready, wait_until, WAIT};
use crate::inprocess::{Login, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tocsin::config::RadioConfig;
use tocsin::hw::sim::radio::{Behaviour, Fault, SimRadio, SimRadioConfig};
use tocsin::hw::tetra::sds;

const OWN_ISSI: u32 = 1_000_001;
const ECC: u32 = 4_711_000;

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

fn server_with_radio(dir: &tempfile::TempDir) -> (Server, SimRadio) {
    let link = dir.path().join("tetra1");
    let radio = SimRadio::start(
        &link,
        SimRadioConfig {
            air_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            own_issi: OWN_ISSI,
            nibble_hex: true,
        },
    )
    .unwrap();
    let config = radio_config(&link);
    let server = Server::start_with(move |c| c.radios.push(config));
    (server, radio)
}

fn member_with_radio(admin: &Login<'_>, name: &str, issi: u32) {
    admin.create_member(name, &["member"]);
    let r = admin.patch(
        &format!("/api/v1/users/{name}"),
        json!({"tetra_issi": issi, "channels": ["tetra"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn send(admin: &Login<'_>, body: Value) -> String {
    let sent = admin.post("/api/v1/alerts", body);
    assert_eq!(sent.status, 202, "{}", sent.body);
    sent.json()["id"].as_str().unwrap().to_owned()
}

fn recipient(admin: &Login<'_>, alert: &str, name: &str) -> Value {
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {name} in {view}"))
}

fn delivery(admin: &Login<'_>, alert: &str, name: &str, channel: &str) -> Value {
    recipient(admin, alert, name)["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == channel)
        .cloned()
        .unwrap()
}

/// Everything the driver sent to `to`, decoded.
fn sent_to(radio: &SimRadio, to: &str) -> Vec<(u8, sds::Sds)> {
    radio
        .sent()
        .iter()
        .filter(|s| s.to == to)
        .map(|s| {
            (
                s.ai_service,
                sds::decode(s.ai_service, s.bits, &s.hex).unwrap(),
            )
        })
        .collect()
}

#[test]
fn texts_are_delivered_then_read_statuses_reach_groups_and_callouts_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (server, radio) = server_with_radio(&dir);
    let admin = server.admin();
    wait_ready(&admin, "tetra1");
    assert!(radio.registered_pids().contains(&130) && radio.registered_pids().contains(&195));
    member_with_radio(&admin, "aino", 2_001_001);
    member_with_radio(&admin, "elias", 2_001_002);
    radio.set_behaviour(2_001_001, Behaviour::Accept);
    radio.set_behaviour(2_001_002, Behaviour::Reject);

    // A text SDS to one radio: received, then consumed by its user.
    let text = send(
        &admin,
        json!({"title": "Brand B3 Hauptstr 5", "severity": "warning", "channels": ["tetra"],
               "recipients": {"users": ["aino"]}}),
    );
    let read = wait_until("aino's SDS read", WAIT, || {
        let d = delivery(&admin, &text, "Member aino", "tetra");
        (d["state"] == "delivered" && d["read_at"].is_string()).then_some(d)
    });
    assert!(read["last_error"].is_null(), "{read}");
    let texts = sent_to(&radio, "2001001");
    match &texts[0] {
        (12, sds::Sds::Text(t)) => {
            assert_eq!(t.pid, sds::PID_TEXT);
            assert!(t.report.received && t.report.consumed);
            assert!(
                t.text.starts_with("WARNING: Brand B3 Hauptstr 5"),
                "{}",
                t.text
            );
        }
        other => panic!("not a text SDS: {other:?}"),
    }

    // A status to a talk group: sent, with no per-member reports, and said so.
    let status = send(
        &admin,
        json!({"title": "Status 3 to the crew", "severity": "info", "channels": ["tetra"],
               "tetra_status": "3", "recipients": {"tetra_gssi": [5_000_001]}}),
    );
    wait_until("the group status sent", WAIT, || {
        let d = delivery(&admin, &status, "talk group 5000001", "tetra");
        (d["state"] == "sent").then_some(())
    });
    assert_eq!(
        sent_to(&radio, "5000001"),
        vec![(13, sds::Sds::Status(0x8005))]
    );
    let view = admin.get(&format!("/api/v1/alerts/{status}")).json();
    let note = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "tetra_group_sent")
        .cloned()
        .unwrap_or_else(|| panic!("no group note in {view}"));
    assert_eq!(
        note["detail"]["note"],
        "sent to the talk group; group sends have no per-member delivery reports"
    );

    // A call-out: aino's radio accepts, elias's rejects.
    let callout = send(
        &admin,
        json!({"title": "B3 Hauptstr 5", "body": "Brand", "severity": "critical", "channels": ["tetra"],
               "tetra_callout": {"severity": 12}, "recipients": {"users": ["aino", "elias"]}}),
    );
    wait_until("both answers", WAIT, || {
        let view = admin.get(&format!("/api/v1/alerts/{callout}")).json();
        (view["totals"]["coming"] == 1 && view["totals"]["not_coming"] == 1).then_some(())
    });
    assert_eq!(
        recipient(&admin, &callout, "Member aino")["response"]["choice"],
        "Coming"
    );
    assert_eq!(
        recipient(&admin, &callout, "Member elias")["response"]["choice"],
        "Not coming"
    );
    assert_eq!(
        recipient(&admin, &callout, "Member elias")["response"]["channel"],
        "tetra"
    );
    let sent: Vec<_> = sent_to(&radio, "2001001");
    assert!(
        sent.iter().any(|(_, s)| matches!(s, sds::Sds::Callout(c) if c.severity == 12 && c.text == "B3 Hauptstr 5 Brand")),
        "{sent:?}"
    );

    // The all-clear clears the call-out on the radios.
    let cancel = admin.post(&format!("/api/v1/alerts/{callout}/cancel"), json!({}));
    assert!(cancel.status < 300, "{}", cancel.body);
    wait_until("the clear call-out", WAIT, || {
        sent_to(&radio, "2001002")
            .iter()
            .any(|(_, s)| matches!(s, sds::Sds::Callout(c) if c.function == sds::CalloutFunction::Clear && c.end))
            .then_some(())
    });

    // A member answers an alert with status 3 (Coming).
    let by_status = send(
        &admin,
        json!({"title": "Crew needed", "severity": "warning", "channels": ["tetra"],
               "recipients": {"users": ["elias"]}}),
    );
    wait_until("delivered to elias", WAIT, || {
        (delivery(&admin, &by_status, "Member elias", "tetra")["state"] == "delivered")
            .then_some(())
    });
    radio.receive_status(2_001_002, 0x8005);
    wait_until("status 3 as Coming", WAIT, || {
        let r = recipient(&admin, &by_status, "Member elias");
        (r["response"]["choice"] == "Coming").then_some(())
    });
    let inbound = admin.get("/api/v1/inbound?channel=tetra").json();
    let status_msg = inbound["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"].as_str().unwrap().starts_with("status 3"))
        .cloned()
        .unwrap();
    assert_eq!(status_msg["handling"]["kind"], "response");

    let hw = admin.get("/api/v1/devices/hardware").json();
    assert_eq!(hw["devices"][0]["kind"], "radio");
    assert_eq!(hw["devices"][0]["state"], "ready");
}

#[test]
fn an_emergency_centre_alarm_fires_the_fire_groups_template_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, radio) = server_with_radio(&dir);
    let admin = server.admin();
    wait_ready(&admin, "tetra1");
    admin.create_member("aino", &["member"]);
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "fire", "members": ["aino"]})
            )
            .status,
        201
    );
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "fire-alarm", "merge_window_seconds": 300,
               "alert": {"title": "Fire alarm", "severity": "critical", "channels": ["app"],
                         "recipients": {"groups": ["fire"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let bad = admin.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [{"name": "ils", "from": [ECC], "pattern": "ALARM (", "template": "fire-alarm"}]}),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["field"], "tetra_rules[0].pattern");
    let rules = admin.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [{"name": "ils", "from": [ECC],
                                "pattern": r"^ALARM (?P<code>\S+) (?P<address>.+?) (?P<kind>\S+)$",
                                "template": "fire-alarm"}]}),
    );
    assert_eq!(rules.status, 200, "{}", rules.body);

    // The same alarm over two paths: both kept, one alert.
    radio.receive_text(ECC, "ALARM B3 Hauptstr 5 Brand", true);
    radio.receive_text(ECC, "ALARM B3 Hauptstr 5 Brand", true);
    let handled = wait_until("both alarms handled", WAIT, || {
        let list = admin.get("/api/v1/inbound?channel=tetra").json();
        let messages = list["messages"].as_array().unwrap().clone();
        (messages.len() == 2 && messages.iter().all(|m| m["handling"]["kind"] == "trigger"))
            .then_some(messages)
    });
    assert_eq!(
        handled[0]["handling"]["alert"],
        handled[1]["handling"]["alert"]
    );
    let alert = handled[0]["handling"]["alert"].as_str().unwrap();
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    assert_eq!(view["alert"]["title"], "Fire alarm");
    assert!(
        view["alert"]["body"]
            .as_str()
            .unwrap()
            .contains("address: Hauptstr 5"),
        "{view}"
    );
    assert_eq!(view["totals"]["recipients"], 1);
    // The centre asked for reports: both got one back.
    wait_until("reports to the centre", WAIT, || {
        let reports = sent_to(&radio, &ECC.to_string())
            .iter()
            .filter(|(_, s)| matches!(s, sds::Sds::Report { status: 0, .. }))
            .count();
        (reports == 2).then_some(())
    });
    let alerts = admin.get("/api/v1/alerts").json();
    let fired = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"] == "Fire alarm")
        .count();
    assert_eq!(fired, 1, "{alerts}");
}

#[test]
fn radio_faults_are_retried_reported_and_survived() {
    let dir = tempfile::tempdir().unwrap();
    let (server, radio) = server_with_radio(&dir);
    let admin = server.admin();
    wait_ready(&admin, "tetra1");
    member_with_radio(&admin, "aino", 2_001_001);
    let r = admin.patch("/api/v1/users/aino", json!({"channels": ["app", "tetra"]}));
    assert_eq!(r.status, 200);

    // CME 42: the radio is busy signalling; tried again at once.
    radio.fault(Fault::CmeError { code: 42, times: 2 });
    let busy = send(
        &admin,
        json!({"title": "Busy radio", "severity": "warning", "channels": ["tetra"], "recipients": {"users": ["aino"]}}),
    );
    wait_until("delivered despite CME 42", WAIT, || {
        (delivery(&admin, &busy, "Member aino", "tetra")["state"] == "delivered").then_some(())
    });

    // CME 30: out of service. The reason shows; the app delivery is unaffected.
    radio.fault(Fault::CmeError { code: 30, times: 1 });
    let out = send(
        &admin,
        json!({"title": "Out of service", "severity": "warning", "channels": ["app", "tetra"], "recipients": {"users": ["aino"]}}),
    );
    let retried = wait_until("the refusal recorded", WAIT, || {
        let d = delivery(&admin, &out, "Member aino", "tetra");
        d["last_error"].is_string().then_some(d)
    });
    assert_eq!(
        retried["last_error"], "the radio is out of service (+CME ERROR: 30)",
        "{retried}"
    );
    assert_eq!(
        delivery(&admin, &out, "Member aino", "app")["state"],
        "sent"
    );
    server.advance(Duration::from_secs(6));
    wait_until("delivered on the retry", WAIT, || {
        (delivery(&admin, &out, "Member aino", "tetra")["state"] == "delivered").then_some(())
    });

    // Unplugged and back: what was sent meanwhile goes out.
    radio.fault(Fault::Unplug {
        for_: Duration::from_secs(2),
    });
    wait_until("the unplug noticed", WAIT, || {
        (device_state(&admin, "tetra1") == "disconnected").then_some(())
    });
    let unplugged = send(
        &admin,
        json!({"title": "While unplugged", "severity": "warning", "channels": ["tetra"], "recipients": {"users": ["aino"]}}),
    );
    wait_ready(&admin, "tetra1");
    wait_until("the queued SDS out", WAIT, || {
        let d = delivery(&admin, &unplugged, "Member aino", "tetra");
        if d["state"] == "queued" {
            server.advance(Duration::from_secs(6));
        }
        (d["state"] == "delivered").then_some(())
    });
    // Noise on the line between commands changes nothing.
    radio.fault(Fault::Garbage);
    let after = send(
        &admin,
        json!({"title": "After noise", "severity": "warning", "channels": ["tetra"], "recipients": {"users": ["aino"]}}),
    );
    wait_until("delivered after noise", WAIT, || {
        (delivery(&admin, &after, "Member aino", "tetra")["state"] == "delivered").then_some(())
    });
}

#[test]
fn rules_can_be_tried_and_a_radio_sent_a_test_message() {
    let dir = tempfile::tempdir().unwrap();
    let (server, radio) = server_with_radio(&dir);
    let admin = server.admin();
    wait_ready(&admin, "tetra1");
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "fire-alarm", "alert": {"title": "Fire alarm", "severity": "critical",
               "channels": ["app"], "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let rules = admin.patch(
        "/api/v1/settings",
        json!({"tetra_rules": [
            {"name": "ils", "from": [ECC], "pattern": r"^ALARM (?P<code>\S+) (?P<address>.+)$", "template": "fire-alarm"},
            {"name": "siren", "status": "9", "template": "fire-alarm"}]}),
    );
    assert_eq!(rules.status, 200, "{}", rules.body);
    let tried = admin.post(
        "/api/v1/settings/tetra-rules/test",
        json!({"from": ECC, "text": "ALARM B3 Hauptstr 5"}),
    );
    assert_eq!(tried.status, 200, "{}", tried.body);
    let tried = tried.json();
    assert_eq!(tried["rule"], "ils");
    assert_eq!(tried["fields"]["address"], "Hauptstr 5");
    let status = admin
        .post(
            "/api/v1/settings/tetra-rules/test",
            json!({"from": 123, "status": "9"}),
        )
        .json();
    assert_eq!(status["rule"], "siren");
    let none = admin
        .post(
            "/api/v1/settings/tetra-rules/test",
            json!({"from": 123, "text": "hello"}),
        )
        .json();
    assert!(none["rule"].is_null(), "{none}");
    assert_eq!(
        admin.get("/api/v1/inbound").json()["messages"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "trying a rule stores nothing"
    );

    let sent = admin.post(
        "/api/v1/devices/hardware/tetra1/test",
        json!({"to": "2001009", "text": "Radio check"}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    assert!(sent_to(&radio, "2001009")
        .iter()
        .any(|(_, s)| matches!(s, sds::Sds::Text(t) if t.text == "Radio check")));
    let bad = admin.post(
        "/api/v1/devices/hardware/tetra1/test",
        json!({"to": "+358401"}),
    );
    assert_eq!(bad.json()["field"], "to");
    assert_eq!(
        admin
            .post("/api/v1/devices/hardware/nothing/test", json!({"to": "1"}))
            .status,
        404
    );
    let audit = admin
        .get("/api/v1/audit?action=hardware.test_message")
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
}
