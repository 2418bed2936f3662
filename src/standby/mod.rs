//! Two appliances, one service: a standby receives the primary's backups,
//! verifies each and keeps the newest restored and ready; `tocsin promote`
//! makes it the primary in one step; and a primary that finds its standby
//! promoted stands down and sends nothing until told.
//!
//! What an appliance is lives in `data_dir/role.json`, written durably at
//! each hand-over, so a restart never forgets a promotion or a stand-down.

mod receive;
mod role;

pub use receive::{ReceiveError, Receiver};
pub use role::{Mode, Role};

use crate::backup::{self, BackupKey};
use crate::config::Config;
use crate::store::{Outcome, Store};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error("nothing to promote: no verified backup has arrived from the primary yet")]
    NothingReady,
    #[error("this appliance already is the primary")]
    AlreadyPrimary,
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Backup(#[from] backup::BackupError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StandbyError + '_ {
    move |source| StandbyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where a standby keeps what it receives: the backups, and the newest
/// restored and ready to serve.
pub fn area(data_dir: &Path) -> PathBuf {
    data_dir.join("standby")
}

/// What a promotion did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Promoted {
    /// The backup now served, when a standby was promoted; `None` when a
    /// stood-down primary took the service back on its own store.
    pub from: Option<String>,
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// Makes this appliance the primary: a standby moves its ready backup into
/// place as the store; a stood-down primary takes its own store back. The
/// daemon must not be serving the store while this runs.
pub fn promote(config: &Config, now: OffsetDateTime) -> Result<Promoted, StandbyError> {
    let data_dir = &config.data_dir;
    let role = Role::read(data_dir)?;
    let from = if matches!(role, Some(Role::Promoted { .. })) {
        return Err(StandbyError::AlreadyPrimary);
    } else if receive::ready_dir(data_dir).exists() {
        Some(receive::install_ready(data_dir, now)?)
    } else if matches!(role, Some(Role::StoodDown { .. })) {
        None
    } else if config.standby.is_some() {
        return Err(StandbyError::NothingReady);
    } else {
        return Err(StandbyError::AlreadyPrimary);
    };
    let promoted_role = Role::Promoted {
        from: from.clone().unwrap_or_else(|| "its own store".to_owned()),
        at: now,
    };
    promoted_role.write(data_dir)?;
    let store = backup::open_released(&config.store_dir())?;
    let counts = store.counts()?;
    audit(
        &store,
        "standby.promoted",
        from.as_deref().unwrap_or("own store"),
        now,
    )?;
    store.flush_blocking()?;
    tracing::warn!(from = ?from, "promoted: this appliance is the primary");
    Ok(Promoted { from, counts })
}

/// Makes this appliance stand down: it keeps its store but sends nothing,
/// and serves only its health and standby endpoints, until promoted again.
/// `store` is the running daemon's, when there is one, for the audit trail.
pub fn stand_down(
    data_dir: &Path,
    store: Option<&Store>,
    why: &str,
    now: OffsetDateTime,
) -> Result<(), StandbyError> {
    Role::StoodDown {
        why: why.to_owned(),
        at: now,
    }
    .write(data_dir)?;
    if let Some(store) = store {
        audit(store, "standby.stood_down", why, now)?;
        store.flush_blocking()?;
    }
    tracing::error!(
        why,
        "standing down: this appliance sends nothing until promoted"
    );
    Ok(())
}

fn audit(
    store: &Store,
    action: &'static str,
    target: &str,
    now: OffsetDateTime,
) -> Result<(), StandbyError> {
    crate::audit::Entry::new(crate::audit::shell(), action, Outcome::Success)
        .target(target)
        .write_appliance(store, now)?;
    Ok(())
}

/// The backup key a standby verifies with.
pub fn key(config: &crate::config::StandbyConfig) -> Result<BackupKey, StandbyError> {
    Ok(BackupKey::read(&backup::key_path(&config.key_file))?)
}

/// Makes the token a primary presents to its standby, written to `out`
/// (0600, never overwriting); returns the SHA-256 the standby keeps.
pub fn new_token(out: &Path) -> Result<String, StandbyError> {
    use sha2::Digest;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io(out)(std::io::Error::other(e.to_string())))?;
    let token = format!("tocsin-standby-{}", hex::encode(bytes));
    crate::secret::write_new_private(out, format!("{token}\n").as_bytes()).map_err(io(out))?;
    Ok(hex::encode(sha2::Sha256::digest(token.as_bytes())))
}
