//! The store's schema version and the migrations between versions.
//!
//! A newer tocsin opens an older store by running each migration in order, all
//! before the daemon answers anything; an older tocsin refuses a newer store
//! rather than misreading it.

use super::keys::{self, Kind};
use super::user_secrets::{is_recovery_record, recovery_code_record};
use super::{Result, Store, StoreError, TotpState, User};
use crate::ids::Id;

/// Bump this and add a step to [`MIGRATIONS`] whenever stored records change in
/// a way old code can't read, and keep a fixture of the old version in tests.
pub const SCHEMA_VERSION: u32 = 3;

const VERSION_KEY: &[u8] = b"schema_version";

/// `MIGRATIONS[n]` upgrades a store from version `n + 1` to `n + 2`.
const MIGRATIONS: &[fn(&Store) -> Result<()>] = &[seal_secrets, admins_gain_new_permissions];

/// 2 → 3: each organisation's built-in admin role ("everything in the
/// organisation") gains the permissions added since: `read_locations` and
/// `provision`. What an organisation took away from it stays away.
fn admins_gain_new_permissions(store: &Store) -> Result<()> {
    use super::Permission;
    for org in store.orgs()? {
        let handle = store.org(org.id);
        let Some(admin) = handle.role_by_name(super::ADMIN)?.filter(|r| r.built_in) else {
            continue;
        };
        store.modify(org.id, Kind::Role, admin.id, |r: &mut super::RoleRecord| {
            for p in [Permission::ReadLocations, Permission::Provision] {
                if !r.permissions.contains(&p) {
                    r.permissions.push(p);
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// 1 → 2: the answer-link key and TOTP secrets sealed with the at-rest key;
/// recovery codes salted and peppered with it (their old SHA-256 is what
/// gets peppered, so they keep working); outstanding SMS codes dropped
/// (they live five minutes).
fn seal_secrets(store: &Store) -> Result<()> {
    const OLD_LINK_KEY: &[u8] = b"answer_link_key";
    if let Some(old) = store.db.get(OLD_LINK_KEY)? {
        let key: [u8; 32] = old.as_ref().try_into().map_err(|_| StoreError::Corrupt {
            kind: "answer-link key",
            source: serde::de::Error::custom("not 32 bytes"),
        })?;
        let sealed = store.at_rest.seal(super::LINK_KEY_CONTEXT, &key)?;
        store.db.insert(super::LINK_KEY, sealed.as_bytes())?;
        store.db.remove(OLD_LINK_KEY)?;
    }
    let key = &store.at_rest;
    for org in store.orgs()? {
        for user in store.org(org.id).users()? {
            store.modify(org.id, Kind::User, user.id, |u: &mut User| {
                if let Some(totp) = u.totp.as_mut().filter(|t| !t.is_sealed()) {
                    let plain = std::mem::take(&mut totp.secret);
                    *totp = TotpState {
                        last_step: totp.last_step,
                        confirmed: totp.confirmed,
                        ..TotpState::sealed(key, org.id, u.id, &plain)?
                    };
                }
                for code in &mut u.recovery_codes {
                    if !is_recovery_record(code) {
                        *code = recovery_code_record(key, org.id, u.id, code)?;
                    }
                }
                u.sms_code = None;
                Ok(())
            })?;
        }
    }
    Ok(())
}

pub(super) fn upgrade(store: &Store) -> Result<()> {
    let found = match store.db.get(VERSION_KEY)? {
        Some(bytes) => {
            let array: [u8; 4] = bytes.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                kind: "schema version",
                source: serde::de::Error::custom("not four bytes"),
            })?;
            u32::from_be_bytes(array)
        }
        None => {
            write_version(store, SCHEMA_VERSION)?;
            return Ok(());
        }
    };
    if found == 0 {
        return Err(StoreError::Corrupt {
            kind: "schema version",
            source: serde::de::Error::custom("version 0 was never written by tocsin"),
        });
    }
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: store.path.clone(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for version in found..SCHEMA_VERSION {
        let step = usize::try_from(version - 1)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
            .ok_or(StoreError::TooNew {
                path: store.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            })?;
        tracing::info!(from = version, to = version + 1, "migrating the store");
        step(store)?;
        write_version(store, version + 1)?;
        store.flush_blocking()?;
    }
    Ok(())
}

pub(super) fn write_version(store: &Store, version: u32) -> Result<()> {
    store.db.insert(VERSION_KEY, &version.to_be_bytes())?;
    Ok(())
}

pub(super) fn probe(store: &Store) -> Result<()> {
    let key = keys::record(Id::SYSTEM, keys::Kind::Probe, Id::SYSTEM);
    let stamp = Id::new().to_bytes();
    store.records.insert(&key, &stamp)?;
    store.flush_blocking()?;
    match store.records.get(&key)? {
        Some(read) if read.as_ref() == stamp => Ok(()),
        _ => Err(StoreError::NotFound {
            what: "probe record",
        }),
    }
}
