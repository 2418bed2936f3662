//! `[backup]`: where backups go, how often, and how many are kept.

use super::reader::{Reader, TableCursor};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupConfig {
    /// The backup key (or the systemd credential `backup-key` instead).
    pub key_file: PathBuf,
    /// How often a backup is taken: the most data a disaster can lose.
    pub interval: time::Duration,
    /// The newest backups kept at each target, whatever their age.
    pub keep_last: u32,
    /// Besides, the newest backup of each of this many recent days.
    pub keep_daily: u32,
    pub targets: Vec<BackupTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupTarget {
    pub name: String,
    pub place: Place,
}

/// Where one target keeps backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// `file:///mnt/backup/tocsin`: a directory (a mounted disk or share).
    Directory(PathBuf),
    /// `sftp://user@host:22/path`: an SSH server, by key, with its host key
    /// pinned.
    Sftp {
        user: String,
        host: String,
        port: u16,
        path: String,
        identity_file: PathBuf,
        /// The server's public host key as `ssh-keyscan` prints it
        /// ("ssh-ed25519 AAAA…").
        host_key: String,
    },
    /// `https://standby:8443`: a standby Tocsin, which verifies each backup,
    /// keeps the newest restored and ready, and takes over when promoted.
    Standby {
        url: url::Url,
        /// The token the standby knows by its hash (`tocsin standby token`).
        token_file: PathBuf,
        /// The standby's TLS certificate (or the CA that issued it); without
        /// it, the system's trusted CAs.
        ca_file: Option<PathBuf>,
    },
}

pub(super) fn read_backup(r: &mut Reader, t: &mut TableCursor) -> Option<BackupConfig> {
    let key_file = r.path(t, "key_file");
    if key_file.is_none() && !t.has("key_file") {
        r.missing(t, "key_file");
    }
    let interval = r
        .integer(
            t,
            "interval_minutes",
            1,
            1440,
            "a number of minutes from 1 to 1440",
        )
        .unwrap_or(15);
    let keep_last = r
        .integer(t, "keep_last", 1, 10_000, "a number from 1 to 10000")
        .unwrap_or(96);
    let keep_daily = r
        .integer(t, "keep_daily", 0, 3650, "a number of days from 0 to 3650")
        .unwrap_or(30);
    let mut targets = Vec::new();
    let tables = r.array_of_tables(t, "targets");
    r.unique_names(&tables);
    for mut target in tables {
        if let Some(read) = read_target(r, &mut target) {
            targets.push(read);
        }
        r.finish(target);
    }
    if targets.is_empty() {
        r.problem_at(
            t,
            "targets",
            "needs at least one [[backup.targets]]: a backup kept only on the appliance is no backup"
                .to_owned(),
        );
    }
    Some(BackupConfig {
        key_file: key_file?,
        interval: time::Duration::minutes(interval),
        keep_last: u32::try_from(keep_last).ok()?,
        keep_daily: u32::try_from(keep_daily).ok()?,
        targets,
    })
}

fn read_target(r: &mut Reader, t: &mut TableCursor) -> Option<BackupTarget> {
    let name = r.required_name(t);
    let url = r.parsed(
        t,
        "url",
        "a file:///directory, sftp://user@host:port/path or https://standby:port URL",
        |s| {
            let url = url::Url::parse(s).ok()?;
            matches!(url.scheme(), "file" | "sftp" | "https").then_some(url)
        },
    );
    if url.is_none() && !t.has("url") {
        r.missing(t, "url");
    }
    let place = match url {
        Some(url) if url.scheme() == "file" => {
            let path = url.to_file_path().ok();
            if path.is_none() {
                r.problem_at(t, "url", "must name an absolute directory".to_owned());
            }
            path.map(Place::Directory)
        }
        Some(url) if url.scheme() == "https" => read_standby(r, t, url),
        Some(url) => read_sftp(r, t, &url),
        None => None,
    };
    Some(BackupTarget {
        name: name?,
        place: place?,
    })
}

fn read_sftp(r: &mut Reader, t: &mut TableCursor, url: &url::Url) -> Option<Place> {
    let identity_file = r.path(t, "identity_file");
    if identity_file.is_none() && !t.has("identity_file") {
        r.missing(t, "identity_file");
    }
    let host_key = r.parsed(
        t,
        "host_key",
        "the server's host key as ssh-keyscan prints it (\"ssh-ed25519 AAAA...\")",
        |s| {
            let mut parts = s.split_whitespace();
            let (kind, key) = (parts.next()?, parts.next()?);
            (kind.starts_with("ssh-") || kind.starts_with("ecdsa-"))
                .then(|| format!("{kind} {key}"))
        },
    );
    if host_key.is_none() && !t.has("host_key") {
        r.missing(t, "host_key");
    }
    let user = url.username();
    let host = url.host_str();
    if user.is_empty() || host.is_none() || url.password().is_some() {
        r.problem_at(
            t,
            "url",
            "must name a user and a host, and no password (keys only): sftp://user@host:22/path"
                .to_owned(),
        );
        return None;
    }
    Some(Place::Sftp {
        user: user.to_owned(),
        host: host?.to_owned(),
        port: url.port().unwrap_or(22),
        path: url.path().to_owned(),
        identity_file: identity_file?,
        host_key: host_key?,
    })
}

fn read_standby(r: &mut Reader, t: &mut TableCursor, url: url::Url) -> Option<Place> {
    let token_file = r.path(t, "token_file");
    if token_file.is_none() && !t.has("token_file") {
        r.missing(t, "token_file");
    }
    let ca_file = r.path(t, "ca_file");
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        r.problem_at(
            t,
            "url",
            "must name the standby's host and port, and no user: https://standby:8443".to_owned(),
        );
        return None;
    }
    Some(Place::Standby {
        url,
        token_file: token_file?,
        ca_file,
    })
}
