//! What the simulators' tests do on the driver's side of the port.

pub(in crate::hw::sim) use serialport::TTYPort;
pub(in crate::hw::sim) use std::fs;
pub(in crate::hw::sim) use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

pub(in crate::hw::sim) fn open(link: &Path, baud: u32) -> TTYPort {
    serialport::new(link.to_string_lossy(), baud)
        .timeout(Duration::from_millis(50))
        .open_native()
        .unwrap()
}

/// Reads until `needle` has arrived; returns everything read.
pub(in crate::hw::sim) fn expect(port: &mut TTYPort, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains(needle) {
        assert!(
            Instant::now() < deadline,
            "waited for {needle:?}, got {:?}",
            String::from_utf8_lossy(&got)
        );
        match port.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Everything that arrives within `time`.
pub(in crate::hw::sim) fn collect(port: &mut TTYPort, time: Duration) -> Vec<u8> {
    let deadline = Instant::now() + time;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        if let Ok(n) = port.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

/// After an unplug fault: the driver's port fails and the link is gone; once
/// the driver has let go of the port, the link comes back.
pub(in crate::hw::sim) fn unplugged(mut port: TTYPort, link: &Path) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut buf = [0u8; 64];
    loop {
        match port.read(&mut buf) {
            Err(e) if e.kind() != ErrorKind::TimedOut => break,
            _ => assert!(Instant::now() < deadline, "the port never failed"),
        }
    }
    assert!(
        fs::symlink_metadata(link).is_err(),
        "the link is still there"
    );
    drop(port);
    while fs::symlink_metadata(link).is_err() {
        assert!(
            Instant::now() < deadline + Duration::from_secs(1),
            "the link never came back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
