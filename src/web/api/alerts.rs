//! Sending alerts and following them; members' live feed and their answers.

use super::rfc3339;
use crate::alerts::{self, AlertError, AlertRequest, AlertView, ResponseInput, Start, Trigger};
use crate::auth::Permission;
use crate::ids::Id;
use crate::store::{Alert, AppDelivery, Channel, DeliveryRef, OrgStore, Outcome, StoreError};
use crate::web::extract::{ApiJson, Caller, Principal};
use crate::web::lease::Lease;
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Comment lines keep idle streams open through proxies and show a dead
/// connection within this time.
const HEARTBEAT: Duration = Duration::from_secs(15);

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Invalid { field, why } => ApiError::InvalidField { field, detail: why },
            AlertError::NotAllowed { field, why } => ApiError::NotAllowed { field, detail: why },
            AlertError::Conflict(why) => ApiError::Refused(why),
            AlertError::NotFound(what) => ApiError::NotFound(what),
            AlertError::Store(e) => ApiError::from(e),
        }
    }
}

#[post("/alerts")]
async fn send_alert(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<AlertRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    guard_automated(&state, &principal).await?;
    let idempotency_key = match req.headers().get("Idempotency-Key") {
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be printable ASCII"))?;
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 200 characters",
                ));
            }
            Some(key.to_owned())
        }
        None => None,
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let created = blocking(move || {
        let mut trigger = Trigger::new(
            principal.actor.clone(),
            principal.access.clone(),
            Start::Request(Box::new(body)),
        );
        trigger.idempotency_key = idempotency_key;
        trigger.source = principal.source.clone();
        engine
            .raise(&principal.org, trigger, now)
            .map(|r| r.created)
    })
    .await?;
    let deliveries: HashMap<&str, usize> = created
        .deliveries
        .iter()
        .map(|(c, n)| (c.name(), *n))
        .collect();
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/alerts/{}", created.alert.id),
        ))
        .json(json!({
            "id": created.alert.id,
            "recipients": created.recipients,
            "deliveries": deliveries,
            "unreachable": created.unreachable,
            "duplicate": created.existing,
        })))
}

/// Integrations (API keys) pass the organisation's rate guard first; a trip
/// is audited.
pub(super) async fn guard_automated(
    state: &AppState,
    principal: &Principal,
) -> Result<(), ApiError> {
    if !matches!(principal.caller, Caller::ApiKey { .. }) {
        return Ok(());
    }
    let org = principal.org.clone();
    let limit = blocking(move || org.store().get_org(org.org_id()))
        .await?
        .map_or(10, |o| o.settings.max_automated_alerts_per_minute);
    if state
        .alert_guard
        .allow(principal.org.org_id(), limit, std::time::Instant::now())
    {
        return Ok(());
    }
    let entry = principal
        .audit("alert.rate_guard_tripped", Outcome::Denied)
        .detail(format!("more than {limit} automated alerts in a minute"));
    let (org, now) = (principal.org.clone(), state.clock.now());
    blocking(move || entry.write(&org, now)).await?;
    state.store.flush().await?;
    Err(ApiError::RateGuard(limit))
}

pub(super) fn summary(alert: &Alert) -> Value {
    serde_json::to_value(Summary::of(alert)).unwrap_or(Value::Null)
}

/// What every view of an alert shows of it. Written straight to JSON, as a
/// live stream does thousands of times when an alert goes out.
#[derive(Serialize)]
struct Summary<'a> {
    id: Id,
    title: &'a str,
    body: &'a str,
    severity: &'a crate::store::Severity,
    channels: &'a [Channel],
    responses: &'a [String],
    allow_eta: bool,
    allow_text: bool,
    state: &'a crate::store::AlertState,
    created_at: String,
    created_by: &'a str,
    location: &'a Option<crate::store::Location>,
    sealed: &'a Option<crate::store::SealedBody>,
    follows: Option<Id>,
}

impl<'a> Summary<'a> {
    fn of(alert: &'a Alert) -> Self {
        Summary {
            id: alert.id,
            title: &alert.title,
            body: &alert.body,
            severity: &alert.severity,
            channels: &alert.channels,
            responses: &alert.responses,
            allow_eta: alert.allow_eta,
            allow_text: alert.allow_text,
            state: &alert.state,
            created_at: rfc3339(alert.created_at),
            created_by: &alert.created_by.name,
            location: &alert.location,
            sealed: &alert.sealed,
            follows: alert.follows,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<usize>,
}

#[get("/alerts")]
async fn list_alerts(
    principal: Principal,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let org = principal.org.clone();
    let alerts = blocking(move || org.alerts(limit)).await?;
    let list: Vec<Value> = alerts
        .iter()
        .filter(|a| within_reach(&principal, a))
        .map(summary)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "alerts": list })))
}

/// Whether the caller may see and handle an alert: anyone who may alert any
/// group; a sender limited to some groups, only the alerts they sent
/// (others' alerts may reach people beyond their groups, and an update goes
/// to everyone an alert reached).
fn within_reach(principal: &Principal, alert: &Alert) -> bool {
    principal.access.alert_groups.is_none()
        || (alert.created_by.id.is_some() && alert.created_by.id == principal.actor.id)
}

/// The alert if the caller may handle it; otherwise as if it didn't exist.
fn reachable(principal: &Principal, id: Id) -> Result<Result<Alert, ApiError>, StoreError> {
    Ok(match principal.org.alert(id)? {
        Some(alert) if within_reach(principal, &alert) => Ok(alert),
        _ => Err(ApiError::NotFound("alert")),
    })
}

fn parse_id(raw: &str, what: &'static str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(what))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadQuery {
    /// `export` or `print` when the alert leaves the screen.
    #[serde(rename = "for")]
    purpose: Option<String>,
}

/// Who read which alert lately: a live view refreshes its timeline every few
/// seconds, and one audit event per reader and alert a quarter of an hour
/// says as much as a hundred.
static READS: std::sync::Mutex<Option<HashMap<(Id, Id), std::time::Instant>>> =
    std::sync::Mutex::new(None);
const READ_AGAIN_AFTER: Duration = Duration::from_secs(15 * 60);

fn first_read_lately(reader: Id, alert: Id) -> bool {
    let now = std::time::Instant::now();
    let Ok(mut reads) = READS.lock() else {
        return true;
    };
    let reads = reads.get_or_insert_with(HashMap::new);
    if reads.len() > 10_000 {
        reads.retain(|_, at| now.duration_since(*at) < READ_AGAIN_AFTER);
    }
    match reads.get(&(reader, alert)) {
        Some(at) if now.duration_since(*at) < READ_AGAIN_AFTER => false,
        _ => {
            reads.insert((reader, alert), now);
            true
        }
    }
}

#[get("/alerts/{id}")]
async fn get_alert(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let id = parse_id(&id, "alert")?;
    let action = match query.purpose.as_deref() {
        None => "alert.read",
        Some("export") => "alert.exported",
        Some("print") => "alert.printed",
        Some(_) => return Err(ApiError::field("for", "must be export or print")),
    };
    let now = state.clock.now();
    // Partners' systems ask for the alert as CAP 1.2.
    let as_cap = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(super::cap::CAP_XML));
    let (view, timeline, org_record) = blocking(move || {
        let org = &principal.org;
        let org_record = org.store().get_org(org.org_id())?;
        let view = AlertView::load(org, id)?.filter(|v| within_reach(&principal, &v.alert));
        let timeline = match &view {
            Some(_) => org.alert_events(id)?,
            None => Vec::new(),
        };
        let reader = principal.actor.id.unwrap_or(Id::SYSTEM);
        if view.is_some() && (action != "alert.read" || first_read_lately(reader, id)) {
            principal
                .audit(action, Outcome::Success)
                .target(id)
                .write(org, now)?;
        }
        Ok::<_, crate::store::StoreError>((view, timeline, org_record))
    })
    .await?;
    let view = view.ok_or(ApiError::NotFound("alert"))?;
    if as_cap {
        let org_record = org_record.ok_or(ApiError::NotFound("organisation"))?;
        let xml = crate::cap::alert_as_cap(&org_record, &view.alert, &super::cap::base_url(&req));
        return Ok(HttpResponse::Ok()
            .content_type(format!("{}; charset=utf-8", super::cap::CAP_XML))
            .body(xml));
    }
    // The timeline (escalations, notes from replies, how groups were
    // reached) rides along; the live stream carries only states.
    let mut body = serde_json::to_value(&view).map_err(|_| ApiError::Internal)?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("timeline".to_owned(), json!(timeline));
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelQuery {
    all_clear: Option<bool>,
}

#[post("/alerts/{id}/cancel")]
async fn cancel_alert(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    query: web::Query<CancelQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let id = parse_id(&id, "alert")?;
    let all_clear = query.all_clear.unwrap_or(true);
    let now = state.clock.now();
    let engine = state.engine.clone();
    let (alert, follow_up) = blocking(move || {
        if let Err(e) = reachable(&principal, id)? {
            return Ok(Err(e));
        }
        let audit = principal.audit("alert.cancelled", Outcome::Success);
        Ok::<_, StoreError>(
            engine
                .cancel(&principal.org, id, &principal.actor, all_clear, audit, now)
                .map_err(ApiError::from),
        )
    })
    .await??;
    Ok(changed(&alert, follow_up, "all_clear"))
}

/// The answer to a cancel or an update: the alert, and the follow-up's id
/// under `follow_up_field`.
fn changed(
    alert: &Alert,
    follow_up: Option<alerts::FollowUp>,
    follow_up_field: &str,
) -> HttpResponse {
    let mut body = summary(alert);
    let follow = match &follow_up {
        Some((next, _)) => json!(next.id),
        None => Value::Null,
    };
    if let Some(fields) = body.as_object_mut() {
        fields.insert(follow_up_field.to_owned(), follow);
    }
    HttpResponse::Ok().json(body)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    title: Option<String>,
    body: Option<String>,
}

#[patch("/alerts/{id}")]
async fn update_alert(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let id = parse_id(&id, "alert")?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let (alert, follow_up) = blocking(move || {
        if let Err(e) = reachable(&principal, id)? {
            return Ok(Err(e));
        }
        let audit = principal.audit("alert.updated", Outcome::Success);
        Ok::<_, StoreError>(
            engine
                .update(
                    &principal.org,
                    id,
                    body.title,
                    body.body,
                    &principal.actor,
                    audit,
                    now,
                )
                .map_err(ApiError::from),
        )
    })
    .await??;
    Ok(changed(&alert, follow_up, "update"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseBody {
    choice: String,
    eta_minutes: Option<u32>,
    text: Option<String>,
}

/// A member answers an alert they received.
#[post("/alerts/{id}/response")]
async fn answer(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let id = parse_id(&id, "alert")?;
    let now = state.clock.now();
    let org = principal.org.clone();
    let recipient = blocking(move || {
        let Some(recipient) = org.recipient_of_user(id, user)? else {
            return Ok(Err(ApiError::NotFound("alert")));
        };
        let input = ResponseInput {
            choice: body.choice,
            eta_minutes: body.eta_minutes,
            text: body.text,
        };
        Ok::<_, StoreError>(
            alerts::respond(&org, id, recipient.id, input, Channel::App, now)
                .map_err(ApiError::from),
        )
    })
    .await??;
    state.store.flush().await?;
    state.hub.notify_alert(principal.org.org_id(), id);
    Ok(HttpResponse::Ok().json(json!({"recipient": recipient.id, "response": recipient.response})))
}

/// Who follows an alert gets its whole state first, then what changed.
#[get("/alerts/{id}/events")]
async fn alert_events(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let id = parse_id(&id, "alert")?;
    let org = principal.org.clone();
    let first = {
        let org = org.clone();
        blocking(move || AlertView::load(&org, id)).await?
    }
    .filter(|v| within_reach(&principal, &v.alert))
    .ok_or(ApiError::NotFound("alert"))?;
    let own =
        first.alert.created_by.id.is_some() && first.alert.created_by.id == principal.actor.id;
    let lease = Lease::start(
        &state,
        &principal,
        Box::new(move |access| {
            access.allows(Permission::SendAlerts) && (access.alert_groups.is_none() || own)
        }),
    );
    let wake = state.hub.subscribe_alert(org.org_id(), id);
    let stream = futures_util::stream::unfold(
        AlertStream {
            org,
            alert: id,
            lease,
            wake,
            first: Some(first),
            sent: HashMap::new(),
            last_totals: None,
        },
        |mut s| async move {
            let chunk = s.next_chunk().await?;
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), s))
        },
    );
    Ok(sse(stream))
}

fn sse<S>(stream: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> + 'static,
{
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}

struct AlertStream {
    org: OrgStore,
    alert: Id,
    lease: Lease,
    wake: tokio::sync::mpsc::Receiver<()>,
    first: Option<AlertView>,
    /// What was last sent per recipient, to send only changes.
    sent: HashMap<Id, Value>,
    last_totals: Option<Value>,
}

impl AlertStream {
    async fn next_chunk(&mut self) -> Option<String> {
        if let Some(view) = self.first.take() {
            return Some(format!("retry: 3000\n{}", self.render("snapshot", &view)));
        }
        loop {
            tokio::select! {
                () = self.lease.ended() => return None,
                woken = tokio::time::timeout(HEARTBEAT, self.wake.recv()) => match woken {
                    Ok(None) => return None,
                    Err(_) => return Some(": keep-alive\n\n".to_owned()),
                    Ok(Some(())) => {}
                },
            }
            // Changes come in bursts; one look after a short pause covers many.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let org = self.org.clone();
            let alert = self.alert;
            let view = match crate::store::blocking(move || AlertView::load(&org, alert)).await {
                Ok(Some(view)) => view,
                _ => return None,
            };
            let chunk = self.render("update", &view);
            if !chunk.is_empty() {
                return Some(chunk);
            }
        }
    }

    fn render(&mut self, kind: &str, view: &AlertView) -> String {
        let mut changed = Vec::new();
        for r in &view.recipients {
            let value = json!({
                "id": r.id, "name": r.name, "via": r.via,
                "user_id": r.user_id, "response": r.response,
                "deliveries": r.deliveries.iter().map(|d| json!({
                    "id": d.id, "channel": d.channel, "state": d.state, "attempts": d.attempts,
                    "last_error": d.last_error, "read": d.read_at.is_some(),
                })).collect::<Vec<_>>(),
            });
            if self.sent.get(&r.id) != Some(&value) {
                self.sent.insert(r.id, value.clone());
                changed.push(value);
            }
        }
        let totals = serde_json::to_value(&view.totals).unwrap_or(Value::Null);
        if changed.is_empty() && self.last_totals.as_ref() == Some(&totals) && kind == "update" {
            return String::new();
        }
        self.last_totals = Some(totals.clone());
        let data = json!({"alert": summary(&view.alert), "totals": totals, "recipients": changed});
        format!("event: {kind}\ndata: {data}\n\n")
    }
}

/// A member's own alerts, newest first.
#[get("/me/alerts")]
async fn my_alerts(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let org = principal.org.clone();
    let items = blocking(move || {
        let mut items = Vec::new();
        for entry in org.user_feed_newest(user, 50)? {
            if let Some(item) = member_item(&org, user, entry)? {
                items.push(item);
            }
        }
        Ok::<_, StoreError>(items)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "alerts": items })))
}

/// What a member's app shows of one delivery.
#[derive(Serialize)]
struct MemberItem {
    delivery: Id,
    #[serde(serialize_with = "as_summary")]
    alert: Alert,
    read: bool,
    response: Option<crate::store::Response>,
}

fn as_summary<S: serde::Serializer>(alert: &Alert, to: S) -> Result<S::Ok, S::Error> {
    Summary::of(alert).serialize(to)
}

fn member_item(
    org: &OrgStore,
    user: Id,
    entry: AppDelivery,
) -> Result<Option<MemberItem>, StoreError> {
    let recipient = org
        .recipient(entry.alert, entry.recipient)?
        .filter(|r| r.user_id == Some(user));
    let Some(r) = recipient else {
        return Ok(None);
    };
    let Some(d) = r.deliveries.iter().find(|d| d.id == entry.delivery) else {
        return Ok(None);
    };
    let (delivery, read) = (d.id, d.read_at.is_some());
    Ok(org.alert(entry.alert)?.map(|alert| MemberItem {
        delivery,
        alert,
        read,
        response: r.response,
    }))
}

#[post("/me/alerts/{id}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let alert = parse_id(&id, "alert")?;
    let now = state.clock.now();
    let org = principal.org.clone();
    let marked = blocking(move || {
        let mut marked = 0;
        if let Some(r) = org.recipient_of_user(alert, user)? {
            for d in r.deliveries.iter().filter(|d| d.channel == Channel::App) {
                if let Some(changed) = org.mark_received(alert, r.id, d.id, true, now)? {
                    let at = DeliveryRef {
                        org: org.org_id(),
                        alert,
                        recipient: r.id,
                        delivery: d.id,
                    };
                    crate::alerts::delivery_settled(org.store(), at, &changed, now)?;
                    marked += 1;
                }
            }
        }
        Ok::<_, StoreError>(marked)
    })
    .await?;
    if marked > 0 {
        state.hub.notify_alert(principal.org.org_id(), alert);
    }
    Ok(HttpResponse::Ok().json(json!({ "marked": marked })))
}

/// The member's live feed: Server-Sent Events, one per alert delivered to the
/// app, resumable with `Last-Event-ID`. An event handed to the client marks
/// the delivery `delivered`.
#[get("/me/alerts/stream")]
async fn my_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    // A reconnecting EventSource sends `Last-Event-ID`; a client opening a
    // new stream says where it is with `?after=`.
    let after = web::Query::<StreamQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().after);
    let last = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Id>().ok())
        .or(after);
    let org = principal.org.clone();
    let lease = Lease::start(&state, &principal, Box::new(|_| true));
    // Subscribe before reading the backlog so nothing falls in between.
    let live = state.hub.subscribe_member(org.org_id(), user);
    let backlog = {
        let org = org.clone();
        blocking(move || org.user_feed(user, last, 1000)).await?
    };
    let stream = futures_util::stream::unfold(
        MemberStream {
            org,
            user,
            lease,
            state: state.clone(),
            backlog: backlog.into_iter().collect(),
            live,
            last,
            opened: false,
        },
        |mut s| async move {
            let chunk = s.next_chunk().await?;
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), s))
        },
    );
    Ok(sse(stream))
}

#[derive(Debug, Deserialize)]
struct StreamQuery {
    after: Option<Id>,
}

struct MemberStream {
    org: OrgStore,
    user: Id,
    lease: Lease,
    state: web::Data<AppState>,
    backlog: VecDeque<AppDelivery>,
    live: tokio::sync::mpsc::Receiver<AppDelivery>,
    last: Option<Id>,
    opened: bool,
}

impl MemberStream {
    async fn next_chunk(&mut self) -> Option<String> {
        if !self.opened {
            self.opened = true;
            return Some("retry: 3000\n: connected\n\n".to_owned());
        }
        loop {
            let entry = match self.backlog.pop_front() {
                Some(entry) => entry,
                None => tokio::select! {
                    () = self.lease.ended() => return None,
                    live = tokio::time::timeout(HEARTBEAT, self.live.recv()) => match live {
                        Ok(Some(entry)) => entry,
                        Ok(None) => return None,
                        Err(_) => return Some(": keep-alive\n\n".to_owned()),
                    },
                },
            };
            // Live events may repeat what the backlog already sent.
            // Event ids are alert ids, which sort by time like the feed.
            if self.last.is_some_and(|last| entry.alert <= last) {
                continue;
            }
            self.last = Some(entry.alert);
            let org = self.org.clone();
            let user = self.user;
            let loaded = crate::store::blocking(move || {
                Ok::<_, StoreError>(
                    member_item(&org, user, entry)?.and_then(|i| serde_json::to_string(&i).ok()),
                )
            })
            .await;
            match loaded {
                Ok(Some(item)) => {
                    self.receipt(entry);
                    let alert = entry.alert;
                    return Some(format!("id: {alert}\nevent: alert\ndata: {item}\n\n"));
                }
                Ok(None) => continue,
                _ => return None,
            }
        }
    }

    /// Marks the delivery received once the event is on its way: with
    /// thousands of members on their streams, the alert reaches them all
    /// first, and the receipts follow, many to a write.
    fn receipt(&self, entry: AppDelivery) {
        self.state.receipts.received(self.org.org_id(), entry);
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(send_alert)
        .service(list_alerts)
        .service(get_alert)
        .service(cancel_alert)
        .service(update_alert)
        .service(answer)
        .service(alert_events)
        .service(my_alerts)
        .service(mark_read)
        .service(my_stream);
}
