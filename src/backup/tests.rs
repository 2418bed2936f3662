// Tests stamp their records with the wall clock.
#![allow(clippy::disallowed_methods)]

use super::*;
use crate::store::{NewUser, Store};

fn store_with_users(n: usize) -> (tempfile::TempDir, Store, crate::ids::Id) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let now = OffsetDateTime::now_utc();
    let org = store.create_org("acme", "Acme", now).unwrap();
    let handle = store.org(org.id);
    for i in 0..n {
        // Random names: the image must not compress to one chunk.
        let mut noise = [0u8; 24];
        getrandom::fill(&mut noise).unwrap();
        handle
            .create_user(
                NewUser {
                    username: format!("user{i}"),
                    name: format!("Person {}", hex::encode(noise)),
                    phones: vec![format!("+35840{i:07}")],
                    ..NewUser::default()
                },
                now,
            )
            .unwrap();
    }
    (dir, store, org.id)
}

#[test]
fn a_backup_restores_the_same_store_with_its_keys() {
    let (_dir, store, org) = store_with_users(50);
    let link_key = store.answer_link_key().unwrap();
    let key = BackupKey::generate().unwrap();
    let made = make(&store, &key, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(made.header.counts["users"], 50);
    assert_eq!(made.header.counts["organisations"], 1);
    assert!(made.file_name().ends_with(".tocsinbk"));

    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("data");
    let restored = restore(&mut made.bytes.as_slice(), &key, &data, false).unwrap();
    assert_eq!(restored.counts["users"], 50);
    let back = Store::open(&data.join("store")).unwrap();
    assert_eq!(back.answer_link_key().unwrap(), link_key);
    assert!(back.org(org).user_by_username("user7").unwrap().is_some());
    drop(back);

    let again = restore(&mut made.bytes.as_slice(), &key, &data, false).unwrap_err();
    assert!(matches!(again, BackupError::NotEmpty(_)), "{again}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    restore(&mut made.bytes.as_slice(), &key, &data, true).unwrap();
}

/// Chunk `n`'s byte range in a backup file.
fn chunk_at(bytes: &[u8], n: usize) -> std::ops::Range<usize> {
    let header_len = u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut at = 12 + header_len;
    for _ in 0..n {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    at..at + 4 + len
}

#[test]
fn verify_names_the_chunk_that_was_flipped_cut_or_swapped() {
    let (_dir, store, _) = store_with_users(3000);
    let key = BackupKey::generate().unwrap();
    let made = make(&store, &key, OffsetDateTime::now_utc()).unwrap();
    let good = made.bytes;
    verify(&mut good.as_slice(), &key).unwrap();
    let chunk1 = chunk_at(&good, 1);
    let chunk2 = chunk_at(&good, 2);

    let mut flipped = good.clone();
    flipped[chunk1.start + 100] ^= 0x01;
    let err = verify(&mut flipped.as_slice(), &key)
        .unwrap_err()
        .to_string();
    assert!(err.contains("chunk 1 "), "{err}");

    let cut = &good[..chunk2.end];
    let err = verify(&mut &cut[..], &key).unwrap_err().to_string();
    assert!(err.contains("cut off"), "{err}");

    let mut swapped = good[..chunk1.start].to_vec();
    swapped.extend_from_slice(&good[chunk2.clone()]);
    swapped.extend_from_slice(&good[chunk1.clone()]);
    swapped.extend_from_slice(&good[chunk2.end..]);
    let err = verify(&mut swapped.as_slice(), &key)
        .unwrap_err()
        .to_string();
    assert!(err.contains("chunk 1 "), "{err}");

    let mut header_changed = good.clone();
    let at = header_changed
        .windows(7)
        .position(|w| w == b"deflate")
        .unwrap();
    header_changed[at] = b'D';
    let err = verify(&mut header_changed.as_slice(), &key)
        .unwrap_err()
        .to_string();
    assert!(err.contains("chunk 0 "), "{err}");

    let other = BackupKey::generate().unwrap();
    let err = verify(&mut good.as_slice(), &other)
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n') && err.contains(&key.id()), "{err}");

    for readable in ["user17", "Person", "+358400000017", "acme"] {
        assert!(
            !good
                .windows(readable.len())
                .any(|w| w == readable.as_bytes()),
            "{readable} is readable in the backup"
        );
    }
}

#[test]
fn a_backup_taken_during_writes_holds_whole_transactions_only() {
    let (_dir, store, org) = store_with_users(200);
    let key = BackupKey::generate().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let made = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let handle = store.org(org);
            let mut n = 0;
            // Bounded, so a slow machine doesn't make a huge store.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 3000 {
                handle
                    .create_user(
                        NewUser {
                            username: format!("late{n}"),
                            name: "Late".to_owned(),
                            ..NewUser::default()
                        },
                        OffsetDateTime::now_utc(),
                    )
                    .unwrap();
                n += 1;
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        let made = make(&store, &key, OffsetDateTime::now_utc()).unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let written = writer.join().unwrap();
        assert!(written > 0);
        made
    });
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("data");
    restore(&mut made.bytes.as_slice(), &key, &data, false).unwrap();
    let back = Store::open(&data.join("store")).unwrap();
    let handle = back.org(org);
    let users = handle.users().unwrap();
    assert_eq!(users.len() as u64, made.header.counts["users"]);
    // A user record and its name's index are written in one transaction:
    // the image has both or neither.
    for user in &users {
        assert_eq!(
            handle
                .user_by_username(&user.username)
                .unwrap()
                .map(|u| u.id),
            Some(user.id)
        );
    }
    let late = users
        .iter()
        .filter(|u| u.username.starts_with("late"))
        .count();
    for n in 0..late + 50 {
        let found = handle.user_by_username(&format!("late{n}")).unwrap();
        assert_eq!(found.is_some(), n < late, "late{n}");
    }
}
