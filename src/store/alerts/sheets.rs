//! Recipients on sheets. Accepting an alert writes its recipients a sheet
//! at a time, one record per [`SHEET`] people: two keys per person (their
//! record and their feed entry, scattered over the whole store) were what
//! made a big alert slow to accept. After the `202`, [`Store::spread_sheet`]
//! gives each person of a sheet their own record and feed entry and takes
//! the sheet away, in one transaction; until then the readers here find
//! them on their sheet, and a change to one of them writes their own
//! record, which then stands over the sheet's copy.
//!
//! A reader looks at the sheet before the person's own record: a step
//! writes a sheet's records and removes it atomically, so whatever a step
//! does in between, that order never misses anyone. The marker goes only
//! when no sheet is left, so without a marker there is no sheet to look at.
//!
//! Keys (records tree):
//! - `org | RecipientSheet | alert | first recipient` → a sheet
//! - `SYSTEM | Spreading | org | alert` → nothing: the alert still has sheets
//!
//! A sheet is `count (u32)`, then for each recipient in id order `id (16) |
//! user or nil (16) | offset (u32) | length (u32)`, then the recipients'
//! records, each exactly as its own record would be stored.

use super::*;
use sled::transaction::TransactionalTree;
use std::collections::BTreeMap;

/// People per sheet: an alert to 10,000 writes 40 sheets.
pub(super) const SHEET: usize = 256;
const ENTRY: usize = 16 + 16 + 4 + 4;

/// A sheet read in place.
struct Sheet<'a> {
    table: &'a [u8],
    records: &'a [u8],
}

fn damaged() -> StoreError {
    StoreError::Corrupt {
        kind: Kind::RecipientSheet.name(),
        source: <serde_json::Error as serde::de::Error>::custom("damaged recipient sheet"),
    }
}

impl<'a> Sheet<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Sheet<'a>> {
        let count = bytes
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(damaged)?;
        let end = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(ENTRY))
            .and_then(|n| n.checked_add(4))
            .ok_or_else(damaged)?;
        Ok(Sheet {
            table: bytes.get(4..end).ok_or_else(damaged)?,
            records: bytes.get(end..).ok_or_else(damaged)?,
        })
    }

    fn len(&self) -> usize {
        self.table.len() / ENTRY
    }

    fn id(&self, i: usize) -> Option<Id> {
        self.table
            .get(i * ENTRY..i * ENTRY + 16)
            .and_then(Id::from_slice)
    }

    /// The recipient at `i`: their id, their user and their record's bytes.
    fn entry(&self, i: usize) -> Result<(Id, Option<Id>, &'a [u8])> {
        let row = self
            .table
            .get(i * ENTRY..(i + 1) * ENTRY)
            .ok_or_else(damaged)?;
        let number = |at: usize| {
            row.get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .and_then(|n| usize::try_from(n).ok())
        };
        let id = row.get(..16).and_then(Id::from_slice).ok_or_else(damaged)?;
        let user = row
            .get(16..32)
            .and_then(Id::from_slice)
            .filter(|u| *u != Id::SYSTEM);
        let (offset, length) = number(32).zip(number(36)).ok_or_else(damaged)?;
        let record = offset
            .checked_add(length)
            .and_then(|end| self.records.get(offset..end))
            .ok_or_else(damaged)?;
        Ok((id, user, record))
    }

    fn entries(&self) -> impl Iterator<Item = Result<(Id, Option<Id>, &'a [u8])>> + '_ {
        (0..self.len()).map(|i| self.entry(i))
    }

    /// The record of recipient `id`, if it is on this sheet.
    fn find(&self, id: Id) -> Result<Option<&'a [u8]>> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.id(middle).ok_or_else(damaged)?.cmp(&id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Ok(Some(self.entry(middle)?.2)),
            }
        }
        Ok(None)
    }
}

/// A sheet of recipients sorted by id.
fn write_sheet(recipients: &[Recipient]) -> Result<Vec<u8>> {
    let mut table = Vec::with_capacity(4 + recipients.len() * ENTRY);
    let mut records = Vec::with_capacity(recipients.len() * 1024);
    let too_big = || StoreError::Refused("a recipient sheet is too big");
    table.extend_from_slice(
        &u32::try_from(recipients.len())
            .map_err(|_| too_big())?
            .to_be_bytes(),
    );
    for r in recipients {
        let record = encode(Kind::Recipient, r)?;
        table.extend_from_slice(&r.id.to_bytes());
        table.extend_from_slice(&r.user_id.unwrap_or(Id::SYSTEM).to_bytes());
        for n in [records.len(), record.len()] {
            table.extend_from_slice(&u32::try_from(n).map_err(|_| too_big())?.to_be_bytes());
        }
        records.extend_from_slice(&record);
    }
    table.extend_from_slice(&records);
    Ok(table)
}

fn spreading_key(org: Id, alert: Id) -> Vec<u8> {
    child(Id::SYSTEM, Kind::Spreading, org, alert)
}

/// An entry of a member's feed: the alert, their recipient record in it and
/// their app delivery, if the alert reaches them in the app.
pub(super) type FeedEntry = (Id, Id, Option<Id>);

fn feed_entry(alert: Id, value: &[u8]) -> Option<FeedEntry> {
    let recipient = value.get(..16).and_then(Id::from_slice)?;
    Some((alert, recipient, value.get(16..32).and_then(Id::from_slice)))
}

impl OrgStore {
    /// Puts an alert's recipients (sorted by id) on sheets in `batch`, with
    /// the marker that has them spread.
    pub(super) fn stage_sheets(
        &self,
        batch: &mut Batch,
        alert: Id,
        recipients: &[Recipient],
    ) -> Result<()> {
        if recipients.is_empty() {
            return Ok(());
        }
        let sheets: Vec<&[Recipient]> = recipients.chunks(SHEET).collect();
        let written = crate::store::in_halves(&sheets, 4, |sheet| write_sheet(sheet))?;
        for (sheet, bytes) in sheets.iter().zip(written) {
            if let Some(first) = sheet.first() {
                batch.insert(
                    child(self.org, Kind::RecipientSheet, alert, first.id),
                    bytes,
                );
            }
        }
        batch.insert(spreading_key(self.org, alert), &[]);
        Ok(())
    }

    /// The key of the sheet that may hold `recipient`, while `alert` has any.
    pub(super) fn sheet_of(&self, alert: Id, recipient: Id) -> Result<Option<sled::IVec>> {
        if !self
            .store
            .records
            .contains_key(spreading_key(self.org, alert))?
        {
            return Ok(None);
        }
        let prefix = children_prefix(self.org, Kind::RecipientSheet, alert);
        let last = child(self.org, Kind::RecipientSheet, alert, recipient);
        match self
            .store
            .records
            .range(prefix.clone()..=last)
            .keys()
            .next_back()
        {
            Some(key) => Ok(Some(key?)),
            None => Ok(None),
        }
    }

    /// One recipient as it stands: their own record, else their sheet's copy.
    pub(super) fn current_recipient(&self, alert: Id, id: Id) -> Result<Option<Recipient>> {
        let sheet = match self.sheet_of(alert, id)? {
            Some(key) => self.store.records.get(key)?,
            None => None,
        };
        if let Some(own) = self
            .store
            .records
            .get(child(self.org, Kind::Recipient, alert, id))?
        {
            return decode(Kind::Recipient, &own).map(Some);
        }
        match sheet {
            Some(bytes) => match Sheet::parse(&bytes)?.find(id)? {
                Some(record) => decode(Kind::Recipient, record).map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Visits the recipients of `alert` after `after` in id order, each as
    /// it stands, until `visit` says stop; false when it did.
    pub(super) fn each_recipient(
        &self,
        alert: Id,
        after: Option<Id>,
        mut visit: impl FnMut(Recipient) -> Result<bool>,
    ) -> Result<bool> {
        let prefix = children_prefix(self.org, Kind::Recipient, alert);
        let start = children_after(self.org, Kind::Recipient, alert, after);
        let spreading = self
            .store
            .records
            .contains_key(spreading_key(self.org, alert))?;
        let firsts: Vec<Id> = if spreading {
            let sheets = children_prefix(self.org, Kind::RecipientSheet, alert);
            self.store
                .records
                .scan_prefix(&sheets)
                .keys()
                .filter_map(|k| {
                    k.map(|k| k.get(sheets.len()..).and_then(Id::from_slice))
                        .transpose()
                })
                .collect::<std::result::Result<_, _>>()?
        } else {
            Vec::new()
        };
        // Between one sheet's first id and the next: that sheet, read first,
        // then the records of their own in that span.
        for span in 0..=firsts.len() {
            let upper = firsts.get(span).copied();
            if let (Some(after), Some(upper)) = (after, upper) {
                if upper <= after {
                    continue;
                }
            }
            let mut merged: BTreeMap<Id, Recipient> = BTreeMap::new();
            let lower = span.checked_sub(1).and_then(|i| firsts.get(i)).copied();
            if let Some(first) = lower {
                let key = child(self.org, Kind::RecipientSheet, alert, first);
                if let Some(bytes) = self.store.records.get(key)? {
                    for entry in Sheet::parse(&bytes)?.entries() {
                        let (id, _, record) = entry?;
                        if after.is_none_or(|after| id > after) {
                            merged.insert(id, decode(Kind::Recipient, record)?);
                        }
                    }
                }
            }
            let from = match lower {
                Some(first) => start
                    .clone()
                    .max(child(self.org, Kind::Recipient, alert, first)),
                None => start.clone(),
            };
            let to = upper.map(|upper| child(self.org, Kind::Recipient, alert, upper));
            for entry in self.store.records.range(from..) {
                let (key, value) = entry?;
                if !key.starts_with(&prefix) || to.as_deref().is_some_and(|to| &key[..] >= to) {
                    break;
                }
                let r: Recipient = decode(Kind::Recipient, &value)?;
                // Outside any sheet (the usual case) there is nothing to
                // merge with: each goes out as it is read.
                if lower.is_none() {
                    if !visit(r)? {
                        return Ok(false);
                    }
                } else {
                    merged.insert(r.id, r);
                }
            }
            for r in merged.into_values() {
                if !visit(r)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// A member's entries in alerts whose sheets are not spread yet.
    fn unspread_of_user(&self, user: Id, only: Option<Id>) -> Result<Vec<FeedEntry>> {
        let markers = children_prefix(Id::SYSTEM, Kind::Spreading, self.org);
        let mut found = Vec::new();
        for key in self.store.records.scan_prefix(&markers).keys() {
            let Some(alert) = key?.get(markers.len()..).and_then(Id::from_slice) else {
                continue;
            };
            if only.is_some_and(|only| only != alert) {
                continue;
            }
            let sheets = children_prefix(self.org, Kind::RecipientSheet, alert);
            for value in self.store.records.scan_prefix(&sheets).values() {
                let value = value?;
                let sheet = Sheet::parse(&value)?;
                for entry in sheet.entries() {
                    let (id, on_sheet, record) = entry?;
                    if on_sheet != Some(user) {
                        continue;
                    }
                    let own =
                        self.store
                            .records
                            .get(child(self.org, Kind::Recipient, alert, id))?;
                    let r: Recipient = match &own {
                        Some(own) => decode(Kind::Recipient, own)?,
                        None => decode(Kind::Recipient, record)?,
                    };
                    if r.user_id == Some(user) {
                        found.push((alert, id, app_delivery(&r)));
                    }
                }
            }
        }
        Ok(found)
    }

    /// A member's entries after `after` that `app_only` wants (those with an
    /// app delivery, or all), oldest first or newest first, at most `limit`:
    /// the feed index with what is still on sheets.
    pub(super) fn feed_page(
        &self,
        user: Id,
        after: Option<Id>,
        newest_first: bool,
        app_only: bool,
        limit: usize,
    ) -> Result<Vec<FeedEntry>> {
        let wanted = |e: &FeedEntry| !app_only || e.2.is_some();
        let mut page: BTreeMap<Id, FeedEntry> = self
            .unspread_of_user(user, None)?
            .into_iter()
            .filter(|e| wanted(e) && after.is_none_or(|after| e.0 > after))
            .map(|e| (e.0, e))
            .collect();
        let prefix = children_prefix(self.org, Kind::UserAlert, user);
        let start = children_after(self.org, Kind::UserAlert, user, after);
        // Newest first reads back from the end of the member's entries and
        // stops at `after`; oldest first reads on from `after`.
        let index: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> =
            if newest_first {
                Box::new(self.store.records.scan_prefix(&prefix).rev())
            } else {
                Box::new(self.store.records.range(start..))
            };
        let mut taken = 0;
        for entry in index {
            let (key, value) = entry?;
            if !key.starts_with(&prefix) || taken >= limit {
                break;
            }
            let Some(alert) = key.get(prefix.len()..).and_then(Id::from_slice) else {
                continue;
            };
            if after.is_some_and(|after| alert <= after) {
                break;
            }
            if let Some(e) = feed_entry(alert, &value).filter(|e| wanted(e)) {
                page.insert(alert, e);
                taken += 1;
            }
        }
        let entries = page.into_values();
        Ok(if newest_first {
            entries.rev().take(limit).collect()
        } else {
            entries.take(limit).collect()
        })
    }

    /// The recipient id of `user` in `alert`, from the feed index or a sheet.
    pub(super) fn recipient_id_of_user(&self, alert: Id, user: Id) -> Result<Option<Id>> {
        let unspread = self.unspread_of_user(user, Some(alert))?;
        let indexed = self
            .store
            .records
            .get(child(self.org, Kind::UserAlert, user, alert))?
            .and_then(|v| feed_entry(alert, &v));
        Ok(indexed
            .or_else(|| unspread.into_iter().next())
            .map(|(_, recipient, _)| recipient))
    }

    /// Every recipient of the organisation's alerts, wherever it stands:
    /// (alert, recipient). Reads every one.
    pub(super) fn all_recipients(&self) -> Result<BTreeMap<(Id, Id), Recipient>> {
        let mut all = BTreeMap::new();
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::RecipientSheet))
            .values()
        {
            let value = value?;
            for entry in Sheet::parse(&value)?.entries() {
                let r: Recipient = decode(Kind::Recipient, entry?.2)?;
                all.insert((r.alert_id, r.id), r);
            }
        }
        for value in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::Recipient))
            .values()
        {
            let r: Recipient = decode(Kind::Recipient, &value?)?;
            all.insert((r.alert_id, r.id), r);
        }
        Ok(all)
    }

    /// The keys of an alert's sheets and its marker, for removing it.
    pub(super) fn sheet_keys(&self, alert: Id) -> Result<Vec<sled::IVec>> {
        let mut found: Vec<sled::IVec> = self
            .store
            .records
            .scan_prefix(children_prefix(self.org, Kind::RecipientSheet, alert))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        found.push(spreading_key(self.org, alert).into());
        Ok(found)
    }
}

/// The app delivery of a recipient, which their feed entry points at.
pub(super) fn app_delivery(r: &Recipient) -> Option<Id> {
    r.deliveries
        .iter()
        .find(|d| d.channel == Channel::App)
        .map(|d| d.id)
}

/// One recipient as it stands, inside a transaction; `sheet` is where
/// [`OrgStore::sheet_of`] found their sheet.
pub(super) fn current_in(
    tx: &TransactionalTree,
    key: &[u8],
    sheet: Option<&[u8]>,
    id: Id,
) -> TxResult<Option<Recipient>> {
    if let Some(own) = tx.get(key)? {
        return decode(Kind::Recipient, &own).map(Some).map_err(tx_abort);
    }
    let Some(sheet) = sheet else {
        return Ok(None);
    };
    let Some(bytes) = tx.get(sheet)? else {
        return Ok(None);
    };
    let found = Sheet::parse(&bytes)
        .and_then(|s| s.find(id))
        .map_err(tx_abort)?;
    match found {
        Some(record) => decode(Kind::Recipient, record).map(Some).map_err(tx_abort),
        None => Ok(None),
    }
}

impl Store {
    /// The alerts whose recipients are still on sheets: (organisation, alert).
    pub fn on_sheets(&self) -> Result<Vec<(Id, Id)>> {
        let markers = keys::kind_prefix(Id::SYSTEM, Kind::Spreading);
        let mut found = Vec::new();
        for key in self.records.scan_prefix(&markers).keys() {
            let key = key?;
            let ids = key.get(markers.len()..);
            let org = ids.and_then(|i| i.get(..16)).and_then(Id::from_slice);
            let alert = ids.and_then(|i| i.get(16..32)).and_then(Id::from_slice);
            match org.zip(alert) {
                Some(found_one) => found.push(found_one),
                None => {
                    self.w().records.remove(&key)?;
                }
            }
        }
        Ok(found)
    }

    /// Spreads the next sheet of `alert`: each person on it gets their own
    /// record (unless a change already wrote one) and their feed entry, and
    /// the sheet goes, in one transaction. False when the alert has no sheet
    /// left (its marker then goes too).
    pub fn spread_sheet(&self, org: Id, alert: Id) -> Result<bool> {
        let sheets = children_prefix(org, Kind::RecipientSheet, alert);
        let Some(first) = self.records.scan_prefix(&sheets).keys().next() else {
            self.w().records.remove(spreading_key(org, alert))?;
            return Ok(false);
        };
        let sheet_key = first?;
        let store = self.org(org);
        self.w()
            .records
            .transaction(|tx| {
                let Some(bytes) = tx.get(&sheet_key)? else {
                    return Ok(());
                };
                let sheet = Sheet::parse(&bytes).map_err(tx_abort)?;
                for entry in sheet.entries() {
                    let (id, _, record) = entry.map_err(tx_abort)?;
                    let key = child(org, Kind::Recipient, alert, id);
                    let current: Recipient = match tx.get(&key)? {
                        Some(own) => decode(Kind::Recipient, &own).map_err(tx_abort)?,
                        None => {
                            tx.insert(key.as_slice(), record)?;
                            decode(Kind::Recipient, record).map_err(tx_abort)?
                        }
                    };
                    if let Some((index_key, value)) = store.user_index(alert, &current) {
                        tx.insert(index_key, value)?;
                    }
                }
                tx.remove(&sheet_key)?;
                Ok(())
            })
            .map_err(flatten)?;
        Ok(true)
    }

    /// Spreads every sheet there is (for tools that write alerts without a
    /// running service).
    pub fn spread_all(&self) -> Result<()> {
        for (org, alert) in self.on_sheets()? {
            while self.spread_sheet(org, alert)? {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    // Tests stamp their records with the wall clock.
    #![allow(clippy::disallowed_methods)]

    use super::*;

    /// Everything a reader sees of an alert: its recipients, each user's
    /// record and feed entry, and the dispatcher's work.
    fn seen(org: &OrgStore, id: Id, users: &[Id]) -> (Vec<Recipient>, Vec<Option<Id>>, usize) {
        let recipients = org.recipients(id).unwrap();
        let of_users = users
            .iter()
            .map(|u| {
                assert_eq!(org.user_feed_newest(*u, 5).unwrap().len(), 1);
                assert_eq!(org.alerts_of_user(*u).unwrap().len(), 1);
                org.recipient_of_user(id, *u).unwrap().map(|r| r.id)
            })
            .collect();
        let mut cursors = Cursors::new();
        let mut due = 0;
        loop {
            let now = OffsetDateTime::now_utc();
            let batch = org
                .store
                .due_deliveries(Channel::Sms, now, 100, &mut cursors)
                .unwrap();
            if batch.is_empty() {
                break;
            }
            due += batch.len();
        }
        (recipients, of_users, due)
    }

    #[test]
    fn an_alert_reads_the_same_on_sheets_halfway_spread_and_spread() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let now = OffsetDateTime::now_utc();
        let (org, id, users) = crate::store::fixtures::sample_alert(&store, SHEET * 2 + 10);
        let sample = [users[0], users[SHEET], users[SHEET * 2 + 9]];

        let (before, of_users, due) = seen(&org, id, &sample);
        assert_eq!(before.len(), users.len());
        assert!(before.windows(2).all(|w| w[0].id < w[1].id));
        assert!(of_users.iter().all(Option::is_some));
        assert_eq!(due, users.len());

        // A change before spreading stands over the sheet's copy.
        let changed = before[SHEET + 1].clone();
        let app = app_delivery(&changed).unwrap();
        org.mark_received(id, changed.id, app, true, now).unwrap();
        assert!(store.spread_sheet(org.org_id(), id).unwrap());
        let (halfway, _, _) = seen(&org, id, &sample);
        assert_eq!(halfway.len(), users.len());

        assert_eq!(store.on_sheets().unwrap(), vec![(org.org_id(), id)]);
        store.spread_all().unwrap();
        assert!(store.on_sheets().unwrap().is_empty());
        let (after, of_users_after, _) = seen(&org, id, &sample);
        assert_eq!(of_users_after, of_users);
        assert_eq!(after.len(), users.len());
        let read = after.iter().find(|r| r.id == changed.id).unwrap();
        assert_eq!(read.deliveries[0].state, DeliveryState::Delivered);
        assert!(read.deliveries[0].read_at.is_some());
        let mut expected = before.clone();
        expected[SHEET + 1] = read.clone();
        assert_eq!(after, expected);

        assert!(org.remove_alert(id).unwrap() > users.len());
        assert!(org.recipients(id).unwrap().is_empty());
        assert!(org.user_feed_newest(users[0], 5).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_sheet_is_an_error_not_a_panic() {
        for bytes in [&b""[..], &[0, 0, 0, 9][..], &[0xff; 50][..]] {
            let parsed = Sheet::parse(bytes).and_then(|s| {
                s.entries().collect::<Result<Vec<_>>>()?;
                s.find(Id::new())
            });
            assert!(parsed.is_err(), "{bytes:?}");
        }
    }
}
