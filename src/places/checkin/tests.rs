use super::*;

#[test]
fn reminders_come_five_minutes_before_or_halfway_for_short_timers() {
    let start = OffsetDateTime::UNIX_EPOCH;
    assert_eq!(reminder_at(start, 60), start + minutes(55));
    assert_eq!(reminder_at(start, 10), start + minutes(5));
    assert_eq!(reminder_at(start, 4), start + minutes(2));
    assert_eq!(reminder_at(start, 1), start + time::Duration::seconds(30));
}

#[test]
fn timers_start_check_in_and_end_durably_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let org = store.create_org("acme", "Acme", now).unwrap();
    let org = store.org(org.id);
    let user = Id::new();
    assert!(matches!(
        start_timer(&org, user, MAX_TIMER_MINUTES + 1, "", now),
        Err(CheckInError::Minutes)
    ));
    let timer = start_timer(&org, user, 30, "roof work", now).unwrap();
    assert_eq!(timer.state, TimerState::Running);
    assert!(store.due_check_ins(now, 10).unwrap().is_empty());
    let at_reminder = now + minutes(25);
    assert_eq!(store.due_check_ins(at_reminder, 10).unwrap().len(), 1);
    // Checking in starts it over: nothing is due at the old reminder time.
    let later = now + minutes(20);
    let again = check_in(&org, user, later).unwrap().unwrap();
    assert_eq!(again.due_at, later + minutes(30));
    assert!(store.due_check_ins(at_reminder, 10).unwrap().is_empty());
    assert_eq!(
        store.due_check_ins(later + minutes(25), 10).unwrap().len(),
        1
    );
    assert!(end_timer(&org, user).unwrap());
    assert!(store
        .due_check_ins(later + minutes(60), 10)
        .unwrap()
        .is_empty());
    assert!(matches!(
        check_in(&org, user, later),
        Err(CheckInError::NoTimer)
    ));
    // The pre-alarm starts in its grace period.
    let pre = start_timer(&org, user, 0, "no movement", now).unwrap();
    assert_eq!(pre.state, TimerState::Grace);
    assert_eq!(pre.grace_until, Some(now + time::Duration::seconds(120)));
    assert!(check_in(&org, user, now).unwrap().is_none(), "it ends");
    // A pre-alarm during a timer gives the timer back once checked in.
    start_timer(&org, user, 60, "roof work", now).unwrap();
    let pre = start_timer(&org, user, 0, "no movement", now + minutes(10)).unwrap();
    assert_eq!(pre.interrupted.as_ref().map(|t| t.minutes), Some(60));
    let back = check_in(&org, user, now + minutes(11)).unwrap().unwrap();
    assert_eq!((back.minutes, back.note.as_str()), (60, "roof work"));
    assert_eq!(back.due_at, now + minutes(71));
    assert!(back.interrupted.is_none());
}
