//! Runs the real appliance as a child process and talks to it like a customer
//! would: CLI commands, HTTPS requests, signals.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// The Python with the independent checkers from PyPI (scim2-tester,
/// capvalidator): the virtual environment `make unit` makes under target/.
pub fn checkers_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/checkers/bin/python");
    assert!(
        python.exists(),
        "{} is missing: `make unit` installs the checkers there",
        python.display()
    );
    python
}

pub fn tocsin(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

pub fn tocsin_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub struct Appliance {
    pub dir: TempDir,
    pub config: PathBuf,
    pub key: String,
    child: Option<Child>,
    pub addr: Option<SocketAddr>,
    notify: UnixDatagram,
    notify_path: PathBuf,
    pub env: Vec<(String, String)>,
    /// The daemon's last readiness notification.
    pub status: String,
}

impl Appliance {
    /// A configured appliance with organisation "acme", its admin and an admin
    /// API key, not yet started.
    pub fn new() -> Appliance {
        Self::for_org("acme")
    }

    pub fn for_org(org: &str) -> Appliance {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut appliance = Self::configured(dir, &data_dir, String::new());
        appliance.add_org(org);
        appliance.key = appliance.new_key(org, "admin");
        appliance
    }

    /// An appliance on a data directory made elsewhere (a restored backup),
    /// with an API key that directory's store already holds.
    pub fn on_data_dir(data_dir: &Path, key: &str) -> Appliance {
        Self::configured(tempfile::tempdir().unwrap(), data_dir, key.to_owned())
    }

    /// Writes the config (in `dir`, naming `data_dir`), not yet started.
    fn configured(dir: TempDir, data_dir: &Path, key: String) -> Appliance {
        let config = dir.path().join("tocsin.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = \"{data}\"\n[http]\nlisten = \"127.0.0.1:0\"\n[log]\ndir = \"{logs}\"\nkeep_days = 3\n",
                data = data_dir.display(),
                logs = dir.path().join("logs").display(),
            ),
        )
        .unwrap();
        let notify_path = dir.path().join("notify.sock");
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        Appliance {
            config,
            key,
            child: None,
            addr: None,
            notify,
            notify_path,
            env: Vec::new(),
            status: String::new(),
            dir,
        }
    }

    pub fn config_arg(&self) -> &str {
        self.config.to_str().unwrap()
    }

    pub fn add_org(&self, org: &str) {
        let out = tocsin_with_stdin(
            &[
                "admin",
                "create",
                "--config",
                self.config_arg(),
                "--org",
                org,
                "--username",
                "root",
                "--password-stdin",
            ],
            &format!("{ADMIN_PASSWORD}\n"),
        );
        assert!(out.status.success(), "admin create: {}", text(&out.stderr));
    }

    pub fn new_key(&self, org: &str, role: &str) -> String {
        let out = tocsin(&[
            "apikey",
            "create",
            "--config",
            self.config_arg(),
            "--org",
            org,
            "--name",
            "test",
            "--role",
            role,
        ]);
        assert!(out.status.success(), "apikey create: {}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    }

    /// The data directory the config names.
    pub fn data_dir(&self) -> PathBuf {
        let config = std::fs::read_to_string(&self.config).unwrap();
        let line = config.lines().find(|l| l.starts_with("data_dir")).unwrap();
        PathBuf::from(line.split('"').nth(1).unwrap())
    }

    /// Starts `tocsin serve` and waits for systemd-style readiness.
    pub fn start(&mut self) -> &mut Self {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("stderr.log"))
            .unwrap();
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--config", self.config_arg()])
            .env("NOTIFY_SOCKET", &self.notify_path)
            .env_remove("WATCHDOG_USEC")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(stderr);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        self.child = Some(command.spawn().unwrap());
        self.await_ready()
    }

    /// Waits for the daemon to say it is ready (again, after a hand-over)
    /// and learns the address it serves on; returns its status line.
    pub fn await_ready(&mut self) -> &mut Self {
        let status = self.wait_for_notify("READY=1", Duration::from_secs(60));
        let addr = status
            .lines()
            .find_map(|l| l.split("serving https on ").nth(1))
            .unwrap_or_else(|| panic!("no address in {status:?}"));
        self.addr = Some(addr.parse().unwrap());
        self.status = status;
        self
    }

    /// Waits for a notification datagram containing `needle`; returns it whole.
    pub fn wait_for_notify(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {needle:?} from the daemon; stderr:\n{}",
                self.stderr()
            );
            self.notify.set_read_timeout(Some(left)).unwrap();
            if let Ok(n) = self.notify.recv(&mut buf) {
                let message = text(&buf[..n]);
                if message.lines().any(|l| l == needle) {
                    return message;
                }
            }
        }
    }

    /// Waits up to 40 s for `f` to give a value; the daemon's stderr is
    /// shown when it does not.
    pub fn wait_until<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, then the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take().unwrap();
        // The process may already be on its way out; a failed kill is fine then.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr.unwrap())
    }

    /// An HTTPS client that trusts exactly this appliance's certificate.
    pub fn client(&self) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .tls_config(Arc::new(client_tls(&self.data_dir(), None)))
            .timeout(Duration::from_secs(20))
            .build()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client().request(method, &self.url(path));
        if let Some(key) = key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        Response::from(response)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, Some(&self.key.clone()), None)
    }

    pub fn post(&self, path: &str, body: Value) -> Response {
        self.request("POST", path, Some(&self.key.clone()), Some(body))
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A response's headers as name and value.
pub fn headers_of(r: &ureq::Response) -> Vec<(String, String)> {
    r.headers_names()
        .into_iter()
        .map(|name| {
            let value = r.header(&name).unwrap_or_default().to_owned();
            (name, value)
        })
        .collect()
}

impl From<ureq::Response> for Response {
    fn from(r: ureq::Response) -> Self {
        let status = r.status();
        let headers = headers_of(&r);
        let mut body = String::new();
        r.into_reader().read_to_string(&mut body).unwrap();
        Response {
            status,
            headers,
            body,
        }
    }
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A rustls client trusting the appliance's self-signed certificate, limited to
/// one protocol version when asked.
pub fn client_tls(
    data_dir: &Path,
    only: Option<&'static rustls::SupportedProtocolVersion>,
) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        rustls::pki_types::CertificateDer::pem_file_iter(data_dir.join("tls/cert.pem")).unwrap()
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = match only {
        Some(v) => vec![v],
        None => rustls::ALL_VERSIONS.to_vec(),
    };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// One HTTPS request sent from a chosen loopback address (127.0.0.0/8 is all
/// this host's), for limits that count per client address.
pub fn https_from(
    source: std::net::IpAddr,
    server: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Response {
    let (status, headers, body) =
        crate::loopback::request_from(source, server, tls, method, path, body);
    Response {
        status,
        headers,
        body,
    }
}
