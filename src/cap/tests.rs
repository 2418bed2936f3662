use super::message::parse;
use super::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/cap/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn the_specifications_examples_are_read() {
    let amber = parse(&fixture("amber.xml")).unwrap();
    assert_eq!(amber.identifier, "KAR0-0306112239-SW");
    assert_eq!(amber.infos[0].event, "Child Abduction");
    assert_eq!(amber.infos[0].areas, vec!["Los Angeles County"]);
    let storm = parse(&fixture("thunderstorm.xml")).unwrap();
    assert_eq!(storm.infos[0].categories, vec!["Met"]);
    assert_eq!(storm.infos[0].severity, "Severe");
    parse(&fixture("homeland-security.xml")).unwrap();
    let quake = parse(&fixture("earthquake-update.xml")).unwrap();
    assert_eq!(quake.msg_type, "Update");
    assert_eq!(
        quake.references,
        vec!["trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"]
    );
}

#[test]
fn documents_that_fail_the_schema_name_the_element() {
    let storm = fixture("thunderstorm.xml");
    let element = |xml: &str| parse(xml).unwrap_err().element;
    assert_eq!(
        element(&storm.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>")),
        "alert/info/urgency"
    );
    assert_eq!(
        element(&storm.replace("    <event>SEVERE THUNDERSTORM</event>\n", "")),
        "alert/info/event"
    );
    assert_eq!(
        element(&storm.replace(
            "<sent>2003-06-17T14:57:00-07:00</sent>",
            "<sent>2003-06-17T21:57:00Z</sent>"
        )),
        "alert/sent"
    );
    assert_eq!(
        element(&storm.replace(
            "<scope>Public</scope>",
            "<scope>Public</scope>\n  <status>Actual</status>"
        )),
        "alert/status"
    );
    assert_eq!(
        element(
            &storm
                .replace("<areaDesc>", "<areaDescription>")
                .replace("</areaDesc>", "</areaDescription>")
        ),
        "alert/info/area/areaDescription"
    );
    assert_eq!(
        element(&storm.replace(
            "urn:oasis:names:tc:emergency:cap:1.2",
            "urn:oasis:names:tc:emergency:cap:1.1"
        )),
        "alert"
    );
    assert_eq!(
        element(&storm.replace("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>")),
        "alert/references"
    );
    assert_eq!(element("<alert"), "alert");
}

#[test]
fn rules_match_by_event_and_code_lists() {
    let storm = parse(&fixture("thunderstorm.xml")).unwrap();
    let info = &storm.infos[0];
    let rule = |event: Option<&str>, severity: &[&str]| CapRule {
        name: "r".into(),
        event: event.map(str::to_owned),
        category: Vec::new(),
        urgency: Vec::new(),
        severity: severity.iter().map(|s| (*s).to_owned()).collect(),
        certainty: Vec::new(),
        sender_name: None,
        area: None,
        template: "t".into(),
    };
    assert!(matches(
        &rule(Some("THUNDER"), &["Extreme", "Severe"]),
        info
    ));
    assert!(!matches(&rule(Some("FLOOD"), &[]), info));
    assert!(!matches(&rule(None, &["Extreme"]), info));
    let with_area = CapRule {
        area: Some("ALPINE".into()),
        ..rule(None, &[])
    };
    assert!(matches(&with_area, info));
}

#[test]
fn written_documents_read_back_as_cap() {
    let escaped = message::escape("a < b & \"c\"");
    assert_eq!(escaped, "a &lt; b &amp; &quot;c&quot;");
    let at = time::OffsetDateTime::UNIX_EPOCH;
    assert_eq!(message::cap_time(at), "1970-01-01T00:00:00+00:00");
}
