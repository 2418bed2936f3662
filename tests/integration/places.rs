//! Lone workers and places over the real API: members' apps report
//! positions under the organisation's policy, area alerts reach exactly the
//! members inside with fresh positions, check-in timers raise their alarm
//! after the grace period and not before, and positions past the retention
//! are erased.

use crate::devices::{wait_until, WAIT};
use crate::inprocess::{Login, Server, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

/// Helsinki Senate Square.
const SQUARE: (f64, f64) = (60.1695, 24.9522);

fn settings(admin: &Login<'_>, body: Value) {
    let r = admin.patch("/api/v1/settings", body);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A member on duty, logged in.
fn on_duty<'a>(server: &'a Server, admin: &Login<'_>, name: &str) -> Login<'a> {
    admin.create_member(name, &["member"]);
    let member = server.login("acme", name, PASSWORD);
    let r = member.patch("/api/v1/me", json!({"on_duty": true}));
    assert_eq!(r.status, 200, "{}", r.body);
    member
}

fn report(member: &Login<'_>, lat: f64, lon: f64) {
    let r = member.post(
        "/api/v1/me/location",
        json!({"lat": lat, "lon": lon, "accuracy_m": 12.0}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
}

fn recipient_names(admin: &Login<'_>, alert: &str) -> Vec<String> {
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    let mut names: Vec<String> = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn send_to_area(admin: &Login<'_>, recipients: Value) -> Value {
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Gas leak", "severity": "critical", "channels": ["app"],
               "recipients": recipients}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    r.json()
}

#[test]
fn area_alerts_reach_exactly_the_members_inside_with_fresh_positions() {
    let server = Server::start();
    let admin = server.admin();
    // Sessions outlive the hours the clock is moved on here.
    settings(
        &admin,
        json!({"location_policy": "duty", "session_idle_minutes": 600}),
    );
    // Inside: 200 m and 400 m from the square; outside: 3 km away;
    // stale: inside, but reported an hour ago.
    let stale = on_duty(&server, &admin, "stale");
    report(&stale, SQUARE.0 + 0.001, SQUARE.1);
    server.clock.advance(Duration::from_secs(3600));
    let near = on_duty(&server, &admin, "near");
    report(&near, SQUARE.0 + 0.0018, SQUARE.1);
    let edge = on_duty(&server, &admin, "edge");
    report(&edge, SQUARE.0, SQUARE.1 + 0.0072);
    let far = on_duty(&server, &admin, "far");
    report(&far, SQUARE.0 + 0.027, SQUARE.1);
    let circle = json!({"circle": {"lat": SQUARE.0, "lon": SQUARE.1, "radius_m": 500}});

    // The summary counts them before sending.
    let count = admin.post(
        "/api/v1/areas/count",
        json!({"area": circle, "seen_within_minutes": 30}),
    );
    assert_eq!(count.status, 200, "{}", count.body);
    assert_eq!(count.json()["count"], 2, "{}", count.body);

    let sent = send_to_area(&admin, json!({"area": circle, "seen_within_minutes": 30}));
    let alert = sent["id"].as_str().unwrap();
    assert_eq!(
        recipient_names(&admin, alert),
        vec!["Member edge", "Member near"]
    );

    // A polygon (GeoJSON order: lon, lat) around the far member only.
    let polygon = json!({"polygon": [
        [SQUARE.1 - 0.01, SQUARE.0 + 0.02], [SQUARE.1 + 0.01, SQUARE.0 + 0.02],
        [SQUARE.1 + 0.01, SQUARE.0 + 0.03], [SQUARE.1 - 0.01, SQUARE.0 + 0.03]]});
    let sent = send_to_area(&admin, json!({"area": polygon}));
    assert_eq!(
        recipient_names(&admin, sent["id"].as_str().unwrap()),
        vec!["Member far"]
    );
    // A longer look back takes the stale member too.
    let sent = send_to_area(&admin, json!({"area": circle, "seen_within_minutes": 120}));
    assert_eq!(
        recipient_names(&admin, sent["id"].as_str().unwrap()),
        vec!["Member edge", "Member near", "Member stale"]
    );

    // Following the area: a member who walks in later receives the alert.
    let sent = send_to_area(&admin, json!({"area": circle, "follow": true}));
    let followed = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(
        recipient_names(&admin, &followed),
        vec!["Member edge", "Member near"]
    );
    report(&far, SQUARE.0 + 0.0005, SQUARE.1);
    assert_eq!(
        recipient_names(&admin, &followed),
        vec!["Member edge", "Member far", "Member near"]
    );
    let alerts = far.get("/api/v1/me/alerts").json();
    assert!(
        alerts.to_string().contains(&followed),
        "the member who entered has it in the app: {alerts}"
    );
}

#[test]
fn bad_areas_are_refused_naming_the_field() {
    let server = Server::start();
    let admin = server.admin();
    let cases = [
        (
            json!({"area": {"circle": {"lat": 60.0, "lon": 25.0, "radius_m": 0}}}),
            "recipients.area.circle.radius_m",
        ),
        (
            json!({"area": {"circle": {"lat": 60.0, "lon": 25.0, "radius_m": 100_001}}}),
            "recipients.area.circle.radius_m",
        ),
        (
            json!({"area": {"circle": {"lat": 95.0, "lon": 25.0, "radius_m": 10}}}),
            "recipients.area.circle.lat",
        ),
        (
            json!({"area": {"polygon": [[24.0, 60.0], [25.0, 61.0], [25.0, 60.0], [24.0, 61.0]]}}),
            "recipients.area.polygon",
        ),
        (
            json!({"area": {"polygon": [[24.0, 60.0], [25.0, 61.0], [190.0, 60.0]]}}),
            "recipients.area.polygon[2]",
        ),
        (
            json!({"area": {"circle": {"lat": 60.0, "lon": 25.0, "radius_m": 10}}, "seen_within_minutes": 0}),
            "recipients.seen_within_minutes",
        ),
    ];
    for (recipients, field) in cases {
        let r = admin.post(
            "/api/v1/alerts",
            json!({"title": "x", "severity": "info", "channels": ["app"], "recipients": recipients}),
        );
        assert_eq!(r.status, 422, "{recipients}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{recipients}: {}", r.body);
    }
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let member = {
        admin.create_member("aino", &["member"]);
        server.login("acme", "aino", PASSWORD)
    };
    let r = member.post("/api/v1/me/location", json!({"lat": 60.0, "lon": 200.0}));
    assert_eq!((r.status, r.json()["field"].clone()), (422, json!("lon")));
}

#[test]
fn positions_follow_the_policy_are_audited_when_read_and_erased_after_the_retention() {
    let server = Server::start();
    let admin = server.admin();
    settings(&admin, json!({"session_idle_minutes": 600}));
    admin.create_member("aino", &["member"]);
    let aino = server.login("acme", "aino", PASSWORD);
    // "never" (the default): nothing is kept.
    let me = aino.get("/api/v1/me").json();
    assert_eq!(me["location"]["policy"], "never", "{me}");
    assert_eq!(me["location"]["sharing"], false, "{me}");
    let r = aino.post("/api/v1/me/location", json!({"lat": 60.0, "lon": 25.0}));
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["code"], "not_sharing");
    assert!(admin.get("/api/v1/locations").json()["locations"]
        .as_array()
        .unwrap()
        .is_empty());

    // "duty": shared while on duty only.
    settings(
        &admin,
        json!({"location_policy": "duty", "location_retention_hours": 2}),
    );
    let r = aino.post("/api/v1/me/location", json!({"lat": 60.0, "lon": 25.0}));
    assert_eq!(r.status, 403, "off duty: {}", r.body);
    aino.patch("/api/v1/me", json!({"on_duty": true}));
    assert_eq!(aino.get("/api/v1/me").json()["location"]["sharing"], true);
    report(&aino, 60.0, 25.0);

    // A sender without read_locations sees nothing; with it, every read is
    // audited.
    admin.create_member("sven", &["sender"]);
    let sven = server.login("acme", "sven", PASSWORD);
    assert_eq!(sven.get("/api/v1/locations").status, 403);
    let seen = admin.get("/api/v1/locations").json();
    let only = &seen["locations"][0];
    assert_eq!(only["username"], "aino", "{seen}");
    assert_eq!(only["lat"], 60.0, "{seen}");
    let audit = admin.get("/api/v1/audit?action=location.read").json();
    assert!(
        audit.to_string().contains("location.read"),
        "the read is audited: {audit}"
    );

    // "alerts": shared only while answering Coming to an active alert.
    settings(&admin, json!({"location_policy": "alerts"}));
    assert_eq!(aino.get("/api/v1/me").json()["location"]["sharing"], false);
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Crew", "severity": "critical", "channels": ["app"],
               "recipients": {"users": ["aino"]}}),
    );
    let alert = sent.json()["id"].as_str().unwrap().to_owned();
    let r = aino.post(
        &format!("/api/v1/alerts/{alert}/response"),
        json!({"choice": "Coming"}),
    );
    assert!(r.status < 300, "{}", r.body);
    assert_eq!(aino.get("/api/v1/me").json()["location"]["sharing"], true);

    // Past the retention the position is erased from the store.
    server.clock.advance(Duration::from_secs(3 * 3600));
    let org = server.store.org_by_slug("acme").unwrap().unwrap();
    wait_until("the old position erased", WAIT, || {
        server
            .store
            .org(org.id)
            .positions()
            .unwrap()
            .is_empty()
            .then_some(())
    });
    assert!(admin.get("/api/v1/locations").json()["locations"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_missed_check_in_raises_the_alarm_after_the_grace_period_and_not_before() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    admin.create_member("boss", &["member"]);
    let r = admin.post(
        "/api/v1/groups",
        json!({"name": "supervisors", "members": ["boss"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin.post(
        "/api/v1/templates",
        json!({"name": "lone-worker", "alert": {"title": "Lone worker alarm", "severity": "critical",
               "channels": ["app"], "recipients": {"groups": ["supervisors"]}}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    settings(
        &admin,
        json!({"location_policy": "duty", "dead_man_template": "lone-worker",
               "dead_man_grace_seconds": 120, "session_idle_minutes": 600}),
    );
    let aino = server.login("acme", "aino", PASSWORD);
    aino.patch("/api/v1/me", json!({"on_duty": true}));
    report(&aino, SQUARE.0, SQUARE.1);
    let r = aino.post(
        "/api/v1/me/timer",
        json!({"minutes": 30, "note": "checking the pump house"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["timer"]["state"], "running");
    let alarms = || -> Vec<Value> {
        admin.get("/api/v1/alerts").json()["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["title"] == "Lone worker alarm")
            .cloned()
            .collect()
    };
    let state = || aino.get("/api/v1/me/timer").json()["timer"]["state"].clone();

    // 25 minutes: reminded.
    server.clock.advance(Duration::from_secs(25 * 60));
    wait_until("the reminder", WAIT, || {
        (state() == "reminded").then_some(())
    });
    // 30 minutes: ran out; the grace period begins, no alarm yet.
    server.clock.advance(Duration::from_secs(5 * 60));
    wait_until("the grace period", WAIT, || {
        (state() == "grace").then_some(())
    });
    server.clock.advance(Duration::from_secs(110));
    std::thread::sleep(Duration::from_secs(2));
    assert!(alarms().is_empty(), "no alarm within the grace period");
    // Past the grace period: the alarm, with the note and the position.
    server.clock.advance(Duration::from_secs(11));
    let alarm = wait_until("the alarm", WAIT, || alarms().into_iter().next());
    assert_eq!(state(), "alarmed");
    let view = admin
        .get(&format!("/api/v1/alerts/{}", alarm["id"].as_str().unwrap()))
        .json();
    let body = view["alert"]["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Member aino") && body.contains("checking the pump house"),
        "{view}"
    );
    assert!(
        (view["alert"]["location"]["lat"].as_f64().unwrap() - SQUARE.0).abs() < 1e-9,
        "{view}"
    );
    assert_eq!(
        recipient_names(&admin, alarm["id"].as_str().unwrap()),
        vec!["Member boss"]
    );

    // Checked in in time: no alarm.
    let r = aino.post("/api/v1/me/timer", json!({"minutes": 10}));
    assert_eq!(r.status, 201, "{}", r.body);
    server.clock.advance(Duration::from_secs(9 * 60));
    let r = aino.post("/api/v1/me/timer/check-in", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    server.clock.advance(Duration::from_secs(9 * 60));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(alarms().len(), 1, "checked in: no second alarm");
    assert_eq!(aino.delete("/api/v1/me/timer").status, 204);
    assert_eq!(aino.get("/api/v1/me/timer").json()["timer"], Value::Null);

    // Bad input names the field.
    let r = aino.post("/api/v1/me/timer", json!({"minutes": 721}));
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (422, json!("minutes"))
    );
}

#[test]
fn a_timer_started_and_checked_in_by_sms_does_not_fire_and_a_button_starts_one() {
    use tocsin::hw::sim::modem::{SimModem, SimModemConfig};
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gsm1");
    let modem = SimModem::start(
        &link,
        SimModemConfig {
            network_delay: Duration::from_millis(50),
            report_delay: Duration::from_millis(100),
            ..SimModemConfig::default()
        },
    )
    .unwrap();
    let modem_link = link.clone();
    let server = Server::start_with(move |config| {
        config
            .modems
            .push(crate::devices::ec25("gsm1", &modem_link, false));
    });
    let admin = server.admin();
    crate::devices::wait_ready(&admin, "gsm1");
    settings(
        &admin,
        json!({"session_idle_minutes": 600, "dead_man_grace_seconds": 60}),
    );
    let phone = "+358401000077";
    admin.create_member("eeva", &["member"]);
    let r = admin.patch("/api/v1/users/eeva", json!({"phones": [phone]}));
    assert_eq!(r.status, 200, "{}", r.body);
    let eeva = server.login("acme", "eeva", PASSWORD);
    let state = || eeva.get("/api/v1/me/timer").json()["timer"].clone();

    modem.receive_sms(phone, "TIMER 20 sewer inspection");
    let timer = wait_until("the timer started by SMS", WAIT, || {
        let t = state();
        (t["state"] == "running").then_some(t)
    });
    assert_eq!(timer["minutes"], 20);
    assert_eq!(timer["note"], "sewer inspection");
    // Told by SMS what was done.
    wait_until("the confirmation SMS", WAIT, || {
        (!modem.sent().is_empty()).then_some(())
    });

    // Reminded at 15 minutes; checked in by SMS before it runs out.
    server.clock.advance(Duration::from_secs(15 * 60));
    wait_until("the reminder", WAIT, || {
        (state()["state"] == "reminded").then_some(())
    });
    modem.receive_sms(phone, "OK");
    wait_until("checked in", WAIT, || {
        (state()["state"] == "running").then_some(())
    });
    let received = admin.get("/api/v1/inbound?channel=sms").json();
    assert!(
        received.to_string().contains("\"timer\""),
        "the check-in shows among received messages: {received}"
    );
    // Past the old time and its grace: nothing fires.
    server.clock.advance(Duration::from_secs(10 * 60));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(state()["state"], "running");
    let alerts = admin.get("/api/v1/alerts").json();
    assert!(
        !alerts.to_string().contains("did not check in"),
        "no alarm: {alerts}"
    );
    modem.receive_sms(phone, "TIMER OFF");
    wait_until("ended by SMS", WAIT, || state().is_null().then_some(()));

    // A one-click button can start the presser's timer instead of sending.
    let r = admin.post(
        "/api/v1/templates",
        json!({"name": "lone-work", "button": "Lone work 45 min", "button_roles": ["member"],
               "check_in_minutes": 45,
               "alert": {"title": "unused", "severity": "info", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let buttons = eeva.get("/api/v1/me/buttons").json();
    assert_eq!(buttons["buttons"][0]["check_in_minutes"], 45, "{buttons}");
    let r = eeva.post("/api/v1/oneclick/lone-work", json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["timer"]["minutes"], 45);
    assert_eq!(state()["note"], "Lone work 45 min");
    let r = admin.post(
        "/api/v1/templates",
        json!({"name": "bad", "check_in_minutes": 0,
               "alert": {"title": "x", "severity": "info", "channels": ["app"], "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (422, json!("check_in_minutes"))
    );
}
