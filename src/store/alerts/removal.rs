//! Taking alerts out of the store: whole alerts past their retention, and
//! one person's part of an alert when they are erased.

use super::*;

impl OrgStore {
    /// Up to `limit` alerts made before `cutoff`, oldest first. Alerts are
    /// stored by time-ordered id, so the scan stops at the first younger one.
    pub fn alerts_before(&self, cutoff: OffsetDateTime, limit: usize) -> Result<Vec<Id>> {
        let mut old = Vec::new();
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Alert))
            .values()
        {
            let alert: Alert = decode(Kind::Alert, &value?)?;
            if alert.created_at >= cutoff || old.len() >= limit {
                break;
            }
            old.push(alert.id);
        }
        Ok(old)
    }

    /// Removes an alert with its recipients, their deliveries and answers,
    /// the members' feed entries, its timeline and followed area, in one
    /// atomic batch: a crash leaves all of it or none. How many records
    /// went (none when it was already gone).
    pub fn remove_alert(&self, alert: Id) -> Result<usize> {
        let alert_key = keys::record(self.org, Kind::Alert, alert);
        if !self.store.records.contains_key(&alert_key)? {
            return Ok(0);
        }
        let mut removed = 2;
        let mut batch = Batch::default();
        self.each_recipient(alert, None, |r| {
            if let Some(user) = r.user_id {
                batch.remove(child(self.org, Kind::UserAlert, user, alert));
                removed += 1;
            }
            batch.remove(child(self.org, Kind::Recipient, alert, r.id));
            removed += 1;
            Ok(true)
        })?;
        for key in self.sheet_keys(alert)? {
            batch.remove(key);
        }
        for key in self
            .store
            .records
            .scan_prefix(children_prefix(self.org, Kind::AlertEvent, alert))
            .keys()
        {
            batch.remove(key?);
            removed += 1;
        }
        batch.remove(keys::record(self.org, Kind::FollowedArea, alert));
        batch.remove(alert_key);
        self.store.w().records.apply_batch(batch)?;
        Ok(removed)
    }

    /// Replaces one recipient's name and addresses in an alert with
    /// `pseudonym`, drops their free text, takes the alert out of their
    /// feed and does the same to the alert's timeline entries about them,
    /// in one atomic batch. Choices, states and times stay, so the alert's
    /// totals don't change. An alert still on sheets is spread first, so no
    /// sheet keeps the person's name.
    pub fn pseudonymise_recipient(&self, alert: Id, recipient: Id, pseudonym: &str) -> Result<()> {
        while self.store.spread_sheet(self.org, alert)? {}
        let Some(mut r) = self.recipient(alert, recipient)? else {
            return Ok(());
        };
        let mut batch = Batch::default();
        if let Some(user) = r.user_id.take() {
            batch.remove(child(self.org, Kind::UserAlert, user, alert));
        }
        r.name = pseudonym.to_owned();
        r.phone = None;
        r.email = None;
        r.issi = None;
        if let Some(response) = &mut r.response {
            response.text = None;
        }
        for d in &mut r.deliveries {
            d.address = pseudonym.to_owned();
            d.last_error = None;
        }
        batch.insert(
            child(self.org, Kind::Recipient, alert, recipient),
            encode(Kind::Recipient, &r)?,
        );
        let about = serde_json::Value::String(recipient.to_string());
        for entry in
            self.store
                .records
                .scan_prefix(children_prefix(self.org, Kind::AlertEvent, alert))
        {
            let (key, value) = entry?;
            let mut event: AlertEvent = decode(Kind::AlertEvent, &value)?;
            let serde_json::Value::Object(detail) = &mut event.detail else {
                continue;
            };
            if detail.get("recipient") != Some(&about) {
                continue;
            }
            for field in ["name", "address", "phone", "email"] {
                if detail.contains_key(field) {
                    detail.insert(field.to_owned(), pseudonym.into());
                }
            }
            if detail.contains_key("text") {
                detail.insert("text".to_owned(), serde_json::Value::Null);
            }
            batch.insert(key, encode(Kind::AlertEvent, &event)?);
        }
        self.store.w().records.apply_batch(batch)?;
        Ok(())
    }

    /// Alerts `user` sent, with `pseudonym` in place of their name; how many.
    pub fn pseudonymise_sender(&self, user: Id, pseudonym: &str) -> Result<usize> {
        let mut changed = 0;
        for entry in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Alert))
        {
            let (key, value) = entry?;
            let mut alert: Alert = decode(Kind::Alert, &value)?;
            if alert.created_by.id != Some(user) {
                continue;
            }
            alert.created_by.id = None;
            alert.created_by.name = pseudonym.to_owned();
            self.store
                .w()
                .records
                .insert(key, encode(Kind::Alert, &alert)?)?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Every (alert, recipient) where `user` is a recipient, oldest first.
    pub fn alerts_of_user(&self, user: Id) -> Result<Vec<(Id, Id)>> {
        Ok(self
            .feed_page(user, None, false, false, usize::MAX)?
            .into_iter()
            .map(|(alert, recipient, _)| (alert, recipient))
            .collect())
    }

    /// Every (alert, recipient) reached at `address` (a phone number or an
    /// email address) without an account, oldest first. Reads every
    /// recipient: rare, and only on a person's request.
    pub fn alerts_of_address(&self, address: &str) -> Result<Vec<(Id, Id)>> {
        Ok(self
            .all_recipients()?
            .into_values()
            .filter(|r| {
                let reached = r.phone.as_deref() == Some(address)
                    || r.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(address));
                r.user_id.is_none() && reached
            })
            .map(|r| (r.alert_id, r.id))
            .collect())
    }
}
