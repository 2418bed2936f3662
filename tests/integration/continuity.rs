//! Backups to a directory and to a real OpenSSH server, taken while the
//! appliance works, and a restore after the appliance is killed.

use crate::sshd::SshServer;
use crate::support::{text, tocsin, Appliance, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    let response = app
        .client()
        .post(&app.url("/api/v1/alerts"))
        .set("Authorization", &format!("Bearer {}", app.key))
        .send_json(
            json!({"title": title, "severity": "info", "channels": ["app"],
                          "recipients": {"users": users}}),
        )
        .ok()?;
    let body: Value = response.into_json().ok()?;
    body["id"].as_str().map(str::to_owned)
}

#[test]
fn backups_reach_a_directory_and_an_ssh_server_and_restore_after_a_kill() {
    let ssh = SshServer::start();
    let mut app = Appliance::new();
    let key = app.dir.path().join("backup.key");
    let created = tocsin(&["backup", "key", "create", "--out", key.to_str().unwrap()]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("recovery text"));
    let local = app.dir.path().join("local-backups");
    let remote = ssh.area();
    let mut config = std::fs::read_to_string(&app.config).unwrap();
    config.push_str(&format!(
        "[backup]\nkey_file = \"{key}\"\ninterval_minutes = 60\n\
         [[backup.targets]]\nname = \"local\"\nurl = \"file://{local}\"\n\
         [[backup.targets]]\nname = \"offsite\"\nurl = \"sftp://{user}@127.0.0.1:{port}{remote}\"\n\
         identity_file = \"{identity}\"\nhost_key = \"{host_key}\"\n",
        key = key.display(),
        local = local.display(),
        user = ssh.user,
        port = ssh.port,
        remote = remote.display(),
        identity = ssh.identity.display(),
        host_key = ssh.host_key,
    ));
    std::fs::write(&app.config, config).unwrap();
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

    // A backup now, through the running daemon, to both targets.
    let now = tocsin(&["backup", "now", "--config", app.config_arg()]);
    let said = text(&now.stdout);
    assert!(now.status.success(), "{said}{}", text(&now.stderr));
    assert!(
        said.contains("local: stored") && said.contains("offsite: stored"),
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
    let later = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if send_alert(&app, "After the backup", &members).is_some() {
                    later.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
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
    assert!(report.contains(&format!("{ALERTS} alerts")), "{report}");
    let other_key = app.dir.path().join("other.key");
    tocsin(&[
        "backup",
        "key",
        "create",
        "--out",
        other_key.to_str().unwrap(),
    ]);
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

    // Restored elsewhere, the appliance has every alert and answer the
    // backup held.
    let mut standby = Appliance::on_data_dir(&app.dir.path().join("restored"), &app.key);
    let data_dir = standby.data_dir();
    let restore = || {
        tocsin(&[
            "restore",
            "--key",
            key.to_str().unwrap(),
            "--from",
            file.to_str().unwrap(),
            "--data-dir",
            data_dir.to_str().unwrap(),
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
    standby.start();
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
    let users = standby.get("/api/v1/users?limit=2000").json();
    assert!(users["users"].as_array().unwrap().len() > PEOPLE, "{users}");
    println!(
        "{} alerts were acknowledged after the backup and before the kill (not in it: one interval of data)",
        later.load(Ordering::Relaxed)
    );
}
