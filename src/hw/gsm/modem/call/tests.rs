use super::*;
use crate::hw::gsm::profile;

fn voice(name: &str) -> VoiceProfile {
    profile::load(name, None).unwrap().voice.unwrap()
}

#[test]
fn quectel_call_lines_are_understood() {
    let v = voice("quectel-ec25");
    assert_eq!(
        hear(&v, "+QIND: \"ccinfo\",1,0,3,0,0,\"+358401234567\",145"),
        Heard::State {
            state: 3,
            incoming: false,
            number: "+358401234567".to_owned()
        }
    );
    assert_eq!(
        hear(&v, "+QIND: \"ccinfo\",1,1,4,0,0,\"0401234567\",129"),
        Heard::State {
            state: 4,
            incoming: true,
            number: "0401234567".to_owned()
        }
    );
    assert_eq!(hear(&v, "+QTONEDET: 49"), Heard::Key('1'));
    assert_eq!(hear(&v, "+QTONEDET: 35"), Heard::Key('#'));
    assert_eq!(hear(&v, "+QPSND: 0"), Heard::Played);
    assert_eq!(hear(&v, "BUSY"), Heard::Ended("BUSY".to_owned()));
    assert_eq!(hear(&v, "RING"), Heard::Ring);
    assert_eq!(hear(&v, "+QIND: \"csq\",20,99"), Heard::Other);
    assert_eq!(hear(&v, "+QTONEDET: x"), Heard::Other);
}

#[test]
fn simcom_keys_come_as_themselves() {
    let v = voice("simcom-sim7600");
    assert_eq!(hear(&v, "+RXDTMF: 7"), Heard::Key('7'));
}

#[test]
fn unanswered_calls_are_named_as_deliveries_say() {
    assert_eq!(ended_reason("BUSY", true), "busy");
    assert_eq!(ended_reason("NO ANSWER", true), "no answer");
    assert_eq!(ended_reason("NO CARRIER", true), "rejected");
    assert_eq!(ended_reason("NO CARRIER", false), "unreachable");
    assert_eq!(not_answered("busy").class, FailureClass::RetryLater);
    assert_eq!(not_answered("rejected").class, FailureClass::Permanent);
    assert_eq!(
        clip_number("+CLIP: \"+358401234567\",145,\"\",,\"\",0").as_deref(),
        Some("+358401234567")
    );
    assert_eq!(clip_number("+CLIP: \"\",128"), None);
}
