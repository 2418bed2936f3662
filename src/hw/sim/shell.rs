//! What every simulated device does the same way, whatever it speaks: the
//! pseudo-terminal and its link, the handle's channel to the device thread,
//! the thread's loop, opens, closes and replugs, the faults any hardware
//! shows (hung firmware, a USB unplug, noise), echo and command lines.
//!
//! One thread owns the pty master; the handle talks to it over a channel. The
//! shell keeps no fd of the slave open, so the master sees a hangup whenever
//! the driver has the port closed. Each time the driver closes the port the
//! device moves to a fresh pty and repoints the link: the exclusive lock
//! (TIOCEXCL) a serial driver takes outlives the close and would keep a
//! non-root driver out.
//!
//! A device brings its [`CommandSet`]: its commands, its unsolicited codes,
//! its state and the faults only it knows.

use serialport::{SerialPort, TTYPort};
use std::collections::VecDeque;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Master read timeout: how late a timer or a control message may be served.
pub(super) const TICK: Duration = Duration::from_millis(20);
const PTY_RETRY: Duration = Duration::from_secs(1);
const MAX_LINE: usize = 1024;
pub(super) const CTRL_Z: u8 = 0x1A;
pub(super) const ESC: u8 = 0x1B;

/// A test that panicked while holding the lock must not take the device down.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The faults any hardware shows; a device's own faults stay with it.
pub(super) enum Fault {
    /// Silent until the driver closes the port; then a reboot.
    Hang,
    /// Noise and a partial line, written between commands.
    Garbage,
    /// The link vanishes and the port dies; after this long a new pty appears
    /// and the device has rebooted.
    Unplug(Duration),
}

/// Why a device reboots: some devices greet the next open differently.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    /// The hang fault itself: the device goes silent from a fresh state.
    Hang,
    /// The driver closed the port of a hung device.
    ClosedWhileHung,
    Unplug,
    /// The device asked for it (a reset command) and it is over.
    Wake,
}

/// What a simulated device speaks; the shell does the rest.
pub(super) trait CommandSet: Send + 'static {
    /// What the handle sends the device thread.
    type Control: Send + 'static;
    /// Names the device in the log.
    const NAME: &'static str;
    /// What the garbage fault writes after its noise: unknown URCs, a partial line.
    const NOISE_TAIL: &'static [u8];

    fn port(&mut self) -> &mut Port;
    /// Serves a message from the handle; a fault the shell handles comes back.
    fn control(&mut self, message: Self::Control) -> Option<Fault>;
    /// Forgets what a power cycle loses beyond the port's state.
    fn reboot(&mut self, cause: Cause);
    fn opened(&mut self) {}
    /// The driver closed the port (the device itself never learns of it).
    fn closed(&mut self);
    fn timers(&mut self, now: Instant);
    /// Nothing in progress that noise would tear apart.
    fn idle(&self) -> bool;
    /// Input waits unread, e.g. while a send holds the command line.
    fn holds_input(&self) -> bool {
        false
    }
    /// Serves `byte` outside the command line (a prompt, user data); false
    /// leaves it to the command line.
    fn byte(&mut self, byte: u8) -> bool;
    /// A command line ended with `\r`, as typed (echo already done).
    fn line(&mut self, line: &[u8]);

    fn restart(&mut self, cause: Cause) {
        self.port().reset();
        self.reboot(cause);
    }
}

/// The serial side of a device and what every device keeps per power cycle.
pub(super) struct Port {
    name: &'static str,
    link: PathBuf,
    /// `None` while unplugged or between two ptys.
    master: Option<TTYPort>,
    replug_at: Option<Instant>,
    /// The driver has the port open (the master sees no hangup).
    pub(super) connected: bool,
    pub(super) hung: bool,
    garbage: bool,
    pub(super) echo: bool,
    /// Bytes read but not served yet.
    pub(super) input: VecDeque<u8>,
    pub(super) line: Vec<u8>,
    /// URCs held back while the driver types data after a command.
    pub(super) held: Vec<String>,
    out: Vec<u8>,
    rng: u64,
}

impl Port {
    fn new(name: &'static str, link: &Path, master: TTYPort) -> Port {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let rng = ((nanos as u64) ^ (u64::from(std::process::id()) << 32)) | 1;
        Port {
            name,
            link: link.to_owned(),
            master: Some(master),
            replug_at: None,
            connected: false,
            hung: false,
            garbage: false,
            echo: true,
            input: VecDeque::new(),
            line: Vec::new(),
            held: Vec::new(),
            out: Vec::new(),
            rng,
        }
    }

    /// What a power cycle loses on the port side.
    pub(super) fn reset(&mut self) {
        self.hung = false;
        self.garbage = false;
        self.echo = true;
        self.input.clear();
        self.line.clear();
        self.held.clear();
    }

    /// xorshift64: for noise and start values only.
    pub(super) fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    pub(super) fn say(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    pub(super) fn say_bytes(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    pub(super) fn echo(&mut self, byte: u8) {
        if self.echo {
            self.out.push(byte);
        }
    }

    /// An unsolicited line; `holding` while the driver types data after a
    /// command, which the URC must not split.
    pub(super) fn urc(&mut self, holding: bool, text: &str) {
        if self.hung {
            tracing::debug!(%text, "{} hung: URC lost", self.name);
        } else if holding {
            self.held.push(text.to_owned());
        } else {
            self.say(&format!("\r\n{text}\r\n"));
        }
    }

    /// The URCs held while the driver typed data, once that is over.
    pub(super) fn release_held(&mut self) {
        for text in std::mem::take(&mut self.held) {
            self.urc(false, &text);
        }
    }

    /// Writes noise: high bytes (never a line end, never AT text, often
    /// invalid UTF-8), then `tail`.
    fn noise(&mut self, tail: &[u8]) {
        for _ in 0..8 + self.random() % 8 {
            let byte = 0x80 | self.random() as u8;
            self.out.push(byte);
        }
        self.out.extend_from_slice(tail);
    }
}

/// Makes a pty pair and points `link` at its slave.
pub(super) fn open_pty(link: &Path) -> io::Result<TTYPort> {
    let (mut master, slave) = TTYPort::pair()?;
    master.set_timeout(TICK)?;
    let slave_path = slave
        .name()
        .ok_or_else(|| io::Error::other("pty slave without a name"))?;
    // Holding the slave would hide the driver's closes from the master.
    drop(slave);
    // A new symlink renamed over the old one: the link is never missing.
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let fresh = link.with_file_name(format!(".{name}.new"));
    let _ = fs::remove_file(&fresh);
    std::os::unix::fs::symlink(&slave_path, &fresh)?;
    fs::rename(&fresh, link)?;
    tracing::debug!(link = %link.display(), pty = %slave_path, "simulated port ready");
    Ok(master)
}

/// Handle to a running simulated device; dropping it stops the device.
pub(super) struct Handle<C> {
    link: PathBuf,
    /// Dropping the sender is what tells the thread to end.
    control: Mutex<Option<Sender<C>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<C: Send + 'static> Handle<C> {
    /// Creates the pty, makes `link` a symlink to its slave (replacing an
    /// existing symlink, never a file) and serves it on a thread with the
    /// device `make` builds.
    pub(super) fn start<D>(
        link: &Path,
        thread: &str,
        make: impl FnOnce(Port) -> D,
    ) -> io::Result<Handle<C>>
    where
        D: CommandSet<Control = C>,
    {
        if fs::symlink_metadata(link).is_ok_and(|m| !m.file_type().is_symlink()) {
            let why = format!("{} exists and is not a symlink", link.display());
            return Err(io::Error::new(ErrorKind::AlreadyExists, why));
        }
        let master = open_pty(link)?;
        let (tx, rx) = mpsc::channel();
        let device = make(Port::new(D::NAME, link, master));
        let engine = Engine {
            device,
            control: rx,
        };
        let thread = std::thread::Builder::new()
            .name(thread.to_owned())
            .spawn(move || engine.run())
            .inspect_err(|_| drop(fs::remove_file(link)))?;
        Ok(Handle {
            link: link.to_owned(),
            control: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(super) fn send(&self, message: C) {
        if let Some(tx) = lock(&self.control).as_ref() {
            let _ = tx.send(message);
        }
    }
}

impl<C> Handle<C> {
    pub(super) fn link(&self) -> &Path {
        &self.link
    }

    /// Ends the thread (the driver's port sees a hangup) and removes the link.
    pub(super) fn stop(&self) {
        drop(lock(&self.control).take());
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
            if fs::symlink_metadata(&self.link).is_ok_and(|m| m.file_type().is_symlink()) {
                let _ = fs::remove_file(&self.link);
            }
        }
    }
}

impl<C> Drop for Handle<C> {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Engine<D: CommandSet> {
    device: D,
    control: Receiver<D::Control>,
}

impl<D: CommandSet> Engine<D> {
    fn run(mut self) {
        loop {
            if !self.drain() {
                return;
            }
            self.on_timers(Instant::now());
            self.pump();
            self.flush();
            self.read();
            // Whatever the handle sent before the driver wrote applies first:
            // a test sets a fault or behaviour, then lets the driver send.
            if !self.drain() {
                return;
            }
            self.pump();
            self.flush();
        }
    }

    fn port(&mut self) -> &mut Port {
        self.device.port()
    }

    /// Serves control messages; false once the handle is gone.
    fn drain(&mut self) -> bool {
        loop {
            match self.control.try_recv() {
                Ok(message) => {
                    if let Some(fault) = self.device.control(message) {
                        self.apply(fault);
                    }
                }
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn apply(&mut self, fault: Fault) {
        match fault {
            Fault::Hang => {
                self.device.restart(Cause::Hang);
                self.port().hung = true;
            }
            Fault::Garbage => self.port().garbage = true,
            Fault::Unplug(for_) => {
                let port = self.port();
                // Link first: a driver whose port fails must not find the old link.
                if let Err(e) = fs::remove_file(&port.link) {
                    tracing::warn!(error = %e, "{} cannot remove its link", port.name);
                }
                port.master = None;
                port.replug_at = Some(Instant::now() + for_);
                port.connected = false;
                self.device.restart(Cause::Unplug);
            }
        }
    }

    fn read(&mut self) {
        let port = self.port();
        let Some(master) = port.master.as_mut() else {
            std::thread::sleep(TICK);
            return;
        };
        let mut buf = [0u8; 512];
        match master.read(&mut buf) {
            Ok(n) if n > 0 => {
                self.on_open();
                let port = self.port();
                let bytes = buf.get(..n).unwrap_or_default();
                if port.hung {
                    tracing::debug!(bytes = n, "{} hung: input discarded", port.name);
                } else {
                    tracing::debug!(input = ?String::from_utf8_lossy(bytes), "{} <-", port.name);
                    port.input.extend(bytes);
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => self.on_open(),
            // Hangup (BrokenPipe, EIO) or EOF: nobody has the port open.
            Ok(_) | Err(_) => {
                self.on_closed();
                std::thread::sleep(TICK);
            }
        }
    }

    fn on_open(&mut self) {
        let port = self.port();
        if !port.connected {
            port.connected = true;
            tracing::debug!("{} port opened", port.name);
            self.device.opened();
        }
    }

    fn on_closed(&mut self) {
        let port = self.port();
        if port.hung {
            tracing::warn!("{}: port closed while hung, rebooting", port.name);
            self.device.restart(Cause::ClosedWhileHung);
        }
        let port = self.port();
        if port.connected {
            port.connected = false;
            tracing::debug!("{} port closed", port.name);
            self.device.closed();
            let port = self.port();
            // The old pty may carry the driver's exclusive lock.
            port.master = None;
            port.replug_at = Some(Instant::now());
        }
    }

    fn on_timers(&mut self, now: Instant) {
        let port = self.port();
        if port.replug_at.is_some_and(|t| t <= now) {
            match open_pty(&port.link) {
                Ok(master) => (port.master, port.replug_at) = (Some(master), None),
                Err(e) => {
                    tracing::warn!(error = %e, "{} cannot make a new pty", port.name);
                    port.replug_at = Some(now + PTY_RETRY);
                }
            }
        }
        self.device.timers(now);
        let idle = self.device.idle();
        let port = self.port();
        if port.garbage && idle && !port.hung && port.master.is_some() {
            port.garbage = false;
            port.noise(D::NOISE_TAIL);
        }
    }

    fn flush(&mut self) {
        let port = self.port();
        let out = std::mem::take(&mut port.out);
        let Some(master) = port.master.as_mut() else {
            return;
        };
        if !out.is_empty() {
            tracing::debug!(output = ?String::from_utf8_lossy(&out), "{} ->", port.name);
            // Nobody reading (port closed, driver stuck): lost, as on a wire.
            if let Err(e) = master.write_all(&out) {
                tracing::debug!(error = %e, bytes = out.len(), "{} output lost", port.name);
            }
        }
    }

    /// Serves buffered input unless the device holds it.
    fn pump(&mut self) {
        while !self.device.holds_input() && !self.port().hung {
            let Some(byte) = self.port().input.pop_front() else {
                break;
            };
            if !self.device.byte(byte) {
                self.line_byte(byte);
            }
        }
    }

    fn line_byte(&mut self, byte: u8) {
        let port = self.port();
        match byte {
            b'\r' => {
                port.echo(byte);
                let line = std::mem::take(&mut port.line);
                self.device.line(&line);
            }
            // A stray line feed, or Ctrl-Z/ESC a driver sends to unstick a data state.
            b'\n' | CTRL_Z | ESC => {}
            0x08 => {
                if port.line.pop().is_some() {
                    port.echo(byte);
                }
            }
            _ => {
                if port.line.len() < MAX_LINE {
                    port.line.push(byte);
                }
                port.echo(byte);
            }
        }
    }
}

/// How an extended command is used.
pub(super) enum Op {
    Exec,
    Read,
    Test,
    Set(Vec<String>),
}

/// Splits `+NAME`, `+NAME?`, `+NAME=?` and `+NAME=<args>`; `quotes` keeps
/// separators inside quotes (as a modem does), else every one splits.
pub(super) fn operation(part: &str, quotes: bool) -> Option<(&str, Op)> {
    let cut = part.find(['=', '?']).unwrap_or(part.len());
    let (name, tail) = part.split_at_checked(cut).unwrap_or((part, ""));
    let op = match tail {
        "" => Op::Exec,
        "?" => Op::Read,
        "=?" => Op::Test,
        _ => Op::Set(
            split(tail.strip_prefix('=')?, ',', quotes)
                .iter()
                .map(|a| a.trim_matches('"').to_owned())
                .collect(),
        ),
    };
    Some((name, op))
}

/// Runs the basic commands that chain without separators (`ATE0V1&C1`)
/// through `each(name, value)`; the extended part that follows comes back,
/// `None` if a basic command is malformed or `each` refuses it.
pub(super) fn basic(mut rest: &str, mut each: impl FnMut(&str, u32) -> bool) -> Option<&str> {
    while !rest.is_empty() && !rest.starts_with(['+', ';']) {
        let name_len = if rest.starts_with('&') { 2 } else { 1 };
        let name = rest.get(..name_len)?;
        let after = rest.get(name_len..)?;
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let value: u32 = after
            .get(..digits)
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        rest = after.get(digits..).unwrap_or_default();
        if !each(name, value) {
            return None;
        }
    }
    Some(rest)
}

pub(super) fn split(s: &str, separator: char, quotes: bool) -> Vec<&str> {
    let mut quoted = false;
    s.split(|c| {
        quoted ^= quotes && c == '"';
        c == separator && !quoted
    })
    .collect()
}

pub(super) fn arg<T: FromStr>(args: &[String], i: usize) -> Option<T> {
    args.get(i)?.parse().ok()
}

/// Drops spaces and uppercases outside quotes: `at + cmgs = 23` is `AT+CMGS=23`.
pub(super) fn normalise(raw: &str) -> String {
    let mut quoted = false;
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        quoted ^= c == '"';
        if quoted || c == '"' {
            out.push(c);
        } else if !c.is_whitespace() && !c.is_control() {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

#[cfg(test)]
pub(super) mod testkit;
