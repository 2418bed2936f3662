use super::*;
use std::path::Path;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("/etc/tocsin/tocsin.toml"), text)
}

fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("config was accepted: {text}"),
        Err(e) => e.problems(),
    }
}

#[test]
fn empty_file_gives_appliance_defaults() {
    let config = parse("").unwrap();
    assert_eq!(config.data_dir, Path::new("/var/lib/tocsin"));
    assert_eq!(config.http.listen.to_string(), "0.0.0.0:8443");
    assert_eq!(config.http.public_url, "https://localhost:8443");
    assert!(config.http.tls.is_none());
    assert_eq!(
        config.log.dir.as_deref(),
        Some(Path::new("/var/log/tocsin"))
    );
    assert_eq!(config.log.keep_days, 30);
    assert!(config.email.is_none());
}

#[test]
fn full_example_is_accepted() {
    let config = parse(
        r#"
data_dir = "/var/lib/tocsin"
[http]
listen = "127.0.0.1:9443"
public_url = "https://tocsin.example.org:9443/"
[[modems]]
name = "gsm0"
device = "/dev/ttyUSB2"
baud = 115200
profile = "quectel-ec25"
sim_pin = "1234"
[[radios]]
name = "tetra0"
device = "/dev/ttyUSB0"
profile = "sepura-srg3900"
issi = 2001234
[log]
dir = "logs"
keep_days = 7
level = "debug"
[email]
smtp_url = "smtp://relay.example.org:587?tls=required"
from = "Tocsin <alerts@example.org>"
"#,
    )
    .unwrap();
    assert_eq!(config.http.public_url, "https://tocsin.example.org:9443");
    assert_eq!(
        config.modems[0].sim_pin.as_ref().map(Secret::expose),
        Some("1234")
    );
    assert_eq!(config.radios[0].baud, 38_400);
    assert_eq!(config.radios[0].issi, 2_001_234);
    assert_eq!(
        config.log.dir.as_deref(),
        Some(Path::new("/etc/tocsin/logs"))
    );
    assert!(
        !format!("{config:?}").contains("1234\""),
        "the SIM PIN must not reach Debug output"
    );
}

#[test]
fn typo_bad_listen_and_missing_cert_are_all_reported_with_lines() {
    let found = problems(
        "data_dir = \"/tmp/x\"\n\
         [http]\n\
         lisen = \"0.0.0.0:8443\"\n\
         listen = \"0.0.0.0:99999\"\n\
         tls_cert = \"/nonexistent/cert.pem\"\n\
         tls_key = \"/nonexistent/key.pem\"\n",
    );
    assert!(
        found.contains(
            &"/etc/tocsin/tocsin.toml:3: http.lisen is not a known key; did you mean http.listen?"
                .to_owned()
        ),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("/etc/tocsin/tocsin.toml:4: http.listen is \"0.0.0.0:99999\", which is not an address and port")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("/etc/tocsin/tocsin.toml:5: http.tls_cert names /nonexistent/cert.pem, which cannot be read")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p
                .starts_with("/etc/tocsin/tocsin.toml:6: http.tls_key names /nonexistent/key.pem")),
        "{found:#?}"
    );
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn wrong_types_are_named() {
    let found = problems("data_dir = 5\n[log]\nkeep_days = \"30\"\n");
    assert_eq!(
        found,
        vec![
            "/etc/tocsin/tocsin.toml:1: data_dir must be a string, not an integer",
            "/etc/tocsin/tocsin.toml:3: log.keep_days must be an integer, not a string",
        ]
    );
    let found = problems("http = \"yes\"\n");
    assert_eq!(
        found,
        vec!["/etc/tocsin/tocsin.toml:1: http must be a table, not a string"]
    );
}

#[test]
fn impossible_values_are_refused() {
    let found = problems(
        r#"
[http]
public_url = "http://plain.example.org"
[[modems]]
name = "GSM 0"
device = "/dev/ttyUSB2"
baud = 1234
profile = "quectel-ec25"
sim_pin = "12"
[[radios]]
name = "tetra0"
device = "/dev/ttyUSB0"
profile = "sepura"
issi = 16777216
[log]
keep_days = 0
level = "loud"
[email]
smtp_url = "http://relay"
from = "nobody"
"#,
    );
    let keys: Vec<&str> = found
        .iter()
        .map(|p| p.split(": ").nth(1).unwrap_or(""))
        .collect();
    for key in [
        "http.public_url is \"http://plain.example.org\", which is not an https:// URL",
        "modems[0].name is \"GSM 0\"",
        "modems[0].baud is 1234",
        "modems[0].sim_pin is \"12\"",
        "radios[0].issi is 16777216",
        "log.keep_days is 0",
        "log.level is \"loud\"",
        "email.smtp_url is \"http://relay\"",
        "email.from is \"nobody\"",
    ] {
        assert!(
            keys.iter().any(|k| k.starts_with(key)),
            "missing {key:?} in {found:#?}"
        );
    }
}

#[test]
fn required_keys_and_duplicate_names() {
    let found = problems("[[modems]]\nname = \"gsm0\"\n[[modems]]\nname = \"gsm0\"\ndevice = \"/dev/x\"\nprofile = \"p\"\n");
    assert!(
        found.contains(
            &"/etc/tocsin/tocsin.toml:1: modems[0].device is required but missing".to_owned()
        ),
        "{found:#?}"
    );
    assert!(
        found.contains(
            &"/etc/tocsin/tocsin.toml:1: modems[0].profile is required but missing".to_owned()
        ),
        "{found:#?}"
    );
    assert!(
        found.contains(&"/etc/tocsin/tocsin.toml:4: modems[1].name is \"gsm0\", which an earlier entry already uses; names must be unique".to_owned()),
        "{found:#?}"
    );
}

#[test]
fn unknown_sections_and_half_tls_are_refused() {
    let found = problems("[htpt]\nlisten = \"x\"\n[http]\ntls_cert = \"/etc/passwd\"\n");
    assert!(
        found
            .iter()
            .any(|p| p.contains("htpt is not a known key; did you mean http?")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("http.tls_cert is set but http.tls_key is not")),
        "{found:#?}"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let err = parse("[http]\nlisten = \n").unwrap_err().to_string();
    assert!(
        err.starts_with("/etc/tocsin/tocsin.toml:2: the config file is not valid TOML"),
        "{err}"
    );
}

#[test]
fn email_needs_a_public_url_for_its_links() {
    let found =
        problems("[email]\nsmtp_url = \"smtp://relay.example.org:25\"\nfrom = \"a@example.org\"\n");
    assert_eq!(
        found,
        vec!["/etc/tocsin/tocsin.toml:2: email.smtp_url needs http.public_url too, so links in emails reach the appliance"]
    );
}

#[test]
fn a_relay_password_never_goes_in_the_clear() {
    let head =
        "[http]\npublic_url = \"https://tocsin.example.org\"\n[email]\nfrom = \"a@example.org\"\n";
    let found = problems(&format!(
        "{head}smtp_url = \"smtp://alerts:hunter2@relay.example.org:25\"\n"
    ));
    assert_eq!(
        found,
        vec!["/etc/tocsin/tocsin.toml:5: email.smtp_url would send the relay's password in the clear: use smtps:// or add ?tls=required"]
    );
    assert!(found.iter().all(|p| !p.contains("hunter2")));
    for fine in [
        "smtp://alerts:hunter2@relay.example.org:587?tls=required",
        "smtps://alerts:hunter2@relay.example.org",
        "smtp://relay.example.org:25",
    ] {
        assert!(
            parse(&format!("{head}smtp_url = \"{fine}\"\n")).is_ok(),
            "{fine}"
        );
    }
}

#[test]
fn map_tiles_default_under_the_data_directory_and_may_be_named() {
    let config = parse("data_dir = \"/srv/tocsin\"").unwrap();
    assert_eq!(config.map.tiles, Path::new("/srv/tocsin/map/tiles.pmtiles"));
    let config = parse("[map]\ntiles = \"maps/finland.pmtiles\"").unwrap();
    assert_eq!(
        config.map.tiles,
        Path::new("/etc/tocsin/maps/finland.pmtiles")
    );
    let wrong = problems("[map]\ntiles = 3\nstyle = \"dark\"");
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong.iter().any(|p| p.contains("map.tiles")), "{wrong:?}");
    assert!(wrong.iter().any(|p| p.contains("map.style")), "{wrong:?}");
}

#[test]
fn email_in_listens_where_told_with_a_size_limit() {
    let config = parse("[email_in]\nlisten = \"0.0.0.0:2525\"\n").unwrap();
    let email_in = config.email_in.unwrap();
    assert_eq!(email_in.listen.to_string(), "0.0.0.0:2525");
    assert_eq!(email_in.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
    assert!(parse("").unwrap().email_in.is_none());
    let wrong = problems("[email_in]\nlisten = \"port 25\"\nmax_message_bytes = 10\n");
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong[0].contains("email_in.listen"), "{wrong:?}");
    assert!(wrong[1].contains("email_in.max_message_bytes"), "{wrong:?}");
    let missing = problems("[email_in]\nmax_message_bytes = 2048\n");
    assert!(
        missing[0].contains("email_in.listen is required"),
        "{missing:?}"
    );
}
