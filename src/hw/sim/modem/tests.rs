use super::shell::testkit::{self, collect, expect, TTYPort, Write};
use super::*;

/// The textbook SUBMIT ("hellohello" to +46708251358); 23 octets after "00".
const SUBMIT: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
/// The same with TP-SRR set: a status report is wanted.
const SUBMIT_SRR: &str = "0031000B916407281553F80000AA0AE8329BFD4697D9EC37";

fn quick() -> SimModemConfig {
    SimModemConfig {
        network_delay: Duration::from_millis(150),
        report_delay: Duration::from_millis(100),
        ..SimModemConfig::default()
    }
}

fn start(name: &str) -> (SimModem, TTYPort) {
    let link = std::env::temp_dir().join(format!("tocsin-sim-{name}-{}", std::process::id()));
    let modem = SimModem::start(&link, quick()).unwrap();
    let port = open(&link);
    (modem, port)
}

fn open(link: &Path) -> TTYPort {
    testkit::open(link, 115_200)
}

fn command(port: &mut TTYPort, line: &str, until: &str) -> String {
    port.write_all(line.as_bytes()).unwrap();
    expect(port, until)
}

fn echo_off(port: &mut TTYPort) {
    command(port, "ATE0\r", "OK\r\n");
}

#[test]
fn echo_then_ate0_and_queries() {
    let (_modem, mut port) = start("echo");
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    assert_eq!(command(&mut port, "ATE0\r", "OK\r\n"), "ATE0\r\r\nOK\r\n");
    assert_eq!(
        command(&mut port, "at + csq\r\n", "OK\r\n"),
        "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+BOGUS\r", "ERROR\r\n"),
        "\r\nERROR\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+COPS=3,0;+COPS?\r", "OK\r\n"),
        "\r\n+COPS: 0,0,\"Tocsin Sim\",7\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+CGMI\r", "OK\r\n"),
        "\r\nQuectel\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+CEREG?\r", "OK\r\n"),
        "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"
    );
}

#[test]
fn cmgs_exchange_with_report_and_urc_routing() {
    let (modem, mut port) = start("cmgs");
    echo_off(&mut port);
    command(&mut port, "AT+CNMI=2,1,0,1,0\r", "OK\r\n");
    assert_eq!(command(&mut port, "AT+CMGS=23\r", "> "), "\r\n> ");
    let sent_at = Instant::now();
    port.write_all(format!("{}\x1a", SUBMIT_SRR.to_lowercase()).as_bytes())
        .unwrap();
    // An SMS arriving while the message is in the air is announced before +CMGS.
    modem.receive_sms("+358401234567", "hi");
    let answer = expect(&mut port, "OK\r\n");
    assert!(
        sent_at.elapsed() >= Duration::from_millis(150),
        "answered too early"
    );
    let cmti = answer.find("\r\n+CMTI: \"ME\",0\r\n").expect("CMTI");
    let cmgs = answer.find("\r\n+CMGS: ").expect("CMGS");
    assert!(cmti < cmgs, "{answer:?}");
    let mr: u8 = answer[cmgs + 9..]
        .split("\r\n")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let sent = modem.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].hex.as_str(), sent[0].reference), (SUBMIT_SRR, mr));

    let report = pdu::encode_status_report(mr, "+46708251358", 0);
    let urc = expect(&mut port, &format!("{report}\r\n"));
    assert_eq!(
        urc,
        format!("\r\n+CDS: {}\r\n{report}\r\n", report.len() / 2 - 1)
    );

    // The announced length must match the TPDU.
    command(&mut port, "AT+CMGS=22\r", "> ");
    assert_eq!(
        command(&mut port, &format!("{SUBMIT}\x1a"), "\r\n"),
        "\r\n+CMS ERROR: 304\r\n"
    );
    // ESC cancels at the prompt.
    command(&mut port, "AT+CMGS=23\r", "> ");
    assert_eq!(command(&mut port, "0011\x1b", "OK\r\n"), "\r\nOK\r\n");
    // A network refusal comes after the network time; the next send goes through.
    modem.fault(Fault::CmsError {
        code: 500,
        times: 1,
    });
    std::thread::sleep(Duration::from_millis(50));
    command(&mut port, "AT+CMGS=23\r", "> ");
    assert_eq!(
        command(&mut port, &format!("{SUBMIT}\x1a"), "500\r\n"),
        "\r\n+CMS ERROR: 500\r\n"
    );
    command(&mut port, "AT+CMGS=23\r", "> ");
    let answer = command(&mut port, &format!("{SUBMIT}\x1a"), "OK\r\n");
    assert_eq!(
        answer,
        format!("\r\n+CMGS: {}\r\n\r\nOK\r\n", mr.wrapping_add(1))
    );
    assert_eq!(modem.sent().len(), 2);
    // No report was asked for this time.
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
    // Asked for, but the network has stopped reporting.
    modem.fault(Fault::DropReports);
    command(&mut port, "AT+CMGS=23\r", "> ");
    command(&mut port, &format!("{SUBMIT_SRR}\x1a"), "OK\r\n");
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
}

#[test]
fn echoed_prompt_and_stored_reports() {
    let (modem, mut port) = start("sr");
    command(&mut port, "AT+CNMI=2,1,0,2,0\r", "OK\r\n");
    command(&mut port, "AT+CMGS=23\r", "> ");
    // With echo on the modem echoes the PDU as it is typed.
    let answer = command(&mut port, &format!("{SUBMIT_SRR}\x1a"), "OK\r\n");
    assert!(answer.starts_with(SUBMIT_SRR), "{answer:?}");
    expect(&mut port, "\r\n+CDSI: \"SR\",0\r\n");
    assert_eq!(modem.stored_count(), 1);
    echo_off(&mut port);
    command(&mut port, "AT+CPMS=\"SR\"\r", "OK\r\n");
    let read = command(&mut port, "AT+CMGR=0\r", "OK\r\n");
    assert!(read.starts_with("\r\n+CMGR: 0,,"), "{read:?}");
    command(&mut port, "AT+CMGD=0\r", "OK\r\n");
    assert_eq!(
        command(&mut port, "AT+CPMS=\"ME\"\r", "OK\r\n"),
        "\r\n+CPMS: 0,255,0,255,0,255\r\n\r\nOK\r\n"
    );
    assert_eq!(modem.stored_count(), 0);
}

#[test]
fn inbound_sms_is_announced_read_and_deleted() {
    let (modem, mut port) = start("inbound");
    echo_off(&mut port);
    command(&mut port, "AT+CNMI=2,1,0,0,0\r", "OK\r\n");
    modem.receive_sms("+358401234567", "Fire alarm acknowledged");
    assert_eq!(
        expect(&mut port, "\r\n+CMTI: \"ME\",0\r\n"),
        "\r\n+CMTI: \"ME\",0\r\n"
    );
    assert_eq!(modem.stored_count(), 1);
    let read = command(&mut port, "AT+CMGR=0\r", "OK\r\n");
    let lines: Vec<&str> = read.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{read:?}");
    let length: usize = lines[0]
        .strip_prefix("+CMGR: 0,,")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, lines[1].len() / 2 - 1);
    match pdu::decode_incoming(lines[1]).unwrap() {
        pdu::Incoming::Deliver(d) => {
            assert_eq!(
                (d.from.as_str(), d.text.as_str()),
                ("+358401234567", "Fire alarm acknowledged")
            );
        }
        other => panic!("not a DELIVER: {other:?}"),
    }
    let listed = command(&mut port, "AT+CMGL=4\r", "OK\r\n");
    assert_eq!(
        listed,
        format!("\r\n+CMGL: 0,1,,{length}\r\n{}\r\n\r\nOK\r\n", lines[1])
    );
    command(&mut port, "AT+CMGD=0\r", "OK\r\n");
    assert_eq!(modem.stored_count(), 0);
    assert_eq!(
        command(&mut port, "AT+CMGR=0\r", "\r\n"),
        "\r\n+CMS ERROR: 321\r\n"
    );
    // A long message arrives in parts, each stored and announced.
    modem.receive_sms("+358401234567", &"x".repeat(200));
    expect(&mut port, "\r\n+CMTI: \"ME\",0\r\n\r\n+CMTI: \"ME\",1\r\n");
    assert_eq!(modem.stored_count(), 2);
    command(&mut port, "AT+CMGD=0,4\r", "OK\r\n");
    assert_eq!(modem.stored_count(), 0);
    // mt=2: handed over directly, not stored.
    command(&mut port, "AT+CNMI=2,2,0,0,0\r", "OK\r\n");
    modem.receive_sms("+358401234567", "direct");
    let cmt = String::from_utf8(collect(&mut port, Duration::from_millis(300))).unwrap();
    let (length, hex) = cmt
        .strip_prefix("\r\n+CMT: ,")
        .and_then(|rest| rest.strip_suffix("\r\n"))
        .and_then(|rest| rest.split_once("\r\n"))
        .unwrap_or_else(|| panic!("{cmt:?}"));
    assert_eq!(length.parse::<usize>().unwrap(), hex.len() / 2 - 1);
    assert_eq!(modem.stored_count(), 0);
}

#[test]
fn hang_until_reopen_then_reboot() {
    let (modem, mut port) = start("hang");
    echo_off(&mut port);
    // A plain close and reopen keeps the settings.
    drop(port);
    std::thread::sleep(Duration::from_millis(100));
    let mut port = open(modem.link());
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "\r\nOK\r\n");

    modem.fault(Fault::Hang);
    std::thread::sleep(Duration::from_millis(50));
    port.write_all(b"AT\r").unwrap();
    assert!(collect(&mut port, Duration::from_millis(400)).is_empty());
    drop(port);
    std::thread::sleep(Duration::from_millis(100));
    let mut port = open(modem.link());
    let boot = expect(&mut port, "+QIND: SMS DONE\r\n");
    assert_eq!(
        boot,
        "\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n"
    );
    // Echo is back on after the reboot.
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    // AT+CFUN=1,1 on a port that stays open: OK, silence, then the boot URCs.
    echo_off(&mut port);
    let reset = command(&mut port, "AT+CFUN=1,1\r", "OK\r\n");
    assert_eq!(reset, "\r\nOK\r\n");
    port.write_all(b"AT\r").unwrap();
    let boot = expect(&mut port, "+QIND: SMS DONE\r\n");
    assert_eq!(
        boot,
        "\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n"
    );
}

#[test]
fn unplug_and_reappear() {
    let (modem, mut port) = start("unplug");
    echo_off(&mut port);
    modem.receive_sms("+358401234567", "kept");
    modem.fault(Fault::Unplug {
        for_: Duration::from_millis(300),
    });
    testkit::unplugged(port, modem.link());
    let mut port = open(modem.link());
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "AT\r\r\nOK\r\n");
    assert_eq!(modem.stored_count(), 1);
}

#[test]
fn sim_busy_and_garbage() {
    let (modem, mut port) = start("busy");
    echo_off(&mut port);
    modem.fault(Fault::SimBusy { times: 1 });
    std::thread::sleep(Duration::from_millis(50));
    let storage = "AT+CPMS=\"ME\",\"ME\",\"ME\"\r";
    assert_eq!(
        command(&mut port, storage, "\r\n"),
        "\r\n+CME ERROR: 14\r\n"
    );
    assert_eq!(
        command(&mut port, storage, "OK\r\n"),
        "\r\n+CPMS: 0,255,0,255,0,255\r\n\r\nOK\r\n"
    );
    modem.fault(Fault::Garbage);
    let noise = collect(&mut port, Duration::from_millis(200));
    assert!(
        noise
            .iter()
            .take_while(|b| **b != b'\r')
            .all(|b| *b >= 0x80),
        "{noise:?}"
    );
    // The partial line stays open; the next answer's line end closes it.
    let text =
        String::from_utf8_lossy(&noise).into_owned() + &command(&mut port, "AT+CSQ\r", "OK\r\n");
    let tail =
        "\r\n^RSSI: 12\r\n\r\n+QIND: \"csq\",20,99\r\n\r\n+QIND: \"cs\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
    assert!(text.ends_with(tail), "{text:?}");
}
