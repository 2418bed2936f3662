//! Where members are and their check-in timers: the app reports positions
//! under the organisation's policy, senders with `read_locations` see the
//! last ones (every read audited), senders count who is inside an area, and
//! members run their own check-in timer.

use crate::auth::Permission;
use crate::places::{self, CheckInError, Reported};
use crate::store::{CheckInTimer, OrgStore, Outcome, StoreError, User};
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(report_location)
        .service(locations)
        .service(count_in_area)
        .service(my_timer)
        .service(start_timer)
        .service(check_in)
        .service(end_timer);
}

/// What the members' app needs to know of itself: whether to share its
/// position, and its check-in timer.
pub(super) fn my_places(org: &OrgStore, user: &User) -> Result<Value, StoreError> {
    let sharing = places::sharing(org, user)?;
    let timer = org.check_in_timer(user.id)?;
    Ok(json!({
        "on_duty": user.on_duty,
        "location": {"policy": sharing.policy, "sharing": sharing.sharing},
        "timer": timer.as_ref().map(timer_json),
    }))
}

pub(super) fn timer_json(t: &CheckInTimer) -> Value {
    json!({
        "id": t.id, "minutes": t.minutes, "note": t.note,
        "started_at": super::rfc3339(t.started_at), "due_at": super::rfc3339(t.due_at),
        "state": t.state, "grace_until": t.grace_until.map(super::rfc3339), "alert": t.alert,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reading {
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
}

#[post("/me/location")]
async fn report_location(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<Reading>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.clone();
    crate::geo::check_point(body.lat, body.lon).map_err(|e| ApiError::field(e.field, e.why))?;
    let accuracy = body.accuracy_m.unwrap_or(0.0);
    if !accuracy.is_finite() || !(0.0..=100_000.0).contains(&accuracy) {
        return Err(ApiError::field(
            "accuracy_m",
            "must be from 0 to 100000 metres",
        ));
    }
    let (engine, now) = (state.engine.clone(), state.clock.now());
    let reported = blocking(move || {
        places::report(
            &engine,
            &principal.org,
            &user,
            body.lat,
            body.lon,
            accuracy,
            now,
        )
    })
    .await?;
    match reported {
        Reported::Kept { .. } => Ok(HttpResponse::NoContent().finish()),
        Reported::NotSharing => Err(ApiError::NotSharing),
    }
}

/// Members' last known positions, with their answer to the newest active
/// alert they answered. Each read is audited: a position is personal data.
#[get("/locations")]
async fn locations(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadLocations)?;
    let now = state.clock.now();
    let listed = blocking(move || {
        let org = &principal.org;
        let retention = org
            .store()
            .get_org(org.org_id())?
            .map_or(24, |o| o.settings.location_retention_hours);
        let kept_after = now - time::Duration::hours(i64::from(retention.max(1)));
        let answers = latest_answers(org)?;
        let mut out = Vec::new();
        for p in org.positions()?.into_iter().filter(|p| p.at >= kept_after) {
            let Some(user) = org.user(p.user)? else {
                continue;
            };
            out.push(json!({
                "user": user.id, "username": user.username, "name": user.name,
                "lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m,
                "at": super::rfc3339(p.at), "age_seconds": (now - p.at).whole_seconds().max(0),
                "on_duty": user.on_duty, "answer": answers.get(&user.id),
            }));
        }
        principal
            .audit("location.read", Outcome::Success)
            .detail(format!("{} positions", out.len()))
            .write(org, now)?;
        Ok::<_, StoreError>(out)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({ "locations": listed })))
}

/// Each member's answer on the newest active alerts: (alert, choice, ETA).
fn latest_answers(
    org: &OrgStore,
) -> Result<std::collections::HashMap<crate::ids::Id, Value>, StoreError> {
    let mut answers = std::collections::HashMap::new();
    for alert in org
        .alerts(20)?
        .into_iter()
        .filter(|a| a.state == crate::store::AlertState::Active)
    {
        for r in org.recipients(alert.id)? {
            let (Some(user), Some(response)) = (r.user_id, r.response) else {
                continue;
            };
            answers.entry(user).or_insert_with(|| {
                json!({"alert": alert.id, "choice": response.choice, "eta_minutes": response.eta_minutes})
            });
        }
    }
    Ok(answers)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaCount {
    area: crate::geo::Area,
    seen_within_minutes: Option<u32>,
}

/// How many members an area alert would reach now: a count, no positions.
#[post("/areas/count")]
async fn count_in_area(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<AreaCount>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    body.area
        .check()
        .map_err(|e| ApiError::field(format!("area.{}", e.field), e.why))?;
    let within = body
        .seen_within_minutes
        .unwrap_or(crate::alerts::SEEN_WITHIN_MINUTES);
    if !(1..=1440).contains(&within) {
        return Err(ApiError::field(
            "seen_within_minutes",
            "must be from 1 to 1440 minutes",
        ));
    }
    let now = state.clock.now();
    let count = blocking(move || {
        crate::alerts::inside(&principal.org, &body.area, within, now).map(|u| u.len())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}

impl From<CheckInError> for ApiError {
    fn from(e: CheckInError) -> Self {
        match e {
            CheckInError::Minutes => ApiError::field(
                "minutes",
                format!(
                    "must be from 0 (the pre-alarm now) to {}",
                    places::MAX_TIMER_MINUTES
                ),
            ),
            CheckInError::Note => ApiError::field("note", "must be at most 200 characters"),
            CheckInError::NoTimer => ApiError::NotFound("check-in timer"),
            CheckInError::Store(e) => ApiError::from(e),
        }
    }
}

#[get("/me/timer")]
async fn my_timer(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let timer = blocking(move || principal.org.check_in_timer(user)).await?;
    Ok(HttpResponse::Ok().json(json!({ "timer": timer.as_ref().map(timer_json) })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTimer {
    minutes: u32,
    #[serde(default)]
    note: String,
}

#[post("/me/timer")]
async fn start_timer(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewTimer>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let now = state.clock.now();
    let timer = blocking(move || {
        let started = places::start_timer(&principal.org, user, body.minutes, &body.note, now)?;
        principal
            .audit("checkin.started", Outcome::Success)
            .detail(format!("{} minutes", started.minutes))
            .write(&principal.org, now)?;
        Ok::<_, CheckInError>(started)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Created().json(json!({ "timer": timer_json(&timer) })))
}

#[post("/me/timer/check-in")]
async fn check_in(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let now = state.clock.now();
    let timer = blocking(move || places::check_in(&principal.org, user, now)).await?;
    Ok(HttpResponse::Ok().json(json!({ "timer": timer.as_ref().map(timer_json) })))
}

#[delete("/me/timer")]
async fn end_timer(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let ended = blocking(move || places::end_timer(&principal.org, user)).await?;
    if ended {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("check-in timer"))
    }
}
