//! The daemon held back: a standby receiving its primary's backups, or a
//! primary that stood down. No store is open, no device, no dispatcher:
//! nothing here can send. It waits for `tocsin promote`.

use super::{exit, Ended, StartError};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::control::{Commands, HandOver};
use crate::service_manager;
use crate::standby::{Mode, Receiver};
use crate::web::held::{serve_held, HeldState};
use actix_web::dev::ServerHandle;
use actix_web::rt::task::JoinHandle;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc;

pub struct HeldDaemon {
    config: Config,
    clock: SharedClock,
    mode: Mode,
    server: JoinHandle<std::io::Result<()>>,
    handle: ServerHandle,
    local_addr: SocketAddr,
    hand_over: mpsc::Receiver<HandOver>,
}

impl HeldDaemon {
    pub async fn start(
        config: &Config,
        mode: Mode,
        clock: SharedClock,
    ) -> Result<HeldDaemon, StartError> {
        super::make_data_dir(config)?;
        let receiver = match &config.standby {
            Some(standby) => Some(Arc::new(Receiver::new(&config.data_dir, standby)?)),
            None => None,
        };
        let tls = crate::web::tls::server_config(config)?;
        let (listener, local_addr) = super::bind(config)?;
        let (hand_over_tx, hand_over) = mpsc::channel(2);
        crate::control::listen(
            &config.data_dir,
            Commands {
                backup_now: None,
                hand_over: hand_over_tx,
                store: None,
                mode: match mode {
                    Mode::StoodDown { .. } => "stood down",
                    _ => "standby",
                },
            },
        )
        .map_err(StartError::Control)?;
        let state = HeldState::new(
            mode.clone(),
            receiver,
            clock.clone(),
            config.http.monitoring_token.clone(),
        );
        let server = serve_held(state, listener, tls).map_err(StartError::Server)?;
        let handle = server.handle();
        let server = actix_web::rt::spawn(server);
        tracing::warn!(address = %local_addr, ?mode, "held back: serving health and standby routes only");
        Ok(HeldDaemon {
            config: config.clone(),
            clock,
            mode,
            server,
            handle,
            local_addr,
            hand_over,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Runs until a signal, or until promoted.
    pub async fn run_until_signal(self) -> Ended {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            _ => return Ended::Exit(ExitCode::from(exit::OS_FILE)),
        };
        let HeldDaemon {
            config,
            clock,
            mode,
            mut server,
            handle,
            local_addr,
            mut hand_over,
        } = self;
        let watchdog = service_manager::watchdog_interval().map(|interval| {
            actix_web::rt::spawn(service_manager::run_watchdog(interval, None, local_addr))
        });
        let held = match &mode {
            Mode::StoodDown { .. } => "stood down",
            _ => "standing by",
        };
        service_manager::ready(&format!("{held}; serving https on {local_addr}"));
        let promoted = loop {
            tokio::select! {
                _ = term.recv() => break false,
                _ = int.recv() => break false,
                _ = &mut server => break false,
                Some(asked) = hand_over.recv() => match asked {
                    HandOver::Promote(reply) => {
                        let (config, now) = (config.clone(), clock.now());
                        let done = tokio::task::spawn_blocking(move || crate::standby::promote(&config, now))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map_err(|e| e.to_string()));
                        let ok = done.is_ok();
                        let _ = reply.send(done);
                        if ok {
                            break true;
                        }
                    }
                    HandOver::Demote(reply) => {
                        let _ = reply.send(Err(match &mode {
                            Mode::StoodDown { .. } => "this appliance has stood down already".to_owned(),
                            _ => "a standby sends nothing already".to_owned(),
                        }));
                    }
                },
            }
        };
        service_manager::stopping();
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        handle.stop(true).await;
        let _ = server.await;
        if promoted {
            Ended::HandedOver
        } else {
            Ended::Exit(ExitCode::SUCCESS)
        }
    }
}
