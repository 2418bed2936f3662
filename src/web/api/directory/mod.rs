//! Users, groups and roles of the caller's organisation.

use crate::auth::{password, policy, Access, Permission};
use crate::ids::Id;
use crate::store::{
    Group, GroupChange, NewGroup, NewUser, OrgStore, Outcome, RoleChange, StoreError, User,
    UserChange,
};
use crate::validate;
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

mod groups;
mod privacy;
mod roles;
mod users;

use groups::*;
use privacy::*;
use roles::*;
use users::*;

pub const CHANNELS: [&str; 5] = ["app", "sms", "voice", "email", "tetra"];

pub(super) fn check(field: &str, result: Result<(), &'static str>) -> Result<(), ApiError> {
    result.map_err(|why| ApiError::field(field, why))
}

/// The fields a user can be created or changed with, checked the same way.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserFields {
    pub(super) name: Option<String>,
    pub(super) phones: Option<Vec<String>>,
    #[serde(default, with = "double_option")]
    pub(super) email: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub(super) tetra_issi: Option<Option<u32>>,
    #[serde(default, with = "double_option")]
    pub(super) language: Option<Option<String>>,
    pub(super) channels: Option<Vec<String>>,
    pub(super) roles: Option<Vec<String>>,
    pub(super) password: Option<String>,
    pub(super) must_change_password: Option<bool>,
}

/// Tells an absent field (leave as is) from an explicit null (clear it).
pub(super) mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl UserFields {
    pub(super) fn validate(&self, org: &OrgStore) -> Result<Result<(), ApiError>, StoreError> {
        let checks = || -> Result<(), ApiError> {
            if let Some(name) = &self.name {
                check("name", validate::display_name(name))?;
            }
            for (i, phone) in self.phones.iter().flatten().enumerate() {
                check(&format!("phones[{i}]"), validate::e164(phone))?;
            }
            if let Some(Some(email)) = &self.email {
                check("email", validate::email(email))?;
            }
            if let Some(Some(issi)) = self.tetra_issi {
                check("tetra_issi", validate::tetra_ssi(issi))?;
            }
            if let Some(Some(language)) = &self.language {
                check("language", validate::language(language))?;
            }
            for (i, channel) in self.channels.iter().flatten().enumerate() {
                if !CHANNELS.contains(&channel.as_str()) {
                    return Err(ApiError::field(
                        format!("channels[{i}]"),
                        "must be one of app, sms, voice, email, tetra",
                    ));
                }
            }
            Ok(())
        };
        if let Err(e) = checks() {
            return Ok(Err(e));
        }
        for (i, role) in self.roles.iter().flatten().enumerate() {
            if org.role_by_name(role)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("roles[{i}]"),
                    "no such role in this organisation",
                )));
            }
        }
        Ok(Ok(()))
    }

    fn touches_roles(&self) -> bool {
        self.roles.is_some()
    }
}

/// What a set of role names adds up to in `org` (unknown names add nothing).
pub(super) fn access_of(org: &OrgStore, roles: &[String]) -> Result<Access, StoreError> {
    let mut records = Vec::new();
    for name in roles {
        if let Some(role) = org.role_by_name(name)? {
            records.push(role);
        }
    }
    Ok(Access::from_roles(records.iter()))
}

/// The privilege rule for people: acting on a user (their password, second
/// factor, sessions, phones, email, removal) needs every permission and
/// group of their roles, and so does giving them roles.
fn covers_roles(
    principal: &Principal,
    org: &OrgStore,
    roles: &[String],
    refusal: &'static str,
) -> Result<Result<(), ApiError>, StoreError> {
    Ok(if principal.access.covers(&access_of(org, roles)?) {
        Ok(())
    } else {
        Err(ApiError::Outranked(refusal))
    })
}

/// Acting on a user who holds `roles`.
pub(super) fn may_act_on(
    principal: &Principal,
    org: &OrgStore,
    roles: &[String],
) -> Result<Result<(), ApiError>, StoreError> {
    covers_roles(principal, org, roles, "this user holds permissions or groups you don't; only someone who holds all of them may change them")
}

/// The user `reference` names, if the principal may act on them: 404
/// when there is none, 403 when they hold more than the principal.
pub(super) fn user_to_act_on(
    principal: &Principal,
    reference: &str,
) -> Result<Result<crate::store::User, ApiError>, StoreError> {
    let Some(user) = principal.org.find_user(reference)? else {
        return Ok(Err(ApiError::NotFound("user")));
    };
    Ok(may_act_on(principal, &principal.org, &user.roles)?.map(|()| user))
}

/// Giving someone `roles`.
pub(super) fn may_grant(
    principal: &Principal,
    org: &OrgStore,
    roles: &[String],
) -> Result<Result<(), ApiError>, StoreError> {
    covers_roles(
        principal,
        org,
        roles,
        "roles: these roles hold permissions or groups you don't, so you can't give them",
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(change_user)
        .service(delete_user)
        .service(end_user_sessions)
        .service(reset_second_factor)
        .service(export_user)
        .service(erase_user)
        .service(export_address)
        .service(erase_address)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(change_group)
        .service(delete_group)
        .service(list_roles)
        .service(get_role)
        .service(create_role)
        .service(change_role)
        .service(delete_role);
}
