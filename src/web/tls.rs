//! TLS for the one HTTPS listener: rustls only, TLS 1.3 and 1.2, and only the
//! AEAD suites with forward secrecy (the ring provider has no others). Without a
//! configured certificate the appliance makes a self-signed one on first start
//! and reuses it afterwards, so browsers see a stable fingerprint.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use rustls::ServerConfig;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: {why}", path.display())]
    File { path: PathBuf, why: String },
    #[error("the self-signed certificate could not be made: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the self-signed certificate could not be written to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the certificate and key do not work together: {0}")]
    Rustls(#[from] rustls::Error),
}

use crate::pem::{credential_or, load_certs, load_key};
pub use crate::pem::{provider, KEY_CREDENTIAL};

/// Where the self-signed certificate lives when none is configured.
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

pub fn server_config(config: &Config) -> Result<ServerConfig, TlsError> {
    let (cert_path, key_path) = match &config.http.tls {
        Some(files) => (
            files.cert.clone(),
            credential_or(&files.key, KEY_CREDENTIAL),
        ),
        None => ensure_self_signed(&config.data_dir, &config.http.public_url)?,
    };
    let certs = load_certs(&cert_path).map_err(|why| TlsError::File {
        path: cert_path.clone(),
        why,
    })?;
    let key = load_key(&key_path).map_err(|why| TlsError::File {
        path: key_path.clone(),
        why,
    })?;
    let mut tls = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    // HTTP/1.1 only: offering h2 without serving it would strand h2-only clients.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

fn ensure_self_signed(data_dir: &Path, public_url: &str) -> Result<(PathBuf, PathBuf), TlsError> {
    let (cert_path, key_path) = self_signed_paths(data_dir);
    if cert_path.exists() && key_path.exists() {
        return Ok((cert_path, key_path));
    }
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(host) = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !names.contains(&host) {
            names.push(host);
        }
    }
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Tocsin appliance (self-signed)");
    let now = SystemClock.now();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;

    let dir = cert_path.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    write_private(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
    write_private(&cert_path, cert.pem().as_bytes(), 0o644)?;
    tracing::info!(cert = %cert_path.display(), "made a self-signed TLS certificate");
    Ok((cert_path, key_path))
}

/// Writes through a temporary file and a rename so a crash never leaves half a key.
fn write_private(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    })
}
