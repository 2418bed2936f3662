use super::*;

fn deliver(hex: &str) -> Deliver {
    match decode_incoming(hex).unwrap() {
        Incoming::Deliver(d) => d,
        other => panic!("expected a DELIVER, got {other:?}"),
    }
}

fn report(hex: &str) -> StatusReport {
    match decode_incoming(hex).unwrap() {
        Incoming::StatusReport(s) => s,
        other => panic!("expected a STATUS-REPORT, got {other:?}"),
    }
}

fn opts() -> SubmitOptions {
    SubmitOptions::default()
}

fn concat(reference: u16, total: u8, seq: u8) -> Option<Concat> {
    Some(Concat {
        reference,
        total,
        seq,
    })
}

fn texts(parts: &[EncodedPart]) -> Vec<String> {
    parts
        .iter()
        .map(|p| decode_submit(&p.hex).unwrap().text)
        .collect()
}

// ---- SMS-DELIVER, published vectors ----

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, first case.
#[test]
fn deliver_gsm7_python_gsmmodem_test2() {
    let d = deliver("06917228195339040B917228214365F700003130805120618005D4F29C2E03");
    assert_eq!(
        d,
        Deliver {
            from: "+27821234567".into(),
            text: "Test2".into(),
            coding: Coding::Gsm7,
            concat: None,
            timestamp: Some("2013-03-08T15:02:16+02:00".into()),
        }
    );
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, second case.
#[test]
fn deliver_gsm7_python_gsmmodem_at_commands() {
    let d = deliver(
        "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB\
         6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
    );
    assert_eq!(d.from, "+85291234567");
    assert_eq!(d.text, "It is easy to read text messages via AT commands.");
    assert_eq!(d.timestamp.as_deref(), Some("2007-04-12T23:25:42+08:00"));
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, third
// case: extension characters and an accented default character.
#[test]
fn deliver_gsm7_extension_python_gsmmodem() {
    let d = deliver("06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910");
    assert_eq!(d.from, "+27821234567");
    assert_eq!(d.text, "@{tést}!");
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c, test_pdu1.
#[test]
fn deliver_gsm7_modemmanager_pdu1() {
    let pdu: &[u8] = &[
        0x07, 0x91, 0x21, 0x04, 0x44, 0x29, 0x61, 0xf4, 0x04, 0x0b, 0x91, 0x61, 0x71, 0x95, 0x72,
        0x91, 0xf8, 0x00, 0x00, 0x11, 0x20, 0x82, 0x11, 0x05, 0x05, 0x0a, 0x6a, 0xc8, 0xb2, 0xbc,
        0x7c, 0x9a, 0x83, 0xc2, 0x20, 0xf6, 0xdb, 0x7d, 0x2e, 0xcb, 0x41, 0xed, 0xf2, 0x7c, 0x1e,
        0x3e, 0x97, 0x41, 0x1b, 0xde, 0x06, 0x75, 0x4f, 0xd3, 0xd1, 0xa0, 0xf9, 0xbb, 0x5d, 0x06,
        0x95, 0xf1, 0xf4, 0xb2, 0x9b, 0x5c, 0x26, 0x83, 0xc6, 0xe8, 0xb0, 0x3c, 0x3c, 0xa6, 0x97,
        0xe5, 0xf3, 0x4d, 0x6a, 0xe3, 0x03, 0xd1, 0xd1, 0xf2, 0xf7, 0xdd, 0x0d, 0x4a, 0xbb, 0x59,
        0xa0, 0x79, 0x7d, 0x8c, 0x06, 0x85, 0xe7, 0xa0, 0x00, 0x28, 0xec, 0x26, 0x83, 0x2a, 0x96,
        0x0b, 0x28, 0xec, 0x26, 0x83, 0xbe, 0x60, 0x50, 0x78, 0x0e, 0xba, 0x97, 0xd9, 0x6c, 0x17,
    ];
    let d = deliver(&to_hex(pdu));
    assert_eq!(d.from, "+16175927198");
    assert_eq!(d.timestamp.as_deref(), Some("2011-02-28T11:50:50-05:00"));
    assert_eq!(
        d.text,
        "Here's a longer message [{with some extended characters}] \
         thrown in, such as £ and ΩΠΨ and §¿ as well."
    );
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu2: alphanumeric sender, UCS-2 text.
const MM_PDU2: &[u8] = &[
    0x07, 0x91, 0x97, 0x30, 0x07, 0x11, 0x11, 0xf1, 0x04, 0x14, 0xd0, 0x49, 0x37, 0xbd, 0x2c, 0x77,
    0x97, 0xe9, 0xd3, 0xe6, 0x14, 0x00, 0x08, 0x11, 0x30, 0x92, 0x91, 0x02, 0x40, 0x61, 0x08, 0x04,
    0x42, 0x04, 0x35, 0x04, 0x41, 0x04, 0x42,
];

#[test]
fn deliver_ucs2_alphanumeric_modemmanager_pdu2() {
    let d = deliver(&to_hex(MM_PDU2));
    assert_eq!(d.from, "InternetSMS");
    assert_eq!(d.text, "тест");
    assert_eq!(d.coding, Coding::Ucs2);
    assert_eq!(d.timestamp.as_deref(), Some("2011-03-29T19:20:04+04:00"));
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_dcsf1: DCS 0xF1 (class 1, GSM 7-bit), 160 septets.
#[test]
fn deliver_dcs_f1_modemmanager() {
    let pdu: &[u8] = &[
        0x07, 0x91, 0x33, 0x06, 0x09, 0x10, 0x93, 0xF0, 0x04, 0x04, 0x85, 0x81, 0x00, 0x00, 0xF1,
        0x11, 0x60, 0x42, 0x31, 0x80, 0x51, 0x80, 0xA0, 0x49, 0xB7, 0xF9, 0x0D, 0x9A, 0x1A, 0xA5,
        0xA0, 0x16, 0x68, 0xF8, 0x76, 0x9B, 0xD3, 0xE4, 0xB2, 0x9B, 0x9E, 0x2E, 0xB3, 0x59, 0xA0,
        0x3F, 0xC8, 0x5D, 0x06, 0xA9, 0xC3, 0xED, 0x70, 0x7A, 0x0E, 0xA2, 0xCB, 0xC3, 0xEE, 0x79,
        0xBB, 0x4C, 0xA7, 0xCB, 0xCB, 0xA0, 0x56, 0x43, 0x61, 0x7D, 0xA7, 0xC7, 0x69, 0x90, 0xFD,
        0x4D, 0x97, 0x97, 0x41, 0xEE, 0x77, 0xDD, 0x5E, 0x0E, 0xD7, 0x41, 0xED, 0x37, 0x1D, 0x44,
        0x2E, 0x83, 0xE0, 0xE1, 0xF9, 0xBC, 0x0C, 0xD2, 0x81, 0xE6, 0x77, 0xD9, 0xB8, 0x4C, 0x06,
        0xC1, 0xDF, 0x75, 0x39, 0xE8, 0x5C, 0x90, 0x97, 0xE5, 0x20, 0xFB, 0x9B, 0x2E, 0x2F, 0x83,
        0xC6, 0xEF, 0x36, 0x9C, 0x5E, 0x06, 0x4D, 0x8D, 0x52, 0xD0, 0xBC, 0x2E, 0x07, 0xDD, 0xEF,
        0x77, 0xD7, 0xDC, 0x2C, 0x77, 0x99, 0xE5, 0xA0, 0x77, 0x1D, 0x04, 0x0F, 0xCB, 0x41, 0xF4,
        0x02, 0xBB, 0x00, 0x47, 0xBF, 0xDD, 0x65, 0x50, 0xB8, 0x0E, 0xCA, 0xD9, 0x66,
    ];
    let d = deliver(&to_hex(pdu));
    assert_eq!(d.from, "1800");
    assert_eq!(d.coding, Coding::Gsm7);
    assert_eq!(d.timestamp.as_deref(), Some("2011-06-24T13:08:15+02:00"));
    assert_eq!(
        d.text,
        "Info SFR - Confidentiel, à ne jamais transmettre -\r\n\
         Voici votre nouveau mot de passe : sw2ced pour gérer \
         votre compte SFR sur www.sfr.fr ou par téléphone au 963"
    );
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_multipart: two parts with an 8-bit reference header.
const MM_MULTIPART_2: &str =
    "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D4447\
     9741F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10";

#[test]
fn deliver_concatenated_modemmanager_multipart() {
    let first = deliver(
        "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E\
         83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434\
         081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97\
         E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB\
         0C9297E1F2F2BCECA6CF41",
    );
    let second = deliver(MM_MULTIPART_2);
    assert_eq!(first.from, "+16175046925");
    assert_eq!(
        first.timestamp.as_deref(),
        Some("2012-04-25T19:56:50-04:00")
    );
    assert_eq!(first.concat, concat(0x4C, 2, 1));
    assert_eq!(second.concat, concat(0x4C, 2, 2));
    assert_eq!(
        format!("{}{}", first.text, second.text),
        "This is a very long test designed to exercise multi part capability. It should \
         show up as one message, not as two, as the underlying encoding represents \
         that the parts are related to one another. "
    );
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_udhi: a 16-bit reference header (IEI 0x08), so no fill bits.
#[test]
fn deliver_concatenated_16bit_reference_modemmanager_udhi() {
    let d = deliver(
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232\
         1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1\
         6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB\
         5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9\
         A0B49B5E96BBCB",
    );
    assert_eq!(d.from, "1002");
    assert_eq!(d.timestamp.as_deref(), Some("2011-06-29T23:32:19+02:00"));
    assert_eq!(d.concat, concat(0x0010, 2, 1));
    assert_eq!(
        d.text,
        "Welkom, bel om uw Voicemail te beluisteren naar +31612001233 \
         (PrePay: *100*1233#). Voicemail ontvangen is altijd gratis. \
         Voor gebruik van mobiel interne"
    );
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, sixth
// case: national sender, one-part concatenation header (ref 0xC3).
#[test]
fn deliver_concatenated_python_gsmmodem() {
    let d = deliver(
        "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E06\
         4941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87\
         A7E565D0DB0D82C55EB0DB4B068BCD5C20",
    );
    assert_eq!(d.from, "2781188");
    assert_eq!(
        d.text,
        "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. "
    );
    assert_eq!(d.concat, concat(0xC3, 1, 1));
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu3_8bit: DCS 0x04 gives the raw octets (here read as Latin-1).
#[test]
fn deliver_eight_bit_modemmanager_pdu3_8bit() {
    let d = deliver("07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE");
    assert_eq!(d.coding, Coding::EightBit);
    assert_eq!(d.from, "+18005551212");
    let expected: String = [0xE8u8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37, 0xDE]
        .iter()
        .map(|&b| char::from(b))
        .collect();
    assert_eq!(d.text, expected);
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu3_natl: TON unknown gives the digits without "+"; the text is
// the TS 23.038 "hellohello" example.
#[test]
fn deliver_national_number_modemmanager_pdu3_natl() {
    let d = deliver("07912143658709F1040B818100551512F20000111010214365000AE8329BFD4697D9EC37");
    assert_eq!(d.from, "18005551212");
    assert_eq!(d.text, "hellohello");
    assert_eq!(d.timestamp.as_deref(), Some("2011-01-01T12:34:56+00:00"));
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_insufficient_data: UDL 11 septets but only 9 octets follow.
#[test]
fn deliver_short_user_data_is_an_error_modemmanager() {
    let err =
        decode_incoming("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37")
            .unwrap_err();
    assert!(
        matches!(
            err,
            PduError::Truncated {
                field: "user data",
                ..
            }
        ),
        "{err}"
    );
}

// ---- SMS-STATUS-REPORT, published vectors ----

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, fifth case.
const PY_STATUS_REPORT: &str = "0006D60B911326880736F4111011719551401110117195714000";

#[test]
fn status_report_python_gsmmodem() {
    let s = report(PY_STATUS_REPORT);
    assert_eq!(
        s,
        StatusReport {
            reference: 214,
            recipient: "+31628870634".into(),
            status: 0x00
        }
    );
    assert_eq!(status_meaning(s.status), DeliveryStatus::Delivered);
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_not_stored: TP-ST 0x30, an SC-specific "still trying".
const MM_STATUS_REPORT: &str = "07914356060013F1065A098136397339F7219011700463802190117004638030";

#[test]
fn status_report_modemmanager_not_stored() {
    let s = report(MM_STATUS_REPORT);
    assert_eq!(s.reference, 0x5A);
    assert_eq!(s.recipient, "639337937");
    assert_eq!(s.status, 0x30);
    assert_eq!(status_meaning(s.status), DeliveryStatus::Pending);
}

#[test]
fn status_report_tolerates_padding_case_and_whitespace() {
    let padded = format!("  {}FFFFFFFF\r\n", PY_STATUS_REPORT.to_lowercase());
    assert_eq!(report(&padded).reference, 214);
    // A parameter indicator and more after TP-ST are not needed.
    assert_eq!(report(&format!("{MM_STATUS_REPORT}0300")).status, 0x30);
}

// ---- SMS-SUBMIT, published vectors ----

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_encodeSmsSubmit,
// first case: no validity, no status report, TP-MR 0, SIM's SMSC.
#[test]
fn submit_matches_python_gsmmodem_hello_world() {
    let parts = encode_submit("+27820001111", "Hello World!", &opts()).unwrap();
    assert_eq!(
        parts,
        [EncodedPart {
            hex: "0001000B917228001011F100000CC8329BFD065DDF72363904".into(),
            tpdu_len: 24,
        }]
    );
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_create_pdu_gsm_3 (validity 5 → TP-VP 0, five minutes) and
// test_create_pdu_gsm_no_validity.
#[test]
fn submit_matches_modemmanager_gsm() {
    let text = "This is really cool ΔΔΔΔΔ";
    let with_validity: &[u8] = &[
        0x00, 0x11, 0x00, 0x0B, 0x91, 0x51, 0x55, 0x66, 0x16, 0x32, 0xF4, 0x00, 0x00, 0x00, 0x19,
        0x54, 0x74, 0x7A, 0x0E, 0x4A, 0xCF, 0x41, 0xF2, 0x72, 0x98, 0xCD, 0xCE, 0x83, 0xC6, 0xEF,
        0x37, 0x1B, 0x04, 0x81, 0x40, 0x20, 0x10,
    ];
    let without_validity: &[u8] = &[
        0x00, 0x01, 0x00, 0x0B, 0x91, 0x51, 0x55, 0x66, 0x16, 0x32, 0xF4, 0x00, 0x00, 0x19, 0x54,
        0x74, 0x7A, 0x0E, 0x4A, 0xCF, 0x41, 0xF2, 0x72, 0x98, 0xCD, 0xCE, 0x83, 0xC6, 0xEF, 0x37,
        0x1B, 0x04, 0x81, 0x40, 0x20, 0x10,
    ];
    let five_minutes = SubmitOptions {
        validity_minutes: Some(5),
        ..opts()
    };
    let parts = encode_submit("+15556661234", text, &five_minutes).unwrap();
    assert_eq!(parts[0].hex, to_hex(with_validity));
    assert_eq!(parts[0].tpdu_len, with_validity.len() - 1);
    let parts = encode_submit("+15556661234", text, &opts()).unwrap();
    assert_eq!(parts[0].hex, to_hex(without_validity));
    assert_eq!(parts[0].tpdu_len, without_validity.len() - 1);
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_create_pdu_ucs2_no_smsc.
#[test]
fn submit_matches_modemmanager_ucs2() {
    let expected: &[u8] = &[
        0x00, 0x11, 0x00, 0x0B, 0x91, 0x51, 0x55, 0x55, 0x15, 0x32, 0xF4, 0x00, 0x08, 0x00, 0x3A,
        0x04, 0x14, 0x04, 0x30, 0x00, 0x20, 0x04, 0x37, 0x04, 0x34, 0x04, 0x40, 0x04, 0x30, 0x04,
        0x32, 0x04, 0x41, 0x04, 0x42, 0x04, 0x32, 0x04, 0x43, 0x04, 0x35, 0x04, 0x42, 0x00, 0x20,
        0x04, 0x3A, 0x04, 0x3E, 0x04, 0x40, 0x04, 0x3E, 0x04, 0x3B, 0x04, 0x4C, 0x00, 0x2C, 0x00,
        0x20, 0x04, 0x34, 0x04, 0x35, 0x04, 0x42, 0x04, 0x3A, 0x04, 0x30, 0x00, 0x21,
    ];
    let five_minutes = SubmitOptions {
        validity_minutes: Some(5),
        ..opts()
    };
    let text = "Да здравствует король, детка!";
    let parts = encode_submit("+15555551234", text, &five_minutes).unwrap();
    assert_eq!(parts[0].hex, to_hex(expected));
    assert_eq!(coding_for(text), Coding::Ucs2);
}

// faucamp/python-gsmmodem test/test_pdu.py,
// TestSmsPdu.test_encodeSmsSubmit_concatenated. That test also sets TP-RD
// (first octet 0x45); this encoder never does (0x41), the one difference.
const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do \
    eiusmod tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, \
    quinostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis \
    aute irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla \
    pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia \
    deserunt mollit anim id est laborum";
const LOREM_PARTS: [&str; 3] = [
    "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB74\
     1668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F472\
     1BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB\
     4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD",
    "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687DBE3\
     37881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2FC7EB61BA\
     8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0DB2BFD975383D\
     4C2F83EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA",
    "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF8\
     71194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E67537\
     1D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C\
     0E6287C56F79BD0D",
];

#[test]
fn submit_concatenated_matches_python_gsmmodem() {
    let parts = encode_submit("+15125551234", LOREM, &opts()).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts_needed(LOREM), 3);
    for (ours, theirs) in parts.iter().zip(LOREM_PARTS) {
        assert_eq!(ours.hex, theirs.replacen("0045", "0041", 1));
    }
    let mut joined = String::new();
    for (i, theirs) in LOREM_PARTS.iter().enumerate() {
        let s = decode_submit(theirs).unwrap();
        assert_eq!(s.to, "+15125551234");
        assert_eq!(s.concat, concat(0, 3, i as u8 + 1));
        joined.push_str(&s.text);
    }
    assert_eq!(joined, LOREM);
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, fourth
// case: status report requested, relative validity 3 days, TP-MR 0x0D.
#[test]
fn decode_submit_python_gsmmodem_diafaan() {
    let s =
        decode_submit("07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701")
            .unwrap();
    assert_eq!(
        s,
        Submit {
            reference: 0x0D,
            to: "+31628870634".into(),
            status_report: true,
            text: "www.diafaan.com".into(),
            concat: None,
        }
    );
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode,
// "Valid UCS-2 PDU" case.
#[test]
fn decode_submit_python_gsmmodem_ucs2() {
    let s = decode_submit("07914346466554F601000B914316565811F9000806304253F68449").unwrap();
    assert_eq!(s.to, "+34616585119");
    assert_eq!(s.text, "あ叶葉");
    assert!(!s.status_report);
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_pdu_stored_by_us: a SUBMIT read back from storage.
#[test]
fn decode_submit_modemmanager_stored_by_us() {
    let hex = "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D\
               4F60597D4F60597D4F60";
    let s = decode_submit(hex).unwrap();
    assert_eq!(s.to, "639337937");
    assert!(s.status_report);
    assert_eq!(s.text, "你好你好你好你好你好你好你好你好你");
    // The appliance must not take its own outgoing message for an incoming one.
    let err = decode_incoming(hex).unwrap_err();
    assert!(matches!(err, PduError::WrongType { .. }), "{err}");
}

// ---- splitting and round trips ----

#[test]
fn four_hundred_characters_make_three_parts() {
    let text: String = (0..400u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let o = SubmitOptions {
        status_report: true,
        validity_minutes: Some(24 * 60),
        concat_ref: 0x42,
    };
    let parts = encode_submit("+358401234567", &text, &o).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts_needed(&text), 3);
    let decoded: Vec<Submit> = parts
        .iter()
        .map(|p| decode_submit(&p.hex).unwrap())
        .collect();
    let lens: Vec<usize> = decoded.iter().map(|s| s.text.len()).collect();
    assert_eq!(lens, [153, 153, 94]);
    for (i, (part, s)) in parts.iter().zip(&decoded).enumerate() {
        // SUBMIT, relative validity, status report, header.
        assert_eq!(&part.hex[..4], "0071");
        assert_eq!(part.tpdu_len * 2 + 2, part.hex.len());
        assert_eq!(s.to, "+358401234567");
        assert!(s.status_report);
        assert_eq!(s.concat, concat(0x42, 3, i as u8 + 1));
    }
    // A full part fills the 140 octets of user data exactly:
    // first, MR, address (length, type, 6 octets), PID, DCS, VP, UDL, UD.
    assert_eq!(parts[0].tpdu_len, 1 + 1 + (2 + 6) + 1 + 1 + 1 + 1 + 140);
    assert_eq!(&parts[0].hex[28..30], "A0", "UDL 160 septets");
    assert_eq!(&parts[2].hex[28..30], "65", "UDL 7 + 94 septets");
    let joined: String = decoded.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(joined, text);
}

#[test]
fn single_part_limits() {
    assert_eq!(parts_needed(&"a".repeat(160)), 1);
    assert_eq!(parts_needed(&"a".repeat(161)), 2);
    assert_eq!(parts_needed(&"a".repeat(306)), 2);
    assert_eq!(parts_needed(&"a".repeat(307)), 3);
    assert_eq!(parts_needed(&"€".repeat(80)), 1);
    assert_eq!(parts_needed(&"€".repeat(81)), 2);
    assert_eq!(parts_needed(&"ж".repeat(70)), 1);
    assert_eq!(parts_needed(&"ж".repeat(71)), 2);
    assert_eq!(parts_needed(&"ж".repeat(134)), 2);
    assert_eq!(parts_needed(&"ж".repeat(135)), 3);
    assert_eq!(parts_needed(&"😀".repeat(35)), 1);
    assert_eq!(parts_needed(""), 1);
    assert_eq!(coding_for("ж"), Coding::Ucs2);
    assert_eq!(coding_for("€"), Coding::Gsm7);
    let single = encode_submit("123", &"a".repeat(160), &opts()).unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].tpdu_len, 1 + 1 + (2 + 2) + 1 + 1 + 1 + 140);
    assert_eq!(&single[0].hex[..4], "0001");
    let empty = encode_submit("123", "", &opts()).unwrap();
    assert_eq!(empty[0].hex, "000100038121F3000000");
    assert_eq!(decode_submit(&empty[0].hex).unwrap().text, "");
}

#[test]
fn extension_character_is_not_split_between_parts() {
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(20));
    let parts = encode_submit("+1", &text, &opts()).unwrap();
    assert_eq!(
        texts(&parts),
        ["a".repeat(152), format!("€{}", "b".repeat(20))]
    );
}

#[test]
fn emoji_round_trip_and_surrogates_stay_together() {
    let text = "Fire alarm 🔥 in building 🏢 — evacuate 🚪";
    let parts = encode_submit("+358401234567", text, &opts()).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(texts(&parts), [text]);

    // 66 units then an emoji: a 67-unit part would cut the pair.
    let long = format!("{}🔥{}", "ж".repeat(66), "ж".repeat(10));
    let parts = encode_submit("+358401234567", &long, &opts()).unwrap();
    let got = texts(&parts);
    assert_eq!(got, ["ж".repeat(66), format!("🔥{}", "ж".repeat(10))]);
    assert_eq!(got.concat(), long);
}

#[test]
fn deliver_round_trip_through_the_simulator_encoder() {
    let text = "Alarm {3} at [Hall B] costs €5 ^_^ ~ok | \\o/";
    let pdus = encode_deliver("+358401234567", text, (24, 3, 9, 14, 5, 7), 9);
    assert_eq!(pdus.len(), 1);
    assert_eq!(
        deliver(&pdus[0]),
        Deliver {
            from: "+358401234567".into(),
            text: text.into(),
            coding: Coding::Gsm7,
            concat: None,
            timestamp: Some("2024-03-09T14:05:07+00:00".into()),
        }
    );

    let long = format!("ACK {}", "ёж🔥".repeat(40));
    let pdus = encode_deliver("Tocsin Alerts", &long, (24, 12, 31, 23, 59, 59), 200);
    assert_eq!(pdus.len(), parts_needed(&long));
    assert!(pdus.len() > 1);
    let mut joined = String::new();
    for (i, pdu) in pdus.iter().enumerate() {
        let d = deliver(pdu);
        assert_eq!(d.from, "Tocsin Aler", "cut to eleven characters");
        assert_eq!(d.coding, Coding::Ucs2);
        assert_eq!(d.concat, concat(200, pdus.len() as u8, i as u8 + 1));
        joined.push_str(&d.text);
    }
    assert_eq!(joined, long);

    let national = encode_deliver("0401234567", "hi", (0, 1, 1, 0, 0, 0), 0);
    assert_eq!(deliver(&national[0]).from, "0401234567");
    let long_gsm = encode_deliver("+1", &"x".repeat(400), (0, 1, 1, 0, 0, 0), 3);
    let joined: String = long_gsm.iter().map(|p| deliver(p).text).collect();
    assert_eq!(joined, "x".repeat(400));
}

// faucamp/python-gsmmodem test/test_pdu.py, TestSmsPduAddressFields:
// "FRANCOIS" is 0ED04669D0397C26A7 as an alphanumeric address.
#[test]
fn alphanumeric_originator_matches_python_gsmmodem() {
    let pdu = &encode_deliver("FRANCOIS", "x", (0, 1, 1, 0, 0, 0), 0)[0];
    assert_eq!(&pdu[4..22], "0ED04669D0397C26A7");
    assert_eq!(deliver(pdu).from, "FRANCOIS");
    // Same table: "a[]{}€" is 14D0E10D6FE3DBA036A94D19.
    let pdu = &encode_deliver("a[]{}€", "x", (0, 1, 1, 0, 0, 0), 0)[0];
    assert_eq!(&pdu[4..28], "14D0E10D6FE3DBA036A94D19");
    assert_eq!(deliver(pdu).from, "a[]{}€");
}

// linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
// test_address_encode_unknown and test_address_encode_intl.
#[test]
fn destination_address_matches_modemmanager() {
    let national = encode_submit("9037029920", "x", &opts()).unwrap();
    assert_eq!(&national[0].hex[6..20], "0A810973209902");
    let international = encode_submit("+19037029920", "x", &opts()).unwrap();
    assert_eq!(&international[0].hex[6..22], "0B919130079229F0");
}

#[test]
fn status_report_round_trip() {
    let s = report(&encode_status_report(77, "+358401234567", 0x46));
    assert_eq!(
        s,
        StatusReport {
            reference: 77,
            recipient: "+358401234567".into(),
            status: 0x46
        }
    );
    assert_eq!(
        status_meaning(s.status),
        DeliveryStatus::Failed("validity period expired")
    );
    let national = report(&encode_status_report(1, "0401234567", 0));
    assert_eq!(national.recipient, "0401234567");
}

#[test]
fn status_meanings() {
    assert_eq!(status_meaning(0x00), DeliveryStatus::Delivered);
    assert_eq!(status_meaning(0x01), DeliveryStatus::Delivered);
    assert_eq!(status_meaning(0x02), DeliveryStatus::Delivered);
    assert_eq!(status_meaning(0x20), DeliveryStatus::Pending);
    assert_eq!(status_meaning(0x3F), DeliveryStatus::Pending);
    assert_eq!(
        status_meaning(0x43),
        DeliveryStatus::Failed("the recipient's number is unknown or barred")
    );
    assert_eq!(
        status_meaning(0x6F),
        DeliveryStatus::Failed("the network gave up after temporary errors")
    );
    for st in 0x40..=0xFF {
        assert!(matches!(status_meaning(st), DeliveryStatus::Failed(_)));
    }
}

// faucamp/python-gsmmodem test/test_pdu.py, TestRelativeValidityPeriod.
#[test]
fn relative_validity_python_gsmmodem() {
    let cases = [
        (30, 5),
        (16 * 60, 151),
        (3 * 24 * 60, 169),
        (5 * 7 * 24 * 60, 197),
    ];
    for (minutes, vp) in cases {
        assert_eq!(relative_validity(minutes), vp);
        assert_eq!(relative_validity_minutes(vp), minutes);
    }
    assert_eq!(relative_validity(0), 0);
    assert_eq!(relative_validity(6), 1, "rounds up");
    assert_eq!(relative_validity(u32::MAX), 255);
    for vp in 0..=255u8 {
        assert_eq!(relative_validity(relative_validity_minutes(vp)), vp);
    }
}

#[test]
fn bad_destinations_are_refused() {
    let too_long = "1".repeat(21);
    for to in [
        "",
        "+",
        "12a4",
        "+358 40",
        "-1",
        "++1",
        too_long.as_str(),
        "+٣٤٥",
    ] {
        let result = encode_submit(to, "x", &opts());
        assert!(matches!(result, Err(PduError::BadNumber { .. })), "{to:?}");
    }
    assert!(encode_submit(&format!("+{}", "1".repeat(20)), "x", &opts()).is_ok());
}

#[test]
fn too_many_parts_is_an_error() {
    let text = "a".repeat(153 * 255);
    assert_eq!(encode_submit("1", &text, &opts()).unwrap().len(), 255);
    let text = "a".repeat(153 * 255 + 1);
    let result = encode_submit("1", &text, &opts());
    assert!(matches!(result, Err(PduError::TooLong(256))));
    assert_eq!(encode_deliver("1", &text, (0, 1, 1, 0, 0, 0), 0).len(), 255);
}

#[test]
fn junk_input_is_an_error_not_a_panic() {
    assert!(matches!(decode_incoming(""), Err(PduError::Empty)));
    assert!(matches!(decode_incoming("  \n"), Err(PduError::Empty)));
    assert!(matches!(decode_incoming("0"), Err(PduError::OddLength(1))));
    assert!(matches!(
        decode_incoming("000"),
        Err(PduError::OddLength(3))
    ));
    assert!(matches!(
        decode_incoming("00ZZ"),
        Err(PduError::NotHex('Z', 3))
    ));
    assert!(matches!(
        decode_incoming("00é0"),
        Err(PduError::NotHex('é', 3))
    ));
    assert!(decode_submit("00").is_err());
    assert!(decode_submit("0x01").is_err());
    // Every truncation of valid PDUs fails cleanly.
    let pdu2 = to_hex(MM_PDU2);
    for sample in [MM_MULTIPART_2, PY_STATUS_REPORT, MM_STATUS_REPORT, &pdu2] {
        for end in (0..sample.len()).step_by(2) {
            assert!(decode_incoming(&sample[..end]).is_err(), "{end}");
        }
    }
    for end in (0..LOREM_PARTS[2].len()).step_by(2) {
        assert!(decode_submit(&LOREM_PARTS[2][..end]).is_err(), "{end}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic generator: enough variety to reach every
    // branch of the field readers without a dependency.
    let mut state: u32 = 0x1234_5678;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 60) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let hex = to_hex(&bytes);
        let _ = decode_incoming(&hex);
        let _ = decode_submit(&hex);
        let _ = decode_incoming(&format!("00{hex}"));
        let _ = decode_submit(&format!("00{hex}"));
    }
}

/// A DELIVER from +27821234567 with UCS-2 user data given as hex.
fn ucs2_deliver_with(first: &str, ud: &str) -> String {
    let (address, pid, dcs, scts) = ("0B917228214365F7", "00", "08", "31300000000000");
    format!("00{first}{address}{pid}{dcs}{scts}{:02X}{ud}", ud.len() / 2)
}

#[test]
fn user_data_headers() {
    // An element of another kind before the concatenation element is
    // stepped over by its own length.
    let d = deliver(&ucs2_deliver_with(
        "40",
        "090A02AAAA0003070201", /* UDH */
    ));
    assert_eq!(d.concat, concat(7, 2, 1));
    let d = deliver(&ucs2_deliver_with("40", "090A02AAAA000307020100480069"));
    assert_eq!(d.text, "Hi");
    // Sequence 0 is impossible; §9.2.3.24.1 says to ignore the element.
    let d = deliver(&ucs2_deliver_with("40", "050003070200"));
    assert_eq!(d.concat, None);
    // A header longer than the user data is an error.
    let err = decode_incoming(&ucs2_deliver_with("40", "2000030102")).unwrap_err();
    assert!(matches!(err, PduError::BadHeader { .. }), "{err}");
    // UDHI with no user data at all.
    let err = decode_incoming(&ucs2_deliver_with("40", "")).unwrap_err();
    assert!(matches!(err, PduError::BadHeader { .. }), "{err}");
    // An element whose length runs past the header ends the walk.
    let d = deliver(&ucs2_deliver_with("40", "03000907"));
    assert_eq!(d.concat, None);
    // A lone high surrogate (a sender that cut a pair) becomes U+FFFD.
    let d = deliver(&ucs2_deliver_with("00", "D83D0041"));
    assert_eq!(d.text, "\u{FFFD}A");
}

#[test]
fn dcs_groups() {
    let cases = [
        (0x00, Coding::Gsm7),
        (0x04, Coding::EightBit),
        (0x08, Coding::Ucs2),
        (0x0C, Coding::EightBit),
        (0x11, Coding::Gsm7),
        (0x18, Coding::Ucs2),
        (0x28, Coding::EightBit),
        (0x48, Coding::Ucs2),
        (0x90, Coding::EightBit),
        (0xC0, Coding::Gsm7),
        (0xD8, Coding::Gsm7),
        (0xE0, Coding::Ucs2),
        (0xF0, Coding::Gsm7),
        (0xF5, Coding::EightBit),
    ];
    for (dcs, coding) in cases {
        assert_eq!(coding_of(dcs), coding, "{dcs:#04x}");
    }
}

#[test]
fn bad_timestamps_are_none_not_errors() {
    let hex = "00040B917228214365F700003130FF00000000020000";
    let d = deliver(hex);
    assert_eq!(d.timestamp, None);
    assert_eq!(d.text, "@@");
}

#[test]
fn errors_read_well() {
    let err = decode_incoming("0791").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the PDU ends early at octet 2, in the SMSC address"
    );
    let err = encode_submit("12a", "x", &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot send to \"12a\": a phone number may only have digits after an optional leading +"
    );
    let err = decode_submit(PY_STATUS_REPORT).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this PDU holds an SMS-STATUS-REPORT or SMS-COMMAND, where an SMS-SUBMIT was expected"
    );
}
