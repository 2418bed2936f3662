//! A member's app opening their alert list: `GET /api/v1/me/alerts` for a
//! member with BENCH_FEED_ALERTS (10,000) alerts behind them, written
//! straight to the store. Prints p50/p99 of BENCH_FEED_ROUNDS (200)
//! requests over HTTPS (goal: p99 at most 20 ms).
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

use std::time::Instant;
use support::{env_number, report, Bench, PASSWORD};
use time::OffsetDateTime;
use tocsin::store::NewUser;

fn main() {
    let alerts = env_number("BENCH_FEED_ALERTS", 10_000);
    let rounds = env_number("BENCH_FEED_ROUNDS", 200);
    let bench = Bench::start();
    let org_id = bench.store.org_by_slug("bench").unwrap().unwrap().id;
    let org = bench.store.org(org_id);
    let now = OffsetDateTime::now_utc();
    let member = org
        .create_user(
            NewUser {
                username: "busy".to_owned(),
                name: "Busy Member".to_owned(),
                password_hash: Some(tocsin::auth::password::hash(PASSWORD).unwrap()),
                roles: vec!["member".to_owned()],
                ..NewUser::default()
            },
            now,
        )
        .unwrap();
    let started = Instant::now();
    // The last half year, a few an hour.
    let first = now - time::Duration::days(180);
    let spacing = time::Duration::seconds(180 * 24 * 3600 / alerts.max(1) as i64);
    history::seed_alerts(&org, &[member.id], alerts, 1, first, spacing);
    println!(
        "tocsin feed benchmark: a member with {alerts} alerts (written in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let agent = bench.agent();
    let url = |path: &str| format!("https://{}{path}", bench.addr);
    let (cookie, _) = support::log_in(&agent, bench.addr, "busy");
    let mut took = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let sent = Instant::now();
        let list: serde_json::Value = agent
            .get(&url("/api/v1/me/alerts"))
            .set("Cookie", &cookie)
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        took.push(sent.elapsed());
        assert_eq!(list["alerts"].as_array().unwrap().len(), 50);
    }
    report("GET /api/v1/me/alerts (goal p99 20 ms)", &mut took);
}
