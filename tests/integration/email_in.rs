//! Alarms by email: Python's `smtplib` sends through STARTTLS, trusting the
//! appliance's own certificate. An allowed sender whose subject matches a
//! rule fires its template with the text as the detail; a sender nobody
//! allows is refused with 550 and kept in the appliance's inbound list; a
//! mail no rule matches is kept as ignored; the same Message-ID sent again
//! is kept once.

use crate::devices::{wait_until, WAIT};
use crate::inprocess::{Server, PASSWORD};
use serde_json::{json, Value};
use tocsin::config::{EmailInConfig, DEFAULT_MAX_MESSAGE_BYTES};

const SEND: &str = r#"
import json, smtplib, ssl, sys
from email.message import EmailMessage

port, cafile, mails = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
results = []
for m in mails:
    msg = EmailMessage()
    msg["From"] = m["from"]
    msg["To"] = "alarms@tocsin.example"
    msg["Subject"] = m["subject"]
    msg["Message-ID"] = m["id"]
    msg.set_content(m["body"])
    context = ssl.create_default_context(cafile=cafile)
    try:
        with smtplib.SMTP("localhost", port, timeout=20) as smtp:
            smtp.ehlo()
            offered = smtp.has_extn("starttls")
            smtp.starttls(context=context)
            smtp.ehlo()
            tls = smtp.sock.version()
            again = smtp.has_extn("starttls")
            smtp.send_message(msg)
        results.append({"ok": True, "offered": offered, "tls": tls, "again": again})
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        results.append({"code": code, "error": text.decode()})
    except smtplib.SMTPSenderRefused as e:
        results.append({"code": e.smtp_code, "error": e.smtp_error.decode()})
print(json.dumps(results))
"#;

fn send(server: &Server, port: u16, mails: &Value) -> Vec<Value> {
    let cafile = server.dir.path().join("tls").join("cert.pem");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(SEND)
        .arg(port.to_string())
        .arg(&cafile)
        .arg(mails.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    results.as_array().unwrap().clone()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn mail_from_allowed_senders_fires_rules_and_the_rest_is_refused_or_ignored() {
    let port = free_port();
    let server = Server::start_with(|config| {
        config.email_in = Some(EmailInConfig {
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        });
    });
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let group = admin.post(
        "/api/v1/groups",
        json!({"name": "maintenance", "members": ["aino"]}),
    );
    assert_eq!(group.status, 201, "{}", group.body);
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "pump-alarm",
               "alert": {"title": "Pump alarm", "severity": "critical", "channels": ["app"],
                         "recipients": {"groups": ["maintenance"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);

    for (rule, field) in [
        (
            json!({"name": "all", "from": ["*@scada.example"], "subject": ".*", "template": "pump-alarm"}),
            "email_rules[0].subject",
        ),
        (
            json!({"name": "anyone", "from": ["*"], "template": "pump-alarm"}),
            "email_rules[0].from[0]",
        ),
        (
            json!({"name": "nobody", "from": [], "subject": "ALARM", "template": "pump-alarm"}),
            "email_rules[0].from",
        ),
        (
            json!({"name": "missing", "from": ["a@plant.example"], "template": "no-such"}),
            "email_rules[0].template",
        ),
    ] {
        let bad = admin.patch("/api/v1/settings", json!({"email_rules": [rule]}));
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(bad.json()["field"], field, "{}", bad.body);
    }
    let rules = admin.patch(
        "/api/v1/settings",
        json!({"email_rules": [{"name": "scada", "from": ["alarms@plant.example", "*@scada.example"],
                                "subject": "(?i)hälytys|alarm", "template": "pump-alarm"}]}),
    );
    assert_eq!(rules.status, 200, "{}", rules.body);

    let alarm = json!({"from": "alarms@plant.example", "subject": "Hälytys: pump 3",
                       "body": "Pressure 1,2 bar at pump 3 — check valve 7.\n.A line that starts with a dot.\n",
                       "id": "<alarm-1@plant.example>"});
    let results = send(
        &server,
        port,
        &json!([
            alarm,
            {"from": "intruder@evil.example", "subject": "ALARM", "body": "Open the doors", "id": "<x@evil.example>"},
            {"from": "pump7@scada.example", "subject": "Weekly report", "body": "All fine", "id": "<report@scada.example>"},
            alarm,
        ]),
    );
    assert_eq!(results[0]["ok"], true, "{results:?}");
    assert_eq!(results[0]["offered"], true, "STARTTLS offered in the clear");
    assert_eq!(results[0]["again"], false, "and not again under TLS");
    assert!(
        results[0]["tls"].as_str().unwrap().starts_with("TLSv1."),
        "{results:?}"
    );
    assert_eq!(results[1]["code"], 550, "{results:?}");
    let refusal = results[1]["error"].as_str().unwrap();
    assert!(
        refusal.starts_with("5.7.1") && refusal.contains("intruder@evil.example"),
        "{refusal}"
    );
    assert_eq!(results[2]["ok"], true, "{results:?}");
    assert_eq!(results[3]["ok"], true, "{results:?}");

    let messages = wait_until("both mails handled", WAIT, || {
        let list = admin.get("/api/v1/inbound?channel=email").json();
        let messages = list["messages"].as_array().unwrap().clone();
        (messages.len() == 2 && messages.iter().all(|m| m["handling"]["kind"] != "pending"))
            .then_some(messages)
    });
    let fired = messages
        .iter()
        .find(|m| m["from"] == "alarms@plant.example")
        .unwrap();
    assert_eq!(fired["handling"]["kind"], "trigger", "{fired}");
    assert_eq!(fired["said"]["subject"], "Hälytys: pump 3", "{fired}");
    let alert = fired["handling"]["alert"].as_str().unwrap();
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    assert_eq!(view["alert"]["title"], "Pump alarm");
    let body = view["alert"]["body"].as_str().unwrap();
    assert!(
        body.contains("Hälytys: pump 3")
            && body.contains("Pressure 1,2 bar at pump 3 — check valve 7.")
            && body.contains("\n.A line that starts with a dot."),
        "the subject and text as the detail, dots unstuffed: {body}"
    );
    assert_eq!(view["totals"]["recipients"], 1, "{view}");

    let report = messages
        .iter()
        .find(|m| m["from"] == "pump7@scada.example")
        .unwrap();
    assert_eq!(report["handling"]["kind"], "ignored", "{report}");
    assert!(
        report["handling"]["why"]
            .as_str()
            .unwrap()
            .contains("no email rule matches"),
        "{report}"
    );
    assert_eq!(report["text"], "All fine");

    // The refusal is the appliance's: no organisation owns the sender.
    let clock = std::sync::Arc::new(server.clock.clone()) as tocsin::clock::SharedClock;
    tocsin::provisioning::create_operator(&server.store, &clock, "op", PASSWORD).unwrap();
    let op = server.login("appliance", "op", PASSWORD);
    let system = op.get("/api/v1/system/inbound?channel=email").json();
    let refused = system["messages"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{system}");
    assert_eq!(refused[0]["from"], "intruder@evil.example");
    assert_eq!(refused[0]["handling"]["kind"], "ignored");
    assert!(
        refused[0]["handling"]["why"]
            .as_str()
            .unwrap()
            .contains("no organisation here takes alarms by email"),
        "{system}"
    );

    // A sender that keeps trying is refused every time, but the list keeps
    // only so many a minute from one address.
    let flood: Vec<Value> = (0..15)
        .map(|n| json!({"from": format!("spam{n}@evil.example"), "subject": "x", "body": "x", "id": format!("<{n}@evil.example>")}))
        .collect();
    let results = send(&server, port, &Value::Array(flood));
    assert!(results.iter().all(|r| r["code"] == 550), "{results:?}");
    let system = op.get("/api/v1/system/inbound?channel=email").json();
    let listed = system["messages"].as_array().unwrap();
    let spam = listed
        .iter()
        .filter(|m| m["from"].as_str().unwrap().starts_with("spam"))
        .count();
    // 10 a minute from this address: the first refusal's minute may have
    // ended before the flood began, which then starts a minute of its own.
    assert!((9..=10).contains(&spam), "{spam} of 15 listed: {system}");
}

/// One SMTP reply, all its lines.
fn reply(reader: &mut impl std::io::BufRead) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            return all;
        }
        all.push_str(&line);
        if line.as_bytes().get(3) == Some(&b' ') {
            return all;
        }
    }
}

#[test]
fn the_listener_keeps_order_and_refuses_oversized_mail_and_long_lines() {
    use std::io::{BufReader, Read, Write};
    let port = free_port();
    let server = Server::start_with(|config| {
        config.email_in = Some(EmailInConfig {
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
            max_message_bytes: 2048,
        });
    });
    let admin = server.admin();
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "pump-alarm",
               "alert": {"title": "Pump alarm", "severity": "critical", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let rules = admin.patch(
        "/api/v1/settings",
        json!({"email_rules": [{"name": "plant", "from": ["alarms@plant.example"], "template": "pump-alarm"}]}),
    );
    assert_eq!(rules.status, 200, "{}", rules.body);

    // From this host, plain SMTP is allowed; the order of commands is not.
    let conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let mut say = |line: &str, reader: &mut BufReader<std::net::TcpStream>| {
        writer.write_all(line.as_bytes()).unwrap();
        writer.write_all(b"\r\n").unwrap();
        reply(reader)
    };
    assert!(reply(&mut reader).starts_with("220 "));
    let early = say("MAIL FROM:<alarms@plant.example>", &mut reader);
    assert!(early.starts_with("503 5.5.1"), "{early}");
    let ehlo = say("EHLO test.example", &mut reader);
    assert!(
        ehlo.contains("250-SIZE 2048") && ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    assert!(say("NOOP", &mut reader).starts_with("250"));
    let big = say("MAIL FROM:<alarms@plant.example> SIZE=4096", &mut reader);
    assert!(big.starts_with("552 5.3.4"), "{big}");
    assert!(say("MAIL FROM:<alarms@plant.example>", &mut reader).starts_with("250"));
    assert!(say("RCPT TO:<alarm@tocsin.example>", &mut reader).starts_with("250"));
    assert!(say("DATA", &mut reader).starts_with("354"));
    let mut text = String::from("Subject: ALARM too big\r\n\r\n");
    for _ in 0..40 {
        text.push_str(&"x".repeat(98));
        text.push_str("\r\n");
    }
    let oversized = say(&format!("{text}."), &mut reader);
    assert!(oversized.starts_with("552 5.3.4"), "{oversized}");
    assert!(say("RSET", &mut reader).starts_with("250"));
    assert!(say("MAIL FROM:<alarms@plant.example>", &mut reader).starts_with("250"));
    assert!(say("RCPT TO:<alarm@tocsin.example>", &mut reader).starts_with("250"));
    assert!(say("DATA", &mut reader).starts_with("354"));
    let long = say(
        &format!("Subject: ALARM long line\r\n\r\n{}", "y".repeat(1200)),
        &mut reader,
    );
    assert!(long.starts_with("500 5.5.2"), "{long}");
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(rest.is_empty(), "the session ends after a line too long");

    // Neither mail was kept.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kept = admin.get("/api/v1/inbound?channel=email").json();
    assert_eq!(kept["messages"].as_array().unwrap().len(), 0, "{kept}");
}
