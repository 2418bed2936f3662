//! The audit trail's cost: chained audit events written per second, how
//! fast they reach a log server, and the added latency of a login and of an
//! alert accept with shipping on against off. The log server here is a local
//! TCP sink (`syslog_plain_tcp`), so the figures are the appliance's own
//! cost. Prints figures; asserts nothing.
//!
//! BENCH_EVENTS and BENCH_SAMPLES tune it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};
use support::{env_number, Bench, PASSWORD};
use tocsin::audit::Entry;
use tocsin::store::Outcome;

/// A log server that reads and forgets; returns its port.
fn sink() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

struct Figures {
    written_per_second: f64,
    shipped_per_second: Option<f64>,
    login_p50: Duration,
    accept_p99: Duration,
}

fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn run(bench: &Bench, events: usize, samples: usize, shipping: bool) -> Figures {
    let agent = bench.agent();
    let base = format!("https://{}", bench.addr);
    let org = bench.store.org_by_slug("bench").unwrap().unwrap().id;
    let mut settings = bench.store.get_org(org).unwrap().unwrap().settings;
    settings.max_automated_alerts_per_minute = 1_000_000;
    bench.store.set_org_settings(org, &settings).unwrap();
    let handle = bench.store.org(org);
    let started = Instant::now();
    for i in 0..events {
        Entry::new(tocsin::audit::shell(), "bench.event", Outcome::Success)
            .target(format!("thing{i}"))
            .write(&handle, time::OffsetDateTime::now_utc())
            .unwrap();
    }
    let written_per_second = events as f64 / started.elapsed().as_secs_f64();
    let shipped_per_second = shipping.then(|| {
        while bench.store.audit_queue_depth().unwrap().0 > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        events as f64 / started.elapsed().as_secs_f64()
    });
    let logins: Vec<Duration> = (0..20)
        .map(|_| {
            let sent = Instant::now();
            agent
                .post(&format!("{base}/api/v1/session"))
                .send_json(json!({"org": "bench", "username": "admin", "password": PASSWORD}))
                .unwrap();
            sent.elapsed()
        })
        .collect();
    let accepts: Vec<Duration> = (0..samples)
        .map(|n| {
            let sent = Instant::now();
            agent
                .post(&format!("{base}/api/v1/alerts"))
                .set("Authorization", &format!("Bearer {}", bench.key))
                .send_json(json!({"title": format!("Alert {n}"), "severity": "info",
                    "channels": ["app"], "recipients": {"users": ["admin"]}}))
                .unwrap();
            sent.elapsed()
        })
        .collect();
    Figures {
        written_per_second,
        shipped_per_second,
        login_p50: percentile(logins, 50),
        accept_p99: percentile(accepts, 99),
    }
}

fn main() {
    let events = env_number("BENCH_EVENTS", 20_000);
    let samples = env_number("BENCH_SAMPLES", 300);
    let off = {
        let bench = Bench::start();
        run(&bench, events, samples, false)
    };
    let port = sink();
    let on = {
        let bench = Bench::start_with(|config, _| {
            config.audit = Some(tocsin::config::AuditConfig {
                signing_key: None,
                checkpoint_interval: time::Duration::minutes(5),
                syslog: Some(tocsin::config::SyslogConfig {
                    host: "127.0.0.1".to_owned(),
                    port,
                    tls: false,
                    ca: None,
                    client_cert: None,
                    max_lag: time::Duration::minutes(5),
                }),
            });
        });
        run(&bench, events, samples, true)
    };
    println!("tocsin audit benchmark: {events} events, {samples} alert accepts");
    println!(
        "chained audit events written: {:.0}/s shipping off, {:.0}/s shipping on",
        off.written_per_second, on.written_per_second
    );
    println!(
        "written and at the log server: {:.0} events/s",
        on.shipped_per_second.unwrap_or_default()
    );
    println!(
        "login p50: {:.1} ms off, {:.1} ms on (+{:.1} ms)",
        off.login_p50.as_secs_f64() * 1e3,
        on.login_p50.as_secs_f64() * 1e3,
        (on.login_p50.as_secs_f64() - off.login_p50.as_secs_f64()) * 1e3
    );
    println!(
        "alert accept p99: {:.1} ms off, {:.1} ms on (+{:.1} ms)",
        off.accept_p99.as_secs_f64() * 1e3,
        on.accept_p99.as_secs_f64() * 1e3,
        (on.accept_p99.as_secs_f64() - off.accept_p99.as_secs_f64()) * 1e3
    );
}
