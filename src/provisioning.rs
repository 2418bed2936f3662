//! Bootstrapping from the appliance's shell: organisation admins, the
//! appliance operator, and API keys.
//! These run with the daemon stopped (the store allows one process at a time).

use crate::audit::{self, Entry};
use crate::auth::{apikey, password, policy, roles};
use crate::clock::SharedClock;
use crate::store::{NewUser, Organisation, Outcome, Store, StoreError, UserChange};
use crate::validate;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("--org {value:?} {why}")]
    BadOrg { value: String, why: &'static str },
    #[error("--username {value:?} {why}")]
    BadUsername { value: String, why: &'static str },
    #[error("the password {0}")]
    WeakPassword(String),
    #[error("--role {0:?} is not a role of this organisation")]
    BadRole(String),
    #[error("there is no organisation {0:?}; create its first admin with `tocsin admin create`")]
    NoSuchOrg(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Password(#[from] password::PasswordError),
    #[error("the system random generator failed: {0}")]
    Random(#[from] getrandom::Error),
}

#[derive(Debug)]
pub struct AdminCreated {
    pub org: Organisation,
    pub org_created: bool,
    pub user_existed: bool,
}

/// Creates (or recovers) an organisation admin, creating the organisation too
/// when it doesn't exist yet.
pub fn create_admin(
    store: &Store,
    clock: &SharedClock,
    org_slug: &str,
    username: &str,
    new_password: &str,
) -> Result<AdminCreated, ProvisionError> {
    validate::handle(org_slug).map_err(|why| ProvisionError::BadOrg {
        value: org_slug.to_owned(),
        why,
    })?;
    validate::handle(username).map_err(|why| ProvisionError::BadUsername {
        value: username.to_owned(),
        why,
    })?;
    let existing = store.org_by_slug(org_slug)?;
    let settings = existing
        .as_ref()
        .map(|o| o.settings.clone())
        .unwrap_or_default();
    let name = existing.as_ref().map_or(org_slug, |o| o.name.as_str());
    let context = policy::Context {
        username,
        name: username,
        org_slug,
        org_name: name,
    };
    policy::check(new_password, &settings, &context).map_err(ProvisionError::WeakPassword)?;
    let hash = password::hash(new_password)?;
    let now = clock.now();
    let (org, org_created) = match existing {
        Some(org) => (org, false),
        None => {
            keep_senders_of_the_only_org(store, now)?;
            (store.create_org(org_slug, org_slug, now)?, true)
        }
    };
    let handle = store.org(org.id);
    let (user, user_existed) = match handle.user_by_username(username)? {
        Some(user) => {
            let mut roles = user.roles.clone();
            if !roles.iter().any(|r| r == roles::ADMIN) {
                roles.push(roles::ADMIN.to_owned());
            }
            let change = UserChange {
                password_hash: Some(Some(hash)),
                roles: Some(roles),
                must_change_password: Some(false),
                ..UserChange::default()
            };
            (handle.change_user(user.id, &change, now)?, true)
        }
        None => {
            let user = handle.create_user(
                NewUser {
                    username: username.to_owned(),
                    name: username.to_owned(),
                    roles: vec![roles::ADMIN.to_owned()],
                    password_hash: Some(hash),
                    ..NewUser::default()
                },
                now,
            )?;
            (user, false)
        }
    };
    let action = if user_existed {
        "user.admin_recovered"
    } else {
        "user.created"
    };
    Entry::new(audit::shell(), action, Outcome::Success)
        .target(&user.username)
        .write(&handle, now)?;
    store.flush_blocking()?;
    Ok(AdminCreated {
        org,
        org_created,
        user_existed,
    })
}

/// Alone on the appliance, an organisation owns every sender without
/// assignments. Before a second one arrives, the senders its SMS triggers
/// and TETRA rules name are assigned to it, so they keep working.
fn keep_senders_of_the_only_org(store: &Store, now: OffsetDateTime) -> Result<(), ProvisionError> {
    let orgs = store.orgs()?;
    let [only] = orgs.as_slice() else {
        return Ok(());
    };
    let mut assigned = store.assignments(only.id)?;
    let before = assigned.clone();
    for trigger in &only.settings.sms_triggers {
        if !assigned.sms_numbers.contains(&trigger.number) {
            assigned.sms_numbers.push(trigger.number.clone());
        }
    }
    for ssi in only.settings.tetra_rules.iter().flat_map(|r| r.from.iter()) {
        if !assigned.tetra_ssis.contains(ssi) {
            assigned.tetra_ssis.push(*ssi);
        }
    }
    if assigned == before {
        return Ok(());
    }
    store.set_assignments(only.id, &assigned)?;
    Entry::new(audit::shell(), "assignments.changed", Outcome::Success)
        .target(&only.slug)
        .detail(format!(
            "kept for {} as a second organisation was added: sms numbers {:?}, TETRA SSIs {:?}",
            only.slug, assigned.sms_numbers, assigned.tetra_ssis
        ))
        .write(&store.org(only.id), now)?;
    Ok(())
}

/// Issues an API key and returns the token, which is not stored anywhere.
pub fn create_api_key(
    store: &Store,
    clock: &SharedClock,
    org_slug: &str,
    name: &str,
    role: &str,
    expires_at: Option<OffsetDateTime>,
) -> Result<String, ProvisionError> {
    let org = store
        .org_by_slug(org_slug)?
        .ok_or_else(|| ProvisionError::NoSuchOrg(org_slug.to_owned()))?;
    let handle = store.org(org.id);
    if handle.role_by_name(role)?.is_none() {
        return Err(ProvisionError::BadRole(role.to_owned()));
    }
    let mut issued = apikey::issue(org.id, name, role, expires_at)?;
    issued.record.created_by = Some(audit::shell());
    let key = handle.create_api_key(issued.record, clock.now())?;
    Entry::new(audit::shell(), "apikey.created", Outcome::Success)
        .target(key.id)
        .detail(format!("{} ({role})", key.name))
        .write(&handle, clock.now())?;
    store.flush_blocking()?;
    Ok(issued.token)
}

/// Creates the appliance operator (or resets an existing operator's
/// password). The operator logs in under the organisation name
/// [`crate::store::APPLIANCE_SLUG`].
pub fn create_operator(
    store: &Store,
    clock: &SharedClock,
    username: &str,
    new_password: &str,
) -> Result<bool, ProvisionError> {
    validate::handle(username).map_err(|why| ProvisionError::BadUsername {
        value: username.to_owned(),
        why,
    })?;
    let now = clock.now();
    let appliance = operator_namespace(store, now)?;
    let context = policy::Context {
        username,
        name: username,
        org_slug: &appliance.slug,
        org_name: &appliance.name,
    };
    policy::check(new_password, &appliance.settings, &context)
        .map_err(ProvisionError::WeakPassword)?;
    let hash = password::hash(new_password)?;
    let handle = store.org(appliance.id);
    let existed = match handle.user_by_username(username)? {
        Some(user) => {
            let change = UserChange {
                password_hash: Some(Some(hash)),
                roles: Some(vec![roles::OPERATOR.to_owned()]),
                must_change_password: Some(false),
                ..UserChange::default()
            };
            handle.change_user(user.id, &change, now)?;
            true
        }
        None => {
            handle.create_user(
                NewUser {
                    username: username.to_owned(),
                    name: username.to_owned(),
                    roles: vec![roles::OPERATOR.to_owned()],
                    password_hash: Some(hash),
                    ..NewUser::default()
                },
                now,
            )?;
            false
        }
    };
    let action = if existed {
        "operator.recovered"
    } else {
        "operator.created"
    };
    Entry::new(audit::shell(), action, Outcome::Success)
        .target(username)
        .write(&handle, now)?;
    store.flush_blocking()?;
    Ok(existed)
}

/// Issues an API key for the appliance operator and returns the token,
/// which is not stored anywhere.
pub fn create_operator_api_key(
    store: &Store,
    clock: &SharedClock,
    name: &str,
) -> Result<String, ProvisionError> {
    let appliance = operator_namespace(store, clock.now())?;
    let handle = store.org(appliance.id);
    let mut issued = apikey::issue(appliance.id, name, roles::OPERATOR, None)?;
    issued.record.created_by = Some(audit::shell());
    let key = handle.create_api_key(issued.record, clock.now())?;
    Entry::new(audit::shell(), "apikey.created", Outcome::Success)
        .target(key.id)
        .detail(format!("{} (operator)", key.name))
        .write(&handle, clock.now())?;
    store.flush_blocking()?;
    Ok(issued.token)
}

/// The appliance's own namespace with its one role, made on first use: the
/// operator reads the appliance's own audit trail and manages its keys.
fn operator_namespace(store: &Store, now: OffsetDateTime) -> Result<Organisation, ProvisionError> {
    let appliance = store.appliance_org(now)?;
    let handle = store.org(appliance.id);
    if handle.role_by_name(roles::OPERATOR)?.is_none() {
        handle.create_role(
            roles::OPERATOR,
            "Operates the appliance: modems, radios, sender assignments",
            vec![
                crate::auth::Permission::OperateAppliance,
                crate::auth::Permission::ReadAudit,
                crate::auth::Permission::ManageApiKeys,
            ],
            None,
            now,
        )?;
    }
    Ok(appliance)
}
