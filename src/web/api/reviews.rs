//! Access reviews: the report of accounts and keys with what looks no
//! longer needed, and review campaigns that decide, item by item, what is
//! kept and what is revoked.

use super::directory::may_act_on;
use crate::access_review::{self, csv, STALE_DAYS};
use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{
    AccessReview, Actor, Decision, OrgStore, Outcome, ReviewItem, ReviewStatus, ReviewSubject,
    StoreError, UserChange,
};
use crate::web::extract::{ApiJson, Caller, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

/// The report's and a new review's query: `stale_days`, and `format` for
/// the report.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    stale_days: Option<String>,
    format: Option<String>,
}

impl ReportQuery {
    fn parse(req: &HttpRequest) -> Result<ReportQuery, ApiError> {
        web::Query::<ReportQuery>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .map_err(|e| ApiError::field("query", e.to_string()))
    }

    fn stale_days(&self) -> Result<u32, ApiError> {
        match &self.stale_days {
            None => Ok(STALE_DAYS),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or(ApiError::field("stale_days", "must be from 1 to 3650 days")),
        }
    }
}

/// CSV when `format=csv` or the client accepts `text/csv` (and not JSON
/// first).
fn wants_csv(req: &HttpRequest, query: &ReportQuery) -> Result<bool, ApiError> {
    match query.format.as_deref() {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(_) => return Err(ApiError::field("format", "must be json or csv")),
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let first = accept
        .split(',')
        .map(|m| m.split(';').next().unwrap_or_default().trim())
        .find(|m| matches!(*m, "text/csv" | "application/json"));
    Ok(first == Some("text/csv"))
}

#[get("/access-review")]
async fn get_report(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let query = ReportQuery::parse(&req)?;
    let stale_days = query.stale_days()?;
    let csv_wanted = wants_csv(&req, &query)?;
    let now = state.clock.now();
    let report = blocking(move || {
        principal.audit_read("access review", now)?;
        access_review::report(&principal.org, stale_days, now)
    })
    .await?;
    if csv_wanted {
        let name = format!("access-review-{}.csv", now.date());
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(csv::render(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    items: usize,
    pending: usize,
    keep: usize,
    revoke: usize,
}

/// A review on the wire: its items only when one review is asked for.
#[derive(Debug, Serialize)]
struct ReviewView {
    id: Id,
    status: ReviewStatus,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    started_by: Actor,
    stale_days: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    closed_at: Option<OffsetDateTime>,
    closed_by: Option<Actor>,
    counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ReviewItem>>,
}

impl ReviewView {
    fn new(review: AccessReview, with_items: bool) -> Self {
        let mut counts = Counts {
            items: review.items.len(),
            ..Counts::default()
        };
        for item in &review.items {
            match item.decision {
                Decision::Pending => counts.pending += 1,
                Decision::Keep => counts.keep += 1,
                Decision::Revoke => counts.revoke += 1,
            }
        }
        ReviewView {
            id: review.id,
            status: review.status,
            started_at: review.started_at,
            started_by: review.started_by,
            stale_days: review.stale_days,
            closed_at: review.closed_at,
            closed_by: review.closed_by,
            counts,
            items: with_items.then_some(review.items),
        }
    }
}

fn review_id(raw: &str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("access review"))
}

#[post("/access-reviews")]
async fn start_review(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let stale_days = ReportQuery::parse(&req)?.stale_days()?;
    let now = state.clock.now();
    let review = blocking(move || {
        let org = &principal.org;
        let report = access_review::report(org, stale_days, now)?;
        let review = AccessReview {
            id: Id::new(),
            status: ReviewStatus::Open,
            started_at: now,
            started_by: principal.actor.clone(),
            stale_days,
            items: access_review::items_of(&report),
            closed_at: None,
            closed_by: None,
        };
        org.start_access_review(&review)?;
        principal
            .audit("access_review.started", Outcome::Success)
            .target(review.id)
            .detail(format!("{} items", review.items.len()))
            .write(org, now)?;
        Ok::<_, StoreError>(review)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/access-reviews/{}", review.id),
        ))
        .json(ReviewView::new(review, true)))
}

#[get("/access-reviews")]
async fn list_reviews(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let org = principal.org.clone();
    let reviews = blocking(move || org.access_reviews()).await?;
    let views: Vec<ReviewView> = reviews
        .into_iter()
        .map(|r| ReviewView::new(r, false))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "reviews": views })))
}

#[get("/access-reviews/{id}")]
async fn get_review(principal: Principal, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let id = review_id(&id)?;
    let org = principal.org.clone();
    let review = blocking(move || org.access_review(id))
        .await?
        .ok_or(ApiError::NotFound("access review"))?;
    Ok(HttpResponse::Ok().json(ReviewView::new(review, true)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Decided {
    Keep,
    Revoke,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody {
    decision: Decided,
    #[serde(default)]
    note: Option<String>,
}

const NOTE_MAX: usize = 500;

#[put("/access-reviews/{id}/items/{item_id}")]
async fn decide(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<DecideBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let (id, item) = path.into_inner();
    let id = review_id(&id)?;
    let item: Id = item
        .parse()
        .map_err(|_| ApiError::NotFound("review item"))?;
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTE_MAX || n.chars().any(char::is_control))
    {
        return Err(ApiError::field(
            "note",
            "must be one line of at most 500 characters",
        ));
    }
    let decision = match body.decision {
        Decided::Keep => Decision::Keep,
        Decided::Revoke => Decision::Revoke,
    };
    let now = state.clock.now();
    let review = blocking(move || {
        let org = &principal.org;
        let Some(review) = org.access_review(id)? else {
            return Ok(Err(ApiError::NotFound("access review")));
        };
        let Some(entry) = review.items.iter().find(|i| i.id == item) else {
            return Ok(Err(ApiError::NotFound("review item")));
        };
        if decision == Decision::Revoke {
            if let Err(e) = may_revoke(&principal, org, entry, "decision")? {
                return Ok(Err(e));
            }
        }
        let name = entry.name.clone();
        let decided =
            org.decide_review_item(id, item, decision, note.clone(), &principal.actor, now)?;
        let verb = if decision == Decision::Revoke {
            "revoke"
        } else {
            "keep"
        };
        let detail = match &note {
            Some(note) => format!("{verb} (review {id}): {note}"),
            None => format!("{verb} (review {id})"),
        };
        principal
            .audit("access_review.decided", Outcome::Success)
            .target(&name)
            .detail(detail)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(decided))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(ReviewView::new(review, true)))
}

/// Whether the caller may revoke what `item` names: nobody revokes
/// themselves or the key they call with, users need `manage_users` and
/// everything the user holds, keys `manage_api_keys` and everything the
/// key's role holds. A subject gone since the review started is nothing
/// to refuse.
fn may_revoke(
    principal: &Principal,
    org: &OrgStore,
    item: &ReviewItem,
    field: &str,
) -> Result<Result<(), ApiError>, StoreError> {
    let own = |detail: &str| ApiError::NotAllowed {
        field: field.to_owned(),
        detail: format!("{}: {detail}", item.name),
    };
    match item.kind {
        ReviewSubject::User => {
            if let Err(e) = principal.require(Permission::ManageUsers) {
                return Ok(Err(e));
            }
            if principal.user().is_ok_and(|me| me.id == item.subject) {
                return Ok(Err(own("you can't revoke your own account")));
            }
            match org.user(item.subject)? {
                Some(user) => may_act_on(principal, org, &user.roles),
                None => Ok(Ok(())),
            }
        }
        ReviewSubject::ApiKey => {
            if let Err(e) = principal.require(Permission::ManageApiKeys) {
                return Ok(Err(e));
            }
            if matches!(principal.caller, Caller::ApiKey { key_id } if key_id == item.subject) {
                return Ok(Err(own("you can't revoke the key you are calling with")));
            }
            let Some(key) = org.api_key(item.subject)? else {
                return Ok(Ok(()));
            };
            let role = org.role_by_name(&key.role)?;
            if principal.access.covers(&Access::from_roles(role.iter())) {
                Ok(Ok(()))
            } else {
                Ok(Err(ApiError::Outranked(
                    "this key's role holds permissions or groups you don't; only someone who holds all of them may revoke it",
                )))
            }
        }
    }
}

#[post("/access-reviews/{id}/close")]
async fn close_review(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let id = review_id(&id)?;
    let now = state.clock.now();
    let review = blocking(move || {
        let org = &principal.org;
        let Some(review) = org.access_review(id)? else {
            return Ok(Err(ApiError::NotFound("access review")));
        };
        if review.status != ReviewStatus::Open {
            return Ok(Err(ApiError::Refused(
                "this access review is already closed",
            )));
        }
        if review.items.iter().any(|i| i.decision == Decision::Pending) {
            return Ok(Err(ApiError::Refused(
                "some items are still pending: decide keep or revoke for each before closing",
            )));
        }
        let revokes: Vec<(usize, &ReviewItem)> = review
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.decision == Decision::Revoke)
            .collect();
        // Every revocation is checked before any is applied, so a refusal
        // leaves everything as it was.
        for (at, item) in &revokes {
            if let Err(e) = may_revoke(&principal, org, item, &format!("items[{at}]"))? {
                return Ok(Err(e));
            }
        }
        // Applying again is harmless, so a close cut short (a crash) is
        // finished by closing again.
        let (mut users, mut keys) = (0, 0);
        for (_, item) in &revokes {
            match item.kind {
                ReviewSubject::User => {
                    let Some(user) = org.user(item.subject)? else {
                        continue;
                    };
                    let change = UserChange {
                        deactivated: Some(true),
                        ..UserChange::default()
                    };
                    org.change_user(user.id, &change, now)?;
                    let ended = org.end_sessions_of(user.id, None)?;
                    principal
                        .audit("user.deactivated", Outcome::Success)
                        .target(&user.username)
                        .detail(format!("access review {id}; {ended} sessions ended"))
                        .write(org, now)?;
                    users += 1;
                }
                ReviewSubject::ApiKey => {
                    if org.api_key(item.subject)?.is_none() {
                        continue;
                    }
                    let key = org.revoke_api_key(item.subject, now)?;
                    principal
                        .audit("apikey.revoked", Outcome::Success)
                        .target(key.id)
                        .detail(format!("{} (access review {id})", key.name))
                        .write(org, now)?;
                    keys += 1;
                }
            }
        }
        let kept = review
            .items
            .iter()
            .filter(|i| i.decision == Decision::Keep)
            .count();
        let closed = org.close_access_review(id, &review.items, &principal.actor, now)?;
        principal
            .audit("access_review.closed", Outcome::Success)
            .target(id)
            .detail(format!(
                "{kept} kept, {users} users deactivated, {keys} keys revoked"
            ))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(closed))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(ReviewView::new(review, true)))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_report)
        .service(start_review)
        .service(list_reviews)
        .service(get_review)
        .service(decide)
        .service(close_review);
}
