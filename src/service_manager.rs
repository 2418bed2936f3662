//! Talking to systemd: readiness (`Type=notify`), status lines, stopping, and
//! watchdog pings. Outside systemd (no `NOTIFY_SOCKET`) every call is a no-op.
//!
//! The watchdog is fed only after the daemon proves it still works (the store
//! takes a write, the listener accepts a connection), not from a bare timer that
//! would keep a wedged daemon alive.

use crate::store::Store;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

fn notify(state: &[(&str, &str)]) {
    if let Err(e) = systemd::daemon::notify(false, state.iter()) {
        tracing::warn!(error = %e, "could not notify the service manager");
    }
}

pub fn ready(status: &str) {
    notify(&[("READY", "1"), ("STATUS", status)]);
}

pub fn status(status: &str) {
    notify(&[("STATUS", status)]);
}

pub fn stopping() {
    notify(&[("STOPPING", "1"), ("STATUS", "stopping")]);
}

/// Half the watchdog period systemd asked for, or `None` if it asked for none.
pub fn watchdog_interval() -> Option<Duration> {
    match systemd::daemon::watchdog_enabled(false) {
        Ok(usec) if usec > 0 => Some(Duration::from_micros(usec / 2)),
        _ => None,
    }
}

/// Pings the watchdog for as long as the daemon's health checks pass.
/// `store` is `None` while the appliance is held back with no store open.
pub async fn run_watchdog(interval: Duration, store: Option<Store>, listen: SocketAddr) {
    let mut ticker = tokio::time::interval(interval);
    let mut healthy = true;
    loop {
        ticker.tick().await;
        let store = store.clone();
        let check = tokio::task::spawn_blocking(move || -> Result<(), String> {
            if let Some(store) = &store {
                store.probe().map_err(|e| format!("store: {e}"))?;
            }
            TcpStream::connect_timeout(&loopback(listen), Duration::from_secs(2))
                .map_err(|e| format!("listener: {e}"))?;
            Ok(())
        });
        match tokio::time::timeout(interval, check).await {
            Ok(Ok(Ok(()))) => {
                if !healthy {
                    tracing::info!("health checks pass again");
                    status(&format!("serving https on {listen}"));
                    healthy = true;
                }
                notify(&[("WATCHDOG", "1")]);
            }
            Ok(Ok(Err(why))) => {
                tracing::error!(%why, "health check failed; not feeding the watchdog");
                status(&format!("unhealthy: {why}"));
                healthy = false;
            }
            _ => {
                tracing::error!("health check did not finish in time; not feeding the watchdog");
                status("unhealthy: the health check did not finish in time");
                healthy = false;
            }
        }
    }
}

/// The address to reach our own listener at when it listens on all interfaces.
fn loopback(listen: SocketAddr) -> SocketAddr {
    match listen {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, a.port()))
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, a.port()))
        }
        other => other,
    }
}
