//! The one way into the alert engine. Every trigger — the REST API, a
//! one-click template, an alarm button, an SMS trigger, an emergency
//! centre's TETRA rule, an escalation step, a cancel or update — goes
//! through [`Engine`]: the alert, its deliveries and its audit event are
//! written in one step and flushed, then the dispatcher is woken and members'
//! open streams are told. Callers only parse, call and map errors.

use super::{
    cancel, create, existing_alert, fire_template, handle_timer, update, AlertError, AlertRequest,
    AppNotice, Created, FollowUp,
};
use crate::audit::Entry;
use crate::auth::Access;
use crate::ids::Id;
use crate::live::{Hub, Wake};
use crate::store::{Actor, Alert, OrgStore, Outcome, Store, StoreError};
use std::sync::Arc;
use time::OffsetDateTime;

/// What starts an alert.
#[derive(Debug, Clone)]
pub enum Start {
    Request(Box<AlertRequest>),
    /// A stored template, with what the trigger said (an emergency centre's
    /// alarm text) to add to its body.
    Template {
        id: Id,
        detail: Option<String>,
    },
}

/// Who starts an alert, with what rights, and how it came in.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub actor: Actor,
    pub access: Access,
    pub start: Start,
    /// The caller's own key for retries: the same key finds the same alert.
    pub idempotency_key: Option<String>,
    /// The received message that fired it: handling that message again (after
    /// a crash) finds the same alert instead of sending a second one.
    pub message: Option<Id>,
    /// The client address, for the audit trail.
    pub source: Option<String>,
    /// How it came in, for the audit trail ("by SMS from +358…").
    pub via: Option<String>,
}

impl Trigger {
    pub fn new(actor: Actor, access: Access, start: Start) -> Trigger {
        Trigger {
            actor,
            access,
            start,
            idempotency_key: None,
            message: None,
            source: None,
            via: None,
        }
    }
}

/// Something the appliance tells people of, as an alert of its own.
#[derive(Debug, Clone)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// The same key finds the notice already sent.
    pub key: String,
    /// What it is about, for the audit trail ("login lockout").
    pub via: &'static str,
}

/// What a trigger did.
#[derive(Debug)]
pub struct Raised {
    pub created: Created,
    /// True when a template's trigger joined the alert it sent moments ago.
    pub merged: bool,
}

/// The alert engine's entry point; cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    hub: Arc<Hub>,
    wake: Wake,
    /// Channels this appliance has no device for, that a request naming
    /// them is refused for rather than failing every delivery later.
    refused: Arc<Vec<crate::store::Channel>>,
}

impl Engine {
    pub fn new(store: Store, hub: Arc<Hub>, wake: Wake) -> Engine {
        Engine {
            store,
            hub,
            wake,
            refused: Arc::new(Vec::new()),
        }
    }

    /// Refuses requests that name any of `channels`. Templates and
    /// triggers still start: an alarm from the field is never turned down,
    /// and those deliveries fail with their reason while the others go.
    pub fn refusing(mut self, channels: Vec<crate::store::Channel>) -> Engine {
        self.refused = Arc::new(channels);
        self
    }

    /// Tells the organisation's admins of something the appliance noticed,
    /// in the app and by email.
    pub fn tell_admins(
        &self,
        org: &OrgStore,
        notice: Notice,
        now: OffsetDateTime,
    ) -> Result<Raised, AlertError> {
        let to = super::RecipientSpec {
            roles: vec![crate::store::ADMIN.to_owned()],
            ..super::RecipientSpec::default()
        };
        let channels = vec![crate::store::Channel::App, crate::store::Channel::Email];
        self.tell(org, notice, to, channels, now)
    }

    /// Tells `to` of something the appliance noticed, on `channels`, as an
    /// alert from the appliance with one answer, "Seen". The notice's key
    /// makes telling twice about the same thing (after a crash) send once.
    pub fn tell(
        &self,
        org: &OrgStore,
        notice: Notice,
        to: super::RecipientSpec,
        channels: Vec<crate::store::Channel>,
        now: OffsetDateTime,
    ) -> Result<Raised, AlertError> {
        self.tell_as(
            crate::store::Severity::Warning,
            org,
            notice,
            to,
            channels,
            now,
        )
    }

    /// [`Engine::tell`] at another severity: routine matters (a review
    /// due) are not warnings.
    pub fn tell_as(
        &self,
        severity: crate::store::Severity,
        org: &OrgStore,
        notice: Notice,
        to: super::RecipientSpec,
        channels: Vec<crate::store::Channel>,
        now: OffsetDateTime,
    ) -> Result<Raised, AlertError> {
        let request = AlertRequest {
            title: notice.title,
            body: notice.body,
            severity,
            channels,
            recipients: to,
            responses: vec!["Seen".to_owned()],
            allow_eta: false,
            allow_text: false,
            escalation: None,
            tetra_callout: None,
            tetra_status: None,
            location: None,
            sealed: None,
        };
        let mut trigger = Trigger::new(
            crate::audit::appliance(),
            Access {
                roles: Vec::new(),
                permissions: vec![crate::store::Permission::SendAlerts],
                alert_groups: None,
            },
            Start::Request(Box::new(request)),
        );
        trigger.idempotency_key = Some(notice.key);
        trigger.via = Some(notice.via.to_owned());
        self.raise(org, trigger, now)
    }

    /// Starts an alert, durably, and sets it going. Blocks on the store: call
    /// it from a blocking thread.
    pub fn raise(
        &self,
        org: &OrgStore,
        trigger: Trigger,
        now: OffsetDateTime,
    ) -> Result<Raised, AlertError> {
        let mut entry = Entry::new(trigger.actor.clone(), "alert.sent", Outcome::Success)
            .source(trigger.source.clone());
        entry.detail = trigger.via.clone();
        let result = match trigger.start {
            Start::Request(request)
                if request.channels.iter().any(|c| self.refused.contains(c)) =>
            {
                let names: Vec<&str> = request
                    .channels
                    .iter()
                    .filter(|c| self.refused.contains(c))
                    .map(|c| c.name())
                    .collect();
                Err(AlertError::Invalid {
                    field: "channels".to_owned(),
                    why: format!(
                        "{}: this appliance has no device for it (for voice: no modem that places calls)",
                        names.join(", ")
                    ),
                })
            }
            Start::Request(request) => create(
                org,
                &trigger.access,
                trigger.actor,
                *request,
                trigger.idempotency_key,
                Some(entry.clone()),
                now,
            )
            .map(|created| Raised {
                created,
                merged: false,
            }),
            Start::Template { id, detail } => fire_template(
                org,
                &trigger.access,
                trigger.actor,
                id,
                detail.as_deref(),
                trigger.message,
                Some(entry.clone()),
                now,
            ),
        };
        if let Err(AlertError::NotAllowed { field, .. }) = &result {
            let mut denied = entry;
            denied.outcome = Outcome::Denied;
            denied
                .detail(format!("{field} not allowed"))
                .write(org, now)?;
            self.store.flush_blocking()?;
        }
        let raised = result?;
        let created = &raised.created;
        super::span(org.org_id(), created.alert.id).in_scope(|| {
            if created.existing {
                tracing::info!("alert already started by the same key");
            } else {
                tracing::info!(
                    title = %created.alert.title,
                    severity = ?created.alert.severity,
                    by = %created.alert.created_by.name,
                    "alert created"
                );
            }
        });
        self.publish(
            org.org_id(),
            &[raised.created.alert.id],
            &raised.created.app,
        )?;
        if !created.existing {
            self.store.emit_webhook(
                org.org_id(),
                "alert.created",
                alert_data(&created.alert),
                now,
            );
        }
        Ok(raised)
    }

    /// Cancels an alert (and sends its all-clear when asked), durably.
    pub fn cancel(
        &self,
        org: &OrgStore,
        alert: Id,
        by: &Actor,
        all_clear: bool,
        audit: Entry,
        now: OffsetDateTime,
    ) -> Result<(Alert, Option<FollowUp>), AlertError> {
        let (alert, follow_up) = cancel(org, alert, by, all_clear, now)?;
        super::span(org.org_id(), alert.id)
            .in_scope(|| tracing::info!(by = %by.name, all_clear, "alert cancelled"));
        audit.target(alert.id).write(org, now)?;
        self.publish_change(org.org_id(), &alert, follow_up.as_ref())?;
        self.store
            .emit_webhook(org.org_id(), "alert.cancelled", alert_data(&alert), now);
        Ok((alert, follow_up))
    }

    /// Changes an active alert's text and sends the update, durably.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        org: &OrgStore,
        alert: Id,
        title: Option<String>,
        body: Option<String>,
        by: &Actor,
        audit: Entry,
        now: OffsetDateTime,
    ) -> Result<(Alert, Option<FollowUp>), AlertError> {
        let (alert, follow_up) = update(org, alert, title, body, by, now)?;
        audit.target(alert.id).write(org, now)?;
        self.publish_change(org.org_id(), &alert, follow_up.as_ref())?;
        self.store
            .emit_webhook(org.org_id(), "alert.updated", alert_data(&alert), now);
        Ok((alert, follow_up))
    }

    /// Applies the escalation timers that are due (at most `limit`); the
    /// number applied.
    pub fn escalate_due(&self, now: OffsetDateTime, limit: usize) -> Result<usize, StoreError> {
        let timers = self.store.due_timers(now, limit)?;
        let mut steps = Vec::new();
        let mut escalations = Vec::new();
        for timer in &timers {
            let outcome = super::span(timer.org, timer.alert).in_scope(|| {
                tracing::info!(action = ?timer.action, "escalation step due");
                handle_timer(&self.store, timer, now)
            })?;
            steps.push((timer.org, timer.alert, outcome.app));
            escalations.push((timer.org, timer.alert, timer.action.clone()));
        }
        if steps.is_empty() {
            return Ok(0);
        }
        self.store.flush_blocking()?;
        self.wake.now();
        for (org, alert, app) in &steps {
            self.hub.announce(*org, app);
            self.hub.notify_alert(*org, *alert);
        }
        for (org, alert, action) in escalations {
            self.store.emit_webhook(
                org,
                "escalation",
                serde_json::json!({"alert_id": alert, "step": action}),
                now,
            );
        }
        Ok(steps.len())
    }

    /// Drops the channels this appliance has no device for: an alarm the
    /// appliance raises itself goes on the channels that work.
    pub fn carried(&self, channels: &[crate::store::Channel]) -> Vec<crate::store::Channel> {
        channels
            .iter()
            .copied()
            .filter(|c| !self.refused.contains(c))
            .collect()
    }

    /// A member reported a position: active alerts that follow an area
    /// they are inside, and that they did not get yet, reach them now. The
    /// alerts they joined. Blocks on the store; the caller flushes.
    pub fn follow_areas(
        &self,
        org: &OrgStore,
        user: &crate::store::User,
        lat: f64,
        lon: f64,
        now: OffsetDateTime,
    ) -> Result<Vec<Id>, AlertError> {
        let mut joined = Vec::new();
        for followed in org.followed_areas()? {
            let alert = org
                .alert(followed.alert)?
                .filter(|a| a.state == crate::store::AlertState::Active);
            let Some(alert) = alert else {
                org.unfollow_area(followed.alert)?;
                continue;
            };
            if user.deactivated
                || !followed.area.contains(lat, lon)
                || org.recipient_of_user(alert.id, user.id)?.is_some()
            {
                continue;
            }
            let mut recipient = super::user_recipient(
                &crate::store::Contact::from(user),
                &alert.channels,
                "area".to_owned(),
            );
            recipient.alert_id = alert.id;
            let mut batch = crate::store::NewAlertBatch::default();
            let step = super::first_step(&alert);
            let reached = super::reach(&alert, &mut recipient, step, now, &mut batch);
            batch.events.push(crate::store::AlertEvent {
                id: Id::new(),
                at: now,
                kind: "entered_area".to_owned(),
                detail: serde_json::json!({"recipient": recipient.id, "name": recipient.name, "channels": reached}),
            });
            batch.recipients.push(recipient);
            org.extend_alert(alert.id, &batch, None)?;
            let app = super::app_notices(&batch.deliveries);
            self.store.flush_blocking()?;
            self.wake.now();
            self.hub.announce(org.org_id(), &app);
            self.hub.notify_alert(org.org_id(), alert.id);
            joined.push(alert.id);
        }
        Ok(joined)
    }

    /// The alert an idempotency key or a received message already started.
    pub fn existing(&self, org: &OrgStore, alert: Id) -> Result<Created, AlertError> {
        existing_alert(org, alert)
    }

    fn publish_change(
        &self,
        org: Id,
        alert: &Alert,
        follow_up: Option<&FollowUp>,
    ) -> Result<(), StoreError> {
        let mut touched = vec![alert.id];
        let mut app: &[AppNotice] = &[];
        if let Some((next, notices)) = follow_up {
            touched.push(next.id);
            app = notices;
        }
        self.publish(org, &touched, app)
    }

    /// On disk first; then the dispatcher, followers and members are told.
    fn publish(&self, org: Id, touched: &[Id], app: &[AppNotice]) -> Result<(), StoreError> {
        self.store.flush_blocking()?;
        self.wake.now();
        self.hub.announce(org, app);
        for alert in touched {
            self.hub.notify_alert(org, *alert);
        }
        Ok(())
    }
}

/// What webhook events say of an alert.
fn alert_data(alert: &Alert) -> serde_json::Value {
    serde_json::json!({
        "alert": {
            "id": alert.id,
            "title": alert.title,
            "body": alert.body,
            "severity": alert.severity,
            "state": alert.state,
            "created_at": rfc3339(alert.created_at),
            "cancelled_at": alert.cancelled_at.map(rfc3339),
        }
    })
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
