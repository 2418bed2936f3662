//! Waiting on simulated hardware through the API, shared by the SMS and
//! TETRA tests.

use crate::inprocess::Login;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

pub fn wait_until<T>(what: &str, within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn device_state(admin: &Login<'_>, name: &str) -> String {
    let hw = admin.get("/api/v1/devices/hardware").json();
    hw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .map(|d| d["state"].as_str().unwrap().to_owned())
        .unwrap()
}

pub fn wait_ready(admin: &Login<'_>, name: &str) {
    let deadline = Instant::now() + WAIT;
    while device_state(admin, name) != "ready" {
        assert!(
            Instant::now() < deadline,
            "{name} not ready: {}",
            admin.get("/api/v1/devices/hardware").body
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
