//! What a sender sees of an alert: each recipient's deliveries and answer, and
//! the totals.

use crate::ids::Id;
use crate::store::{Alert, OrgStore, Recipient, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub recipients: usize,
    /// Recipients with at least one delivery sent or delivered.
    pub reached: usize,
    pub responded: usize,
    /// Answered with the first option.
    pub coming: usize,
    /// Answered with any other option.
    pub not_coming: usize,
    pub no_answer: usize,
    pub deliveries: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub alert: Alert,
    pub totals: Totals,
    /// Each recipient with their deliveries and answer.
    pub recipients: Vec<Recipient>,
}

impl AlertView {
    pub fn load(org: &OrgStore, id: Id) -> Result<Option<AlertView>, StoreError> {
        let Some(alert) = org.alert(id)? else {
            return Ok(None);
        };
        let recipients = org.recipients(id)?;
        let mut totals = Totals {
            recipients: recipients.len(),
            ..Totals::default()
        };
        for r in &recipients {
            for d in &r.deliveries {
                let state = serde_json::to_value(d.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                *totals.deliveries.entry(state).or_default() += 1;
            }
            if r.deliveries.iter().any(|d| d.state.reached()) {
                totals.reached += 1;
            }
            match &r.response {
                Some(resp) => {
                    totals.responded += 1;
                    if alert.responses.first() == Some(&resp.choice) {
                        totals.coming += 1;
                    } else {
                        totals.not_coming += 1;
                    }
                }
                None => totals.no_answer += 1,
            }
        }
        Ok(Some(AlertView {
            alert,
            totals,
            recipients,
        }))
    }
}
