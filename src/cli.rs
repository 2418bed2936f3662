//! The `tocsin` command line. Exit codes: 0 success, 2 usage errors (clap), 1
//! other failures; `serve` and `demo` use sysexits codes so systemd can tell a
//! bad config (78) or unusable data (65) from a crash.

use crate::clock::{self, SharedClock};
use crate::config::{self, Config, ConfigError};
use crate::daemon::{exit, Daemon};
use crate::store::Store;
use crate::{demo, provisioning, telemetry};
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
    }
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

fn run_demo(data_dir: &Path, listen: SocketAddr) -> ExitCode {
    let config = Config::for_demo(data_dir, listen);
    run_daemon(&config, |daemon| {
        let clock = clock::system();
        let login = demo::prepare(daemon.store(), &clock).map_err(|e| e.to_string())?;
        let public_url = format!("https://{}", daemon.local_addr());
        println!("{}", demo::banner(daemon.local_addr(), &public_url, &login));
        Ok(())
    })
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
    actix_web::rt::System::new().block_on(async move {
        let daemon = match Daemon::start(config, clock).await {
            Ok(daemon) => daemon,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(e.exit_code());
            }
        };
        if let Err(e) = after_start(&daemon) {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
        daemon.run_until_signal().await
    })
}

fn open_store(config_path: &Path) -> Result<(Store, SharedClock), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let store = Store::open(&config.store_dir()).map_err(|e| e.to_string())?;
    Ok((store, clock::system()))
}

fn admin_create(config_path: &Path, org: &str, username: &str) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
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
