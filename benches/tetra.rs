//! TETRA figure: text SDS per minute through one simulated radio whose air
//! interface takes BENCH_SDS_AIR_MS (1000) per SDS, as a share of the
//! simulator's ceiling (one SDS per air time). BENCH_SDS_MESSAGES (60).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{env_number, Bench};
use tocsin::config::RadioConfig;
use tocsin::hw::sim::radio::{SimRadio, SimRadioConfig};

fn main() {
    let air = Duration::from_millis(env_number("BENCH_SDS_AIR_MS", 1000) as u64);
    let messages = env_number("BENCH_SDS_MESSAGES", 60);
    let radio = std::sync::Mutex::new(None);
    let bench = Bench::start_with(|config, dir| {
        let link = dir.join("tetra0");
        let sim = SimRadio::start(
            &link,
            SimRadioConfig {
                air_delay: air,
                report_delay: Duration::from_millis(200),
                ..SimRadioConfig::default()
            },
        )
        .unwrap();
        let mut profile = tocsin::hw::tetra::profile::load("sepura-srg3900", None).unwrap();
        // The radio's own pacing is not what is measured here.
        profile.per_minute = 600;
        config.radios.push(RadioConfig {
            name: "tetra0".to_owned(),
            device: link,
            baud: 38_400,
            profile_name: "sepura-srg3900".to_owned(),
            profile,
            issi: 1_000_001,
        });
        *radio.lock().unwrap() = Some(sim);
    });
    let sim = radio.into_inner().unwrap().unwrap();
    let agent = bench.agent();
    let url = |path: &str| format!("https://{}{path}", bench.addr);
    let auth = format!("Bearer {}", bench.key);
    bench.wait_devices_ready(1);
    let issis: Vec<u32> = (0..messages as u32).map(|i| 3_000_000 + i).collect();
    let texts = |sim: &SimRadio| {
        sim.sent()
            .iter()
            .filter(|s| s.hex.starts_with("82") || s.hex.starts_with("89"))
            .filter(|s| s.hex.get(2..4) != Some("10"))
            .count()
    };
    let started = Instant::now();
    let r = agent
        .post(&url("/api/v1/alerts"))
        .set("Authorization", &auth)
        .send_json(
            json!({"title": "Benchmark", "body": "One SDS each", "severity": "warning",
                          "channels": ["tetra"], "recipients": {"tetra_issi": issis}}),
        )
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.into_json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Done when the radio has said of every SDS that it went on the air.
    loop {
        let view: serde_json::Value = agent
            .get(&url(&format!("/api/v1/alerts/{id}")))
            .set("Authorization", &auth)
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        let d = &view["totals"]["deliveries"];
        let on_air = d["sent"].as_u64().unwrap_or(0) + d["delivered"].as_u64().unwrap_or(0);
        if on_air as usize >= messages {
            break;
        }
        assert!(
            started.elapsed() < air * (messages as u32) * 3,
            "too slow: {d}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(texts(&sim), messages);
    let elapsed = started.elapsed();
    let per_minute = messages as f64 / elapsed.as_secs_f64() * 60.0;
    let ceiling = 60.0 / air.as_secs_f64();
    println!(
        "tetra: {messages} text SDS with {} ms air time each through one radio: {:.1} s, {per_minute:.1}/min = {:.1}% of the {ceiling:.0}/min ceiling",
        air.as_millis(),
        elapsed.as_secs_f64(),
        per_minute / ceiling * 100.0,
    );
}
