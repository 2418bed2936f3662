//! Groups of people: who is in them, and reading and changing them.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupBody {
    name: Option<String>,
    /// Usernames (or ids) of the members.
    members: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub(super) struct GroupView {
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

pub(super) fn resolve_members(
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
pub(super) async fn create_group(
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
pub(super) async fn change_group(
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
                scim: None,
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
pub(super) async fn delete_group(
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
pub(super) async fn list_groups(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let groups = blocking(move || org.groups()).await?;
    let groups: Vec<GroupView> = groups.into_iter().map(GroupView::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "groups": groups })))
}

#[get("/groups/{group}")]
pub(super) async fn get_group(
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
