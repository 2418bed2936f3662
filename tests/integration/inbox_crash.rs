//! SIGKILL with received messages stored but not yet handled: the real
//! daemon, a simulated radio and modem. With the inbox held
//! ([`tocsin::inbox::HOLD_SWITCH`]) an emergency centre's alarm and a
//! member's SMS answer are stored as pending, then the daemon is killed.
//! After a restart the alarm fires its rule once and the answer is recorded
//! once; after another kill and restart nothing more happens.

use crate::inprocess::PASSWORD;
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;
use tocsin::hw::sim::modem::{SimModem, SimModemConfig};
use tocsin::hw::sim::radio::{SimRadio, SimRadioConfig};
use tocsin::store::{Channel, Store};

const OWN_ISSI: u32 = 1_000_001;
/// The emergency centre.
const ECC: u32 = 4_711_000;
const PHONE: &str = "+358401000001";
const ALARM: &str = "ALARM B3 Hauptstr 5 Brand";

/// The named device as the hardware view shows it.
fn device(appliance: &Appliance, name: &str) -> Value {
    let hw = appliance.get("/api/v1/devices/hardware").json();
    hw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no device {name} in {hw}"))
}

fn wait_devices_ready(appliance: &Appliance) {
    for name in ["gsm1", "tetra1"] {
        appliance.wait_until(&format!("{name} ready"), || {
            (device(appliance, name)["state"] == "ready").then_some(())
        });
    }
}

fn inbound(appliance: &Appliance, channel: &str) -> Vec<Value> {
    appliance
        .get(&format!("/api/v1/inbound?channel={channel}"))
        .json()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

fn fire_alarms(appliance: &Appliance) -> Vec<Value> {
    let alerts = appliance.get("/api/v1/alerts").json();
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"] == "Fire alarm")
        .cloned()
        .collect()
}

/// The recipient named `name` in an alert, and the alert's "response"
/// events from that recipient.
fn answer_of(appliance: &Appliance, alert: &str, name: &str) -> (Value, Vec<Value>) {
    let view = appliance.get(&format!("/api/v1/alerts/{alert}")).json();
    let recipient = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {name} in {view}"));
    let responses = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "response" && e["detail"]["recipient"] == recipient["id"])
        .cloned()
        .collect();
    (recipient, responses)
}

/// Everything that must hold once the two messages are handled, and keep
/// holding after later restarts: one alert from the rule, the alarm filed
/// as its trigger, one answer from the member.
fn assert_handled_once(appliance: &Appliance, crew: &str) {
    let fired = fire_alarms(appliance);
    assert_eq!(fired.len(), 1, "the rule fired once: {fired:?}");
    let alarm_alert = fired[0]["id"].as_str().unwrap().to_owned();
    let tetra = inbound(appliance, "tetra");
    assert_eq!(tetra.len(), 1, "{tetra:?}");
    assert_eq!(tetra[0]["from"], ECC.to_string());
    assert_eq!(tetra[0]["text"], ALARM);
    assert_eq!(tetra[0]["handling"]["kind"], "trigger", "{}", tetra[0]);
    assert_eq!(tetra[0]["handling"]["alert"], alarm_alert.as_str());
    let view = appliance
        .get(&format!("/api/v1/alerts/{alarm_alert}"))
        .json();
    assert!(
        view["alert"]["body"]
            .as_str()
            .unwrap()
            .contains("address: Hauptstr 5"),
        "{view}"
    );

    let sms = inbound(appliance, "sms");
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["from"], PHONE);
    assert_eq!(sms[0]["handling"]["kind"], "response", "{}", sms[0]);
    assert_eq!(sms[0]["handling"]["alert"], crew);
    assert_eq!(sms[0]["handling"]["choice"], "Coming");
    let (recipient, responses) = answer_of(appliance, crew, "Member aino");
    assert_eq!(recipient["response"]["choice"], "Coming", "{recipient}");
    assert_eq!(recipient["response"]["channel"], "sms", "{recipient}");
    assert_eq!(responses.len(), 1, "one response event: {responses:?}");
    let crew_view = appliance.get(&format!("/api/v1/alerts/{crew}")).json();
    assert_eq!(crew_view["totals"]["coming"], 1, "{crew_view}");
}

#[test]
fn messages_stored_but_unhandled_at_a_sigkill_are_handled_once_after_restarts() {
    let mut appliance = Appliance::new();
    let modem_link = appliance.dir.path().join("gsm1");
    let radio_link = appliance.dir.path().join("tetra1");
    let modem = SimModem::start(
        &modem_link,
        SimModemConfig {
            network_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            ..SimModemConfig::default()
        },
    )
    .unwrap();
    let radio = SimRadio::start(
        &radio_link,
        SimRadioConfig {
            air_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            own_issi: OWN_ISSI,
            nibble_hex: true,
        },
    )
    .unwrap();
    let mut config = std::fs::read_to_string(&appliance.config).unwrap();
    config.push_str(&format!(
        "[[modems]]\nname = \"gsm1\"\ndevice = \"{}\"\nprofile = \"quectel-ec25\"\nper_minute = 600\n\
         [[radios]]\nname = \"tetra1\"\ndevice = \"{}\"\nprofile = \"sepura-srg3900\"\nissi = {OWN_ISSI}\n",
        modem_link.display(),
        radio_link.display(),
    ));
    std::fs::write(&appliance.config, config).unwrap();
    appliance.start();
    wait_devices_ready(&appliance);

    // An organisation with a template, a rule for the emergency centre's
    // alarms, and a member with a phone who has an open SMS alert.
    let member = appliance.post(
        "/api/v1/users",
        json!({"username": "aino", "name": "Member aino", "password": PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let phone = appliance.request(
        "PATCH",
        "/api/v1/users/aino",
        Some(&appliance.key),
        Some(json!({"phones": [PHONE], "channels": ["sms"]})),
    );
    assert_eq!(phone.status, 200, "{}", phone.body);
    let template = appliance.post(
        "/api/v1/templates",
        json!({"name": "fire-alarm", "merge_window_seconds": 300,
               "alert": {"title": "Fire alarm", "severity": "critical", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let rules = appliance.request(
        "PATCH",
        "/api/v1/settings",
        Some(&appliance.key),
        Some(json!({"tetra_rules": [{"name": "ils", "from": [ECC],
                                     "pattern": r"^ALARM (?P<code>\S+) (?P<address>.+?) (?P<kind>\S+)$",
                                     "template": "fire-alarm"}]})),
    );
    assert_eq!(rules.status, 200, "{}", rules.body);
    let sent = appliance.post(
        "/api/v1/alerts",
        json!({"title": "Crew needed", "severity": "critical", "channels": ["sms"],
               "recipients": {"users": ["aino"]}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let crew = sent.json()["id"].as_str().unwrap().to_owned();
    appliance.wait_until("the crew SMS delivered", || {
        let (recipient, _) = answer_of(&appliance, &crew, "Member aino");
        let delivered = recipient["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["channel"] == "sms" && d["state"] == "delivered");
        // The status report is out of the modem's storage too.
        (delivered && modem.stored_count() == 0).then_some(())
    });

    // Held: what arrives is stored, not handled.
    assert!(appliance.terminate().is_some());
    appliance
        .env
        .push((tocsin::inbox::HOLD_SWITCH.to_owned(), "1".to_owned()));
    appliance.start();
    wait_devices_ready(&appliance);
    radio.receive_text(ECC, ALARM, true);
    appliance.wait_until("the alarm stored", || {
        (device(&appliance, "tetra1")["received"] == 1).then_some(())
    });
    modem.receive_sms(PHONE, "1");
    appliance.wait_until("the answer stored and deleted from the modem", || {
        (device(&appliance, "gsm1")["received"] == 1 && modem.stored_count() == 0).then_some(())
    });
    // Longer than the inbox's sweep: still nothing handled.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(inbound(&appliance, "tetra").is_empty());
    assert!(inbound(&appliance, "sms").is_empty());
    assert!(fire_alarms(&appliance).is_empty());
    assert!(answer_of(&appliance, &crew, "Member aino").0["response"].is_null());
    appliance.kill9();

    {
        let store = Store::open(&appliance.data_dir().join("store")).unwrap();
        let pending = store.pending_inbound().unwrap();
        let channels: Vec<Channel> = pending.iter().map(|m| m.channel).collect();
        assert_eq!(
            channels,
            vec![Channel::Tetra, Channel::Sms],
            "both pending at the kill: {pending:?}"
        );
    }

    // Restarted without the switch: each handled once.
    appliance.env.clear();
    appliance.start();
    appliance.wait_until("both messages handled", || {
        let handled = |channel| {
            inbound(&appliance, channel)
                .iter()
                .any(|m| m["handling"]["kind"] != "pending")
        };
        (handled("tetra") && handled("sms")).then_some(())
    });
    assert_handled_once(&appliance, &crew);

    // Killed and restarted again: nothing is handled a second time.
    appliance.kill9();
    {
        let store = Store::open(&appliance.data_dir().join("store")).unwrap();
        let pending = store.pending_inbound().unwrap();
        assert!(pending.is_empty(), "{pending:?}");
    }
    appliance.start();
    wait_devices_ready(&appliance);
    // Longer than the inbox's sweep.
    std::thread::sleep(Duration::from_millis(1500));
    assert_handled_once(&appliance, &crew);
    drop(radio);
    drop(modem);
}
