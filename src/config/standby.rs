//! `[standby]`: this appliance stands by for another. It receives that
//! appliance's backups, verifies each, keeps the newest restored and ready,
//! and serves nothing else until `tocsin promote` makes it the primary.

use super::reader::{Reader, TableCursor};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandbyConfig {
    /// The primary's backup key (or the systemd credential `backup-key`).
    pub key_file: PathBuf,
    /// SHA-256 of the token the primary presents, as `tocsin standby token`
    /// prints it: the token itself is never kept here.
    pub token_sha256: [u8; 32],
    /// `/readyz` is degraded when the ready backup is older than this.
    pub max_lag: time::Duration,
}

pub(super) fn read_standby(r: &mut Reader, t: &mut TableCursor) -> Option<StandbyConfig> {
    let key_file = r.path(t, "key_file");
    if key_file.is_none() && !t.has("key_file") {
        r.missing(t, "key_file");
    }
    let token_sha256 = r.parsed(
        t,
        "token_sha256",
        "64 hex digits as `tocsin standby token` prints them",
        |s| {
            let bytes = hex::decode(s.trim()).ok()?;
            <[u8; 32]>::try_from(bytes).ok()
        },
    );
    if token_sha256.is_none() && !t.has("token_sha256") {
        r.missing(t, "token_sha256");
    }
    let max_lag = r
        .integer(
            t,
            "max_lag_minutes",
            1,
            10_080,
            "a number of minutes from 1 to 10080",
        )
        .unwrap_or(45);
    Some(StandbyConfig {
        key_file: key_file?,
        token_sha256: token_sha256?,
        max_lag: time::Duration::minutes(max_lag),
    })
}
