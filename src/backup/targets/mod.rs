//! Where backups are kept: a directory, an SSH server over SFTP, or a
//! standby Tocsin over HTTPS. Every upload lands under a temporary name and
//! is renamed when whole, so a half-written backup never looks like one.

use crate::config::{BackupTarget, Place};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod standby;
pub use standby::{state as standby_state, StandbyState, API as STANDBY_API};

/// Backups are files named `tocsin-…​.tocsinbk`; anything else at a target
/// is left alone.
pub fn is_backup(name: &str) -> bool {
    name.starts_with("tocsin-") && name.ends_with(".tocsinbk")
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{target}: {why}")]
    Failed { target: String, why: String },
    /// The standby has been promoted: this appliance is no longer the
    /// primary and must stand down.
    #[error("{target} has taken over as the primary: {why}")]
    TakenOver { target: String, why: String },
}

fn failed(target: &BackupTarget, why: impl std::fmt::Display) -> TargetError {
    TargetError::Failed {
        target: target.name.clone(),
        why: why.to_string(),
    }
}

/// Puts a backup at the target under `name`, atomically.
pub fn put(target: &BackupTarget, name: &str, bytes: &[u8]) -> Result<(), TargetError> {
    match &target.place {
        Place::Directory(dir) => put_file(dir, name, bytes)
            .map_err(|e| failed(target, format!("{}: {e}", dir.display()))),
        Place::Sftp { path, .. } => {
            let local = tempfile::NamedTempFile::new().map_err(|e| failed(target, e))?;
            std::fs::write(local.path(), bytes).map_err(|e| failed(target, e))?;
            let partial = format!("{path}/.{name}.partial");
            sftp(
                target,
                &format!(
                    "put {} {}\nrename {} {}/{}\n",
                    quote(&local.path().to_string_lossy()),
                    quote(&partial),
                    quote(&partial),
                    quote(path),
                    quote(name)
                ),
            )
            .map(|_| ())
        }
        Place::Standby { .. } => standby::put(target, name, bytes),
    }
}

/// Writes `name` in `dir` through a temporary name and a rename, synced, so
/// a crash leaves the whole file or none.
pub(crate) fn put_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

/// The backups at the target, oldest first.
pub fn list(target: &BackupTarget) -> Result<Vec<String>, TargetError> {
    let mut names: Vec<String> = match &target.place {
        Place::Directory(dir) => match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(failed(target, e)),
        },
        Place::Sftp { path, .. } => sftp(target, &format!("ls -1 {}\n", quote(path)))?
            .lines()
            .map(|l| l.trim().rsplit('/').next().unwrap_or_default().to_owned())
            .collect(),
        Place::Standby { .. } => standby::list(target)?,
    };
    names.retain(|n| is_backup(n));
    names.sort();
    Ok(names)
}

/// Fetches one backup from the target.
pub fn get(target: &BackupTarget, name: &str) -> Result<Vec<u8>, TargetError> {
    match &target.place {
        Place::Directory(dir) => std::fs::read(dir.join(name)).map_err(|e| failed(target, e)),
        Place::Sftp { path, .. } => {
            let local = tempfile::NamedTempFile::new().map_err(|e| failed(target, e))?;
            sftp(
                target,
                &format!(
                    "get {}/{} {}\n",
                    quote(path),
                    quote(name),
                    quote(&local.path().to_string_lossy())
                ),
            )?;
            std::fs::read(local.path()).map_err(|e| failed(target, e))
        }
        Place::Standby { .. } => standby::get(target, name),
    }
}

/// Removes backups from the target.
pub fn remove(target: &BackupTarget, names: &[String]) -> Result<(), TargetError> {
    if names.is_empty() {
        return Ok(());
    }
    match &target.place {
        Place::Directory(dir) => {
            for name in names {
                std::fs::remove_file(dir.join(name)).map_err(|e| failed(target, e))?;
            }
            Ok(())
        }
        Place::Sftp { path, .. } => {
            let script: String = names
                .iter()
                .map(|n| format!("rm {}/{}\n", quote(path), quote(n)))
                .collect();
            sftp(target, &script).map(|_| ())
        }
        Place::Standby { .. } => names
            .iter()
            .try_for_each(|name| standby::remove(target, name)),
    }
}

/// sftp's batch mode takes double-quoted arguments.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Runs an sftp batch against the target with its key and pinned host key
/// only; the first failing command fails the batch.
fn sftp(target: &BackupTarget, script: &str) -> Result<String, TargetError> {
    let Place::Sftp {
        user,
        host,
        port,
        identity_file,
        host_key,
        ..
    } = &target.place
    else {
        return Err(failed(target, "not an SFTP target"));
    };
    let known_hosts = tempfile::NamedTempFile::new().map_err(|e| failed(target, e))?;
    let host_entry = if *port == 22 {
        host.clone()
    } else {
        format!("[{host}]:{port}")
    };
    std::fs::write(known_hosts.path(), format!("{host_entry} {host_key}\n"))
        .map_err(|e| failed(target, e))?;
    let mut child = Command::new("sftp")
        .arg("-b")
        .arg("-")
        .arg("-P")
        .arg(port.to_string())
        .arg("-i")
        .arg(identity_file)
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=15",
            "-o",
            "ServerAliveInterval=15",
            "-o",
            "LogLevel=ERROR",
            "-o",
        ])
        .arg(format!(
            "UserKnownHostsFile={}",
            known_hosts.path().display()
        ))
        .arg(format!("{user}@{host}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(target, format!("cannot run sftp: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| failed(target, e))?;
    }
    let out = child.wait_with_output().map_err(|e| failed(target, e))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.lines().last().unwrap_or("sftp failed").trim();
        Err(failed(target, why))
    }
}

/// Which backups retention removes: all but the newest `keep_last`, and
/// the newest of each of the last `keep_daily` days. Names sort by time.
pub fn expired(names: &[String], keep_last: u32, keep_daily: u32) -> Vec<String> {
    let mut keep = std::collections::HashSet::new();
    for name in names.iter().rev().take(keep_last as usize) {
        keep.insert(name.clone());
    }
    let mut days = Vec::new();
    for name in names.iter().rev() {
        // tocsin-YYYYMMDDT…: the day is the 8 digits after the prefix.
        let day = name.get(7..15).unwrap_or_default().to_owned();
        if !days.contains(&day) {
            if days.len() >= keep_daily as usize {
                break;
            }
            days.push(day);
            keep.insert(name.clone());
        }
    }
    names
        .iter()
        .filter(|n| !keep.contains(*n))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_keeps_the_newest_and_one_a_day() {
        let names: Vec<String> = [
            "tocsin-20261201T010000Z-a.tocsinbk",
            "tocsin-20261201T020000Z-a.tocsinbk",
            "tocsin-20261202T010000Z-a.tocsinbk",
            "tocsin-20261202T020000Z-a.tocsinbk",
            "tocsin-20261203T010000Z-a.tocsinbk",
            "tocsin-20261203T020000Z-a.tocsinbk",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            expired(&names, 2, 2),
            vec![
                "tocsin-20261201T010000Z-a.tocsinbk",
                "tocsin-20261201T020000Z-a.tocsinbk",
                "tocsin-20261202T010000Z-a.tocsinbk"
            ]
        );
        assert!(expired(&names, 10, 0).is_empty());
    }
}
