//! An organisation's alerts: writing one with everything that goes with
//! it, reading them back, answers, text changes and cancelling.

use super::*;

impl OrgStore {
    /// The index entries, outbox entries, timers and events of new
    /// deliveries, recipients and timers.
    fn stage_indexes(&self, batch: &mut Batch, alert: Id, new: &NewAlertBatch) -> Result<()> {
        let mut work: std::collections::BTreeMap<(Channel, u8), OffsetDateTime> =
            std::collections::BTreeMap::new();
        for d in new
            .deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Queued)
        {
            let due = work
                .entry((d.channel, d.priority))
                .or_insert(d.next_attempt_at);
            *due = (*due).min(d.next_attempt_at);
        }
        for ((channel, priority), due) in work {
            batch.insert(work_key(self.org, alert, channel, priority, due), &[]);
        }
        for (at, action) in &new.timers {
            batch.insert(
                timer_key(*at, self.org, alert),
                encode(Kind::Timer, action)?,
            );
        }
        for e in &new.events {
            batch.insert(
                child(self.org, Kind::AlertEvent, alert, e.id),
                encode(Kind::AlertEvent, e)?,
            );
        }
        Ok(())
    }

    /// Applies `batch` and chains `audit` into the organisation's trail in
    /// one transaction.
    fn apply_audited(&self, batch: &Batch, audit: &[crate::store::AuditEvent]) -> Result<()> {
        let (org, queue) = (self.org, self.store.ships_audit());
        self.store
            .w()
            .records
            .transaction(|tx| {
                tx.apply_batch(batch)?;
                for event in audit {
                    crate::store::audit::append(tx, org, event, queue)?;
                }
                Ok(())
            })
            .map_err(flatten)
    }

    /// The entry that finds a user's recipient record in an alert and, for
    /// their feed, their app delivery: `user | alert` → recipient (+ delivery).
    pub(super) fn user_index(&self, alert: Id, r: &Recipient) -> Option<(Vec<u8>, Vec<u8>)> {
        let user = r.user_id?;
        let mut value = r.id.to_bytes().to_vec();
        if let Some(app) = sheets::app_delivery(r) {
            value.extend_from_slice(&app.to_bytes());
        }
        Some((child(self.org, Kind::UserAlert, user, alert), value))
    }

    /// The recipients of a batch with their new deliveries put inside them.
    fn with_deliveries(new: &NewAlertBatch) -> Vec<Recipient> {
        let mut recipients = new.recipients.clone();
        let mut at: std::collections::HashMap<Id, usize> = std::collections::HashMap::new();
        for (i, r) in recipients.iter().enumerate() {
            at.insert(r.id, i);
        }
        for d in &new.deliveries {
            if let Some(r) = at.get(&d.recipient_id).and_then(|i| recipients.get_mut(*i)) {
                r.deliveries.push(d.clone());
            }
        }
        recipients
    }

    /// Writes an alert with all its recipients (on sheets), deliveries,
    /// outbox entries and timers atomically (not yet flushed).
    pub fn create_alert(&self, alert: &Alert, new: &NewAlertBatch) -> Result<()> {
        let mut batch = Batch::default();
        batch.insert(
            keys::record(self.org, Kind::Alert, alert.id),
            encode(Kind::Alert, alert)?,
        );
        let mut recipients = Self::with_deliveries(new);
        recipients.sort_by_key(|r| r.id);
        self.stage_sheets(&mut batch, alert.id, &recipients)?;
        self.stage_indexes(&mut batch, alert.id, new)?;
        self.apply_audited(&batch, &new.audit)
    }

    /// Escalation: adds recipients, or to existing recipients their next
    /// deliveries and `channels_used`, with the timers and index entries, in
    /// one transaction with removing the timer that caused it. Existing
    /// recipients are changed inside the transaction, so a delivery the
    /// dispatcher finishes at the same moment is not overwritten.
    pub fn extend_alert(
        &self,
        alert: Id,
        new: &NewAlertBatch,
        done: Option<&DueTimer>,
    ) -> Result<()> {
        let recipients = Self::with_deliveries(new);
        let mut extra = Batch::default();
        self.stage_indexes(&mut extra, alert, new)?;
        let mut encoded = Vec::new();
        for r in &recipients {
            let sheet = self.sheet_of(alert, r.id)?;
            encoded.push((child(self.org, Kind::Recipient, alert, r.id), r, sheet));
        }
        let new_deliveries: std::collections::HashMap<Id, Vec<Delivery>> = recipients
            .iter()
            .map(|r| {
                (
                    r.id,
                    r.deliveries
                        .iter()
                        .filter(|d| new.deliveries.iter().any(|n| n.id == d.id))
                        .cloned()
                        .collect(),
                )
            })
            .collect();
        self.store
            .w()
            .records
            .transaction(|tx| {
                for (key, r, sheet) in &encoded {
                    let merged = match sheets::current_in(tx, key, sheet.as_deref(), r.id)? {
                        Some(mut current) => {
                            current.channels_used = current.channels_used.max(r.channels_used);
                            current
                                .deliveries
                                .extend(new_deliveries.get(&r.id).cloned().unwrap_or_default());
                            current
                        }
                        None => (*r).clone(),
                    };
                    tx.insert(
                        key.as_slice(),
                        encode(Kind::Recipient, &merged).map_err(tx_abort)?,
                    )?;
                    if let Some((index_key, value)) = self.user_index(alert, &merged) {
                        tx.insert(index_key, value)?;
                    }
                }
                tx.apply_batch(&extra)?;
                for event in &new.audit {
                    crate::store::audit::append(tx, self.org, event, self.store.ships_audit())?;
                }
                if let Some(timer) = done {
                    tx.remove(timer.key.as_slice())?;
                }
                Ok(())
            })
            .map_err(flatten)
    }

    /// Reserves an idempotency key for an alert; returns the alert that
    /// already holds it, if one does.
    pub fn claim_idempotency_key(&self, key: &str, alert: Id) -> Result<Option<Id>> {
        let index_key = keys::index(self.org, IndexKind::Idempotency, key);
        loop {
            let current = self.store.index.get(&index_key)?;
            if let Some(existing) = current.as_ref().and_then(|v| Id::from_slice(v)) {
                // A claim whose alert never got written (a crash in between)
                // is free again.
                if existing != alert && self.alert(existing)?.is_some() {
                    return Ok(Some(existing));
                }
            }
            let swapped = self.store.w().index.compare_and_swap(
                &index_key,
                current,
                Some(&alert.to_bytes()[..]),
            )?;
            if swapped.is_ok() {
                return Ok(None);
            }
        }
    }

    pub fn alert(&self, id: Id) -> Result<Option<Alert>> {
        self.store.get(self.org, Kind::Alert, id)
    }

    /// Newest first.
    pub fn alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        self.store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Alert))
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(Kind::Alert, &v?))
            .collect()
    }

    fn children<R: serde::de::DeserializeOwned>(&self, kind: Kind, parent: Id) -> Result<Vec<R>> {
        self.store
            .records
            .scan_prefix(children_prefix(self.org, kind, parent))
            .values()
            .map(|v| decode(kind, &v?))
            .collect()
    }

    pub fn recipients(&self, alert: Id) -> Result<Vec<Recipient>> {
        let mut all = Vec::new();
        self.each_recipient(alert, None, |r| {
            all.push(r);
            Ok(true)
        })?;
        Ok(all)
    }

    /// Every delivery of an alert, recipient by recipient.
    pub fn deliveries(&self, alert: Id) -> Result<Vec<Delivery>> {
        Ok(self
            .recipients(alert)?
            .into_iter()
            .flat_map(|r| r.deliveries)
            .collect())
    }

    pub fn alert_events(&self, alert: Id) -> Result<Vec<AlertEvent>> {
        self.children(Kind::AlertEvent, alert)
    }

    pub fn recipient(&self, alert: Id, id: Id) -> Result<Option<Recipient>> {
        self.current_recipient(alert, id)
    }

    pub fn recipient_of_user(&self, alert: Id, user: Id) -> Result<Option<Recipient>> {
        let Some(id) = self.recipient_id_of_user(alert, user)? else {
            return Ok(None);
        };
        Ok(self
            .recipient(alert, id)?
            .filter(|r| r.user_id == Some(user)))
    }

    /// When the user last answered an alert, looking at their newest
    /// `within` alerts only: the answer sits in each alert's recipient
    /// record, so an unbounded look would read every alert they ever had.
    pub fn last_answer_of(&self, user: Id, within: usize) -> Result<Option<OffsetDateTime>> {
        for (alert, recipient, _) in self.feed_page(user, None, true, false, within)? {
            if let Some(answer) = self.recipient(alert, recipient)?.and_then(|r| r.response) {
                return Ok(Some(answer.at));
            }
        }
        Ok(None)
    }

    /// A member's app deliveries in alerts after `after`, oldest first.
    pub fn user_feed(&self, user: Id, after: Option<Id>, limit: usize) -> Result<Vec<AppDelivery>> {
        Ok(app_deliveries(
            self.feed_page(user, after, false, true, limit)?,
        ))
    }

    /// A member's newest `limit` app deliveries, newest first. Reads only
    /// those, however long the member's history.
    pub fn user_feed_newest(&self, user: Id, limit: usize) -> Result<Vec<AppDelivery>> {
        Ok(app_deliveries(
            self.feed_page(user, None, true, true, limit)?,
        ))
    }

    pub fn add_alert_event(&self, alert: Id, event: &AlertEvent) -> Result<()> {
        self.store.w().records.insert(
            child(self.org, Kind::AlertEvent, alert, event.id),
            encode(Kind::AlertEvent, event)?,
        )?;
        Ok(())
    }

    /// An event on the alert's timeline and its audit event, in one step.
    pub fn add_alert_event_audited(
        &self,
        alert: Id,
        event: &AlertEvent,
        audit: &crate::store::AuditEvent,
    ) -> Result<()> {
        let mut batch = Batch::default();
        batch.insert(
            child(self.org, Kind::AlertEvent, alert, event.id),
            encode(Kind::AlertEvent, event)?,
        );
        self.apply_audited(&batch, std::slice::from_ref(audit))
    }

    /// Stores an answer; the first answer's time is kept when it changes.
    pub fn record_response(
        &self,
        alert: Id,
        recipient: Id,
        response: Response,
    ) -> Result<Recipient> {
        update_recipient(&self.store, self.org, alert, recipient, |r, _| {
            let mut answer = response.clone();
            if let Some(previous) = &r.response {
                answer.first_at = previous.first_at;
            }
            r.response = Some(answer);
            Ok(Some(r.clone()))
        })?
        .ok_or(StoreError::NotFound { what: "recipient" })
    }

    pub fn update_alert_text(&self, id: Id, title: &str, body: &str) -> Result<Alert> {
        self.store
            .modify(self.org, Kind::Alert, id, |a: &mut Alert| {
                a.title = title.to_owned();
                a.body = body.to_owned();
                Ok(())
            })
    }

    /// Cancels an alert: its queued deliveries stop; returns the alert.
    pub fn cancel_alert(&self, id: Id, now: OffsetDateTime) -> Result<Alert> {
        let mut alert = self
            .alert(id)?
            .ok_or(StoreError::NotFound { what: "alert" })?;
        alert.state = AlertState::Cancelled;
        alert.cancelled_at = Some(now);
        // Cancelled first, so the dispatcher claims nothing more of it.
        self.store.w().records.insert(
            keys::record(self.org, Kind::Alert, id),
            encode(Kind::Alert, &alert)?,
        )?;
        for r in self.recipients(id)? {
            update_recipient(&self.store, self.org, id, r.id, |r, tx| {
                let mut changed = false;
                for d in r
                    .deliveries
                    .iter_mut()
                    .filter(|d| d.state == DeliveryState::Queued)
                {
                    tx.remove(outbox_key(self.org, d))?;
                    d.state = DeliveryState::Cancelled;
                    d.updated_at = now;
                    changed = true;
                }
                Ok(changed.then_some(()))
            })?;
        }
        Ok(alert)
    }

    /// Marks an app delivery received (and read) by the member's client.
    pub fn mark_received(
        &self,
        alert: Id,
        recipient: Id,
        delivery: Id,
        read: bool,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(&self.store, self.org, alert, recipient, |r, _| {
            Ok(receive(r, delivery, read, now))
        })
    }
}

/// Marks `delivery` of `r` received (and read); the delivery if that changed
/// it.
fn receive(r: &mut Recipient, delivery: Id, read: bool, now: OffsetDateTime) -> Option<Delivery> {
    let d = r.deliveries.iter_mut().find(|d| d.id == delivery)?;
    let before = (d.state, d.read_at);
    if matches!(
        d.state,
        DeliveryState::Sent | DeliveryState::Sending | DeliveryState::Queued
    ) {
        d.state = DeliveryState::Delivered;
    }
    if read && d.read_at.is_none() {
        d.read_at = Some(now);
    }
    if (d.state, d.read_at) == before {
        return None;
    }
    d.updated_at = now;
    Some(d.clone())
}

impl Store {
    /// Marks many app deliveries received at once, in one transaction: the
    /// receipts of thousands of members' streams take a handful of writes
    /// rather than one each. The deliveries this changed.
    pub fn mark_all_received(
        &self,
        receipts: &[(Id, AppDelivery)],
        now: OffsetDateTime,
    ) -> Result<Vec<(DeliveryRef, Delivery)>> {
        let mut found = Vec::with_capacity(receipts.len());
        for (org, entry) in receipts {
            let key = child(*org, Kind::Recipient, entry.alert, entry.recipient);
            let sheet = self.org(*org).sheet_of(entry.alert, entry.recipient)?;
            found.push((key, sheet, *org, *entry));
        }
        self.w()
            .records
            .transaction(|tx| {
                let mut changed = Vec::new();
                for (key, sheet, org, entry) in &found {
                    let current = sheets::current_in(tx, key, sheet.as_deref(), entry.recipient)?;
                    let Some(mut r) = current else {
                        continue;
                    };
                    let Some(d) = receive(&mut r, entry.delivery, false, now) else {
                        continue;
                    };
                    tx.insert(
                        key.as_slice(),
                        encode(Kind::Recipient, &r).map_err(tx_abort)?,
                    )?;
                    let at = DeliveryRef {
                        org: *org,
                        alert: entry.alert,
                        recipient: entry.recipient,
                        delivery: entry.delivery,
                    };
                    changed.push((at, d));
                }
                Ok(changed)
            })
            .map_err(flatten)
    }
}

fn app_deliveries(entries: Vec<sheets::FeedEntry>) -> Vec<AppDelivery> {
    entries
        .into_iter()
        .filter_map(|(alert, recipient, delivery)| {
            Some(AppDelivery {
                alert,
                recipient,
                delivery: delivery?,
            })
        })
        .collect()
}
