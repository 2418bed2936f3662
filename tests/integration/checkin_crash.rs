//! SIGKILL during a check-in timer's grace period: the real daemon is
//! killed and started again, and the alarm still comes within five seconds
//! of the time it was due.

use crate::inprocess::PASSWORD;
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const GRACE_SECONDS: i64 = 12;

fn parse(at: &str) -> OffsetDateTime {
    OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn a_timer_fires_on_time_after_a_sigkill_and_restart() {
    let mut appliance = Appliance::new();
    appliance.start();
    let r = appliance.post(
        "/api/v1/users",
        json!({"username": "aino", "name": "Member aino", "password": PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = appliance.post(
        "/api/v1/templates",
        json!({"name": "lone-worker", "alert": {"title": "Lone worker alarm", "severity": "critical",
               "channels": ["app"], "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = appliance.request(
        "PATCH",
        "/api/v1/settings",
        Some(&appliance.key),
        Some(json!({"dead_man_template": "lone-worker", "dead_man_grace_seconds": GRACE_SECONDS})),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // The member's app saw no movement: the pre-alarm, then the alarm
    // when the grace period ends.
    let login = appliance.post(
        "/api/v1/session",
        json!({"org": "acme", "username": "aino", "password": PASSWORD}),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = login.json()["csrf_token"].as_str().unwrap().to_owned();
    let started = appliance
        .client()
        .post(&appliance.url("/api/v1/me/timer"))
        .set("Cookie", &cookie)
        .set("X-CSRF-Token", &csrf)
        .send_json(json!({"minutes": 0, "note": "no movement"}))
        .unwrap();
    assert_eq!(started.status(), 201);
    let timer: serde_json::Value = started.into_json().unwrap();
    let due = parse(timer["timer"]["grace_until"].as_str().unwrap());

    std::thread::sleep(Duration::from_secs(2));
    appliance.kill9();
    appliance.start();

    let deadline = Instant::now() + Duration::from_secs(GRACE_SECONDS as u64 + 30);
    let alarm = loop {
        let list = appliance.get("/api/v1/alerts").json();
        let found = list["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == "Lone worker alarm")
            .cloned();
        if let Some(alarm) = found {
            break alarm;
        }
        assert!(
            Instant::now() < deadline,
            "no alarm; stderr:\n{}",
            appliance.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let raised = parse(alarm["created_at"].as_str().unwrap());
    let late = raised - due;
    assert!(
        late >= time::Duration::ZERO && late < time::Duration::seconds(5),
        "due {due}, raised {raised}"
    );
    let list = appliance.get("/api/v1/alerts").json();
    let alarms = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"] == "Lone worker alarm")
        .count();
    assert_eq!(alarms, 1, "raised once: {list}");
}
