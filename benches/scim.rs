//! SCIM provisioning over real TLS in one process on loopback: user
//! creations per second, and a full sync of 10,000 users the way an identity
//! provider does it (look the user up by `userName`, create when absent),
//! followed by one group holding them all, its members added 500 at a time.
//! Prints figures; asserts only that every request succeeded.
//!
//! BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 8) and
//! BENCH_SCIM_USERS (default 10000) tune the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_number, Bench};

const SCIM: &str = "application/scim+json";

fn user(name: &str, n: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@example.fi"),
        "externalId": format!("ext-{name}"),
        "displayName": format!("Bench User {n}"),
        "emails": [{"value": format!("{name}@example.fi"), "type": "work", "primary": true}],
        "phoneNumbers": [{"value": format!("+35840{:07}", n % 10_000_000), "type": "mobile"}],
        "preferredLanguage": "fi-FI",
        "active": true
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

fn main() {
    let seconds = env_number("BENCH_SECONDS", 5) as u64;
    let connections = env_number("BENCH_CONNECTIONS", 8);
    let users = env_number("BENCH_SCIM_USERS", 10_000);
    let bench = Bench::start();
    let base = format!("https://{}/scim/v2", bench.addr);
    let auth = format!("Bearer {}", bench.key);
    println!("tocsin SCIM benchmark: {connections} keep-alive connections, TLS 1.3, loopback");

    // Creations per second, each flushed before it is answered.
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let agent = bench.agent();
                let counter = counter.clone();
                let (base, auth) = (&base, &auth);
                s.spawn(move || {
                    let mut times = Vec::new();
                    while Instant::now() < deadline {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let at = Instant::now();
                        let response = agent
                            .post(&format!("{base}/Users"))
                            .set("Authorization", auth)
                            .set("Content-Type", SCIM)
                            .send_string(&user(&format!("rate{n}"), n).to_string())
                            .unwrap();
                        assert_eq!(response.status(), 201);
                        times.push(at.elapsed());
                    }
                    times
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "POST /scim/v2/Users (flushed): {:.0} creations/s, p50 {:.1} ms, p99 {:.1} ms ({} in {elapsed:.1} s)",
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    );

    // A full sync: look up, create, then one group with everyone.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut ids: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let agent = bench.agent();
                let next = next.clone();
                let (base, auth) = (&base, &auth);
                s.spawn(move || {
                    let mut ids = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= users {
                            return ids;
                        }
                        let name = format!("sync{n}");
                        let found: Value = agent
                            .get(&format!("{base}/Users"))
                            .query("filter", &format!("userName eq \"{name}@example.fi\""))
                            .set("Authorization", auth)
                            .call()
                            .unwrap()
                            .into_json()
                            .unwrap();
                        assert_eq!(found["totalResults"], 0);
                        let created: Value = agent
                            .post(&format!("{base}/Users"))
                            .set("Authorization", auth)
                            .set("Content-Type", SCIM)
                            .send_string(&user(&name, n).to_string())
                            .unwrap()
                            .into_json()
                            .unwrap();
                        ids.push(created["id"].as_str().unwrap().to_owned());
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let users_done = started.elapsed();
    ids.sort();
    let agent = bench.agent();
    let group: Value = agent
        .post(&format!("{base}/Groups"))
        .set("Authorization", &auth)
        .set("Content-Type", SCIM)
        .send_string(&json!({"displayName": "Everyone"}).to_string())
        .unwrap()
        .into_json()
        .unwrap();
    // Members go in batches, as providers send them: a request body is
    // capped, and 10,000 ids in one would pass the cap.
    let group = format!("{base}/Groups/{}", group["id"].as_str().unwrap());
    for batch in ids.chunks(500) {
        let members: Vec<Value> = batch.iter().map(|id| json!({"value": id})).collect();
        let patched = agent
            .request("PATCH", &group)
            .set("Authorization", &auth)
            .set("Content-Type", SCIM)
            .send_string(
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "add", "path": "members", "value": members}]})
                .to_string(),
            )
            .unwrap();
        assert_eq!(patched.status(), 200);
    }
    let total = started.elapsed();
    let listed: Value = agent
        .get(&format!("{base}/Users"))
        .query("filter", "userName sw \"sync\"")
        .query("count", "1")
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(listed["totalResults"], users);
    println!(
        "full sync of {users} users (lookup + create each, then one group of all in batches of 500): {:.1} s ({:.0} users/s; users {:.1} s, group {:.1} s)",
        total.as_secs_f64(),
        users as f64 / total.as_secs_f64(),
        users_done.as_secs_f64(),
        (total - users_done).as_secs_f64()
    );
}
