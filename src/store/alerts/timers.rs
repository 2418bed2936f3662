//! Escalation timers by due time.

use super::*;

impl Store {
    pub fn due_timers(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<DueTimer>> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::Timer);
        let now = millis(now);
        let mut due = Vec::new();
        for entry in self.records.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let at = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            if at > now || due.len() >= limit {
                break;
            }
            let ids = key.get(prefix.len() + 8..);
            let org = ids.and_then(|i| i.get(0..16)).and_then(Id::from_slice);
            let alert = ids.and_then(|i| i.get(16..32)).and_then(Id::from_slice);
            if let (Some(org), Some(alert)) = (org, alert) {
                due.push(DueTimer {
                    key: key.to_vec(),
                    org,
                    alert,
                    action: decode(Kind::Timer, &value)?,
                });
            }
        }
        Ok(due)
    }

    pub fn next_timer(&self) -> Result<Option<OffsetDateTime>> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::Timer);
        let Some(key) = self.records.scan_prefix(&prefix).keys().next() else {
            return Ok(None);
        };
        let ms = key?
            .get(prefix.len()..prefix.len() + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes);
        Ok(ms.and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }))
    }

    /// Removes a timer that was handled, together with what handling it wrote.
    pub fn complete_timer(&self, timer: &DueTimer) -> Result<()> {
        self.w().records.remove(&timer.key)?;
        Ok(())
    }
}
