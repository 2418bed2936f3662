//! Place figures over BENCH_PLACES_MEMBERS (100,000) members with positions
//! scattered over 40 × 40 km around Helsinki:
//! - resolving an area (a 1 km circle and a polygon) as the send summary
//!   does, over HTTPS: p50 and p99 of BENCH_PLACES_ROUNDS (50) requests;
//! - positions written per second: straight to the store, and through
//!   `POST /api/v1/me/location` by eight members' apps at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod support;

use serde_json::json;
use std::time::Instant;
use support::{env_number, Bench, PASSWORD};
use tocsin::store::{NewUser, Position};

const CENTRE: (f64, f64) = (60.1699, 24.9384);

fn main() {
    let members = env_number("BENCH_PLACES_MEMBERS", 100_000);
    let rounds = env_number("BENCH_PLACES_ROUNDS", 50);
    let bench = Bench::start();
    let org_id = bench.store.org_by_slug("bench").unwrap().unwrap().id;
    let org = bench.store.org(org_id);
    let mut settings = bench.store.get_org(org_id).unwrap().unwrap().settings;
    settings.location_policy = tocsin::store::LocationPolicy::Duty;
    bench.store.set_org_settings(org_id, &settings).unwrap();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(members);
    for i in 0..members {
        let user = org
            .create_user(
                NewUser {
                    username: format!("m{i}"),
                    name: format!("Member {i}"),
                    phones: Vec::new(),
                    email: None,
                    tetra_issi: None,
                    language: None,
                    channels: Vec::new(),
                    roles: vec!["member".to_owned()],
                    password_hash: None,
                    must_change_password: false,
                    groups: Vec::new(),
                },
                time::OffsetDateTime::now_utc(),
            )
            .unwrap();
        ids.push(user.id);
    }
    println!(
        "places: {members} members made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A fixed scatter (a linear congruential walk), so runs compare.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let now = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    for id in &ids {
        org.set_position(&Position {
            user: *id,
            lat: CENTRE.0 + (next() - 0.5) * 0.36,
            lon: CENTRE.1 + (next() - 0.5) * 0.72,
            accuracy_m: 10.0,
            at: now,
        })
        .unwrap();
    }
    bench.store.flush_blocking().unwrap();
    let took = started.elapsed().as_secs_f64();
    println!(
        "places: {members} positions written to the store in {took:.1} s = {:.0}/s",
        members as f64 / took
    );

    let agent = bench.agent();
    let url = |path: &str| format!("https://{}{path}", bench.addr);
    let auth = format!("Bearer {}", bench.key);
    let circle = json!({"circle": {"lat": CENTRE.0, "lon": CENTRE.1, "radius_m": 1000}});
    let polygon = json!({"polygon": [[24.90, 60.15], [24.98, 60.15], [24.98, 60.19], [24.94, 60.17], [24.90, 60.19]]});
    for (name, area) in [("1 km circle", circle), ("5-corner polygon", polygon)] {
        let mut times = Vec::with_capacity(rounds);
        let mut inside = 0;
        for _ in 0..rounds {
            let started = Instant::now();
            let r: serde_json::Value = agent
                .post(&url("/api/v1/areas/count"))
                .set("Authorization", &auth)
                .send_json(json!({"area": area, "seen_within_minutes": 60}))
                .unwrap()
                .into_json()
                .unwrap();
            times.push(started.elapsed());
            inside = r["count"].as_u64().unwrap();
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "places: resolving a {name} over {members} members ({inside} inside): p50 {:.0} ms, p99 {:.0} ms (goal: p99 under 1000 ms)",
            at(0.5).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0
        );
    }

    // Apps reporting: eight members on duty, each posting as fast as it can.
    let per_app = 200;
    let apps: Vec<String> = (0..8).map(|i| format!("app{i}")).collect();
    for name in &apps {
        let r = agent
            .post(&url("/api/v1/users"))
            .set("Authorization", &auth)
            .send_json(
                json!({"username": name, "name": name, "password": PASSWORD, "roles": ["member"]}),
            )
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let started = Instant::now();
    std::thread::scope(|scope| {
        for name in &apps {
            let agent = bench.agent();
            scope.spawn(move || {
                let (cookie, csrf) = support::log_in(&agent, bench.addr, name);
                agent
                    .request("PATCH", &url("/api/v1/me"))
                    .set("Cookie", &cookie)
                    .set("X-CSRF-Token", &csrf)
                    .send_json(json!({"on_duty": true}))
                    .unwrap();
                let from = Instant::now();
                for i in 0..per_app {
                    let r = agent
                        .post(&url("/api/v1/me/location"))
                        .set("Cookie", &cookie)
                        .set("X-CSRF-Token", &csrf)
                        .send_json(json!({"lat": CENTRE.0 + i as f64 * 1e-5, "lon": CENTRE.1, "accuracy_m": 8}))
                        .unwrap();
                    assert_eq!(r.status(), 204);
                }
                from.elapsed()
            });
        }
    });
    let took = started.elapsed().as_secs_f64();
    let total = per_app * apps.len();
    println!(
        "places: {total} positions from 8 apps over HTTPS in {took:.1} s = {:.0}/s (logins included; each flushed to disk before 204)",
        total as f64 / took
    );
}
