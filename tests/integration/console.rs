//! The admin console in real headless Chromium (Debian's chromium and
//! chromium-driver) against the appliance in process, with a simulated modem
//! delivering SMS. Screenshots of the main views are saved in
//! `target/screenshots/` (1366×768 and a 768-wide tablet).

use crate::browser::Browser;
use crate::devices::{wait_ready, wait_until, WAIT};
use crate::inprocess::{Server, PASSWORD};
use serde_json::json;
use std::time::Duration;
use tocsin::config::ModemConfig;
use tocsin::hw::sim::modem::{SimModem, SimModemConfig};

fn server_with_modem(dir: &tempfile::TempDir) -> (Server, SimModem) {
    server_with_modem_and(dir, |_| {})
}

fn server_with_modem_and(
    dir: &tempfile::TempDir,
    change: impl FnOnce(&mut tocsin::config::Config) + Send + 'static,
) -> (Server, SimModem) {
    let link = dir.path().join("gsm1");
    let modem = SimModem::start(
        &link,
        SimModemConfig {
            network_delay: Duration::from_millis(300),
            report_delay: Duration::from_millis(500),
            ..SimModemConfig::default()
        },
    )
    .unwrap();
    let profile = tocsin::hw::gsm::profile::load("quectel-ec25", None).unwrap();
    let config = ModemConfig {
        name: "gsm1".to_owned(),
        device: link,
        baud: 115_200,
        profile_name: "quectel-ec25".to_owned(),
        profile,
        sim_pin: None,
        voice: true,
    };
    let server = Server::start_with(move |c| {
        c.modems.push(config);
        change(c);
    });
    (server, modem)
}

fn log_in(browser: &Browser, server: &Server, username: &str) {
    browser.goto(&format!("https://{}/", server.addr));
    browser.type_into("[data-test=login-org]", "acme");
    browser.type_into("[data-test=login-username]", username);
    browser.type_into("[data-test=login-password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.find("[data-test=logout]");
}

fn count(browser: &Browser, test: &str) -> String {
    browser
        .text(&format!("[data-test={test}]"))
        .trim()
        .to_owned()
}

#[test]
fn an_admin_builds_a_team_sends_from_a_template_and_follows_it_live() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modem) = server_with_modem(&dir);
    let admin = server.admin();
    wait_ready(&admin, "gsm1");
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "root");

    // People: two members, then a group with both.
    browser.click("[data-test=nav-people]");
    browser.find("[data-page=people]");
    for (username, name, phone) in [
        ("aino", "Aino Virtanen", "+358401000001"),
        ("elias", "Elias Korhonen", "+358401000002"),
    ] {
        browser.type_into("[data-test=user-create-username]", username);
        browser.type_into("[data-test=user-create-name]", name);
        browser.type_into("[data-test=user-create-phones]", phone);
        browser.click("[data-test=user-create-submit]");
        browser.wait_for(
            &format!("{username} listed"),
            &format!("document.body.innerText.includes('{name}')"),
        );
    }
    browser.click("[data-test=people-tab-groups]");
    browser.type_into("[data-test=group-create-name]", "crew");
    browser.type_into("[data-test=group-create-members]", "aino, elias");
    browser.click("[data-test=group-create-submit]");
    wait_until("the group stored", WAIT, || {
        let groups = admin.get("/api/v1/groups").json();
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "crew" && g["members"].as_array().is_some_and(|m| m.len() == 2))
            .then_some(())
    });
    browser.click("[data-test=people-tab-users]");
    browser.find("[data-test=users-table]");
    browser.screenshot("console-people-1366");

    // A template to send from.
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "crew-alarm", "alert": {"title": "Fire at depot 3", "body": "Report to station 2",
               "severity": "critical", "channels": ["sms"], "recipients": {"groups": ["crew"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);

    browser.click("[data-test=nav-send]");
    browser.find("[data-page=send]");
    browser.click("[data-test=template-crew-alarm]");
    browser.wait_for(
        "the template in the form",
        "document.querySelector('[data-test=send-title]').value === 'Fire at depot 3'",
    );
    browser.screenshot("console-send-1366");
    browser.click("[data-test=send-submit]");
    browser.click("[data-test=send-confirm]");
    browser.find("[data-page=live]");

    // Both SMS go out and are reported delivered; aino answers "1".
    browser.wait_for(
        "both delivered",
        "document.querySelectorAll('[data-test^=live-row-] [data-state=delivered]').length >= 2",
    );
    modem.receive_sms("+358401000001", "1");
    browser.wait_for(
        "aino coming",
        "document.querySelector('[data-test=live-coming]').innerText.trim() === '1'",
    );
    assert_eq!(count(&browser, "live-reached"), "2");
    assert_eq!(count(&browser, "live-no-answer"), "1");
    browser.screenshot("console-live-1366");
    browser.eval("document.querySelector('[data-test^=live-row-]').scrollIntoView({block: 'center'}); return true");
    browser.screenshot("console-live-rows-1366");

    browser.click("[data-test=cancel-alert]");
    browser.click("[data-test=cancel-confirm]");
    let alerts = wait_until("cancelled", WAIT, || {
        let list = admin.get("/api/v1/alerts").json();
        let cancelled = list["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "Fire at depot 3" && a["state"] == "cancelled");
        cancelled.then_some(list)
    });
    assert!(!alerts["alerts"].as_array().unwrap().is_empty());

    browser.click("[data-test=nav-hardware]");
    browser.find("[data-test=hardware-device-gsm1]");
    // The modem places calls too; no call measured yet, so no estimate.
    browser.find("[data-test=voice-capacity]");
    browser.screenshot("console-hardware-1366");

    // The tablet: the same views at 768 wide.
    browser.resize(768, 1024);
    for (nav, name) in [
        ("nav-send", "send"),
        ("nav-people", "people"),
        ("nav-hardware", "hardware"),
    ] {
        browser.click(&format!("[data-test={nav}]"));
        browser.find(&format!("[data-page={name}]"));
        std::thread::sleep(Duration::from_millis(300));
        browser.screenshot(&format!("console-{name}-768"));
    }

    // Every action taken in the console left an audit event.
    let audit = admin.get("/api/v1/audit?limit=200").json();
    let actions: Vec<String> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["name"] == "root")
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    println!("audit events of the console session: {actions:?}");
    for wanted in [
        "login.succeeded",
        "user.created",
        "group.created",
        "alert.sent",
        "alert.cancelled",
        "hardware.read",
    ] {
        assert!(
            actions.iter().any(|a| a == wanted),
            "no {wanted} in {actions:?}"
        );
    }
    assert_eq!(actions.iter().filter(|a| *a == "user.created").count(), 2);
}

#[test]
fn a_sender_sees_no_user_management() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _modem) = server_with_modem(&dir);
    let admin = server.admin();
    let created = admin.post(
        "/api/v1/users",
        json!({"username": "disp", "name": "Dispatcher", "password": PASSWORD, "roles": ["sender"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "disp");
    browser.find("[data-test=nav-send]");
    for hidden in ["nav-people", "nav-access", "nav-audit", "nav-settings"] {
        assert!(
            browser.try_find(&format!("[data-test={hidden}]")).is_none(),
            "a sender sees {hidden}"
        );
    }
    browser.goto(&format!("https://{}/console/#/people", server.addr));
    std::thread::sleep(Duration::from_millis(500));
    assert!(browser
        .try_find("[data-test=user-create-username]")
        .is_none());
    browser.screenshot("console-sender-1366");
}

#[test]
fn a_csv_import_reports_both_bad_rows_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _modem) = server_with_modem(&dir);
    let admin = server.admin();
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "root");
    browser.click("[data-test=nav-people]");
    browser.find("[data-page=people]");
    browser.click("[data-test=people-tab-import]");
    let csv = "username,name,phones,email\\n\
               aino,Aino Virtanen,+358401000001,aino@example.org\\n\
               bad user,Bad Name,+358401000002,\\n\
               elias,Elias Korhonen,0401234,\\n\
               linnea,Linnea Nieminen,+358401000004,\\n\
               oliver,Oliver Lahtinen,,oliver@example.org";
    // The tab renders after its click; text put into a box it then replaces
    // would be lost, so it is put in until it stays.
    browser.find("[data-test=import-preview]");
    wait_until("the CSV in the box", WAIT, || {
        let kept = browser.eval(&format!(
            "const t = document.querySelector('[data-test=import-csv]'); if (!t) return false; if (!t.value) {{ t.value = \"{csv}\"; t.dispatchEvent(new Event('input', {{bubbles: true}})); return false; }} return true"
        ));
        (kept == true).then_some(())
    });
    browser.click("[data-test=import-preview]");
    browser.find("[data-test=import-row-3][data-ok=false]");
    browser.find("[data-test=import-row-4][data-ok=false]");
    browser.find("[data-test=import-row-2][data-ok=true]");
    let row3 = browser.text("[data-test=import-row-3]");
    assert!(row3.contains("username"), "{row3}");
    let row4 = browser.text("[data-test=import-row-4]");
    assert!(row4.contains("phones"), "{row4}");
    browser.eval("document.querySelector('[data-test=import-row-3]').scrollIntoView({block: 'center'}); return true");
    browser.screenshot("console-import-1366");
    browser.click("[data-test=import-run]");
    let users = wait_until("three imported", WAIT, || {
        let users = admin.get("/api/v1/users").json();
        let names: Vec<String> = users["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect();
        (names.len() == 4).then_some(names)
    });
    for u in ["aino", "linnea", "oliver"] {
        assert!(users.iter().any(|n| n == u), "{users:?}");
    }
}

#[test]
fn the_operator_assigns_senders_to_organisations_in_the_console() {
    let dir = tempfile::tempdir().unwrap();
    // Backups to a directory that works and to one that can't be made.
    let key = dir.path().join("backup.key");
    tocsin::backup::BackupKey::generate()
        .unwrap()
        .write_new(&key)
        .unwrap();
    let local = dir.path().join("backups");
    let (server, _modem) = server_with_modem_and(&dir, move |c| {
        c.backup = Some(tocsin::config::BackupConfig {
            key_file: key,
            interval: time::Duration::minutes(15),
            keep_last: 4,
            keep_daily: 0,
            targets: vec![
                tocsin::config::BackupTarget {
                    name: "local".to_owned(),
                    place: tocsin::config::Place::Directory(local),
                },
                tocsin::config::BackupTarget {
                    name: "broken".to_owned(),
                    place: tocsin::config::Place::Directory("/proc/tocsin-backups".into()),
                },
            ],
        });
    });
    let clock: tocsin::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
    tocsin::provisioning::create_admin(&server.store, &clock, "beta", "root", PASSWORD).unwrap();
    tocsin::provisioning::create_operator(&server.store, &clock, "op", PASSWORD).unwrap();
    let browser = Browser::start(1366, 768);
    browser.goto(&format!("https://{}/", server.addr));
    browser.type_into("[data-test=login-org]", "appliance");
    browser.type_into("[data-test=login-username]", "op");
    browser.type_into("[data-test=login-password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.find("[data-test=logout]");
    // The operator runs the hardware, not an organisation's alerts.
    browser.find("[data-test=nav-appliance]");
    browser.find("[data-test=nav-hardware]");
    for hidden in ["nav-send", "nav-people", "nav-settings"] {
        assert!(
            browser.try_find(&format!("[data-test={hidden}]")).is_none(),
            "the operator sees {hidden}"
        );
    }
    browser.click("[data-test=nav-appliance]");
    browser.type_into("[data-test=assign-sms-acme]", "+358401111111");
    browser.type_into("[data-test=assign-tetra-acme]", "4711");
    browser.click("[data-test=assign-save-acme]");
    wait_until("acme's senders saved", WAIT, || {
        let saved = server
            .store
            .assignments(server.store.org_by_slug("acme").unwrap().unwrap().id)
            .unwrap();
        (saved.sms_numbers == ["+358401111111"] && saved.tetra_ssis == [4711]).then_some(())
    });
    // beta can't take acme's number: the field says why.
    browser.type_into(
        "[data-test=assign-sms-beta]",
        "+358402222222, +358401111111",
    );
    browser.click("[data-test=assign-save-beta]");
    browser.wait_for(
        "the refusal next to the numbers",
        "document.querySelector('[data-test=assign-beta] .field-error').textContent.includes('another organisation')",
    );
    browser.screenshot("console-appliance-1366");
    browser.click("[data-test=nav-hardware]");
    browser.find("[data-test=inbound-table]");
    // Each backup target's state: one current, one failing with its reason.
    wait_until("both backup targets tried", WAIT, || {
        browser.click("[data-test=hardware-refresh]");
        std::thread::sleep(Duration::from_millis(300));
        (browser
            .try_find("[data-test=backup-target-local][data-state=ok]")
            .is_some()
            && browser
                .try_find("[data-test=backup-target-broken][data-state=failing]")
                .is_some())
        .then_some(())
    });
    browser.screenshot("console-appliance-hardware-1366");
    browser.eval("document.querySelector('[data-test=backups]').scrollIntoView()");
    let broken = browser.text("[data-test=backup-target-broken]");
    assert!(
        broken.contains("/proc/tocsin-backups"),
        "the operator sees why a target fails: {broken}"
    );
    browser.screenshot("console-appliance-backups-1366");
}

#[test]
fn the_audit_page_shows_security_findings() {
    let server = Server::start();
    server.admin().create_member("jdoe", &["member"]);
    for i in 1..=20 {
        let refused = server.login_from(
            &format!("127.0.4.{i}"),
            ("acme", "jdoe", "a wrong guess"),
            None,
        );
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "root");
    wait_until("the finding", WAIT, || {
        browser.click("[data-test=nav-audit]");
        std::thread::sleep(Duration::from_millis(500));
        browser
            .try_find("[data-test=finding-failed_logins_account]")
            .map(|_| ())
    });
    assert!(browser
        .text("[data-test=security-findings]")
        .contains("20 failed logins for jdoe"));
    browser.screenshot("console-security-findings-1366");

    // The settings name who hears of findings; an unknown contact is
    // refused at the field.
    browser.click("[data-test=nav-settings]");
    browser.type_into("[data-test=settings-sec-contacts]", "ghost");
    browser.click("[data-test=settings-sec-channel-sms]");
    browser.click("[data-test=settings-sec-rule-new_network]");
    browser.click("[data-test=settings-save]");
    wait_until("the field error", WAIT, || {
        let shown = browser.eval(
            "return document.querySelector('[data-field=\"security.contacts\"] .field-error').textContent",
        );
        shown
            .as_str()
            .filter(|t| t.contains("no such user"))
            .map(|_| ())
    });
    browser.type_into("[data-test=settings-sec-contacts]", "jdoe");
    browser.click("[data-test=settings-save]");
    let admin = server.admin();
    let saved = wait_until("the settings saved", WAIT, || {
        let s = admin.get("/api/v1/settings").json();
        (s["settings"]["security"]["contacts"] == json!(["jdoe"])).then_some(s)
    });
    let security = &saved["settings"]["security"];
    assert_eq!(
        security["channels"],
        json!(["app", "sms", "email"]),
        "{saved}"
    );
    assert_eq!(security["rules_off"], json!(["new_network"]), "{saved}");
    browser.eval("document.querySelector('[data-test=settings-sec-contacts]').scrollIntoView({block: 'start'}); return true");
    browser.screenshot("console-security-settings-1366");
}

#[test]
fn an_admin_exports_and_erases_a_person_and_sets_the_retention_in_the_console() {
    let server = Server::start();
    server.admin().create_member("jdoe", &["member"]);
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "root");
    browser.click("[data-test=nav-people]");
    browser.click("[data-test=user-export-jdoe]");
    browser.find("[data-test=file-download]");
    browser.screenshot("console-people-privacy-1366");
    browser.click("[data-test=user-erase-jdoe]");
    browser.screenshot("console-erase-confirm-1366");
    browser.click("[data-test=erase-confirm]");
    wait_until("the person gone", WAIT, || {
        browser
            .try_find("[data-test=user-erase-jdoe]")
            .is_none()
            .then_some(())
    });
    let admin = server.admin();
    assert_eq!(admin.get("/api/v1/users/jdoe").status, 404);
    let audit = admin.get("/api/v1/audit?action=privacy.").json();
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["privacy.erased", "privacy.exported"], "{audit}");

    // Retention: below the least allowed is refused at the field.
    browser.click("[data-test=nav-settings]");
    browser.type_into("[data-test=settings-keep-audit_days]", "30");
    browser.click("[data-test=settings-save]");
    wait_until("the field error", WAIT, || {
        let shown = browser.eval(
            "return document.querySelector('[data-field=\"retention.audit_days\"] .field-error').textContent",
        );
        shown.as_str().filter(|t| t.contains("365")).map(|_| ())
    });
    browser.type_into("[data-test=settings-keep-audit_days]", "1000");
    browser.type_into("[data-test=settings-keep-alerts_days]", "90");
    browser.click("[data-test=settings-save]");
    wait_until("the retention saved", WAIT, || {
        let s = admin.get("/api/v1/settings").json();
        (s["settings"]["retention"]
            == json!({"alerts_days": 90, "inbound_days": 365, "audit_days": 1000}))
        .then_some(())
    });
    browser.eval("document.querySelector('[data-test=settings-keep-alerts_days]').scrollIntoView({block: 'center'}); return true");
    browser.screenshot("console-retention-1366");
}

#[test]
fn an_admin_keeps_the_email_rules_in_the_console() {
    let server = Server::start();
    let admin = server.admin();
    let r = admin.post(
        "/api/v1/templates",
        json!({"name": "pump-alarm",
               "alert": {"title": "Pump alarm", "severity": "critical", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let browser = Browser::start(1366, 900);
    log_in(&browser, &server, "root");
    browser.click("[data-test=nav-rules]");
    browser.click("[data-test=email-rule-add]");
    browser.type_into("[data-test=email-rule-0-name]", "scada");
    // Anyone at all is refused, naming the sender field.
    browser.type_into("[data-test=email-rule-0-from]", "*");
    browser.type_into(
        "[data-test=email-rule-0-subject]",
        "(?i)alarm (?P<pump>\\d+)",
    );
    browser.click("[data-test=email-rules-save]");
    wait_until("the field error", WAIT, || {
        let shown = browser.eval(
            "return document.querySelector('[data-field=\"email_rules[0].from\"] .field-error').textContent",
        );
        shown.as_str().filter(|t| !t.is_empty()).map(|_| ())
    });
    assert_eq!(
        admin.get("/api/v1/settings").json()["settings"]["email_rules"],
        json!([])
    );
    browser.type_into(
        "[data-test=email-rule-0-from]",
        "alarms@plant.example, *@scada.example",
    );
    browser.click("[data-test=email-rules-save]");
    let saved = wait_until("the rule saved", WAIT, || {
        let s = admin.get("/api/v1/settings").json();
        let rules = s["settings"]["email_rules"].clone();
        (rules.as_array().is_some_and(|r| r.len() == 1)).then_some(rules)
    });
    assert_eq!(
        saved,
        json!([{"name": "scada", "from": ["alarms@plant.example", "*@scada.example"],
                "subject": "(?i)alarm (?P<pump>\\d+)", "body": null, "template": "pump-alarm"}])
    );
    browser.eval("document.querySelector('[data-test=email-rule-0]').scrollIntoView({block: 'center'}); return true");
    browser.screenshot("console-email-rules-1366");
    // Saved rules come back on the next visit.
    browser.click("[data-test=nav-settings]");
    browser.click("[data-test=nav-rules]");
    wait_until("the saved rule shown again", WAIT, || {
        let from = browser.eval(
            "const f = document.querySelector('[data-test=email-rule-0-from]'); return f ? f.value : null",
        );
        (from == "alarms@plant.example, *@scada.example").then_some(())
    });
}
