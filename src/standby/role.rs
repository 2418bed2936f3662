//! `data_dir/role.json`: the hand-overs an appliance has been through.

use super::{io, StandbyError};
use crate::config::Config;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

const FILE: &str = "role.json";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// A standby (or a stood-down primary) made the primary.
    Promoted {
        from: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A primary that found another appliance promoted, or was told to
    /// stand down.
    StoodDown {
        why: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

impl Role {
    pub fn read(data_dir: &Path) -> Result<Option<Role>, StandbyError> {
        let path = path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StandbyError::Io {
                    path,
                    source: std::io::Error::other(e),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Writes the role through a temporary file, a rename and a sync of the
    /// directory: after a crash it is either the old role or the new.
    pub fn write(&self, data_dir: &Path) -> Result<(), StandbyError> {
        use std::io::Write;
        let final_path = path(data_dir);
        let partial = data_dir.join(".role.json.partial");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StandbyError::Io {
            path: final_path.clone(),
            source: std::io::Error::other(e),
        })?;
        let mut file = std::fs::File::create(&partial).map_err(io(&partial))?;
        file.write_all(&bytes).map_err(io(&partial))?;
        file.sync_all().map_err(io(&partial))?;
        std::fs::rename(&partial, &final_path).map_err(io(&final_path))?;
        std::fs::File::open(data_dir)
            .and_then(|d| d.sync_all())
            .map_err(io(data_dir))
    }
}

/// How the daemon runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The primary: the whole appliance.
    Serve,
    /// Standing by: receives backups, sends nothing.
    Standby,
    /// Stood down after a hand-over: sends nothing, until promoted.
    StoodDown { why: String },
}

impl Mode {
    pub fn of(config: &Config) -> Result<Mode, StandbyError> {
        Ok(match Role::read(&config.data_dir)? {
            Some(Role::Promoted { .. }) => Mode::Serve,
            Some(Role::StoodDown { why, .. }) => Mode::StoodDown { why },
            None if config.standby.is_some() => Mode::Standby,
            None => Mode::Serve,
        })
    }
}
