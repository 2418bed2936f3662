//! Access reviews: an organisation's periodic look at who holds which
//! accounts and keys. A review holds a snapshot of the accounts and keys it
//! covers, each item decided `keep` or `revoke` by someone; closing it
//! records who decided what. At most one review is open at a time: the
//! review state (under the nil id of the same kind) names it, and starting
//! a review claims it in the same transaction.

use super::keys::{self, Kind};
use super::{abort, decode, Actor, OrgStore, Result, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReview {
    pub id: Id,
    pub status: ReviewStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub started_by: Actor,
    /// The `stale_days` its flags were worked out with.
    pub stale_days: u32,
    pub items: Vec<ReviewItem>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub closed_by: Option<Actor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Open,
    Closed,
}

/// One account or key under review, as it was when the review started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub id: Id,
    pub kind: ReviewSubject,
    /// The user's or key's id.
    pub subject: Id,
    /// The username, or the key's name.
    pub name: String,
    pub roles: Vec<String>,
    /// The report's flags for it when the review started.
    pub flags: Vec<String>,
    pub decision: Decision,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub decided_by: Option<Actor>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSubject {
    User,
    ApiKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pending,
    Keep,
    Revoke,
}

/// What the organisation's reviews add up to: the one open, when the
/// last closed, when the admins were last reminded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    #[serde(default)]
    pub open: Option<Id>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_closed_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub reminded_at: Option<OffsetDateTime>,
}

/// Where the review state lives: reviews have fresh ids, never the nil one.
const STATE: Id = Id::SYSTEM;

impl OrgStore {
    pub fn access_review_state(&self) -> Result<ReviewState> {
        Ok(self
            .store
            .get(self.org, Kind::AccessReview, STATE)?
            .unwrap_or_default())
    }

    /// Stores a new open review, refused while another is open.
    pub fn start_access_review(&self, review: &AccessReview) -> Result<()> {
        self.store.transaction(|tx| {
            let mut state: ReviewState = tx
                .get(self.org, Kind::AccessReview, STATE)?
                .unwrap_or_default();
            if state.open.is_some() {
                return Err(abort(StoreError::Refused(
                    "an access review is already open; close it first",
                )));
            }
            state.open = Some(review.id);
            tx.put(self.org, Kind::AccessReview, STATE, &state)?;
            tx.put(self.org, Kind::AccessReview, review.id, review)
        })
    }

    pub fn access_review(&self, id: Id) -> Result<Option<AccessReview>> {
        if id == STATE {
            return Ok(None);
        }
        self.store.get(self.org, Kind::AccessReview, id)
    }

    /// Every review, newest first.
    pub fn access_reviews(&self) -> Result<Vec<AccessReview>> {
        let state = keys::record(self.org, Kind::AccessReview, STATE);
        let mut reviews = Vec::new();
        for entry in self
            .store
            .records
            .scan_prefix(keys::kind_prefix(self.org, Kind::AccessReview))
            .rev()
        {
            let (key, value) = entry?;
            if key.as_ref() != state.as_slice() {
                reviews.push(decode(Kind::AccessReview, &value)?);
            }
        }
        Ok(reviews)
    }

    /// Records a decision on one item of an open review.
    pub fn decide_review_item(
        &self,
        review: Id,
        item: Id,
        decision: Decision,
        note: Option<String>,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<AccessReview> {
        if review == STATE {
            return Err(StoreError::NotFound {
                what: Kind::AccessReview.name(),
            });
        }
        self.store.modify(
            self.org,
            Kind::AccessReview,
            review,
            |r: &mut AccessReview| {
                if r.status != ReviewStatus::Open {
                    return Err(StoreError::Refused(
                        "this access review is closed; its decisions stand",
                    ));
                }
                let entry =
                    r.items
                        .iter_mut()
                        .find(|i| i.id == item)
                        .ok_or(StoreError::NotFound {
                            what: "review item",
                        })?;
                entry.decision = decision;
                entry.note.clone_from(&note);
                entry.decided_by = Some(by.clone());
                entry.decided_at = Some(now);
                Ok(())
            },
        )
    }

    /// Marks an open review closed and frees the organisation for the
    /// next. The revocations it decided are applied before this, from
    /// `applied`: a decision changed meanwhile refuses the close, so the
    /// record never says "keep" for what was revoked.
    pub fn close_access_review(
        &self,
        review: Id,
        applied: &[ReviewItem],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<AccessReview> {
        self.store.transaction(|tx| {
            let mut record: AccessReview = tx
                .get(self.org, Kind::AccessReview, review)?
                .filter(|_| review != STATE)
                .ok_or(abort(StoreError::NotFound {
                    what: Kind::AccessReview.name(),
                }))?;
            if record.status != ReviewStatus::Open {
                return Err(abort(StoreError::Refused(
                    "this access review is already closed",
                )));
            }
            if record.items != applied {
                return Err(abort(StoreError::Refused(
                    "a decision changed while the review was being closed; look again and close it",
                )));
            }
            record.status = ReviewStatus::Closed;
            record.closed_at = Some(now);
            record.closed_by = Some(by.clone());
            let mut state: ReviewState = tx
                .get(self.org, Kind::AccessReview, STATE)?
                .unwrap_or_default();
            if state.open == Some(review) {
                state.open = None;
            }
            state.last_closed_at = Some(now);
            tx.put(self.org, Kind::AccessReview, STATE, &state)?;
            tx.put(self.org, Kind::AccessReview, review, &record)?;
            Ok(record)
        })
    }

    /// Remembers that the admins were reminded of a review due.
    pub fn mark_review_reminded(&self, now: OffsetDateTime) -> Result<()> {
        self.store.transaction(|tx| {
            let mut state: ReviewState = tx
                .get(self.org, Kind::AccessReview, STATE)?
                .unwrap_or_default();
            state.reminded_at = Some(now);
            tx.put(self.org, Kind::AccessReview, STATE, &state)
        })
    }
}
