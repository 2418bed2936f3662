//! SMS figures:
//! - messages per minute through one and through two simulated modems whose
//!   network takes BENCH_SMS_DELAY_MS (1000) per message, as a share of the
//!   simulator's ceiling (one message per delay per modem);
//! - an alarm to 200 people on one modem whose sends take 0.5 s, at the
//!   shipped settings (goal: all out in at most 110 s);
//! - PDU codec throughput (encode a 160-character alert, decode a reply).
//!
//! BENCH_SMS_MESSAGES (60 per modem) tunes it.
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
use tocsin::hw::gsm::pdu;
use tocsin::hw::sim::modem::{SimModem, SimModemConfig};

fn main() {
    let delay = Duration::from_millis(env_number("BENCH_SMS_DELAY_MS", 1000) as u64);
    let per_modem = env_number("BENCH_SMS_MESSAGES", 60);
    for modems in [1, 2] {
        throughput(modems, per_modem * modems, delay);
    }
    let alarm = throughput(1, 200, Duration::from_millis(500));
    println!(
        "sms alarm: 200 people on one modem with 0.5 s sends: all out in {:.1} s (goal at most 110 s)",
        alarm.as_secs_f64()
    );
    codec();
}

/// Sends one alert to `messages` numbers over `modems` simulated modems;
/// how long until the last was out.
fn throughput(modems: usize, messages: usize, delay: Duration) -> Duration {
    let links = std::sync::Mutex::new(Vec::new());
    let bench = Bench::start_with(|config, dir| {
        for i in 0..modems {
            let link = dir.join(format!("gsm{i}"));
            let sim = SimModem::start(
                &link,
                SimModemConfig {
                    network_delay: delay,
                    report_delay: Duration::from_millis(100),
                    ..SimModemConfig::default()
                },
            )
            .unwrap();
            config.modems.push(support::ec25(&format!("gsm{i}"), &link));
            links.lock().unwrap().push(sim);
        }
    });
    let sims = links.into_inner().unwrap();
    let agent = bench.agent();
    let url = |path: &str| format!("https://{}{path}", bench.addr);
    let auth = format!("Bearer {}", bench.key);
    bench.wait_devices_ready(modems);
    let phones: Vec<String> = (0..messages).map(|i| format!("+3584020{i:05}")).collect();
    let started = Instant::now();
    let r = agent
        .post(&url("/api/v1/alerts"))
        .set("Authorization", &auth)
        .send_json(
            json!({"title": "Benchmark", "body": "One SMS each", "severity": "critical",
                          "channels": ["sms"], "recipients": {"phones": phones}}),
        )
        .unwrap();
    assert_eq!(r.status(), 202);
    let mut estimate = None;
    loop {
        let sent: usize = sims.iter().map(|s| s.sent().len()).sum();
        if estimate.is_none() && sent >= modems * 3 {
            let hw: serde_json::Value = agent
                .get(&url("/api/v1/devices/hardware"))
                .set("Authorization", &auth)
                .call()
                .unwrap()
                .into_json()
                .unwrap();
            estimate = Some((started.elapsed(), sent, hw["sms"].clone()));
        }
        if sent >= messages {
            break;
        }
        assert!(
            started.elapsed() < delay * (messages as u32) * 3,
            "too slow: {sent}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let per_minute = messages as f64 / elapsed.as_secs_f64() * 60.0;
    let ceiling = modems as f64 * 60.0 / delay.as_secs_f64();
    println!(
        "sms: {modems} modem(s), {messages} messages with {} ms network time each: {:.1} s, {per_minute:.1}/min = {:.1}% of the {ceiling:.0}/min ceiling",
        delay.as_millis(),
        elapsed.as_secs_f64(),
        per_minute / ceiling * 100.0,
    );
    if let Some((at, sent, sms)) = estimate {
        let left = messages - sent;
        let actual = elapsed.saturating_sub(at).as_secs_f64();
        println!(
            "sms: at {:.1} s with {left} left the appliance estimated {} s to empty (capacity {}/min); it took {actual:.1} s",
            at.as_secs_f64(),
            sms["estimated_seconds_to_empty"],
            sms["capacity_per_minute"],
        );
    }
    elapsed
}

fn codec() {
    let text = "CRITICAL: Fire at depot 3\nReport to station 2, gate B. Bring breathing apparatus.\nReply 1 = Coming, 2 = Not coming. Ref 20261129-0042 zone C";
    let options = pdu::SubmitOptions {
        status_report: true,
        validity_minutes: Some(1440),
        concat_ref: 7,
    };
    let rounds = 200_000u32;
    let started = Instant::now();
    let mut octets = 0usize;
    for _ in 0..rounds {
        let parts = pdu::encode_submit("+358401234567", text, &options).unwrap();
        octets += parts.iter().map(|p| p.tpdu_len).sum::<usize>();
    }
    let encode = started.elapsed();
    let reply = pdu::encode_deliver(
        "+358401234567",
        "K 15 on my way with the ladder truck",
        (26, 11, 29, 21, 5, 0),
        1,
    )
    .remove(0);
    let started = Instant::now();
    for _ in 0..rounds {
        let decoded = pdu::decode_incoming(&reply).unwrap();
        std::hint::black_box(decoded);
    }
    let decode = started.elapsed();
    println!(
        "pdu codec: encode {:.0} alerts/s ({} octets each), decode {:.0} replies/s",
        f64::from(rounds) / encode.as_secs_f64(),
        octets / rounds as usize,
        f64::from(rounds) / decode.as_secs_f64(),
    );
}
