//! Backups: a consistent image of the whole store (and its at-rest key),
//! deflated and encrypted with a key kept apart from the appliance, sent to
//! other places on a schedule, and restored anywhere.

mod format;
mod image;
mod key;
pub mod schedule;
pub mod targets;

pub use format::{Header, FORMAT};
pub use key::{key_path, BackupKey, CREDENTIAL};

use crate::clock::{Clock, SystemClock};
use crate::store::{Store, StoreError, SCHEMA_VERSION};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the backup key {}: {why}", path.display())]
    Key { path: PathBuf, why: String },
    #[error("this backup needs key {needed}; the key given is {given}")]
    WrongKey { needed: String, given: String },
    #[error("{0}")]
    Damaged(String),
    #[error("the backup has schema version {found}, newer than the {supported} this tocsin understands; restore it with a newer tocsin")]
    NewerSchema { found: u32, supported: u32 },
    #[error("{} is not empty; restore into an empty directory, or add --force to replace what is there", .0.display())]
    NotEmpty(PathBuf),
    #[error("the system random generator failed: {0}")]
    Random(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A backup made: its header and the whole file's bytes.
#[derive(Debug)]
pub struct Made {
    pub header: Header,
    pub bytes: Vec<u8>,
}

impl Made {
    /// The file name the backup is kept under: sorts by time, names the
    /// appliance.
    pub fn file_name(&self) -> String {
        file_name(&self.header)
    }
}

pub fn file_name(header: &Header) -> String {
    let at = header
        .created_at
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    format!("tocsin-{at}-{}.tocsinbk", &header.appliance)
}

/// Takes a backup of the running store.
pub fn make(store: &Store, key: &BackupKey, now: OffsetDateTime) -> Result<Made, BackupError> {
    let at_rest = std::fs::read(store.at_rest_key_path())?;
    let (deflated, tally) = at_idle_priority(|| image::take(store, &at_rest))??;
    let header = Header {
        format: FORMAT,
        appliance: store.appliance_id()?,
        schema: SCHEMA_VERSION,
        created_at: now,
        key_id: key.id(),
        counts: tally.counts(),
        compression: "deflate".to_owned(),
        nonce_prefix: format::new_nonce_prefix()?,
    };
    let mut bytes = Vec::with_capacity(deflated.len() + deflated.len() / 100 + 1024);
    format::write(&mut bytes, key, &header, &deflated)?;
    Ok(Made { header, bytes })
}

/// Runs `work` on a thread of its own that gets the CPU only when nothing
/// else wants it (`SCHED_IDLE`), so alerting keeps its speed while a backup
/// runs on a small appliance. Where the policy can't be set, the work runs
/// at normal priority: a backup late is better than none.
fn at_idle_priority<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, BackupError> {
    use thread_priority::unix::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadSchedulePolicy,
    };
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("tocsin-backup".to_owned())
            .spawn_scoped(scope, || {
                if let Err(e) = set_thread_priority_and_policy(
                    thread_native_id(),
                    thread_priority::ThreadPriority::Min,
                    ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
                ) {
                    tracing::warn!(error = ?e, "a backup runs at normal priority");
                }
                work()
            })?;
        match worker.join() {
            Ok(done) => Ok(done),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// What a restore or a verification found.
#[derive(Debug)]
pub struct Restored {
    pub header: Header,
    /// Records by kind in the restored store, counted after it opened.
    pub counts: BTreeMap<String, u64>,
    pub entries: u64,
}

/// Restores a backup into `data_dir` (its store and at-rest key). The
/// directory must be empty unless `force`; a newer schema is refused before
/// anything is written, an older one migrated by opening it.
pub fn restore(
    input: &mut impl Read,
    key: &BackupKey,
    data_dir: &Path,
    force: bool,
) -> Result<Restored, BackupError> {
    let (header, deflated) = format::read(input, key)?;
    if header.schema > SCHEMA_VERSION {
        return Err(BackupError::NewerSchema {
            found: header.schema,
            supported: SCHEMA_VERSION,
        });
    }
    let contents = image::read(&deflated)?;
    if data_dir.exists() && std::fs::read_dir(data_dir)?.next().is_some() {
        if !force {
            return Err(BackupError::NotEmpty(data_dir.to_path_buf()));
        }
        for name in ["store", crate::store::AT_REST_KEY_FILE] {
            let path = data_dir.join(name);
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else if path.exists() {
                std::fs::remove_file(&path)?;
            }
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let store_dir = data_dir.join("store");
    crate::secret::write_new_private(
        &data_dir.join(crate::store::AT_REST_KEY_FILE),
        &contents.at_rest_key,
    )?;
    let entries = Store::restore_image(&store_dir, contents.changes)?;
    let store = open_released(&store_dir)?;
    let counts = store.counts()?;
    crate::audit::Entry::new(
        crate::audit::shell(),
        "backup.restored",
        crate::store::Outcome::Success,
    )
    .target(file_name(&header))
    .detail(format!("{counts:?}"))
    .write_appliance(&store, SystemClock.now())?;
    store.flush_blocking()?;
    Ok(Restored {
        header,
        counts,
        entries,
    })
}

/// sled lets go of a directory from a background thread after it is
/// dropped; the restored store is opened once that is done.
pub fn open_released(path: &Path) -> Result<Store, BackupError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match Store::open(path) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

/// Checks every chunk of a backup and restores it into a temporary
/// directory, like `restic check --read-data`.
pub fn verify(input: &mut impl Read, key: &BackupKey) -> Result<Restored, BackupError> {
    let scratch = tempfile::Builder::new()
        .prefix("tocsin-verify-")
        .tempdir()?;
    restore(input, key, &scratch.path().join("data"), false)
}

#[cfg(test)]
mod tests;
