//! Backups on a schedule: one is taken every interval (or at once when
//! asked), and each target gets the newest on its own task, retried with a
//! growing pause when it fails, so a dead target never holds up the others.
//! When a target has failed for an hour, every organisation's admins are
//! told through the appliance's own channels.

use super::{make, targets, BackupKey, Made};
use crate::alerts::{Engine, Notice};
use crate::audit::{self, Entry};
use crate::clock::SharedClock;
use crate::config::{BackupConfig, BackupTarget};
use crate::store::{Outcome, Store};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};

/// Longest pause between retries of a failing target.
const LONGEST_RETRY: Duration = Duration::from_secs(300);
/// A target failing this long is worth telling people about.
const TELL_AFTER: time::Duration = time::Duration::HOUR;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

/// What backups have done lately, for `/readyz`, the console and
/// `tocsin backup now`.
#[derive(Debug, Default)]
pub struct Status {
    inner: Mutex<StatusInner>,
    interval: time::Duration,
    started_at: Option<OffsetDateTime>,
    last_success: Gauge,
    failures: Family<TargetLabels, Counter>,
    bytes: Family<TargetLabels, Counter>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct StatusInner {
    /// The newest backup taken, by file name.
    pub newest: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub newest_at: Option<OffsetDateTime>,
    pub targets: Vec<TargetStatus>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TargetStatus {
    pub name: String,
    /// The newest backup this target holds.
    pub holds: Option<String>,
    /// The backup last tried, whether it went or not.
    pub last_tried: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub failing_since: Option<OffsetDateTime>,
}

impl Status {
    pub fn snapshot(&self) -> StatusInner {
        self.inner.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// When the newest backup that reached every target was taken.
    pub fn newest_everywhere(&self) -> Option<OffsetDateTime> {
        let s = self.snapshot();
        s.targets.iter().map(|t| t.last_success_at).min().flatten()
    }

    /// What `/readyz` says of backups: `None` when the newest backup that
    /// reached every target is at most three intervals old.
    pub fn stale(&self, now: OffsetDateTime) -> Option<String> {
        let since = self.newest_everywhere().or(self.started_at)?;
        let age = now - since;
        (age > self.interval * 3).then(|| {
            format!(
                "no backup has reached every target for {} min",
                age.whole_minutes()
            )
        })
    }

    fn update(&self, f: impl FnOnce(&mut StatusInner)) {
        if let Ok(mut s) = self.inner.lock() {
            f(&mut s);
        }
    }
}

/// Asks the running schedule for a backup now; the answer comes when every
/// target has had its first try at it.
pub type NowRequest = oneshot::Sender<Result<StatusInner, String>>;

pub struct Schedule {
    pub status: Arc<Status>,
    pub now: mpsc::Sender<NowRequest>,
    /// Says why, when a standby target answers that it has taken over: this
    /// appliance must stand down.
    pub taken_over: mpsc::Receiver<String>,
}

/// Starts taking backups. Runs until the runtime stops.
pub fn start(
    config: BackupConfig,
    key: BackupKey,
    store: Store,
    clock: SharedClock,
    engine: Engine,
    metrics: &crate::metrics::Metrics,
) -> Schedule {
    let status = Arc::new(Status {
        interval: config.interval,
        started_at: Some(clock.now()),
        ..Status::default()
    });
    status.update(|s| {
        s.targets = config
            .targets
            .iter()
            .map(|t| TargetStatus {
                name: t.name.clone(),
                ..TargetStatus::default()
            })
            .collect();
    });
    metrics.with_registry(|r| {
        r.register(
            "backup_last_success_timestamp_seconds",
            "When the newest backup that reached every target was taken",
            status.last_success.clone(),
        );
        r.register(
            "backup_failures",
            "Failed uploads per backup target",
            status.failures.clone(),
        );
        r.register(
            "backup_bytes",
            "Bytes uploaded per backup target",
            status.bytes.clone(),
        );
    });
    let (newest_tx, newest_rx) = watch::channel::<Option<Arc<Made>>>(None);
    let (uploaded_tx, _) = tokio::sync::broadcast::channel::<()>(64);
    let (taken_over_tx, taken_over) = mpsc::channel(4);
    for target in config.targets.clone() {
        let shipper = Shipper {
            target,
            config: config.clone(),
            status: status.clone(),
            store: store.clone(),
            clock: clock.clone(),
            engine: engine.clone(),
            uploaded: uploaded_tx.clone(),
            taken_over: taken_over_tx.clone(),
        };
        tokio::spawn(shipper.run(newest_rx.clone()));
    }
    let (now_tx, now_rx) = mpsc::channel(4);
    let maker = Maker {
        config,
        key,
        store,
        clock,
        status: status.clone(),
        newest: newest_tx,
        uploaded: uploaded_tx,
    };
    tokio::spawn(maker.run(now_rx));
    Schedule {
        status,
        now: now_tx,
        taken_over,
    }
}

struct Maker {
    config: BackupConfig,
    key: BackupKey,
    store: Store,
    clock: SharedClock,
    status: Arc<Status>,
    newest: watch::Sender<Option<Arc<Made>>>,
    uploaded: tokio::sync::broadcast::Sender<()>,
}

impl Maker {
    async fn run(self, mut asked: mpsc::Receiver<NowRequest>) {
        let every =
            Duration::from_secs(u64::try_from(self.config.interval.whole_seconds()).unwrap_or(900));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let reply = tokio::select! {
                _ = tick.tick() => None,
                request = asked.recv() => match request {
                    Some(reply) => Some(reply),
                    None => return,
                },
            };
            let taken = self.take().await;
            let Some(reply) = reply else { continue };
            let answer = match taken {
                Ok(name) => Ok(self.wait_for_targets(&name).await),
                Err(e) => Err(e),
            };
            let _ = reply.send(answer);
        }
    }

    async fn take(&self) -> Result<String, String> {
        let (store, key, now) = (self.store.clone(), self.key.clone(), self.clock.now());
        let made = tokio::task::spawn_blocking(move || make(&store, &key, now))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        match made {
            Ok(made) => {
                let name = made.file_name();
                tracing::info!(backup = %name, bytes = made.bytes.len(), counts = ?made.header.counts, "backup taken");
                let _ = Entry::new(audit::appliance(), "backup.taken", Outcome::Success)
                    .target(&name)
                    .detail(format!(
                        "{} bytes, {:?}",
                        made.bytes.len(),
                        made.header.counts
                    ))
                    .write_appliance(&self.store, now);
                self.status.update(|s| {
                    s.newest = Some(name.clone());
                    s.newest_at = Some(now);
                });
                let _ = self.newest.send(Some(Arc::new(made)));
                Ok(name)
            }
            Err(e) => {
                tracing::error!(error = %e, "backup failed");
                let _ = Entry::new(audit::appliance(), "backup.failed", Outcome::Failure)
                    .detail(e.clone())
                    .write_appliance(&self.store, now);
                Err(e)
            }
        }
    }

    /// Waits until every target has had its try at backup `name`.
    async fn wait_for_targets(&self, name: &str) -> StatusInner {
        let mut uploaded = self.uploaded.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        loop {
            let s = self.status.snapshot();
            if s.targets
                .iter()
                .all(|t| t.last_tried.as_deref() == Some(name))
            {
                return s;
            }
            if tokio::time::timeout_at(deadline, uploaded.recv())
                .await
                .is_err()
            {
                return self.status.snapshot();
            }
        }
    }
}

struct Shipper {
    target: BackupTarget,
    config: BackupConfig,
    status: Arc<Status>,
    store: Store,
    clock: SharedClock,
    engine: Engine,
    uploaded: tokio::sync::broadcast::Sender<()>,
    taken_over: mpsc::Sender<String>,
}

impl Shipper {
    async fn run(self, mut newest: watch::Receiver<Option<Arc<Made>>>) {
        let mut failures: u32 = 0;
        let mut holds: Option<String> = None;
        loop {
            let pending = newest.borrow_and_update().clone();
            let Some(made) = pending.filter(|m| Some(m.file_name()) != holds) else {
                if newest.changed().await.is_err() {
                    return;
                }
                continue;
            };
            let name = made.file_name();
            let result = self.ship(made.clone()).await;
            let now = self.clock.now();
            match result {
                Ok(()) => {
                    failures = 0;
                    holds = Some(name.clone());
                    self.status
                        .bytes
                        .get_or_create(&self.labels())
                        .inc_by(made.bytes.len() as u64);
                    self.status.update(|s| {
                        if let Some(t) = s.targets.iter_mut().find(|t| t.name == self.target.name) {
                            t.holds = Some(name.clone());
                            t.last_tried = Some(name.clone());
                            t.last_success_at = Some(made.header.created_at);
                            t.last_error = None;
                            t.failing_since = None;
                        }
                    });
                    if let Some(oldest) = self.status.newest_everywhere() {
                        self.status.last_success.set(oldest.unix_timestamp());
                    }
                    let _ = self.uploaded.send(());
                }
                Err(targets::TargetError::TakenOver { target, why }) => {
                    tracing::error!(%target, %why, "the standby has taken over");
                    let _ = self
                        .taken_over
                        .send(format!("{target} took over as the primary: {why}"))
                        .await;
                    return;
                }
                Err(e) => {
                    let e = e.to_string();
                    failures = failures.saturating_add(1);
                    tracing::warn!(target = %self.target.name, error = %e, "backup upload failed; will retry");
                    self.status.failures.get_or_create(&self.labels()).inc();
                    let mut tell = None;
                    self.status.update(|s| {
                        if let Some(t) = s.targets.iter_mut().find(|t| t.name == self.target.name) {
                            t.last_error = Some(e.clone());
                            t.last_tried = Some(name.clone());
                            let since = *t.failing_since.get_or_insert(now);
                            if now - since >= TELL_AFTER {
                                tell = Some(since);
                            }
                        }
                    });
                    let _ = self.uploaded.send(());
                    if let Some(since) = tell {
                        self.tell_everyone(since, &e).await;
                    }
                    let pause = Duration::from_secs(5)
                        .saturating_mul(1 << failures.min(10))
                        .min(LONGEST_RETRY);
                    // A newer backup cuts the pause short: it is the one to send.
                    let _ = tokio::time::timeout(pause, newest.changed()).await;
                }
            }
        }
    }

    fn labels(&self) -> TargetLabels {
        TargetLabels {
            target: self.target.name.clone(),
        }
    }

    async fn ship(&self, made: Arc<Made>) -> Result<(), targets::TargetError> {
        let target = self.target.clone();
        let (keep_last, keep_daily) = (self.config.keep_last, self.config.keep_daily);
        tokio::task::spawn_blocking(move || {
            let name = made.file_name();
            targets::put(&target, &name, &made.bytes)?;
            // Retention failing is not the upload failing: the backup is there.
            match targets::list(&target) {
                Ok(names) => {
                    let mine: Vec<String> = names
                        .into_iter()
                        .filter(|n| n.contains(&made.header.appliance))
                        .collect();
                    let old = targets::expired(&mine, keep_last, keep_daily);
                    if let Err(e) = targets::remove(&target, &old) {
                        tracing::warn!(error = %e, "cannot remove old backups");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list backups for retention"),
            }
            Ok(())
        })
        .await
        .map_err(|e| targets::TargetError::Failed {
            target: self.target.name.clone(),
            why: e.to_string(),
        })?
    }

    /// Once an hour while the target keeps failing, every organisation's
    /// admins hear of it (the same key makes it once per hour).
    async fn tell_everyone(&self, since: OffsetDateTime, error: &str) {
        let (store, engine, now) = (self.store.clone(), self.engine.clone(), self.clock.now());
        let hours = (now - since).whole_hours();
        let (target, error) = (self.target.name.clone(), error.to_owned());
        let _ = tokio::task::spawn_blocking(move || {
            let Ok(orgs) = store.orgs() else { return };
            for org in orgs {
                let notice = Notice {
                    title: format!("Backups to {target} are failing"),
                    body: format!(
                        "No backup has reached {target} for {hours} h. The last error: {error}"
                    ),
                    key: format!("backup-failing:{target}:{}:{hours}", since.unix_timestamp()),
                    via: "backup monitoring",
                };
                if let Err(e) = engine.tell_admins(&store.org(org.id), notice, now) {
                    tracing::error!(error = %e, "cannot tell the admins of failing backups");
                }
            }
        })
        .await;
    }
}
