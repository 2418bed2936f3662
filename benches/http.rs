//! HTTP throughput and latency of the real server over real TLS, in one process
//! on loopback: `/healthz`, an authenticated JSON read, and a durable write.
//! Prints requests per second and latency percentiles; asserts nothing.
//!
//! BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 8) tune the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_number, Bench, PASSWORD};

struct Target {
    addr: std::net::SocketAddr,
    key: String,
    tls: Arc<rustls::ClientConfig>,
}

fn main() {
    let seconds = env_number("BENCH_SECONDS", 5) as u64;
    let connections = env_number("BENCH_CONNECTIONS", 8);
    let bench = Bench::start();
    let target = Arc::new(Target {
        addr: bench.addr,
        key: bench.key.clone(),
        tls: bench.tls.clone(),
    });

    println!("tocsin HTTP benchmark: {connections} keep-alive connections, {seconds} s per scenario, TLS 1.3, loopback");
    println!(
        "{:<34} {:>10} {:>9} {:>9} {:>9}",
        "scenario", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    run(
        &target,
        "GET /healthz",
        connections,
        seconds,
        |agent, t, _| {
            agent
                .get(&format!("https://{}/healthz", t.addr))
                .call()
                .map(|r| r.status())
                .map_err(describe)
        },
    );
    run(
        &target,
        "GET /api/v1/users/admin (API key)",
        connections,
        seconds,
        |agent, t, _| {
            agent
                .get(&format!("https://{}/api/v1/users/admin", t.addr))
                .set("Authorization", &format!("Bearer {}", t.key))
                .call()
                .map(|r| r.status())
                .map_err(describe)
        },
    );
    let counter = Arc::new(AtomicUsize::new(0));
    run(
        &target,
        "POST /api/v1/users (flushed)",
        connections,
        seconds,
        move |agent, t, worker| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            agent
            .post(&format!("https://{}/api/v1/users", t.addr))
            .set("Authorization", &format!("Bearer {}", t.key))
            .send_json(serde_json::json!({"username": format!("u{worker}-{n}"), "name": "Bench User", "phones": ["+358401234567"]}))
            .map(|r| r.status()).map_err(describe)
        },
    );

    run(
        &target,
        "POST /api/v1/session (login)",
        connections,
        seconds,
        |agent, t, _| {
            agent
                .post(&format!("https://{}/api/v1/session", t.addr))
                .send_json(
                    serde_json::json!({"org": "bench", "username": "admin", "password": PASSWORD}),
                )
                .map(|r| r.status())
                .map_err(describe)
        },
    );

    let started = Instant::now();
    let hash = tocsin::auth::password::hash("a long enough password").unwrap();
    let hash_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    assert!(tocsin::auth::password::verify(
        &hash,
        "a long enough password"
    ));
    let verify_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "argon2id m={} KiB t={} p={}: hash {hash_ms:.0} ms, verify {verify_ms:.0} ms",
        tocsin::auth::password::MEMORY_KIB,
        tocsin::auth::password::PASSES,
        tocsin::auth::password::LANES
    );
}

fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Status(code, response) => {
            format!("{code}: {}", response.into_string().unwrap_or_default())
        }
        other => other.to_string(),
    }
}

type Request = dyn Fn(&ureq::Agent, &Target, usize) -> Result<u16, String> + Send + Sync;

fn run(
    target: &Arc<Target>,
    name: &str,
    connections: usize,
    seconds: u64,
    request: impl Fn(&ureq::Agent, &Target, usize) -> Result<u16, String> + Send + Sync + 'static,
) {
    let request: Arc<Request> = Arc::new(request);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let target = target.clone();
            let request = request.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .tls_config(target.tls.clone())
                    .build();
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let status = request(&agent, &target, worker).unwrap();
                    assert!(status < 300, "status {status}");
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<34} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
        latencies.len() as f64 / elapsed,
        pick(0.50),
        pick(0.99),
        pick(1.0)
    );
}
