//! The outbox the dispatcher reads: due deliveries per channel, claiming
//! one (listed in flight until it is finished), settling it from a
//! delivery report, and putting back what a crash left in flight.

use super::*;

impl Store {
    /// Deliveries of `channel` due by `now`, critical first, oldest first.
    pub fn due_deliveries(
        &self,
        channel: Channel,
        now: OffsetDateTime,
        limit: usize,
        cursors: &mut Cursors,
    ) -> Result<Vec<DeliveryRef>> {
        let now_ms = millis(now);
        let mut due = Vec::new();
        for priority in 0..=2u8 {
            let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
            prefix.push(channel.code());
            prefix.push(priority);
            for key in self.records.scan_prefix(&prefix).keys() {
                let key = key?;
                let at = key
                    .get(prefix.len()..prefix.len() + 8)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(u64::MAX);
                if at > now_ms || due.len() >= limit {
                    break;
                }
                let Some(r) = trailing_ref(&key) else {
                    continue;
                };
                if r.recipient != Id::SYSTEM {
                    due.push(r);
                    continue;
                }
                self.work_through(&key, r, channel, now, limit, cursors, &mut due)?;
            }
        }
        Ok(due)
    }

    /// Takes queued deliveries of a work item's alert and channel, from where
    /// the last look stopped. The item goes only when a look finds nothing
    /// left, so deliveries handed out but not yet claimed when the process
    /// dies are found again after a restart (the cursor lives in memory).
    #[allow(clippy::too_many_arguments)]
    fn work_through(
        &self,
        key: &[u8],
        item: DeliveryRef,
        channel: Channel,
        now: OffsetDateTime,
        limit: usize,
        cursors: &mut Cursors,
        due: &mut Vec<DeliveryRef>,
    ) -> Result<()> {
        let mut found = false;
        let after = cursors.get(key).copied();
        self.org(item.org).each_recipient(item.alert, after, |r| {
            if due.len() >= limit {
                return Ok(false);
            }
            for d in r.deliveries.iter().filter(|d| {
                d.channel == channel && d.state == DeliveryState::Queued && d.next_attempt_at <= now
            }) {
                due.push(DeliveryRef {
                    org: item.org,
                    alert: item.alert,
                    recipient: r.id,
                    delivery: d.id,
                });
                found = true;
            }
            cursors.insert(key.to_vec(), r.id);
            Ok(true)
        })?;
        if !found && due.len() < limit {
            self.w().records.remove(key)?;
            cursors.remove(key);
        }
        Ok(())
    }

    /// When the next delivery of `channel` falls due, if any is queued.
    pub fn next_due(&self, channel: Channel) -> Result<Option<OffsetDateTime>> {
        let mut earliest: Option<u64> = None;
        for priority in 0..=2u8 {
            let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
            prefix.push(channel.code());
            prefix.push(priority);
            if let Some(key) = self.records.scan_prefix(&prefix).keys().next() {
                let at = key?
                    .get(prefix.len()..prefix.len() + 8)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes);
                earliest = match (earliest, at) {
                    (Some(e), Some(a)) => Some(e.min(a)),
                    (e, a) => e.or(a),
                };
            }
        }
        Ok(earliest.and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }))
    }

    /// Queued → sending, in one step with leaving the outbox and entering the
    /// in-flight list. `None` if the delivery is no longer queued or its alert
    /// was cancelled (then it is marked cancelled).
    pub fn claim_delivery(
        &self,
        r: DeliveryRef,
        now: OffsetDateTime,
    ) -> Result<Option<(Alert, Recipient, Delivery)>> {
        let Some(alert) = self.org(r.org).alert(r.alert)? else {
            return Ok(None);
        };
        let cancelled = alert.state == AlertState::Cancelled;
        let claimed = update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if d.state != DeliveryState::Queued {
                return Ok(None);
            }
            tx.remove(outbox_key(r.org, d))?;
            d.updated_at = now;
            if cancelled {
                d.state = DeliveryState::Cancelled;
                return Ok(Some(None));
            }
            d.state = DeliveryState::Sending;
            d.attempts += 1;
            let claimed = d.clone();
            tx.insert(in_flight_key(r), &[])?;
            Ok(Some(Some((rec.clone(), claimed))))
        })?;
        Ok(claimed
            .flatten()
            .map(|(recipient, delivery)| (alert, recipient, delivery)))
    }

    /// Records what the channel did: sent, delivered, retry later or failed.
    pub fn finish_delivery(
        &self,
        r: DeliveryRef,
        outcome: &SendOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            // An answered call is `sent` while it goes on, and still in flight.
            let in_flight = match d.state {
                DeliveryState::Sending => true,
                DeliveryState::Sent => tx.get(in_flight_key(r))?.is_some(),
                _ => false,
            };
            if !in_flight {
                return Ok(None);
            }
            tx.remove(in_flight_key(r))?;
            d.updated_at = now;
            match outcome {
                SendOutcome::Sent => d.state = DeliveryState::Sent,
                SendOutcome::Delivered => d.state = DeliveryState::Delivered,
                SendOutcome::Failed { error } => {
                    d.state = DeliveryState::Failed;
                    d.last_error = Some(error.clone());
                }
                SendOutcome::Retry { at, error } => {
                    d.state = DeliveryState::Queued;
                    d.last_error = Some(error.clone());
                    d.next_attempt_at = *at;
                    tx.insert(outbox_key(r.org, d), &[])?;
                }
            }
            Ok(Some(d.clone()))
        })
    }

    /// A delivery's final word from the network (a status report): `Ok` for
    /// delivered, `Err` with the reason for failed. A report can beat the
    /// dispatcher's own "sent" record, so a delivery still `sending` settles
    /// too. `None` when there was nothing to change.
    pub fn settle_delivery(
        &self,
        r: DeliveryRef,
        result: &std::result::Result<(), String>,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>> {
        update_recipient(self, r.org, r.alert, r.recipient, |rec, tx| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if !matches!(d.state, DeliveryState::Sending | DeliveryState::Sent) {
                return Ok(None);
            }
            // A call heard to the end settles while it goes on.
            tx.remove(in_flight_key(r))?;
            match result {
                Ok(()) => d.state = DeliveryState::Delivered,
                Err(reason) => {
                    d.state = DeliveryState::Failed;
                    d.last_error = Some(reason.clone());
                }
            }
            d.updated_at = now;
            Ok(Some(d.clone()))
        })
    }

    /// A call was answered: `sending` becomes `sent`, and stays in flight
    /// until the call is over, so a crash during it calls again.
    pub fn call_answered(&self, r: DeliveryRef, now: OffsetDateTime) -> Result<Option<Delivery>> {
        update_recipient(self, r.org, r.alert, r.recipient, |rec, _| {
            let Some(d) = rec.deliveries.iter_mut().find(|d| d.id == r.delivery) else {
                return Ok(None);
            };
            if d.state != DeliveryState::Sending {
                return Ok(None);
            }
            d.state = DeliveryState::Sent;
            d.updated_at = now;
            Ok(Some(d.clone()))
        })
    }

    /// After a crash: every delivery left in flight (`sending`, or a call
    /// answered and not yet over) is queued again, due now. Returns how many.
    pub fn requeue_in_flight(&self, now: OffsetDateTime) -> Result<usize> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::InFlight);
        let refs: Vec<DeliveryRef> = self
            .records
            .scan_prefix(&prefix)
            .keys()
            .filter_map(|k| k.ok().and_then(|k| trailing_ref(&k)))
            .collect();
        let mut requeued = 0;
        for r in refs {
            let outcome = SendOutcome::Retry {
                at: now,
                error: "interrupted by a restart; sent again".to_owned(),
            };
            if self.finish_delivery(r, &outcome, now)?.is_some() {
                requeued += 1;
            } else {
                self.w().records.remove(in_flight_key(r))?;
            }
        }
        Ok(requeued)
    }

    /// How many deliveries wait in each channel's outbox.
    /// How many deliveries of `channel` wait to be sent.
    pub fn outbox_depth(&self, channel: Channel) -> usize {
        let mut prefix = keys::kind_prefix(Id::SYSTEM, Kind::Outbox);
        prefix.push(channel.code());
        let mut depth = 0;
        for key in self.records.scan_prefix(prefix).keys().flatten() {
            match trailing_ref(&key) {
                Some(item) if item.recipient == Id::SYSTEM => {
                    depth += self
                        .org(item.org)
                        .recipients(item.alert)
                        .map(|rs| {
                            rs.iter()
                                .flat_map(|r| &r.deliveries)
                                .filter(|d| {
                                    d.channel == channel && d.state == DeliveryState::Queued
                                })
                                .count()
                        })
                        .unwrap_or(0);
                }
                Some(_) => depth += 1,
                None => {}
            }
        }
        depth
    }
}
