//! PEM certificates and keys the appliance reads (its HTTPS listener, log
//! servers, standby peers), and the one rustls provider every TLS endpoint
//! uses. Configuration checks and the listener both read files through
//! here, so a file the check accepts is one the listener can load.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::path::Path;
use std::sync::Arc;

/// The rustls provider every TLS endpoint of the appliance uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The systemd credential that replaces `http.tls_key` when present.
pub const KEY_CREDENTIAL: &str = "tls.key";

pub use crate::secret::credential_or;

pub fn check_cert_file(path: &Path) -> Result<(), String> {
    load_certs(path).map(|_| ())
}

pub fn check_key_file(path: &Path) -> Result<(), String> {
    load_key(&credential_or(path, KEY_CREDENTIAL)).map(|_| ())
}

pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    std::fs::metadata(path)
        .map_err(|e| format!("names {}, which cannot be read ({e})", path.display()))?;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "names {}, which is not a PEM certificate chain ({e})",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "names {}, which holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certs)
}

pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    std::fs::metadata(path)
        .map_err(|e| format!("names {}, which cannot be read ({e})", path.display()))?;
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        format!(
            "names {}, which is not a PEM private key ({e})",
            path.display()
        )
    })
}

/// Checks that a certificate and key belong together, as `serve` will need.
pub fn check_pair(cert: &Path, key: &Path) -> Result<(), String> {
    let certs = load_certs(cert)?;
    let key = load_key(&credential_or(key, KEY_CREDENTIAL))?;
    ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map(|_| ())
        .map_err(|e| format!("does not match http.tls_cert ({e})"))
}
