//! The standby target: a standby Tocsin over HTTPS, with the token it knows
//! by its hash and, usually, its own certificate pinned as the only trusted
//! one. The standby writes under a temporary name and verifies the whole
//! backup before it counts as received.

use super::{failed, is_backup, TargetError};
use crate::config::{BackupTarget, Place};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The path every standby request starts with.
pub const API: &str = "/standby/v1";
/// The most a standby answer may carry: a backup of the biggest store.
const MOST_BYTES: u64 = 4 << 30;

/// What a standby says of itself (`GET /standby/v1/state`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StandbyState {
    /// `standby` while it stands by; `primary` once promoted.
    pub role: String,
    /// The backup it was promoted from, and when.
    pub promoted_from: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub promoted_at: Option<OffsetDateTime>,
    /// The newest verified backup it holds restored and ready.
    pub ready: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ready_created_at: Option<OffsetDateTime>,
}

impl StandbyState {
    pub fn promoted(&self) -> bool {
        self.role == "primary"
    }
}

struct Endpoint<'a> {
    target: &'a BackupTarget,
    url: &'a url::Url,
    token: String,
    agent: ureq::Agent,
}

impl<'a> Endpoint<'a> {
    fn of(target: &'a BackupTarget) -> Result<Endpoint<'a>, TargetError> {
        let Place::Standby {
            url,
            token_file,
            ca_file,
        } = &target.place
        else {
            return Err(failed(target, "not a standby target"));
        };
        let token = std::fs::read_to_string(token_file)
            .map_err(|e| failed(target, format!("token_file {}: {e}", token_file.display())))?
            .trim()
            .to_owned();
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .redirects(0);
        if let Some(ca) = ca_file {
            builder = builder.tls_config(Arc::new(pinned(ca).map_err(|e| failed(target, e))?));
        }
        Ok(Endpoint {
            target,
            url,
            token,
            agent: builder.build(),
        })
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let base = self.url.as_str().trim_end_matches('/');
        self.agent
            .request(method, &format!("{base}{API}{path}"))
            .set("Authorization", &format!("Bearer {}", self.token))
    }

    /// Turns an answer into bytes, or the standby's own words for a refusal.
    fn answer(&self, sent: Result<ureq::Response, ureq::Error>) -> Result<Vec<u8>, TargetError> {
        match sent {
            Ok(response) => {
                let mut body = Vec::new();
                response
                    .into_reader()
                    .take(MOST_BYTES)
                    .read_to_end(&mut body)
                    .map_err(|e| failed(self.target, e))?;
                Ok(body)
            }
            Err(ureq::Error::Status(status, response)) => {
                let mut text = String::new();
                let _ = response
                    .into_reader()
                    .take(64 * 1024)
                    .read_to_string(&mut text);
                let problem: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                let why = problem
                    .get("detail")
                    .and_then(|d| d.as_str())
                    .unwrap_or("no reason given")
                    .to_owned();
                if problem.get("code").and_then(|c| c.as_str()) == Some("promoted") {
                    Err(TargetError::TakenOver {
                        target: self.target.name.clone(),
                        why,
                    })
                } else {
                    Err(failed(
                        self.target,
                        format!("the standby answered {status}: {why}"),
                    ))
                }
            }
            Err(e) => Err(failed(self.target, e)),
        }
    }
}

/// A TLS client that trusts only the certificates in `ca`.
fn pinned(ca: &Path) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("ca_file {} holds no certificate", ca.display()));
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

pub(super) fn put(target: &BackupTarget, name: &str, bytes: &[u8]) -> Result<(), TargetError> {
    let endpoint = Endpoint::of(target)?;
    let sent = endpoint
        .request("PUT", &format!("/backups/{name}"))
        .set("Content-Type", "application/octet-stream")
        .send_bytes(bytes);
    endpoint.answer(sent).map(|_| ())
}

pub(super) fn list(target: &BackupTarget) -> Result<Vec<String>, TargetError> {
    let endpoint = Endpoint::of(target)?;
    let body = endpoint.answer(endpoint.request("GET", "/backups").call())?;
    let listed: serde_json::Value = serde_json::from_slice(&body).map_err(|e| failed(target, e))?;
    Ok(listed
        .get("backups")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .filter(|n| is_backup(n))
        .map(str::to_owned)
        .collect())
}

pub(super) fn get(target: &BackupTarget, name: &str) -> Result<Vec<u8>, TargetError> {
    let endpoint = Endpoint::of(target)?;
    endpoint.answer(endpoint.request("GET", &format!("/backups/{name}")).call())
}

pub(super) fn remove(target: &BackupTarget, name: &str) -> Result<(), TargetError> {
    let endpoint = Endpoint::of(target)?;
    endpoint
        .answer(
            endpoint
                .request("DELETE", &format!("/backups/{name}"))
                .call(),
        )
        .map(|_| ())
}

/// What the standby behind `target` says of itself.
pub fn state(target: &BackupTarget) -> Result<StandbyState, TargetError> {
    let endpoint = Endpoint::of(target)?;
    let body = endpoint.answer(endpoint.request("GET", "/state").call())?;
    serde_json::from_slice(&body).map_err(|e| failed(target, e))
}
