//! Robot call figures, on simulated modems whose far ends pick up after
//! BENCH_VOICE_ANSWER_MS (2000) of ringing, listen to the whole message and
//! press 1:
//! - calls per hour per modem through one and through two modems, against
//!   the ceiling set by call set-up, ringing, the message and the
//!   confirmation (what the modem cannot go faster than);
//! - the time from the alert to the first ring, with the message spoken
//!   by espeak-ng for the first time.
//!
//! BENCH_VOICE_CALLS (6 per modem) tunes it.
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
use tocsin::hw::sim::modem::{CallRecord, Callee, SimModem, SimModemConfig};
use tocsin::speech::{synthesise, Script};
use tocsin::text::Lang;

const TITLE: &str = "Fire at the depot";
const BODY: &str = "Report to station two, gate B. Bring breathing apparatus.";
/// From `ATD` to ringing in the simulated network.
const DIAL_TIME: Duration = Duration::from_millis(300);

fn main() {
    let answer = Duration::from_millis(env_number("BENCH_VOICE_ANSWER_MS", 2000) as u64);
    let per_modem = env_number("BENCH_VOICE_CALLS", 6);
    let responses = vec!["Coming".to_owned(), "Not coming".to_owned()];
    // The message as the appliance will speak it, to know when it ends.
    let script = Script {
        org: "bench",
        critical: true,
        warning: false,
        title: TITLE,
        body: Some(BODY),
        responses: &responses,
        allow_eta: false,
    };
    let message = synthesise(&script.words(Lang::En), Lang::En)
        .unwrap()
        .seconds();
    for modems in [1, 2] {
        throughput(modems, per_modem * modems, answer, message);
    }
}

fn throughput(modems: usize, calls: usize, answer: Duration, message: f64) {
    let phones: Vec<String> = (0..calls).map(|i| format!("+3584030{i:05}")).collect();
    // The key comes just after the message ends: the whole of it is heard.
    let key_at = Duration::from_secs_f64(message + 0.3);
    let sims = std::sync::Mutex::new(Vec::new());
    let bench = Bench::start_with(|config, dir| {
        for i in 0..modems {
            let link = dir.join(format!("gsm{i}"));
            let sim = SimModem::start(
                &link,
                SimModemConfig {
                    network_delay: Duration::from_millis(200),
                    ring_time: Duration::from_secs(30),
                    ..SimModemConfig::default()
                },
            )
            .unwrap();
            for phone in &phones {
                sim.set_callee(
                    phone,
                    Callee::Answers {
                        after: answer,
                        keys: vec![(key_at, '1')],
                        hang_up: None,
                    },
                );
            }
            config.modems.push(support::ec25(&format!("gsm{i}"), &link));
            sims.lock().unwrap().push(sim);
        }
    });
    let sims = sims.into_inner().unwrap();
    let agent = bench.agent();
    let url = |path: &str| format!("https://{}{path}", bench.addr);
    let auth = format!("Bearer {}", bench.key);
    bench.wait_devices_ready(modems);
    let started = Instant::now();
    let r = agent
        .post(&url("/api/v1/alerts"))
        .set("Authorization", &auth)
        .send_json(json!({"title": TITLE, "body": BODY, "severity": "critical",
                          "channels": ["voice"], "recipients": {"phones": phones}}))
        .unwrap();
    assert_eq!(r.status(), 202);
    let records =
        |sims: &[SimModem]| -> Vec<CallRecord> { sims.iter().flat_map(|s| s.calls()).collect() };
    let limit = Duration::from_secs_f64((message + 30.0) * calls as f64);
    let mut first_ring = None;
    loop {
        let all = records(&sims);
        if first_ring.is_none() {
            first_ring = all
                .iter()
                .map(|c| c.dialled)
                .min()
                .map(|d| d.duration_since(started) + DIAL_TIME);
        }
        if all.iter().filter(|c| c.outcome.is_some()).count() >= calls {
            break;
        }
        assert!(started.elapsed() < limit, "too slow: {all:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    let all = records(&sims);
    let heard = all
        .iter()
        .filter(|c| c.played.first().is_some_and(|p| p.complete))
        .count();
    let confirmation = all
        .iter()
        .filter_map(|c| c.played.get(1))
        .map(|p| p.length.as_secs_f64())
        .fold(0.0, f64::max);
    let per_hour_per_modem = calls as f64 / elapsed.as_secs_f64() * 3600.0 / modems as f64;
    let floor = DIAL_TIME.as_secs_f64() + answer.as_secs_f64() + message + 0.3 + confirmation;
    let ceiling = 3600.0 / floor;
    println!(
        "voice: {modems} modem(s), {calls} calls answered after {:.1} s of ringing, {message:.1} s message heard to the end ({heard}/{calls}), {confirmation:.1} s confirmation: {:.1} s, {per_hour_per_modem:.0} calls/h per modem = {:.1}% of the {ceiling:.0}/h ceiling",
        answer.as_secs_f64(),
        elapsed.as_secs_f64(),
        per_hour_per_modem / ceiling * 100.0,
    );
    if let Some(ring) = first_ring {
        println!(
            "voice: alert to first ring {:.2} s (message spoken by espeak-ng for the first time, uploaded to the modem, dialled; the simulated network rings {} ms after ATD)",
            ring.as_secs_f64(),
            DIAL_TIME.as_millis()
        );
    }
}
