//! The one mapping from errors to HTTP: RFC 9457 problem documents
//! (`application/problem+json`) with a stable `code` and, for bad input, the
//! `field` at fault.

use crate::auth::Permission;
use crate::store::{SessionStage, StoreError};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {detail}")]
    InvalidField { field: String, detail: String },
    #[error("the request body must be JSON (Content-Type: application/json)")]
    NotJson,
    #[error("the request body is too large or could not be read")]
    BodyUnreadable,
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("wrong organisation, username, password or code")]
    LoginRefused,
    #[error("enter the code from your authenticator app or a recovery code")]
    SecondFactorRequired,
    #[error("a login code was sent by SMS to the number ending {0}; enter it, or a recovery code")]
    SmsCodeSent(String),
    #[error("codes by SMS need a modem, and this appliance has none configured")]
    NoModem,
    #[error("too many attempts; try again in {0} seconds")]
    Throttled(u64),
    #[error("this device was wiped and blocked by an administrator")]
    DeviceWiped,
    #[error("this needs a logged-in user, not an API key")]
    NeedsLogin,
    #[error("the request lacks the X-CSRF-Token header this session was given at login")]
    Csrf,
    #[error("{}", unfinished_message(*.0))]
    Unfinished(SessionStage),
    #[error("{0}")]
    Refused(&'static str),
    #[error("{field}: {detail}")]
    NotAllowed { field: String, detail: String },
    #[error(
        "this organisation's integrations may send {0} alerts per minute; wait and send again"
    )]
    RateGuard(u32),
    #[error("this needs the {0:?} permission")]
    Forbidden(Permission),
    /// A position the organisation's location policy does not want now.
    #[error("location sharing is off for you now (the organisation's location policy)")]
    NotSharing,
    /// Giving, resetting or acting on a privilege the caller doesn't hold.
    #[error("{0}")]
    Outranked(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{what} {value:?} already exists")]
    Conflict { what: &'static str, value: String },
    /// A value one record may hold at a time, held by another.
    #[error("{field}: {detail}")]
    Taken { field: String, detail: String },
    /// This appliance's standby has been promoted in its place.
    #[error("{0}")]
    TakenOver(String),
    /// A standby, or a primary that stood down: it serves no alerts.
    #[error("{0}")]
    NotServing(String),
    #[error("storage failure")]
    Store(#[source] StoreError),
    #[error("the server could not finish the request")]
    Internal,
}

impl ApiError {
    pub fn field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::InvalidField {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::NotJson => "not_json",
            ApiError::BodyUnreadable => "body_unreadable",
            ApiError::Unauthorized => "unauthorized",
            ApiError::LoginRefused => "login_refused",
            ApiError::SecondFactorRequired | ApiError::SmsCodeSent(_) => "second_factor_required",
            ApiError::NoModem => "no_modem",
            ApiError::Throttled(_) => "throttled",
            ApiError::DeviceWiped => "device_wiped",
            ApiError::NeedsLogin => "needs_login",
            ApiError::Csrf => "csrf",
            ApiError::Unfinished(SessionStage::MustChangePassword) => "password_change_required",
            ApiError::Unfinished(_) => "second_factor_enrolment_required",
            ApiError::Refused(_) => "refused",
            ApiError::NotAllowed { .. } => "not_allowed",
            ApiError::RateGuard(_) => "rate_guard",
            ApiError::Forbidden(_) | ApiError::Outranked(_) => "forbidden",
            ApiError::NotSharing => "not_sharing",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { .. } | ApiError::Taken { .. } => "conflict",
            ApiError::TakenOver(_) => "promoted",
            ApiError::NotServing(_) => "not_serving",
            ApiError::Store(_) => "storage",
            ApiError::Internal => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { what, value } => ApiError::Conflict { what, value },
            StoreError::NotFound { what } => ApiError::NotFound(what),
            StoreError::Refused(why) => ApiError::Refused(why),
            other => ApiError::Store(other),
        }
    }
}

fn unfinished_message(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::MustChangePassword => "change your password first (POST /api/v1/me/password)",
        _ => "your role requires a second factor: enrol one first (POST /api/v1/me/totp)",
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyUnreadable => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized
            | ApiError::LoginRefused
            | ApiError::SecondFactorRequired
            | ApiError::SmsCodeSent(_)
            | ApiError::DeviceWiped => StatusCode::UNAUTHORIZED,
            ApiError::NoModem | ApiError::NotServing(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TakenOver(_) => StatusCode::CONFLICT,
            ApiError::Throttled(_) | ApiError::RateGuard(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NeedsLogin
            | ApiError::Csrf
            | ApiError::Unfinished(_)
            | ApiError::NotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) | ApiError::Outranked(_) | ApiError::NotSharing => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Taken { .. } => StatusCode::CONFLICT,
            ApiError::Store(_) | ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, source = ?std::error::Error::source(self), "request failed");
        }
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            field: match self {
                ApiError::InvalidField { field, .. }
                | ApiError::NotAllowed { field, .. }
                | ApiError::Taken { field, .. } => Some(field),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::Throttled(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            ApiError::RateGuard(_) => {
                response.insert_header((header::RETRY_AFTER, "60"));
            }
            // The wipe order: the browser deletes everything this origin stored.
            ApiError::DeviceWiped => {
                response.insert_header(("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\""));
            }
            _ => {}
        }
        response.json(problem)
    }
}

/// Answers requests no route matched.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("resource"))
}

impl From<crate::auth::password::PasswordError> for ApiError {
    fn from(e: crate::auth::password::PasswordError) -> Self {
        tracing::error!(error = %e, "password hashing failed");
        ApiError::Internal
    }
}

impl From<crate::auth::login::LoginError> for ApiError {
    fn from(e: crate::auth::login::LoginError) -> Self {
        match e {
            crate::auth::login::LoginError::Store(e) => ApiError::from(e),
            other => {
                tracing::error!(error = %other, "login failed");
                ApiError::Internal
            }
        }
    }
}

impl From<crate::auth::second_factor::SecondFactorError> for ApiError {
    fn from(e: crate::auth::second_factor::SecondFactorError) -> Self {
        match e {
            crate::auth::second_factor::SecondFactorError::Store(e) => ApiError::from(e),
            other => {
                tracing::error!(error = %other, "second factor failed");
                ApiError::Internal
            }
        }
    }
}

impl From<getrandom::Error> for ApiError {
    fn from(e: getrandom::Error) -> Self {
        tracing::error!(error = %e, "the system random generator failed");
        ApiError::Internal
    }
}
