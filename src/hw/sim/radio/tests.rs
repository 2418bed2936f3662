use super::shell::testkit::{self, expect, TTYPort, Write};
use super::*;

const OWN: u32 = 1_000_001;
/// Research §7: "Brand B3 Hauptstr 5", DRR received+consumed, ref 0x2A.
const TEXT: &str = "820C2A014272616E642042332048617570747374722035";
/// Research §5/§7: alert, callout #5, severity 3, ref 7, "B3 Hauptstr 5".
const CALLOUT: &str = "C300070115030042332048617570747374722035";

fn quick() -> SimRadioConfig {
    SimRadioConfig {
        air_delay: Duration::from_millis(150),
        report_delay: Duration::from_millis(100),
        ..SimRadioConfig::default()
    }
}

fn start(name: &str, config: SimRadioConfig) -> (SimRadio, TTYPort) {
    let link = std::env::temp_dir().join(format!("tocsin-simradio-{name}-{}", std::process::id()));
    let radio = SimRadio::start(&link, config).unwrap();
    let port = open(&link);
    (radio, port)
}

fn open(link: &Path) -> TTYPort {
    testkit::open(link, 38_400)
}

/// Everything that arrives within `time`.
fn collect(port: &mut TTYPort, time: Duration) -> String {
    String::from_utf8_lossy(&testkit::collect(port, time)).into_owned()
}

fn command(port: &mut TTYPort, line: &str, until: &str) -> String {
    port.write_all(line.as_bytes()).unwrap();
    expect(port, until)
}

fn send(port: &mut TTYPort, to: &str, hex: &str) -> String {
    let bits = hex.len() * 4;
    command(port, &format!("AT+CMGS={to},{bits}\r\n{hex}\x1a"), "\r\n")
}

/// Echo off and the routes an alerting driver registers.
fn init(port: &mut TTYPort) {
    command(port, "ATE0\r", "OK\r\n");
    for route in ["2,2,20", "1,3,130", "1,3,195"] {
        let answer = command(port, &format!("AT+CTSP={route}\r"), "OK\r\n");
        assert_eq!(answer, "\r\nOK\r\n");
    }
    command(port, "AT+CTSDS=12,0\r", "OK\r\n");
}

fn indication(from: u32, hex: &str) -> String {
    format!(
        "\r\n+CTSDSR: 12,{from},0,{OWN},0,{}\r\n{hex}\r\n",
        hex.len() * 4
    )
}

#[test]
fn start_up_syntax_error_queries_and_registration() {
    let (radio, mut port) = start("startup", quick());
    // Leftover bytes before the first command spoil it once.
    port.write_all(b"junk").unwrap();
    assert_eq!(
        command(&mut port, "AT\r", "35\r\n"),
        "junkAT\r\r\n+CME ERROR: 35\r\n"
    );
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    assert_eq!(command(&mut port, "ATE0\r", "OK\r\n"), "ATE0\r\r\nOK\r\n");
    for (query, answer) in [
        ("AT+CNUMF?", "+CNUMF: 6,2621001001000001"),
        ("AT+CTOM?", "+CTOM: 0"),
        ("AT+CSQ", "+CSQ: 20,99"),
        ("AT+CREG?", "+CREG: 0,1"),
        ("AT+CMGS=?", CMGS_TEST),
    ] {
        assert_eq!(
            command(&mut port, &format!("{query}\r\n"), "OK\r\n"),
            format!("\r\n{answer}\r\n\r\nOK\r\n")
        );
    }
    for ok in ["AT+CSCS=8859-1\r", "AT+CSCS=\"8859-1\"\r", "ATZ\r"] {
        assert!(command(&mut port, ok, "OK\r\n").ends_with("\r\nOK\r\n"));
    }
    // ATZ turned echo back on.
    assert_eq!(command(&mut port, "ATE0\r", "OK\r\n"), "ATE0\r\r\nOK\r\n");
    assert_eq!(
        command(&mut port, "AT+BOGUS\r", "\r\n+CME ERROR: 4\r\n"),
        "\r\n+CME ERROR: 4\r\n"
    );

    assert_eq!(
        command(&mut port, "AT+CTSP=1,3,130\r", "OK\r\n"),
        "\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+CTSP=1,3,130\r", "38\r\n"),
        "\r\n+CME ERROR: 38\r\n"
    );
    command(&mut port, "AT+CTSP=2,2,20\r", "OK\r\n");
    command(&mut port, "AT+CTSP=2,0,0\r", "OK\r\n");
    assert_eq!(radio.registered_pids(), vec![20, 130]);
    assert_eq!(
        command(&mut port, "AT+CTSP?\r", "OK\r\n"),
        "\r\n+CTSP: 2,0,0\r\n+CTSP: 2,2,20\r\n+CTSP: 1,3,130\r\n\r\nOK\r\n"
    );

    // A command cut off by a close spoils the first one after reopening.
    port.write_all(b"AT+CS").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(port);
    std::thread::sleep(Duration::from_millis(100));
    let mut port = open(radio.link());
    assert_eq!(
        command(&mut port, "AT\r", "35\r\n"),
        "\r\n+CME ERROR: 35\r\n"
    );
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "\r\nOK\r\n");
    // Routing survives a close.
    assert_eq!(radio.registered_pids(), vec![20, 130]);
}

#[test]
fn text_send_with_reports() {
    let (radio, mut port) = start("text", quick());
    init(&mut port);
    let started = Instant::now();
    assert_eq!(
        send(&mut port, "2345678", TEXT),
        "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    );
    let rest = expect(&mut port, "8210022A\r\n");
    assert!(started.elapsed() >= Duration::from_millis(350));
    assert_eq!(
        rest,
        format!(
            "\r\n+CMGS: 0,4,42\r\n{}{}",
            indication(2_345_678, "8210002A"),
            indication(2_345_678, "8210022A")
        )
    );
    let sent = radio.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].to.as_str(), sent[0].ai_service, sent[0].bits),
        ("2345678", 12, 184)
    );
    assert_eq!(sent[0].hex, TEXT);

    // Only "received" from a radio whose user never opens it.
    radio.set_behaviour(2_345_679, Behaviour::ReceivedOnly);
    let text = TEXT.replacen("2A", "2B", 1);
    send(&mut port, "2345679", &text);
    assert_eq!(
        collect(&mut port, Duration::from_millis(600)),
        format!("\r\n+CMGS: 0,4,43\r\n{}", indication(2_345_679, "8210002B"))
    );
    // Switched off: "sent over the air" all the same, then nothing.
    radio.set_behaviour(2_345_680, Behaviour::Off);
    send(&mut port, "2345680", &TEXT.replacen("2A", "2C", 1));
    assert_eq!(
        collect(&mut port, Duration::from_millis(600)),
        "\r\n+CMGS: 0,4,44\r\n"
    );
    // A group gets no reports.
    radio.set_group(9000, &[2_345_678]);
    send(&mut port, "9000", &TEXT.replacen("2A", "2D", 1));
    assert_eq!(
        collect(&mut port, Duration::from_millis(600)),
        "\r\n+CMGS: 0,4,45\r\n"
    );
    // Fewer hex digits than bits announced.
    assert_eq!(
        command(&mut port, "AT+CMGS=2345678,184\r\n820C\x1a", "\r\n"),
        "\r\n+CME ERROR: 32\r\n"
    );
    // A line end after Ctrl-Z is data without a command.
    let answer = command(
        &mut port,
        &format!("AT+CMGS=2345680,184\r\n{text}\x1a\r\n"),
        "35\r\n",
    );
    assert_eq!(answer, "\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+CME ERROR: 35\r\n");
    expect(&mut port, "+CMGS: 0,4,43\r\n");

    // An incoming text wants a report; the driver's report is only logged.
    radio.receive_text(1_234_567, "Einsatz", true);
    let out = collect(&mut port, Duration::from_millis(300));
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    let [head, hex] = lines[..] else {
        panic!("not one indication: {out:?}");
    };
    assert_eq!(
        head,
        format!("+CTSDSR: 12,1234567,0,{OWN},0,{}", hex.len() * 4)
    );
    let Ok(Sds::Text(text)) = sds::decode(12, hex.len() * 4, hex) else {
        panic!("not a text: {hex}");
    };
    assert_eq!(text.text, "Einsatz");
    assert!(text.report.received && !text.report.consumed);
    let report = sds::to_hex(&sds::encode_report(0x82, 0, text.reference));
    send(&mut port, "1234567", &report);
    assert_eq!(
        collect(&mut port, Duration::from_millis(400)),
        format!("\r\n+CMGS: 0,4,{}\r\n", text.reference)
    );
    let sent = radio.sent();
    assert_eq!(sent.last().map(|s| s.hex.as_str()), Some(report.as_str()));
}

#[test]
fn status_send_and_routing() {
    let (radio, mut port) = start("status", quick());
    command(&mut port, "ATE0\r", "OK\r\n");
    // Not routed to the PEI yet: the radio keeps it.
    radio.receive_status(1_234_567, 0x8004);
    assert_eq!(collect(&mut port, Duration::from_millis(200)), "");
    command(&mut port, "AT+CTSP=1,2,20\r", "OK\r\n");
    assert_eq!(radio.registered_pids(), vec![20]);
    radio.receive_status(1_234_567, 0x8004);
    assert_eq!(
        expect(&mut port, "8004\r\n"),
        format!("\r\n+CTSDSR: 13,1234567,0,{OWN},0,16\r\n8004\r\n")
    );

    command(&mut port, "AT+CTSDS=13,0\r", "OK\r\n");
    assert_eq!(
        command(&mut port, "AT+CTSDS?\r", "OK\r\n"),
        "\r\n+CTSDS: 13,0\r\n\r\nOK\r\n"
    );
    assert_eq!(
        send(&mut port, "1234567", "8005"),
        "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    );
    let urc = collect(&mut port, Duration::from_millis(500));
    let reference: u8 = urc
        .strip_prefix("\r\n+CMGS: 0,4,")
        .and_then(|r| r.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("{urc:?}"))
        .parse()
        .unwrap();
    send(&mut port, "1234567", "800B");
    let next = format!("\r\n+CMGS: 0,4,{}\r\n", reference.wrapping_add(1));
    assert_eq!(expect(&mut port, &next), next);
    let sent = radio.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].ai_service, sent[0].bits, sent[0].hex.as_str()),
        (13, 16, "8005")
    );
    // A status is 16 bits.
    assert_eq!(
        send(&mut port, "1234567", "80058005"),
        "\r\n+CME ERROR: 34\r\n"
    );
}

#[test]
fn callout_to_a_group_and_a_radio() {
    let (radio, mut port) = start("callout", quick());
    init(&mut port);
    radio.set_group(4711, &[101, 102, 103]);
    radio.set_behaviour(101, Behaviour::Accept);
    radio.set_behaviour(102, Behaviour::Reject);
    assert_eq!(
        send(&mut port, "4711", CALLOUT),
        "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    );
    let out = collect(&mut port, Duration::from_millis(700));
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 5, "{out:?}");
    assert_eq!(lines[0], "+CMGS: 0,4,7");
    for (pair, (member, answer)) in lines[1..].chunks(2).zip([(101, "ACCEPT"), (102, "REJECT")]) {
        let bits = pair[1].len() * 4;
        assert_eq!(pair[0], format!("+CTSDSR: 12,{member},0,{OWN},0,{bits}"));
        let Ok(Sds::Callout(c)) = sds::decode(12, bits, pair[1]) else {
            panic!("not a callout: {pair:?}");
        };
        assert_eq!(
            (c.message_type, c.reference, c.number, c.severity),
            (2, 7, 5, 3)
        );
        assert!(matches!(c.function, CalloutFunction::Alert));
        assert_eq!(c.text, answer);
    }

    // To one radio, report "received" requested: the report, then the answer.
    radio.set_behaviour(201, Behaviour::Standby);
    send(&mut port, "201", "C30408011503004233");
    let out = collect(&mut port, Duration::from_millis(700));
    let expected_report = indication(201, "C3100008");
    assert!(
        out.starts_with(&format!("\r\n+CMGS: 0,4,8\r\n{expected_report}")),
        "{out:?}"
    );
    let hex = out
        .trim_end()
        .rsplit("\r\n")
        .next()
        .unwrap_or_default()
        .to_owned();
    let Ok(Sds::Callout(c)) = sds::decode(12, hex.len() * 4, &hex) else {
        panic!("not a callout: {out:?}");
    };
    assert_eq!((c.message_type, c.text.as_str()), (2, "STANDBY"));
    assert_eq!(out.matches("+CTSDSR").count(), 2, "{out:?}");
}

#[test]
fn cme_error_fault_then_success() {
    let (radio, mut port) = start("cme", quick());
    init(&mut port);
    radio.fault(Fault::CmeError { code: 42, times: 1 });
    assert_eq!(send(&mut port, "2345678", TEXT), "\r\n+CME ERROR: 42\r\n");
    assert!(radio.sent().is_empty());
    assert_eq!(
        send(&mut port, "2345678", TEXT),
        "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    );
    expect(&mut port, "+CMGS: 0,4,42\r\n");
    assert_eq!(radio.sent().len(), 1);
}

#[test]
fn unplug_and_reappear() {
    let (radio, mut port) = start("unplug", quick());
    init(&mut port);
    radio.fault(Fault::Unplug {
        for_: Duration::from_millis(300),
    });
    testkit::unplugged(port, radio.link());
    let mut port = open(radio.link());
    // Rebooted: echo on, routing gone.
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    assert!(radio.registered_pids().is_empty());
}

#[test]
fn hang_until_reopen_and_garbage() {
    let (radio, mut port) = start("hang", quick());
    init(&mut port);
    radio.fault(Fault::Hang);
    std::thread::sleep(Duration::from_millis(50));
    port.write_all(b"AT\r").unwrap();
    assert_eq!(collect(&mut port, Duration::from_millis(300)), "");
    drop(port);
    std::thread::sleep(Duration::from_millis(100));
    let mut port = open(radio.link());
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    assert!(radio.registered_pids().is_empty());

    command(&mut port, "ATE0\r", "OK\r\n");
    radio.fault(Fault::Garbage);
    let noise = collect(&mut port, Duration::from_millis(200));
    let text = noise + &command(&mut port, "AT+CSQ\r", "OK\r\n");
    let tail = "\r\n+CTCR: 1,1\r\n\r\n+CDTXC: 1,0\r\n\r\n+CTX\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
    assert!(text.ends_with(tail), "{text:?}");
}

#[test]
fn nibble_hex_and_raw_indications() {
    // Wodie TetraLib.pm: an 84-bit LIP report.
    let lip = [
        0x0A, 0x11, 0x28, 0x53, 0xA9, 0xFF, 0x4D, 0x4F, 0xFF, 0xE8, 0x10,
    ];
    let header = format!("\r\n+CTSDSR: 12,2269001,0,{OWN},0,84\r\n");
    for (nibble_hex, hex) in [
        (true, "0A112853A9FF4D4FFFE81"),
        (false, "0A112853A9FF4D4FFFE810"),
    ] {
        let config = SimRadioConfig {
            nibble_hex,
            ..quick()
        };
        let (radio, mut port) = start(&format!("nibble-{nibble_hex}"), config);
        init(&mut port);
        command(&mut port, "AT+CTSP=1,3,10\r", "OK\r\n");
        radio.receive_sds(2_269_001, 12, 84, &lip);
        assert_eq!(
            expect(&mut port, &format!("{hex}\r\n")),
            format!("{header}{hex}\r\n")
        );
        // Whole-byte payloads look the same either way.
        radio.receive_status(2_269_001, 0x8005);
        expect(&mut port, ",16\r\n8005\r\n");
    }

    let (radio, mut port) = start("raw", quick());
    command(&mut port, "ATE0\r", "OK\r\n");
    // No routing check: exactly these lines.
    radio.receive_raw(
        "+CTSDSR: 12,23404,0,23401,0,96, 82041D",
        "continued on the next line",
    );
    assert_eq!(
        expect(&mut port, "line\r\n"),
        "\r\n+CTSDSR: 12,23404,0,23401,0,96, 82041D\r\ncontinued on the next line\r\n"
    );
}
