//! The appliance at a customer's size, measured from outside. The store is
//! seeded directly (fast): BENCH_USERS people (100,000) in BENCH_ORGS
//! organisations (4), their groups, a session for each live member, and a
//! year of alerts (BENCH_HISTORY_ALERTS, 730, each to 500 people). Then the
//! real `tocsin` binary serves that store in a process of its own, so its
//! memory and CPU are its own, and the clients here talk HTTPS to it:
//! - ready: from spawning the daemon to READY, first on the seeded store
//!   and again after a SIGKILL at the end;
//! - accept, durably (flushed before the 202), an alert to
//!   BENCH_RECIPIENTS (10,000) people on 3 channels, BENCH_ROUNDS (10) times;
//! - from the 202 until BENCH_MEMBERS (5,000) members connected to their
//!   live streams each have an alert, 3 times; the server's peak RSS.
//!
//! BENCH_DAEMON_LOG=1 shows the daemon's log (RUST_LOG, default warn).
//!
//! Goals (issue 23): accept p99 ≤ 250 ms; live p99 ≤ 1 s for 5,000 members
//! and ≤ 2 s for 20,000 with the server's RSS ≤ 1 GiB; ready after SIGKILL
//! with a million records ≤ 5 s. Every live member holds an open file here
//! and one in the daemon: a machine that caps a process at 20,000 open
//! files (as containers often do) runs at most about 19,500 members.
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

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_number, report, PASSWORD};
use time::OffsetDateTime;
use tocsin::ids::Id;
use tocsin::store::{DeviceRecord, NewGroup, NewUser, SessionRecord, SessionStage, Store};

const HISTORY_PER_ALERT: usize = 500;

struct Sizes {
    users: usize,
    orgs: usize,
    recipients: usize,
    members: usize,
    history: usize,
    rounds: usize,
}

fn main() {
    let sizes = Sizes {
        users: env_number("BENCH_USERS", 100_000),
        orgs: env_number("BENCH_ORGS", 4).max(1),
        recipients: env_number("BENCH_RECIPIENTS", 10_000),
        members: env_number("BENCH_MEMBERS", 5_000),
        history: env_number("BENCH_HISTORY_ALERTS", 730),
        rounds: env_number("BENCH_ROUNDS", 10),
    };
    assert!(
        sizes.recipients + sizes.members <= sizes.users / sizes.orgs,
        "the first organisation holds the recipients and the live members"
    );
    // Every live member holds a connection here and one in the daemon.
    raise_open_files(2 * sizes.members as u64 + 4_096);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let started = Instant::now();
    let (key, cookies, records) = seed(&data.join("store"), &sizes);
    println!(
        "tocsin scale benchmark: {} users in {} organisations, {} records (a year of {} alerts to {HISTORY_PER_ALERT}) seeded in {:.1} s",
        sizes.users,
        sizes.orgs,
        records,
        sizes.history,
        started.elapsed().as_secs_f64()
    );

    let mut daemon = Daemon::configure(dir.path(), &data);
    let ready = daemon.start();
    println!(
        "ready on the seeded store: {:.2} s (daemon pid {})",
        ready.as_secs_f64(),
        daemon.pid()
    );
    let tls = support::client_tls(&data);
    let agent = ureq::AgentBuilder::new().tls_config(tls.clone()).build();
    let addr = daemon.addr;

    let mut accept = Vec::new();
    for round in 0..sizes.rounds {
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
        assert_eq!(body["recipients"].as_u64(), Some(sizes.recipients as u64));
        // Each round starts on an idle appliance: the dispatcher first works
        // off the last round's SMS and email deliveries (failed at once: no
        // modem, no relay).
        wait_outbox_empty(&agent, addr, &key);
    }
    report(
        &format!("accept {} x 3 (202, flushed)", sizes.recipients),
        &mut accept,
    );

    let reach = live_reach(addr, &key, tls, cookies);
    report(
        &format!("202 → on {} member streams", sizes.members),
        &mut reach.clone(),
    );
    let (peak, now) = daemon.memory_kib();
    println!(
        "server memory: peak {} MiB, now {} MiB (its own process)",
        peak / 1024,
        now / 1024
    );

    daemon.kill9();
    let again = daemon.start();
    println!("ready after SIGKILL: {:.2} s", again.as_secs_f64());
    let answered = Instant::now();
    let health = agent
        .get(&format!("https://{}/healthz", daemon.addr))
        .call()
        .map(|r| r.status())
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(code, _) => code,
            other => panic!("{other}"),
        });
    println!(
        "first HTTPS answer after READY: {:.1} ms (HTTP {health})",
        answered.elapsed().as_secs_f64() * 1000.0
    );
    daemon.kill9();
}

/// Raises this process's open-file limit (its children inherit it), as the
/// systemd unit's LimitNOFILE does for the daemon.
fn raise_open_files(wanted: u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    let limit = wanted.max(65_536);
    if setrlimit(Resource::RLIMIT_NOFILE, limit, limit.max(hard)).is_err() {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    }
}

/// Seeds the store and closes it: the API key, the live members' session
/// cookies and how many records the store holds.
fn seed(path: &Path, sizes: &Sizes) -> (String, Vec<String>, usize) {
    let store = Store::open(path).unwrap();
    let clock = tocsin::clock::system();
    let now = OffsetDateTime::now_utc();
    let hash = tocsin::auth::password::hash(PASSWORD).unwrap();
    let per_org = sizes.users / sizes.orgs;
    let mut key = String::new();
    let mut cookies = Vec::with_capacity(sizes.members);
    for o in 0..sizes.orgs {
        let slug = format!("org{o}");
        tocsin::provisioning::create_admin(&store, &clock, &slug, "admin", PASSWORD).unwrap();
        let org_id = store.org_by_slug(&slug).unwrap().unwrap().id;
        let org = store.org(org_id);
        let mut users = Vec::with_capacity(per_org);
        for i in 0..per_org {
            let user = org
                .create_user(
                    NewUser {
                        username: format!("member-{i}"),
                        name: format!("Member {o}-{i}"),
                        phones: vec![format!("+3584{o}{i:07}")],
                        email: Some(format!("member{i}@org{o}.example")),
                        password_hash: Some(hash.clone()),
                        roles: vec!["member".to_owned()],
                        ..NewUser::default()
                    },
                    now,
                )
                .unwrap();
            users.push(user.id);
        }
        let live = if o == 0 {
            let mut settings = store.get_org(org_id).unwrap().unwrap().settings;
            settings.max_automated_alerts_per_minute = 10_000;
            store.set_org_settings(org_id, &settings).unwrap();
            key =
                tocsin::provisioning::create_api_key(&store, &clock, &slug, "bench", "admin", None)
                    .unwrap();
            let everyone = users[..sizes.recipients].to_vec();
            let live = users[sizes.recipients..sizes.recipients + sizes.members].to_vec();
            for (name, members) in [("everyone", everyone), ("live", live.clone())] {
                org.create_group(
                    NewGroup {
                        name: name.into(),
                        members,
                    },
                    now,
                )
                .unwrap();
            }
            live
        } else {
            Vec::new()
        };
        for user in live {
            cookies.push(session(&org, user, now));
        }
        // The year's alerts went to the others: the live members' streams
        // carry only what is measured.
        if o == 0 && sizes.history > 0 {
            let mut past = users[..sizes.recipients].to_vec();
            past.extend_from_slice(&users[sizes.recipients + sizes.members..]);
            let first = now - time::Duration::days(365);
            let spacing = time::Duration::seconds(365 * 24 * 3600 / sizes.history as i64);
            history::seed_alerts(
                &org,
                &past,
                sizes.history,
                HISTORY_PER_ALERT,
                first,
                spacing,
            );
        }
    }
    store.flush_blocking().unwrap();
    let records = store.record_count();
    (key, cookies, records)
}

/// A device and a signed-in session for `user`, minted directly: logging
/// thousands of people in through argon2 would measure password hashing.
fn session(org: &tocsin::store::OrgStore, user: Id, now: OffsetDateTime) -> String {
    let issued = tocsin::auth::token::issue("session", org.org_id()).unwrap();
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
    org.put_device(&device).unwrap();
    org.put_session(&SessionRecord {
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
    issued.token
}

fn wait_outbox_empty(agent: &ureq::Agent, addr: std::net::SocketAddr, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let hw: serde_json::Value = agent
            .get(&format!("https://{addr}/api/v1/devices/hardware"))
            .set("Authorization", &format!("Bearer {key}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        let waiting: u64 = ["sms", "email"]
            .iter()
            .map(|c| hw["outbox"][c].as_u64().unwrap_or(0))
            .sum();
        if waiting == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the outbox never emptied: {hw}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Connects every member's live stream (one connection each, on one
/// runtime), then sends 3 alerts to them all: how long from each request
/// until each member's stream carried it.
fn live_reach(
    addr: std::net::SocketAddr,
    key: &str,
    tls: Arc<rustls::ClientConfig>,
    cookies: Vec<String>,
) -> Vec<Duration> {
    let members = cookies.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let connected = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel::<Instant>();
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    for cookie in cookies {
        let (connected, tx, connector) = (connected.clone(), tx.clone(), connector.clone());
        runtime.spawn(async move {
            // Thousands of handshakes at once overrun the server's handshake
            // queue; like a browser's EventSource, a member tries again.
            for attempt in 1..=30u64 {
                match follow(addr, &cookie, connector.clone(), &connected, tx.clone()).await {
                    Err(e) if !e.opened && attempt < 30 => {
                        tokio::time::sleep(Duration::from_millis(500 + 37 * (attempt * 7 % 31)))
                            .await;
                    }
                    Err(e) => {
                        eprintln!("a member's stream failed: {}", e.error);
                        return;
                    }
                    Ok(()) => return,
                }
            }
        });
    }
    let deadline =
        Instant::now() + Duration::from_secs(env_number("BENCH_CONNECT_SECONDS", 300) as u64);
    while connected.load(Ordering::Relaxed) < members {
        assert!(
            Instant::now() < deadline,
            "only {} of {members} streams connected",
            connected.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("{members} streams connected");
    let agent = ureq::AgentBuilder::new().tls_config(tls).build();
    let mut reach = Vec::with_capacity(3 * members);
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
        for _ in 0..members {
            let at = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("members did not all get the alert");
            reach.push(at.duration_since(sent));
        }
    }
    // The streams stay open until the runtime goes with this function.
    runtime.shutdown_background();
    reach
}

/// Why a member's stream ended, and whether it had opened first.
struct StreamError {
    opened: bool,
    error: std::io::Error,
}

/// One member's live stream: counts itself connected at the stream's
/// opening comment, then reports the arrival of every alert event.
async fn follow(
    addr: std::net::SocketAddr,
    cookie: &str,
    connector: tokio_rustls::TlsConnector,
    connected: &AtomicUsize,
    tx: std::sync::mpsc::Sender<Instant>,
) -> Result<(), StreamError> {
    let mut opened = false;
    follow_once(addr, cookie, connector, connected, tx, &mut opened)
        .await
        .map_err(|error| StreamError { opened, error })
}

async fn follow_once(
    addr: std::net::SocketAddr,
    cookie: &str,
    connector: tokio_rustls::TlsConnector,
    connected: &AtomicUsize,
    tx: std::sync::mpsc::Sender<Instant>,
    opened: &mut bool,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(
        format!(
            "GET /api/v1/me/alerts/stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {}={cookie}\r\n\r\n",
            tocsin::auth::session::COOKIE
        )
        .as_bytes(),
    )
    .await?;
    tls.flush().await?;
    // Chunked: each event is one chunk, so its lines arrive whole between
    // the chunk-size lines.
    let mut lines = tokio::io::BufReader::new(tls).lines();
    while let Some(line) = lines.next_line().await? {
        if line.starts_with(": connected") {
            *opened = true;
            connected.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    while let Some(line) = lines.next_line().await? {
        if line.starts_with("event: alert") && tx.send(Instant::now()).is_err() {
            break;
        }
    }
    Ok(())
}

/// The real daemon in a process of its own, on a config written here.
struct Daemon {
    config: PathBuf,
    notify: UnixDatagram,
    notify_path: PathBuf,
    child: Option<Child>,
    addr: std::net::SocketAddr,
    stderr: PathBuf,
}

impl Daemon {
    fn configure(dir: &Path, data: &Path) -> Daemon {
        let config = dir.join("tocsin.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = \"{}\"\n[http]\nlisten = \"127.0.0.1:0\"\nlogin_attempts_per_address = 100000\n[log]\ndir = \"{}\"\nkeep_days = 3\n",
                data.display(),
                dir.join("logs").display()
            ),
        )
        .unwrap();
        let notify_path = dir.join("notify.sock");
        Daemon {
            config,
            notify: UnixDatagram::bind(&notify_path).unwrap(),
            notify_path,
            child: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            stderr: dir.join("stderr.log"),
        }
    }

    /// Spawns the daemon; how long until it said READY.
    fn start(&mut self) -> Duration {
        // BENCH_DAEMON_LOG=1 shows the daemon's own log here.
        let stderr = if env_number("BENCH_DAEMON_LOG", 0) == 1 {
            Stdio::inherit()
        } else {
            Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.stderr)
                    .unwrap(),
            )
        };
        let spawned = Instant::now();
        self.child = Some(
            Command::new(env!("CARGO_BIN_EXE_tocsin"))
                .args(["serve", "--config"])
                .arg(&self.config)
                .env("NOTIFY_SOCKET", &self.notify_path)
                // As the systemd unit sets it.
                .env("MALLOC_ARENA_MAX", "2")
                .env_remove("WATCHDOG_USEC")
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
                )
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap(),
        );
        let mut buf = [0u8; 4096];
        self.notify
            .set_read_timeout(Some(Duration::from_secs(300)))
            .unwrap();
        loop {
            let n = self.notify.recv(&mut buf).unwrap_or_else(|e| {
                panic!(
                    "no READY from the daemon ({e}); stderr:\n{}",
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                )
            });
            let message = String::from_utf8_lossy(&buf[..n]).into_owned();
            if message.lines().any(|l| l == "READY=1") {
                let addr = message
                    .lines()
                    .find_map(|l| l.split("serving https on ").nth(1))
                    .unwrap();
                self.addr = addr.parse().unwrap();
                return spawned.elapsed();
            }
        }
    }

    /// The daemon's peak and current resident memory, in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let pid = self.child.as_ref().unwrap().id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    /// A bench that fails half-way leaves no daemon behind.
    fn drop(&mut self) {
        self.kill9();
    }
}
