//! The backup key: 32 random bytes that encrypt every backup. It is never in
//! the store — a file (0600) named in `[backup] key_file`, or the systemd
//! credential `backup-key` — so a stolen backup and a stolen appliance disk
//! each give nothing without it. Its id (in every backup's header) tells
//! which key a backup needs; its recovery text is the same key for paper.

use super::BackupError;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The systemd credential's name (`LoadCredential=backup-key:…`).
pub const CREDENTIAL: &str = "backup-key";
const RECOVERY_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Clone)]
pub struct BackupKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({})", self.id())
    }
}

/// The paper alphabet's symbol for five bits.
fn symbol(five_bits: u32) -> Option<char> {
    let index = usize::try_from(five_bits).ok()?;
    RECOVERY_ALPHABET.get(index).map(|b| char::from(*b))
}

impl BackupKey {
    pub fn generate() -> Result<BackupKey, BackupError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| BackupError::Random(e.to_string()))?;
        Ok(BackupKey { bytes })
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Sixteen hex digits naming the key (not secret).
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"tocsin backup key id\0")
            .chain_update(self.bytes)
            .finalize();
        hex::encode(digest.get(..8).unwrap_or_default())
    }

    /// The key for paper: 52 letters and digits in groups of four, without
    /// look-alikes (no 0/O, 1/I).
    pub fn recovery_text(&self) -> String {
        let mut symbols = String::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for byte in self.bytes {
            acc = (acc << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                symbols.extend(symbol((acc >> bits) & 31));
            }
        }
        if bits > 0 {
            symbols.extend(symbol((acc << (5 - bits)) & 31));
        }
        symbols
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Reads a key written by [`BackupKey::write_new`] (or its recovery
    /// text typed into a file).
    pub fn read(path: &Path) -> Result<BackupKey, BackupError> {
        let unreadable = |why: String| BackupError::Key {
            path: path.to_path_buf(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(unreadable(format!(
                "it is open to other users (mode {mode:o}); make it 0600"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        let value = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default();
        Self::parse(value).ok_or_else(|| {
            unreadable("it holds neither 64 hex digits nor a recovery text".to_owned())
        })
    }

    fn parse(value: &str) -> Option<BackupKey> {
        let mut bytes = [0u8; 32];
        if hex::decode_to_slice(value, &mut bytes).is_ok() {
            return Some(BackupKey { bytes });
        }
        let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::with_capacity(32));
        for c in value.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = c.to_ascii_uppercase();
            let at = RECOVERY_ALPHABET.iter().position(|s| char::from(*s) == c)?;
            acc = (acc << 5) | u32::try_from(at).ok()?;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push(u8::try_from((acc >> bits) & 0xFF).ok()?);
            }
        }
        Some(BackupKey {
            bytes: <[u8; 32]>::try_from(out.as_slice()).ok()?,
        })
    }

    /// Writes a new key to `path` (refusing to overwrite one), readable
    /// only by its owner.
    pub fn write_new(&self, path: &Path) -> Result<(), BackupError> {
        let failed = |e: std::io::Error| BackupError::Key {
            path: path.to_path_buf(),
            why: e.to_string(),
        };
        let text = format!(
            "# Tocsin backup key {}. Anyone with this file can read the backups.\n{}\n",
            self.id(),
            hex::encode(self.bytes)
        );
        crate::secret::write_new_private(path, text.as_bytes()).map_err(failed)
    }
}

/// Where the daemon finds the key: the systemd credential when the service
/// has one, else the configured file.
pub fn key_path(configured: &Path) -> PathBuf {
    crate::secret::credential_or(configured, CREDENTIAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recovery_text_is_the_same_key() {
        let key = BackupKey::generate().unwrap();
        let text = key.recovery_text();
        assert_eq!(text.replace('-', "").len(), 52, "{text}");
        let back = BackupKey::parse(&text.to_lowercase()).unwrap();
        assert_eq!(back.bytes, key.bytes);
        assert_eq!(back.id(), key.id());
    }

    #[test]
    fn a_written_key_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.key");
        let key = BackupKey::generate().unwrap();
        key.write_new(&path).unwrap();
        assert!(key.write_new(&path).is_err(), "never overwritten");
        assert_eq!(BackupKey::read(&path).unwrap().id(), key.id());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = BackupKey::read(&path).unwrap_err().to_string();
        assert!(err.contains("0600"), "{err}");
    }
}
