//! HTTPS only, and only modern TLS.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// A minimal ClientHello offering only `version` (0x0301 = TLS 1.0, 0x0302 =
/// TLS 1.1) and classic RSA/ECDHE-CBC suites, as an old client would send.
fn legacy_client_hello(version: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // no session id
    let suites: [u16; 4] = [0xC013, 0xC014, 0x002F, 0x0035];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression only
    let extensions: Vec<u8> = [
        &[0x00, 0x0A, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17][..], // supported_groups: secp256r1
        &[0x00, 0x0B, 0x00, 0x02, 0x01, 0x00][..],             // ec_point_formats: uncompressed
    ]
    .concat();
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);

    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16];
    record.extend_from_slice(&version.to_be_bytes());
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

fn exchange(appliance: &Appliance, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(appliance.addr.unwrap()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

#[test]
fn tls_1_0_and_1_1_are_refused() {
    let mut appliance = Appliance::new();
    appliance.start();
    for version in [0x0301u16, 0x0302] {
        let answer = exchange(&appliance, &legacy_client_hello(version));
        // Either a fatal alert record or a closed connection, never a ServerHello.
        assert!(
            answer.first() != Some(&0x16),
            "server answered a {version:#06x} hello with a handshake: {answer:02x?}"
        );
        if let Some(&content_type) = answer.first() {
            assert_eq!(
                content_type, 0x15,
                "expected an alert record, got {answer:02x?}"
            );
            assert_eq!(
                answer.get(5),
                Some(&2),
                "the alert must be fatal: {answer:02x?}"
            );
        }
    }
}

#[test]
fn tls_1_3_and_1_2_are_accepted_with_the_self_signed_certificate() {
    let mut appliance = Appliance::new();
    appliance.start();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = Arc::new(client_tls(&appliance.data_dir(), Some(version)));
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut connection = rustls::ClientConnection::new(config, name).unwrap();
        let mut socket = TcpStream::connect(appliance.addr.unwrap()).unwrap();
        let mut tls = rustls::Stream::new(&mut connection, &mut socket);
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        let _ = tls.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert_eq!(connection.protocol_version(), Some(version.version));
    }
}

#[test]
fn openssl_cannot_negotiate_old_versions_either() {
    let Ok(probe) = std::process::Command::new("openssl")
        .arg("version")
        .output()
    else {
        eprintln!("openssl not installed; the raw ClientHello test covers this");
        return;
    };
    assert!(probe.status.success());
    let mut appliance = Appliance::new();
    appliance.start();
    let connect = appliance.addr.unwrap().to_string();
    let run = |flags: &[&str]| {
        let mut child = std::process::Command::new("openssl")
            .args(["s_client", "-connect", &connect])
            .args(flags)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        (out.status.success(), text(&out.stdout))
    };
    let (ok, out) = run(&["-tls1_3"]);
    assert!(ok && out.contains("TLSv1.3"), "{out}");
    for old in ["-tls1", "-tls1_1"] {
        let (ok, out) = run(&[old, "-cipher", "DEFAULT:@SECLEVEL=0"]);
        assert!(!ok, "openssl {old} connected: {out}");
        assert!(
            !out.contains("Server certificate"),
            "{old} got a certificate: {out}"
        );
    }
}

#[test]
fn plain_http_gets_no_http_answer() {
    let mut appliance = Appliance::new();
    appliance.start();
    let answer = exchange(&appliance, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        !String::from_utf8_lossy(&answer).contains("HTTP/"),
        "{answer:02x?}"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains("ok"),
        "{answer:02x?}"
    );
    // At most a TLS alert (7 bytes), no data.
    assert!(answer.len() <= 7, "{answer:02x?}");
}

#[test]
fn the_self_signed_certificate_is_made_once_and_reused() {
    let mut appliance = Appliance::new();
    appliance.start();
    let cert = std::fs::read(appliance.data_dir().join("tls/cert.pem")).unwrap();
    let key_mode = std::fs::metadata(appliance.data_dir().join("tls/key.pem")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key_mode.permissions().mode() & 0o777, 0o600);
    appliance.kill9();
    appliance.start();
    assert_eq!(
        std::fs::read(appliance.data_dir().join("tls/cert.pem")).unwrap(),
        cert
    );
    assert_eq!(appliance.request("GET", "/healthz", None, None).status, 200);
}

#[test]
fn the_tls_key_can_come_from_a_systemd_credential() {
    let mut appliance = Appliance::new();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let credentials = appliance.dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::write(credentials.join("tls.key"), key.serialize_pem()).unwrap();
    let tls_dir = appliance.data_dir().join("tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    std::fs::write(tls_dir.join("cert.pem"), cert.pem()).unwrap();
    let mut config = std::fs::read_to_string(&appliance.config).unwrap();
    config = config.replace(
        "[http]\n",
        &format!(
            "[http]\ntls_cert = \"{}\"\ntls_key = \"/root-only/key.pem\"\n",
            tls_dir.join("cert.pem").display()
        ),
    );
    std::fs::write(&appliance.config, config).unwrap();

    let without = tocsin(&["check-config", "--config", appliance.config_arg()]);
    assert!(
        !without.status.success(),
        "the configured key file does not exist"
    );
    let with = std::process::Command::new(BIN)
        .args(["check-config", "--config", appliance.config_arg()])
        .env("CREDENTIALS_DIRECTORY", &credentials)
        .output()
        .unwrap();
    assert!(with.status.success(), "{}", text(&with.stderr));

    appliance.env.push((
        "CREDENTIALS_DIRECTORY".into(),
        credentials.display().to_string(),
    ));
    appliance.start();
    assert_eq!(appliance.request("GET", "/healthz", None, None).status, 200);
}
