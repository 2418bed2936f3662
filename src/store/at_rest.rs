//! The key that protects secrets kept in the store: TOTP secrets, the
//! answer-link key, and the pepper of recovery and SMS codes. It lives
//! outside the store — a systemd credential named `at-rest-key`, or else the
//! file `at-rest.key` beside the store directory, mode 0600 — so a copy of
//! the store alone gives none of them away.
//!
//! The store keeps a check value of the key, so a missing, replaced or
//! damaged key is an error at start, never silently a new one.

use super::{Result, Store, StoreError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The systemd credential's name (`LoadCredential=at-rest-key:…`).
pub const CREDENTIAL: &str = "at-rest-key";
/// The key file's name beside the store directory.
pub const FILE_NAME: &str = "at-rest.key";
const CHECK_KEY: &[u8] = b"at_rest_key_check";
const SEALED_PREFIX: &str = "sealed:v1:";

#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    #[error("the at-rest key {} cannot be read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the at-rest key {} is not 64 hex digits", path.display())]
    Malformed { path: PathBuf },
    #[error("the at-rest key {} is open to other users (mode {mode:o}); make it 0600", path.display())]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the at-rest key {} is missing, but this store's secrets were sealed with one; put the key back (it is in every backup)", path.display())]
    Missing { path: PathBuf },
    #[error("the at-rest key {} is not the one this store's secrets were sealed with", path.display())]
    Mismatch { path: PathBuf },
    #[error("the at-rest key {} cannot be created: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a sealed {what} cannot be opened: it was damaged or moved")]
    Unsealable { what: &'static str },
    #[error("the system random generator failed: {0}")]
    Random(String),
}

/// The key, with separate subkeys for sealing and for peppering.
#[derive(Clone)]
pub struct AtRestKey {
    seal: [u8; 32],
    pepper: [u8; 32],
    check: [u8; 32],
}

impl std::fmt::Debug for AtRestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtRestKey(..)")
    }
}

/// HMAC-SHA-256 keyed with 32 bytes. HMAC pads its key with zeros to the
/// block size, so the padded block is the same key.
fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

fn derive(key: &[u8; 32], purpose: &[u8]) -> [u8; 32] {
    let mut mac = hmac(key);
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

pub(super) fn random<const N: usize>() -> Result<[u8; N], AtRestError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AtRestError::Random(e.to_string()))?;
    Ok(bytes)
}

impl AtRestKey {
    pub fn from_bytes(key: &[u8; 32]) -> AtRestKey {
        AtRestKey {
            seal: derive(key, b"tocsin at-rest sealing"),
            pepper: derive(key, b"tocsin at-rest pepper"),
            check: derive(key, b"tocsin at-rest key check"),
        }
    }

    /// Encrypts `plain`, bound to `context` (what it is and whose): a sealed
    /// value moved to another record does not open.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, AtRestError> {
        let cipher = XChaCha20Poly1305::new(&self.seal.into());
        let nonce: [u8; 24] = random()?;
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AtRestError::Unsealable { what: "value" })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", B64.encode(out)))
    }

    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(SEALED_PREFIX)
    }

    pub fn open(
        &self,
        context: &str,
        sealed: &str,
        what: &'static str,
    ) -> Result<Vec<u8>, AtRestError> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| B64.decode(b).ok())
            .filter(|b| b.len() > 24)
            .ok_or(AtRestError::Unsealable { what })?;
        let (nonce, body) = bytes.split_at(24);
        XChaCha20Poly1305::new(&self.seal.into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AtRestError::Unsealable { what })
    }

    /// A keyed hash for values that are checked, never read back (codes):
    /// without the key, a copy of the store can't be used to try guesses.
    pub fn pepper(&self, context: &str, value: &[u8]) -> String {
        let mut mac = hmac(&self.pepper);
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Where the key is: the systemd credential when the service has one,
/// otherwise the file beside the store.
pub fn key_path(store_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let credential = Path::new(&dir).join(CREDENTIAL);
        if credential.exists() {
            return credential;
        }
    }
    store_dir.with_file_name(FILE_NAME)
}

fn read_key(path: &Path) -> Result<[u8; 32], AtRestError> {
    let meta = std::fs::metadata(path).map_err(|source| AtRestError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AtRestError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| AtRestError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut key).map_err(|_| AtRestError::Malformed {
        path: path.to_path_buf(),
    })?;
    Ok(key)
}

fn create_key(path: &Path) -> Result<[u8; 32], AtRestError> {
    let key: [u8; 32] = random()?;
    let create = |source| AtRestError::Create {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(create)?;
    file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
        .map_err(create)?;
    file.sync_all().map_err(create)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(create)?;
    }
    Ok(key)
}

/// Loads the key for the store at `store_dir` (making one for a store that
/// never had one) and checks that it is the store's.
pub(super) fn load(db: &sled::Db, store_dir: &Path) -> Result<AtRestKey> {
    let path = key_path(store_dir);
    let check = db.get(CHECK_KEY)?;
    let key = match (path.exists(), &check) {
        (true, _) => read_key(&path)?,
        (false, Some(_)) => return Err(AtRestError::Missing { path }.into()),
        (false, None) => create_key(&path)?,
    };
    let key = AtRestKey::from_bytes(&key);
    match check {
        Some(stored) if stored.as_ref() != key.check => Err(AtRestError::Mismatch { path }.into()),
        Some(_) => Ok(key),
        None => {
            db.insert(CHECK_KEY, &key.check[..])?;
            db.flush()?;
            Ok(key)
        }
    }
}

impl Store {
    /// The key for sealing secrets kept in this store.
    pub fn at_rest(&self) -> &AtRestKey {
        &self.at_rest
    }
}

impl From<AtRestError> for StoreError {
    fn from(e: AtRestError) -> Self {
        StoreError::AtRest(e)
    }
}
