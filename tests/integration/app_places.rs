//! The members' app's check-in timer and position sharing, in real headless
//! Chromium at phone size against the in-process appliance, whose clock the
//! tests move: a timer started, its reminder, the siren of its grace period
//! and the check-in; the alarm raised; no movement starting the pre-alarm;
//! positions sent only while the organisation's policy wants them.
//! Screenshots are saved in `target/screenshots/app-*-390.png`.

use crate::app::open_app;
use crate::browser::Browser;
use crate::devices::{wait_until, WAIT};
use crate::inprocess::{Login, Server};
use serde_json::{json, Value};
use std::time::Duration;

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn timer_of(member: &Login<'_>) -> Value {
    member.get("/api/v1/me/timer").json()["timer"].take()
}

/// Waits until the member's timer on the appliance is in `state`.
fn wait_for_timer(member: &Login<'_>, state: &str) -> Value {
    wait_until(&format!("the timer {state}"), WAIT, || {
        let timer = timer_of(member);
        (timer["state"] == state).then_some(timer)
    })
}

fn alarms(admin: &Login<'_>) -> Vec<Value> {
    admin.get("/api/v1/alerts").json()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"].as_str().unwrap().contains("did not check in"))
        .cloned()
        .collect()
}

/// The clock jumps by many minutes at a time here: sessions stay open.
fn long_sessions(admin: &Login<'_>) {
    let set = admin.patch("/api/v1/settings", json!({"session_idle_minutes": 240}));
    assert_eq!(set.status, 200, "{}", set.body);
}

fn time_of(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

#[test]
fn the_app_runs_a_check_in_timer_sounds_its_pre_alarm_and_checks_in() {
    let server = Server::start();
    let admin = server.admin();
    long_sessions(&admin);
    admin.create_member("aino", &["member"]);
    let aino = server.login("acme", "aino", crate::inprocess::PASSWORD);
    let phone = Browser::phone(server.dir.path());
    open_app(&phone, &server, "aino");

    // A 30-minute timer with what the member is doing.
    phone.click("[data-test=open-timer]");
    phone.click("[data-test=timer-preset-30]");
    phone.type_into("[data-test=timer-note]", "Inspecting pumping station 4");
    assert_eq!(
        phone.eval("return document.querySelector('[data-test=timer-preset-30]').getAttribute('aria-pressed')"),
        "true"
    );
    phone.screenshot("app-timer-start-390");
    phone.click("[data-test=timer-start]");
    phone.find("[data-test=timer][data-state=running]");
    let started = wait_for_timer(&aino, "running");
    assert_eq!(started["minutes"], 30);
    assert_eq!(started["note"], "Inspecting pumping station 4");
    assert_eq!(time_of(&started["due_at"]), server.now() + minutes(30));
    let countdown = phone.text("[data-test=timer-countdown]");
    assert!(
        countdown == "30:00" || countdown.starts_with("29:5"),
        "{countdown}"
    );
    phone.wait_for(
        "the countdown running",
        "document.querySelector('[data-test=timer-countdown]').innerText.startsWith('29:')",
    );
    assert!(phone
        .text("[data-test=timer-chip]")
        .contains(&phone.text("[data-test=timer-countdown]")[..3]));
    phone.screenshot("app-timer-390");

    // Five minutes before: the reminder, with a beep while the app is open.
    server.advance(minutes(25) + Duration::from_secs(1));
    wait_for_timer(&aino, "reminded");
    phone.wait_for(
        "the reminder",
        "document.querySelector('[data-test=timer][data-state=reminded]') && document.querySelector('[data-test=timer]').dataset.beep === 'on'",
    );
    phone.screenshot("app-timer-reminded-390");

    // Time is up: the grace period, with the siren over the whole screen,
    // and no alarm yet.
    server.advance(minutes(5));
    let grace = wait_for_timer(&aino, "grace");
    assert_eq!(
        time_of(&grace["grace_until"]),
        time_of(&grace["due_at"]) + Duration::from_secs(120)
    );
    phone.wait_for(
        "the siren",
        "document.querySelector('[data-test=timer-alarm][data-state=grace]') && document.querySelector('[data-test=timer-alarm]').dataset.sound === 'on'",
    );
    let left = phone.text("[data-test=timer-alarm-countdown]");
    assert!(left == "2:00" || left.starts_with("1:"), "{left}");
    assert!(alarms(&admin).is_empty());
    phone.screenshot("app-timer-grace-390");

    // "I'm OK": the siren stops and the timer runs again for 30 minutes.
    phone.click("[data-test=timer-ok]");
    phone.wait_for(
        "the siren gone",
        "!document.querySelector('[data-test=timer-alarm]') && document.querySelector('[data-test=timer][data-state=running]')",
    );
    let again = timer_of(&aino);
    assert_eq!(again["state"], "running");
    assert_eq!(time_of(&again["due_at"]), server.now() + minutes(30));
    assert_eq!(
        phone.eval("return document.querySelector('[data-test=timer]').dataset.beep"),
        "off"
    );
    // The old grace period passes without an alarm.
    server.advance(minutes(3));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(timer_of(&aino)["state"], "running");
    assert!(alarms(&admin).is_empty());

    // Not checked in this time: the siren, then after the grace period the
    // alarm, and the app says so.
    server.advance(minutes(28));
    wait_for_timer(&aino, "grace");
    phone.find("[data-test=timer-alarm][data-state=grace]");
    assert!(
        alarms(&admin).is_empty(),
        "not before the grace period ends"
    );
    server.advance(minutes(2) + Duration::from_secs(1));
    let alarmed = wait_for_timer(&aino, "alarmed");
    let raised = alarms(&admin);
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(alarmed["alert"], raised[0]["id"]);
    phone.wait_for(
        "the alarm raised",
        "document.querySelector('[data-test=timer-alarm][data-state=alarmed]') && document.querySelector('[data-test=timer-alarm]').dataset.sound !== 'on'",
    );
    phone.screenshot("app-timer-alarmed-390");
    phone.click("[data-test=timer-alarm-end]");
    phone.find("[data-test=timer-form]");
    assert_eq!(timer_of(&aino), Value::Null);
}

#[test]
fn the_app_starts_the_pre_alarm_when_the_phone_does_not_move() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "roof", "button": "Roof work", "button_roles": ["member"], "check_in_minutes": 45,
               "alert": {"title": "Roof work", "severity": "info", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let aino = server.login("acme", "aino", crate::inprocess::PASSWORD);
    let phone = Browser::phone(server.dir.path());
    open_app(&phone, &server, "aino");

    // A button may start the member's own timer rather than an alert.
    phone.click("[data-test=button-roof]");
    assert!(phone
        .text("[data-test=button-confirm] h3")
        .contains("45 min"));
    phone.click("[data-test=button-send]");
    phone.find("[data-test=timer][data-state=running]");
    let timer = timer_of(&aino);
    assert_eq!(timer["minutes"], 45);
    assert_eq!(timer["note"], "Roof work");
    assert!(alarms(&admin).is_empty());
    phone.click("[data-test=timer-end]");
    phone.find("[data-test=timer-form]");

    phone.click("[data-test=still]");
    // The test's browser has no motion sensor: it says so, and raises nothing.
    phone.wait_for(
        "no sensor",
        "document.querySelector('[data-test=still-state]').dataset.state === 'none'",
    );
    assert_eq!(timer_of(&aino), Value::Null);

    // Readings as a phone's sensor gives them, a second apart in the page's
    // time: ten minutes (the default) without movement start the pre-alarm,
    // and a movement starts the ten minutes over.
    let readings = |n: u32, z: f64| {
        phone.eval(&format!(
            "if (!window.__skew) {{ const real = Date.now.bind(Date); window.__skew = 0; Date.now = () => real() + window.__skew; }} \
             for (let i = 0; i < {n}; i++) {{ window.__skew += 1000; \
               window.dispatchEvent(new DeviceMotionEvent('devicemotion', {{accelerationIncludingGravity: {{x: 0.12, y: 0.31, z: {z}}}, interval: 16}})); }} \
             return true;"
        ));
    };
    readings(500, 9.79);
    phone.wait_for(
        "watching",
        "document.querySelector('[data-test=still-state]').dataset.state === 'watching'",
    );
    readings(1, 6.5);
    readings(500, 9.79);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(timer_of(&aino), Value::Null, "moved 500 s ago");
    readings(150, 9.79);
    let timer = wait_for_timer(&aino, "grace");
    assert_eq!(timer["minutes"], 0);
    assert_eq!(timer["note"], "no movement");
    phone.wait_for(
        "the siren",
        "document.querySelector('[data-test=timer-alarm][data-state=grace]') && document.querySelector('[data-test=timer-alarm]').dataset.sound === 'on'",
    );
    phone.screenshot("app-timer-still-390");
    phone.click("[data-test=timer-ok]");
    phone.wait_for(
        "the siren gone",
        "!document.querySelector('[data-test=timer-alarm]')",
    );
    assert_eq!(timer_of(&aino), Value::Null);
    assert!(alarms(&admin).is_empty());
}

/// The phone's reports that reached the appliance: the last known position
/// of each member, as a sender with `read_locations` sees it.
fn position_of(admin: &Login<'_>, username: &str) -> Option<Value> {
    admin.get("/api/v1/locations").json()["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == username)
        .cloned()
}

fn sent_positions(phone: &Browser) -> usize {
    phone
        .eval("return performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/v1/me/location')).length")
        .as_u64()
        .unwrap() as usize
}

#[test]
fn the_app_shares_its_position_only_while_the_policy_wants_it_and_says_so() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let phone = Browser::phone(server.dir.path());
    phone.set_position(60.1699, 24.9384, 12.0);
    open_app(&phone, &server, "aino");

    // "never" (the default): not sharing, said plainly, and nothing sent.
    phone.wait_for(
        "the indicator",
        "document.querySelector('[data-test=location]').dataset.state === 'off'",
    );
    assert_eq!(
        phone.text("[data-test=location]"),
        "Not sharing your location"
    );
    assert!(phone.try_find("[data-test=duty]").is_none());
    let me = phone.eval_async("return await (await fetch('/api/v1/me')).json();");
    assert_eq!(me["location"], json!({"policy": "never", "sharing": false}));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sent_positions(&phone), 0);
    assert_eq!(position_of(&admin, "aino"), None);

    // "duty": the switch appears; on duty, the position goes at once.
    let policy = admin.patch("/api/v1/settings", json!({"location_policy": "duty"}));
    assert_eq!(policy.status, 200, "{}", policy.body);
    phone.find("[data-test=duty]");
    assert_eq!(sent_positions(&phone), 0, "not on duty yet");
    phone.click("[data-test=duty]");
    phone.wait_for(
        "sharing",
        "document.querySelector('[data-test=location]').dataset.state === 'on'",
    );
    assert_eq!(phone.text("[data-test=location]"), "Sharing your location");
    let at = wait_until("the position on the appliance", WAIT, || {
        position_of(&admin, "aino")
    });
    assert_eq!(at["lat"], 60.1699);
    assert_eq!(at["lon"], 24.9384);
    assert_eq!(at["accuracy_m"], 12.0);
    assert_eq!(at["on_duty"], true);
    phone.screenshot("app-location-duty-390");

    // A move of some 200 m goes sooner than the 30 s beat.
    phone.eval("window.__seen = []; navigator.geolocation.watchPosition((p) => window.__seen.push([Date.now(), p.coords.latitude]), (e) => window.__seen.push(['err', e.code])); return true;");
    std::thread::sleep(Duration::from_secs(1));
    phone.set_position(60.1717, 24.9384, 8.0);
    std::thread::sleep(Duration::from_secs(8));
    eprintln!(
        "DEBUG {}",
        phone.eval("return JSON.stringify(window.__seen)")
    );
    eprintln!("DEBUG2 {}", phone.eval_async("return await new Promise((ok) => navigator.geolocation.getCurrentPosition((p) => ok(p.coords.latitude), (e) => ok('err' + e.code)));"));
    wait_until("the new position", WAIT, || {
        position_of(&admin, "aino").filter(|p| p["lat"] == 60.1717)
    });
    let sent = sent_positions(&phone);
    assert!(sent <= 3, "{sent} reports for two positions");

    // Off duty: sharing stops, and a new position is not sent.
    phone.click("[data-test=duty]");
    phone.wait_for(
        "not sharing",
        "document.querySelector('[data-test=location]').dataset.state === 'off'",
    );
    let before = sent_positions(&phone);
    phone.set_position(60.18, 24.95, 8.0);
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(sent_positions(&phone), before);
    assert_eq!(position_of(&admin, "aino").unwrap()["lat"], 60.1717);

    // "alerts": an answer to an active alert starts sharing.
    admin.patch("/api/v1/settings", json!({"location_policy": "alerts"}));
    phone.wait_for(
        "the duty switch gone",
        "!document.querySelector('[data-test=duty]')",
    );
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Flooding at the depot", "severity": "warning", "channels": ["app"],
               "recipients": {"users": ["aino"]}}),
    );
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    phone.click("[data-test=alert-item]");
    phone.click("[data-test=answer-0]");
    phone.wait_for(
        "sharing while answering",
        "document.querySelector('[data-test=location]').dataset.state === 'on'",
    );
    let at = wait_until("the position with the answer", WAIT, || {
        position_of(&admin, "aino").filter(|p| p["lat"] == 60.18)
    });
    assert_eq!(at["answer"]["alert"], id.as_str());
    // The alert closed: sharing stops.
    admin.post(&format!("/api/v1/alerts/{id}/cancel"), json!({}));
    phone.wait_for(
        "not sharing once the alert is closed",
        "document.querySelector('[data-test=location]').dataset.state === 'off'",
    );
}
