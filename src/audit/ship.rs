//! Every audit event to a separate log server: RFC 5424 messages over TLS
//! (RFC 5425, octet-counting framing), store-and-forward. Events are queued
//! in the store in the transaction that writes them, sent in order, and
//! leave the queue only when the connection is seen alive after they were
//! written; if it dies first they are sent again, and the log server can
//! drop the repeats by their sequence number.

use crate::clock::SharedClock;
use crate::config::SyslogConfig;
use crate::ids::Id;
use crate::store::{AuditEvent, Outcome, Queued, Store};
use prometheus_client::metrics::gauge::Gauge;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The SD-ID of the structured data: a name at the documentation enterprise
/// number (RFC 5612), as no number is registered for the product.
const SD_ID: &str = "tocsin@32473";
/// Facility 13, "log audit" (RFC 5424 §6.2.1).
const FACILITY: u8 = 13;
/// How long a written event waits before a live connection counts as its
/// delivery.
const SETTLE: Duration = Duration::from_millis(500);
const BATCH: usize = 500;

/// The shipper's state for `/metrics` and `/readyz`.
#[derive(Debug, Default)]
pub struct ShipStatus {
    depth: Gauge,
    oldest_age: Gauge,
    oldest: Mutex<Option<OffsetDateTime>>,
    connected: std::sync::atomic::AtomicBool,
    max_lag: time::Duration,
}

impl ShipStatus {
    /// What `/readyz` says: `None` while the oldest unsent event is younger
    /// than the configured lag.
    pub fn stale(&self, now: OffsetDateTime) -> Option<String> {
        let oldest = (*self.oldest.lock().ok()?)?;
        let age = now - oldest;
        (age > self.max_lag).then(|| {
            format!(
                "audit events wait {} s for the log server{}",
                age.whole_seconds(),
                if self.connected.load(std::sync::atomic::Ordering::Relaxed) {
                    ""
                } else {
                    " (not connected)"
                }
            )
        })
    }
}

/// Starts shipping on a thread of its own; runs while the process does.
pub fn start(
    config: SyslogConfig,
    store: Store,
    clock: SharedClock,
    metrics: &crate::metrics::Metrics,
) -> Result<Arc<ShipStatus>, String> {
    let tls = match config.tls {
        true => Some(Arc::new(client_config(&config)?)),
        false => None,
    };
    store.ship_audit();
    let status = Arc::new(ShipStatus {
        max_lag: config.max_lag,
        ..ShipStatus::default()
    });
    metrics.with_registry(|r| {
        r.register(
            "audit_queue_depth",
            "Audit events waiting for the log server",
            status.depth.clone(),
        );
        r.register(
            "audit_oldest_unsent_seconds",
            "Age of the oldest audit event not yet at the log server",
            status.oldest_age.clone(),
        );
    });
    let shipper = Shipper {
        config,
        tls,
        store,
        clock,
        status: status.clone(),
        host: hostname(),
    };
    std::thread::Builder::new()
        .name("tocsin-audit-ship".to_owned())
        .spawn(move || shipper.run())
        .map_err(|e| e.to_string())?;
    Ok(status)
}

fn client_config(config: &SyslogConfig) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = &config.ca {
        let certs = CertificateDer::pem_file_iter(ca)
            .map_err(|e| format!("syslog_ca {}: {e}", ca.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("syslog_ca {}: {e}", ca.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("syslog_ca {}: {e}", ca.display()))?;
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots);
    match &config.client_cert {
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .map_err(|e| format!("syslog_client_cert {}: {e}", cert.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("syslog_client_cert {}: {e}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("syslog_client_key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("syslog_client_cert: {e}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.is_ascii())
        .unwrap_or_else(|| "-".to_owned())
}

/// A connection to the log server, with or without TLS.
enum Connection {
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Plain(TcpStream),
}

impl Connection {
    fn socket(&self) -> &TcpStream {
        match self {
            Connection::Tls(s) => &s.sock,
            Connection::Plain(s) => s,
        }
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Connection::Tls(s) => {
                s.write_all(bytes)?;
                s.flush()
            }
            Connection::Plain(s) => {
                s.write_all(bytes)?;
                s.flush()
            }
        }
    }

    /// Whether the server still holds the connection open. A syslog server
    /// sends nothing but TLS housekeeping (session tickets), so anything
    /// else readable, or the end of the stream, means it is closing.
    fn alive(&mut self) -> bool {
        if self.socket().set_nonblocking(true).is_err() {
            return false;
        }
        let alive = match self {
            Connection::Plain(socket) => {
                let mut byte = [0u8; 1];
                matches!(socket.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            }
            Connection::Tls(stream) => tls_alive(stream),
        };
        let _ = self.socket().set_nonblocking(false);
        alive
    }
}

/// Reads what the server sent without blocking: TLS records are processed
/// (a ticket keeps the connection; close_notify or an alert ends it), and
/// stray application data is dropped.
fn tls_alive(stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> bool {
    use std::io::Read;
    loop {
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(0) => return false,
            Ok(_) => match stream.conn.process_new_packets() {
                Ok(state) if state.peer_has_closed() => return false,
                Ok(state) => {
                    let mut stray = vec![0u8; state.plaintext_bytes_to_read()];
                    let _ = stream.conn.reader().read(&mut stray);
                }
                Err(_) => return false,
            },
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

struct Shipper {
    config: SyslogConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    store: Store,
    clock: SharedClock,
    status: Arc<ShipStatus>,
    host: String,
}

impl Shipper {
    fn run(self) {
        let mut pause = Duration::from_millis(500);
        loop {
            self.measure();
            match self.connect() {
                Ok(connection) => {
                    pause = Duration::from_millis(500);
                    self.status
                        .connected
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(server = %self.config.host, "connected to the log server");
                    if let Err(e) = self.ship(connection) {
                        tracing::warn!(error = %e, "the log server connection ended; events wait and are sent again");
                    }
                    self.status
                        .connected
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(server = %self.config.host, error = %e, "cannot reach the log server; events wait");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    fn connect(&self) -> Result<Connection, String> {
        use std::net::ToSocketAddrs;
        let address = (self.config.host.as_str(), self.config.port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or("the log server's name has no address")?;
        let socket = TcpStream::connect_timeout(&address, Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        socket
            .set_write_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let _ = socket.set_nodelay(true);
        match &self.tls {
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(self.config.host.clone())
                    .map_err(|e| e.to_string())?;
                let connection =
                    rustls::ClientConnection::new(tls.clone(), name).map_err(|e| e.to_string())?;
                let mut stream = rustls::StreamOwned::new(connection, socket);
                // The handshake now, so a bad certificate is an error here.
                while stream.conn.is_handshaking() {
                    stream
                        .conn
                        .complete_io(&mut stream.sock)
                        .map_err(|e| e.to_string())?;
                }
                Ok(Connection::Tls(Box::new(stream)))
            }
            None => Ok(Connection::Plain(socket)),
        }
    }

    /// Sends until the connection fails. Sent events leave the queue once
    /// the connection is seen alive `SETTLE` after they were written.
    fn ship(&self, mut connection: Connection) -> Result<(), String> {
        let mut sent: HashMap<Id, u64> = HashMap::new();
        let mut unsettled: Vec<(Instant, Vec<(Id, u64)>)> = Vec::new();
        let mut last_measure = Instant::now();
        loop {
            if !connection.alive() {
                return Err("the log server closed the connection".to_owned());
            }
            let now = Instant::now();
            let settled: Vec<(Id, u64)> = unsettled
                .iter()
                .filter(|(at, _)| now.duration_since(*at) >= SETTLE)
                .flat_map(|(_, events)| events.iter().copied())
                .collect();
            if !settled.is_empty() {
                unsettled.retain(|(at, _)| now.duration_since(*at) < SETTLE);
                self.store
                    .audit_shipped(&settled)
                    .map_err(|e| e.to_string())?;
            }
            let batch = self
                .store
                .audit_queue(&sent, BATCH)
                .map_err(|e| e.to_string())?;
            if batch.is_empty() {
                if last_measure.elapsed() >= Duration::from_secs(1) {
                    self.measure();
                    last_measure = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            let mut bytes = Vec::new();
            let mut written = Vec::with_capacity(batch.len());
            for Queued { org, event } in &batch {
                let message = format_5424(&self.host, *org, event);
                bytes.extend_from_slice(format!("{} ", message.len()).as_bytes());
                bytes.extend_from_slice(message.as_bytes());
                written.push((*org, event.seq));
            }
            connection.send(&bytes).map_err(|e| e.to_string())?;
            for (org, seq) in &written {
                let highest = sent.entry(*org).or_insert(0);
                *highest = (*highest).max(*seq);
            }
            unsettled.push((Instant::now(), written));
            if last_measure.elapsed() >= Duration::from_secs(1) {
                self.measure();
                last_measure = Instant::now();
            }
        }
    }

    fn measure(&self) {
        let Ok((depth, oldest)) = self.store.audit_queue_depth() else {
            return;
        };
        self.status
            .depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        let age = oldest.map_or(0, |o| (self.clock.now() - o).whole_seconds().max(0));
        self.status.oldest_age.set(age);
        if let Ok(mut kept) = self.status.oldest.lock() {
            *kept = oldest;
        }
    }
}

/// One event as an RFC 5424 message.
pub fn format_5424(host: &str, org: Id, event: &AuditEvent) -> String {
    let severity = match event.outcome {
        Outcome::Success => 5,
        Outcome::Failure | Outcome::Denied => 4,
    };
    let pri = FACILITY * 8 + severity;
    let at = event.at.to_offset(time::UtcOffset::UTC);
    let timestamp = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    );
    let msgid: String = event
        .action
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let mut sd = format!("[{SD_ID}");
    let mut param = |name: &str, value: &str| {
        sd.push_str(&format!(" {name}=\"{}\"", escape(value)));
    };
    param("org", &org.to_string());
    param("seq", &event.seq.to_string());
    param("hash", event.hash.as_deref().unwrap_or(""));
    param("prev", event.prev.as_deref().unwrap_or(""));
    param("actor", &event.actor.name);
    param(
        "actorKind",
        serde_json::to_value(event.actor.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref()
            .unwrap_or("-"),
    );
    param("action", &event.action);
    if let Some(target) = &event.target {
        param("target", target);
    }
    param(
        "outcome",
        serde_json::to_value(event.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref()
            .unwrap_or("-"),
    );
    if let Some(source) = &event.source {
        param("source", source);
    }
    sd.push(']');
    let text = format!(
        "{} {} {}{}",
        event.actor.name,
        event.action,
        event.target.as_deref().unwrap_or(""),
        event
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    );
    format!(
        "<{pri}>1 {timestamp} {host} tocsin {} {} {sd} {}",
        std::process::id(),
        if msgid.is_empty() { "-" } else { &msgid },
        text.replace(['\n', '\r'], " ")
    )
}

/// PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]`.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Actor, ActorKind};

    #[test]
    fn a_message_is_rfc5424_with_escaped_structured_data() {
        let event = AuditEvent {
            id: Id::new(),
            at: time::macros::datetime!(2026-12-03 10:11:12.123456789 UTC),
            actor: Actor {
                kind: ActorKind::User,
                id: None,
                name: "jdoe".into(),
            },
            action: "login.failed".into(),
            target: Some("a \"quoted\" ]name\\".into()),
            source: Some("192.0.2.7".into()),
            outcome: Outcome::Failure,
            detail: None,
            seq: 42,
            prev: Some("ab".into()),
            hash: Some("cd".into()),
        };
        let message = format_5424("box", Id::SYSTEM, &event);
        assert!(
            message.starts_with("<108>1 2026-12-03T10:11:12.123456Z box tocsin "),
            "{message}"
        );
        assert!(
            message.contains(" login.failed [tocsin@32473 org="),
            "{message}"
        );
        assert!(
            message.contains(r#"target="a \"quoted\" \]name\\""#),
            "{message}"
        );
        assert!(
            message.contains(r#"seq="42" hash="cd" prev="ab""#),
            "{message}"
        );
        assert!(message.contains(r#"source="192.0.2.7"]"#), "{message}");
    }
}
