use super::*;

#[test]
fn timer_texts_are_read() {
    assert_eq!(
        command("TIMER 45 roof work"),
        Some(Command::Start {
            minutes: 45,
            note: "roof work".to_owned()
        })
    );
    assert_eq!(command("timer off"), Some(Command::End));
    assert_eq!(command("ok"), Some(Command::CheckIn));
    assert_eq!(command("Check in"), Some(Command::CheckIn));
    assert_eq!(command("OK 15"), None, "an answer code with an ETA");
    assert_eq!(command("TIMER soon"), None);
    assert_eq!(command("1"), None);
}
