//! The appliance's configuration file (TOML).
//!
//! Loading never stops at the first mistake: every unknown key, wrong type and
//! impossible value is collected, each as one sentence naming the file, the line
//! and the key, so an operator fixes them all in one go. The code that reads a key
//! is also its schema: a key nobody reads is reported as unknown.

mod audit;
mod backup;
mod email_in;
mod map;
mod reader;
mod standby;

pub use audit::{AuditConfig, SyslogConfig};
pub use backup::{BackupConfig, BackupTarget, Place};
pub use email_in::{EmailInConfig, DEFAULT_MAX_MESSAGE_BYTES};
pub use map::MapConfig;
pub use standby::StandbyConfig;

use reader::{Reader, TableCursor};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_PATH: &str = "/etc/tocsin/tocsin.toml";

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the file was read from; empty for configs built in code (the demo).
    pub source: PathBuf,
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub modems: Vec<ModemConfig>,
    pub radios: Vec<RadioConfig>,
    pub log: LogConfig,
    pub email: Option<EmailConfig>,
    /// The SMTP listener for alarms by email.
    pub email_in: Option<EmailInConfig>,
    pub sms: SmsConfig,
    pub voice: VoiceConfig,
    pub backup: Option<BackupConfig>,
    /// Present when this appliance stands by for another.
    pub standby: Option<StandbyConfig>,
    /// Signing the audit trail.
    pub audit: Option<AuditConfig>,
    /// The console map's tiles.
    pub map: MapConfig,
}

/// How received SMS are put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsConfig {
    /// A long SMS whose other parts don't come within this time is handled
    /// with what came, marked incomplete.
    pub part_timeout: time::Duration,
}

/// How robot calls are tried again and whether members may call in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceConfig {
    /// Calls again after `busy` or `no answer`, beyond the first.
    pub retries: u32,
    /// The pause before each call again.
    pub retry_pause: std::time::Duration,
    /// A member calling a modem hears their latest active alert.
    pub calls_in: bool,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        VoiceConfig {
            retries: 2,
            retry_pause: std::time::Duration::from_secs(120),
            calls_in: true,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            part_timeout: time::Duration::minutes(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub public_url: String,
    pub tls: Option<TlsFiles>,
    /// Login attempts one client address may make per five minutes.
    pub login_attempts_per_address: u32,
    /// A bearer token that opens `/metrics` and the detail of `/readyz` to
    /// monitoring on other hosts; without it only this host sees them.
    pub monitoring_token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ModemConfig {
    pub name: String,
    pub device: PathBuf,
    pub baud: u32,
    pub profile_name: String,
    pub profile: crate::hw::gsm::profile::ModemProfile,
    pub sim_pin: Option<Secret>,
    /// Places robot calls when its profile can; `voice = false` keeps a
    /// modem for SMS.
    pub voice: bool,
}

#[derive(Debug, Clone)]
pub struct RadioConfig {
    pub name: String,
    pub device: PathBuf,
    pub baud: u32,
    pub profile_name: String,
    pub profile: crate::hw::tetra::profile::RadioProfile,
    pub issi: u32,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Daily-rotated log files go here; `None` logs to stderr only.
    pub dir: Option<PathBuf>,
    pub keep_days: usize,
    pub level: String,
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp_url: Secret,
    pub from: String,
    /// Messages per minute the relay accepts from the appliance.
    pub per_minute: u32,
}

pub use crate::secret::Secret;

/// One thing wrong with a config file, as one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{}: {} {}",
                self.file.display(),
                line,
                self.key,
                self.message
            ),
            None => write!(f, "{}: {} {}", self.file.display(), self.key, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: the config file cannot be read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: the config file is not valid TOML: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}", ProblemList(.0))]
    Invalid(Vec<Problem>),
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    pub fn problems(&self) -> Vec<String> {
        match self {
            ConfigError::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

const DEFAULT_LOGIN_ATTEMPTS: u32 = 60;
const STANDARD_BAUD_RATES: &[u32] = &[9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];
/// TETRA short subscriber identities are 24 bits (ETSI EN 300 392-1 §7).
const MAX_ISSI: u32 = 0x00FF_FFFF;

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let document =
            toml_edit::ImDocument::parse(text.to_owned()).map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                line: e
                    .span()
                    .map(|s| reader::line_of(text, s.start))
                    .unwrap_or(1),
                // One line per problem, whatever the parser's layout.
                message: e.message().trim().replace('\n', "; "),
            })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let mut r = Reader::new(path, text, base_dir);
        let mut root = TableCursor::root(document.as_table());

        let data_dir = r
            .path(&mut root, "data_dir")
            .unwrap_or_else(|| PathBuf::from("/var/lib/tocsin"));

        let http = match r.table(&mut root, "http") {
            Some(mut t) => {
                let http = read_http(&mut r, &mut t);
                r.finish(t);
                http
            }
            None => Some(HttpConfig::default()),
        };

        let mut modems = Vec::new();
        let modem_tables = r.array_of_tables(&mut root, "modems");
        r.unique_names(&modem_tables);
        for mut t in modem_tables {
            if let Some(m) = read_modem(&mut r, &mut t) {
                modems.push(m);
            }
            r.finish(t);
        }
        let mut radios = Vec::new();
        let radio_tables = r.array_of_tables(&mut root, "radios");
        r.unique_names(&radio_tables);
        for mut t in radio_tables {
            if let Some(radio) = read_radio(&mut r, &mut t) {
                radios.push(radio);
            }
            r.finish(t);
        }

        let log = match r.table(&mut root, "log") {
            Some(mut t) => {
                let log = read_log(&mut r, &mut t);
                r.finish(t);
                log
            }
            None => LogConfig::default(),
        };

        let public_url_set = document
            .as_table()
            .get("http")
            .and_then(|h| h.as_table_like())
            .is_some_and(|h| h.get("public_url").is_some());
        let email = match r.table(&mut root, "email") {
            Some(mut t) => {
                let email = read_email(&mut r, &mut t);
                // Links in messages must reach the appliance from people's
                // phones, which a guess from the listen address can't.
                if !public_url_set {
                    r.problem_at(
                        &t,
                        "smtp_url",
                        "needs http.public_url too, so links in emails reach the appliance"
                            .to_owned(),
                    );
                }
                r.finish(t);
                email
            }
            None => None,
        };
        let email_in = match r.table(&mut root, "email_in") {
            Some(mut t) => {
                let email_in = email_in::read_email_in(&mut r, &mut t);
                r.finish(t);
                email_in
            }
            None => None,
        };
        let sms = match r.table(&mut root, "sms") {
            Some(mut t) => {
                let sms = read_sms(&mut r, &mut t);
                r.finish(t);
                sms
            }
            None => SmsConfig::default(),
        };
        let voice = match r.table(&mut root, "voice") {
            Some(mut t) => {
                let voice = read_voice(&mut r, &mut t);
                r.finish(t);
                voice
            }
            None => VoiceConfig::default(),
        };
        let backup = match r.table(&mut root, "backup") {
            Some(mut t) => {
                let backup = backup::read_backup(&mut r, &mut t);
                r.finish(t);
                backup
            }
            None => None,
        };
        let audit = match r.table(&mut root, "audit") {
            Some(mut t) => {
                let audit = audit::read_audit(&mut r, &mut t);
                r.finish(t);
                audit
            }
            None => None,
        };
        let standby = match r.table(&mut root, "standby") {
            Some(mut t) => {
                let standby = standby::read_standby(&mut r, &mut t);
                r.finish(t);
                standby
            }
            None => None,
        };
        let map = match r.table(&mut root, "map") {
            Some(mut t) => {
                let map = map::read_map(&mut r, &mut t, &data_dir);
                r.finish(t);
                map
            }
            None => MapConfig::default_for(&data_dir),
        };
        r.finish(root);

        let problems = r.into_problems();
        match (http, problems.is_empty()) {
            (Some(http), true) => Ok(Config {
                source: path.to_path_buf(),
                data_dir,
                http,
                modems,
                radios,
                log,
                email,
                email_in,
                sms,
                voice,
                backup,
                standby,
                audit,
                map,
            }),
            _ => Err(ConfigError::Invalid(problems)),
        }
    }

    /// The config `tocsin demo` runs with: everything under one directory.
    pub fn for_demo(data_dir: &Path, listen: SocketAddr) -> Config {
        Config {
            source: PathBuf::new(),
            data_dir: data_dir.to_path_buf(),
            http: HttpConfig {
                listen,
                public_url: public_url_for(listen),
                tls: None,
                login_attempts_per_address: DEFAULT_LOGIN_ATTEMPTS,
                monitoring_token: None,
            },
            modems: Vec::new(),
            radios: Vec::new(),
            log: LogConfig {
                dir: Some(data_dir.join("logs")),
                ..LogConfig::default()
            },
            email: None,
            email_in: None,
            sms: SmsConfig::default(),
            voice: VoiceConfig::default(),
            backup: None,
            standby: None,
            audit: None,
            map: MapConfig::default_for(data_dir),
        }
    }

    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        let listen = SocketAddr::from(([0, 0, 0, 0], 8443));
        HttpConfig {
            listen,
            public_url: public_url_for(listen),
            tls: None,
            login_attempts_per_address: DEFAULT_LOGIN_ATTEMPTS,
            monitoring_token: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            dir: Some(PathBuf::from("/var/log/tocsin")),
            keep_days: 30,
            level: "info".to_owned(),
        }
    }
}

fn public_url_for(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        "localhost".to_owned()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    format!("https://{host}:{}", listen.port())
}

fn read_http(r: &mut Reader, t: &mut TableCursor) -> Option<HttpConfig> {
    let defaults = HttpConfig::default();
    let listen = r.parsed(
        t,
        "listen",
        "an address and port such as 0.0.0.0:8443",
        |s| s.parse::<SocketAddr>().ok(),
    );
    let listen_ok = listen.is_some() || !t.has("listen");
    let listen = listen.unwrap_or(defaults.listen);
    let public_url = r.parsed(
        t,
        "public_url",
        "an https:// URL such as https://tocsin.example.org:8443",
        |s| {
            let url = url::Url::parse(s).ok()?;
            (url.scheme() == "https" && url.host().is_some())
                .then(|| s.trim_end_matches('/').to_owned())
        },
    );
    let public_url = public_url.unwrap_or_else(|| public_url_for(listen));
    let cert = r.path(t, "tls_cert");
    let key = r.path(t, "tls_key");
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => {
            let cert_ok = match crate::pem::check_cert_file(&cert) {
                Ok(()) => true,
                Err(why) => {
                    r.problem_at(t, "tls_cert", why);
                    false
                }
            };
            match crate::pem::check_key_file(&key) {
                Err(why) => r.problem_at(t, "tls_key", why),
                Ok(()) if cert_ok => {
                    if let Err(why) = crate::pem::check_pair(&cert, &key) {
                        r.problem_at(t, "tls_key", why);
                    }
                }
                Ok(()) => {}
            }
            Some(TlsFiles { cert, key })
        }
        (Some(_), None) => {
            r.problem_at(
                t,
                "tls_cert",
                "is set but http.tls_key is not; set both or neither".to_owned(),
            );
            None
        }
        (None, Some(_)) => {
            r.problem_at(
                t,
                "tls_key",
                "is set but http.tls_cert is not; set both or neither".to_owned(),
            );
            None
        }
        (None, None) => None,
    };
    let login_attempts_per_address = r
        .integer(
            t,
            "login_attempts_per_address",
            5,
            100_000,
            "a number of attempts from 5 to 100000",
        )
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(DEFAULT_LOGIN_ATTEMPTS);
    let monitoring_token = r.parsed(
        t,
        "monitoring_token",
        "a random token of 32 to 256 printable characters",
        |s| {
            ((32..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()))
                .then(|| Secret::new(s))
        },
    );
    listen_ok.then_some(HttpConfig {
        listen,
        public_url,
        tls,
        login_attempts_per_address,
        monitoring_token,
    })
}

fn read_modem(r: &mut Reader, t: &mut TableCursor) -> Option<ModemConfig> {
    let name = r.required_name(t);
    let device = r.required_path(t, "device");
    let baud = r.baud(t, 115_200);
    let profile_name = r.required_name_key(t, "profile");
    let mut profile = profile_name.as_ref().and_then(|p| {
        match crate::hw::gsm::profile::load(p, Some(r.base_dir())) {
            Ok(profile) => Some(profile),
            Err(e) => {
                r.problem_at(t, "profile", format!("cannot be used: {e}"));
                None
            }
        }
    });
    let sim_pin = r.parsed(t, "sim_pin", "4 to 8 digits", |s| {
        ((4..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Secret::new(s))
    });
    let per_minute = r.integer(
        t,
        "per_minute",
        1,
        600,
        "a rate from 1 to 600 messages a minute",
    );
    if let (Some(profile), Some(limit)) = (profile.as_mut(), per_minute) {
        profile.per_minute = u32::try_from(limit).ok();
    }
    let voice = r.boolean(t, "voice");
    if voice == Some(true) && profile.as_ref().is_some_and(|p| p.voice.is_none()) {
        r.problem_at(
            t,
            "voice",
            "is true, but the modem's profile has no [voice] table: this model cannot place calls"
                .to_owned(),
        );
    }
    Some(ModemConfig {
        name: name?,
        device: device?,
        baud: baud?,
        profile_name: profile_name?,
        profile: profile?,
        sim_pin,
        voice: voice.unwrap_or(true),
    })
}

fn read_radio(r: &mut Reader, t: &mut TableCursor) -> Option<RadioConfig> {
    let name = r.required_name(t);
    let device = r.required_path(t, "device");
    let baud = r.baud(t, 38_400);
    let profile_name = r.required_name_key(t, "profile");
    let profile = profile_name.as_ref().and_then(|p| {
        match crate::hw::tetra::profile::load(p, Some(r.base_dir())) {
            Ok(profile) => Some(profile),
            Err(e) => {
                r.problem_at(t, "profile", format!("cannot be used: {e}"));
                None
            }
        }
    });
    let issi = r.required_integer(
        t,
        "issi",
        1,
        i64::from(MAX_ISSI),
        "a TETRA ISSI (1 to 16777215)",
    );
    Some(RadioConfig {
        name: name?,
        device: device?,
        baud: baud?,
        profile_name: profile_name?,
        profile: profile?,
        issi: u32::try_from(issi?).ok()?,
    })
}

fn read_log(r: &mut Reader, t: &mut TableCursor) -> LogConfig {
    let defaults = LogConfig::default();
    let dir = r.path(t, "dir").or(defaults.dir);
    let keep_days = r
        .integer(t, "keep_days", 1, 3650, "a number of days from 1 to 3650")
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(defaults.keep_days);
    let level = r
        .parsed(t, "level", "one of error, warn, info, debug, trace", |s| {
            matches!(s, "error" | "warn" | "info" | "debug" | "trace").then(|| s.to_owned())
        })
        .unwrap_or(defaults.level);
    LogConfig {
        dir,
        keep_days,
        level,
    }
}

fn read_sms(r: &mut Reader, t: &mut TableCursor) -> SmsConfig {
    let part_timeout = r
        .integer(
            t,
            "part_timeout_minutes",
            1,
            1440,
            "a number of minutes from 1 to 1440",
        )
        .map_or(SmsConfig::default().part_timeout, time::Duration::minutes);
    SmsConfig { part_timeout }
}

fn read_voice(r: &mut Reader, t: &mut TableCursor) -> VoiceConfig {
    let default = VoiceConfig::default();
    let retries = r
        .integer(t, "retries", 0, 10, "a number of calls from 0 to 10")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(default.retries);
    let retry_pause = r
        .integer(
            t,
            "retry_pause_seconds",
            5,
            3600,
            "a number of seconds from 5 to 3600",
        )
        .and_then(|n| u64::try_from(n).ok())
        .map_or(default.retry_pause, std::time::Duration::from_secs);
    let calls_in = r.boolean(t, "calls_in").unwrap_or(default.calls_in);
    VoiceConfig {
        retries,
        retry_pause,
        calls_in,
    }
}

fn read_email(r: &mut Reader, t: &mut TableCursor) -> Option<EmailConfig> {
    let smtp_url = r.parsed(
        t,
        "smtp_url",
        "an smtp:// or smtps:// URL such as smtp://relay.example.org:587?tls=required",
        |s| {
            let url = url::Url::parse(s).ok()?;
            (matches!(url.scheme(), "smtp" | "smtps") && url.host().is_some())
                .then(|| Secret::new(s))
        },
    );
    // A relay password must not cross the network in the clear.
    let clear_password = smtp_url
        .as_ref()
        .and_then(|u| url::Url::parse(u.expose()).ok())
        .is_some_and(|url| {
            url.scheme() == "smtp"
                && (url.password().is_some() || !url.username().is_empty())
                && !url
                    .query_pairs()
                    .any(|(k, v)| k == "tls" && v == "required")
        });
    if clear_password {
        r.problem_at(
            t,
            "smtp_url",
            "would send the relay's password in the clear: use smtps:// or add ?tls=required"
                .to_owned(),
        );
    }
    let from = r.parsed(
        t,
        "from",
        "a mailbox such as Tocsin <alerts@example.org>",
        |s| {
            let address = match (s.find('<'), s.rfind('>')) {
                (Some(open), Some(close)) if open < close && close == s.len() - 1 => {
                    s.get(open + 1..close)?
                }
                (None, None) => s,
                _ => return None,
            };
            let (local, domain) = address.split_once('@')?;
            (!local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace))
                .then(|| s.to_owned())
        },
    );
    let per_minute = r
        .integer(
            t,
            "per_minute",
            1,
            100_000,
            "a number of messages per minute from 1 to 100000",
        )
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(600);
    if smtp_url.is_none() && !t.has("smtp_url") {
        r.missing(t, "smtp_url");
    }
    if from.is_none() && !t.has("from") {
        r.missing(t, "from");
    }
    Some(EmailConfig {
        smtp_url: smtp_url?,
        from: from?,
        per_minute,
    })
}

impl Reader<'_> {
    fn baud(&mut self, t: &mut TableCursor, default: u32) -> Option<u32> {
        if !t.has("baud") {
            return Some(default);
        }
        self.parsed_integer(t, "baud", "a standard baud rate such as 115200", |n| {
            u32::try_from(n)
                .ok()
                .filter(|b| STANDARD_BAUD_RATES.contains(b))
        })
    }

    fn required_name(&mut self, t: &mut TableCursor) -> Option<String> {
        self.required_name_key(t, "name")
    }

    fn required_name_key(&mut self, t: &mut TableCursor, key: &str) -> Option<String> {
        if !t.has(key) {
            self.missing(t, key);
            return None;
        }
        self.parsed(
            t,
            key,
            "a name of lowercase letters, digits and dashes",
            |s| {
                let ok = !s.is_empty()
                    && s.len() <= 64
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                ok.then(|| s.to_owned())
            },
        )
    }

    fn required_path(&mut self, t: &mut TableCursor, key: &str) -> Option<PathBuf> {
        if !t.has(key) {
            self.missing(t, key);
            return None;
        }
        self.path(t, key)
    }

    fn required_integer(
        &mut self,
        t: &mut TableCursor,
        key: &str,
        min: i64,
        max: i64,
        what: &str,
    ) -> Option<i64> {
        if !t.has(key) {
            self.missing(t, key);
            return None;
        }
        self.integer(t, key, min, max, what)
    }
}

#[cfg(test)]
mod tests;
