use super::*;
use crate::hw::tetra::pei::{parse_ctsdsr, ssi_of, SdsHeader};

fn text(sds: Sds) -> TextSds {
    match sds {
        Sds::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

fn callout(sds: Sds) -> Callout {
    match sds {
        Sds::Callout(c) => c,
        other => panic!("expected a callout, got {other:?}"),
    }
}

fn hex_of(pdus: &[Vec<u8>]) -> Vec<String> {
    pdus.iter().map(|p| to_hex(p)).collect()
}

const NO_REPORT: ReportRequest = ReportRequest {
    received: false,
    consumed: false,
};
const RECEIVED: ReportRequest = ReportRequest {
    received: true,
    consumed: false,
};
const BOTH: ReportRequest = ReportRequest {
    received: true,
    consumed: true,
};

// ---- ftl/tetra-pei sds/sds_test.go, TestParseMessage ----

// "status": +CTSDSR: 13,1234567,0,2345678,0,16 / 8004 (Status2).
#[test]
fn status_tetra_pei() {
    let h = parse_ctsdsr("+CTSDSR: 13,1234567,0,2345678,0,16").unwrap();
    assert_eq!(
        decode(h.ai_service, h.bits, "8004").unwrap(),
        Sds::Status(0x8004)
    );
}

// "simple text message" and "simple text message without text".
#[test]
fn simple_text_tetra_pei() {
    let t = text(decode(12, 104, "0201746573746D657373616765").unwrap());
    assert_eq!(
        t,
        TextSds {
            pid: PID_SIMPLE_TEXT,
            reference: 0,
            report: NO_REPORT,
            group_service: false,
            coding: 1,
            text: "testmessage".into(),
            concat: None,
        }
    );
    assert_eq!(text(decode(12, 16, "0201").unwrap()).text, "");
}

// "immediate simple text message".
#[test]
fn simple_immediate_text_tetra_pei() {
    let t = text(decode(12, 104, "0901746573746D657373616765").unwrap());
    assert_eq!((t.pid, t.text.as_str()), (0x09, "testmessage"));
}

// "text message, no report, no store/forward, no timestamp" (testmessage).
#[test]
fn text_message_tetra_pei_testmessage() {
    let t = text(decode(12, 120, "82029C01746573746D657373616765").unwrap());
    assert_eq!(
        t,
        TextSds {
            pid: PID_TEXT,
            reference: 0x9C,
            report: NO_REPORT,
            group_service: true,
            coding: 1,
            text: "testmessage".into(),
            concat: None,
        }
    );
}

// "immediate text message, no report, no store/forward, no timestamp".
#[test]
fn immediate_text_tetra_pei() {
    let t = text(decode(12, 120, "89029C01746573746D657373616765").unwrap());
    assert_eq!((t.pid, t.reference), (PID_IMMEDIATE_TEXT, 0x9C));
    assert_eq!(t.text, "testmessage");
}

// "text message, no report, store/forward to SSI, no timestamp":
// 0x51 = validity 10 (5 minutes), address type 1, SSI 01 02 03.
#[test]
fn store_forward_tetra_pei() {
    let t = text(decode(12, 152, "82039C5101020301746573746D657373616765").unwrap());
    assert_eq!((t.reference, t.text.as_str()), (0x9C, "testmessage"));
}

// "text message, no report, no store/forward, with timestamp".
#[test]
fn timestamp_is_skipped_tetra_pei() {
    let t = text(decode(12, 144, "82029C81045A8F746573746D657373616765").unwrap());
    assert_eq!((t.coding, t.text.as_str()), (1, "testmessage"));
}

// "concatenated text message part 1 of 2" and "part 2 of 2".
#[test]
fn concatenated_parts_tetra_pei() {
    let one = text(decode(12, 192, "8A02C981045A8F050003C90201746573746D657373616765").unwrap());
    let two = text(decode(12, 192, "8A02CA81045A8F050003C90202746573746D657373616765").unwrap());
    assert_eq!((one.pid, one.reference), (PID_CONCAT_TEXT, 0xC9));
    assert_eq!(
        one.concat,
        Some(Concat {
            reference: 0xC9,
            total: 2,
            seq: 1
        })
    );
    assert_eq!(two.reference, 0xCA);
    assert_eq!(
        two.concat,
        Some(Concat {
            reference: 0xC9,
            total: 2,
            seq: 2
        })
    );
    assert_eq!(one.text, "testmessage");
}

// "SDS-REPORT success, no ack, no store/forward" and "… ack required".
#[test]
fn sds_report_tetra_pei() {
    assert_eq!(
        decode(12, 32, "821000C9").unwrap(),
        Sds::Report {
            pid: 0x82,
            status: 0x00,
            reference: 0xC9
        }
    );
    assert_eq!(
        decode(12, 32, "821800CA").unwrap(),
        Sds::Report {
            pid: 0x82,
            status: 0x00,
            reference: 0xCA
        }
    );
}

// "SDS-ACK success": status 0x01, receipt report acknowledgement.
#[test]
fn sds_ack_tetra_pei() {
    assert_eq!(
        decode(12, 32, "822001C9").unwrap(),
        Sds::Ack {
            pid: 0x82,
            status: 0x01,
            reference: 0xC9
        }
    );
}

// "SDS-SHORT-REPORT success": 7ACA on the status service reads as
// "received", reference 0xCA. tetra-pei's encoder would write 7ECA
// (0x7C | 2); both are accepted (note §3, unverified).
#[test]
fn short_report_tetra_pei() {
    let expected = Sds::ShortReport {
        kind: 2,
        reference: 0xCA,
    };
    assert_eq!(decode(13, 16, "7ACA").unwrap(), expected);
    assert_eq!(decode(13, 16, "7ECA").unwrap(), expected);
    assert_eq!(decode(12, 16, "7ECA").unwrap(), expected);
    assert_eq!(decode(12, 16, "7ACA").unwrap(), expected);
    // BOS statuses stay statuses.
    assert_eq!(decode(13, 16, "80F2").unwrap(), Sds::Status(0x80F2));
}

// ---- ftl/tetra-pei sds/sds_test.go, TestEncode (later version) ----

// "SDS-TRANSFER text message, delivery report requested" is
// 82 06 C9 81 44 5A 0F + text: it reads back, timestamp skipped. The
// encoder sends no timestamp, so its own output is that PDU without
// the three timestamp octets and with bit 7 of the coding octet clear.
#[test]
fn transfer_with_report_request_tetra_pei() {
    let t = text(decode(12, 144, "8206C981445A0F746573746D657373616765").unwrap());
    assert_eq!(
        (t.report, t.group_service, t.reference),
        (RECEIVED, true, 0xC9)
    );
    let pdus = encode_text("testmessage", 0xC9, RECEIVED, true, false, 668).unwrap();
    assert_eq!(hex_of(&pdus), ["8206C901746573746D657373616765"]);
}

// "SDS-TRANSFER concatenated text message with UDH".
#[test]
fn encoded_udh_vector_reads_back_tetra_pei() {
    let t = text(decode(12, 192, "8A02C981445A0F050003C90201746573746D657373616765").unwrap());
    assert_eq!(
        t.concat,
        Some(Concat {
            reference: 0xC9,
            total: 2,
            seq: 1
        })
    );
    assert_eq!(t.text, "testmessage");
}

// ---- ftl/tetra-pei sds/stack_test.go ----

// TestStack_Put_TextMessage_ReceiptReportRequested answers ref 0xC9 with
// "AT+CMGS=1234567,32\r\n821000C9\x1a".
#[test]
fn report_reply_tetra_pei_stack() {
    assert_eq!(to_hex(&encode_report(PID_TEXT, 0x00, 0xC9)), "821000C9");
}

// ---- sm0svx/svxlink PR #576 (TetraLogic) ----

// Received "Gjatjajgja" with a receipt report requested, ref 08, and
// the reply createCfmSDS builds for it: AT+CMGS=23404,032 / 82100008.
#[test]
fn gjatjajgja_svxlink() {
    let h = parse_ctsdsr("+CTSDSR: 12,23404,0,23401,0,112").unwrap();
    let t = text(decode(h.ai_service, h.bits, "82040801476A61746A616A676A61").unwrap());
    assert_eq!(
        t,
        TextSds {
            pid: PID_TEXT,
            reference: 0x08,
            report: RECEIVED,
            group_service: false,
            coding: 1,
            text: "Gjatjajgja".into(),
            concat: None,
        }
    );
    assert_eq!(to_hex(&encode_report(t.pid, 0x00, t.reference)), "82100008");
    assert_eq!(ssi_of(h.from.as_deref().unwrap()), Some(23404));
}

// ---- research note §7, built transcripts (C) ----

// "Brand B3 Hauptstr 5", DRR 11, ref 0x2A, then its two reports.
#[test]
fn note_text_and_reports() {
    let pdus = encode_text("Brand B3 Hauptstr 5", 0x2A, BOTH, false, false, 668).unwrap();
    assert_eq!(
        hex_of(&pdus),
        ["820C2A014272616E642042332048617570747374722035"]
    );
    assert_eq!(pdus[0].len() * 8, 184);
    for (hex, meaning) in [
        ("8210002A", ReportMeaning::Received),
        ("8210022A", ReportMeaning::Consumed),
    ] {
        let Sds::Report {
            status, reference, ..
        } = decode(12, 32, hex).unwrap()
        else {
            panic!("not a report")
        };
        assert_eq!(reference, 0x2A);
        assert_eq!(delivery_status_meaning(status), meaning);
    }
}

// ---- Wodie/tetra_4_pttlink TetraLib.pm: an 84-bit LIP ----

// Motorola sends 22 hex digits, Sepura 21; both give the same octets.
#[test]
fn lip_is_kept_and_nibble_quirk_wodie() {
    let h = parse_ctsdsr("+CTSDSR: 12,2269001,0,9999,0,84").unwrap();
    let expected = Sds::Other {
        pid: 0x0A,
        data: vec![0x11, 0x28, 0x53, 0xA9, 0xFF, 0x4D, 0x4F, 0xFF, 0xE8, 0x10],
    };
    assert_eq!(
        decode(h.ai_service, h.bits, "0A112853A9FF4D4FFFE810").unwrap(),
        expected
    );
    assert_eq!(
        decode(h.ai_service, h.bits, "0A112853A9FF4D4FFFE81").unwrap(),
        expected
    );
}

// ---- +CTSDSR headers ----

// ftl/tetra-pei sds/sds_test.go TestParseHeader: the minimum set, with
// identity type, with source, and with e2ee last (V2.7.1 order, PR #1).
#[test]
fn headers_tetra_pei() {
    let h = parse_ctsdsr("+CTSDSR: 12,1234567,16").unwrap();
    assert_eq!(
        (h.ai_service, h.from.clone(), h.to.as_str(), h.bits),
        (12, None, "1234567", 16)
    );
    let h = parse_ctsdsr("+CTSDSR: 12,1234567,0,16").unwrap();
    assert_eq!((h.to.as_str(), h.to_type, h.bits), ("1234567", 0, 16));
    let h = parse_ctsdsr("+CTSDSR: 12,1234567,0,2345678,0,16").unwrap();
    assert_eq!(
        h,
        SdsHeader {
            ai_service: 12,
            from: Some("1234567".into()),
            from_type: Some(0),
            to: "2345678".into(),
            to_type: 0,
            bits: 16,
            e2ee: None,
            inline_hex: None,
        }
    );
    let h = parse_ctsdsr("+CTSDSR: 12,1234567,0,2345678,0,16,1").unwrap();
    assert_eq!((h.bits, h.e2ee), (16, Some(1)));
    // The order tetra-pei's test had before PR #1: e2ee, then length.
    let h = parse_ctsdsr("+CTSDSR: 12,1234567,0,2345678,0,1,16").unwrap();
    assert_eq!((h.bits, h.e2ee), (16, Some(1)));
}

// Research note §2.5/§7: German BOS header with TSIs and e2ee (ftl/tetra-pei test).
#[test]
fn bos_tsi_header_tetra_pei() {
    let h = parse_ctsdsr("+CTSDSR: 12,262100101234567,1,262100102345678,1,808,1").unwrap();
    assert_eq!(h.from.as_deref(), Some("262100101234567"));
    assert_eq!(
        (h.from_type, h.to_type, h.bits, h.e2ee),
        (Some(1), 1, 808, Some(1))
    );
    assert_eq!(h.octets(), 101);
    assert_eq!(ssi_of(&h.to), Some(2345678));
}

// Hex on the header line (an older svxlink, note §2.5); the hex is the
// svxlink PR #576 "Gjatjajgja" PDU.
#[test]
fn inline_hex_header() {
    let h = parse_ctsdsr("+CTSDSR: 12,23404,0,23401,0,112, 82040801476A61746A616A676A61").unwrap();
    assert_eq!(h.e2ee, None);
    let hex = h.inline_hex.unwrap();
    assert_eq!(
        text(decode(h.ai_service, h.bits, &hex).unwrap()).text,
        "Gjatjajgja"
    );
    let h = parse_ctsdsr("+ctsdsr:13,1234567,0,2345678,0,16,0,8004").unwrap();
    assert_eq!((h.e2ee, h.inline_hex.as_deref()), (Some(0), Some("8004")));
    // Calling identity left empty rather than left out.
    let h = parse_ctsdsr("+CTSDSR: 12,,,2345678,0,32\r").unwrap();
    assert_eq!((h.from, h.from_type, h.bits), (None, None, 32));
}

#[test]
fn bad_headers_are_errors() {
    for line in [
        "",
        "+CTSDSR:",
        "+CMGS: 0,4,7",
        "+CTSDSR: 12,1234567",
        "+CTSDSR: 12,1234567,0,2345678,16",
        "+CTSDSR: x,1234567,16",
        "+CTSDSR: 12,1234567,sixteen",
        "+CTSDSR: 12,,16",
        "+CTSDSR: 12,1,0,2,0,16,1,80,04",
        "+CTSDSR: 12,1,x,2,0,16",
        "+CTSDSR: 12,1,0,2,0,16,zz",
        "+CTSDSR: 300,1,16",
        "+CTSDSRé",
    ] {
        assert!(parse_ctsdsr(line).is_err(), "{line:?}");
    }
}

// svxlink: "+CNUMF: 6,09011638300023401" is the radio's own TSI, and
// its SSI 23401 is the called party of the PR #576 transcript.
#[test]
fn ssi_of_identities() {
    assert_eq!(ssi_of("1234567"), Some(1234567));
    assert_eq!(ssi_of(" 23404 "), Some(23404));
    assert_eq!(ssi_of("262100101234567"), Some(1234567));
    assert_eq!(ssi_of("09011638300023401"), Some(23401));
    assert_eq!(ssi_of("16777215"), Some(0xFF_FFFF));
    for bad in [
        "",
        "12a4",
        "-1",
        "123456789",
        "99999999",
        "262100199999999",
        "123456789012345678",
    ] {
        assert_eq!(ssi_of(bad), None, "{bad:?}");
    }
}

// ---- BOS decoration, ftl/tetra-pei sds/text_test.go ----

// TestSplitLeadingOPTA and TestSplitTrailingITSI cases.
#[test]
fn bos_decoration_tetra_pei() {
    assert_eq!(strip_bos_decoration("testmessage"), "testmessage");
    assert_eq!(strip_bos_decoration("ABCD FG#1234567890123456"), "");
    assert_eq!(
        strip_bos_decoration("ABCD FG#1234567890123456testmessage"),
        "testmessage"
    );
    assert_eq!(
        strip_bos_decoration("testmessage\r\r1234567890123456"),
        "testmessage"
    );
    assert_eq!(
        strip_bos_decoration("testmessage\x1a\x001234567890123456"),
        "testmessage"
    );
    // Near misses stay as they are.
    assert_eq!(
        strip_bos_decoration("Call #123456789012345"),
        "Call #123456789012345"
    );
    assert_eq!(
        strip_bos_decoration("A1#1234567890123456x"),
        "A1#1234567890123456x"
    );
    assert_eq!(
        strip_bos_decoration("#1234567890123456x"),
        "#1234567890123456x"
    );
    assert_eq!(
        strip_bos_decoration("x\r\r123456789012345"),
        "x\r\r123456789012345"
    );
    assert_eq!(
        strip_bos_decoration("Ü#12345678901234é"),
        "Ü#12345678901234é"
    );
}

#[test]
fn decoded_text_loses_its_decoration() {
    let mut pdu = vec![0x82, 0x00, 0x01, 0x01];
    pdu.extend(b"FL MS#1234567890123456Brand\x1a\x001234567890123456");
    assert_eq!(text(decode(12, 0, &to_hex(&pdu)).unwrap()).text, "Brand");
}

// ---- Callout ----

// dirkforpresident/freetetra internal/service/sds_codec_test.go,
// TestBuildSDSPayload_CalloutStructure: the default alert "Gate 3" is
// C3 00 <ref> 01 10 01 00 "Gate 3", the first reference being 1.
#[test]
fn callout_gate_3_freetetra() {
    let c = Callout {
        message_type: 0,
        reference: 1,
        report: NO_REPORT,
        function: CalloutFunction::Alert,
        number: 0,
        severity: 1,
        end: false,
        text: "Gate 3".into(),
    };
    let pdu = encode_callout(&c).unwrap();
    assert_eq!(to_hex(&pdu), "C3000101100100476174652033");
    assert_eq!(
        callout(decode(12, pdu.len() * 8, &to_hex(&pdu)).unwrap()),
        c
    );
}

// Research note §5/§7, built example: alert, callout 5, severity 3,
// reference 7, "B3 Hauptstr 5", 160 bits. It matches the table.
#[test]
fn callout_note_example() {
    let c = Callout {
        message_type: 0,
        reference: 7,
        report: NO_REPORT,
        function: CalloutFunction::Alert,
        number: 5,
        severity: 3,
        end: false,
        text: "B3 Hauptstr 5".into(),
    };
    let pdu = encode_callout(&c).unwrap();
    assert_eq!(to_hex(&pdu), "C300070115030042332048617570747374722035");
    assert_eq!(pdu.len() * 8, 160);
    assert_eq!(
        callout(decode(12, 160, "C300070115030042332048617570747374722035").unwrap()),
        c
    );
}

// freetetra TestParseCalloutPayload_LegacyMissingControlByte, a field
// sample: the text follows octet 5 directly; severity 0 from a radio.
#[test]
fn callout_without_control_octet_freetetra() {
    let c = callout(decode(12, 0, "C3000A01380052656A656374").unwrap());
    assert_eq!(
        (c.function, c.number, c.severity, c.end),
        (CalloutFunction::Info, 8, 0, false)
    );
    assert_eq!((c.reference, c.text.as_str()), (0x0A, "Reject"));
    // 'P' is 0x50: bit 4 alone already rules out a control octet.
    let c = callout(decode(12, 0, "C3000A0138005061757365").unwrap());
    assert_eq!((c.end, c.text.as_str()), (false, "Pause"));
}

// freetetra TestDetectSDSKind, case "callout".
#[test]
fn callout_detect_kind_freetetra() {
    let c = callout(decode(12, 0, "C300010110010074657374").unwrap());
    assert_eq!(
        (c.function, c.severity, c.text.as_str()),
        (CalloutFunction::Alert, 1, "test")
    );
}

// freetetra TestParseCalloutPayloadAndEnvelope and
// TestBuildSDSPayload_CalloutWithOptions: its own "v2" extension layout.
#[test]
fn callout_v2_extension_freetetra() {
    let c = callout(decode(12, 0, "C3241181104DA0806F6B").unwrap());
    assert_eq!((c.message_type, c.report, c.reference), (2, RECEIVED, 0x11));
    assert_eq!(
        (c.function, c.number, c.text.as_str()),
        (CalloutFunction::Alert, 0x4D, "ok")
    );
    let c = callout(decode(12, 0, "C3252A814009FFE078").unwrap());
    assert_eq!(
        (c.message_type, c.reference, c.function),
        (2, 42, CalloutFunction::Clear)
    );
    assert_eq!(
        (c.number, c.severity, c.end, c.text.as_str()),
        (9, 15, true, "x")
    );
}

// A callout reply and an end flag survive the round trip.
#[test]
fn callout_response_round_trip() {
    let c = Callout {
        message_type: 2,
        reference: 0xFF,
        report: BOTH,
        function: CalloutFunction::Availability,
        number: 15,
        severity: 0,
        end: true,
        text: "Komme, 5 min – ÄÖÜ".into(),
    };
    let pdu = encode_callout(&c).unwrap();
    let back = callout(decode(12, 0, &to_hex(&pdu)).unwrap());
    assert_eq!(back.text, "Komme, 5 min ? ÄÖÜ");
    assert_eq!(
        Callout {
            text: c.text.clone(),
            ..back
        },
        c
    );
}

#[test]
fn bad_callouts_are_refused() {
    let good = Callout {
        message_type: 0,
        reference: 1,
        report: NO_REPORT,
        function: CalloutFunction::Test,
        number: 1,
        severity: 1,
        end: false,
        text: String::new(),
    };
    assert!(encode_callout(&good).is_ok());
    for bad in [
        Callout {
            number: 16,
            ..good.clone()
        },
        Callout {
            severity: 0,
            ..good.clone()
        },
        Callout {
            severity: 16,
            ..good.clone()
        },
        Callout {
            message_type: 16,
            ..good.clone()
        },
        Callout {
            text: "x".repeat(249),
            ..good.clone()
        },
    ] {
        assert!(encode_callout(&bad).is_err(), "{bad:?}");
    }
    assert!(encode_callout(&Callout {
        text: "x".repeat(248),
        ..good
    })
    .is_ok());
}

// ftl/tetra-pei sds/stack_test.go
// TestStack_Put_MultiPartConcatenatedSDSMessage: a Callout between
// German BOS TSIs (262 1001…) in two 0x8C parts; this is part 1's
// payload, from its PID C3: sub-addresses, 0xFF, text. Its layout is
// not v1, and it must not be read as a v1 alert.
const BOS_CALLOUT_PART_1: &str = "\
    C30D196711111C000B000C000D000E13BC13BD13ED13F013F113F413F6141914231466FF\
    54657374FE0A546573745465737454657374546573745465737454657374546573745465\
    7374546573740A5465737454657374546573740A54657374546573745465737454";

#[test]
fn tip_callout_is_not_misread_tetra_pei_sample() {
    let sds = decode(12, 0, BOS_CALLOUT_PART_1).unwrap();
    let Sds::Other { pid, data } = sds else {
        panic!("read as {sds:?}")
    };
    assert_eq!(pid, PID_CALLOUT);
    let text = tip_callout_text(&data).unwrap();
    assert!(text.starts_with("Test\u{fe}\nTestTest"), "{text:?}");
    assert!(text.ends_with("\nTestTestTestT"), "{text:?}");
    // v1 callouts are not TIP-shaped.
    for v1 in [
        "C3000101100100476174652033",
        "C300070115030042332048617570747374722035",
    ] {
        let octets = parse_hex(v1).unwrap();
        assert_eq!(tip_callout_text(&octets[1..]), None);
    }
}

#[test]
fn short_callout_reports_are_reports() {
    assert_eq!(
        decode(12, 32, "C3100207").unwrap(),
        Sds::Report {
            pid: PID_CALLOUT,
            status: 0x02,
            reference: 7
        }
    );
    assert!(decode(12, 0, "C300070115").is_err());
    // An unknown function is kept, not guessed at.
    assert!(matches!(
        decode(12, 0, "C3000701F50300").unwrap(),
        Sds::Other {
            pid: PID_CALLOUT,
            ..
        }
    ));
}

// ---- encoding text ----

#[test]
fn codings() {
    assert_eq!(coding_for("abc"), TextCoding::Latin1);
    assert_eq!(coding_for("Grüße ½"), TextCoding::Latin1);
    assert_eq!(coding_for("5 €, Œuvre"), TextCoding::Latin9);
    assert_eq!(coding_for("½ €"), TextCoding::Utf16);
    assert_eq!(coding_for("Пожар"), TextCoding::Utf16);
    assert_eq!(coding_for("🚒"), TextCoding::Utf16);
    for c in [TextCoding::Latin1, TextCoding::Latin9, TextCoding::Utf16] {
        assert_eq!(TextCoding::from_code(c.code()), Some(c));
    }
    // Tetra-Terminal's "…0D" Latin-9 text: A4 is the euro sign there.
    let t = text(decode(12, 0, "8200010D35A4").unwrap());
    assert_eq!((t.coding, t.text.as_str()), (13, "5€"));
    // An unknown coding is read as Latin-1.
    assert_eq!(text(decode(12, 0, "8200010541").unwrap()).text, "A");
}

#[test]
fn latin9_and_utf16_round_trip() {
    for s in ["Einsatz: 5 € Pfand, Œ", "Пожар 🚒 на улице", ""] {
        let pdus = encode_text(s, 9, NO_REPORT, true, true, 668).unwrap();
        assert_eq!(pdus.len(), 1);
        let t = text(decode(12, 0, &to_hex(&pdus[0])).unwrap());
        assert_eq!(
            (t.pid, t.coding, t.text.as_str()),
            (PID_IMMEDIATE_TEXT, coding_for(s).code(), s)
        );
    }
}

/// Decodes `pdus`, checks sizes, order and references, and reassembles.
fn reassemble(pdus: &[Vec<u8>], max_bits: usize, first_ref: u8) -> String {
    let mut out = String::new();
    let mut tl_ref = first_ref;
    for (i, pdu) in pdus.iter().enumerate() {
        assert!(
            pdu.len() * 8 <= max_bits,
            "part {i} is {} bits",
            pdu.len() * 8
        );
        let t = text(decode(12, pdu.len() * 8, &to_hex(pdu)).unwrap());
        assert_eq!(t.reference, tl_ref);
        tl_ref = next_reference(tl_ref);
        if pdus.len() > 1 {
            assert_eq!(t.pid, PID_CONCAT_TEXT);
            let c = t.concat.unwrap();
            assert_eq!((c.total as usize, c.seq as usize), (pdus.len(), i + 1));
        }
        assert!(
            !t.text.contains(char::REPLACEMENT_CHARACTER),
            "part {i} cut a pair"
        );
        out.push_str(&t.text);
    }
    out
}

#[test]
fn long_utf16_with_emoji_splits_and_round_trips() {
    let s = "🚒 Brand in Halle 3 – 🔥🔥 Атмосфера, bitte sofort kommen! 🚑🚓 ".repeat(6);
    // 83 octets: 73 per part, an odd count, so pairs must move whole.
    let pdus = encode_text(&s, 0xFE, BOTH, false, false, 668).unwrap();
    assert!(pdus.len() > 3);
    assert_eq!(reassemble(&pdus, 668, 0xFE), s);
    assert_eq!(&pdus[0][..4], &[PID_CONCAT_TEXT, 0x0C, 0xFE, 26]);
    assert_eq!(
        &pdus[0][4..10],
        &[0x05, 0x00, 0x03, 0xFE, pdus.len() as u8, 1]
    );
    // Message references wrap past 0: FE, FF, 01.
    assert_eq!((pdus[1][2], pdus[2][2]), (0xFF, 0x01));
    // Every UTF-16 part carries whole code units: an even text length.
    for pdu in &pdus {
        assert_eq!((pdu.len() - 10) % 2, 0);
    }
}

#[test]
fn emoji_only_text_in_tiny_parts() {
    // 96 bits are 12 octets; a part's 10 header octets leave 2 for
    // text: one code unit, never a pair.
    assert!(matches!(
        encode_text("🚒🚑🚓", 1, NO_REPORT, false, false, 96),
        Err(SdsError::MaxBitsTooSmall(96))
    ));
    // Four octets take exactly one emoji per part.
    let pdus = encode_text("🚒🚑🚓", 1, NO_REPORT, false, false, 112).unwrap();
    assert_eq!(pdus.len(), 3);
    assert_eq!(reassemble(&pdus, 112, 1), "🚒🚑🚓");
}

#[test]
fn latin1_splits_at_capacity() {
    // One PDU holds 79 octets of text at 668 bits; 80 need two parts of
    // up to 73.
    let s79 = "a".repeat(79);
    assert_eq!(
        encode_text(&s79, 1, NO_REPORT, false, false, 668)
            .unwrap()
            .len(),
        1
    );
    let s80 = "b".repeat(80);
    let pdus = encode_text(&s80, 1, NO_REPORT, false, false, 668).unwrap();
    assert_eq!(pdus.len(), 2);
    assert_eq!(pdus[0].len(), 83);
    assert_eq!(reassemble(&pdus, 668, 1), s80);
    // A profile above 2047 bits is held to SDS type 4's limit.
    let long = "c".repeat(300);
    let pdus = encode_text(&long, 1, NO_REPORT, false, false, 100_000).unwrap();
    assert!(pdus.iter().all(|p| p.len() <= 255));
    assert_eq!(reassemble(&pdus, 2047, 1), long);
}

// ftl/tetra-pei sds/text_test.go TestSplitToMaxBits, ISO8859-1 cases:
// 56 bits of text per part cut "8-bit, 056" into "8-bit, " and "056";
// 128 bits keep "8-bit, 128" whole.
#[test]
fn split_to_max_bits_tetra_pei() {
    let parts = split_text("8-bit, 056", TextCoding::Latin1, 56 / 8).unwrap();
    assert_eq!(parts, [b"8-bit, ".to_vec(), b"056".to_vec()]);
    let parts = split_text("8-bit, 128", TextCoding::Latin1, 128 / 8).unwrap();
    assert_eq!(parts, [b"8-bit, 128".to_vec()]);
}

#[test]
fn reference_zero_is_skipped() {
    let pdus = encode_text("x", 0, NO_REPORT, false, false, 668).unwrap();
    assert_eq!(pdus[0][2], 1);
    assert_eq!(next_reference(0xFF), 1);
    assert_eq!(next_reference(7), 8);
}

#[test]
fn limits_are_errors() {
    assert!(matches!(
        encode_text("x", 1, NO_REPORT, false, false, 32),
        Err(SdsError::MaxBitsTooSmall(32))
    ));
    assert!(matches!(
        encode_text("", 1, NO_REPORT, false, false, 24),
        Err(SdsError::MaxBitsTooSmall(24))
    ));
    assert!(encode_text("", 1, NO_REPORT, false, false, 32).is_ok());
    // 88 bits leave one octet per part, half a UTF-16 code unit.
    assert!(matches!(
        encode_text(&"Ж".repeat(20), 1, NO_REPORT, false, false, 88),
        Err(SdsError::MaxBitsTooSmall(88))
    ));
    // 11 octets: one octet of text per part, so 256 characters need 256.
    assert!(matches!(
        encode_text(&"y".repeat(256), 1, NO_REPORT, false, false, 88),
        Err(SdsError::TooManyParts)
    ));
    assert_eq!(
        encode_text(&"y".repeat(255), 1, NO_REPORT, false, false, 88)
            .unwrap()
            .len(),
        255
    );
    assert!(matches!(
        encode_text(&"z".repeat(100_000), 1, NO_REPORT, false, false, 668),
        Err(SdsError::TooManyParts)
    ));
}

// ---- reading tolerance ----

#[test]
fn hex_tolerance() {
    let want = decode(12, 120, "82029C01746573746D657373616765").unwrap();
    assert_eq!(
        decode(12, 120, "82029c01746573746d657373616765").unwrap(),
        want
    );
    assert_eq!(
        decode(12, 120, " 82 02 9C 01 7465 7374 6D65 7373 6167 65\r\n").unwrap(),
        want
    );
    // More hex than the header's length: the rest is dropped.
    assert_eq!(
        decode(12, 120, "82029C01746573746D657373616765FFFF00").unwrap(),
        want
    );
    assert!(matches!(
        decode(12, 120, "82029G"),
        Err(SdsError::NotHex('G', 6))
    ));
    assert!(matches!(decode(12, 16, ""), Err(SdsError::Empty)));
    assert!(matches!(decode(12, 0, " \t"), Err(SdsError::Empty)));
    assert!(matches!(
        decode(13, 16, "80"),
        Err(SdsError::Truncated { .. })
    ));
    assert!(matches!(
        decode(9, 16, "8004"),
        Err(SdsError::UnsupportedService(9))
    ));
}

#[test]
fn malformed_tl_pdus() {
    // Message type 3 under a text PID.
    assert!(matches!(
        decode(12, 0, "82300101"),
        Err(SdsError::UnknownMessageType { pid: 0x82, kind: 3 })
    ));
    // Reserved store-and-forward address type 4.
    assert!(matches!(
        decode(12, 0, "82019C0401"),
        Err(SdsError::ReservedForwardAddress(4))
    ));
    // TSI forward address (6 octets) and external number (3 digits).
    let t = text(decode(12, 0, "82019C52010203040506014142").unwrap());
    assert_eq!(t.text, "AB");
    let t = text(decode(12, 0, "82019C530312340141").unwrap());
    assert_eq!(t.text, "A");
    // A UDH element of another kind first, and a 16-bit reference.
    let t = text(decode(12, 0, "8A0001010A0102AABB080412340302417A").unwrap());
    assert_eq!(
        t.concat,
        Some(Concat {
            reference: 0x1234,
            total: 3,
            seq: 2
        })
    );
    assert_eq!(t.text, "Az");
    // Part 0 of 2 cannot be placed and is ignored.
    assert_eq!(
        text(decode(12, 0, "8A000101050003010200").unwrap()).concat,
        None
    );
    // A header longer than the PDU.
    assert!(matches!(
        decode(12, 0, "8A0001010900"),
        Err(SdsError::Truncated { .. })
    ));
    // A lone high surrogate from a sender that cut a pair.
    let t = text(decode(12, 0, "8200011AD83D0041").unwrap());
    assert_eq!(t.text, "\u{FFFD}A");
    // Other PIDs are kept.
    assert_eq!(
        decode(12, 0, "DC0201014F4B").unwrap(),
        Sds::Other {
            pid: 0xDC,
            data: vec![0x02, 0x01, 0x01, 0x4F, 0x4B]
        }
    );
    assert_eq!(
        decode(12, 0, "8C").unwrap(),
        Sds::Other {
            pid: 0x8C,
            data: vec![]
        }
    );
}

#[test]
fn delivery_meanings() {
    use ReportMeaning::*;
    for code in [0x00, 0x01, 0x04, 0x05, 0x06] {
        assert_eq!(delivery_status_meaning(code), Received, "{code:#04x}");
    }
    assert_eq!(delivery_status_meaning(0x02), Consumed);
    assert_eq!(delivery_status_meaning(0x03), Consumed);
    assert_eq!(delivery_status_meaning(0x21), Pending);
    assert_eq!(
        delivery_status_meaning(0x4B),
        Failed("the radio is not registered")
    );
    assert_eq!(
        delivery_status_meaning(0x5A),
        Failed("the radio is out of reach")
    );
    assert_eq!(
        delivery_status_meaning(0x4D),
        Failed("the message is too long")
    );
    for code in 0x40..=0xFF {
        assert!(
            matches!(delivery_status_meaning(code), Failed(_)),
            "{code:#04x}"
        );
    }
}

// ---- junk never panics ----

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const VECTORS: &[&str] = &[
    "0201746573746D657373616765",
    "82029C01746573746D657373616765",
    "82039C5101020301746573746D657373616765",
    "82029C81045A8F746573746D657373616765",
    "8A02C981045A8F050003C90201746573746D657373616765",
    "821800CA",
    "822001C9",
    "82040801476A61746A616A676A61",
    "C300070115030042332048617570747374722035",
    "C3241181104DA0806F6B",
    "C3252A814009FFE078",
    "C3000A01380052656A656374",
    "0A112853A9FF4D4FFFE810",
    "8A0001010A0102AABB080412340302417A",
    BOS_CALLOUT_PART_1,
];

#[test]
fn truncations_never_panic() {
    for v in VECTORS {
        let v: String = v.split_whitespace().collect();
        for end in 0..=v.len() {
            for ai in [12, 13] {
                let _ = decode(ai, 0, &v[..end]);
                let _ = decode(ai, end * 4, &v);
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = (rng.next() % 40) as usize;
        let mut octets: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Steer half the cases to the interesting PIDs.
        if let Some(first) = octets.first_mut() {
            if rng.next() & 1 == 0 {
                *first = [0x02, 0x09, 0x82, 0x89, 0x8A, 0xC3, 0x7E][(rng.next() % 7) as usize];
            }
        }
        let hex = to_hex(&octets);
        let _ = decode(12, 0, &hex);
        let _ = decode(13, 16, &hex);
        let _ = decode(12, (rng.next() % 400) as usize, &hex);
        let _ = tip_callout_text(&octets);
        let s: String = octets.iter().map(|&b| char::from(b)).collect();
        let _ = strip_bos_decoration(&s);
        let _ = parse_ctsdsr(&format!("+CTSDSR: {s}"));
        let _ = ssi_of(&s);
    }
}

#[test]
fn random_headers_never_panic() {
    let mut rng = XorShift(42);
    let pieces = [
        "12",
        "13",
        "",
        "1234567",
        "0",
        "1",
        "16",
        "x",
        " ",
        "8004",
        "262100101234567",
        "é",
    ];
    for _ in 0..5_000 {
        let n = (rng.next() % 10) as usize;
        let fields: Vec<&str> = (0..n)
            .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
            .collect();
        let _ = parse_ctsdsr(&format!("+CTSDSR: {}", fields.join(",")));
    }
}

#[test]
fn random_text_round_trips() {
    let mut rng = XorShift(7);
    let alphabet: Vec<char> = "aZ 09äÖß€Šœ½¤Жж🚒😀\u{10FFFF}\n".chars().collect();
    for _ in 0..300 {
        let len = (rng.next() % 400) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        let max_bits = 120 + (rng.next() % 1200) as usize;
        let first = rng.next() as u8;
        match encode_text(&s, first, RECEIVED, false, false, max_bits) {
            Ok(pdus) => {
                let first = if first == 0 { 1 } else { first };
                assert_eq!(reassemble(&pdus, max_bits, first), s);
            }
            Err(SdsError::TooManyParts) => {}
            Err(e) => panic!("{e} for {max_bits} bits"),
        }
    }
}

#[test]
fn errors_read_well() {
    assert_eq!(
        decode(12, 0, "82").unwrap_err().to_string(),
        "the SDS ends early at octet 1, in the SDS-TL header"
    );
    assert_eq!(
        parse_ctsdsr("+CTSDSR: 12,1").unwrap_err().to_string(),
        "the +CTSDSR line has 2 fields; 3, 4, 6, 7 or 8 were expected"
    );
    assert_eq!(
        SdsError::UnknownMessageType { pid: 0x82, kind: 3 }.to_string(),
        "SDS-TL message type 3 under protocol 0x82 is not a transfer, report or acknowledgement"
    );
    assert_eq!(
        SdsError::BadCallout("the severity must be 1 to 15").to_string(),
        "the callout cannot be sent: the severity must be 1 to 15"
    );
}
