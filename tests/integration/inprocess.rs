//! The appliance run inside the test process with a clock the test moves, for
//! behaviour that depends on time: lockouts, session timeouts, TOTP.

use crate::support::{client_tls, Response};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use std::time::Duration;
use time::OffsetDateTime;
use tocsin::clock::{ManualClock, SharedClock};
use tocsin::config::Config;
use tocsin::daemon::Daemon;
use tocsin::store::Store;

pub const PASSWORD: &str = "violet tractor ladder 42 umbrella";

pub struct Server {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub store: Store,
    agent: ureq::Agent,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A server with organisation "acme" and its admin "root".
    pub fn start() -> Server {
        Self::start_with(|_| {})
    }

    /// Like [`Server::start`], with the config changed first.
    pub fn start_with(change: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_demo(dir.path(), "127.0.0.1:0".parse().unwrap());
        change(&mut config);
        let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
        let shared: SharedClock = Arc::new(clock.clone());
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let daemon = Daemon::start(&config, shared.clone()).await.unwrap();
                tocsin::provisioning::create_admin(
                    daemon.store(),
                    &shared,
                    "acme",
                    "root",
                    PASSWORD,
                )
                .unwrap();
                ready_tx
                    .send((daemon.local_addr(), daemon.store().clone()))
                    .unwrap();
                let _ = actix_web::rt::task::spawn_blocking(move || stop_rx.recv()).await;
                daemon.stop().await.unwrap();
            });
        });
        let (addr, store) = ready_rx.recv().unwrap();
        let agent = ureq::AgentBuilder::new()
            .tls_config(Arc::new(client_tls(dir.path(), None)))
            .timeout(Duration::from_secs(20))
            .build();
        Server {
            dir,
            addr,
            clock,
            store,
            agent,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn now(&self) -> OffsetDateTime {
        use tocsin::clock::Clock;
        self.clock.now()
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .agent
            .request(method, &format!("https://{}{path}", self.addr));
        for (k, v) in headers {
            request = request.set(k, v);
        }
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => Response::from(r),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    /// A request with a body that is not JSON (a CAP document, a form).
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut request = self
            .agent
            .request(method, &format!("https://{}{path}", self.addr));
        for (k, v) in headers {
            request = request.set(k, v);
        }
        match request.send_bytes(body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => Response::from(r),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    pub fn login_attempt(
        &self,
        org: &str,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Response {
        self.send(
            "POST",
            "/api/v1/session",
            &[],
            Some(json!({"org": org, "username": username, "password": password, "code": code, "device_name": "test phone", "platform": "android"})),
        )
    }

    /// A login attempt from another loopback address ("127.0.0.7"), from a
    /// device that logged in before when `device` is given.
    pub fn login_from(
        &self,
        source: &str,
        (org, username, password): (&str, &str, &str),
        device: Option<&str>,
    ) -> Response {
        crate::support::https_from(
            source.parse().unwrap(),
            self.addr,
            Arc::new(client_tls(self.dir.path(), None)),
            "POST",
            "/api/v1/session",
            Some(
                &json!({"org": org, "username": username, "password": password, "device_id": device}),
            ),
        )
    }

    pub fn login(&self, org: &str, username: &str, password: &str) -> Login<'_> {
        let response = self.login_attempt(org, username, password, None);
        assert_eq!(response.status, 200, "login {username}: {}", response.body);
        Login::from_response(self, &response)
    }

    pub fn admin(&self) -> Login<'_> {
        self.login("acme", "root", PASSWORD)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A logged-in browser: the session cookie and the CSRF token.
pub struct Login<'s> {
    pub server: &'s Server,
    pub cookie: String,
    pub csrf: String,
    pub body: Value,
}

impl<'s> Login<'s> {
    pub fn from_response(server: &'s Server, response: &Response) -> Login<'s> {
        let set_cookie = response.header("set-cookie").expect("no session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(
                set_cookie.contains(attribute),
                "cookie lacks {attribute}: {set_cookie}"
            );
        }
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let body = response.json();
        Login {
            server,
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub fn device_id(&self) -> String {
        self.body["device"]["id"].as_str().unwrap().to_owned()
    }

    pub fn send(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.server.send(
            method,
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            body,
        )
    }

    pub fn get(&self, path: &str) -> Response {
        self.send("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Response {
        self.send("POST", path, Some(body))
    }

    pub fn patch(&self, path: &str, body: Value) -> Response {
        self.send("PATCH", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, None)
    }

    /// A request with the cookie but without the CSRF token.
    pub fn send_without_csrf(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.server
            .send(method, path, &[("Cookie", &self.cookie)], body)
    }

    /// Creates a user who can log in with [`PASSWORD`].
    pub fn create_member(&self, username: &str, roles: &[&str]) -> Value {
        let response = self.post(
            "/api/v1/users",
            json!({"username": username, "name": format!("Member {username}"), "password": PASSWORD, "roles": roles}),
        );
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Option<String>,
    pub kind: String,
    pub data: Value,
}

/// A Server-Sent Events stream read on its own thread.
pub struct EventStream {
    events: mpsc::Receiver<Event>,
}

impl EventStream {
    pub fn next(&self, within: Duration) -> Option<Event> {
        self.events.recv_timeout(within).ok()
    }

    /// Waits for an event of `kind` satisfying `pred`.
    pub fn wait_for(&self, kind: &str, within: Duration, pred: impl Fn(&Value) -> bool) -> Event {
        let deadline = std::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) if e.kind == kind && pred(&e.data) => return e,
                Ok(_) => {}
                Err(_) => panic!("no matching {kind} event within {within:?}"),
            }
        }
    }
}

impl EventStream {
    /// True when the server ends the stream within `within` (events that
    /// arrive meanwhile are passed over).
    pub fn ends_within(&self, within: Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
    }
}

impl Login<'_> {
    pub fn stream(&self, path: &str, last_event_id: Option<&str>) -> EventStream {
        let mut request = self
            .server
            .agent
            .get(&format!("https://{}{path}", self.server.addr))
            .set("Cookie", &self.cookie)
            .set("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.set("Last-Event-ID", id);
        }
        let response = request
            .call()
            .unwrap_or_else(|e| panic!("stream {path}: {e}"));
        assert_eq!(response.content_type(), "text/event-stream");
        let reader = std::io::BufReader::new(response.into_reader());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let (mut id, mut kind, mut data) = (None, String::new(), String::new());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty() {
                        let event = Event {
                            id: id.take(),
                            kind: std::mem::take(&mut kind),
                            data: serde_json::from_str(&data).unwrap_or(Value::Null),
                        };
                        data.clear();
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                } else if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    kind = v.to_owned();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
        });
        EventStream { events: rx }
    }
}
