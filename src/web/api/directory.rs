//! Users and groups of the caller's organisation.

use crate::auth::{password, Permission, Role};
use crate::ids::Id;
use crate::store::{Group, NewGroup, NewUser, OrgStore, User};
use crate::validate;
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
    password: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    /// Group names (or ids) the user joins.
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Debug, Serialize)]
struct UserView {
    id: Id,
    username: String,
    name: String,
    phones: Vec<String>,
    email: Option<String>,
    tetra_issi: Option<u32>,
    language: Option<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    can_log_in: bool,
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
            id: user.id,
            username: user.username,
            name: user.name,
            phones: user.phones,
            email: user.email,
            tetra_issi: user.tetra_issi,
            language: user.language,
            roles: user.roles,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

fn check(field: &str, result: Result<(), &'static str>) -> Result<(), ApiError> {
    result.map_err(|why| ApiError::field(field, why))
}

impl CreateUser {
    fn validate(&self) -> Result<(), ApiError> {
        check("username", validate::handle(&self.username))?;
        check("name", validate::display_name(&self.name))?;
        for (i, phone) in self.phones.iter().enumerate() {
            check(&format!("phones[{i}]"), validate::e164(phone))?;
        }
        if let Some(email) = &self.email {
            check("email", validate::email(email))?;
        }
        if let Some(issi) = self.tetra_issi {
            check("tetra_issi", validate::tetra_ssi(issi))?;
        }
        if let Some(language) = &self.language {
            check("language", validate::language(language))?;
        }
        if let Some(password) = &self.password {
            if password.chars().count() < password::MIN_LENGTH {
                return Err(ApiError::field(
                    "password",
                    format!("must be at least {} characters", password::MIN_LENGTH),
                ));
            }
        }
        for (i, role) in self.roles.iter().enumerate() {
            if Role::from_name(role).is_none() {
                return Err(ApiError::field(
                    format!("roles[{i}]"),
                    "must be one of admin, sender, member",
                ));
            }
        }
        Ok(())
    }
}

/// Finds a group by id or name within the organisation.
fn find_group(org: &OrgStore, reference: &str) -> Result<Option<Group>, crate::store::StoreError> {
    if let Ok(id) = reference.parse::<Id>() {
        if let Some(group) = org.group(id)? {
            return Ok(Some(group));
        }
    }
    org.group_by_name(reference)
}

fn find_user(org: &OrgStore, reference: &str) -> Result<Option<User>, crate::store::StoreError> {
    if let Ok(id) = reference.parse::<Id>() {
        if let Some(user) = org.user(id)? {
            return Ok(Some(user));
        }
    }
    org.user_by_username(reference)
}

#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    body.validate()?;
    let password_hash = match body.password.clone() {
        Some(password) => Some(blocking(move || password::hash(&password)).await?),
        None => None,
    };
    let org = principal.org.clone();
    let now = state.clock.now();
    let view = blocking(move || {
        let mut groups = Vec::new();
        for (i, reference) in body.groups.iter().enumerate() {
            match find_group(&org, reference)? {
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
                username: body.username,
                name: body.name,
                phones: body.phones,
                email: body.email,
                tetra_issi: body.tetra_issi,
                language: body.language,
                roles: body.roles,
                password_hash,
                groups,
            },
            now,
        )?;
        let groups = org.groups()?;
        Ok::<_, crate::store::StoreError>(Ok(UserView::new(user, &groups)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", view.id)))
        .json(view))
}

#[get("/users")]
async fn list_users(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let users = blocking(move || {
        let groups = org.groups()?;
        Ok::<_, crate::store::StoreError>(
            org.users()?
                .into_iter()
                .map(|u| UserView::new(u, &groups))
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "users": users })))
}

#[get("/users/{reference}")]
async fn get_user(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let view = blocking(move || {
        let groups = org.groups()?;
        Ok::<_, crate::store::StoreError>(
            find_user(&org, &reference)?.map(|u| UserView::new(u, &groups)),
        )
    })
    .await?
    .ok_or(ApiError::NotFound("user"))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    name: String,
    /// Usernames (or ids) of the members.
    #[serde(default)]
    members: Vec<String>,
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

#[post("/groups")]
async fn create_group(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateGroup>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageGroups)?;
    check("name", validate::display_name(&body.name))?;
    let org = principal.org.clone();
    let now = state.clock.now();
    let group = blocking(move || {
        let mut members = Vec::new();
        for (i, reference) in body.members.iter().enumerate() {
            match find_user(&org, reference)? {
                Some(user) => members.push(user.id),
                None => {
                    return Ok(Err(ApiError::field(
                        format!("members[{i}]"),
                        "no such user in this organisation",
                    )))
                }
            }
        }
        let group = org.create_group(
            NewGroup {
                name: body.name,
                members,
            },
            now,
        )?;
        Ok::<_, crate::store::StoreError>(Ok(GroupView::from(group)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/groups/{}", group.id)))
        .json(group))
}

#[get("/groups")]
async fn list_groups(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let groups = blocking(move || org.groups()).await?;
    let groups: Vec<GroupView> = groups.into_iter().map(GroupView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "groups": groups })))
}

#[get("/groups/{reference}")]
async fn get_group(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let group = blocking(move || find_group(&org, &reference))
        .await?
        .ok_or(ApiError::NotFound("group"))?;
    Ok(HttpResponse::Ok().json(GroupView::from(group)))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(create_group)
        .service(list_groups)
        .service(get_group);
}
