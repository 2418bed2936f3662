//! The `tocsin` command line. Exit codes: 0 success, 2 usage errors (clap), 1
//! other failures; `serve` and `demo` use sysexits codes so systemd can tell a
//! bad config (78) or unusable data (65) from a crash.

use crate::clock::{self, Clock, SharedClock, SystemClock};
use crate::config::{self, Config, ConfigError};
use crate::daemon::{exit, Daemon, Ended};
use crate::store::Store;
use crate::{backup, demo, provisioning, telemetry};
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Tocsin critical-communications appliance"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct ConfigArg {
    /// The configuration file.
    #[arg(long, value_name = "PATH", default_value = config::DEFAULT_PATH)]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the appliance daemon.
    Serve(ConfigArg),
    /// Run the whole appliance in one directory with a demo organisation.
    Demo {
        /// Where the demo keeps its data, certificate and logs.
        #[arg(long, value_name = "DIR", default_value = "./tocsin-demo")]
        data_dir: PathBuf,
        /// The HTTPS address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
    },
    /// Check a configuration file and report every problem in it.
    CheckConfig(ConfigArg),
    /// Organisation administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// API keys for integrations.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// The appliance operator: shared modems and radios, and which senders
    /// belong to which organisation.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Run a simulated device on a pseudo-terminal, for trying the appliance
    /// without hardware.
    #[command(subcommand)]
    Simulate(SimulateCommand),
    /// Encrypted backups of the whole appliance.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Make this appliance the primary: a standby takes over with its
    /// newest verified backup; a stood-down primary takes the service back.
    Promote(ConfigArg),
    /// Make this appliance stand down: it keeps its data but sends nothing
    /// until promoted.
    Demote(ConfigArg),
    /// A standby appliance.
    #[command(subcommand)]
    Standby(StandbyCommand),
    /// The tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Restore a backup into an empty data directory.
    Restore {
        /// The backup key file (or a file holding its recovery text).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The backup: a file, or a file:// URL.
        #[arg(long, value_name = "FILE_OR_URL")]
        from: String,
        /// The data directory to restore into.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Replace the store and at-rest key already in the directory.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum BackupCommand {
    /// Backup keys.
    #[command(subcommand)]
    Key(BackupKeyCommand),
    /// Take a backup now through the running daemon and send it to every
    /// target.
    Now(ConfigArg),
    /// List the backups at each target.
    List(ConfigArg),
    /// Check every chunk of a backup and open it in a temporary directory.
    Verify {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The backup file.
        backup: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// The key that signs audit checkpoints: the private key (0600) and
    /// FILE.pub for verifiers.
    #[command(subcommand)]
    Key(AuditKeyCommand),
    /// Write an organisation's (or the appliance's) audit chain with its
    /// signed checkpoints as JSON lines.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        /// The organisation's short name.
        #[arg(
            long,
            conflicts_with = "appliance",
            required_unless_present = "appliance"
        )]
        org: Option<String>,
        /// The appliance's own trail (the operator's).
        #[arg(long)]
        appliance: bool,
        /// Only events from this time on (RFC 3339).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },
    /// Check an export against the public key: OK, or the first edited,
    /// deleted, inserted or reordered event.
    Verify {
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
        /// The export.
        export: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditKeyCommand {
    Create {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StandbyCommand {
    /// Make the token a primary presents to its standby (0600), and print
    /// the hash that goes in the standby's `[standby] token_sha256`.
    Token {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum BackupKeyCommand {
    /// Make a new backup key (0600) and print its id and recovery text.
    Create {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The appliance whose audit trail records the new key.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum SimulateCommand {
    /// A GSM modem (Quectel EC25-like) speaking AT commands in PDU mode.
    /// Reads commands from standard input: `sms <from> <text>`,
    /// `report <number> <TP-ST hex>`, `fault hang|garbage|unplug <seconds>|cms <code> <times>|busy <times>|no-reports`.
    Modem {
        /// Where to put the symlink to the pseudo-terminal (the `device` of a `[[modems]]` section).
        #[arg(long, value_name = "PATH")]
        link: PathBuf,
        /// Network time per message, from the PDU to `+CMGS`.
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        network_delay_ms: u64,
        /// Time from `+CMGS` to the status report.
        #[arg(long, value_name = "MS", default_value_t = 500)]
        report_delay_ms: u64,
    },
    /// A TETRA terminal speaking PEI, with simulated radios behind it.
    /// Reads commands from standard input: `text <issi> <text>`,
    /// `status <issi> <hex value>`, `behaviour <issi> reports|received|off|accept|standby|reject`,
    /// `group <gssi> <issi>...`, `fault hang|garbage|unplug <seconds>|cme <code> <times>`.
    Radio {
        /// Where to put the symlink to the pseudo-terminal (the `device` of a `[[radios]]` section).
        #[arg(long, value_name = "PATH")]
        link: PathBuf,
        /// This terminal's own ISSI.
        #[arg(long, default_value_t = 1_000_001)]
        issi: u32,
        /// Air time per SDS, to the radio's "sent over the air".
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        air_delay_ms: u64,
        /// Time from that to the destination's report.
        #[arg(long, value_name = "MS", default_value_t = 500)]
        report_delay_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an organisation admin (and the organisation if it is new), or
    /// reset an existing user's password and make them admin.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// The organisation's short name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Create the appliance operator, or reset an operator's password. The
    /// operator logs in under the organisation name "appliance".
    Create {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Operator API keys.
    #[command(subcommand)]
    Apikey(OperatorApikeyCommand),
}

#[derive(Debug, Subcommand)]
enum OperatorApikeyCommand {
    /// Print a new operator API key once; only its hash is stored.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// What the key is for, shown in listings.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApikeyCommand {
    /// Print a new API key once; only its hash is stored.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        org: String,
        /// What the key is for, shown in listings.
        #[arg(long)]
        name: String,
        /// admin, sender or member.
        #[arg(long)]
        role: String,
        /// Days until the key stops working; it never expires without this.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => serve(&args.config),
        Command::Demo { data_dir, listen } => run_demo(&data_dir, listen),
        Command::CheckConfig(args) => check_config(&args.config),
        Command::Admin(AdminCommand::Create {
            config,
            org,
            username,
            password_stdin: _,
        }) => one_shot(|| admin_create(&config.config, &org, &username)),
        Command::Apikey(ApikeyCommand::Create {
            config,
            org,
            name,
            role,
            expires_in_days,
        }) => one_shot(|| apikey_create(&config.config, &org, &name, &role, expires_in_days)),
        Command::Operator(OperatorCommand::Create {
            config,
            username,
            password_stdin: _,
        }) => one_shot(|| operator_create(&config.config, &username)),
        Command::Operator(OperatorCommand::Apikey(OperatorApikeyCommand::Create {
            config,
            name,
        })) => one_shot(|| operator_apikey_create(&config.config, &name)),
        Command::Backup(BackupCommand::Key(BackupKeyCommand::Create { out, config })) => {
            one_shot(|| backup_key_create(&out, config.as_deref()))
        }
        Command::Backup(BackupCommand::Now(args)) => one_shot(|| backup_now(&args.config)),
        Command::Backup(BackupCommand::List(args)) => one_shot(|| backup_list(&args.config)),
        Command::Backup(BackupCommand::Verify { key, backup }) => {
            one_shot(|| backup_verify(&key, &backup))
        }
        Command::Restore {
            key,
            from,
            data_dir,
            force,
        } => one_shot(|| restore(&key, &from, &data_dir, force)),
        Command::Promote(args) => one_shot(|| promote(&args.config)),
        Command::Demote(args) => one_shot(|| demote(&args.config)),
        Command::Standby(StandbyCommand::Token { out }) => one_shot(|| standby_token(&out)),
        Command::Audit(AuditCommand::Key(AuditKeyCommand::Create { out })) => {
            one_shot(|| audit_key_create(&out))
        }
        Command::Audit(AuditCommand::Export {
            config,
            org,
            appliance: _,
            since,
        }) => one_shot(|| audit_export(&config.config, org.as_deref(), since.as_deref())),
        Command::Audit(AuditCommand::Verify { public_key, export }) => {
            one_shot(|| audit_verify(&public_key, &export))
        }
        Command::Simulate(SimulateCommand::Modem {
            link,
            network_delay_ms,
            report_delay_ms,
        }) => one_shot(|| simulate_modem(&link, network_delay_ms, report_delay_ms)),
        Command::Simulate(SimulateCommand::Radio {
            link,
            issi,
            air_delay_ms,
            report_delay_ms,
        }) => one_shot(|| simulate_radio(&link, issi, air_delay_ms, report_delay_ms)),
    }
}

fn simulate_modem(link: &Path, network_delay_ms: u64, report_delay_ms: u64) -> Result<(), String> {
    use crate::hw::sim::modem::{Callee, Caller, Fault, SimModem, SimModemConfig};
    use std::time::Duration;
    let config = SimModemConfig {
        network_delay: Duration::from_millis(network_delay_ms),
        report_delay: Duration::from_millis(report_delay_ms),
        ..SimModemConfig::default()
    };
    let modem = SimModem::start(link, config).map_err(|e| {
        format!(
            "cannot start the simulated modem at {}: {e}",
            link.display()
        )
    })?;
    println!("simulated modem on {}", link.display());
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
        match words.as_slice() {
            ["sms", from, ..] => {
                let text = line
                    .splitn(3, char::is_whitespace)
                    .nth(2)
                    .unwrap_or("")
                    .to_owned();
                modem.receive_sms(from, &text);
            }
            ["fault", "hang"] => modem.fault(Fault::Hang),
            ["fault", "garbage"] => modem.fault(Fault::Garbage),
            ["fault", "no-reports"] => modem.fault(Fault::DropReports),
            ["fault", "unplug", _] => modem.fault(Fault::Unplug {
                for_: Duration::from_secs(number(2).unwrap_or(5)),
            }),
            ["fault", "cms", _, _] => modem.fault(Fault::CmsError {
                code: number(2).and_then(|n| u16::try_from(n).ok()).unwrap_or(500),
                times: number(3).and_then(|n| u32::try_from(n).ok()).unwrap_or(1),
            }),
            ["fault", "busy", _] => modem.fault(Fault::SimBusy {
                times: number(2).and_then(|n| u32::try_from(n).ok()).unwrap_or(1),
            }),
            ["callee", to, "answers", keys] => modem.set_callee(
                to,
                Callee::Answers {
                    after: Duration::from_secs(2),
                    keys: spaced_keys(keys),
                    hang_up: None,
                },
            ),
            ["report", to, status] => match u8::from_str_radix(status.trim_start_matches("0x"), 16) {
                Ok(status) => modem.set_report_status(to, status),
                Err(_) => eprintln!("report <number> <TP-ST in hex, e.g. 43>"),
            },
            ["callee", to, "busy"] => modem.set_callee(to, Callee::Busy),
            ["callee", to, "no-answer"] => modem.set_callee(to, Callee::NoAnswer),
            ["callee", to, "rejects"] => modem.set_callee(
                to,
                Callee::Rejects {
                    after: Duration::from_secs(3),
                },
            ),
            ["call-in", from, keys] => modem.call_in(
                from,
                Caller {
                    keys: spaced_keys(keys),
                    hang_up: Some(Duration::from_secs(120)),
                    gives_up_after: Duration::from_secs(30),
                },
            ),
            [] => {}
            _ => eprintln!("commands: sms <from> <text> | report <number> <TP-ST hex> | callee <number> answers <keys>|busy|no-answer|rejects | call-in <from> <keys> | fault hang|garbage|no-reports|unplug <s>|cms <code> <times>|busy <times>"),
        }
    }
    // Standard input closed: keep serving until the process is stopped.
    loop {
        std::thread::park();
    }
}

/// Keys a far end presses, two seconds apart from the answer on, so the
/// first comes while the message plays.
fn spaced_keys(keys: &str) -> Vec<(std::time::Duration, char)> {
    keys.chars()
        .zip(1u64..)
        .map(|(key, i)| (std::time::Duration::from_secs(2 * i), key))
        .collect()
}

fn backup_key_create(out: &Path, config: Option<&Path>) -> Result<(), String> {
    let key = backup::BackupKey::generate().map_err(|e| e.to_string())?;
    key.write_new(out).map_err(|e| e.to_string())?;
    tracing::info!(key = %key.id(), file = %out.display(), "backup key created");
    if let Some(config) = config {
        let config = Config::load(config).map_err(|e| e.to_string())?;
        let command = format!("key-created {}", key.id());
        let audited = match crate::control::ask(&config.data_dir, &command) {
            Ok(answer) => answer
                .get("error")
                .and_then(|e| e.as_str())
                .map_or(Ok(()), |e| Err(e.to_owned())),
            Err(_) => Store::open(&config.store_dir())
                .map_err(|e| e.to_string())
                .and_then(|store| {
                    crate::control::key_created(&store, &key.id()).map_err(|e| e.to_string())
                }),
        };
        audited.map_err(|e| format!("the key is made, but not in the audit trail: {e}"))?;
    }
    println!("backup key {} written to {}", key.id(), out.display());
    println!("recovery text (keep it offline; it is the key):");
    println!("  {}", key.recovery_text());
    Ok(())
}

fn promote(path: &Path) -> Result<(), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let promoted: crate::standby::Promoted = match crate::control::ask(&config.data_dir, "promote")
    {
        Ok(answer) => {
            if let Some(error) = answer.get("error").and_then(|e| e.as_str()) {
                return Err(format!("not promoted: {error}"));
            }
            serde_json::from_value(answer.get("promoted").cloned().unwrap_or_default())
                .map_err(|e| format!("the daemon's answer is unreadable: {e}"))?
        }
        Err(not_running) => {
            let promoted = crate::standby::promote(&config, SystemClock.now())
                .map_err(|e| format!("not promoted: {e}"))?;
            println!("the daemon is not running ({not_running}); start it to serve");
            promoted
        }
    };
    match &promoted.from {
        Some(from) => println!("promoted from backup {from}"),
        None => println!("promoted: serving from this appliance's own store again"),
    }
    for (kind, count) in &promoted.counts {
        println!("  {count} {kind}");
    }
    // The daemon starts again as the primary; wait until it says so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Ok(answer) = crate::control::ask(&config.data_dir, "mode") {
            if answer.get("mode").and_then(|m| m.as_str()) == Some("primary") {
                println!("serving as the primary");
                return Ok(());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Ok(())
}

fn demote(path: &Path) -> Result<(), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    match crate::control::ask(&config.data_dir, "demote") {
        Ok(answer) => {
            if let Some(error) = answer.get("error").and_then(|e| e.as_str()) {
                return Err(format!("not stood down: {error}"));
            }
        }
        Err(_) => {
            let store = Store::open(&config.store_dir()).ok();
            crate::standby::stand_down(
                &config.data_dir,
                store.as_ref(),
                "the operator ran tocsin demote",
                SystemClock.now(),
            )
            .map_err(|e| e.to_string())?;
        }
    }
    println!("stood down: this appliance sends nothing until `tocsin promote`");
    Ok(())
}

fn audit_key_create(out: &Path) -> Result<(), String> {
    let key = crate::audit::chain::AuditKey::generate().map_err(|e| e.to_string())?;
    let public = key.write_new(out).map_err(|e| e.to_string())?;
    println!("audit signing key written to {}", out.display());
    println!(
        "public key {} written to {}",
        key.public_hex(),
        public.display()
    );
    Ok(())
}

fn audit_export(path: &Path, org: Option<&str>, since: Option<&str>) -> Result<(), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let slug = org.unwrap_or(crate::store::APPLIANCE_SLUG);
    if let Some(since) = since {
        time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("--since {since:?} is not an RFC 3339 time: {e}"))?;
    }
    let command = format!("audit-export {slug} {}", since.unwrap_or("-"));
    let lines = match crate::control::ask(&config.data_dir, &command) {
        Ok(answer) => {
            if let Some(error) = answer.get("error").and_then(|e| e.as_str()) {
                return Err(error.to_owned());
            }
            answer
                .get("lines")
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect()
        }
        Err(_) => {
            let store = Store::open(&config.store_dir()).map_err(|e| e.to_string())?;
            crate::control::audit_export(&store, slug, since)?
        }
    };
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

fn audit_verify(public_key: &Path, export: &Path) -> Result<(), String> {
    let public = crate::audit::chain::read_public(public_key)?;
    let text = std::fs::read_to_string(export).map_err(|e| format!("{}: {e}", export.display()))?;
    let verified = crate::audit::chain::verify(&text, &public).map_err(|e| e.to_string())?;
    println!(
        "OK: {} events, {} signed checkpoints{}",
        verified.events,
        verified.checkpoints,
        if verified.unsigned_tail > 0 {
            format!(", the last {} not yet signed", verified.unsigned_tail)
        } else {
            String::new()
        }
    );
    Ok(())
}

fn standby_token(out: &Path) -> Result<(), String> {
    let hash = crate::standby::new_token(out).map_err(|e| e.to_string())?;
    println!("standby token written to {}", out.display());
    println!("in the standby's configuration:");
    println!("  [standby]");
    println!("  token_sha256 = \"{hash}\"");
    Ok(())
}

fn backup_config(path: &Path) -> Result<(Config, config::BackupConfig), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let backup = config
        .backup
        .clone()
        .ok_or_else(|| format!("{} has no [backup]", path.display()))?;
    Ok((config, backup))
}

fn backup_now(path: &Path) -> Result<(), String> {
    let (config, _) = backup_config(path)?;
    let answer = crate::control::ask(&config.data_dir, "backup-now")?;
    if let Some(error) = answer.get("error").and_then(|e| e.as_str()) {
        return Err(format!("the backup failed: {error}"));
    }
    let status = answer.get("status").cloned().unwrap_or_default();
    let newest = status.get("newest").and_then(|n| n.as_str());
    println!("backup {}", newest.unwrap_or("?"));
    let mut failed = false;
    let targets = status.get("targets").and_then(|t| t.as_array());
    for target in targets.into_iter().flatten() {
        let field = |key: &str| target.get(key).and_then(|v| v.as_str());
        let name = field("name").unwrap_or("?");
        if newest.is_some() && field("holds") == newest {
            println!("  {name}: stored");
        } else {
            failed = true;
            println!(
                "  {name}: failed: {}",
                field("last_error").unwrap_or("not tried")
            );
        }
    }
    if failed {
        Err("not every target has the backup (they are retried)".to_owned())
    } else {
        Ok(())
    }
}

fn backup_list(path: &Path) -> Result<(), String> {
    let (_, backup) = backup_config(path)?;
    for target in &backup.targets {
        match backup::targets::list(target) {
            Ok(names) => {
                println!("{}: {} backups", target.name, names.len());
                for name in names {
                    println!("  {name}");
                }
            }
            Err(e) => println!("{}: cannot list: {e}", target.name),
        }
    }
    Ok(())
}

fn print_restored(what: &str, restored: &backup::Restored) {
    let h = &restored.header;
    println!(
        "{what}: backup of appliance {} taken {} (schema {}, key {})",
        h.appliance,
        h.created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        h.schema,
        h.key_id
    );
    let counts: Vec<String> = restored
        .counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!("  {} ({} entries)", counts.join(", "), restored.entries);
}

fn open_backup(from: &str) -> Result<std::fs::File, String> {
    let path = match url::Url::parse(from) {
        Ok(url) if url.scheme() == "file" => url
            .to_file_path()
            .map_err(|()| format!("{from} is not a file path"))?,
        Ok(url) if url.scheme().len() > 1 => {
            return Err(format!(
                "{from}: only files and file:// URLs are read here; fetch the backup first (tocsin backup list shows where)"
            ))
        }
        _ => PathBuf::from(from),
    };
    std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn backup_verify(key: &Path, file: &Path) -> Result<(), String> {
    let key = backup::BackupKey::read(key).map_err(|e| e.to_string())?;
    let mut input = std::io::BufReader::new(open_backup(&file.to_string_lossy())?);
    let verified =
        backup::verify(&mut input, &key).map_err(|e| format!("{}: {e}", file.display()))?;
    print_restored("verified", &verified);
    Ok(())
}

fn restore(key: &Path, from: &str, data_dir: &Path, force: bool) -> Result<(), String> {
    let key = backup::BackupKey::read(key).map_err(|e| e.to_string())?;
    let mut input = std::io::BufReader::new(open_backup(from)?);
    let restored =
        backup::restore(&mut input, &key, data_dir, force).map_err(|e| format!("{from}: {e}"))?;
    tracing::info!(from, data_dir = %data_dir.display(), "backup restored");
    print_restored(&format!("restored into {}", data_dir.display()), &restored);
    Ok(())
}

fn one_shot(f: impl FnOnce() -> Result<(), String>) -> ExitCode {
    telemetry::init_command();
    match f() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tocsin: {message}");
            ExitCode::FAILURE
        }
    }
}

fn report_config_error(e: &ConfigError) {
    for problem in e.problems() {
        eprintln!("{problem}");
    }
}

fn check_config(path: &Path) -> ExitCode {
    match Config::load(path) {
        Ok(_) => {
            println!("{}: configuration is valid", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            report_config_error(&e);
            ExitCode::FAILURE
        }
    }
}

fn serve(path: &Path) -> ExitCode {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(e) => {
            report_config_error(&e);
            return ExitCode::from(exit::CONFIG);
        }
    };
    run_daemon(&config, |_| Ok(()))
}

fn simulate_radio(
    link: &Path,
    issi: u32,
    air_delay_ms: u64,
    report_delay_ms: u64,
) -> Result<(), String> {
    use crate::hw::sim::radio::{Behaviour, Fault, SimRadio, SimRadioConfig};
    use std::time::Duration;
    let config = SimRadioConfig {
        air_delay: Duration::from_millis(air_delay_ms),
        report_delay: Duration::from_millis(report_delay_ms),
        own_issi: issi,
        ..SimRadioConfig::default()
    };
    let radio = SimRadio::start(link, config).map_err(|e| {
        format!(
            "cannot start the simulated radio at {}: {e}",
            link.display()
        )
    })?;
    println!("simulated radio {issi} on {}", link.display());
    let usage = "commands: text <issi> <text> | status <issi> <hex> | behaviour <issi> reports|received|off|accept|standby|reject | group <gssi> <issi>... | fault hang|garbage|unplug <s>|cme <code> <times>";
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| words.get(i).and_then(|w| w.parse::<u32>().ok());
        match words.as_slice() {
            ["text", _, ..] => match number(1) {
                Some(from) => {
                    let text = line.splitn(3, char::is_whitespace).nth(2).unwrap_or("");
                    radio.receive_text(from, text, true);
                }
                None => eprintln!("{usage}"),
            },
            ["status", _, value] => match (number(1), u16::from_str_radix(value, 16).ok()) {
                (Some(from), Some(value)) => radio.receive_status(from, value),
                _ => eprintln!("{usage}"),
            },
            ["behaviour", _, how] => {
                let behaviour = match *how {
                    "reports" => Some(Behaviour::Reports),
                    "received" => Some(Behaviour::ReceivedOnly),
                    "off" => Some(Behaviour::Off),
                    "accept" => Some(Behaviour::Accept),
                    "standby" => Some(Behaviour::Standby),
                    "reject" => Some(Behaviour::Reject),
                    _ => None,
                };
                match (number(1), behaviour) {
                    (Some(issi), Some(b)) => radio.set_behaviour(issi, b),
                    _ => eprintln!("{usage}"),
                }
            }
            ["group", _, ..] => {
                let members: Vec<u32> = words
                    .iter()
                    .skip(2)
                    .filter_map(|w| w.parse().ok())
                    .collect();
                match number(1) {
                    Some(gssi) => radio.set_group(gssi, &members),
                    None => eprintln!("{usage}"),
                }
            }
            ["fault", "hang"] => radio.fault(Fault::Hang),
            ["fault", "garbage"] => radio.fault(Fault::Garbage),
            ["fault", "unplug", _] => radio.fault(Fault::Unplug {
                for_: Duration::from_secs(u64::from(number(2).unwrap_or(5))),
            }),
            ["fault", "cme", _, _] => radio.fault(Fault::CmeError {
                code: number(2).and_then(|n| u16::try_from(n).ok()).unwrap_or(42),
                times: number(3).unwrap_or(1),
            }),
            [] => {}
            _ => eprintln!("{usage}"),
        }
    }
    loop {
        std::thread::park();
    }
}

fn run_demo(data_dir: &Path, listen: SocketAddr) -> ExitCode {
    let mut config = Config::for_demo(data_dir, listen);
    if let Err(e) = demo::install_map_tiles(&config) {
        // The map then draws its grid; the rest of the demo is unharmed.
        eprintln!(
            "tocsin: cannot install the demo's map tiles at {}: {e}",
            config.map.tiles.display()
        );
    }
    // The demo's modem and radio are simulated; they live as long as the demo.
    let _devices = match demo::simulated_devices(&mut config) {
        Ok(devices) => devices,
        Err(e) => {
            eprintln!("tocsin: {e}");
            return ExitCode::from(exit::CANT_CREATE);
        }
    };
    run_daemon(&config, |daemon| {
        let clock = clock::system();
        let login = demo::prepare(daemon.store(), &clock).map_err(|e| e.to_string())?;
        let public_url = format!("https://{}", daemon.local_addr());
        println!("{}", demo::banner(daemon.local_addr(), &public_url, &login));
        Ok(())
    })
}

/// The daemon's own runtime (its engine, dispatcher and watchers; the web
/// workers have theirs), with the same bound on store threads.
fn daemon_runtime() -> std::io::Result<actix_web::rt::SystemRunner> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(crate::store::BLOCKING_THREADS)
        .build()?;
    Ok(actix_web::rt::System::with_tokio_rt(move || runtime))
}

/// Starts the daemon, runs `after_start` (the demo prints its banner there), and
/// serves until a stop signal.
fn run_daemon(
    config: &Config,
    after_start: impl FnOnce(&Daemon) -> Result<(), String>,
) -> ExitCode {
    let _logs = match telemetry::init_daemon(&config.log) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("tocsin: {e}");
            return ExitCode::from(exit::CANT_CREATE);
        }
    };
    let clock = clock::system();
    let mut after_start = Some(after_start);
    // Each run ends with the runtime that held it, so nothing of a mode
    // (a dispatcher of a stood-down primary) outlives it.
    loop {
        let mode = match crate::standby::Mode::of(config) {
            Ok(mode) => mode,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(exit::DATA);
            }
        };
        let clock = clock.clone();
        let ended = match daemon_runtime() {
            Ok(system) => system,
            Err(e) => {
                tracing::error!("cannot start the runtime: {e}");
                return ExitCode::from(exit::SOFTWARE);
            }
        }
        .block_on(async {
            if mode != crate::standby::Mode::Serve {
                return match crate::daemon::HeldDaemon::start(config, mode, clock).await {
                    Ok(held) => held.run_until_signal().await,
                    Err(e) => {
                        tracing::error!("{e}");
                        Ended::Exit(ExitCode::from(e.exit_code()))
                    }
                };
            }
            let daemon = match Daemon::start(config, clock).await {
                Ok(daemon) => daemon,
                Err(crate::daemon::StartError::StoodDown(why)) => {
                    tracing::error!("{why}");
                    return Ended::HandedOver;
                }
                Err(e) => {
                    tracing::error!("{e}");
                    return Ended::Exit(ExitCode::from(e.exit_code()));
                }
            };
            if let Some(after_start) = after_start.take() {
                if let Err(e) = after_start(&daemon) {
                    tracing::error!("{e}");
                    return Ended::Exit(ExitCode::FAILURE);
                }
            }
            daemon.run_until_signal().await
        });
        match ended {
            Ended::Exit(code) => return code,
            Ended::HandedOver => continue,
        }
    }
}

fn open_store(config_path: &Path) -> Result<(Store, SharedClock), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let store = Store::open(&config.store_dir()).map_err(|e| e.to_string())?;
    Ok((store, clock::system()))
}

fn password_from_stdin() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

fn admin_create(config_path: &Path, org: &str, username: &str) -> Result<(), String> {
    let password = password_from_stdin()?;
    let password = password.as_str();
    let (store, clock) = open_store(config_path)?;
    let created = provisioning::create_admin(&store, &clock, org, username, password)
        .map_err(|e| e.to_string())?;
    let what = if created.user_existed {
        "password reset and admin role granted"
    } else {
        "admin created"
    };
    let org_note = if created.org_created {
        " (new organisation)"
    } else {
        ""
    };
    println!("{username}@{org}: {what}{org_note}");
    Ok(())
}

fn operator_create(config_path: &Path, username: &str) -> Result<(), String> {
    let password = password_from_stdin()?;
    let (store, clock) = open_store(config_path)?;
    let existed = provisioning::create_operator(&store, &clock, username, &password)
        .map_err(|e| e.to_string())?;
    let what = if existed {
        "operator password reset"
    } else {
        "operator created"
    };
    println!("{username}@{}: {what}", crate::store::APPLIANCE_SLUG);
    Ok(())
}

fn operator_apikey_create(config_path: &Path, name: &str) -> Result<(), String> {
    let (store, clock) = open_store(config_path)?;
    let token =
        provisioning::create_operator_api_key(&store, &clock, name).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

fn apikey_create(
    config_path: &Path,
    org: &str,
    name: &str,
    role: &str,
    expires_in_days: Option<u32>,
) -> Result<(), String> {
    let (store, clock) = open_store(config_path)?;
    let expires_at =
        expires_in_days.map(|days| clock.now() + time::Duration::days(i64::from(days)));
    let token = provisioning::create_api_key(&store, &clock, org, name, role, expires_at)
        .map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}
