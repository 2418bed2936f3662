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

pub const CHANNELS: [&str; 5] = ["app", "sms", "voice", "email", "tetra"];

#[derive(Debug, Serialize)]
struct UserView {
    id: Id,
    username: String,
    name: String,
    phones: Vec<String>,
    email: Option<String>,
    tetra_issi: Option<u32>,
    language: Option<String>,
    channels: Vec<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    can_log_in: bool,
    must_change_password: bool,
    second_factor: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl UserView {
    fn new(user: User, groups: &[Group]) -> Self {
        UserView {
            groups: groups
                .iter()
                .filter(|g| g.members.contains(&user.id))
                .map(|g| g.name.clone())
                .collect(),
            can_log_in: user.password_hash.is_some(),
            second_factor: crate::auth::second_factor::enrolled(&user),
            must_change_password: user.must_change_password,
            id: user.id,
            username: user.username,
            name: user.name,
            phones: user.phones,
            email: user.email,
            tetra_issi: user.tetra_issi,
            language: user.language,
            channels: user.channels,
            roles: user.roles,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    name: String,
    #[serde(default)]
    phones: Vec<String>,
    email: Option<String>,
    tetra_issi: Option<u32>,
    language: Option<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    password: Option<String>,
    #[serde(default)]
    must_change_password: bool,
    /// Group names (or ids) the user joins.
    #[serde(default)]
    groups: Vec<String>,
}

/// Checks a new password against the organisation's policy and hashes it.
async fn hash_new_password(
    org: &OrgStore,
    password: Option<String>,
    username: &str,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let Some(password) = password else {
        return Ok(None);
    };
    let handle = org.clone();
    let organisation = blocking(move || handle.store().get_org(handle.org_id()))
        .await?
        .ok_or(ApiError::Internal)?;
    let context = policy::Context {
        username,
        name,
        org_slug: &organisation.slug,
        org_name: &organisation.name,
    };
    policy::check(&password, &organisation.settings, &context)
        .map_err(|why| ApiError::field("password", why))?;
    Ok(Some(blocking(move || password::hash(&password)).await?))
}

#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    check("username", validate::handle(&body.username))?;
    let f = body;
    check("name", validate::display_name(&f.name))?;
    let fields = UserFields {
        name: Some(f.name.clone()),
        phones: Some(f.phones.clone()),
        email: Some(f.email.clone()),
        tetra_issi: Some(f.tetra_issi),
        language: Some(f.language.clone()),
        channels: Some(f.channels.clone()),
        roles: Some(f.roles.clone()),
        password: None,
        must_change_password: None,
    };
    if !f.roles.is_empty() {
        principal.require(Permission::ManageRoles)?;
    }
    let org = principal.org.clone();
    let roles = f.roles.clone();
    let principal = blocking(move || {
        if let Err(e) = fields.validate(&org)? {
            return Ok(Err(e));
        }
        Ok::<_, StoreError>(may_grant(&principal, &org, &roles)?.map(|()| principal))
    })
    .await??;
    let password_hash =
        hash_new_password(&principal.org, f.password.clone(), &f.username, &f.name).await?;
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let mut groups = Vec::new();
        for (i, reference) in f.groups.iter().enumerate() {
            match org.find_group(reference)? {
                Some(group) => groups.push(group.id),
                None => {
                    return Ok(Err(ApiError::field(
                        format!("groups[{i}]"),
                        "no such group in this organisation",
                    )))
                }
            }
        }
        let user = org.create_user(
            NewUser {
                username: f.username,
                name: f.name,
                phones: f.phones,
                email: f.email,
                tetra_issi: f.tetra_issi,
                language: f.language,
                channels: f.channels,
                roles: f.roles,
                password_hash,
                must_change_password: f.must_change_password,
                groups,
            },
            now,
        )?;
        principal
            .audit("user.created", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(Ok(UserView::new(user, &groups)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", view.id)))
        .json(view))
}

#[patch("/users/{user}")]
async fn change_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(fields): ApiJson<UserFields>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    if fields.touches_roles() {
        principal.require(Permission::ManageRoles)?;
    }
    let reference = reference.into_inner();
    let (principal, user, fields) = blocking(move || {
        let org = principal.org.clone();
        let Some(user) = org.find_user(&reference)? else {
            return Ok(Err(ApiError::NotFound("user")));
        };
        if let Err(e) = fields.validate(&org)? {
            return Ok(Err(e));
        }
        if let Err(e) = may_act_on(&principal, &org, &user.roles)? {
            return Ok(Err(e));
        }
        if let Some(roles) = &fields.roles {
            if let Err(e) = may_grant(&principal, &org, roles)? {
                return Ok(Err(e));
            }
        }
        Ok::<_, StoreError>(Ok((principal, user, fields)))
    })
    .await??;
    let password_hash = hash_new_password(
        &principal.org,
        fields.password.clone(),
        &user.username,
        fields.name.as_deref().unwrap_or(&user.name),
    )
    .await?;
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let change = UserChange {
            name: fields.name.clone(),
            phones: fields.phones.clone(),
            email: fields.email.clone(),
            tetra_issi: fields.tetra_issi,
            language: fields.language.clone(),
            channels: fields.channels.clone(),
            roles: fields.roles.clone(),
            password_hash: password_hash.map(Some),
            must_change_password: fields.must_change_password,
            totp: None,
            recovery_codes: None,
            ..UserChange::default()
        };
        let changed = org.change_user(user.id, &change, now)?;
        if change.password_hash.is_some() {
            // Whoever held the old password is out at once; the caller's own
            // session stays when they reset their own.
            let own = principal.session().map(|s| s.session.id);
            org.end_sessions_of(changed.id, own)?;
            principal
                .audit("user.password_reset", Outcome::Success)
                .target(&changed.username)
                .write(org, now)?;
        }
        let mut entry = principal
            .audit("user.changed", Outcome::Success)
            .target(&changed.username);
        if fields.roles.is_some() {
            entry = principal
                .audit("user.roles_changed", Outcome::Success)
                .target(&changed.username)
                .detail(format!("{:?} → {:?}", user.roles, changed.roles));
        }
        entry.write(org, now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(UserView::new(changed, &groups))
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(view))
}

#[delete("/users/{user}")]
async fn delete_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let Some(user) = org.find_user(&reference)? else {
            return Ok(Err(ApiError::NotFound("user")));
        };
        if let Err(e) = may_act_on(&principal, org, &user.roles)? {
            return Ok(Err(e));
        }
        if principal.user().is_ok_and(|me| me.id == user.id) {
            return Ok(Err(ApiError::Refused("you can't delete yourself")));
        }
        org.delete_user(user.id)?;
        principal
            .audit("user.deleted", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of a user (an admin logging someone out everywhere).
#[delete("/users/{user}/sessions")]
async fn end_user_sessions(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let ended = blocking(move || {
        let org = &principal.org;
        let Some(user) = org.find_user(&reference)? else {
            return Ok(Err(ApiError::NotFound("user")));
        };
        if let Err(e) = may_act_on(&principal, org, &user.roles)? {
            return Ok(Err(e));
        }
        let ended = org.end_sessions_of(user.id, None)?;
        principal
            .audit("session.ended_by_admin", Outcome::Success)
            .target(&user.username)
            .detail(format!("{ended} sessions"))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(ended))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({ "ended": ended })))
}

/// Removes a user's second factor so they can enrol again (lost phone).
#[post("/users/{user}/reset-second-factor")]
async fn reset_second_factor(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let Some(user) = org.find_user(&reference)? else {
            return Ok(Err(ApiError::NotFound("user")));
        };
        if let Err(e) = may_act_on(&principal, org, &user.roles)? {
            return Ok(Err(e));
        }
        let change = UserChange {
            totp: Some(None),
            recovery_codes: Some(Vec::new()),
            sms_second_factor: Some(None),
            sms_code: Some(None),
            ..UserChange::default()
        };
        org.change_user(user.id, &change, now)?;
        org.end_sessions_of(user.id, None)?;
        principal
            .audit("second_factor.reset", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let now = state.clock.now();
    let users = blocking(move || {
        let org = &principal.org;
        principal.audit_read("users", now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(
            org.users()?
                .into_iter()
                .map(|u| UserView::new(u, &groups))
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "users": users })))
}

#[get("/users/{user}")]
async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let groups = org.groups()?;
        let found = org.find_user(&reference)?;
        if let Some(user) = &found {
            principal.audit_read(&user.username, now)?;
        }
        Ok::<_, StoreError>(found.map(|u| UserView::new(u, &groups)))
    })
    .await?
    .ok_or(ApiError::NotFound("user"))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    name: Option<String>,
    /// Usernames (or ids) of the members.
    members: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct GroupView {
    id: Id,
    name: String,
    members: Vec<Id>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        GroupView {
            id: g.id,
            name: g.name,
            members: g.members,
            created_at: g.created_at,
        }
    }
}

fn resolve_members(
    org: &OrgStore,
    references: &[String],
) -> Result<Result<Vec<Id>, ApiError>, StoreError> {
    let mut members = Vec::new();
    for (i, reference) in references.iter().enumerate() {
        match org.find_user(reference)? {
            Some(user) => members.push(user.id),
            None => {
                return Ok(Err(ApiError::field(
                    format!("members[{i}]"),
                    "no such user in this organisation",
                )))
            }
        }
    }
    Ok(Ok(members))
}

#[post("/groups")]
async fn create_group(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<GroupBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageGroups)?;
    let name = body
        .name
        .ok_or_else(|| ApiError::field("name", "is required"))?;
    check("name", validate::display_name(&name))?;
    let now = state.clock.now();
    let group = blocking(move || {
        let org = &principal.org;
        let members = match resolve_members(org, body.members.as_deref().unwrap_or_default())? {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        let group = org.create_group(NewGroup { name, members }, now)?;
        principal
            .audit("group.created", Outcome::Success)
            .target(&group.name)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(GroupView::from(group)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/groups/{}", group.id)))
        .json(group))
}

#[patch("/groups/{group}")]
async fn change_group(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(body): ApiJson<GroupBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageGroups)?;
    if let Some(name) = &body.name {
        check("name", validate::display_name(name))?;
    }
    let reference = reference.into_inner();
    let now = state.clock.now();
    let group = blocking(move || {
        let org = &principal.org;
        let Some(group) = org.find_group(&reference)? else {
            return Ok(Err(ApiError::NotFound("group")));
        };
        let members = match body
            .members
            .as_deref()
            .map(|m| resolve_members(org, m))
            .transpose()?
        {
            Some(Err(e)) => return Ok(Err(e)),
            Some(Ok(m)) => Some(m),
            None => None,
        };
        let changed = org.change_group(
            group.id,
            &GroupChange {
                name: body.name,
                members,
            },
        )?;
        principal
            .audit("group.changed", Outcome::Success)
            .target(&changed.name)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(GroupView::from(changed)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(group))
}

#[delete("/groups/{group}")]
async fn delete_group(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageGroups)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let Some(group) = org.find_group(&reference)? else {
            return Ok(Err(ApiError::NotFound("group")));
        };
        org.delete_group(group.id)?;
        principal
            .audit("group.deleted", Outcome::Success)
            .target(&group.name)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[get("/groups")]
async fn list_groups(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let groups = blocking(move || org.groups()).await?;
    let groups: Vec<GroupView> = groups.into_iter().map(GroupView::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "groups": groups })))
}

#[get("/groups/{group}")]
async fn get_group(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let group = blocking(move || org.find_group(&reference))
        .await?
        .ok_or(ApiError::NotFound("group"))?;
    Ok(HttpResponse::Ok().json(GroupView::from(group)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<Permission>>,
    /// Group names or ids this role may alert; null or absent for any group.
    #[serde(default, with = "double_option")]
    alert_groups: Option<Option<Vec<String>>>,
}

fn resolve_groups(
    org: &OrgStore,
    references: &[String],
) -> Result<Result<Vec<Id>, ApiError>, StoreError> {
    let mut ids = Vec::new();
    for (i, reference) in references.iter().enumerate() {
        match org.find_group(reference)? {
            Some(group) => ids.push(group.id),
            None => {
                return Ok(Err(ApiError::field(
                    format!("alert_groups[{i}]"),
                    "no such group in this organisation",
                )))
            }
        }
    }
    Ok(Ok(ids))
}

#[get("/roles")]
async fn list_roles(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let roles = blocking(move || org.roles()).await?;
    Ok(HttpResponse::Ok().json(json!({ "roles": roles })))
}

#[get("/roles/{role}")]
async fn get_role(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let role = blocking(move || org.find_role(&reference))
        .await?
        .ok_or(ApiError::NotFound("role"))?;
    Ok(HttpResponse::Ok().json(role))
}

#[post("/roles")]
async fn create_role(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    let name = body
        .name
        .ok_or_else(|| ApiError::field("name", "is required"))?;
    check("name", validate::handle(&name))?;
    appliance_only(body.permissions.as_deref())?;
    let now = state.clock.now();
    let role = blocking(move || {
        let org = &principal.org;
        let groups = match body
            .alert_groups
            .flatten()
            .as_deref()
            .map(|g| resolve_groups(org, g))
            .transpose()?
        {
            Some(Err(e)) => return Ok(Err(e)),
            Some(Ok(g)) => Some(g),
            None => None,
        };
        let permissions = body.permissions.clone().unwrap_or_default();
        if let Err(e) = may_define(&principal, &permissions, &groups) {
            return Ok(Err(e));
        }
        let role = org.create_role(
            &name,
            body.description.as_deref().unwrap_or_default(),
            body.permissions.unwrap_or_default(),
            groups,
            now,
        )?;
        principal
            .audit("role.created", Outcome::Success)
            .target(&role.name)
            .detail(format!("{:?}", role.permissions))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(role))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/roles/{}", role.id)))
        .json(role))
}

#[patch("/roles/{role}")]
async fn change_role(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    if body.name.is_some() {
        return Err(ApiError::field(
            "name",
            "can't be changed; create a new role instead",
        ));
    }
    let reference = reference.into_inner();
    let now = state.clock.now();
    let role = blocking(move || {
        let org = &principal.org;
        let Some(role) = org.find_role(&reference)? else {
            return Ok(Err(ApiError::NotFound("role")));
        };
        let alert_groups = match body.alert_groups {
            Some(Some(refs)) => match resolve_groups(org, &refs)? {
                Ok(ids) => Some(Some(ids)),
                Err(e) => return Ok(Err(e)),
            },
            Some(None) => Some(None),
            None => None,
        };
        if let Err(e) = appliance_only(body.permissions.as_deref()) {
            return Ok(Err(e));
        }
        if role.name == crate::auth::roles::ADMIN && body.permissions.is_some() {
            return Ok(Err(ApiError::field(
                "permissions",
                "the admin role always has every permission",
            )));
        }
        let after_permissions = body.permissions.clone().unwrap_or(role.permissions.clone());
        let after_groups = alert_groups.clone().unwrap_or(role.alert_groups.clone());
        if let Err(e) = may_define(&principal, &role.permissions, &role.alert_groups)
            .and_then(|()| may_define(&principal, &after_permissions, &after_groups))
        {
            return Ok(Err(e));
        }
        let change = RoleChange {
            description: body.description,
            permissions: body.permissions,
            alert_groups,
        };
        let changed = org.change_role(role.id, &change, now)?;
        principal
            .audit("role.changed", Outcome::Success)
            .target(&changed.name)
            .detail(format!(
                "{:?} → {:?}",
                role.permissions, changed.permissions
            ))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(changed))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(role))
}

#[delete("/roles/{role}")]
async fn delete_role(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let Some(role) = org.find_role(&reference)? else {
            return Ok(Err(ApiError::NotFound("role")));
        };
        if let Err(e) = may_define(&principal, &role.permissions, &role.alert_groups) {
            return Ok(Err(e));
        }
        org.delete_role(role.id)?;
        principal
            .audit("role.deleted", Outcome::Success)
            .target(&role.name)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(change_user)
        .service(delete_user)
        .service(end_user_sessions)
        .service(reset_second_factor)
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

/// The privilege rule for roles: a role can be defined, changed or removed
/// only by someone who holds every permission and group it has (before and
/// after the change), so `manage_roles` is not a way to become admin.
fn may_define(
    principal: &Principal,
    permissions: &[Permission],
    alert_groups: &Option<Vec<Id>>,
) -> Result<(), ApiError> {
    let role = Access {
        roles: Vec::new(),
        permissions: permissions.to_vec(),
        alert_groups: alert_groups.clone(),
    };
    if principal.access.covers(&role) {
        Ok(())
    } else {
        Err(ApiError::Outranked(
            "permissions: the role would hold permissions or groups you don't; only someone who holds all of them may define it",
        ))
    }
}

/// Operating the appliance is the operator's alone: no organisation role
/// holds it.
fn appliance_only(permissions: Option<&[Permission]>) -> Result<(), ApiError> {
    match permissions
        .unwrap_or_default()
        .iter()
        .position(|p| !Permission::ALL.contains(p))
    {
        Some(i) => Err(ApiError::field(
            format!("permissions[{i}]"),
            "belongs to the appliance operator, not to an organisation",
        )),
        None => Ok(()),
    }
}
