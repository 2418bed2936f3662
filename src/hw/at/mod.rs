//! The AT engine shared by the GSM modem and the TETRA radio drivers.
//!
//! One command is in flight at a time. While it waits, every line is sorted:
//! its echo is skipped, a final result ends it, a line with the expected
//! prefix belongs to it, a known unsolicited result code (URC) is queued for
//! the driver even mid-command, and anything else belongs to the command
//! (some answers, like `AT+CGSN`, carry no prefix). With no command waiting,
//! every line is a URC; unknown ones are logged, never fatal.

pub mod lines;

use crate::hw::serial::{Input, SerialError, SerialLink};
use lines::{LineSplitter, Token};
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// How a command ended when it did not end with `OK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `+CME ERROR: <n>` (equipment / SIM).
    Cme(u16),
    /// `+CMS ERROR: <n>` (message service).
    Cms(u16),
    /// `ERROR`, `NO CARRIER`, `BUSY`, `COMMAND NOT SUPPORT` or a verbose error.
    Other(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Cme(n) => write!(f, "+CME ERROR: {n}"),
            Refusal::Cms(n) => write!(f, "+CMS ERROR: {n}"),
            Refusal::Other(text) => f.write_str(text),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AtError {
    #[error("no answer to {command} within {seconds} s")]
    Timeout { command: String, seconds: u64 },
    #[error("{command} was refused: {refusal}")]
    Refused { command: String, refusal: Refusal },
    #[error("the device is gone: {0}")]
    Closed(String),
    #[error(transparent)]
    Serial(#[from] SerialError),
}

impl AtError {
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            AtError::Refused { refusal, .. } => Some(refusal),
            _ => None,
        }
    }

    /// The device did not answer or vanished: the driver must recover it.
    pub fn is_device_fault(&self) -> bool {
        matches!(
            self,
            AtError::Timeout { .. } | AtError::Closed(_) | AtError::Serial(_)
        )
    }
}

/// A line the device sent on its own, with the data line some carry
/// (`+CMT:` and `+CDS:` are followed by a PDU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urc {
    pub line: String,
    pub data: Option<String>,
    /// Whether the line matched a known URC prefix.
    pub known: bool,
}

/// Unsolicited result codes the engine knows, and how many data lines follow each.
#[derive(Debug, Clone)]
pub struct UrcTable {
    prefixes: Vec<(String, usize)>,
}

impl UrcTable {
    /// The 3GPP codes common to modems and radios, plus the device profile's own.
    pub fn new(extra: &[String], with_data: &[String]) -> UrcTable {
        // The profile's own entries come first so they override the defaults
        // (a radio's `+CTSDSR:` carries a data line).
        let mut prefixes: Vec<(String, usize)> = with_data
            .iter()
            .map(|p| (p.clone(), 1))
            .chain(extra.iter().map(|p| (p.clone(), 0)))
            .collect();
        prefixes.extend(
            [
                "+CMTI:",
                "+CDSI:",
                "+CBMI:",
                "RING",
                "+CRING:",
                "+CLIP:",
                "+CREG:",
                "+CGREG:",
                "+CEREG:",
                "+CPIN:",
                "RDY",
                "NO CARRIER",
                "+CUSD:",
                "+CIEV:",
                "+CTSDSR:",
                "+CTXD:",
                "+CTICN:",
                "+CTCR:",
                "+CTXG:",
                "+CTOM:",
                "+CTSR:",
            ]
            .iter()
            .map(|p| ((*p).to_owned(), 0)),
        );
        prefixes.extend(
            ["+CMT:", "+CDS:", "+CBM:"]
                .iter()
                .map(|p| ((*p).to_owned(), 1)),
        );
        UrcTable { prefixes }
    }

    fn lookup(&self, line: &str) -> Option<usize> {
        self.prefixes
            .iter()
            .find(|(p, _)| line.starts_with(p.as_str()))
            .map(|(_, data)| *data)
    }
}

fn final_result(line: &str) -> Option<Result<(), Refusal>> {
    let code = |rest: &str| rest.trim().parse::<u16>().ok();
    if line == "OK" {
        return Some(Ok(()));
    }
    if let Some(rest) = line.strip_prefix("+CME ERROR:") {
        return Some(Err(
            code(rest).map_or_else(|| Refusal::Other(line.to_owned()), Refusal::Cme)
        ));
    }
    if let Some(rest) = line.strip_prefix("+CMS ERROR:") {
        return Some(Err(
            code(rest).map_or_else(|| Refusal::Other(line.to_owned()), Refusal::Cms)
        ));
    }
    let other = [
        "ERROR",
        "NO CARRIER",
        "BUSY",
        "NO ANSWER",
        "NO DIALTONE",
        "COMMAND NOT SUPPORT",
        "TOO MANY PARAMETERS",
    ];
    other
        .contains(&line)
        .then(|| Err(Refusal::Other(line.to_owned())))
}

struct Pending {
    echo: String,
    prefix: Option<String>,
    lines: Vec<String>,
    prompted: bool,
    done: Option<Result<(), Refusal>>,
}

pub struct AtEngine {
    link: SerialLink,
    splitter: LineSplitter,
    table: UrcTable,
    urcs: VecDeque<Urc>,
    /// The last queued URC still wants this many data lines.
    data_wanted: usize,
    pending: Option<Pending>,
    closed: Option<String>,
}

impl AtEngine {
    pub fn new(link: SerialLink, table: UrcTable) -> AtEngine {
        AtEngine {
            link,
            splitter: LineSplitter::new(),
            table,
            urcs: VecDeque::new(),
            data_wanted: 0,
            pending: None,
            closed: None,
        }
    }

    /// Sends one command and collects its answer lines up to `OK`.
    pub async fn command(
        &mut self,
        command: &str,
        prefix: Option<&str>,
        timeout: Duration,
    ) -> Result<Vec<String>, AtError> {
        self.send_line(command, prefix)?;
        self.finish(command, timeout).await
    }

    /// `AT+CMGS=<n>` (or a radio's `AT+CMGS=...`), then the payload after the
    /// prompt, ended with Ctrl-Z. An unanswered prompt is cancelled with ESC.
    pub async fn command_with_payload(
        &mut self,
        command: &str,
        prefix: Option<&str>,
        payload: &str,
        prompt_timeout: Duration,
        timeout: Duration,
    ) -> Result<Vec<String>, AtError> {
        self.send_line(command, prefix)?;
        let deadline = Instant::now() + prompt_timeout;
        loop {
            let prompted = self.pending.as_ref().is_some_and(|p| p.prompted);
            let done = self.pending.as_ref().is_some_and(|p| p.done.is_some());
            if done {
                // Refused before the prompt (e.g. `+CMS ERROR: 302`).
                return self.finish(command, timeout).await;
            }
            if prompted {
                break;
            }
            if self.splitter.take_bare_prompt() {
                break;
            }
            if !self.read_until(deadline).await? {
                self.link.write_all(b"\x1b")?;
                self.pending = None;
                return Err(AtError::Timeout {
                    command: format!("{command} (prompt)"),
                    seconds: prompt_timeout.as_secs(),
                });
            }
        }
        let mut body = payload.as_bytes().to_vec();
        body.push(0x1a);
        self.link.write_all(&body)?;
        self.finish(command, timeout).await
    }

    /// A command that answers `CONNECT` (or a `> ` prompt) and then takes
    /// `data` as raw bytes (a file upload such as `AT+QFUPL`), then answers
    /// as usual.
    pub async fn command_with_upload(
        &mut self,
        command: &str,
        prefix: Option<&str>,
        data: &[u8],
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Vec<String>, AtError> {
        self.send_line(command, prefix)?;
        let deadline = Instant::now() + connect_timeout;
        loop {
            let pending = self.pending.as_mut();
            if pending.as_ref().is_some_and(|p| p.done.is_some()) {
                return self.finish(command, timeout).await;
            }
            if let Some(p) = pending {
                if let Some(i) = p.lines.iter().position(|l| l.starts_with("CONNECT")) {
                    p.lines.remove(i);
                    break;
                }
                if p.prompted {
                    break;
                }
            }
            if self.splitter.take_bare_prompt() {
                break;
            }
            if !self.read_until(deadline).await? {
                self.pending = None;
                return Err(AtError::Timeout {
                    command: format!("{command} (CONNECT)"),
                    seconds: connect_timeout.as_secs(),
                });
            }
        }
        self.link.write_all(data)?;
        self.finish(command, timeout).await
    }

    /// A command whose payload follows on the same write, as PEI's
    /// `AT+CMGS=<dest>,<bits>\r\n<hex>\x1A` (no prompt). Nothing may
    /// follow the Ctrl-Z: radios take a line end for a new, empty command.
    pub async fn command_inline(
        &mut self,
        command: &str,
        payload: &str,
        prefix: Option<&str>,
        timeout: Duration,
    ) -> Result<Vec<String>, AtError> {
        self.start(command, prefix)?;
        let mut bytes = command.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(payload.as_bytes());
        bytes.push(0x1a);
        self.link.write_all(&bytes)?;
        self.finish(command, timeout).await
    }

    /// The next unsolicited line; waits for one while the device is idle.
    /// Cancel-safe: nothing read is lost when the future is dropped.
    pub async fn next_urc(&mut self) -> Result<Urc, AtError> {
        loop {
            if self.data_wanted == 0 {
                if let Some(urc) = self.urcs.pop_front() {
                    return Ok(urc);
                }
            }
            self.read_some().await?;
        }
    }

    /// Forgets unsolicited lines read so far: a device's start-up chatter
    /// (`RDY`, `+CPIN: READY`) must not look like a restart once it is set up.
    pub fn forget_urcs(&mut self) {
        self.urcs.clear();
        self.data_wanted = 0;
    }

    /// A URC already read, if any (never waits).
    pub fn queued_urc(&mut self) -> Option<Urc> {
        if self.data_wanted > 0 && self.urcs.len() <= 1 {
            return None;
        }
        self.urcs.pop_front()
    }

    /// Brings a confused device back to its command line: ESC cancels a
    /// prompt, then `AT` until `OK`.
    pub async fn resync(&mut self, tries: u32, each: Duration) -> Result<(), AtError> {
        self.link.write_all(b"\x1b\r")?;
        let mut last = None;
        for _ in 0..tries {
            match self.command("AT", None, each).await {
                Ok(_) => return Ok(()),
                Err(e @ (AtError::Closed(_) | AtError::Serial(_))) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(AtError::Timeout {
            command: "AT".to_owned(),
            seconds: each.as_secs(),
        }))
    }

    /// Reads and sorts whatever arrives for `quiet`, e.g. to let a device
    /// finish its start-up chatter before the first command.
    pub async fn drain(&mut self, quiet: Duration) -> Result<(), AtError> {
        let deadline = Instant::now() + quiet;
        while self.read_until(deadline).await? {}
        Ok(())
    }

    /// Starts waiting for `command`'s answer and writes it with its `\r`.
    fn send_line(&mut self, command: &str, prefix: Option<&str>) -> Result<(), AtError> {
        self.start(command, prefix)?;
        let mut line = command.as_bytes().to_vec();
        line.push(b'\r');
        self.link.write_all(&line)?;
        Ok(())
    }

    fn start(&mut self, command: &str, prefix: Option<&str>) -> Result<(), AtError> {
        if let Some(why) = &self.closed {
            return Err(AtError::Closed(why.clone()));
        }
        self.pending = Some(Pending {
            echo: command.to_owned(),
            prefix: prefix.map(str::to_owned).or_else(|| answer_prefix(command)),
            lines: Vec::new(),
            prompted: false,
            done: None,
        });
        Ok(())
    }

    async fn finish(&mut self, command: &str, timeout: Duration) -> Result<Vec<String>, AtError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = self.pending.as_mut().and_then(|p| p.done.take()) {
                let lines = self.pending.take().map(|p| p.lines).unwrap_or_default();
                return match done {
                    Ok(()) => Ok(lines),
                    Err(refusal) => Err(AtError::Refused {
                        command: command.to_owned(),
                        refusal,
                    }),
                };
            }
            if !self.read_until(deadline).await? {
                self.pending = None;
                return Err(AtError::Timeout {
                    command: command.to_owned(),
                    seconds: timeout.as_secs(),
                });
            }
        }
    }

    /// Reads once; `false` when the deadline passed first.
    async fn read_until(&mut self, deadline: Instant) -> Result<bool, AtError> {
        match tokio::time::timeout_at(deadline, self.read_some()).await {
            Ok(read) => read.map(|()| true),
            Err(_) => Ok(false),
        }
    }

    async fn read_some(&mut self) -> Result<(), AtError> {
        if let Some(why) = &self.closed {
            return Err(AtError::Closed(why.clone()));
        }
        match self.link.recv().await {
            Some(Input::Bytes(bytes)) => {
                let mut tokens = Vec::new();
                self.splitter.feed(&bytes, &mut tokens);
                for token in tokens {
                    self.sort(token);
                }
                Ok(())
            }
            Some(Input::Closed(why)) => {
                self.closed = Some(why.clone());
                Err(AtError::Closed(why))
            }
            None => {
                let why = "the reader stopped".to_owned();
                self.closed = Some(why.clone());
                Err(AtError::Closed(why))
            }
        }
    }

    fn sort(&mut self, token: Token) {
        let line = match token {
            Token::Prompt => {
                match self.pending.as_mut() {
                    Some(p) => p.prompted = true,
                    None => tracing::debug!("prompt with no command waiting ignored"),
                }
                return;
            }
            Token::Line(line) => line,
        };
        if self.data_wanted > 0 {
            self.data_wanted -= 1;
            if let Some(urc) = self.urcs.back_mut() {
                urc.data = Some(line);
            }
            return;
        }
        let known = self.table.lookup(&line);
        if let Some(p) = self.pending.as_mut().filter(|p| p.done.is_none()) {
            if line.eq_ignore_ascii_case(&p.echo) {
                return;
            }
            if let Some(done) = final_result(&line) {
                p.done = Some(done);
                return;
            }
            let expected = p.prefix.as_deref().is_some_and(|pre| line.starts_with(pre));
            if expected || known.is_none() {
                p.lines.push(line);
                return;
            }
        } else if known.is_none() && final_result(&line).is_some() {
            tracing::debug!(%line, "late final result ignored");
            return;
        }
        if known.is_none() {
            tracing::info!(%line, "unknown unsolicited line from the device");
        }
        self.data_wanted = known.unwrap_or(0);
        self.urcs.push_back(Urc {
            line,
            data: None,
            known: known.is_some(),
        });
    }
}

/// The prefix an extended command's answer lines carry: `AT+CPIN?` answers
/// `+CPIN: ...`. Lines with it belong to the command even when the same
/// prefix also comes unsolicited.
fn answer_prefix(command: &str) -> Option<String> {
    let body = command.get(2..)?;
    if !body.starts_with(['+', '^', '#', '$', '*']) {
        return None;
    }
    let name: String = body
        .chars()
        .take_while(|c| !matches!(c, '=' | '?' | ';'))
        .collect();
    Some(format!("{name}:"))
}

/// The value part of a `+XXX: a,b,"c"` line, split on commas outside quotes,
/// quotes removed.
pub fn fields(line: &str) -> Vec<String> {
    let rest = line.split_once(':').map_or(line, |(_, r)| r).trim();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in rest.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    out.push(current.trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_results_and_error_codes() {
        assert_eq!(final_result("OK"), Some(Ok(())));
        assert_eq!(final_result("+CMS ERROR: 42"), Some(Err(Refusal::Cms(42))));
        assert_eq!(final_result("+CME ERROR: 14"), Some(Err(Refusal::Cme(14))));
        assert_eq!(
            final_result("+CME ERROR: SIM busy"),
            Some(Err(Refusal::Other("+CME ERROR: SIM busy".to_owned())))
        );
        assert_eq!(
            final_result("COMMAND NOT SUPPORT"),
            Some(Err(Refusal::Other("COMMAND NOT SUPPORT".to_owned())))
        );
        assert_eq!(final_result("+CSQ: 20,99"), None);
    }

    #[test]
    fn extended_commands_expect_their_own_prefix() {
        assert_eq!(answer_prefix("AT+CPIN?").as_deref(), Some("+CPIN:"));
        assert_eq!(answer_prefix("AT+CMGS=23").as_deref(), Some("+CMGS:"));
        assert_eq!(answer_prefix("AT^CURC=0").as_deref(), Some("^CURC:"));
        assert_eq!(answer_prefix("ATE0"), None);
    }

    #[test]
    fn fields_respect_quotes_and_spaces() {
        assert_eq!(fields("+CMTI: \"ME\", 3"), vec!["ME", "3"]);
        assert_eq!(
            fields("+COPS: 0,0,\"Elisa, FI\",7"),
            vec!["0", "0", "Elisa, FI", "7"]
        );
        assert_eq!(fields("+CMGL: 1,0,,24"), vec!["1", "0", "", "24"]);
    }

    /// A device on a pseudo-terminal answering the first command it reads
    /// with `answer`.
    fn device(answer: &'static [u8]) -> SerialLink {
        use std::io::{Read, Write};
        let (mut master, slave) = serialport::TTYPort::pair().unwrap();
        let path = serialport::SerialPort::name(&slave).unwrap();
        let link = SerialLink::open(std::path::Path::new(&path), 115_200, false).unwrap();
        drop(slave);
        std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            while master
                .read(&mut byte)
                .map(|n| n == 1 && byte[0] != b'\r')
                .unwrap_or(true)
            {}
            master.write_all(answer).unwrap();
            std::thread::sleep(Duration::from_secs(1));
        });
        link
    }

    #[tokio::test]
    async fn urcs_inside_an_answer_are_routed_away_from_it() {
        let link = device(
            b"\r\n+CPIN: READY\r\n\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n+CSQ: 20,99\r\n\r\n+QIND: SMS DONE\r\n^RSSI: 12\r\n\r\nOK\r\n",
        );
        let mut at = AtEngine::new(link, UrcTable::new(&["+QIND:".to_owned()], &[]));
        let lines = at
            .command("AT+CSQ", None, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            lines,
            vec!["+CSQ: 20,99", "^RSSI: 12"],
            "an unknown line mid-answer stays with it"
        );
        let urcs: Vec<Urc> = std::iter::from_fn(|| at.queued_urc()).collect();
        assert_eq!(urcs.len(), 3, "{urcs:?}");
        assert_eq!(urcs[0].line, "+CPIN: READY");
        assert_eq!(urcs[1].line, "+CMT: ,24");
        assert!(urcs[1]
            .data
            .as_deref()
            .is_some_and(|d| d.starts_with("07911326")));
        assert_eq!(urcs[2].line, "+QIND: SMS DONE");
    }

    #[tokio::test]
    async fn an_unanswered_command_times_out_and_a_vanished_device_is_reported() {
        let link = device(b"");
        let mut at = AtEngine::new(link, UrcTable::new(&[], &[]));
        let e = at
            .command("AT", None, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(e, AtError::Timeout { .. }), "{e}");
        let gone = tokio::time::timeout(Duration::from_secs(5), at.next_urc())
            .await
            .unwrap();
        assert!(matches!(gone, Err(AtError::Closed(_))), "{gone:?}");
    }

    #[test]
    fn urc_table_knows_data_lines() {
        let t = UrcTable::new(&["+QIND:".to_owned()], &[]);
        assert_eq!(t.lookup("+CMT: ,24"), Some(1));
        assert_eq!(t.lookup("+CMTI: \"ME\",1"), Some(0));
        assert_eq!(t.lookup("+QIND: SMS DONE"), Some(0));
        assert_eq!(t.lookup("+CSQ: 1,2"), None);
    }
}
