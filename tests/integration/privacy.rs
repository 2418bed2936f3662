//! A person's data: the export holds their alerts and answers and nothing
//! of anyone else; erasure leaves no trace of their name or addresses in
//! the API while the alert totals stay and the audit trail verifies;
//! retention removes what is past its age and keeps the rest.

use crate::inprocess::{Login, Server, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);
const WAIT: Duration = Duration::from_secs(30);

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn person(admin: &Login<'_>, username: &str, name: &str, phone: &str, email: &str) {
    let r = admin.post(
        "/api/v1/users",
        json!({"username": username, "name": name, "phones": [phone], "email": email,
               "password": PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

fn alert(admin: &Login<'_>, title: &str, recipients: Value) -> String {
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": title, "severity": "warning", "channels": ["app", "sms", "email"],
               "allow_text": true, "recipients": recipients}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn answer(member: &Login<'_>, alert: &str, choice: &str, text: &str) {
    let r = member.post(
        &format!("/api/v1/alerts/{alert}/response"),
        json!({"choice": choice, "text": text}),
    );
    assert!(r.status < 300, "{}", r.body);
}

const AINO: [&str; 4] = ["aino", "Aino Aaltonen", "+358401110001", "aino@example.fi"];
const BERTTA: [&str; 4] = [
    "bertta",
    "Bertta Berg",
    "+358401110002",
    "bertta@example.fi",
];

/// Aino and Bertta both got an alert and answered it with a note.
fn two_answered(server: &Server) -> (Login<'_>, String) {
    let admin = server.admin();
    for [username, name, phone, email] in [AINO, BERTTA] {
        person(&admin, username, name, phone, email);
    }
    let id = alert(
        &admin,
        "Flood on the river",
        json!({"users": ["aino", "bertta"], "phones": ["+358409990000"]}),
    );
    answer(
        &server.login("acme", "aino", PASSWORD),
        &id,
        "Coming",
        "bringing the boat",
    );
    answer(
        &server.login("acme", "bertta", PASSWORD),
        &id,
        "Not coming",
        "on holiday in Bergen",
    );
    (admin, id)
}

/// Every part of the API an admin reads that could name a person.
fn everything(admin: &Login<'_>, alert: &str) -> String {
    let mut seen = String::new();
    for path in [
        "/api/v1/users".to_owned(),
        "/api/v1/groups".to_owned(),
        "/api/v1/alerts".to_owned(),
        format!("/api/v1/alerts/{alert}"),
        "/api/v1/audit?limit=1000".to_owned(),
        "/api/v1/inbound".to_owned(),
        "/api/v1/locations".to_owned(),
        "/api/v1/devices".to_owned(),
        "/api/v1/access-review".to_owned(),
    ] {
        let r = admin.get(&path);
        assert!(r.status == 200 || r.status == 404, "{path}: {}", r.body);
        seen.push_str(&r.body);
    }
    seen
}

#[test]
fn an_export_holds_the_persons_alerts_and_answers_and_nothing_of_anyone_else() {
    let server = Server::start();
    let (admin, id) = two_answered(&server);

    let r = admin.get("/api/v1/users/aino/export");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment")));
    let export = r.json();
    assert_eq!(export["profile"]["name"], "Aino Aaltonen");
    assert_eq!(export["profile"]["phones"], json!(["+358401110001"]));
    let received = export["alerts_received"].as_array().unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["alert"]["id"], id.as_str());
    assert_eq!(received[0]["answer"]["choice"], "Coming");
    assert_eq!(received[0]["answer"]["text"], "bringing the boat");
    let channels: Vec<&str> = received[0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["channel"].as_str().unwrap())
        .collect();
    assert!(channels.contains(&"app"), "{channels:?}");
    assert!(export["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "user.created" && e["target"] == "aino"));
    let body = export.to_string();
    for other in BERTTA.iter().chain(&["+358409990000", "on holiday"]) {
        assert!(!body.contains(other), "the export names {other}: {body}");
    }

    // Someone alerted without an account, by number.
    let r = admin.get("/api/v1/recipients/export?address=%2B358409990000");
    assert_eq!(r.status, 200, "{}", r.body);
    let export = r.json();
    assert_eq!(export["alerts_received"].as_array().unwrap().len(), 1);
    assert!(!export.to_string().contains("Aino"), "{export}");

    // Bad input names the field; a member may not export anyone.
    let r = admin.get("/api/v1/recipients/export?address=0401");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("address"), "{}", r.body);
    let member = server.login("acme", "aino", PASSWORD);
    assert_eq!(member.get("/api/v1/users/bertta/export").status, 403);
    assert_eq!(admin.get("/api/v1/users/nobody/export").status, 404);
}

#[test]
fn after_erasure_the_person_is_nowhere_in_the_api_the_totals_stay_and_the_trail_verifies() {
    let server = Server::start();
    let (admin, id) = two_answered(&server);
    let totals = admin.get(&format!("/api/v1/alerts/{id}")).json()["totals"].clone();
    let before = everything(&admin, &id);
    for trace in AINO.iter().skip(1).chain(&["bringing the boat"]) {
        assert!(before.contains(trace), "{trace} should show before");
    }

    let r = admin.post("/api/v1/users/aino/erase", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let pseudonym = r.json()["pseudonym"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with("erased-"), "{pseudonym}");
    assert_eq!(r.json()["alerts"], 1);

    let after = everything(&admin, &id);
    for trace in AINO.iter().skip(1).chain(&["bringing the boat"]) {
        assert!(!after.contains(trace), "{trace} still shows: {after}");
    }
    assert!(after.contains(&pseudonym));
    assert!(after.contains("Bertta Berg"), "others stay");
    assert_eq!(admin.get("/api/v1/users/aino").status, 404);
    assert_eq!(
        admin.get(&format!("/api/v1/alerts/{id}")).json()["totals"],
        totals,
        "the alert's totals don't change"
    );
    // The erasure is audited without repeating what was erased.
    let audit = admin.get("/api/v1/audit?action=privacy.erased").json();
    let event = &audit["events"][0];
    assert_eq!(event["target"], pseudonym.as_str());
    assert!(!event.to_string().contains("Aino"), "{event}");
    // Nor is she found by the name she logged in with.
    let by_name = admin.get("/api/v1/audit?actor=aino").json();
    assert_eq!(by_name["events"], json!([]), "{by_name}");

    // Someone without an account, by number.
    let r = admin.post(
        "/api/v1/recipients/erase",
        json!({"address": "+358409990000"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!everything(&admin, &id).contains("+358409990000"));
    assert_eq!(
        admin.get(&format!("/api/v1/alerts/{id}")).json()["totals"],
        totals
    );
    // An address a user holds is erased with the user.
    let r = admin.post(
        "/api/v1/recipients/erase",
        json!({"address": "bertta@example.fi"}),
    );
    assert_eq!(r.status, 409, "{}", r.body);

    // The signed chain still verifies from end to end.
    let org = server.store.org_by_slug("acme").unwrap().unwrap();
    let handle = server.store.org(org.id);
    let key = tocsin::audit::chain::AuditKey::generate().unwrap();
    key.checkpoint(&handle, server.now()).unwrap();
    let lines = tocsin::audit::chain::export(&handle, None).unwrap();
    let export: String = lines
        .iter()
        .map(|l| serde_json::to_string(l).unwrap() + "\n")
        .collect();
    let public = ed25519_dalek::VerifyingKey::from_bytes(
        &hex::decode(key.public_hex()).unwrap().try_into().unwrap(),
    )
    .unwrap();
    let verified = tocsin::audit::chain::verify(&export, &public).unwrap();
    assert!(verified.events > 10, "{verified:?}");
}

#[test]
fn retention_removes_records_past_their_age_and_keeps_the_rest() {
    let server = Server::start();
    let admin = server.admin();
    person(&admin, AINO[0], AINO[1], AINO[2], AINO[3]);

    // Shorter than the least the appliance keeps is refused, naming the field.
    let r = admin.patch(
        "/api/v1/settings",
        json!({"retention": {"alerts_days": 3, "inbound_days": 30, "audit_days": 400}}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("retention.alerts_days"), "{}", r.body);
    let r = admin.patch(
        "/api/v1/settings",
        json!({"retention": {"alerts_days": 30, "inbound_days": 30, "audit_days": 400}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let old = alert(&admin, "Old drill", json!({"users": ["aino"]}));
    server.advance(31 * DAY);
    let admin = server.admin();
    let young = alert(&admin, "New drill", json!({"users": ["aino"]}));
    wait_until("the old alert removed", || {
        admin.get(&format!("/api/v1/alerts/{old}")).status == 404
    });
    assert_eq!(admin.get(&format!("/api/v1/alerts/{young}")).status, 200);
    let feed = server
        .login("acme", "aino", PASSWORD)
        .get("/api/v1/me/alerts");
    assert!(!feed.body.contains(&old), "{}", feed.body);
    assert!(feed.body.contains(&young), "{}", feed.body);

    // Audit events older than the audit retention go; the newer ones stay.
    let ids = |admin: &Login<'_>| -> Vec<String> {
        admin.get("/api/v1/audit?limit=1000").json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let made = admin.get("/api/v1/audit?action=user.created").json()["events"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let recent = ids(&admin)[0].clone();
    server.advance(370 * DAY);
    let admin = server.admin();
    wait_until("the alert of 370 days ago removed", || {
        admin.get(&format!("/api/v1/alerts/{young}")).status == 404
    });
    wait_until("audit events past 400 days removed", || {
        !ids(&admin).contains(&made)
    });
    assert!(ids(&admin).contains(&recent), "younger events stay");
}
