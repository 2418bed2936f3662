//! SIGKILL during a robot call: the real daemon and two simulated modems.
//! One person answered with the keypad before the kill; another's call was
//! going on. After the restart the first is not called again and their
//! answer stands once; the second is called again.

use crate::inprocess::PASSWORD;
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;
use tocsin::hw::sim::modem::{Callee, SimModem, SimModemConfig};

const ANSWERS: &str = "+358401000011";
const LISTENS: &str = "+358401000012";

fn ready(appliance: &Appliance, name: &str) -> bool {
    let hw = appliance.get("/api/v1/devices/hardware").json();
    hw["devices"]
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["name"] == name && d["state"] == "ready"))
}

fn recipient(appliance: &Appliance, alert: &str, name: &str) -> Value {
    let view = appliance.get(&format!("/api/v1/alerts/{alert}")).json();
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no recipient {name} in {view}"))
}

fn calls_to(modems: &[&SimModem], number: &str) -> usize {
    modems
        .iter()
        .flat_map(|m| m.calls())
        .filter(|c| c.number == number)
        .count()
}

fn member(appliance: &Appliance, username: &str, phone: &str) {
    let r = appliance.post(
        "/api/v1/users",
        json!({"username": username, "name": format!("Member {username}"),
               "password": PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = appliance.request(
        "PATCH",
        &format!("/api/v1/users/{username}"),
        Some(&appliance.key),
        Some(json!({"phones": [phone], "channels": ["voice"], "language": "en"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn a_sigkill_during_calls_calls_again_only_who_did_not_answer() {
    let mut appliance = Appliance::new();
    let config = SimModemConfig {
        network_delay: Duration::from_millis(50),
        ring_time: Duration::from_secs(20),
        ..SimModemConfig::default()
    };
    let links = [
        appliance.dir.path().join("gsm1"),
        appliance.dir.path().join("gsm2"),
    ];
    let gsm1 = SimModem::start(&links[0], config.clone()).unwrap();
    let gsm2 = SimModem::start(&links[1], config).unwrap();
    let modems = [&gsm1, &gsm2];
    for modem in modems {
        modem.set_callee(
            ANSWERS,
            Callee::Answers {
                after: Duration::from_millis(300),
                keys: vec![(Duration::from_secs(1), '1')],
                hang_up: None,
            },
        );
        // Picks up and listens, and never presses a key.
        modem.set_callee(
            LISTENS,
            Callee::Answers {
                after: Duration::from_millis(300),
                keys: Vec::new(),
                hang_up: None,
            },
        );
    }
    let mut text = std::fs::read_to_string(&appliance.config).unwrap();
    for (i, link) in links.iter().enumerate() {
        text.push_str(&format!(
            "[[modems]]\nname = \"gsm{}\"\ndevice = \"{}\"\nprofile = \"quectel-ec25\"\n",
            i + 1,
            link.display()
        ));
    }
    std::fs::write(&appliance.config, text).unwrap();
    appliance.start();
    for name in ["gsm1", "gsm2"] {
        appliance.wait_until(&format!("{name} ready"), || {
            ready(&appliance, name).then_some(())
        });
    }
    member(&appliance, "aino", ANSWERS);
    member(&appliance, "eeva", LISTENS);
    let sent = appliance.post(
        "/api/v1/alerts",
        json!({"title": "Crew needed", "body": "Report to the station.", "severity": "critical",
               "channels": ["voice"], "recipients": {"users": ["aino", "eeva"]}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let alert = sent.json()["id"].as_str().unwrap().to_owned();

    appliance.wait_until("Aino's keyed answer", || {
        let r = recipient(&appliance, &alert, "Member aino");
        (r["response"]["choice"] == "Coming").then_some(())
    });
    appliance.wait_until("Eeva's call answered", || {
        let r = recipient(&appliance, &alert, "Member eeva");
        (r["deliveries"][0]["state"] == "sent").then_some(())
    });
    assert_eq!(calls_to(&modems, ANSWERS), 1);
    assert_eq!(calls_to(&modems, LISTENS), 1);
    appliance.kill9();

    appliance.start();
    appliance.wait_until("Eeva called again", || {
        (calls_to(&modems, LISTENS) == 2).then_some(())
    });
    // Long enough for a wrong second call to Aino to have been dialled.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(calls_to(&modems, ANSWERS), 1, "Aino answered: not again");
    let aino = recipient(&appliance, &alert, "Member aino");
    assert_eq!(aino["response"]["choice"], "Coming", "{aino}");
    assert_eq!(aino["deliveries"][0]["state"], "delivered", "{aino}");
    let view = appliance.get(&format!("/api/v1/alerts/{alert}")).json();
    assert_eq!(view["totals"]["coming"], 1, "{view}");
}
