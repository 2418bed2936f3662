//! Stores written by released versions open with this one. Each released
//! schema keeps a fixture here: a store made by that version's `tocsin demo`.

use std::process::Command;
use tocsin::store::Store;

/// A store made by each released schema's `tocsin demo`.
const RELEASED: &[&str] = &["store-v1.tar.gz"];

fn unpack(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let archive = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("tar")
        .args(["-xzf", &archive, "-C"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn the_schema_1_store_opens_with_its_records() {
    let dir = unpack("store-v1.tar.gz");
    let store = Store::open(&dir.path().join("store")).unwrap();
    let org = store
        .org_by_slug("demo")
        .unwrap()
        .expect("the demo organisation");
    let handle = store.org(org.id);
    let users = handle.users().unwrap();
    assert_eq!(users.len(), 6, "admin and five members");
    assert!(users
        .iter()
        .any(|u| u.username == "aino" && u.phones == ["+358401000001"]));
    let groups = handle.groups().unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        handle
            .group_by_name("firefighters")
            .unwrap()
            .unwrap()
            .members
            .len(),
        3
    );
    let roles: Vec<String> = handle
        .roles()
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    for built_in in ["admin", "sender", "member"] {
        assert!(
            roles.iter().any(|r| r == built_in),
            "{built_in} missing from {roles:?}"
        );
    }
    assert!(!handle.api_keys().unwrap().is_empty());
    // Permissions added since are the built-in admin's too.
    let admin = handle.role_by_name("admin").unwrap().unwrap();
    for added in [
        tocsin::store::Permission::ReadLocations,
        tocsin::store::Permission::Provision,
    ] {
        assert!(
            admin.permissions.contains(&added),
            "{:?}",
            admin.permissions
        );
    }
}

#[test]
fn the_store_of_every_released_schema_restores_from_a_backup() {
    for fixture in RELEASED {
        let dir = unpack(fixture);
        let key = tocsin::backup::BackupKey::generate().unwrap();
        let made = {
            let store = Store::open(&dir.path().join("store")).unwrap();
            tocsin::backup::make(&store, &key, time::OffsetDateTime::now_utc()).unwrap()
        };
        assert_eq!(made.header.counts["users"], 6, "{fixture}");
        let target = tempfile::tempdir().unwrap();
        let data = target.path().join("data");
        let restored = tocsin::backup::restore(&mut made.bytes.as_slice(), &key, &data, false)
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(restored.counts["users"], 6, "{fixture}");
        assert_eq!(restored.counts["groups"], 3, "{fixture}");
        let store = Store::open(&data.join("store")).unwrap();
        let org = store.org_by_slug("demo").unwrap().unwrap();
        assert!(store
            .org(org.id)
            .user_by_username("aino")
            .unwrap()
            .is_some());
    }
}
