//! Waiting on simulated hardware through the API, shared by the SMS and
//! TETRA tests.

use crate::inprocess::Login;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

/// A simulated EC25 at `link` as the appliance's config names it, with the
/// SIM's send limit out of the way.
pub fn ec25(name: &str, link: &std::path::Path, voice: bool) -> tocsin::config::ModemConfig {
    let profile = tocsin::hw::gsm::profile::load("quectel-ec25", None).unwrap();
    tocsin::config::ModemConfig {
        name: name.to_owned(),
        device: link.to_owned(),
        baud: 115_200,
        profile_name: "quectel-ec25".to_owned(),
        profile,
        sim_pin: None,
        voice,
    }
}

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
