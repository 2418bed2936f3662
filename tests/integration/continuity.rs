//! Backups to a directory, to a real OpenSSH server and to a standby Tocsin,
//! taken while the appliance works; the primary killed, the standby
//! promoted, and the primary coming back quiet.

use crate::smtp::SmtpServer;
use crate::sshd::SshServer;
use crate::support::{text, tocsin, Appliance, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};

const MEMBERS: usize = 10;
const PEOPLE: usize = 1000;
const ALERTS: usize = 100;

/// A member's session on the running appliance: cookie and CSRF token.
struct Member {
    cookie: String,
    csrf: String,
}

fn log_in(app: &Appliance, username: &str) -> Member {
    let response = app
        .client()
        .post(&app.url("/api/v1/session"))
        .send_json(json!({"org": "acme", "username": username, "password": ADMIN_PASSWORD}))
        .unwrap();
    let cookie = response
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: Value = response.into_json().unwrap();
    Member {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

fn answer(app: &Appliance, member: &Member, alert: &str) {
    let response = app
        .client()
        .post(&app.url(&format!("/api/v1/alerts/{alert}/response")))
        .set("Cookie", &member.cookie)
        .set("X-CSRF-Token", &member.csrf)
        .send_json(json!({"choice": "Coming"}));
    assert!(response.is_ok(), "{response:?}");
}

fn send_alert(app: &Appliance, title: &str, users: &[String]) -> Option<String> {
    send_alert_by(app, title, users, "app")
}

fn send_alert_by(app: &Appliance, title: &str, users: &[String], channel: &str) -> Option<String> {
    let response = app
        .client()
        .post(&app.url("/api/v1/alerts"))
        .set("Authorization", &format!("Bearer {}", app.key))
        .send_json(
            json!({"title": title, "severity": "info", "channels": [channel],
                          "recipients": {"users": users}}),
        )
        .ok()?;
    let body: Value = response.into_json().ok()?;
    body["id"].as_str().map(str::to_owned)
}

/// Adds sections to a test appliance's config, and the public address
/// mail links need.
fn append(config: &std::path::Path, more: &str) {
    let mut text = std::fs::read_to_string(config).unwrap().replace(
        "[http]\n",
        "[http]\npublic_url = \"https://tocsin.acme.example\"\n",
    );
    text.push_str(more);
    std::fs::write(config, text).unwrap();
}

#[test]
fn backups_reach_every_target_and_the_standby_takes_over_after_a_kill() {
    let ssh = SshServer::start();
    let smtp = SmtpServer::start();
    let mut app = Appliance::new();
    let key = app.dir.path().join("backup.key");
    let created = tocsin(&["backup", "key", "create", "--out", key.to_str().unwrap()]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("recovery text"));

    // The standby: the same backup key, the hash of the primary's token,
    // and a working mail relay for when it takes over.
    let token = app.dir.path().join("standby.token");
    let made = tocsin(&["standby", "token", "--out", token.to_str().unwrap()]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let token_line = text(&made.stdout)
        .lines()
        .find(|l| l.trim().starts_with("token_sha256"))
        .unwrap()
        .trim()
        .to_owned();
    let standby_home = tempfile::tempdir().unwrap();
    let mut standby = Appliance::on_data_dir(&standby_home.path().join("data"), &app.key);
    // The primary finds its standby at one address, before and after the
    // promotion.
    let standby_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fixed = std::fs::read_to_string(&standby.config)
        .unwrap()
        .replace("127.0.0.1:0", &format!("127.0.0.1:{standby_port}"));
    std::fs::write(&standby.config, fixed).unwrap();
    append(
        &standby.config,
        &format!(
            "[standby]\nkey_file = \"{key}\"\n{token_line}\n\
             [email]\nsmtp_url = \"{smtp}\"\nfrom = \"Tocsin <alerts@acme.example>\"\n",
            key = key.display(),
            smtp = smtp.url(),
        ),
    );
    standby.start();
    assert!(standby.status.contains("standing by"), "{}", standby.status);
    let held = standby.request("GET", "/api/v1/alerts", Some(&app.key.clone()), None);
    assert_eq!(held.status, 503, "{}", held.body);
    assert_eq!(held.json()["code"], "not_serving");

    // The primary: backups every minute to a directory, an SSH server and
    // the standby; its own mail relay is down, so mail waits.
    let dead_relay = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let local = app.dir.path().join("local-backups");
    let remote = ssh.area();
    append(
        &app.config,
        &format!(
            "[email]\nsmtp_url = \"smtp://127.0.0.1:{dead_relay}\"\nfrom = \"Tocsin <alerts@acme.example>\"\n\
             [backup]\nkey_file = \"{key}\"\ninterval_minutes = 1\n\
             [[backup.targets]]\nname = \"local\"\nurl = \"file://{local}\"\n\
             [[backup.targets]]\nname = \"offsite\"\nurl = \"sftp://{user}@127.0.0.1:{port}{remote}\"\n\
             identity_file = \"{identity}\"\nhost_key = \"{host_key}\"\n\
             [[backup.targets]]\nname = \"standby\"\nurl = \"https://{standby_addr}\"\n\
             token_file = \"{token}\"\nca_file = \"{ca}\"\n",
            key = key.display(),
            local = local.display(),
            user = ssh.user,
            port = ssh.port,
            remote = remote.display(),
            identity = ssh.identity.display(),
            host_key = ssh.host_key,
            standby_addr = standby.addr.unwrap(),
            token = token.display(),
            ca = standby.data_dir().join("tls/cert.pem").display(),
        ),
    );
    app.start();

    // A thousand people, ten of whom answer a hundred alerts.
    let members: Vec<String> = (0..MEMBERS).map(|i| format!("member{i}")).collect();
    for name in &members {
        let r = app.post(
            "/api/v1/users",
            json!({"username": name, "name": format!("Member {name}"), "password": ADMIN_PASSWORD, "roles": ["member"]}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut csv = String::from("username,name,phones\n");
    for i in MEMBERS..PEOPLE {
        csv.push_str(&format!("person{i},Person Number {i},+35840{i:07}\n"));
    }
    let imported = app
        .client()
        .post(&app.url("/api/v1/users/import?dry_run=false"))
        .set("Authorization", &format!("Bearer {}", app.key))
        .set("Content-Type", "text/csv")
        .send_string(&csv)
        .unwrap();
    let imported: Value = imported.into_json().unwrap();
    assert_eq!(imported["imported"], PEOPLE - MEMBERS, "{imported}");
    let key_ref = app.key.clone();
    let unguarded = app.request(
        "PATCH",
        "/api/v1/settings",
        Some(&key_ref),
        Some(json!({"max_automated_alerts_per_minute": 10000})),
    );
    assert_eq!(unguarded.status, 200, "{}", unguarded.body);
    let sessions: Vec<Member> = members.iter().map(|m| log_in(&app, m)).collect();
    let mut alerts = Vec::new();
    for n in 0..ALERTS {
        let id = send_alert(&app, &format!("Drill {n}"), &members).unwrap();
        for member in &sessions {
            answer(&app, member, &id);
        }
        alerts.push(id);
    }
    // Mail the primary could not send yet: the standby must send it.
    let mailed: Vec<String> = members[..3].to_vec();
    for name in &mailed {
        let r = app.request(
            "PATCH",
            &format!("/api/v1/users/{name}"),
            Some(&app.key.clone()),
            Some(json!({"email": format!("{name}@acme.example")})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for n in 0..3 {
        send_alert_by(&app, &format!("Pending {n}"), &mailed, "email").unwrap();
    }

    // A backup now, through the running daemon, to both targets.
    let now = tocsin(&["backup", "now", "--config", app.config_arg()]);
    let said = text(&now.stdout);
    assert!(now.status.success(), "{said}{}", text(&now.stderr));
    assert!(
        said.contains("local: stored")
            && said.contains("offsite: stored")
            && said.contains("standby: stored"),
        "{said}"
    );
    let name = said
        .lines()
        .next()
        .unwrap()
        .strip_prefix("backup ")
        .unwrap()
        .to_owned();
    let listed = text(&tocsin(&["backup", "list", "--config", app.config_arg()]).stdout);
    let offsite = listed.split("offsite:").nth(1).unwrap();
    assert!(offsite.contains(&name), "{listed}");

    let metrics = app.request("GET", "/metrics", None, None).body;
    assert!(
        metrics.contains("tocsin_backup_last_success_timestamp_seconds ")
            && metrics.contains("tocsin_backup_bytes_total{target=\"offsite\"}"),
        "{metrics}"
    );
    let ready = app.request("GET", "/readyz", None, None).json();
    assert_eq!(ready["checks"]["backups"], "ok", "{ready}");

    // An integration keeps alerting while the appliance is killed.
    let stop = AtomicBool::new(false);
    let later = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if let Some(id) = send_alert(&app, "After the backup", &members) {
                    later
                        .lock()
                        .unwrap()
                        .push((id, time::OffsetDateTime::now_utc()));
                }
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        // One more backup while the integration sends: what it acknowledged
        // before this one must survive.
        let now = tocsin(&["backup", "now", "--config", app.config_arg()]);
        assert!(now.status.success(), "{}", text(&now.stderr));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let pid = app.pid();
        // SAFETY-free: a plain kill(2) through the shell's kill.
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        std::thread::sleep(std::time::Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
    });

    // The copy on the SSH server: whole, readable only with the key.
    let file = remote.join(&name);
    let leftovers: Vec<_> = std::fs::read_dir(&remote)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let bytes = std::fs::read(&file).unwrap();
    for readable in ["Person Number 17", "+358400000017", "Drill 7", "member3"] {
        assert!(
            !bytes
                .windows(readable.len())
                .any(|w| w == readable.as_bytes()),
            "{readable} is readable in the backup"
        );
    }
    let verified = tocsin(&[
        "backup",
        "verify",
        "--key",
        key.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let report = text(&verified.stdout);
    assert!(
        report.contains(&format!("{} users", PEOPLE + 1)),
        "{report}"
    );
    assert!(
        report.contains(&format!("{} alerts", ALERTS + 3)),
        "{report}"
    );
    let other_key = app.dir.path().join("other.key");
    // A new key is in the appliance's audit trail (the daemon is down: the
    // command writes it to the store itself).
    let made_key = tocsin(&[
        "backup",
        "key",
        "create",
        "--out",
        other_key.to_str().unwrap(),
        "--config",
        app.config_arg(),
    ]);
    assert!(made_key.status.success(), "{}", text(&made_key.stderr));
    let wrong = tocsin(&[
        "backup",
        "verify",
        "--key",
        other_key.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(!wrong.status.success());
    assert_eq!(
        text(&wrong.stderr).trim().lines().count(),
        1,
        "{}",
        text(&wrong.stderr)
    );

    // The backup restores into an empty directory, and only there.
    let restored_dir = app.dir.path().join("restored");
    let restore = || {
        tocsin(&[
            "restore",
            "--key",
            key.to_str().unwrap(),
            "--from",
            file.to_str().unwrap(),
            "--data-dir",
            restored_dir.to_str().unwrap(),
        ])
    };
    let restored = restore();
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let again = restore();
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );

    // The standby takes over in one step, from the newest backup it holds.
    let state = standby_state(&standby, &token);
    let newest_at = time::OffsetDateTime::parse(
        state["ready_created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let promoted = tocsin(&["promote", "--config", standby.config_arg()]);
    let said = text(&promoted.stdout);
    assert!(
        promoted.status.success(),
        "{said}{}",
        text(&promoted.stderr)
    );
    assert!(said.contains("promoted from backup tocsin-"), "{said}");
    assert!(said.contains("serving as the primary"), "{said}");
    standby.await_ready();
    assert!(
        standby.status.contains("STATUS=serving https on"),
        "{}",
        standby.status
    );
    for (n, id) in alerts.iter().enumerate() {
        let alert = standby.get(&format!("/api/v1/alerts/{id}")).json();
        assert_eq!(alert["alert"]["title"], format!("Drill {n}"), "{alert}");
        let answered = alert["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["response"]["choice"] == "Coming")
            .count();
        assert_eq!(answered, MEMBERS, "{alert}");
    }
    let later = later.into_inner().unwrap();
    let before_newest: Vec<&String> = later
        .iter()
        .filter(|(_, acknowledged)| *acknowledged < newest_at)
        .map(|(id, _)| id)
        .collect();
    assert!(
        !before_newest.is_empty(),
        "the integration sent nothing before the second backup"
    );
    for id in &before_newest {
        let alert = standby.get(&format!("/api/v1/alerts/{id}"));
        assert_eq!(
            alert.status, 200,
            "alert {id}, acknowledged before the newest backup, is lost"
        );
    }
    let users = standby.get("/api/v1/users?limit=2000").json();
    assert!(users["users"].as_array().unwrap().len() > PEOPLE, "{users}");
    // The mail the primary could not send, the standby sends.
    let mails = smtp.wait_for(9, std::time::Duration::from_secs(90));
    let pending = mails
        .iter()
        .filter(|m| m.subject.contains("Pending"))
        .count();
    assert_eq!(pending, 9, "{mails:?}");
    let metrics = standby.request("GET", "/metrics", None, None).body;
    assert!(metrics.contains("tocsin_store_size_bytes"), "{metrics}");

    // The primary comes back: it finds the standby promoted and stays quiet,
    // even with a working mail relay.
    let config = std::fs::read_to_string(&app.config)
        .unwrap()
        .replace(&format!("smtp://127.0.0.1:{dead_relay}"), &smtp.url());
    std::fs::write(&app.config, config).unwrap();
    let mails_before = smtp.mails().len();
    app.start();
    assert!(app.status.contains("stood down"), "{}", app.status);
    let quiet = app.request("GET", "/api/v1/alerts", Some(&app.key.clone()), None);
    assert_eq!(quiet.status, 503, "{}", quiet.body);
    assert!(
        quiet.json()["detail"]
            .as_str()
            .unwrap()
            .contains("took over"),
        "{}",
        quiet.body
    );
    let ready = app.request("GET", "/readyz", None, None);
    assert_eq!(ready.json()["status"], "stood down", "{}", ready.body);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        smtp.mails().len(),
        mails_before,
        "the returning primary sent mail"
    );
    // A backup from it is refused: the standby took over.
    let refused = standby_put(&standby, &token, &file);
    assert_eq!(refused.0, 409, "{}", refused.1);

    // The operator can also stand an appliance down by hand, and promote
    // it back onto its own store.
    let demoted = tocsin(&["demote", "--config", standby.config_arg()]);
    assert!(demoted.status.success(), "{}", text(&demoted.stderr));
    standby.await_ready();
    assert!(standby.status.contains("stood down"), "{}", standby.status);
    let back = tocsin(&["promote", "--config", standby.config_arg()]);
    assert!(back.status.success(), "{}", text(&back.stderr));
    standby.await_ready();
    let alert = standby.get(&format!("/api/v1/alerts/{}", alerts[0]));
    assert_eq!(alert.status, 200, "{}", alert.body);
    println!(
        "{} alerts were acknowledged after the backup and before the kill, {} of them before the newest backup",
        later.len(),
        before_newest.len()
    );
}

fn standby_state(standby: &Appliance, token: &std::path::Path) -> Value {
    let token = std::fs::read_to_string(token).unwrap();
    standby
        .client()
        .get(&standby.url("/standby/v1/state"))
        .set("Authorization", &format!("Bearer {}", token.trim()))
        .call()
        .unwrap()
        .into_json()
        .unwrap()
}

fn standby_put(
    standby: &Appliance,
    token: &std::path::Path,
    file: &std::path::Path,
) -> (u16, String) {
    let token = std::fs::read_to_string(token).unwrap();
    let name = file.file_name().unwrap().to_str().unwrap();
    match standby
        .client()
        .put(&standby.url(&format!("/standby/v1/backups/{name}")))
        .set("Authorization", &format!("Bearer {}", token.trim()))
        .send_bytes(&std::fs::read(file).unwrap())
    {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}
