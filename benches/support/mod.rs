//! What both benchmarks need: the real daemon in this process with an
//! organisation, its admin and an API key, and a TLS client that trusts it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use tocsin::config::Config;
use tocsin::daemon::Daemon;
use tocsin::store::Store;

pub const PASSWORD: &str = "violet tractor ladder 42 umbrella";

/// A simulated EC25 at `link` as the appliance's config names it, with the
/// SIM's own send limit out of the way: that is not what is measured.
pub fn ec25(name: &str, link: &std::path::Path) -> tocsin::config::ModemConfig {
    let profile = tocsin::hw::gsm::profile::load("quectel-ec25", None).unwrap();
    tocsin::config::ModemConfig {
        name: name.to_owned(),
        device: link.to_owned(),
        baud: 115_200,
        profile_name: "quectel-ec25".to_owned(),
        profile,
        sim_pin: None,
        voice: true,
    }
}

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A running appliance with organisation "bench", admin "admin" and an
/// admin API key. Dropping it stops the daemon.
pub struct Bench {
    // Fields drop in this order: the daemon stops before its store handle
    // and its directory go.
    running: Running,
    pub addr: SocketAddr,
    pub key: String,
    pub store: Store,
    pub tls: Arc<rustls::ClientConfig>,
    pub dir: tempfile::TempDir,
}

/// The daemon's thread; dropping it stops the daemon.
struct Running {
    stop: Option<mpsc::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl Bench {
    pub fn start() -> Bench {
        Self::start_with(|_, _| {})
    }

    /// Like [`Bench::start`], with the config changed first (given the data
    /// directory, e.g. for simulated devices' links).
    pub fn start_with(change: impl FnOnce(&mut Config, &std::path::Path)) -> Bench {
        Self::start_in(tempfile::tempdir().unwrap(), change)
    }

    /// Like [`Bench::start_with`], in a data directory an earlier bench left
    /// (see [`Bench::stop`]): its organisation and admin are kept, and a new
    /// API key is made.
    pub fn start_in(
        dir: tempfile::TempDir,
        change: impl FnOnce(&mut Config, &std::path::Path),
    ) -> Bench {
        let mut config = Config::for_demo(dir.path(), "127.0.0.1:0".parse().unwrap());
        change(&mut config, dir.path());
        // One address makes every request here; the per-address login limit
        // would measure itself instead of the login.
        config.http.login_attempts_per_address = 100_000;
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let clock = tocsin::clock::system();
                let daemon = Daemon::start(&config, clock.clone()).await.unwrap();
                let store = daemon.store().clone();
                if store.org_by_slug("bench").unwrap().is_none() {
                    tocsin::provisioning::create_admin(&store, &clock, "bench", "admin", PASSWORD)
                        .unwrap();
                }
                let key = tocsin::provisioning::create_api_key(
                    &store, &clock, "bench", "bench", "admin", None,
                )
                .unwrap();
                ready_tx.send((daemon.local_addr(), key, store)).unwrap();
                let _ = actix_web::rt::task::spawn_blocking(move || stop_rx.recv()).await;
                daemon.stop().await.unwrap();
            });
        });
        let (addr, key, store) = ready_rx.recv().unwrap();
        let tls = client_tls(dir.path());
        Bench {
            running: Running {
                stop: Some(stop_tx),
                server: Some(server),
            },
            addr,
            key,
            store,
            tls,
            dir,
        }
    }

    /// Stops the daemon and hands back its data directory once the store in
    /// it can be opened again (threads holding it end after the daemon).
    pub fn stop(self) -> tempfile::TempDir {
        let Bench {
            running,
            store,
            dir,
            ..
        } = self;
        drop(running);
        drop(store);
        let path = dir.path().join("store");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while let Err(e) = Store::open(&path) {
            assert!(
                std::time::Instant::now() < deadline,
                "the store stays locked after the daemon stopped: {e}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        dir
    }

    /// Waits until `count` devices say they are ready.
    pub fn wait_devices_ready(&self, count: usize) {
        let agent = self.agent();
        let url = format!("https://{}/api/v1/devices/hardware", self.addr);
        let auth = format!("Bearer {}", self.key);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let hw: serde_json::Value = agent
                .get(&url)
                .set("Authorization", &auth)
                .call()
                .unwrap()
                .into_json()
                .unwrap();
            let ready = hw["devices"]
                .as_array()
                .map_or(0, |d| d.iter().filter(|d| d["state"] == "ready").count());
            if ready >= count {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "devices not ready: {hw}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    pub fn agent(&self) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .tls_config(self.tls.clone())
            .build()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

/// A TLS client that trusts the appliance's own certificate in `data_dir`.
pub fn client_tls(data_dir: &std::path::Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let (cert, _) = tocsin::web::tls::self_signed_paths(data_dir);
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// Prints p50, p99 and max of `samples` (sorting them) under `name`.
pub fn report(name: &str, samples: &mut [std::time::Duration]) {
    samples.sort();
    let pick = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<36} n={:<6} p50 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms",
        samples.len(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
}

/// Logs `username` of organisation "bench" in; their session cookie
/// (`tocsin_session=…`) and CSRF token.
pub fn log_in(agent: &ureq::Agent, addr: SocketAddr, username: &str) -> (String, String) {
    let response = agent
        .post(&format!("https://{addr}/api/v1/session"))
        .send_json(serde_json::json!({"org": "bench", "username": username, "password": PASSWORD}))
        .unwrap();
    let cookie = response
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let login: serde_json::Value = response.into_json().unwrap();
    let csrf = login["csrf_token"].as_str().unwrap_or_default().to_owned();
    (cookie, csrf)
}
