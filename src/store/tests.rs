// Tests stamp their records with the wall clock.
#![allow(clippy::disallowed_methods)]

use super::*;
use crate::ids::Id;
use time::OffsetDateTime;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    (dir, store)
}

/// Opens the store at `path` again. sled lets go of its lock from a
/// background thread after the drop; on a busy machine that takes a moment.
fn reopen(path: &std::path::Path) -> Result<Store> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Store::open(path) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn user(username: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        name: username.to_owned(),
        ..NewUser::default()
    }
}

#[test]
fn one_organisation_cannot_read_anothers_records() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let a = store.create_org("org-a", "A", now).unwrap();
    let b = store.create_org("org-b", "B", now).unwrap();
    let in_a = store.org(a.id);
    let in_b = store.org(b.id);

    let secret_user = in_a.create_user(user("jdoe"), now).unwrap();
    let group = in_a
        .create_group(
            NewGroup {
                name: "crew".into(),
                members: vec![secret_user.id],
            },
            now,
        )
        .unwrap();

    assert_eq!(
        in_a.user(secret_user.id).unwrap(),
        Some(secret_user.clone())
    );
    assert_eq!(in_b.user(secret_user.id).unwrap(), None);
    assert_eq!(in_b.user_by_username("jdoe").unwrap(), None);
    assert!(in_b.users().unwrap().is_empty());
    assert_eq!(in_b.group(group.id).unwrap(), None);
    assert_eq!(in_b.group_by_name("crew").unwrap(), None);
    assert!(in_b.groups().unwrap().is_empty());

    // B can't put A's user into its own group either.
    let err = in_b
        .create_group(
            NewGroup {
                name: "steal".into(),
                members: vec![secret_user.id],
            },
            now,
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "member" }),
        "{err}"
    );

    // The same username is free in B: names are per organisation.
    in_b.create_user(user("jdoe"), now).unwrap();
    assert_eq!(in_a.users().unwrap().len(), 1);
}

#[test]
fn a_contact_reads_as_much_of_a_user_as_reaching_them_takes() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("acme", "Acme", now).unwrap();
    let handle = store.org(org.id);
    let signs_in = handle
        .create_user(
            NewUser {
                phones: vec!["+358401234567".into()],
                email: Some("jdoe@example.org".into()),
                tetra_issi: Some(1001),
                channels: vec!["sms".into()],
                password_hash: Some("$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA".into()),
                ..user("jdoe")
            },
            now,
        )
        .unwrap();
    let receives_only = handle.create_user(user("mvirtanen"), now).unwrap();
    let contacts = handle
        .contacts_by_id(&[signs_in.id, Id::new(), receives_only.id])
        .unwrap();
    assert_eq!(
        contacts,
        vec![
            Some(Contact::from(&signs_in)),
            None,
            Some(Contact::from(&receives_only))
        ]
    );
    let [Some(first), None, Some(second)] = contacts.as_slice() else {
        panic!("{contacts:?}");
    };
    assert!(first.signs_in && !second.signs_in);
}

#[test]
fn usernames_are_unique_ignoring_case() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("acme", "Acme", now).unwrap();
    let handle = store.org(org.id);
    handle.create_user(user("jdoe"), now).unwrap();
    let err = handle.create_user(user("JDoe"), now).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "username",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(handle.users().unwrap().len(), 1);
    assert!(store.create_org("ACME", "again", now).is_err());
}

#[test]
fn joining_a_missing_group_creates_nothing() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("acme", "Acme", now).unwrap();
    let handle = store.org(org.id);
    let mut new = user("jdoe");
    new.groups = vec![Id::new()];
    assert!(handle.create_user(new, now).is_err());
    assert!(handle.users().unwrap().is_empty());
    assert!(handle.user_by_username("jdoe").unwrap().is_none());
}

#[test]
fn records_survive_reopening_and_orgs_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let user_id = {
        let store = Store::open(&dir.path().join("store")).unwrap();
        let org = store.create_org("acme", "Acme", now).unwrap();
        let id = store.org(org.id).create_user(user("jdoe"), now).unwrap().id;
        store.flush_blocking().unwrap();
        id
    };
    let store = reopen(&dir.path().join("store")).unwrap();
    let orgs = store.orgs().unwrap();
    assert_eq!(orgs.len(), 1);
    assert!(store.org(orgs[0].id).user(user_id).unwrap().is_some());
    store.probe().unwrap();
}

#[test]
fn a_store_from_a_newer_tocsin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        schema::write_version(&store, SCHEMA_VERSION + 1).unwrap();
        store.flush_blocking().unwrap();
    }
    let err = reopen(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!(
            "newer than the {SCHEMA_VERSION} this tocsin understands"
        )),
        "{err}"
    );
}

#[test]
fn a_second_process_handle_is_refused_while_open() {
    let (dir, _store) = open();
    // sled locks the directory; a second open from this process must fail
    // cleanly, as a second tocsin would.
    let err = Store::open(&dir.path().join("store"));
    assert!(err.is_err());
}

#[test]
fn a_sender_belongs_to_one_organisation_at_most() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let a = store.create_org("org-a", "A", now).unwrap();
    // Alone, an organisation owns every sender.
    assert_eq!(
        store.sender_owner(&sms_sender("+358401")).unwrap(),
        Some(a.id)
    );
    let b = store.create_org("org-b", "B", now).unwrap();
    assert_eq!(store.sender_owner(&sms_sender("+358401")).unwrap(), None);

    let for_a = Assignments {
        sms_numbers: vec!["+358401".into()],
        tetra_ssis: vec![4711],
    };
    store.set_assignments(a.id, &for_a).unwrap();
    assert_eq!(store.sender_owner(&tetra_sender(4711)).unwrap(), Some(a.id));
    let grab = Assignments {
        sms_numbers: vec!["+358402".into()],
        tetra_ssis: vec![4711],
    };
    assert!(matches!(
        store.set_assignments(b.id, &grab),
        Err(StoreError::Duplicate { .. })
    ));
    assert_eq!(store.assignments(b.id).unwrap(), Assignments::default());
    assert_eq!(store.sender_owner(&sms_sender("+358402")).unwrap(), None);
    // Given up by A, the SSI is free for B.
    store
        .set_assignments(
            a.id,
            &Assignments {
                sms_numbers: vec!["+358401".into()],
                tetra_ssis: vec![],
            },
        )
        .unwrap();
    store.set_assignments(b.id, &grab).unwrap();
    assert_eq!(store.sender_owner(&tetra_sender(4711)).unwrap(), Some(b.id));
    assert_eq!(
        store.sender_owner(&sms_sender("+358401")).unwrap(),
        Some(a.id)
    );
}

#[test]
fn call_out_numbers_are_held_by_one_active_call_out() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = Id::new();
    let active = std::cell::RefCell::new(std::collections::HashSet::new());
    let claim = |alert: Id, at: OffsetDateTime| {
        let n = store
            .claim_callout_number(org, alert, at, |_, a| Ok(active.borrow().contains(&a)))
            .unwrap();
        active.borrow_mut().insert(alert);
        n
    };
    let first = Id::new();
    assert_eq!(claim(first, now), Some(1));
    assert_eq!(claim(Id::new(), now), Some(2));
    for expected in 3..=15 {
        assert_eq!(claim(Id::new(), now), Some(expected));
    }
    assert_eq!(claim(Id::new(), now), None, "all 15 held");
    // The first call-out ends: its number is free again.
    active.borrow_mut().remove(&first);
    let next = Id::new();
    assert_eq!(claim(next, now), Some(1));
    assert_eq!(store.callout_holder(1).unwrap(), Some((org, next)));
    // A day later every number is free, active or not.
    assert_eq!(claim(Id::new(), now + CALLOUT_HOLD), Some(1));
}

fn received(from: &str, text: &str, at: OffsetDateTime) -> InboundMessage {
    InboundMessage {
        id: Id::new(),
        channel: Channel::Sms,
        from: from.to_owned(),
        to: "gsm1".to_owned(),
        received_at: at,
        text: text.to_owned(),
        parts: 1,
        incomplete: false,
        said: Said::Text,
        handling: Handling::Pending,
    }
}

#[test]
fn received_messages_wait_as_pending_once_until_filed() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("org-a", "A", now).unwrap();
    let message = received("+358401", "1", now);
    assert!(store.accept_inbound(&message, Some("fp")).unwrap());
    let again = received("+358401", "1", now);
    assert!(
        !store.accept_inbound(&again, Some("fp")).unwrap(),
        "read twice"
    );
    assert_eq!(store.pending_inbound().unwrap(), vec![message.clone()]);
    let mut filed = message.clone();
    filed.handling = Handling::Ignored { why: "x".into() };
    store.finish_inbound(org.id, &filed).unwrap();
    assert!(store.pending_inbound().unwrap().is_empty());
    let listed = store
        .org(org.id)
        .inbound(&InboundFilter::default())
        .unwrap();
    assert_eq!(listed, vec![filed]);
}

#[test]
fn long_sms_parts_join_or_are_given_up_as_incomplete() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let part = |seq: u8, text: &str| {
        store
            .accept_sms_part(
                PartNumber {
                    reference: 7,
                    total: 3,
                    seq,
                },
                &received("+358401", text, now),
                &format!("part {seq}"),
            )
            .unwrap()
    };
    assert!(!part(2, "b"));
    assert!(!part(2, "b"), "a part read again changes nothing");
    assert!(!part(1, "a"));
    assert!(part(3, "c"));
    let pending = store.pending_inbound().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].text.as_str(), pending[0].parts), ("abc", 3));
    assert!(store
        .partial_sms_before(now + time::Duration::hours(1))
        .unwrap()
        .is_empty());

    // A lone first part of another message.
    store
        .accept_sms_part(
            PartNumber {
                reference: 8,
                total: 3,
                seq: 1,
            },
            &received("+358402", "only this", now),
            "lone",
        )
        .unwrap();
    assert!(
        store.partial_sms_before(now).unwrap().is_empty(),
        "not stale yet"
    );
    let stale = store
        .partial_sms_before(now + time::Duration::minutes(11))
        .unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!((stale[0].from.as_str(), stale[0].total), ("+358402", 3));
    assert_eq!(stale[0].parts, vec![(1, "only this".to_owned())]);
    let mut given_up = received("+358402", "only this…", now);
    given_up.incomplete = true;
    store.give_up_partial_sms(&stale[0], &given_up).unwrap();
    assert!(store
        .partial_sms_before(now + time::Duration::minutes(11))
        .unwrap()
        .is_empty());
    assert_eq!(store.pending_inbound().unwrap().len(), 2);
}

#[test]
fn login_waits_grow_per_source_and_the_account_locks_only_new_sources() {
    use crate::store::{LoginLimits, LoginSource};
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let limits = LoginLimits {
        per_source: 3,
        per_account: 5,
        lock_for: |n| time::Duration::minutes(i64::from(n)),
    };
    let net = |n: u8| LoginSource::Network(format!("192.0.2.{n}"));
    let gate = |source: &LoginSource, at| {
        store
            .begin_login_attempt("acme", "jdoe", source, at, limits)
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(gate(&net(1), now).wait_until, None);
    }
    let waits = gate(&net(1), now);
    assert_eq!(waits.wait_until, Some(now + time::Duration::minutes(1)));
    // Another network goes on; it is the account's fifth failure (the one
    // that waited counts too), which locks it.
    let locking = gate(&net(2), now);
    assert_eq!(locking.wait_until, None);
    assert!(locking.account_locked);
    assert_eq!(
        gate(&net(3), now).wait_until,
        Some(now + time::Duration::minutes(1)),
        "new networks wait"
    );
    let device = LoginSource::KnownDevice(crate::ids::Id::new());
    assert_eq!(
        gate(&device, now).wait_until,
        None,
        "a known device does not"
    );

    let later = now + time::Duration::minutes(2);
    assert_eq!(gate(&net(1), later).wait_until, None);
    let t = store
        .login_source_throttle("acme", "jdoe", &net(1))
        .unwrap();
    assert_eq!((t.failures, t.locks), (5, 2), "{t:?}");
    assert_eq!(
        t.locked_until,
        Some(later + time::Duration::minutes(2)),
        "longer"
    );
    store.clear_login_throttle("acme", "jdoe", &net(1)).unwrap();
    assert_eq!(store.login_throttle("acme", "jdoe").unwrap().failures, 0);
}

#[test]
fn sms_code_guesses_made_at_once_all_count() {
    let (_dir, store) = open();
    let org = store.org(crate::ids::Id::new());
    let now = OffsetDateTime::now_utc();
    let user = org
        .create_user(
            crate::store::NewUser {
                username: "jdoe".to_owned(),
                name: "J".to_owned(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    org.change_user(
        user.id,
        &crate::store::UserChange {
            sms_code: Some(Some(crate::store::SmsCode {
                hash: "right".to_owned(),
                phone: "+358401".to_owned(),
                sent_at: now,
                expires_at: now + time::Duration::minutes(5),
                tries: 0,
            })),
            ..Default::default()
        },
        now,
    )
    .unwrap();
    std::thread::scope(|scope| {
        for _ in 0..30 {
            let org = &org;
            scope.spawn(move || {
                let accepted = org
                    .try_sms_code(user.id, now, 100, |c| c.hash == "wrong")
                    .unwrap();
                assert_eq!(accepted, None);
            });
        }
    });
    let tries = org.user(user.id).unwrap().unwrap().sms_code.unwrap().tries;
    assert_eq!(tries, 30, "every parallel guess counted");
    assert_eq!(
        org.try_sms_code(user.id, now, 30, |c| c.hash == "right")
            .unwrap(),
        None,
        "the code died at its last try"
    );
}

#[test]
fn the_at_rest_key_lives_beside_the_store_and_a_wrong_one_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let key_file = dir.path().join("at-rest.key");
    let link_key = {
        let store = Store::open(&path).unwrap();
        store.answer_link_key().unwrap()
    };
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let store = reopen(&path).unwrap();
    assert_eq!(store.answer_link_key().unwrap(), link_key, "the same key");
    drop(store);

    let good = std::fs::read_to_string(&key_file).unwrap();
    let refused = |why: &str| {
        let err = reopen(&path).unwrap_err();
        assert!(matches!(err, StoreError::AtRest(_)), "{why}: {err}");
        assert!(err.to_string().contains("at-rest.key"), "{why}: {err}");
        err.to_string()
    };
    std::fs::remove_file(&key_file).unwrap();
    assert!(refused("missing").contains("missing"));
    std::fs::write(&key_file, "00".repeat(32)).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(refused("another key").contains("not the one"));
    std::fs::write(&key_file, "not hex").unwrap();
    assert!(refused("garbage").contains("64 hex digits"));
    std::fs::write(&key_file, &good).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(refused("readable by others").contains("0600"));
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(reopen(&path).unwrap().answer_link_key().unwrap(), link_key);
}

#[test]
fn schema_1_secrets_are_sealed_and_peppered_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let now = OffsetDateTime::now_utc();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let code_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"abcde23456"));
    let link_key = [7u8; 32];
    let (org_id, user_id) = {
        let store = Store::open(&path).unwrap();
        let org = store.create_org("acme", "Acme", now).unwrap();
        let handle = store.org(org.id);
        let user = handle.create_user(user("jdoe"), now).unwrap();
        // Written as schema 1 kept them: in the clear.
        handle
            .change_user(
                user.id,
                &UserChange {
                    totp: Some(Some(TotpState {
                        secret: secret.to_owned(),
                        confirmed: true,
                        last_step: 5,
                    })),
                    recovery_codes: Some(vec![code_sha256.clone()]),
                    ..UserChange::default()
                },
                now,
            )
            .unwrap();
        store.db.remove(LINK_KEY).unwrap();
        store.db.insert(b"answer_link_key", &link_key[..]).unwrap();
        schema::write_version(&store, 1).unwrap();
        store.flush_blocking().unwrap();
        (org.id, user.id)
    };
    let store = reopen(&path).unwrap();
    assert_eq!(store.answer_link_key().unwrap(), link_key, "the same links");
    assert!(store.db.get(b"answer_link_key").unwrap().is_none());
    let user = store.org(org_id).user(user_id).unwrap().unwrap();
    let totp = user.totp.unwrap();
    assert!(!totp.secret.contains(secret), "{}", totp.secret);
    assert_eq!(
        totp.open_secret(store.at_rest(), org_id, user_id).unwrap(),
        secret
    );
    assert_eq!((totp.confirmed, totp.last_step), (true, 5));
    assert!(recovery_code_matches(
        store.at_rest(),
        org_id,
        user_id,
        &user.recovery_codes[0],
        &code_sha256
    ));
    assert_ne!(user.recovery_codes[0], code_sha256);
}

/// Pairs of keys of which a transaction always holds exactly one, moved
/// back and forth while a snapshot is taken: the image holds exactly one of
/// each pair too.
#[test]
fn a_snapshot_holds_whole_transactions_under_moving_updates() {
    let (dir, store) = open();
    let org = Id::new();
    let pairs: Vec<(Id, Id)> = (0..300).map(|_| (Id::new(), Id::new())).collect();
    for (a, _) in &pairs {
        store
            .transaction(|tx| tx.put(org, Kind::User, *a, &serde_json::json!({"v": 0})))
            .unwrap();
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let ghost = keys::record(org, Kind::User, Id::new());
    let write = |offset: usize| {
        let mut n = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let (a, b) = pairs[(n as usize * 7 + offset) % pairs.len()];
            let (ka, kb) = (
                keys::record(org, Kind::User, a),
                keys::record(org, Kind::User, b),
            );
            store
                .w()
                .records
                .transaction(|tx| {
                    // A no-op, as a claim's removal of a missing key is.
                    tx.remove(ghost.as_slice())?;
                    if tx.remove(ka.as_slice())?.is_some() {
                        tx.insert(kb.as_slice(), &[])?;
                    } else {
                        tx.remove(kb.as_slice())?;
                        tx.insert(ka.as_slice(), &[])?;
                    }
                    Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
                })
                .unwrap();
            n += 1;
        }
        n
    };
    let changes = std::thread::scope(|scope| {
        let writer = scope.spawn(|| write(0));
        let other = scope.spawn(|| write(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut changes = Vec::new();
        store
            .snapshot(|c| {
                changes.push(c.clone());
                std::thread::sleep(std::time::Duration::from_micros(50));
                Ok(())
            })
            .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(writer.join().unwrap() + other.join().unwrap() > 0);
        changes
    });
    let target = tempfile::tempdir().unwrap();
    let path = target.path().join("store");
    Store::restore_image(&path, changes).unwrap();
    std::fs::copy(
        store.at_rest_key_path(),
        target.path().join(AT_REST_KEY_FILE),
    )
    .unwrap();
    let _ = dir;
    let back = reopen(&path).unwrap();
    let mut broken = 0;
    for (a, b) in &pairs {
        let has = |id: Id| {
            back.records
                .contains_key(keys::record(org, Kind::User, id))
                .unwrap()
        };
        if has(*a) == has(*b) {
            broken += 1;
        }
    }
    assert_eq!(broken, 0, "pairs torn in the image");
}

#[test]
fn retention_removes_old_messages_and_audit_events_but_none_the_log_server_lacks() {
    let (_dir, store) = open();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("org-a", "A", now).unwrap();
    let handle = store.org(org.id);
    let old = now - time::Duration::days(400);
    for (at, text) in [(old, "old"), (now, "new")] {
        let mut message = received("+358401", text, at);
        message.id = Id::at(at);
        store.finish_inbound(org.id, &message).unwrap();
    }
    let cutoff = now - time::Duration::days(365);
    assert_eq!(handle.remove_inbound_before(cutoff, 100).unwrap(), 1);
    let left = handle.inbound(&InboundFilter::default()).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].text, "new");

    let event = |at: OffsetDateTime, action: &str| AuditEvent {
        id: Id::at(at),
        at,
        actor: Actor {
            kind: ActorKind::Shell,
            id: None,
            name: "shell".into(),
        },
        action: action.into(),
        target: None,
        source: None,
        outcome: Outcome::Success,
        detail: None,
        seq: 0,
        prev: None,
        hash: None,
    };
    handle.record_audit(&event(old, "one")).unwrap();
    // From here on the log server has not taken them.
    store.ship_audit();
    handle
        .record_audit(&event(old + time::Duration::seconds(1), "two"))
        .unwrap();
    handle.record_audit(&event(now, "three")).unwrap();
    assert_eq!(handle.remove_audit_before(cutoff, 100).unwrap(), 1);
    let (events, _) = handle.audit_chain(None).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["two", "three"], "the unshipped old event stays");
}
