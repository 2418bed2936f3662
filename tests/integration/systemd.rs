//! The daemon speaks sd_notify: a fake NOTIFY_SOCKET stands in for systemd.

use crate::support::*;
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn ready_only_once_the_listener_accepts() {
    let mut appliance = Appliance::new();
    appliance.start();
    // start() returned on READY=1; the listener must already be there.
    TcpStream::connect(appliance.addr.unwrap())
        .expect("READY=1 came before the listener was bound");
    assert_eq!(appliance.request("GET", "/healthz", None, None).status, 200);
}

#[test]
fn watchdog_pings_when_systemd_asks_for_them() {
    let mut appliance = Appliance::new();
    appliance
        .env
        .push(("WATCHDOG_USEC".into(), "400000".into()));
    appliance.start();
    // Pings come every half period, after the store and listener checks pass.
    for _ in 0..3 {
        appliance.wait_for_notify("WATCHDOG=1", Duration::from_secs(5));
    }
}

#[test]
fn no_watchdog_pings_unless_asked() {
    let mut appliance = Appliance::new();
    appliance.start();
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        appliance.wait_for_notify("WATCHDOG=1", Duration::from_millis(1500));
    }));
    assert!(
        got.is_err(),
        "a watchdog ping was sent without WATCHDOG_USEC"
    );
}

#[test]
fn sigterm_says_stopping_and_exits_zero() {
    let mut appliance = Appliance::new();
    appliance.start();
    let pid = appliance.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    appliance.wait_for_notify("STOPPING=1", Duration::from_secs(10));
    // terminate() sends a second SIGTERM, which the stopping daemon ignores.
    assert_eq!(appliance.terminate(), Some(0));
}

#[test]
fn journal_lines_carry_their_priority() {
    let mut appliance = Appliance::new();
    appliance
        .env
        .push(("JOURNAL_STREAM".into(), "8:12345".into()));
    appliance.start();
    assert_eq!(appliance.terminate(), Some(0));
    let log = appliance.stderr();
    let listening = log
        .lines()
        .find(|l| l.contains("listening for HTTPS"))
        .expect(&log);
    assert!(listening.starts_with("<6>"), "{listening}");
    assert!(
        log.lines()
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with('<')),
        "{log}"
    );
}
