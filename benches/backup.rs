//! Backups of a big store: how long a backup of 100,000 users and 10,000
//! alerts takes and how big it is, how long restoring it and starting an
//! appliance on it take (the takeover time), and alert accept latency while
//! a backup runs against idle. Prints figures; asserts nothing.
//!
//! BENCH_USERS, BENCH_ALERTS and BENCH_SAMPLES tune it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::indexing_slicing
)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{env_number, Bench};
use time::OffsetDateTime;
use tocsin::backup::{self, BackupKey};
use tocsin::store::NewUser;

fn main() {
    let users = env_number("BENCH_USERS", 100_000);
    let alerts = env_number("BENCH_ALERTS", 10_000);
    let samples = env_number("BENCH_SAMPLES", 400);
    let bench = Bench::start();
    let store = bench.store.clone();
    let org = store.org_by_slug("bench").unwrap().unwrap().id;
    let mut settings = store.get_org(org).unwrap().unwrap().settings;
    settings.max_automated_alerts_per_minute = 1_000_000;
    store.set_org_settings(org, &settings).unwrap();

    let started = Instant::now();
    let handle = store.org(org);
    for i in 0..users {
        handle
            .create_user(
                NewUser {
                    username: format!("person{i}"),
                    name: format!("Person Number {i}"),
                    phones: vec![format!("+35840{i:07}")],
                    email: Some(format!("person{i}@example.org")),
                    ..NewUser::default()
                },
                OffsetDateTime::now_utc(),
            )
            .unwrap();
    }
    let agent = bench.agent();
    let post = |n: usize| {
        let sent = Instant::now();
        let recipients: Vec<String> = (0..5)
            .map(|k| format!("person{}", (n * 5 + k) % users))
            .collect();
        agent
            .post(&format!("https://{}/api/v1/alerts", bench.addr))
            .set("Authorization", &format!("Bearer {}", bench.key))
            .send_json(
                serde_json::json!({"title": format!("Alert {n}"), "severity": "info",
                "channels": ["app"], "recipients": {"users": recipients}}),
            )
            .unwrap();
        sent.elapsed()
    };
    for n in 0..alerts {
        post(n);
    }
    store.flush_blocking().unwrap();
    println!(
        "tocsin backup benchmark: {users} users, {alerts} alerts of 5 recipients (setup {:.0} s, store {:.0} MB on disk)",
        started.elapsed().as_secs_f64(),
        store.size_on_disk().unwrap() as f64 / 1e6
    );

    let key = BackupKey::generate().unwrap();
    let taking = Instant::now();
    let made = backup::make(&store, &key, OffsetDateTime::now_utc()).unwrap();
    let took = taking.elapsed();
    println!(
        "backup: {:.2} s, {:.1} MB ({:?})",
        took.as_secs_f64(),
        made.bytes.len() as f64 / 1e6,
        made.header.counts
    );

    let target = tempfile::tempdir().unwrap();
    let restoring = Instant::now();
    backup::restore(&mut made.bytes.as_slice(), &key, target.path(), false).unwrap();
    let restore_took = restoring.elapsed();
    let serving = Instant::now();
    let standby = Bench::start_in(target, |_, _| {});
    let serve_took = serving.elapsed();
    println!(
        "takeover: restore {:.2} s + start serving {:.2} s = {:.2} s (goal: at most 60 s)",
        restore_took.as_secs_f64(),
        serve_took.as_secs_f64(),
        (restore_took + serve_took).as_secs_f64()
    );
    drop(standby);

    let p99 = |mut v: Vec<Duration>| {
        v.sort();
        v[(v.len() * 99 / 100).min(v.len() - 1)]
    };
    let idle: Vec<Duration> = (0..samples).map(|n| post(alerts + n)).collect();
    let running = AtomicBool::new(true);
    let (during, backups) = std::thread::scope(|scope| {
        let backups = scope.spawn(|| {
            let mut taken = 0;
            while running.load(Ordering::Relaxed) {
                backup::make(&store, &key, OffsetDateTime::now_utc()).unwrap();
                taken += 1;
            }
            taken
        });
        let during: Vec<Duration> = (0..samples).map(|n| post(alerts + samples + n)).collect();
        running.store(false, Ordering::Relaxed);
        (during, backups.join().unwrap())
    });
    let (idle, during) = (p99(idle), p99(during));
    println!(
        "alert accept p99: idle {:.1} ms, during backups {:.1} ms ({backups} backups ran) = {:.2}x (goal: at most 1.5x)",
        idle.as_secs_f64() * 1e3,
        during.as_secs_f64() * 1e3,
        during.as_secs_f64() / idle.as_secs_f64()
    );
}
