//! The audit trail leaves the appliance as a signed chain: exported through
//! the running daemon or from its data directory, it verifies on its own,
//! and any change to the export is named.

use crate::support::{text, tocsin, tocsin_with_stdin, Appliance, ADMIN_PASSWORD};
use serde_json::json;

#[test]
fn an_exported_audit_trail_verifies_and_names_an_edit() {
    let mut app = Appliance::new();
    let key = app.dir.path().join("audit.key");
    let made = tocsin(&["audit", "key", "create", "--out", key.to_str().unwrap()]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let public = app.dir.path().join("audit.key.pub");
    assert!(public.exists());
    let mut config = std::fs::read_to_string(&app.config).unwrap();
    config.push_str(&format!(
        "[audit]\nsigning_key = \"{}\"\ncheckpoint_minutes = 1\n",
        key.display()
    ));
    std::fs::write(&app.config, config).unwrap();
    let operator = tocsin_with_stdin(
        &[
            "operator",
            "create",
            "--config",
            app.config_arg(),
            "--username",
            "op",
            "--password-stdin",
        ],
        &format!("{ADMIN_PASSWORD}\n"),
    );
    assert!(operator.status.success(), "{}", text(&operator.stderr));
    app.start();

    // Events: failed and good logins, a user made.
    for _ in 0..3 {
        let _ = app
            .client()
            .post(&app.url("/api/v1/session"))
            .send_json(json!({"org": "acme", "username": "admin", "password": "wrong password"}));
    }
    let made = app.post(
        "/api/v1/users",
        json!({"username": "aino", "name": "Aino", "password": ADMIN_PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(made.status, 201, "{}", made.body);

    // Through the running daemon: linked, with the start-up checkpoint at
    // most, so the newest events may be unsigned yet.
    let live = tocsin(&[
        "audit",
        "export",
        "--config",
        app.config_arg(),
        "--org",
        "acme",
    ]);
    assert!(live.status.success(), "{}", text(&live.stderr));
    assert!(
        text(&live.stdout).lines().count() >= 5,
        "{}",
        text(&live.stdout)
    );

    // Stopping signs every chain's head; the export then verifies whole.
    assert_eq!(app.terminate(), Some(0));
    let exported = tocsin(&[
        "audit",
        "export",
        "--config",
        app.config_arg(),
        "--org",
        "acme",
    ]);
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    let export = app.dir.path().join("acme.jsonl");
    std::fs::write(&export, &exported.stdout).unwrap();
    let verified = tocsin(&[
        "audit",
        "verify",
        "--public-key",
        public.to_str().unwrap(),
        export.to_str().unwrap(),
    ]);
    let said = text(&verified.stdout);
    assert!(
        verified.status.success(),
        "{said}{}",
        text(&verified.stderr)
    );
    assert!(said.starts_with("OK: "), "{said}");
    assert!(!said.contains("not yet signed"), "{said}");

    // One changed word in a copy is named, line and event.
    let original = text(&exported.stdout);
    let edited = original.replacen("\"login.failed\"", "\"login.succeeded\"", 1);
    assert_ne!(edited, original);
    std::fs::write(&export, edited).unwrap();
    let refused = tocsin(&[
        "audit",
        "verify",
        "--public-key",
        public.to_str().unwrap(),
        export.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("was edited"),
        "{}",
        text(&refused.stderr)
    );

    // The appliance's own trail is a chain of its own.
    let appliance = tocsin(&[
        "audit",
        "export",
        "--config",
        app.config_arg(),
        "--appliance",
    ]);
    assert!(appliance.status.success(), "{}", text(&appliance.stderr));
    let own = app.dir.path().join("appliance.jsonl");
    std::fs::write(&own, &appliance.stdout).unwrap();
    let verified = tocsin(&[
        "audit",
        "verify",
        "--public-key",
        public.to_str().unwrap(),
        own.to_str().unwrap(),
    ]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}
