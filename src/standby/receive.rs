//! A standby's side of the backups: each one received is written under a
//! temporary name, verified chunk by chunk and restored into a scratch
//! directory; only then is it kept, and when it is newer than what is ready,
//! the restored copy becomes the ready one.
//!
//! ```text
//! data_dir/standby/backups/tocsin-….tocsinbk   verified backups
//! data_dir/standby/ready/                      the newest, restored: store/, at-rest.key, backup.json
//! ```

use super::{area, io, Role, StandbyError};
use crate::backup::{self, targets::StandbyState, BackupKey, Header};
use crate::config::StandbyConfig;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

const READY_HEADER: &str = "backup.json";

pub(super) fn ready_dir(data_dir: &Path) -> PathBuf {
    area(data_dir).join("ready")
}

fn backups_dir(data_dir: &Path) -> PathBuf {
    area(data_dir).join("backups")
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("{0:?} is not a backup's name (tocsin-….tocsinbk)")]
    BadName(String),
    #[error("this appliance took over as the primary at {at} (from {from}); it takes no backups")]
    Promoted { from: String, at: OffsetDateTime },
    #[error("this standby follows appliance {follows}; the backup is from {sent}")]
    OtherAppliance { follows: String, sent: String },
    #[error("the backup does not verify: {0}")]
    Damaged(backup::BackupError),
    #[error("no backup {0}")]
    NotFound(String),
    #[error(transparent)]
    Standby(#[from] StandbyError),
}

/// The standby side of the appliance's HTTPS service.
#[derive(Debug)]
pub struct Receiver {
    data_dir: PathBuf,
    key: BackupKey,
    token_sha256: [u8; 32],
    max_lag: time::Duration,
    /// One backup is taken in at a time: each replaces the ready copy.
    receiving: Mutex<()>,
}

impl Receiver {
    /// The receiver of an appliance with `[standby]`; a promoted appliance
    /// keeps one so that its former primary hears it has taken over.
    pub fn new(data_dir: &Path, config: &StandbyConfig) -> Result<Receiver, StandbyError> {
        Ok(Receiver {
            data_dir: data_dir.to_path_buf(),
            key: super::key(config)?,
            token_sha256: config.token_sha256,
            max_lag: config.max_lag,
            receiving: Mutex::new(()),
        })
    }

    /// Whether `token` is the one the primary was given.
    pub fn authorised(&self, token: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        given.ct_eq(&self.token_sha256).into()
    }

    fn promoted(&self) -> Result<(), ReceiveError> {
        match Role::read(&self.data_dir)? {
            Some(Role::Promoted { from, at }) => Err(ReceiveError::Promoted { from, at }),
            _ => Ok(()),
        }
    }

    /// Takes a backup in: verified, kept, and made ready when it is the
    /// newest. Blocks; call off the async workers.
    pub fn receive(&self, name: &str, bytes: &[u8]) -> Result<Header, ReceiveError> {
        check_name(name)?;
        let _one_at_a_time = self.receiving.lock().unwrap_or_else(|p| p.into_inner());
        self.promoted()?;
        let dir = backups_dir(&self.data_dir);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let scratch = area(&self.data_dir).join("incoming");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).map_err(io(&scratch))?;
        }
        let restored = backup::restore(&mut &bytes[..], &self.key, &scratch, false)
            .map_err(ReceiveError::Damaged)?;
        let header = restored.header;
        let ready = self.ready();
        if let Some(ready) = &ready {
            if ready.appliance != header.appliance {
                let _ = std::fs::remove_dir_all(&scratch);
                return Err(ReceiveError::OtherAppliance {
                    follows: ready.appliance.clone(),
                    sent: header.appliance,
                });
            }
        }
        backup::targets::put_file(&dir, name, bytes).map_err(io(&dir))?;
        let newer = ready.is_none_or(|r| r.created_at < header.created_at);
        if newer {
            let json =
                serde_json::to_vec(&header).map_err(|e| io(&scratch)(std::io::Error::other(e)))?;
            backup::targets::put_file(&scratch, READY_HEADER, &json).map_err(io(&scratch))?;
            let ready_dir = ready_dir(&self.data_dir);
            let old = area(&self.data_dir).join("replaced");
            if old.exists() {
                std::fs::remove_dir_all(&old).map_err(io(&old))?;
            }
            if ready_dir.exists() {
                std::fs::rename(&ready_dir, &old).map_err(io(&ready_dir))?;
            }
            std::fs::rename(&scratch, &ready_dir).map_err(io(&ready_dir))?;
            sync_dir(&area(&self.data_dir))?;
            if old.exists() {
                std::fs::remove_dir_all(&old).map_err(io(&old))?;
            }
        } else {
            std::fs::remove_dir_all(&scratch).map_err(io(&scratch))?;
        }
        tracing::info!(
            backup = name,
            ready = newer,
            "a backup from the primary verified and kept"
        );
        Ok(header)
    }

    /// The header of the backup restored and ready, if any.
    pub fn ready(&self) -> Option<Header> {
        let bytes = std::fs::read(ready_dir(&self.data_dir).join(READY_HEADER)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// How far the ready backup is behind `now`, when there is one.
    pub fn lag(&self, now: OffsetDateTime) -> Option<time::Duration> {
        self.ready().map(|h| now - h.created_at)
    }

    /// What `/readyz` says of the standby: `None` when the ready backup is
    /// fresh.
    pub fn stale(&self, now: OffsetDateTime) -> Option<String> {
        match self.lag(now) {
            None => Some("no backup has arrived from the primary".to_owned()),
            Some(lag) if lag > self.max_lag => Some(format!(
                "the ready backup is {} min old",
                lag.whole_minutes()
            )),
            Some(_) => None,
        }
    }

    pub fn list(&self) -> Result<Vec<String>, ReceiveError> {
        self.promoted()?;
        let dir = backups_dir(&self.data_dir);
        let mut names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| backup::targets::is_backup(n))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(&dir)(e).into()),
        };
        names.sort();
        Ok(names)
    }

    pub fn get(&self, name: &str) -> Result<Vec<u8>, ReceiveError> {
        check_name(name)?;
        let path = backups_dir(&self.data_dir).join(name);
        std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReceiveError::NotFound(name.to_owned()),
            _ => io(&path)(e).into(),
        })
    }

    /// Removes a kept backup (the primary's retention); the ready copy
    /// stays ready.
    pub fn remove(&self, name: &str) -> Result<(), ReceiveError> {
        check_name(name)?;
        self.promoted()?;
        let path = backups_dir(&self.data_dir).join(name);
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReceiveError::NotFound(name.to_owned()),
            _ => io(&path)(e).into(),
        })
    }

    pub fn state(&self) -> Result<StandbyState, ReceiveError> {
        let ready = self.ready();
        let (role, promoted_from, promoted_at) = match Role::read(&self.data_dir)? {
            Some(Role::Promoted { from, at }) => ("primary", Some(from), Some(at)),
            _ => ("standby", None, None),
        };
        Ok(StandbyState {
            role: role.to_owned(),
            promoted_from,
            promoted_at,
            ready: ready.as_ref().map(backup::file_name),
            ready_created_at: ready.map(|h| h.created_at),
        })
    }
}

fn check_name(name: &str) -> Result<(), ReceiveError> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    if plain && backup::targets::is_backup(name) && !name.contains("..") {
        Ok(())
    } else {
        Err(ReceiveError::BadName(name.to_owned()))
    }
}

fn sync_dir(dir: &Path) -> Result<(), StandbyError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

/// Moves the ready backup into place as the appliance's store and at-rest
/// key; a store already there is moved aside to `data_dir/replaced-…`, never
/// deleted. Returns the backup's file name.
pub(super) fn install_ready(data_dir: &Path, now: OffsetDateTime) -> Result<String, StandbyError> {
    let ready = ready_dir(data_dir);
    let header: Header =
        serde_json::from_slice(&std::fs::read(ready.join(READY_HEADER)).map_err(io(&ready))?)
            .map_err(|e| io(&ready)(std::io::Error::other(e)))?;
    let store = data_dir.join("store");
    let at_rest = data_dir.join(crate::store::AT_REST_KEY_FILE);
    if store.exists() || at_rest.exists() {
        let aside = data_dir.join(format!("replaced-{}", now.unix_timestamp()));
        std::fs::create_dir_all(&aside).map_err(io(&aside))?;
        for old in [&store, &at_rest] {
            if old.exists() {
                let to = aside.join(old.file_name().unwrap_or_default());
                std::fs::rename(old, &to).map_err(io(old))?;
            }
        }
    }
    std::fs::rename(ready.join("store"), &store).map_err(io(&store))?;
    std::fs::rename(ready.join(crate::store::AT_REST_KEY_FILE), &at_rest).map_err(io(&at_rest))?;
    sync_dir(data_dir)?;
    std::fs::remove_dir_all(&ready).map_err(io(&ready))?;
    Ok(backup::file_name(&header))
}
