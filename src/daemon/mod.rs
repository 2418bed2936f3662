//! The daemon's life: start in order (logs, store, TLS, listener), tell systemd
//! it is ready only when it can serve, and on SIGTERM stop taking connections,
//! let in-flight requests finish, and flush the store before exiting.
//!
//! A standby, or a primary that stood down, runs held back instead
//! ([`held`]); a hand-over ends one run and the next starts in the new mode.

use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::service_manager;
use crate::store::{Store, StoreError};
use crate::web::{self, tls::TlsError, AppState};
use actix_web::dev::ServerHandle;
use actix_web::rt::task::JoinHandle;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc;

mod held;
pub use held::HeldDaemon;

/// Exit codes from sysexits.h, so `systemctl status` says what went wrong and
/// the unit can refuse to restart-loop on problems a restart can't fix.
pub mod exit {
    pub const SOFTWARE: u8 = 70;
    pub const OS_FILE: u8 = 72;
    pub const CANT_CREATE: u8 = 73;
    pub const IO: u8 = 74;
    pub const TEMP_FAIL: u8 = 75;
    pub const CONFIG: u8 = 78;
    pub const DATA: u8 = 65;
    pub const UNAVAILABLE: u8 = 69;
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the data directory {} cannot be created (data_dir): {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr} (http.listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTPS server failed to start: {0}")]
    Server(std::io::Error),
    #[error("a start-up task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Email(#[from] crate::channels::EmailSetupError),
    #[error(transparent)]
    EmailIn(#[from] crate::inbox::SmtpError),
    #[error("backup: {0}")]
    Backup(#[from] crate::backup::BackupError),
    #[error("the control socket cannot be opened: {0}")]
    Control(std::io::Error),
    #[error("standby: {0}")]
    Standby(#[from] crate::standby::StandbyError),
    #[error("audit ([audit] signing_key): {0}")]
    Audit(String),
    /// Another appliance has taken over: this one must run held back.
    #[error("standing down: {0}")]
    StoodDown(String),
}

/// How one run of the daemon ended.
pub enum Ended {
    Exit(ExitCode),
    /// A hand-over: run again, in the mode the appliance is in now.
    HandedOver,
}

impl StartError {
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::DataDir { .. } => exit::CANT_CREATE,
            StartError::Store(StoreError::Locked { .. }) => exit::TEMP_FAIL,
            StartError::Store(
                StoreError::TooNew { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Open { .. }
                | StoreError::AtRest(_),
            ) => exit::DATA,
            StartError::Store(_) => exit::IO,
            StartError::Tls(TlsError::Write { .. }) => exit::CANT_CREATE,
            StartError::Tls(_) => exit::CONFIG,
            StartError::Bind { .. } | StartError::EmailIn(_) => exit::UNAVAILABLE,
            StartError::Server(_) | StartError::Task(_) => exit::SOFTWARE,
            StartError::Email(_) | StartError::Backup(_) => exit::CONFIG,
            StartError::Control(_) => exit::CANT_CREATE,
            StartError::Standby(_) | StartError::Audit(_) => exit::CONFIG,
            StartError::StoodDown(_) => exit::TEMP_FAIL,
        }
    }
}

pub struct Daemon {
    store: Store,
    inbox: crate::inbox::Inbox,
    hardware: Arc<crate::devices::Hardware>,
    hub: Arc<crate::live::Hub>,
    server: JoinHandle<std::io::Result<()>>,
    handle: ServerHandle,
    local_addr: SocketAddr,
    data_dir: PathBuf,
    clock: SharedClock,
    taken_over: Option<mpsc::Receiver<String>>,
    hand_over: mpsc::Receiver<crate::control::HandOver>,
    audit_key: Option<Arc<crate::audit::chain::AuditKey>>,
}

/// Signs every organisation's audit chain head each interval.
fn start_checkpoints(
    store: Store,
    key: Arc<crate::audit::chain::AuditKey>,
    clock: SharedClock,
    interval: time::Duration,
) {
    let every =
        std::time::Duration::from_secs(u64::try_from(interval.whole_seconds()).unwrap_or(300));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            sign_checkpoints(&store, &key, &clock).await;
        }
    });
}

async fn sign_checkpoints(
    store: &Store,
    key: &Arc<crate::audit::chain::AuditKey>,
    clock: &SharedClock,
) {
    let (store, key, now) = (store.clone(), key.clone(), clock.now());
    let signed =
        tokio::task::spawn_blocking(move || crate::audit::chain::sign_all(&store, &key, now)).await;
    match signed {
        Ok(Ok(n)) if n > 0 => tracing::debug!(chains = n, "audit checkpoints signed"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot sign audit checkpoints"),
        Err(e) => tracing::error!(error = %e, "cannot sign audit checkpoints"),
    }
}

/// The HTTPS listener on `http.listen`, and the address it got.
/// Audits the configuration this start read: `config.loaded` with the
/// file's SHA-256, and `config.changed` when that differs from the last
/// start's, so a changed configuration shows in the trail.
fn audit_config(
    store: &crate::store::Store,
    source: &std::path::Path,
    now: time::OffsetDateTime,
) -> Result<(), crate::store::StoreError> {
    use sha2::Digest;
    let Ok(bytes) = std::fs::read(source) else {
        return Ok(());
    };
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes)));
    let Some(org) = store.org_by_slug(crate::store::APPLIANCE_SLUG)? else {
        return Ok(());
    };
    let trail = store.org(org.id);
    let last = trail.audit_events(&crate::store::AuditFilter {
        action_prefix: Some("config.".to_owned()),
        limit: 1,
        ..crate::store::AuditFilter::default()
    })?;
    let before = last.first().and_then(|e| e.detail.clone());
    let action = match &before {
        Some(d) if *d != digest => "config.changed",
        _ => "config.loaded",
    };
    crate::audit::Entry::new(
        crate::audit::appliance(),
        action,
        crate::store::Outcome::Success,
    )
    .target(source.display().to_string())
    .detail(digest)
    .write(&trail, now)
}

fn bind(config: &Config) -> Result<(TcpListener, SocketAddr), StartError> {
    let failed = |source| StartError::Bind {
        addr: config.http.listen,
        source,
    };
    let listener = TcpListener::bind(config.http.listen).map_err(failed)?;
    let local_addr = listener.local_addr().map_err(failed)?;
    Ok((listener, local_addr))
}

fn make_data_dir(config: &Config) -> Result<(), StartError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .map_err(|source| StartError::DataDir {
            path: config.data_dir.clone(),
            source,
        })
}

/// Asks each standby target whether it has taken over; says why when one
/// has. A standby that can't be reached doesn't hold the appliance back: a
/// dead standby must not stop alerting.
async fn taken_over(config: &Config) -> Option<String> {
    let standbys: Vec<crate::config::BackupTarget> = config
        .backup
        .iter()
        .flat_map(|b| b.targets.iter())
        .filter(|t| matches!(t.place, crate::config::Place::Standby { .. }))
        .cloned()
        .collect();
    if standbys.is_empty() {
        return None;
    }
    tokio::task::spawn_blocking(move || {
        standbys.iter().find_map(
            |target| match crate::backup::targets::standby_state(target) {
                Ok(state) if state.promoted() => Some(format!(
                    "{} took over as the primary at {} from {}",
                    target.name,
                    state.promoted_at.map(|t| t.to_string()).unwrap_or_default(),
                    state.promoted_from.unwrap_or_default()
                )),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask the standby whether it took over");
                    None
                }
            },
        )
    })
    .await
    .ok()
    .flatten()
}

impl Daemon {
    /// Brings the appliance up. Must run inside an actix system.
    pub async fn start(config: &Config, clock: SharedClock) -> Result<Daemon, StartError> {
        make_data_dir(config)?;
        let store_dir = config.store_dir();
        let store = crate::store::blocking(move || Store::open(&store_dir)).await?;
        if let Some(why) = taken_over(config).await {
            let (data_dir, trail, now) = (config.data_dir.clone(), store.clone(), clock.now());
            tokio::task::spawn_blocking(move || {
                crate::standby::stand_down(&data_dir, Some(&trail), &why, now).map(|()| why)
            })
            .await
            .map_err(|e| StartError::Task(e.to_string()))??;
            let _ = store.flush().await;
            return Err(StartError::StoodDown(
                "a standby took over while this appliance was away".to_owned(),
            ));
        }
        let (trail, source) = (store.clone(), config.source.clone());
        let started = clock.now();
        crate::store::blocking(move || {
            crate::audit::Entry::new(
                crate::audit::appliance(),
                "appliance.started",
                crate::store::Outcome::Success,
            )
            .detail(format!("tocsin {}", env!("CARGO_PKG_VERSION")))
            .write_appliance(&trail, started)?;
            audit_config(&trail, &source, started)
        })
        .await?;
        let tls = web::tls::server_config(config)?;
        let (listener, local_addr) = bind(config)?;
        let hub = Arc::new(crate::live::Hub::default());
        let wake = crate::live::Wake::default();
        let calls = config
            .modems
            .iter()
            .any(|m| m.voice && m.profile.voice.is_some());
        let engine = crate::alerts::Engine::new(store.clone(), hub.clone(), wake.clone()).refusing(
            if calls {
                Vec::new()
            } else {
                vec![crate::store::Channel::Voice]
            },
        );
        let inbox = crate::inbox::Inbox::start(
            store.clone(),
            engine.clone(),
            hub.clone(),
            clock.clone(),
            config.sms.part_timeout,
        )
        .map_err(|e| StartError::Task(format!("cannot start the inbox: {e}")))?;
        if let Some(email_in) = &config.email_in {
            let mut mail_tls = tls.clone();
            // SMTP names no ALPN protocol; offering http/1.1 there would be wrong.
            mail_tls.alpn_protocols.clear();
            let host = url::Url::parse(&config.http.public_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "tocsin".to_owned());
            let addr =
                crate::inbox::listen_for_mail(email_in, Arc::new(mail_tls), inbox.clone(), host)
                    .await?;
            tracing::info!(address = %addr, "listening for alarms by email");
        }
        let hardware =
            crate::devices::Hardware::start(config, &store, hub.clone(), clock.clone(), &inbox)
                .map_err(|e| StartError::Task(format!("cannot start a device driver: {e}")))?;
        hardware.audit_faults(store.clone(), clock.clone());
        let sms: Arc<dyn crate::channels::Channel> = match &hardware.sms {
            Some(pool) => pool.clone(),
            None => Arc::new(crate::channels::Unavailable(crate::store::Channel::Sms)),
        };
        let channels: Vec<Arc<dyn crate::channels::Channel>> = vec![
            sms,
            match &hardware.voice {
                Some(voice) => {
                    voice.forget_closed(store.clone());
                    voice.clone()
                }
                None => Arc::new(crate::channels::Unavailable(crate::store::Channel::Voice)),
            },
            match &config.email {
                Some(email) => crate::channels::EmailChannel::new(
                    &email.smtp_url,
                    &email.from,
                    email.per_minute,
                    &config.http.public_url,
                    crate::alerts::links::AnswerLinks::new(store.answer_link_key()?),
                )?,
                None => Arc::new(crate::channels::Unavailable(crate::store::Channel::Email)),
            },
            match &hardware.tetra {
                Some(radios) => radios.clone(),
                None => Arc::new(crate::channels::Unavailable(crate::store::Channel::Tetra)),
            },
        ];
        crate::dispatch::Dispatcher::start(
            store.clone(),
            clock.clone(),
            hub.clone(),
            wake.clone(),
            engine.clone(),
            channels,
        )
        .await?;
        crate::alerts::spread::start(store.clone(), &wake);
        crate::webhooks::Sender::start(store.clone(), clock.clone(), engine.clone(), wake);
        crate::places::Scheduler::new(store.clone(), engine.clone(), clock.clone()).run();
        crate::privacy::Sweeper::new(store.clone(), clock.clone()).run();
        let metrics = Arc::new(Metrics::default());
        let audit_log = match config.audit.as_ref().and_then(|a| a.syslog.clone()) {
            Some(syslog) => Some(
                crate::audit::ship::start(syslog, store.clone(), clock.clone(), &metrics)
                    .map_err(StartError::Audit)?,
            ),
            None => None,
        };
        crate::access_review::remind::start(store.clone(), engine.clone(), clock.clone());
        crate::security::start(
            store.clone(),
            engine.clone(),
            clock.clone(),
            audit_log.clone(),
        );
        let audit_key = match config
            .audit
            .as_ref()
            .and_then(|a| Some((a, a.signing_key.as_ref()?)))
        {
            Some((audit, signing_key)) => {
                let key = Arc::new(
                    crate::audit::chain::AuditKey::read(&crate::audit::chain::key_path(
                        signing_key,
                    ))
                    .map_err(|e| StartError::Audit(e.to_string()))?,
                );
                start_checkpoints(
                    store.clone(),
                    key.clone(),
                    clock.clone(),
                    audit.checkpoint_interval,
                );
                Some(key)
            }
            None => None,
        };
        let backups = match &config.backup {
            Some(backup) => {
                let key =
                    crate::backup::BackupKey::read(&crate::backup::key_path(&backup.key_file))?;
                Some(crate::backup::schedule::start(
                    backup.clone(),
                    key,
                    store.clone(),
                    clock.clone(),
                    engine.clone(),
                    &metrics,
                ))
            }
            None => None,
        };
        let (backup_status, backup_now, taken_over) = match backups {
            Some(crate::backup::schedule::Schedule {
                status,
                now,
                taken_over,
            }) => (Some(status), Some(now), Some(taken_over)),
            None => (None, None, None),
        };
        let (hand_over_tx, hand_over) = mpsc::channel(2);
        crate::control::listen(
            &config.data_dir,
            crate::control::Commands {
                backup_now,
                hand_over: hand_over_tx,
                mode: "primary",
                store: Some(store.clone()),
            },
        )
        .map_err(StartError::Control)?;
        let standby = match &config.standby {
            Some(standby) => Some(Arc::new(crate::standby::Receiver::new(
                &config.data_dir,
                standby,
            )?)),
            None => None,
        };
        let state = AppState {
            store: store.clone(),
            clock: clock.clone(),
            metrics,
            backups: backup_status,
            audit_log,
            link_limiter: Arc::new(web::ratelimit::AddressLimiter::new(
                web::answer::LINK_REQUESTS_PER_ADDRESS,
                std::time::Duration::from_secs(300),
            )),
            login_limiter: Arc::new(web::ratelimit::AddressLimiter::new(
                config.http.login_attempts_per_address,
                std::time::Duration::from_secs(300),
            )),
            alert_guard: Arc::new(web::ratelimit::AlertRateGuard::default()),
            receipts: crate::alerts::Receipts::start(store.clone(), hub.clone(), clock.clone()),
            hub: hub.clone(),
            engine,
            readiness: Arc::default(),
            monitoring_token: config.http.monitoring_token.clone(),
            hardware: hardware.clone(),
            standby,
            map_tiles: config.map.tiles.clone(),
        };
        // The dummy hash that keeps unknown-user logins as slow as real ones.
        tokio::task::spawn_blocking(crate::auth::login::warm_up);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        let server = web::serve(state, listener, tls, workers).map_err(StartError::Server)?;
        let handle = server.handle();
        let server = actix_web::rt::spawn(server);
        tracing::info!(address = %local_addr, "listening for HTTPS");
        Ok(Daemon {
            store,
            inbox,
            hardware,
            hub,
            server,
            handle,
            local_addr,
            data_dir: config.data_dir.clone(),
            clock,
            taken_over,
            hand_over,
            audit_key,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hardware(&self) -> &Arc<crate::devices::Hardware> {
        &self.hardware
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully; or until
    /// another appliance takes over, then stands down.
    pub async fn run_until_signal(self) -> Ended {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            _ => {
                tracing::error!("cannot listen for stop signals");
                return Ended::Exit(ExitCode::from(exit::OS_FILE));
            }
        };
        let Daemon {
            store,
            inbox,
            hardware,
            hub,
            mut server,
            handle,
            local_addr,
            data_dir,
            clock,
            taken_over,
            mut hand_over,
            audit_key,
        } = self;
        let mut taken_over = taken_over.unwrap_or_else(|| mpsc::channel(1).1);
        let watchdog = service_manager::watchdog_interval().map(|interval| {
            actix_web::rt::spawn(service_manager::run_watchdog(
                interval,
                Some(store.clone()),
                local_addr,
            ))
        });
        service_manager::ready(&format!("serving https on {local_addr}"));

        let mut stood_down = false;
        let server_ended = loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM: stopping"); break None }
                _ = int.recv() => { tracing::info!("SIGINT: stopping"); break None }
                ended = &mut server => break Some(ended),
                Some(why) = taken_over.recv() => {
                    stood_down = stand_down(&data_dir, &store, &why, &clock).await.is_ok();
                    break None;
                }
                Some(asked) = hand_over.recv() => match asked {
                    crate::control::HandOver::Promote(reply) => {
                        let _ = reply.send(Err("this appliance already is the primary".to_owned()));
                    }
                    crate::control::HandOver::Demote(reply) => {
                        let done = stand_down(&data_dir, &store, "the operator ran tocsin demote", &clock).await;
                        stood_down = done.is_ok();
                        let _ = reply.send(done);
                        if stood_down {
                            break None;
                        }
                    }
                },
            }
        };
        service_manager::stopping();
        hardware.stop();
        let inbox_stopped = tokio::task::spawn_blocking(move || inbox.stop());
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        let server_ok = match server_ended {
            Some(Ok(Ok(()))) => true,
            Some(ended) => {
                tracing::error!(?ended, "the HTTPS server stopped on its own");
                false
            }
            None => {
                // Live streams would hold the graceful stop for its whole grace.
                hub.close_all();
                handle.stop(true).await;
                matches!(server.await, Ok(Ok(())))
            }
        };
        let _ = inbox_stopped.await;
        let (trail, stopped) = (store.clone(), clock.now());
        let _ = crate::store::blocking(move || {
            crate::audit::Entry::new(
                crate::audit::appliance(),
                "appliance.stopped",
                crate::store::Outcome::Success,
            )
            .write_appliance(&trail, stopped)
        })
        .await;
        if let Some(key) = &audit_key {
            sign_checkpoints(&store, key, &clock).await;
        }
        let code = match store.flush().await {
            Ok(()) if server_ok => {
                tracing::info!("stopped cleanly");
                ExitCode::SUCCESS
            }
            Ok(()) => ExitCode::from(exit::SOFTWARE),
            Err(e) => {
                tracing::error!(error = %e, "the final flush of the store failed");
                ExitCode::from(exit::IO)
            }
        };
        if stood_down {
            Ended::HandedOver
        } else {
            Ended::Exit(code)
        }
    }

    /// Stops serving and flushes the store (used by tests and benchmarks).
    pub async fn stop(self) -> Result<(), StoreError> {
        self.hardware.stop();
        let inbox = self.inbox;
        let _ = tokio::task::spawn_blocking(move || inbox.stop()).await;
        self.hub.close_all();
        self.handle.stop(true).await;
        let _ = self.server.await;
        self.store.flush().await
    }
}

async fn stand_down(
    data_dir: &std::path::Path,
    store: &Store,
    why: &str,
    clock: &SharedClock,
) -> Result<(), String> {
    let (data_dir, store, why, now) = (
        data_dir.to_path_buf(),
        store.clone(),
        why.to_owned(),
        clock.now(),
    );
    tokio::task::spawn_blocking(move || {
        crate::standby::stand_down(&data_dir, Some(&store), &why, now).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
