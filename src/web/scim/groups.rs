//! SCIM Groups: the organisation's groups (alert targets) and their members.

use super::filter::{self, get_ci, CORE_GROUP};
use super::*;
use crate::ids::Id;
use crate::store::{Group, GroupChange, NewGroup, OrgStore, Outcome, ScimGroupLink};
use crate::validate;
use crate::web::AppState;
use actix_web::{delete, get, patch, post, put};

/// A group as SCIM shows it. Members carry no `display`: providers compare
/// what they sent with what they read back, and they send ids only.
pub fn to_scim(group: &Group, base: &str) -> Value {
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|id| {
            json!({
                "value": id.to_string(),
                "$ref": format!("{base}/Users/{id}"),
                "type": "User",
            })
        })
        .collect();
    let mut out = json!({
        "schemas": [CORE_GROUP],
        "id": group.id.to_string(),
        "displayName": group.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": rfc3339(group.created_at),
            "lastModified": rfc3339(group.created_at),
            "location": format!("{base}/Groups/{}", group.id),
        },
    });
    if let (Some(id), Some(object)) = (
        group.scim.as_ref().and_then(|s| s.external_id.clone()),
        out.as_object_mut(),
    ) {
        object.insert("externalId".into(), json!(id));
    }
    out
}

struct Incoming {
    name: String,
    members: Vec<Id>,
    link: ScimGroupLink,
}

/// A group as sent, its members resolved to users of this organisation.
fn from_scim(org: &OrgStore, value: &Value) -> Result<Incoming, ScimError> {
    let name = get_ci(value, "displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?
        .to_owned();
    validate::display_name(&name)
        .map_err(|why| ScimError::invalid_value(format!("displayName: {why}")))?;
    let mut members = Vec::new();
    let listed = get_ci(value, "members")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, member) in listed.iter().enumerate() {
        let reference = get_ci(member, "value")
            .and_then(Value::as_str)
            .unwrap_or("");
        let user = reference
            .parse::<Id>()
            .ok()
            .map(|id| org.user(id))
            .transpose()?
            .flatten()
            .ok_or_else(|| {
                ScimError::invalid_value(format!(
                    "members[{i}].value: {reference:?} is no user of this organisation"
                ))
            })?;
        if !members.contains(&user.id) {
            members.push(user.id);
        }
    }
    let external_id = get_ci(value, "externalId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Incoming {
        name,
        members,
        link: ScimGroupLink { external_id },
    })
}

fn by_id(org: &OrgStore, id: &str) -> Result<Group, ScimError> {
    id.parse::<Id>()
        .ok()
        .map(|id| org.group(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| ScimError::not_found("group"))
}

#[post("/Groups")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let value = body(&req, &bytes)?;
    let now = state.clock.now();
    let base = base_url(&req);
    let out = blocking(move || {
        let org = &principal.org;
        let incoming = from_scim(org, &value)?;
        if org.group_by_name(&incoming.name)?.is_some() {
            return Err(ScimError::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                format!("displayName {:?} is taken", incoming.name),
            ));
        }
        let group = org.create_group_managed(
            NewGroup {
                name: incoming.name,
                members: incoming.members,
            },
            Some(incoming.link),
            now,
        )?;
        principal
            .audit("scim.group_created", Outcome::Success)
            .target(&group.name)
            .write(org, now)?;
        Ok(to_scim(&group, &base))
    })
    .await?;
    state.store.flush().await?;
    let mut response = respond(StatusCode::CREATED, &out);
    if let Some(Ok(value)) = out
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .map(actix_web::http::header::HeaderValue::from_str)
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, value);
    }
    Ok(response)
}

#[get("/Groups/{id}")]
async fn read(
    req: HttpRequest,
    id: web::Path<String>,
    projection: web::Query<Projection>,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let base = base_url(&req);
    let mut out = blocking(move || {
        let org = &principal.org;
        let group = by_id(org, &id)?;
        Ok(to_scim(&group, &base))
    })
    .await?;
    projection.apply(&mut out);
    Ok(respond(StatusCode::OK, &out))
}

#[get("/Groups")]
async fn list(req: HttpRequest, query: web::Query<ListQuery>) -> Result<HttpResponse, ScimError> {
    search(req, query.into_inner()).await
}

#[post("/Groups/.search")]
async fn post_search(req: HttpRequest, bytes: web::Bytes) -> Result<HttpResponse, ScimError> {
    let query = ListQuery::from_search(&body(&req, &bytes)?)?;
    search(req, query).await
}

async fn search(req: HttpRequest, query: ListQuery) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let filter = query.filter()?;
    let base = base_url(&req);
    let resources = blocking(move || {
        let org = &principal.org;
        Ok(org
            .groups()?
            .iter()
            .map(|g| to_scim(g, &base))
            .filter(|v| filter.as_ref().is_none_or(|f| filter::matches(f, v)))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(respond(StatusCode::OK, &query.page(resources)))
}

/// Sets a group to `value` (PUT, and PATCH once applied).
async fn replace(
    req: &HttpRequest,
    state: &AppState,
    principal: Principal,
    group: Group,
    value: Value,
) -> Result<HttpResponse, ScimError> {
    let now = state.clock.now();
    let base = base_url(req);
    let out = blocking(move || {
        let org = &principal.org;
        let incoming = from_scim(org, &value)?;
        if incoming.name != group.name {
            if let Some(other) = org.group_by_name(&incoming.name)? {
                if other.id != group.id {
                    return Err(ScimError::new(
                        StatusCode::CONFLICT,
                        Some("uniqueness"),
                        format!("displayName {:?} is taken", incoming.name),
                    ));
                }
            }
        }
        let joined = incoming
            .members
            .iter()
            .filter(|m| !group.members.contains(m))
            .count();
        let left = group
            .members
            .iter()
            .filter(|m| !incoming.members.contains(m))
            .count();
        let changed = org.change_group(
            group.id,
            &GroupChange {
                name: Some(incoming.name),
                members: Some(incoming.members),
                scim: Some(Some(incoming.link)),
            },
        )?;
        principal
            .audit("scim.group_changed", Outcome::Success)
            .target(&changed.name)
            .detail(format!("{joined} members added, {left} removed"))
            .write(org, now)?;
        Ok(to_scim(&changed, &base))
    })
    .await?;
    state.store.flush().await?;
    Ok(respond(StatusCode::OK, &out))
}

#[put("/Groups/{id}")]
async fn put_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let value = body(&req, &bytes)?;
    let org = principal.org.clone();
    let group = blocking(move || by_id(&org, &id)).await?;
    replace(&req, &state, principal, group, value).await
}

#[patch("/Groups/{id}")]
async fn patch_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let ops = operations(&body(&req, &bytes)?)?;
    let org = principal.org.clone();
    let base = base_url(&req);
    let (group, current) = blocking(move || {
        let group = by_id(&org, &id)?;
        // Members only by id: the display names are not needed to patch.
        let current = to_scim(&group, &base);
        Ok((group, current))
    })
    .await?;
    let mut resource = current;
    for (kind, path, value) in ops {
        patch::apply(&mut resource, kind, path.as_deref(), value)?;
    }
    replace(&req, &state, principal, group, resource).await
}

#[delete("/Groups/{id}")]
async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let group = by_id(org, &id)?;
        org.delete_group(group.id)?;
        principal
            .audit("scim.group_deleted", Outcome::Success)
            .target(&group.name)
            .write(org, now)?;
        Ok(())
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(post_search)
        .service(list)
        .service(read)
        .service(put_group)
        .service(patch_group)
        .service(remove);
}
