//! Bootstrapping from the appliance's shell: organisation admins and API keys.
//! These run with the daemon stopped (the store allows one process at a time).

use crate::auth::{apikey, password, Role};
use crate::clock::SharedClock;
use crate::store::{NewUser, Organisation, Store, StoreError};
use crate::validate;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("--org {value:?} {why}")]
    BadOrg { value: String, why: &'static str },
    #[error("--username {value:?} {why}")]
    BadUsername { value: String, why: &'static str },
    #[error("the password must be at least {} characters", password::MIN_LENGTH)]
    ShortPassword,
    #[error("--role {0:?} is not a role; use admin, sender or member")]
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
    if new_password.chars().count() < password::MIN_LENGTH {
        return Err(ProvisionError::ShortPassword);
    }
    let hash = password::hash(new_password)?;
    let now = clock.now();
    let (org, org_created) = match store.org_by_slug(org_slug)? {
        Some(org) => (org, false),
        None => (store.create_org(org_slug, org_slug, now)?, true),
    };
    let handle = store.org(org.id);
    let admin_role = vec![Role::Admin.name().to_owned()];
    let user_existed = match handle.user_by_username(username)? {
        Some(user) => {
            handle.set_password_and_roles(user.id, &hash, &admin_role, now)?;
            true
        }
        None => {
            handle.create_user(
                NewUser {
                    username: username.to_owned(),
                    name: username.to_owned(),
                    roles: admin_role,
                    password_hash: Some(hash),
                    ..NewUser::default()
                },
                now,
            )?;
            false
        }
    };
    store.flush_blocking()?;
    Ok(AdminCreated {
        org,
        org_created,
        user_existed,
    })
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
    let role = Role::from_name(role).ok_or_else(|| ProvisionError::BadRole(role.to_owned()))?;
    let org = store
        .org_by_slug(org_slug)?
        .ok_or_else(|| ProvisionError::NoSuchOrg(org_slug.to_owned()))?;
    let issued = apikey::issue(org.id, name, role.name(), expires_at)?;
    store
        .org(org.id)
        .create_api_key(issued.record, clock.now())?;
    store.flush_blocking()?;
    Ok(issued.token)
}
