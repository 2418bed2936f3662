// Tests stamp their records with the wall clock.
#![allow(clippy::disallowed_methods)]

use super::*;
use crate::audit::Entry;
use crate::store::{Outcome, Store};

/// An organisation with `n` chained events and a checkpoint after them.
fn exported(n: usize) -> (tempfile::TempDir, AuditKey, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let org = store.org(Id::new());
    let key = AuditKey::generate().unwrap();
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        Entry::new(crate::audit::shell(), "user.created", Outcome::Success)
            .target(format!("user{i}"))
            .write(&org, now)
            .unwrap();
        if i == n / 2 {
            key.checkpoint(&org, now).unwrap().unwrap();
        }
    }
    key.checkpoint(&org, now).unwrap().unwrap();
    assert!(
        key.checkpoint(&org, now).unwrap().is_none(),
        "nothing new to sign"
    );
    let lines = export(&org, None)
        .unwrap()
        .iter()
        .map(|l| serde_json::to_string(l).unwrap())
        .collect();
    (dir, key, lines)
}

fn public(key: &AuditKey) -> VerifyingKey {
    VerifyingKey::from_bytes(&hex::decode(key.public_hex()).unwrap().try_into().unwrap()).unwrap()
}

fn event_line(lines: &[String], seq: u64) -> usize {
    lines
        .iter()
        .position(|l| l.contains("\"event\"") && l.contains(&format!("\"seq\":{seq},")))
        .unwrap()
}

#[test]
fn an_untouched_export_verifies() {
    let (_dir, key, lines) = exported(10);
    let verified = verify(&lines.join("\n"), &public(&key)).unwrap();
    assert_eq!(
        verified,
        Verified {
            events: 10,
            checkpoints: 2,
            unsigned_tail: 0
        }
    );
}

#[test]
fn an_edited_event_is_named() {
    let (_dir, key, mut lines) = exported(10);
    let at = event_line(&lines, 4);
    lines[at] = lines[at].replace("user3", "user33");
    assert_eq!(
        verify(&lines.join("\n"), &public(&key)),
        Err(Broken::Edited {
            line: at + 1,
            seq: 4
        })
    );
}

#[test]
fn an_edited_event_with_its_hash_recomputed_breaks_the_link() {
    let (_dir, key, mut lines) = exported(10);
    let at = event_line(&lines, 4);
    let Line::Event(mut event) = serde_json::from_str(&lines[at]).unwrap() else {
        panic!()
    };
    event.target = Some("someone else".into());
    event.hash = Some(event.content_hash());
    lines[at] = serde_json::to_string(&Line::Event(event)).unwrap();
    let next = event_line(&lines, 5);
    assert_eq!(
        verify(&lines.join("\n"), &public(&key)),
        Err(Broken::Unlinked {
            line: next + 1,
            seq: 5
        })
    );
}

#[test]
fn a_deleted_event_is_named() {
    let (_dir, key, mut lines) = exported(10);
    let at = event_line(&lines, 8);
    lines.remove(at);
    assert_eq!(
        verify(&lines.join("\n"), &public(&key)),
        Err(Broken::Deleted {
            line: at + 1,
            seq: 9,
            after: 7,
            missing_from: 8,
            missing_to: 8
        })
    );
}

#[test]
fn an_inserted_event_is_named() {
    let (_dir, key, mut lines) = exported(10);
    let at = event_line(&lines, 3);
    let copy = lines[at].clone();
    lines.insert(at + 1, copy);
    assert_eq!(
        verify(&lines.join("\n"), &public(&key)),
        Err(Broken::Inserted {
            line: at + 2,
            seq: 3
        })
    );
}

#[test]
fn reordered_events_are_named() {
    let (_dir, key, mut lines) = exported(10);
    let (a, b) = (event_line(&lines, 2), event_line(&lines, 3));
    lines.swap(a, b);
    assert_eq!(
        verify(&lines.join("\n"), &public(&key)),
        Err(Broken::Reordered {
            line: a + 1,
            seq: 3,
            after: 1
        })
    );
}

#[test]
fn another_key_does_not_verify_and_an_unsigned_export_is_refused() {
    let (_dir, key, lines) = exported(4);
    let other = AuditKey::generate().unwrap();
    assert!(matches!(
        verify(&lines.join("\n"), &public(&other)),
        Err(Broken::BadSignature { .. })
    ));
    assert_eq!(
        verify(&lines[..2].join("\n"), &public(&key)),
        Err(Broken::NoCheckpoint)
    );
}
