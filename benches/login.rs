//! The login path under a burst of guesses: how many of them reach argon2
//! (a 401 means the password was checked; a 429 means the guess was stopped
//! before). Three bursts of 60 wrong passwords at once, each request from its
//! own TCP connection:
//! - at one account from 60 addresses (a botnet on one dispatcher),
//! - at one account from one address,
//! - at 60 accounts from 60 addresses (spraying), where only argon2's own
//!   cost limits the rate.
//!
//! Then the account's own device logs in during the lock.
//! Prints figures; asserts nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/integration/loopback.rs"]
mod loopback;
mod support;

use serde_json::json;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use support::{Bench, PASSWORD};

const BURST: usize = 60;

fn main() {
    let bench = Bench::start();
    let agent = bench.agent();
    let base = format!("https://{}", bench.addr);
    let users: Vec<String> = (0..=BURST).map(|i| format!("user{i}")).collect();
    for name in &users {
        let created = agent
            .post(&format!("{base}/api/v1/users"))
            .set("Authorization", &format!("Bearer {}", bench.key))
            .send_json(
                json!({"username": name, "name": name, "password": PASSWORD, "roles": ["member"]}),
            );
        assert!(created.is_ok(), "{name}: {created:?}");
    }
    // The target's own device: logged in once before the attack.
    let first = login(
        &bench,
        "127.0.0.1".parse().unwrap(),
        "user0",
        PASSWORD,
        None,
    );
    assert_eq!(first.0, 200, "{}", first.1);
    let device = serde_json::from_str::<serde_json::Value>(&first.1).unwrap()["device"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    println!("tocsin login burst benchmark: {BURST} wrong passwords at once, TLS 1.3, loopback");
    println!(
        "{:<44} {:>8} {:>8} {:>9} {:>12}",
        "burst", "argon2", "stopped", "seconds", "argon2/s"
    );
    burst(&bench, "one account, 60 addresses", |i| {
        (format!("127.0.10.{}", i + 1), "user0".to_owned())
    });
    burst(&bench, "one account, one address", |_| {
        ("127.0.11.1".to_owned(), "user1".to_owned())
    });
    burst(&bench, "60 accounts, 60 addresses", |i| {
        (format!("127.0.12.{}", i + 1), format!("user{}", i + 1))
    });

    let stranger = login(
        &bench,
        "127.0.13.1".parse().unwrap(),
        "user0",
        PASSWORD,
        None,
    );
    let own = login(
        &bench,
        "127.0.13.2".parse().unwrap(),
        "user0",
        PASSWORD,
        Some(&device),
    );
    println!(
        "during the lock, the right password: from a new device {}, from the user's own device {}",
        stranger.0, own.0
    );
}

fn burst(bench: &Bench, label: &str, who: impl Fn(usize) -> (String, String) + Sync) {
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..BURST)
            .map(|i| {
                let who = &who;
                scope.spawn(move || {
                    let (address, user) = who(i);
                    login(
                        bench,
                        address.parse().unwrap(),
                        &user,
                        "a wrong guess",
                        None,
                    )
                    .0
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let took = started.elapsed();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let stopped = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + stopped, BURST, "{statuses:?}");
    println!(
        "{label:<44} {checked:>8} {stopped:>8} {:>9.2} {:>12.1}",
        took.as_secs_f64(),
        checked as f64
            / took
                .as_secs_f64()
                .max(Duration::from_millis(1).as_secs_f64())
    );
}

fn login(
    bench: &Bench,
    source: IpAddr,
    username: &str,
    password: &str,
    device: Option<&str>,
) -> (u16, String) {
    let (status, _, body) = loopback::request_from(
        source,
        bench.addr,
        bench.tls.clone(),
        "POST",
        "/api/v1/session",
        Some(
            &json!({"org": "bench", "username": username, "password": password, "device_id": device}),
        ),
    );
    (status, body)
}
