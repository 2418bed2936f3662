//! Request extractors: JSON bodies whose errors name the field, and the caller's
//! identity from an API key.

use super::problem::ApiError;
use super::AppState;
use crate::auth::{apikey, Permission, Role};
use crate::ids::Id;
use crate::store::OrgStore;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON request body. Errors are 4xx problems that name the offending field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::NotJson);
            }
            let bytes = body.await.map_err(|_| ApiError::BodyUnreadable)?;
            parse_json(&bytes).map(ApiJson)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        // serde reports missing and unknown fields against their parent; the
        // field's own name is in the message, between backticks.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|lead| inner.strip_prefix(lead))
            .and_then(|rest| rest.split('`').next());
        let field = match (named, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
                path.to_owned()
            }
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => "body".to_owned(),
            (None, path) => path.to_owned(),
        };
        let detail = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        ApiError::field(field, detail)
    })
}

/// The authenticated caller: an API key of one organisation with one role.
#[derive(Debug, Clone)]
pub struct Principal {
    pub org: OrgStore,
    pub key_id: Id,
    pub key_name: String,
    pub role: Role,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission))
        }
    }
}

/// How stale "last used" may get before a request writes it again.
const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| apikey::parse(t.trim()));
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            let parsed = token.ok_or(ApiError::Unauthorized)?;
            let org = state.store.org(parsed.org);
            let now = state.clock.now();
            super::blocking(
                move || -> Result<Result<Principal, ApiError>, crate::store::StoreError> {
                    let Some(record) = org.api_key(parsed.key)? else {
                        return Ok(Err(ApiError::Unauthorized));
                    };
                    if let Err(refusal) = apikey::check(&parsed, &record, now) {
                        tracing::info!(key = %record.id, ?refusal, "API key refused");
                        return Ok(Err(ApiError::Unauthorized));
                    }
                    let Some(role) = Role::from_name(&record.role) else {
                        return Ok(Err(ApiError::Unauthorized));
                    };
                    if record
                        .last_used_at
                        .is_none_or(|at| now - at > LAST_USED_RESOLUTION)
                    {
                        org.touch_api_key(record.id, now)?;
                    }
                    Ok(Ok(Principal {
                        org,
                        key_id: record.id,
                        key_name: record.name,
                        role,
                    }))
                },
            )
            .await?
        })
    }
}
