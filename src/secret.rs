//! Values that must never reach a log line.

use std::fmt;
use std::path::{Path, PathBuf};

/// Writes a new file only its owner can read (0600), synced; never over
/// an existing file, so a key is never lost to a second `create`.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Where a secret is read from: the systemd credential of that name when the
/// service manager passed one (`LoadCredential=`), else the configured file.
/// Credentials let the key stay readable by root only.
pub fn credential_or(configured: &Path, credential: &str) -> PathBuf {
    std::env::var_os("CREDENTIALS_DIRECTORY")
        .map(|dir| PathBuf::from(dir).join(credential))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| configured.to_path_buf())
}

/// A value that must never reach a log line (PINs, URLs with passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}
