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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
}

impl ListQuery {
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
        let page: Vec<Value> = resources.into_iter().skip(start - 1).take(count).collect();
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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
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
