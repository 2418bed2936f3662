//! `[audit]`: signing the audit trail's chain heads, and shipping every
//! event to a separate log server.

use super::reader::{Reader, TableCursor};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// The Ed25519 key that signs checkpoints (or the systemd credential
    /// `audit-signing-key`).
    pub signing_key: Option<PathBuf>,
    /// How often each organisation's chain head is signed (and at stop).
    pub checkpoint_interval: time::Duration,
    pub syslog: Option<SyslogConfig>,
}

/// The log server every audit event is shipped to (RFC 5424 over RFC 5425).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogConfig {
    pub host: String,
    pub port: u16,
    /// `tcp://` without TLS: only with `syslog_plain_tcp = true`, for a relay
    /// on the same host.
    pub tls: bool,
    /// The CA the server's certificate must chain to.
    pub ca: Option<PathBuf>,
    /// A client certificate and key, for servers that ask for one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// `/readyz` is degraded when the oldest unsent event is older.
    pub max_lag: time::Duration,
}

pub(super) fn read_audit(r: &mut Reader, t: &mut TableCursor) -> Option<AuditConfig> {
    let signing_key = r.path(t, "signing_key");
    let minutes = r
        .integer(
            t,
            "checkpoint_minutes",
            1,
            1440,
            "a number of minutes from 1 to 1440",
        )
        .unwrap_or(5);
    let syslog = if t.has("syslog_url") {
        read_syslog(r, t)
    } else {
        None
    };
    Some(AuditConfig {
        signing_key,
        checkpoint_interval: time::Duration::minutes(minutes),
        syslog,
    })
}

fn read_syslog(r: &mut Reader, t: &mut TableCursor) -> Option<SyslogConfig> {
    let url = r.parsed(
        t,
        "syslog_url",
        "a tls://host:port (or tcp://host:port) URL of the log server",
        |s| {
            let url = url::Url::parse(s).ok()?;
            (matches!(url.scheme(), "tls" | "tcp") && url.host_str().is_some()).then_some(url)
        },
    )?;
    let plain_ok = r.boolean(t, "syslog_plain_tcp").unwrap_or(false);
    let tls = url.scheme() == "tls";
    if !tls && !plain_ok {
        r.problem_at(
            t,
            "syslog_url",
            "is tcp://, which sends the audit trail unencrypted; use tls://, or set syslog_plain_tcp = true for a relay on this host".to_owned(),
        );
    }
    let ca = r.path(t, "syslog_ca");
    if tls && ca.is_none() && !t.has("syslog_ca") {
        r.missing(t, "syslog_ca");
    }
    let cert = r.path(t, "syslog_client_cert");
    let key = r.path(t, "syslog_client_key");
    if cert.is_some() != key.is_some() {
        r.problem_at(
            t,
            "syslog_client_cert",
            "and syslog_client_key go together: set both or neither".to_owned(),
        );
    }
    let lag = r
        .integer(
            t,
            "syslog_max_lag_seconds",
            1,
            86_400,
            "a number of seconds from 1 to 86400",
        )
        .unwrap_or(300);
    Some(SyslogConfig {
        host: url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: url.port().unwrap_or(if tls { 6514 } else { 514 }),
        tls,
        ca,
        client_cert: cert.zip(key),
        max_lag: time::Duration::seconds(lag),
    })
}
