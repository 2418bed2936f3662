//! Alert templates: an alert defined once (text, recipients, channels,
//! escalation) and fired with one call or one tap.

use super::keys::{IndexKind, Kind};
use super::{OrgStore, Result, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub id: Id,
    pub name: String,
    /// The label of its one-click button, if it has one.
    #[serde(default)]
    pub button: Option<String>,
    /// Roles whose holders may press the button in the members' app, even
    /// without the right to send alerts: it sends only what the template says.
    #[serde(default)]
    pub button_roles: Vec<String>,
    /// The alert it sends, as the `POST /api/v1/alerts` body.
    pub alert: serde_json::Value,
    /// Fired again within this many seconds of its last alert, the template
    /// joins that alert instead of alarming twice.
    pub merge_window_seconds: u32,
    /// Pressing its button starts the presser's check-in timer for this
    /// many minutes (noted with the button's label) instead of sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in_minutes: Option<u32>,
    #[serde(default)]
    pub last_fired: Option<Fired>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    pub alert: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl OrgStore {
    pub fn create_template(&self, template: &Template) -> Result<()> {
        self.store.transaction(|tx| {
            tx.claim(
                self.org,
                IndexKind::TemplateName,
                &template.name,
                template.id,
                "template",
            )?;
            tx.put(self.org, Kind::Template, template.id, template)
        })
    }

    pub fn template(&self, id: Id) -> Result<Option<Template>> {
        self.store.get(self.org, Kind::Template, id)
    }

    pub fn template_by_name(&self, name: &str) -> Result<Option<Template>> {
        match self.store.lookup(self.org, IndexKind::TemplateName, name)? {
            Some(id) => self.template(id),
            None => Ok(None),
        }
    }

    /// A template by id or by name.
    pub fn find_template(&self, reference: &str) -> Result<Option<Template>> {
        if let Ok(id) = reference.parse::<Id>() {
            if let Some(t) = self.template(id)? {
                return Ok(Some(t));
            }
        }
        self.template_by_name(reference)
    }

    pub fn templates(&self) -> Result<Vec<Template>> {
        self.store.list(self.org, Kind::Template)
    }

    pub fn set_template_fired(&self, id: Id, fired: Fired) -> Result<Template> {
        self.store
            .modify(self.org, Kind::Template, id, |t: &mut Template| {
                t.last_fired = Some(fired.clone());
                Ok(())
            })
    }

    /// Changes a template's button, alert or merge window (not its name).
    pub fn change_template(
        &self,
        id: Id,
        change: impl Fn(&mut Template),
        now: OffsetDateTime,
    ) -> Result<Template> {
        self.store
            .modify(self.org, Kind::Template, id, |t: &mut Template| {
                change(t);
                t.updated_at = now;
                Ok(())
            })
    }

    pub fn delete_template(&self, id: Id) -> Result<()> {
        self.store.transaction(|tx| {
            let template: Template = tx
                .get(self.org, Kind::Template, id)?
                .ok_or(super::abort(StoreError::NotFound { what: "template" }))?;
            tx.release(self.org, IndexKind::TemplateName, &template.name)?;
            tx.remove(self.org, Kind::Template, id)?;
            Ok(())
        })
    }
}
