//! The retention sweeper at the size of a real customer: a year of alerts
//! (BENCH_RETENTION_ALERTS, 730: two a day) to BENCH_RETENTION_PER_ALERT
//! (500) each of 100,000 members, written straight to the store, past
//! their retention. Prints how long the sweeper takes to remove them and
//! the p50/p99 of accepting an alert (to BENCH_RETENTION_GROUP, 1,000
//! members, flushed before the 202) while it runs, beside the same on an
//! idle appliance, one alert a second in both (BENCH_RETENTION_EVERY_MS),
//! so the appliance has the same work besides the sweep. Goal: p99 while
//! sweeping at most 1.5 × idle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

#[path = "../tests/integration/history.rs"]
mod history;
mod support;

use std::time::{Duration, Instant};
use support::{env_number, report, Bench};
use time::OffsetDateTime;
use tocsin::ids::Id;
use tocsin::store::{NewGroup, NewUser, Retention};

const MEMBERS: usize = 100_000;

fn main() {
    let alerts = env_number("BENCH_RETENTION_ALERTS", 730);
    let per_alert = env_number("BENCH_RETENTION_PER_ALERT", 500);
    let group = env_number("BENCH_RETENTION_GROUP", 1_000);
    let rounds = env_number("BENCH_RETENTION_ROUNDS", 60);
    let every = Duration::from_millis(env_number("BENCH_RETENTION_EVERY_MS", 1000) as u64);
    let bench = Bench::start();
    let store = bench.store.clone();
    let org_id = store.org_by_slug("bench").unwrap().unwrap().id;
    let org = store.org(org_id);
    let mut settings = store.get_org(org_id).unwrap().unwrap().settings;
    settings.max_automated_alerts_per_minute = 100_000;
    // Everything kept while the history is written and idle is measured.
    settings.retention.alerts_days = Retention::MAX_DAYS;
    store.set_org_settings(org_id, &settings).unwrap();

    let now = OffsetDateTime::now_utc();
    let mut crew = Vec::with_capacity(group);
    for i in 0..group {
        let user = org
            .create_user(
                NewUser {
                    username: format!("crew-{i}"),
                    name: format!("Crew {i}"),
                    roles: vec!["member".to_owned()],
                    ..NewUser::default()
                },
                now,
            )
            .unwrap();
        crew.push(user.id);
    }
    org.create_group(
        NewGroup {
            name: "crew".into(),
            members: crew,
        },
        now,
    )
    .unwrap();
    let members: Vec<Id> = (0..MEMBERS).map(|_| Id::new()).collect();
    let started = Instant::now();
    let first = now - time::Duration::days(2 * 365);
    let spacing = time::Duration::seconds(365 * 24 * 3600 / alerts.max(1) as i64);
    history::seed_alerts(&org, &members, alerts, per_alert, first, spacing);
    println!(
        "tocsin retention benchmark: {alerts} alerts x {per_alert} of {MEMBERS} members ({} recipient records) written in {:.1} s",
        alerts * per_alert,
        started.elapsed().as_secs_f64()
    );

    let agent = bench.agent();
    let send = |n: usize| {
        let sent = Instant::now();
        let next = sent + every;
        let response = agent
            .post(&format!("https://{}/api/v1/alerts", bench.addr))
            .set("Authorization", &format!("Bearer {}", bench.key))
            .send_json(serde_json::json!({
                "title": format!("Accept {n}"), "severity": "warning",
                "channels": ["app"], "recipients": {"groups": ["crew"]},
            }))
            .unwrap();
        assert_eq!(response.status(), 202);
        let took = sent.elapsed();
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        took
    };
    let mut idle: Vec<Duration> = (0..rounds).map(send).collect();
    report(&format!("accept {group} idle"), &mut idle);

    // The year past its retention: the sweeper's next look finds it.
    settings.retention.alerts_days = 365;
    store.set_org_settings(org_id, &settings).unwrap();
    let cutoff = OffsetDateTime::now_utc() - time::Duration::days(365);
    let sweep_started = Instant::now();
    let mut during = Vec::new();
    let mut n = rounds;
    loop {
        let left = org.alerts_before(cutoff, 1).unwrap();
        if left.is_empty() {
            break;
        }
        during.push(send(n));
        n += 1;
    }
    let took = sweep_started.elapsed().as_secs_f64();
    println!(
        "sweep: {alerts} alerts, {} recipient records and as many feed entries removed in {took:.1} s ({:.0} alerts/s, {:.0} records/s)",
        alerts * per_alert,
        alerts as f64 / took,
        (alerts * per_alert * 2) as f64 / took
    );
    if during.is_empty() {
        println!("the sweep ended before an alert could be sent during it");
        return;
    }
    let p99 = |s: &mut Vec<Duration>| {
        s.sort();
        s[((s.len() as f64 - 1.0) * 0.99).round() as usize].as_secs_f64() * 1000.0
    };
    let (idle_p99, during_p99) = (p99(&mut idle), p99(&mut during));
    report(&format!("accept {group} while sweeping"), &mut during);
    println!(
        "p99 while sweeping / idle: {:.2} (goal at most 1.50)",
        during_p99 / idle_p99
    );
}
