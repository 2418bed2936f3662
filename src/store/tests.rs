use super::*;
use crate::ids::Id;
use time::OffsetDateTime;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    (dir, store)
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
    let store = Store::open(&dir.path().join("store")).unwrap();
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
    // sled lets go of its lock from a background thread after the drop; on
    // a busy machine that takes a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let err = loop {
        match Store::open(&path) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => break other.unwrap_err(),
        }
    };
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("newer than the 1 this tocsin understands"),
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
