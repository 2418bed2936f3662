//! SCIM 2.0 (RFC 7643/7644) at `/scim/v2/`: identity providers create,
//! change and remove the organisation's users and groups. Each request is
//! an API key's whose role holds `provision`; the key's organisation is the
//! one provisioned. Errors are SCIM error documents, not problem documents,
//! because that is what the providers read.

mod filter;
mod groups;
mod meta;
mod patch;
mod users;

use crate::auth::Permission;
use crate::web::extract::{Caller, Principal};
use crate::web::problem::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Value};

pub const CONTENT_TYPE: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The most resources one page holds, whatever `count` asks.
pub const MAX_RESULTS: usize = 1000;
const DEFAULT_COUNT: usize = 100;

/// A SCIM error (RFC 7644 §3.12).
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, format!("{what} not found"))
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(kind), Some(object)) = (self.scim_type, body.as_object_mut()) {
            object.insert("scimType".into(), Value::String(kind.into()));
        }
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.content_type(CONTENT_TYPE).body(body.to_string())
    }
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> Self {
        let scim_type = match &e {
            ApiError::Conflict { .. } => Some("uniqueness"),
            ApiError::InvalidField { .. } => Some("invalidValue"),
            _ => None,
        };
        let status = match e.status_code() {
            // SCIM has no 422: a bad value is a 400 with a scimType.
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        ScimError::new(status, scim_type, e.to_string())
    }
}

impl From<crate::store::StoreError> for ScimError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<patch::PatchError> for ScimError {
    fn from(e: patch::PatchError) -> Self {
        let kind = match &e {
            patch::PatchError::InvalidPath(_) => "invalidPath",
            patch::PatchError::NoTarget(_) => "noTarget",
            patch::PatchError::InvalidValue(_) => "invalidValue",
            patch::PatchError::InvalidSyntax(_) => "invalidSyntax",
        };
        ScimError::new(StatusCode::BAD_REQUEST, Some(kind), e.to_string())
    }
}

/// Runs store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ScimError> + Send + 'static,
) -> Result<T, ScimError> {
    crate::store::blocking(f).await
}

/// The caller: an API key whose role holds `provision`. A console session
/// is refused: provisioning is for identity providers, and a browser's
/// requests would bypass the console's own checks on who may change whom.
async fn provisioner(req: &HttpRequest) -> Result<Principal, ScimError> {
    let principal = Principal::extract(req).await.map_err(ScimError::from)?;
    if !matches!(principal.caller, Caller::ApiKey { .. }) {
        return Err(ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "SCIM needs an API key as a bearer token",
        ));
    }
    principal.require(Permission::Provision)?;
    Ok(principal)
}

/// A request body: `application/scim+json` or `application/json`, a JSON
/// object.
fn body(req: &HttpRequest, bytes: &[u8]) -> Result<Value, ScimError> {
    let mime = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if let Some(mime) = mime {
        if mime != CONTENT_TYPE && mime != "application/json" {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "the body must be application/scim+json",
            ));
        }
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("the body is not JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

fn respond(status: StatusCode, value: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .body(value.to_string())
}

/// Where this appliance's SCIM endpoint is, as the caller reached it, for
/// `meta.location`.
fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which
/// attributes an answer holds. `id`, `schemas` and `meta` always stay.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn names(list: Option<&str>) -> Vec<Vec<String>> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(filter::attribute_path)
        .collect()
}

impl Projection {
    pub fn apply(&self, resource: &mut Value) {
        let Some(object) = resource.as_object_mut() else {
            return;
        };
        let always = |k: &str| {
            ["id", "schemas", "meta"]
                .iter()
                .any(|a| a.eq_ignore_ascii_case(k))
        };
        let wanted = names(self.attributes.as_deref());
        if !wanted.is_empty() {
            object.retain(|k, _| {
                always(k)
                    || wanted
                        .iter()
                        .any(|w| w.first().is_some_and(|f| f.eq_ignore_ascii_case(k)))
            });
        }
        for path in names(self.excluded_attributes.as_deref()) {
            match path.as_slice() {
                [top] if !always(top) => {
                    if let Some(k) = filter::key_of(object, top).cloned() {
                        object.remove(&k);
                    }
                }
                [top, sub] => {
                    let Some(k) = filter::key_of(object, top).cloned() else {
                        continue;
                    };
                    let strip = |v: &mut Value| {
                        if let Some(o) = v.as_object_mut() {
                            if let Some(s) = filter::key_of(o, sub).cloned() {
                                o.remove(&s);
                            }
                        }
                    };
                    match object.get_mut(&k) {
                        Some(Value::Array(items)) => items.iter_mut().for_each(strip),
                        Some(v) => strip(v),
                        None => {}
                    }
                }
                _ => {}
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl ListQuery {
    /// A `POST …/.search` body (RFC 7644 §3.4.3) as the query it stands for.
    fn from_search(body: &Value) -> Result<ListQuery, ScimError> {
        let list = |name: &str| {
            filter::get_ci(body, name).map(|v| match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.as_str().unwrap_or_default().to_owned(),
            })
        };
        Ok(ListQuery {
            filter: filter::get_ci(body, "filter")
                .and_then(Value::as_str)
                .map(str::to_owned),
            start_index: filter::get_ci(body, "startIndex").and_then(Value::as_i64),
            count: filter::get_ci(body, "count").and_then(Value::as_i64),
            attributes: list("attributes"),
            excluded_attributes: list("excludedAttributes"),
        })
    }

    fn filter(&self) -> Result<Option<filter::Filter>, ScimError> {
        self.filter
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                filter::parse(f).map_err(|e| {
                    ScimError::new(
                        StatusCode::BAD_REQUEST,
                        Some("invalidFilter"),
                        e.to_string(),
                    )
                })
            })
            .transpose()
    }

    /// A ListResponse of the page `startIndex`/`count` ask for (RFC 7644
    /// §3.4.2.4: a start below 1 is 1, a negative count is 0).
    fn page(&self, resources: Vec<Value>) -> Value {
        let total = resources.len();
        let start = usize::try_from(self.start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = self
            .count
            .map(|c| usize::try_from(c.max(0)).unwrap_or(0))
            .unwrap_or(DEFAULT_COUNT)
            .min(MAX_RESULTS);
        let projection = Projection {
            attributes: self.attributes.clone(),
            excluded_attributes: self.excluded_attributes.clone(),
        };
        let page: Vec<Value> = resources
            .into_iter()
            .skip(start - 1)
            .take(count)
            .map(|mut r| {
                projection.apply(&mut r);
                r
            })
            .collect();
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": page.len(),
            "Resources": page,
        })
    }
}

/// One PATCH operation: `op`, `path` and `value`.
type Operation = (patch::Kind, Option<String>, Option<Value>);

/// The operations of a PATCH body.
fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let invalid = |why: &str| ScimError::new(StatusCode::BAD_REQUEST, Some("invalidSyntax"), why);
    let schemas_ok = filter::get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA)));
    if !schemas_ok {
        return Err(invalid(
            "schemas must hold urn:ietf:params:scim:api:messages:2.0:PatchOp",
        ));
    }
    let Some(Value::Array(ops)) = filter::get_ci(body, "Operations") else {
        return Err(invalid("Operations must be a list"));
    };
    ops.iter()
        .map(|op| {
            let kind = filter::get_ci(op, "op")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("each operation needs an op"))?;
            Ok((
                patch::Kind::parse(kind)?,
                filter::get_ci(op, "path")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                filter::get_ci(op, "value").cloned(),
            ))
        })
        .collect()
}

/// `POST /.search` at the root (RFC 7644 §3.4.3): users and groups alike.
#[actix_web::post("/.search")]
async fn search_all(req: HttpRequest, bytes: web::Bytes) -> Result<HttpResponse, ScimError> {
    let query = ListQuery::from_search(&body(&req, &bytes)?)?;
    let principal = provisioner(&req).await?;
    let filter = query.filter()?;
    let base = base_url(&req);
    let resources = blocking(move || {
        let org = &principal.org;
        let groups = org.groups()?;
        let mut all: Vec<Value> = org
            .users()?
            .iter()
            .map(|u| users::to_scim(u, &groups, &base))
            .collect();
        all.extend(groups.iter().map(|g| groups::to_scim(g, &base)));
        Ok(all
            .into_iter()
            .filter(|v| filter.as_ref().is_none_or(|f| filter::matches(f, v)))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(respond(StatusCode::OK, &query.page(resources)))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .service(search_all)
            .configure(meta::routes)
            .configure(users::routes)
            .configure(groups::routes)
            .default_service(web::to(|| async {
                ScimError::not_found("resource").error_response()
            })),
    );
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
