//! Tamper evidence for the audit trail: signed checkpoints of each
//! organisation's hash chain, the export that carries chain and checkpoints
//! away, and the verifier that checks an export offline, on any machine,
//! with only the public key.

use crate::ids::Id;
use crate::store::{AuditEvent, Checkpoint, OrgStore, StoreError};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The systemd credential that may hold the signing key instead of a file.
pub const CREDENTIAL: &str = "audit-signing-key";

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the audit signing key {}: {why}", path.display())]
    Key { path: PathBuf, why: String },
    #[error("the system random generator failed: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The key that signs checkpoints: 32 secret bytes, hex in a 0600 file.
pub struct AuditKey(SigningKey);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.public_hex())
    }
}

impl AuditKey {
    pub fn generate() -> Result<AuditKey, ChainError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| ChainError::Random(e.to_string()))?;
        Ok(AuditKey(SigningKey::from_bytes(&seed)))
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// Writes the key (0600, never over another file) and `PATH.pub`.
    pub fn write_new(&self, path: &Path) -> Result<PathBuf, ChainError> {
        let failed = |e: std::io::Error| ChainError::Key {
            path: path.to_path_buf(),
            why: e.to_string(),
        };
        crate::secret::write_new_private(
            path,
            format!("{}\n", hex::encode(self.0.to_bytes())).as_bytes(),
        )
        .map_err(failed)?;
        let public = PathBuf::from(format!("{}.pub", path.display()));
        std::fs::write(&public, format!("{}\n", self.public_hex())).map_err(failed)?;
        Ok(public)
    }

    pub fn read(path: &Path) -> Result<AuditKey, ChainError> {
        let failed = |why: String| ChainError::Key {
            path: path.to_path_buf(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
        let bytes = hex::decode(text.trim()).map_err(|_| failed("is not 64 hex digits".into()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| failed("is not 64 hex digits".into()))?;
        Ok(AuditKey(SigningKey::from_bytes(&seed)))
    }

    /// Signs `org`'s chain head when it moved since the last checkpoint.
    pub fn checkpoint(
        &self,
        org: &OrgStore,
        now: OffsetDateTime,
    ) -> Result<Option<Checkpoint>, ChainError> {
        let head = org.audit_head()?;
        let Some(hash) = head.hash else {
            return Ok(None);
        };
        if org.last_checkpoint()?.is_some_and(|c| c.seq == head.seq) {
            return Ok(None);
        }
        let signature = self
            .0
            .sign(&Checkpoint::message(org.org_id(), head.seq, &hash, now));
        let checkpoint = Checkpoint {
            org: org.org_id(),
            seq: head.seq,
            hash,
            at: now,
            key: self.public_hex(),
            signature: hex::encode(signature.to_bytes()),
        };
        org.record_checkpoint(&checkpoint)?;
        Ok(Some(checkpoint))
    }
}

/// Where the daemon finds the key: the systemd credential when the service
/// has one, else the configured file.
pub fn key_path(configured: &Path) -> PathBuf {
    crate::secret::credential_or(configured, CREDENTIAL)
}

/// One line of an export.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    Event(AuditEvent),
    Checkpoint(Checkpoint),
}

/// The export of `org`'s chain from `since`: events oldest first, each
/// checkpoint right after the event it signs.
pub fn export(org: &OrgStore, since: Option<OffsetDateTime>) -> Result<Vec<Line>, ChainError> {
    let (events, checkpoints) = org.audit_chain(since)?;
    let mut lines = Vec::with_capacity(events.len() + checkpoints.len());
    let mut pending = checkpoints.into_iter().peekable();
    for event in events {
        let seq = event.seq;
        lines.push(Line::Event(event));
        while let Some(c) = pending.next_if(|c| c.seq <= seq) {
            if c.seq == seq {
                lines.push(Line::Checkpoint(c));
            }
        }
    }
    Ok(lines)
}

/// What `tocsin audit verify` found.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    pub checkpoints: u64,
    /// Events after the newest checkpoint: linked, but not yet signed.
    pub unsigned_tail: u64,
}

/// The first thing wrong with an export.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("line {line}: not an audit export line: {why}")]
    Unreadable { line: usize, why: String },
    #[error("line {line}: event {seq} was edited: its content does not give its hash")]
    Edited { line: usize, seq: u64 },
    #[error("line {line}: event {seq} does not link to the event before it: an event before it was edited, or it was inserted")]
    Unlinked { line: usize, seq: u64 },
    #[error("line {line}: event {seq} follows event {after}: events {missing_from}..={missing_to} were deleted")]
    Deleted {
        line: usize,
        seq: u64,
        after: u64,
        missing_from: u64,
        missing_to: u64,
    },
    #[error("line {line}: event {seq} comes after event {after}: events were reordered")]
    Reordered { line: usize, seq: u64, after: u64 },
    #[error("line {line}: a second event {seq}: an event was inserted")]
    Inserted { line: usize, seq: u64 },
    #[error("line {line}: the checkpoint of event {seq} is not signed by the given key")]
    BadSignature { line: usize, seq: u64 },
    #[error("line {line}: the checkpoint of event {seq} signs another chain: the events up to it were changed")]
    CheckpointMismatch { line: usize, seq: u64 },
    #[error("the export holds no signed checkpoint")]
    NoCheckpoint,
}

/// Checks an export line by line against the public key.
pub fn verify(export: &str, public: &VerifyingKey) -> Result<Verified, Broken> {
    let mut last: Option<AuditEvent> = None;
    let mut verified = Verified {
        events: 0,
        checkpoints: 0,
        unsigned_tail: 0,
    };
    let mut lines = Vec::new();
    for (n, text) in export.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(text).map_err(|e| Broken::Unreadable {
            line: n + 1,
            why: e.to_string(),
        })?;
        lines.push((n + 1, parsed));
    }
    let present: std::collections::HashSet<u64> = lines
        .iter()
        .filter_map(|(_, l)| match l {
            Line::Event(e) => Some(e.seq),
            Line::Checkpoint(_) => None,
        })
        .collect();
    for (line, parsed) in lines {
        match parsed {
            Line::Event(event) => {
                let seq = event.seq;
                if event.hash.as_deref() != Some(event.content_hash().as_str()) {
                    return Err(Broken::Edited { line, seq });
                }
                if let Some(before) = &last {
                    if seq == before.seq {
                        return Err(Broken::Inserted { line, seq });
                    }
                    let skipped_present =
                        seq > before.seq + 1 && (before.seq + 1..seq).all(|s| present.contains(&s));
                    if seq < before.seq || skipped_present {
                        return Err(Broken::Reordered {
                            line,
                            seq,
                            after: before.seq,
                        });
                    }
                    if seq > before.seq + 1 {
                        return Err(Broken::Deleted {
                            line,
                            seq,
                            after: before.seq,
                            missing_from: before.seq + 1,
                            missing_to: seq - 1,
                        });
                    }
                    if event.prev != before.hash {
                        return Err(Broken::Unlinked { line, seq });
                    }
                }
                verified.events += 1;
                verified.unsigned_tail += 1;
                last = Some(event);
            }
            Line::Checkpoint(checkpoint) => {
                let seq = checkpoint.seq;
                let signature = hex::decode(&checkpoint.signature)
                    .ok()
                    .and_then(|b| <[u8; 64]>::try_from(b).ok())
                    .map(|b| ed25519_dalek::Signature::from_bytes(&b));
                let message =
                    Checkpoint::message(checkpoint.org, seq, &checkpoint.hash, checkpoint.at);
                if signature.is_none_or(|s| public.verify(&message, &s).is_err()) {
                    return Err(Broken::BadSignature { line, seq });
                }
                let signs_last = last.as_ref().is_some_and(|e| {
                    e.seq == seq && e.hash.as_deref() == Some(checkpoint.hash.as_str())
                });
                if !signs_last {
                    return Err(Broken::CheckpointMismatch { line, seq });
                }
                verified.checkpoints += 1;
                verified.unsigned_tail = 0;
            }
        }
    }
    if verified.checkpoints == 0 {
        return Err(Broken::NoCheckpoint);
    }
    Ok(verified)
}

/// Reads a public key written by `tocsin audit key create` (`FILE.pub`).
pub fn read_public(path: &Path) -> Result<VerifyingKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| format!("{}: not a public key (64 hex digits)", path.display()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The organisations whose chains the appliance signs: all of them.
pub fn sign_all(
    store: &crate::store::Store,
    key: &AuditKey,
    now: OffsetDateTime,
) -> Result<usize, ChainError> {
    let mut signed = 0;
    let mut orgs: Vec<Id> = store.orgs()?.into_iter().map(|o| o.id).collect();
    if let Some(appliance) = store.org_by_slug(crate::store::APPLIANCE_SLUG)? {
        if !orgs.contains(&appliance.id) {
            orgs.push(appliance.id);
        }
    }
    for org in orgs {
        if key.checkpoint(&store.org(org), now)?.is_some() {
            signed += 1;
        }
    }
    Ok(signed)
}

#[cfg(test)]
mod tests;
