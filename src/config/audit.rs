//! `[audit]`: signing the audit trail's chain heads.

use super::reader::{Reader, TableCursor};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// The Ed25519 key that signs checkpoints (or the systemd credential
    /// `audit-signing-key`).
    pub signing_key: PathBuf,
    /// How often each organisation's chain head is signed (and at stop).
    pub checkpoint_interval: time::Duration,
}

pub(super) fn read_audit(r: &mut Reader, t: &mut TableCursor) -> Option<AuditConfig> {
    let signing_key = r.path(t, "signing_key");
    if signing_key.is_none() && !t.has("signing_key") {
        r.missing(t, "signing_key");
    }
    let minutes = r
        .integer(
            t,
            "checkpoint_minutes",
            1,
            1440,
            "a number of minutes from 1 to 1440",
        )
        .unwrap_or(5);
    Some(AuditConfig {
        signing_key: signing_key?,
        checkpoint_interval: time::Duration::minutes(minutes),
    })
}
