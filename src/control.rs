//! The daemon's local control socket, `data_dir/control.sock` (0600, the
//! service user's alone): commands from the appliance's shell that must go
//! through the running daemon, such as `tocsin backup now` and
//! `tocsin promote`. One JSON line in, one JSON line out.

use crate::backup::schedule::NowRequest;
use crate::clock::{Clock, SystemClock};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

pub const SOCKET: &str = "control.sock";

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// A hand-over asked of the running daemon, answered when done.
#[derive(Debug)]
pub enum HandOver {
    Promote(oneshot::Sender<Result<crate::standby::Promoted, String>>),
    Demote(oneshot::Sender<Result<(), String>>),
}

/// What the daemon can be asked to do.
#[derive(Debug, Clone)]
pub struct Commands {
    pub backup_now: Option<mpsc::Sender<NowRequest>>,
    pub hand_over: mpsc::Sender<HandOver>,
    /// What the daemon is now: `primary`, `standby` or `stood down`.
    pub mode: &'static str,
    /// The store, for the audit trail of what the shell did, when open.
    pub store: Option<crate::store::Store>,
}

/// Listens on the control socket until the runtime stops.
pub fn listen(data_dir: &Path, commands: Commands) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(data_dir);
    // A socket left by a killed daemon is stale: nobody listens on it.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let commands = commands.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                let mut reader = BufReader::new(read);
                if reader.read_line(&mut line).await.is_err() {
                    return;
                }
                let answer = answer(line.trim(), &commands).await;
                let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
            });
        }
    });
    Ok(())
}

async fn answer(command: &str, commands: &Commands) -> serde_json::Value {
    match command {
        "backup-now" => {
            let Some(now) = &commands.backup_now else {
                return serde_json::json!({"error": "no [backup] in the configuration"});
            };
            let (tx, rx) = oneshot::channel();
            if now.send(tx).await.is_err() {
                return serde_json::json!({"error": "the backup schedule is not running"});
            }
            match rx.await {
                Ok(Ok(status)) => serde_json::json!({ "status": status }),
                Ok(Err(e)) => serde_json::json!({ "error": e }),
                Err(_) => serde_json::json!({"error": "the backup was abandoned"}),
            }
        }
        "promote" => {
            let (tx, rx) = oneshot::channel();
            if commands
                .hand_over
                .send(HandOver::Promote(tx))
                .await
                .is_err()
            {
                return serde_json::json!({"error": "the daemon is stopping"});
            }
            match rx.await {
                Ok(Ok(promoted)) => serde_json::json!({ "promoted": promoted }),
                Ok(Err(e)) => serde_json::json!({ "error": e }),
                Err(_) => serde_json::json!({"error": "the promotion was abandoned"}),
            }
        }
        "demote" => {
            let (tx, rx) = oneshot::channel();
            if commands.hand_over.send(HandOver::Demote(tx)).await.is_err() {
                return serde_json::json!({"error": "the daemon is stopping"});
            }
            match rx.await {
                Ok(Ok(())) => serde_json::json!({ "stood_down": true }),
                Ok(Err(e)) => serde_json::json!({ "error": e }),
                Err(_) => serde_json::json!({"error": "the stand-down was abandoned"}),
            }
        }
        "mode" => serde_json::json!({ "mode": commands.mode }),
        other if other.starts_with("audit-export ") => {
            let mut words = other.split_whitespace().skip(1);
            let (Some(slug), Some(since)) = (words.next(), words.next()) else {
                return serde_json::json!({"error": "audit-export ORG SINCE|-"});
            };
            let Some(store) = commands.store.clone() else {
                return serde_json::json!({"error": "no store is open"});
            };
            let (slug, since) = (slug.to_owned(), (since != "-").then(|| since.to_owned()));
            let lines = crate::store::blocking(move || {
                Ok::<_, crate::store::StoreError>(audit_export(&store, &slug, since.as_deref()))
            })
            .await;
            match lines {
                Ok(Ok(lines)) => serde_json::json!({ "lines": lines }),
                Ok(Err(e)) => serde_json::json!({ "error": e }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            }
        }
        other if other.starts_with("key-created ") => {
            let id = other.trim_start_matches("key-created ").to_owned();
            let Some(store) = commands.store.clone() else {
                return serde_json::json!({"error": "no store is open"});
            };
            match crate::store::blocking(move || key_created(&store, &id)).await {
                Ok(()) => serde_json::json!({ "audited": true }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            }
        }
        other => serde_json::json!({ "error": format!("unknown command {other:?}") }),
    }
}

/// An organisation's audit chain as export lines.
pub fn audit_export(
    store: &crate::store::Store,
    slug: &str,
    since: Option<&str>,
) -> Result<Vec<String>, String> {
    let since = since
        .map(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .transpose()
        .map_err(|e| format!("since: {e}"))?;
    let org = store
        .org_by_slug(slug)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no organisation {slug:?}"))?;
    let lines =
        crate::audit::chain::export(&store.org(org.id), since).map_err(|e| e.to_string())?;
    lines
        .iter()
        .map(|l| serde_json::to_string(l).map_err(|e| e.to_string()))
        .collect()
}

/// Records in the appliance's audit trail that a backup key was made.
pub fn key_created(store: &crate::store::Store, id: &str) -> Result<(), crate::store::StoreError> {
    crate::audit::Entry::new(
        crate::audit::shell(),
        "backup.key_created",
        crate::store::Outcome::Success,
    )
    .target(id)
    .write_appliance(store, SystemClock.now())?;
    store.flush_blocking()
}

/// Sends one command to the running daemon and returns its answer.
pub fn ask(data_dir: &Path, command: &str) -> Result<serde_json::Value, String> {
    use std::io::{BufRead, Write};
    let path = socket_path(data_dir);
    let mut stream = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
        format!(
            "cannot reach the running daemon at {} ({e}); is the tocsin service running?",
            path.display()
        )
    })?;
    stream
        .write_all(format!("{command}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&line).map_err(|e| format!("the daemon's answer is unreadable: {e}"))
}
