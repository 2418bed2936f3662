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
    start_with(name, quick())
}

fn start_with(name: &str, config: SimModemConfig) -> (SimModem, TTYPort) {
    let link = std::env::temp_dir().join(format!("tocsin-sim-{name}-{}", std::process::id()));
    let modem = SimModem::start(&link, config).unwrap();
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

fn ccinfo(number: &str, state: u8) -> String {
    ccinfo_dir(0, number, state)
}

/// ccinfo of a call coming in (direction 1, mobile terminated).
fn ccinfo_in(number: &str, state: u8) -> String {
    ccinfo_dir(1, number, state)
}

fn ccinfo_dir(dir: u8, number: &str, state: u8) -> String {
    let kind = if number.starts_with('+') { 145 } else { 129 };
    format!("\r\n+QIND: \"ccinfo\",1,{dir},{state},0,0,\"{number}\",{kind}\r\n")
}

fn caller(keys: &[(u64, char)], hang_up_ms: Option<u64>, gives_up_ms: u64) -> Caller {
    Caller {
        keys: keys
            .iter()
            .map(|(ms, key)| (Duration::from_millis(*ms), *key))
            .collect(),
        hang_up: hang_up_ms.map(Duration::from_millis),
        gives_up_after: Duration::from_millis(gives_up_ms),
    }
}

fn answers(after_ms: u64, keys: &[(u64, char)], hang_up_ms: Option<u64>) -> Callee {
    Callee::Answers {
        after: Duration::from_millis(after_ms),
        keys: keys
            .iter()
            .map(|(ms, key)| (Duration::from_millis(*ms), *key))
            .collect(),
        hang_up: hang_up_ms.map(Duration::from_millis),
    }
}

/// A mono 16-bit PCM WAV of `samples` silent samples at `rate` Hz.
fn wav(rate: u32, samples: u32) -> Vec<u8> {
    let data = samples * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.resize(out.len() + data as usize, 0);
    out
}

fn upload(port: &mut TTYPort, name: &str, data: &[u8]) -> String {
    let connect = command(
        port,
        &format!("AT+QFUPL=\"{name}\",{}\r", data.len()),
        "\r\n",
    );
    assert_eq!(connect, "\r\nCONNECT\r\n");
    port.write_all(data).unwrap();
    expect(port, "OK\r\n")
}

/// Waits until the far end of the current call has done something.
fn wait_for(modem: &SimModem, what: impl Fn(&CallRecord) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !modem.calls().last().is_some_and(&what) {
        assert!(Instant::now() < deadline, "{:?}", modem.calls());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn call_progress_and_far_end_hang_up() {
    let (modem, mut port) = start("call");
    echo_off(&mut port);
    let number = "+358401000001";
    modem.set_callee(number, answers(200, &[], Some(300)));
    for bad in ["ATD+35840x1;\r", "ATD;\r", "ATD+358401000001\r"] {
        assert_eq!(command(&mut port, bad, "\r\n"), "\r\n+CME ERROR: 3\r\n");
    }
    assert_eq!(
        command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n"),
        "\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QINDCFG=\"ccinfo\"\r", "OK\r\n"),
        "\r\n+QINDCFG: \"ccinfo\",1\r\n\r\nOK\r\n"
    );
    let dialled = Instant::now();
    let log = command(&mut port, &format!("ATD{number};\r"), "NO CARRIER\r\n");
    let states = [2, 3, 0, 7].map(|state| ccinfo(number, state)).concat();
    assert_eq!(log, format!("\r\nOK\r\n{states}\r\nNO CARRIER\r\n"));
    assert!(dialled.elapsed() >= Duration::from_millis(800), "too early");
    let calls = modem.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.number, number);
    assert_eq!(call.outcome, Some(CallOutcome::HungUpByCallee));
    let answered = call.answered.unwrap();
    assert!(answered - call.dialled >= Duration::from_millis(500));
    assert!(call.ended.unwrap() - answered >= Duration::from_millis(300));
    assert!(call.keys.is_empty() && call.played.is_empty());
    // Off again: a call says only its result.
    command(&mut port, "AT+QINDCFG=\"ccinfo\",0\r", "OK\r\n");
    modem.set_callee(
        number,
        Callee::Rejects {
            after: Duration::from_millis(100),
        },
    );
    let log = command(&mut port, &format!("ATD{number};\r"), "NO CARRIER\r\n");
    assert_eq!(log, "\r\nOK\r\n\r\nNO CARRIER\r\n");
}

#[test]
fn keys_are_reported_only_after_qtonedet() {
    let (modem, mut port) = start("keys");
    echo_off(&mut port);
    let number = "0401000002";
    modem.set_callee(
        number,
        answers(100, &[(300, '1'), (900, '5'), (1000, '#')], None),
    );
    command(&mut port, &format!("ATD{number};\r"), "OK\r\n");
    wait_for(&modem, |c| c.keys.len() == 1);
    assert_eq!(
        command(&mut port, "AT+QTONEDET=1\r", "OK\r\n"),
        "\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QTONEDET?\r", "OK\r\n"),
        "\r\n+QTONEDET: 1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        expect(&mut port, "+QTONEDET: 35\r\n"),
        "\r\n+QTONEDET: 53\r\n\r\n+QTONEDET: 35\r\n"
    );
    // The modem hangs up: no NO CARRIER for the driver's own hang-up.
    assert_eq!(command(&mut port, "ATH\r", "OK\r\n"), "\r\nOK\r\n");
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
    let call = modem.calls().pop().unwrap();
    assert_eq!(call.outcome, Some(CallOutcome::HungUpByModem));
    let keys: Vec<(char, bool)> = call.keys.iter().map(|k| (k.key, k.reported)).collect();
    assert_eq!(keys, [('1', false), ('5', true), ('#', true)]);
    let answered = call.answered.unwrap();
    assert!(call.keys[2].at - answered >= Duration::from_millis(1000));
}

#[test]
fn busy_no_answer_and_rejection() {
    let (modem, mut port) = start_with(
        "refused",
        SimModemConfig {
            ring_time: Duration::from_millis(500),
            ..quick()
        },
    );
    echo_off(&mut port);
    command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n");
    let (busy, rejects, late) = ("+358401000003", "+358401000004", "+358401000005");
    modem.set_callee(busy, Callee::Busy);
    modem.set_callee(
        rejects,
        Callee::Rejects {
            after: Duration::from_millis(200),
        },
    );
    // Picks up after the network has given up.
    modem.set_callee(late, answers(2000, &[], None));
    let ringing = |number: &str| [2, 3, 7].map(|state| ccinfo(number, state)).concat();

    let dialled = Instant::now();
    let log = command(&mut port, &format!("ATD{busy};\r"), "BUSY\r\n");
    assert_eq!(log, format!("\r\nOK\r\n{}\r\nBUSY\r\n", ringing(busy)));
    assert!(dialled.elapsed() >= Duration::from_millis(1300));

    let unknown = "112233";
    let dialled = Instant::now();
    let log = command(&mut port, &format!("ATD{unknown};\r"), "NO ANSWER\r\n");
    assert_eq!(
        log,
        format!("\r\nOK\r\n{}\r\nNO ANSWER\r\n", ringing(unknown))
    );
    assert!(dialled.elapsed() >= Duration::from_millis(800));

    let log = command(&mut port, &format!("ATD{rejects};\r"), "NO CARRIER\r\n");
    assert_eq!(
        log,
        format!("\r\nOK\r\n{}\r\nNO CARRIER\r\n", ringing(rejects))
    );

    let log = command(&mut port, &format!("ATD{late};\r"), "NO ANSWER\r\n");
    assert_eq!(log, format!("\r\nOK\r\n{}\r\nNO ANSWER\r\n", ringing(late)));

    let outcomes: Vec<_> = modem
        .calls()
        .iter()
        .map(|c| (c.number.clone(), c.outcome, c.answered))
        .collect();
    assert_eq!(
        outcomes,
        [
            (busy.to_owned(), Some(CallOutcome::Busy), None),
            (unknown.to_owned(), Some(CallOutcome::NoAnswer), None),
            (rejects.to_owned(), Some(CallOutcome::Rejected), None),
            (late.to_owned(), Some(CallOutcome::NoAnswer), None),
        ]
    );
}

#[test]
fn clcc_and_hang_up_commands() {
    let (modem, mut port) = start("clcc");
    echo_off(&mut port);
    command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n");
    assert_eq!(command(&mut port, "AT+CLCC\r", "OK\r\n"), "\r\nOK\r\n");
    assert_eq!(command(&mut port, "ATH\r", "OK\r\n"), "\r\nOK\r\n");
    assert_eq!(command(&mut port, "AT+CHUP\r", "OK\r\n"), "\r\nOK\r\n");
    let number = "0401000006";
    modem.set_callee(number, answers(100, &[], None));
    command(&mut port, &format!("ATD{number};\r"), &ccinfo(number, 0));
    // One call at a time.
    assert_eq!(
        command(&mut port, "ATD0401000007;\r", "\r\n"),
        "\r\n+CME ERROR: 3\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+CLCC\r", "OK\r\n"),
        format!("\r\n+CLCC: 1,0,0,0,0,\"{number}\",129\r\n\r\nOK\r\n")
    );
    assert_eq!(
        command(&mut port, "ATH\r", &ccinfo(number, 7)),
        format!("\r\nOK\r\n{}", ccinfo(number, 7))
    );
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
    assert_eq!(command(&mut port, "AT+CLCC\r", "OK\r\n"), "\r\nOK\r\n");
    // AT+CHUP ends a ringing call the same way.
    modem.set_callee(number, Callee::NoAnswer);
    command(&mut port, &format!("ATD{number};\r"), &ccinfo(number, 3));
    assert_eq!(
        command(&mut port, "AT+CLCC\r", "OK\r\n"),
        format!("\r\n+CLCC: 1,0,3,0,0,\"{number}\",129\r\n\r\nOK\r\n")
    );
    assert_eq!(
        command(&mut port, "AT+CHUP\r", &ccinfo(number, 7)),
        format!("\r\nOK\r\n{}", ccinfo(number, 7))
    );
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
    let outcomes: Vec<_> = modem.calls().iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, [Some(CallOutcome::HungUpByModem); 2]);
}

#[test]
fn file_upload_list_and_delete() {
    let (modem, mut port) = start("files");
    // Echo is on, but the file's bytes are not echoed; CR and Ctrl-Z are data.
    let connect = command(&mut port, "AT+QFUPL=\"a.bin\",5\r", "CONNECT\r\n");
    assert_eq!(connect, "AT+QFUPL=\"a.bin\",5\r\r\nCONNECT\r\n");
    let data = [0x12, 0x34, 0x0D, 0x1A, 0xFF];
    port.write_all(&data).unwrap();
    // 0x1234 ^ 0x0d1a ^ 0xff00
    assert_eq!(
        expect(&mut port, "OK\r\n"),
        "\r\n+QFUPL: 5,e02e\r\n\r\nOK\r\n"
    );
    echo_off(&mut port);
    assert_eq!(
        command(&mut port, "AT+QFUPL=\"a.bin\",3\r", "\r\n"),
        "\r\n+CME ERROR: 407\r\n"
    );
    assert_eq!(
        upload(&mut port, "b.bin", &[0x00, 0x01]),
        "\r\n+QFUPL: 2,1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QFLST\r", "OK\r\n"),
        "\r\n+QFLST: \"a.bin\",5\r\n+QFLST: \"b.bin\",2\r\n\r\nOK\r\n"
    );
    assert_eq!(
        modem.files().get("a.bin").map(Vec::as_slice),
        Some(&data[..])
    );
    assert_eq!(
        command(&mut port, "AT+QFLST=\"*\"\r", "OK\r\n"),
        "\r\n+QFLST: \"a.bin\",5\r\n+QFLST: \"b.bin\",2\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QFLST=\"b.bin\"\r", "OK\r\n"),
        "\r\n+QFLST: \"b.bin\",2\r\n\r\nOK\r\n"
    );
    // The bytes stop coming: an error after the timeout, nothing stored.
    let started = Instant::now();
    command(&mut port, "AT+QFUPL=\"c.bin\",10,1\r", "CONNECT\r\n");
    port.write_all(b"abc").unwrap();
    assert_eq!(expect(&mut port, "409\r\n"), "\r\n+CME ERROR: 409\r\n");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(!modem.files().contains_key("c.bin"));
    assert_eq!(command(&mut port, "AT\r", "OK\r\n"), "\r\nOK\r\n");

    assert_eq!(
        command(&mut port, "AT+QFDEL=\"a.bin\"\r", "OK\r\n"),
        "\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QFDEL=\"a.bin\"\r", "\r\n"),
        "\r\n+CME ERROR: 405\r\n"
    );
    command(&mut port, "AT+QFDEL=\"b.bin\"\r", "OK\r\n");
    assert_eq!(command(&mut port, "AT+QFLST\r", "OK\r\n"), "\r\nOK\r\n");
    assert!(modem.files().is_empty());
}

#[test]
fn playback_lasts_the_wav_and_needs_a_call() {
    let (modem, mut port) = start("play");
    echo_off(&mut port);
    let message = wav(8000, 4800);
    assert_eq!(
        upload(&mut port, "alarm.wav", &message),
        format!("\r\n+QFUPL: 9644,{:x}\r\n\r\nOK\r\n", xor(&message))
    );
    assert_eq!(modem.files()["alarm.wav"], message);
    upload(&mut port, "wide.wav", &wav(16000, 16000));
    upload(&mut port, "notes.txt", b"not a sound");
    let play = "AT+QPSND=1,\"alarm.wav\",0,1,1\r";
    assert_eq!(command(&mut port, play, "\r\n"), "\r\n+CME ERROR: 3\r\n");

    let number = "+358401000008";
    modem.set_callee(number, answers(100, &[], None));
    command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n");
    command(&mut port, &format!("ATD{number};\r"), &ccinfo(number, 0));
    assert_eq!(
        command(&mut port, "AT+QPSND=1,\"notes.txt\",0,1,1\r", "\r\n"),
        "\r\n+CME ERROR: 902\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+QPSND=1,\"gone.wav\",0,1,1\r", "\r\n"),
        "\r\n+CME ERROR: 405\r\n"
    );
    // 4800 samples at 8 kHz: 0.6 s.
    let started = Instant::now();
    assert_eq!(
        command(&mut port, play, "+QPSND: 0\r\n"),
        "\r\nOK\r\n\r\n+QPSND: 0\r\n"
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(600), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    // Stopped by the driver.
    command(&mut port, "AT+QPSND=1,\"wide.wav\",0,1,1\r", "OK\r\n");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        command(&mut port, "AT+QPSND=0\r", "+QPSND: 0\r\n"),
        "\r\nOK\r\n\r\n+QPSND: 0\r\n"
    );
    // Cut short by the end of the call: no +QPSND.
    command(&mut port, "AT+QPSND=1,\"wide.wav\",0,1,1\r", "OK\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        command(&mut port, "ATH\r", "OK\r\n"),
        format!("\r\nOK\r\n{}", ccinfo(number, 7))
    );
    assert!(collect(&mut port, Duration::from_millis(1200)).is_empty());

    let call = modem.calls().pop().unwrap();
    let played: Vec<_> = call
        .played
        .iter()
        .map(|p| (p.file.as_str(), p.length, p.complete))
        .collect();
    assert_eq!(
        played,
        [
            ("alarm.wav", Duration::from_millis(600), true),
            ("wide.wav", Duration::from_secs(1), false),
            ("wide.wav", Duration::from_secs(1), false),
        ]
    );
    assert_eq!(call.played[0].played, Duration::from_millis(600));
    assert!(call.played[1].played >= Duration::from_millis(50));
    assert!(call.played[1].played < Duration::from_secs(1));
    assert!(call.played[2].played >= Duration::from_millis(100));
    assert!(call.played[2].played < Duration::from_secs(1));
}

fn xor(data: &[u8]) -> u16 {
    data.chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]))
        .fold(0, |a, b| a ^ b)
}

#[test]
fn reboot_ends_the_call_and_key_detection() {
    let (modem, mut port) = start("voice-reboot");
    echo_off(&mut port);
    upload(&mut port, "kept.wav", &wav(8000, 800));
    let number = "0401000009";
    modem.set_callee(number, answers(100, &[(600, '9')], None));
    command(&mut port, "AT+QTONEDET=1\r", "OK\r\n");
    command(&mut port, &format!("ATD{number};\r"), "OK\r\n");
    wait_for(&modem, |c| c.answered.is_some());
    command(&mut port, "AT+CFUN=1,1\r", "OK\r\n");
    port.write_all(b"AT\r").unwrap();
    let boot = expect(&mut port, "+QIND: SMS DONE\r\n");
    assert!(!boot.contains("NO CARRIER"), "{boot:?}");
    echo_off(&mut port);
    assert_eq!(
        command(&mut port, "AT+QTONEDET?\r", "OK\r\n"),
        "\r\n+QTONEDET: 0\r\n\r\nOK\r\n"
    );
    assert_eq!(command(&mut port, "AT+CLCC\r", "OK\r\n"), "\r\nOK\r\n");
    assert!(collect(&mut port, Duration::from_millis(700)).is_empty());
    let call = modem.calls().pop().unwrap();
    assert_eq!(call.outcome, Some(CallOutcome::Dropped));
    assert!(call.keys.is_empty());
    // The flash survives.
    assert!(modem.files().contains_key("kept.wav"));

    // A hang fault (a reboot of its own) ends a call the same way.
    command(&mut port, &format!("ATD{number};\r"), "OK\r\n");
    wait_for(&modem, |c| c.answered.is_some());
    modem.fault(Fault::Hang);
    wait_for(&modem, |c| c.outcome.is_some());
    assert_eq!(
        modem.calls().pop().unwrap().outcome,
        Some(CallOutcome::Dropped)
    );
}

#[test]
fn incoming_call_answered_with_keys_and_playback() {
    let (modem, mut port) = start("call-in");
    echo_off(&mut port);
    assert_eq!(
        command(&mut port, "ATA\r", "NO CARRIER\r\n"),
        "\r\nNO CARRIER\r\n"
    );
    upload(&mut port, "hello.wav", &wav(8000, 800));
    command(
        &mut port,
        "AT+QINDCFG=\"ccinfo\",1;+CLIP=1;+QTONEDET=1\r",
        "OK\r\n",
    );
    let number = "+358401000010";
    modem.call_in(
        number,
        caller(&[(500, '1'), (600, '#')], Some(1000), 10_000),
    );
    assert_eq!(
        expect(&mut port, "\",0\r\n"),
        format!(
            "{}\r\nRING\r\n\r\n+CLIP: \"{number}\",145,\"\",,\"\",0\r\n",
            ccinfo_in(number, 4)
        )
    );
    assert_eq!(
        command(&mut port, "AT+CLCC\r", "OK\r\n"),
        format!("\r\n+CLCC: 1,1,4,0,0,\"{number}\",145\r\n\r\nOK\r\n")
    );
    // One call at a time, and nothing plays before the answer.
    assert_eq!(
        command(&mut port, "ATD0401000011;\r", "\r\n"),
        "\r\n+CME ERROR: 3\r\n"
    );
    let play = "AT+QPSND=1,\"hello.wav\",0,1,1\r";
    assert_eq!(command(&mut port, play, "\r\n"), "\r\n+CME ERROR: 3\r\n");

    let answered = Instant::now();
    assert_eq!(
        command(&mut port, "ATA\r", &ccinfo_in(number, 0)),
        format!("\r\nOK\r\n{}", ccinfo_in(number, 0))
    );
    assert_eq!(
        command(&mut port, play, "+QPSND: 0\r\n"),
        "\r\nOK\r\n\r\n+QPSND: 0\r\n"
    );
    // The caller presses keys and hangs up; no RING after the answer.
    assert_eq!(
        expect(&mut port, "NO CARRIER\r\n"),
        format!(
            "\r\n+QTONEDET: 49\r\n\r\n+QTONEDET: 35\r\n{}\r\nNO CARRIER\r\n",
            ccinfo_in(number, 7)
        )
    );
    assert!(answered.elapsed() >= Duration::from_millis(1000));
    assert_eq!(
        command(&mut port, "ATA\r", "NO CARRIER\r\n"),
        "\r\nNO CARRIER\r\n"
    );

    let calls = modem.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert!(call.incoming);
    assert_eq!(call.number, number);
    assert_eq!(call.outcome, Some(CallOutcome::HungUpByCallee));
    let keys: Vec<(char, bool)> = call.keys.iter().map(|k| (k.key, k.reported)).collect();
    assert_eq!(keys, [('1', true), ('#', true)]);
    let answered = call.answered.unwrap();
    assert!(call.keys[0].at - answered >= Duration::from_millis(500));
    assert!(call.ended.unwrap() - answered >= Duration::from_millis(1000));
    let played: Vec<_> = call
        .played
        .iter()
        .map(|p| (p.file.as_str(), p.complete))
        .collect();
    assert_eq!(played, [("hello.wav", true)]);
}

#[test]
fn incoming_call_the_caller_abandons() {
    let (modem, mut port) = start("call-in-abandoned");
    echo_off(&mut port);
    command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n");
    let number = "0401000012";
    let started = Instant::now();
    modem.call_in(number, caller(&[(100, '5')], None, 2500));
    // RING at once and again 2 s later; ccinfo 7 and NO CARRIER at 2.5 s.
    assert_eq!(
        expect(&mut port, "NO CARRIER\r\n"),
        format!(
            "{}\r\nRING\r\n\r\nRING\r\n{}\r\nNO CARRIER\r\n",
            ccinfo_in(number, 4),
            ccinfo_in(number, 7)
        )
    );
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert_eq!(
        command(&mut port, "ATA\r", "NO CARRIER\r\n"),
        "\r\nNO CARRIER\r\n"
    );
    let call = modem.calls().pop().unwrap();
    assert!(call.incoming);
    assert_eq!(call.outcome, Some(CallOutcome::NoAnswer));
    assert!(call.answered.is_none() && call.keys.is_empty());
}

#[test]
fn hang_up_rejects_a_ringing_call() {
    let (modem, mut port) = start("call-in-rejected");
    echo_off(&mut port);
    command(&mut port, "AT+QINDCFG=\"ccinfo\",1\r", "OK\r\n");
    let number = "+358401000013";
    for hang_up in ["ATH\r", "AT+CHUP\r"] {
        modem.call_in(number, caller(&[], None, 10_000));
        expect(&mut port, "RING\r\n");
        assert_eq!(
            command(&mut port, hang_up, &ccinfo_in(number, 7)),
            format!("\r\nOK\r\n{}", ccinfo_in(number, 7))
        );
    }
    // Neither NO CARRIER nor another RING.
    assert!(collect(&mut port, Duration::from_millis(2300)).is_empty());
    // A call coming in while the modem is in one never reaches it.
    let callee = "0401000014";
    modem.set_callee(callee, answers(100, &[], None));
    command(&mut port, &format!("ATD{callee};\r"), &ccinfo(callee, 0));
    modem.call_in(number, caller(&[], None, 10_000));
    assert!(collect(&mut port, Duration::from_millis(300)).is_empty());
    command(&mut port, "ATH\r", "OK\r\n");
    let outcomes: Vec<_> = modem
        .calls()
        .iter()
        .map(|c| (c.incoming, c.outcome, c.answered.is_some()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (true, Some(CallOutcome::RejectedByModem), false),
            (true, Some(CallOutcome::RejectedByModem), false),
            (false, Some(CallOutcome::HungUpByModem), true),
            (true, Some(CallOutcome::Busy), false),
        ]
    );
}

#[test]
fn clip_only_when_enabled() {
    let (modem, mut port) = start("clip");
    echo_off(&mut port);
    assert_eq!(
        command(&mut port, "AT+CLIP?\r", "OK\r\n"),
        "\r\n+CLIP: 0,1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        command(&mut port, "AT+CLIP=?\r", "OK\r\n"),
        "\r\n+CLIP: (0,1)\r\n\r\nOK\r\n"
    );
    assert_eq!(command(&mut port, "AT+CLIP=2\r", "\r\n"), "\r\nERROR\r\n");
    let number = "0401000015";
    modem.call_in(number, caller(&[], None, 10_000));
    assert_eq!(expect(&mut port, "RING\r\n"), "\r\nRING\r\n");
    // Turned on while it rings: the next RING brings the number.
    command(&mut port, "AT+CLIP=1\r", "OK\r\n");
    assert_eq!(
        expect(&mut port, "\",0\r\n"),
        format!("\r\nRING\r\n\r\n+CLIP: \"{number}\",129,\"\",,\"\",0\r\n")
    );
    assert_eq!(
        command(&mut port, "AT+CLIP?\r", "OK\r\n"),
        "\r\n+CLIP: 1,1\r\n\r\nOK\r\n"
    );
    command(&mut port, "ATH\r", "OK\r\n");
    // A reboot forgets it.
    command(&mut port, "AT+CFUN=1,1\r", "OK\r\n");
    port.write_all(b"AT\r").unwrap();
    expect(&mut port, "+QIND: SMS DONE\r\n");
    echo_off(&mut port);
    assert_eq!(
        command(&mut port, "AT+CLIP?\r", "OK\r\n"),
        "\r\n+CLIP: 0,1\r\n\r\nOK\r\n"
    );
}
