use crate::support::*;

#[test]
fn check_config_reports_every_problem_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        "[http]\nlisten = \"0.0.0.0:8443x\"\ntls_cert = \"/nonexistent/cert.pem\"\ntls_key = \"/nonexistent/key.pem\"\n[log]\nkeep_dayz = 3\n",
    )
    .unwrap();
    let out = tocsin(&["check-config", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let file = path.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{file}:2: http.listen is \"0.0.0.0:8443x\", which is not an address and port"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:3: http.tls_cert names /nonexistent/cert.pem, which cannot be read"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:6: log.keep_dayz is not a known key; did you mean log.keep_days?"
        )),
        "{stderr}"
    );
}

#[test]
fn check_config_accepts_the_shipped_default_config() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/tocsin.toml");
    let out = tocsin(&["check-config", "--config", shipped]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("configuration is valid"));
}

#[test]
fn missing_config_file_is_named() {
    let out = tocsin(&["check-config", "--config", "/nonexistent/tocsin.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/tocsin.toml: the config file cannot be read"));
}

#[test]
fn serve_refuses_a_bad_config_with_exit_78_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &path,
        format!("data_dir = \"{}\"\nlisten = \"x\"\n", data.display()),
    )
    .unwrap();
    let out = tocsin(&["serve", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out.stderr).contains("listen is not a known key; did you mean http?")
            || text(&out.stderr).contains("listen is not a known key")
    );
    assert!(!data.exists());
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(tocsin(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        tocsin(&["apikey", "create", "--org", "x"]).status.code(),
        Some(2)
    );
    let help = tocsin(&["--help"]);
    assert!(help.status.success());
    for command in ["serve", "demo", "check-config", "admin", "apikey"] {
        assert!(
            text(&help.stdout).contains(command),
            "{command} missing from --help"
        );
    }
}

#[test]
fn provisioning_refuses_bad_input_clearly() {
    let appliance = Appliance::new();
    let config = appliance.config_arg();
    let out = tocsin_with_stdin(
        &[
            "admin",
            "create",
            "--config",
            config,
            "--org",
            "acme",
            "--username",
            "short",
            "--password-stdin",
        ],
        "tooshort\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at least 12 characters"),
        "{}",
        text(&out.stderr)
    );

    let out = tocsin(&[
        "apikey", "create", "--config", config, "--org", "nosuch", "--name", "x", "--role", "admin",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("there is no organisation \"nosuch\""));

    let out = tocsin(&[
        "apikey", "create", "--config", config, "--org", "acme", "--name", "x", "--role", "king",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--role \"king\" is not a role"));
}

#[test]
fn cli_refuses_a_store_the_running_daemon_holds() {
    let mut appliance = Appliance::new();
    appliance.start();
    let out = tocsin(&[
        "apikey",
        "create",
        "--config",
        appliance.config_arg(),
        "--org",
        "acme",
        "--name",
        "x",
        "--role",
        "admin",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("in use by another process"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_config_refuses_a_key_that_does_not_match_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key_a = rcgen::KeyPair::generate().unwrap();
    let key_b = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key_a)
        .unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key_b.serialize_pem()).unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        "[http]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
    )
    .unwrap();
    let out = tocsin(&["check-config", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(":3: http.tls_key does not match http.tls_cert"),
        "{}",
        text(&out.stderr)
    );
}
