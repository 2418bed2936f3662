//! The audit trail leaves the appliance as a signed chain: exported through
//! the running daemon or from its data directory, it verifies on its own,
//! and any change to the export is named.

use crate::inprocess::PASSWORD;
use crate::support::{text, tocsin, tocsin_with_stdin, Appliance, ADMIN_PASSWORD};
use serde_json::json;

/// `tocsin audit verify` of an export against a public key.
fn verify(public: &std::path::Path, export: &std::path::Path) -> std::process::Output {
    tocsin(&[
        "audit",
        "verify",
        "--public-key",
        public.to_str().unwrap(),
        export.to_str().unwrap(),
    ])
}

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
    let verified = verify(&public, &export);
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
    let refused = verify(&public, &export);
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
    let own_trail = text(&appliance.stdout);
    for action in ["appliance.started", "config.loaded", "appliance.stopped"] {
        assert!(own_trail.contains(action), "{action} in {own_trail}");
    }
    assert!(!own_trail.contains("config.changed"), "{own_trail}");

    // A start with another configuration says so.
    let mut config = std::fs::read_to_string(&app.config).unwrap();
    config.push_str("# edited\n");
    std::fs::write(&app.config, config).unwrap();
    app.start();
    assert_eq!(app.terminate(), Some(0));
    let appliance = tocsin(&[
        "audit",
        "export",
        "--config",
        app.config_arg(),
        "--appliance",
    ]);
    assert!(appliance.status.success(), "{}", text(&appliance.stderr));
    let own_trail = text(&appliance.stdout);
    assert_eq!(
        own_trail.matches("\"config.changed\"").count(),
        1,
        "{own_trail}"
    );
    let own = app.dir.path().join("appliance.jsonl");
    std::fs::write(&own, &appliance.stdout).unwrap();
    let verified = verify(&public, &own);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}

/// The sequence numbers of one organisation's events among received lines.
fn seqs(lines: &[String], org: &str, action: &str) -> Vec<u64> {
    lines
        .iter()
        .filter(|l| {
            l.contains(&format!("org=\"{org}\""))
                && (action.is_empty() || l.contains(&format!(" {action} [")))
        })
        .filter_map(|l| l.split("seq=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn every_audit_event_reaches_a_real_rsyslog_in_order_through_outages_and_a_kill() {
    let mut rsyslog = crate::rsyslog::Rsyslog::start();
    let mut app = Appliance::new();
    let mut config = std::fs::read_to_string(&app.config).unwrap();
    config.push_str(&format!(
        "[audit]\nsyslog_url = \"tls://127.0.0.1:{}\"\nsyslog_ca = \"{}\"\n",
        rsyslog.port,
        rsyslog.ca().display()
    ));
    std::fs::write(&app.config, config).unwrap();
    app.start();
    let key = app.key.clone();
    let read_audit = |app: &Appliance, n: usize| {
        for _ in 0..n {
            let r = app.request("GET", "/api/v1/audit?limit=1", Some(&key), None);
            assert_eq!(r.status, 200, "{}", r.body);
        }
    };

    // Events arrive as RFC 5424 with their structured data.
    for _ in 0..3 {
        let _ = app
            .client()
            .post(&app.url("/api/v1/session"))
            .send_json(json!({"org": "acme", "username": "admin", "password": "wrong password"}));
    }
    read_audit(&app, 1);
    let lines = rsyslog.wait_for(1, |l| l.contains(" audit.read ["), WAIT);
    let line = lines
        .iter()
        .find(|l| l.contains(" audit.read ["))
        .unwrap_or_else(|| panic!("no audit.read among {lines:?}"));
    assert!(line.starts_with("<109>1 "), "{line}");
    let fields: Vec<&str> = line.splitn(8, ' ').collect();
    assert_eq!(fields[3], "tocsin", "{line}");
    assert!(fields[1].ends_with('Z') && fields[1].len() == 27, "{line}");
    for param in [
        "org=\"",
        "seq=\"",
        "hash=\"",
        "actor=\"",
        "action=\"audit.read\"",
        "outcome=\"success\"",
        "source=\"",
    ] {
        assert!(line.contains(param), "{param} in {line}");
    }
    let org = line
        .split("org=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // The log server away: 1,000 events wait, then all arrive, in order,
    // none twice. (An event counts as delivered half a second after it was
    // written with the connection still up; one written in the last half
    // second before an outage is sent again, and has the same seq.)
    std::thread::sleep(std::time::Duration::from_secs(1));
    rsyslog.stop();
    let before = seqs(&rsyslog.lines(), &org, "audit.read").len();
    read_audit(&app, 1000);
    rsyslog.resume();
    let lines = rsyslog.wait_for(
        before + 1000,
        |l| l.contains(" audit.read [") && l.contains(&org),
        WAIT * 6,
    );
    let got = seqs(&lines, &org, "audit.read");
    assert_eq!(
        got.len(),
        before + 1000,
        "received {} audit.read events",
        got.len()
    );
    let all = seqs(&lines, &org, "");
    let mut sorted = all.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(all, sorted, "in order, none twice");

    // Killed with events queued: after the restart they still arrive.
    std::thread::sleep(std::time::Duration::from_secs(1));
    rsyslog.stop();
    let before = got.len();
    read_audit(&app, 50);
    // A read's audit event is on disk within the store's flush interval
    // (writes that change something are flushed before their answer).
    std::thread::sleep(std::time::Duration::from_secs(2));
    app.kill9();
    app.start();
    rsyslog.resume();
    let lines = rsyslog.wait_for(
        before + 50,
        |l| l.contains(" audit.read [") && l.contains(&org),
        WAIT * 3,
    );
    assert_eq!(seqs(&lines, &org, "audit.read").len(), before + 50);
    let metrics = app.request("GET", "/metrics", None, None).body;
    assert!(metrics.contains("tocsin_audit_queue_depth "), "{metrics}");
}

const WAIT: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn twenty_wrong_passwords_make_a_finding_the_security_contacts_get_by_email_and_in_the_app() {
    let smtp = crate::smtp::SmtpServer::start();
    let server = smtp.appliance();
    let admin = server.admin();
    admin.create_member("sec", &["member"]);
    let mailed = admin.patch("/api/v1/users/sec", json!({"email": "sec@acme.example"}));
    assert_eq!(mailed.status, 200, "{}", mailed.body);
    let group = admin.post(
        "/api/v1/groups",
        json!({"name": "security", "members": ["sec"]}),
    );
    assert_eq!(group.status, 201, "{}", group.body);

    // Contacts that don't exist and rules nobody knows are refused by name.
    for (security, field) in [
        (json!({"contacts": ["ghost"]}), "security.contacts[0]"),
        (json!({"rules_off": ["nope"]}), "security.rules_off[0]"),
        (json!({"channels": ["tetra"]}), "security.channels[0]"),
        (json!({"window_minutes": 0}), "security.window_minutes"),
    ] {
        let refused = admin.patch("/api/v1/settings", json!({ "security": security }));
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(refused.json()["field"], field, "{}", refused.body);
    }
    let set = admin.patch(
        "/api/v1/settings",
        json!({"security": {"contact_groups": ["security"], "channels": ["app", "email"]}}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        set.json()["settings"]["security"]["failed_logins_per_account"],
        20,
        "the rest kept"
    );

    admin.create_member("jdoe", &["member"]);
    for i in 1..=20 {
        let refused = server.login_from(
            &format!("127.0.3.{i}"),
            ("acme", "jdoe", "a wrong guess"),
            None,
        );
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let mails = smtp.wait_for(2, std::time::Duration::from_secs(30));
    assert!(
        mails.iter().any(|m| m.to.contains("sec@acme.example")
            && m.subject.contains("20 failed logins for jdoe")),
        "{:?}",
        mails
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    let sec = server.login("acme", "sec", PASSWORD);
    let feed = sec.get("/api/v1/me/alerts").json();
    assert!(
        feed["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alert"]["title"] == "Security: 20 failed logins for jdoe"),
        "{feed}"
    );

    // A login from a network never seen for the account is a finding;
    // the first login of all is not.
    admin.create_member("kim", &["member"]);
    for from in ["127.0.4.1", "127.0.4.9", "127.0.5.1"] {
        let ok = server.login_from(from, ("acme", "kim", PASSWORD), None);
        assert_eq!(ok.status, 200, "{}", ok.body);
    }

    // Each finding is audited: the burst, the lockout it led to, the new network.
    let audit = crate::devices::wait_until("the findings", WAIT, || {
        let audit = admin.get("/api/v1/audit?action=security.finding").json();
        let rules: Vec<String> = audit["events"]
            .as_array()?
            .iter()
            .filter_map(|e| e["target"].as_str().map(str::to_owned))
            .collect();
        let wanted = ["failed_logins_account", "lockout", "new_network"];
        wanted
            .iter()
            .all(|r| rules.iter().any(|x| x == r))
            .then_some(audit)
    });
    let events = audit["events"].as_array().unwrap();
    let count = |rule: &str| events.iter().filter(|e| e["target"] == rule).count();
    assert_eq!(count("new_network"), 1, "{audit}");
    let details: Vec<&str> = events.iter().filter_map(|e| e["detail"].as_str()).collect();
    assert!(details.contains(&"Login locked: jdoe"), "{audit}");
    assert!(
        details.contains(&"Security: kim logged in from a new network"),
        "{audit}"
    );
}
