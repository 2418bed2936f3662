//! Alert engine figures on the real server over TLS, in one process:
//! - how long `POST /api/v1/alerts` takes to accept, durably, an alert to
//!   10,000 recipients on 3 channels (30,000 deliveries);
//! - how long from that request until 5,000 members connected to their live
//!   app streams each have the alert;
//! - the process's peak memory (server and all clients together).
//!
//! BENCH_RECIPIENTS, BENCH_MEMBERS and BENCH_ROUNDS tune it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::indexing_slicing
)]

mod support;

use std::io::{BufRead, BufReader};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};
use support::{env_number, report, Bench, PASSWORD};
use time::OffsetDateTime;
use tocsin::ids::Id;
use tocsin::store::{Channel, DeviceRecord, NewGroup, NewUser, SessionRecord, SessionStage, Store};

fn main() {
    let recipients = env_number("BENCH_RECIPIENTS", 10_000);
    let members = env_number("BENCH_MEMBERS", 5_000);
    let rounds = env_number("BENCH_ROUNDS", 10);
    let bench = Bench::start();
    let (addr, key, store, tls) = (
        bench.addr,
        bench.key.clone(),
        bench.store.clone(),
        bench.tls.clone(),
    );
    let agent = bench.agent();
    let org = store.org_by_slug("bench").unwrap().unwrap().id;
    // One integration sends every alert here; the rate guard would stop it.
    let mut settings = store.get_org(org).unwrap().unwrap().settings;
    settings.max_automated_alerts_per_minute = 10_000;
    store.set_org_settings(org, &settings).unwrap();

    let started = Instant::now();
    let cookies = seed(&store, org, recipients, members);
    println!(
        "tocsin alert benchmark: {recipients} recipients x 3 channels, {members} live app members, {rounds} rounds (setup {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    // Accepting a big alert: durable before the 202.
    let mut accept = Vec::new();
    for round in 0..rounds {
        let sent = Instant::now();
        let response = agent
            .post(&format!("https://{addr}/api/v1/alerts"))
            .set("Authorization", &format!("Bearer {key}"))
            .send_json(serde_json::json!({
                "title": format!("Big alert {round}"), "severity": "warning",
                "channels": ["app", "sms", "email"], "recipients": {"groups": ["everyone"]},
            }))
            .unwrap();
        accept.push(sent.elapsed());
        let body: serde_json::Value = response.into_json().unwrap();
        assert_eq!(body["recipients"].as_u64(), Some(recipients as u64));
        // Each round starts on an idle appliance: the dispatcher first works
        // off the last round's 20,000 SMS and email deliveries.
        while [Channel::Sms, Channel::Email]
            .iter()
            .any(|c| store.outbox_depth(*c) > 0)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    report(
        &format!("accept {recipients} x 3 (202, flushed)"),
        &mut accept,
    );

    // 5,000 members on their live streams.
    let (tx, rx) = mpsc::channel::<(usize, Instant)>();
    let connected = Arc::new(Barrier::new(members + 1));
    for (i, cookie) in cookies.into_iter().enumerate() {
        let tx = tx.clone();
        let connected = connected.clone();
        let agent = ureq::AgentBuilder::new()
            .tls_config(tls.clone())
            .timeout_read(Duration::from_secs(120))
            .build();
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                let response = agent
                    .get(&format!("https://{addr}/api/v1/me/alerts/stream"))
                    .set("Cookie", &format!("tocsin_session={cookie}"))
                    .call()
                    .unwrap();
                let mut lines = BufReader::new(response.into_reader()).lines();
                // The stream opens with a comment; then this member is live.
                for line in lines.by_ref() {
                    if line.unwrap().starts_with(": connected") {
                        break;
                    }
                }
                connected.wait();
                for line in lines {
                    let Ok(line) = line else { return };
                    if line.starts_with("event: alert") && tx.send((i, Instant::now())).is_err() {
                        return;
                    }
                }
            })
            .unwrap();
    }
    connected.wait();
    println!("{members} streams connected");
    let mut reach = Vec::new();
    for round in 0..3 {
        let sent = Instant::now();
        agent
            .post(&format!("https://{addr}/api/v1/alerts"))
            .set("Authorization", &format!("Bearer {key}"))
            .send_json(serde_json::json!({
                "title": format!("Live {round}"), "severity": "critical",
                "channels": ["app"], "recipients": {"groups": ["live"]},
            }))
            .unwrap();
        let mut got = 0;
        while got < members {
            let (_, at) = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("members did not all get the alert");
            reach.push(at.duration_since(sent));
            got += 1;
        }
    }
    report(&format!("202 → on {members} member streams"), &mut reach);
    println!(
        "peak memory (server and clients): {} MiB",
        peak_rss_kib() / 1024
    );
    // 5,000 stream threads are still blocked reading: leave without joining them.
    drop(bench);
    std::process::exit(0);
}

/// Users with accounts, a group of all, a group of the live members, and a
/// session per live member (minted directly: logging 5,000 people in through
/// argon2 would measure password hashing).
fn seed(store: &Store, org: Id, recipients: usize, members: usize) -> Vec<String> {
    let handle = store.org(org);
    let now = OffsetDateTime::now_utc();
    let hash = tocsin::auth::password::hash(PASSWORD).unwrap();
    let mut ids = Vec::with_capacity(recipients);
    for i in 0..recipients {
        let user = handle
            .create_user(
                NewUser {
                    username: format!("member-{i}"),
                    name: format!("Member {i}"),
                    phones: vec![format!("+35840{i:07}")],
                    email: Some(format!("member{i}@bench.example")),
                    password_hash: Some(hash.clone()),
                    roles: vec!["member".to_owned()],
                    ..NewUser::default()
                },
                now,
            )
            .unwrap();
        ids.push(user.id);
    }
    handle
        .create_group(
            NewGroup {
                name: "everyone".into(),
                members: ids.clone(),
            },
            now,
        )
        .unwrap();
    // The live members are other people, so their feeds hold only the live
    // alerts and each event seen is the one being measured.
    let mut live = Vec::with_capacity(members);
    for i in 0..members {
        let user = handle
            .create_user(
                NewUser {
                    username: format!("live-{i}"),
                    name: format!("Live member {i}"),
                    password_hash: Some(hash.clone()),
                    roles: vec!["member".to_owned()],
                    ..NewUser::default()
                },
                now,
            )
            .unwrap();
        live.push(user.id);
    }
    handle
        .create_group(
            NewGroup {
                name: "live".into(),
                members: live.clone(),
            },
            now,
        )
        .unwrap();
    let mut cookies = Vec::with_capacity(members);
    for user in live {
        let issued = tocsin::auth::token::issue("session", org).unwrap();
        let device = DeviceRecord {
            id: Id::new(),
            user_id: user,
            name: "bench".into(),
            platform: "bench".into(),
            created_at: now,
            last_seen_at: now,
            blocked_at: None,
            wipe_requested_at: None,
            wipe_delivered_at: None,
        };
        handle.put_device(&device).unwrap();
        handle
            .put_session(&SessionRecord {
                id: issued.id,
                user_id: user,
                device_id: device.id,
                secret_sha256: issued.secret_sha256,
                csrf_token: String::new(),
                stage: SessionStage::Full,
                created_at: now,
                last_seen_at: now,
                source: None,
                user_agent: None,
            })
            .unwrap();
        cookies.push(issued.token);
    }
    store.flush_blocking().unwrap();
    cookies
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
