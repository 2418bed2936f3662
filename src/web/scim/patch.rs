//! PATCH operations (RFC 7644 §3.5.2) applied to a resource's SCIM
//! representation; the result is then taken in like a PUT, so PATCH and PUT
//! check and store the same way.

use super::filter::{self, attribute_path, key_of, Filter};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    NoTarget(String),
    #[error("{0}")]
    InvalidValue(String),
    #[error("{0}")]
    InvalidSyntax(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Replace,
    Remove,
}

impl Kind {
    /// `op` in any case: Entra sends "Replace", "Add".
    pub fn parse(op: &str) -> Result<Kind, PatchError> {
        match op.to_ascii_lowercase().as_str() {
            "add" => Ok(Kind::Add),
            "replace" => Ok(Kind::Replace),
            "remove" => Ok(Kind::Remove),
            other => Err(PatchError::InvalidSyntax(format!(
                "op {other:?} must be add, replace or remove"
            ))),
        }
    }
}

/// A parsed `path`: the attribute's keys, an optional value filter on it and
/// an optional sub-attribute after the filter.
struct Path {
    keys: Vec<String>,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn parse_path(path: &str) -> Result<Path, PatchError> {
    let invalid =
        || PatchError::InvalidPath(format!("path {path:?} is not a valid attribute path"));
    match path.split_once('[') {
        None => {
            let keys = attribute_path(path.trim());
            if keys.iter().any(|k| k.is_empty()) {
                return Err(invalid());
            }
            Ok(Path {
                keys,
                filter: None,
                sub: None,
            })
        }
        Some((attribute, rest)) => {
            let (inside, after) = rest.rsplit_once(']').ok_or_else(invalid)?;
            let filter = filter::parse(inside)
                .map_err(|e| PatchError::InvalidPath(format!("path {path:?}: {e}")))?;
            let sub = match after {
                "" => None,
                after => Some(after.strip_prefix('.').ok_or_else(invalid)?.to_owned()),
            };
            Ok(Path {
                keys: attribute_path(attribute.trim()),
                filter: Some(filter),
                sub,
            })
        }
    }
}

/// The object holding the last key, created on the way for add and replace.
fn parent<'a>(
    resource: &'a mut Value,
    keys: &[String],
    create: bool,
) -> Option<(&'a mut Map<String, Value>, String)> {
    let (last, walk) = keys.split_last()?;
    let mut current = resource;
    for key in walk {
        let object = current.as_object_mut()?;
        let name = match key_of(object, key) {
            Some(k) => k.clone(),
            None if create => {
                object.insert(key.clone(), Value::Object(Map::new()));
                key.clone()
            }
            None => return None,
        };
        current = object.get_mut(&name)?;
        if current.is_null() && create {
            *current = Value::Object(Map::new());
        }
    }
    let object = current.as_object_mut()?;
    let name = key_of(object, last)
        .cloned()
        .unwrap_or_else(|| last.clone());
    Some((object, name))
}

fn merge(target: &mut Value, value: Value, kind: Kind) {
    match (target, value) {
        (Value::Object(existing), Value::Object(new)) => {
            for (k, v) in new {
                let name = key_of(existing, &k).cloned().unwrap_or(k);
                match existing.get_mut(&name) {
                    Some(slot) => merge(slot, v, kind),
                    None => {
                        existing.insert(name, v);
                    }
                }
            }
        }
        (Value::Array(existing), Value::Array(new)) if kind == Kind::Add => {
            for v in new {
                if !existing.contains(&v) {
                    existing.push(v);
                }
            }
        }
        (Value::Array(existing), v @ Value::Object(_)) if kind == Kind::Add => {
            if !existing.contains(&v) {
                existing.push(v);
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Whether two elements of a multi-valued attribute name the same thing
/// (the same `value`), as a remove with a value means.
fn same_element(a: &Value, b: &Value) -> bool {
    match (filter::get_ci(a, "value"), filter::get_ci(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

pub fn apply(
    resource: &mut Value,
    kind: Kind,
    path: Option<&str>,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let Some(path) = path.filter(|p| !p.trim().is_empty()) else {
        // Without a path the value is an object of attributes (Entra sends
        // dotted and URN-prefixed names here too), each handled as its path.
        if kind == Kind::Remove {
            return Err(PatchError::NoTarget("remove needs a path".into()));
        }
        let Some(Value::Object(attributes)) = value else {
            return Err(PatchError::InvalidValue(
                "without a path the value must be an object of attributes".into(),
            ));
        };
        for (name, v) in attributes {
            apply(resource, kind, Some(&name), Some(v))?;
        }
        return Ok(());
    };
    let parsed = parse_path(path)?;
    let no_target = || PatchError::NoTarget(format!("path {path:?} matches nothing"));
    match (kind, parsed.filter) {
        (Kind::Remove, None) => {
            let Some((object, name)) = parent(resource, &parsed.keys, false) else {
                return Ok(());
            };
            match (object.get_mut(&name), value) {
                // A remove with a value takes those elements out (Entra's way
                // of removing group members).
                (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                    items.retain(|i| !gone.iter().any(|g| same_element(i, g)));
                }
                (Some(Value::Array(items)), Some(gone @ Value::Object(_))) => {
                    items.retain(|i| !same_element(i, &gone));
                }
                _ => {
                    object.remove(&name);
                }
            }
            Ok(())
        }
        (_, None) => {
            let value = value.ok_or_else(|| {
                PatchError::InvalidValue(format!("{path}: add and replace need a value"))
            })?;
            let (object, name) = parent(resource, &parsed.keys, true).ok_or_else(|| {
                PatchError::InvalidPath(format!("path {path:?} does not lead to an attribute"))
            })?;
            match object.get_mut(&name) {
                Some(slot) if kind == Kind::Add || value.is_object() => merge(slot, value, kind),
                _ => {
                    object.insert(name, value);
                }
            }
            Ok(())
        }
        (kind, Some(filter)) => {
            let (object, name) = parent(resource, &parsed.keys, false).ok_or_else(no_target)?;
            let Some(Value::Array(items)) = object.get_mut(&name) else {
                return Err(no_target());
            };
            let hit: Vec<bool> = items.iter().map(|i| filter::matches(&filter, i)).collect();
            if !hit.iter().any(|h| *h) {
                return match kind {
                    Kind::Remove => Ok(()),
                    _ => Err(no_target()),
                };
            }
            match (kind, &parsed.sub) {
                (Kind::Remove, None) => {
                    let mut flags = hit.iter();
                    items.retain(|_| !flags.next().copied().unwrap_or(false));
                }
                (Kind::Remove, Some(sub)) => {
                    for (item, _) in items.iter_mut().zip(&hit).filter(|(_, h)| **h) {
                        if let Some(o) = item.as_object_mut() {
                            if let Some(k) = key_of(o, sub).cloned() {
                                o.remove(&k);
                            }
                        }
                    }
                }
                (_, sub) => {
                    let value = value.ok_or_else(|| {
                        PatchError::InvalidValue(format!("{path}: add and replace need a value"))
                    })?;
                    for (item, _) in items.iter_mut().zip(&hit).filter(|(_, h)| **h) {
                        match sub {
                            Some(sub) => {
                                if let Some(o) = item.as_object_mut() {
                                    let k = key_of(o, sub).cloned().unwrap_or_else(|| sub.clone());
                                    o.insert(k, value.clone());
                                }
                            }
                            None => merge(item, value.clone(), Kind::Replace),
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_change_the_representation() {
        let mut group = json!({"displayName": "Fire", "members": [{"value": "a"}, {"value": "b"}]});
        apply(
            &mut group,
            Kind::Add,
            Some("members"),
            Some(json!([{"value": "c"}])),
        )
        .unwrap();
        apply(
            &mut group,
            Kind::Remove,
            Some("members[value eq \"a\"]"),
            None,
        )
        .unwrap();
        apply(
            &mut group,
            Kind::Remove,
            Some("members"),
            Some(json!([{"value": "b"}])),
        )
        .unwrap();
        assert_eq!(group["members"], json!([{"value": "c"}]));

        let mut user = json!({"userName": "a", "active": true, "emails": [{"value": "x@y.fi", "type": "work"}]});
        apply(
            &mut user,
            Kind::parse("Replace").unwrap(),
            None,
            Some(json!({"active": "False", "name.givenName": "Al",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops"})),
        )
        .unwrap();
        apply(
            &mut user,
            Kind::Replace,
            Some("emails[type eq \"work\"].value"),
            Some(json!("z@y.fi")),
        )
        .unwrap();
        assert_eq!(user["active"], "False");
        assert_eq!(user["name"]["givenName"], "Al");
        assert_eq!(user["emails"][0]["value"], "z@y.fi");
        assert_eq!(
            user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "Ops"
        );
        assert!(matches!(
            apply(
                &mut user,
                Kind::Replace,
                Some("emails[type eq \"home\"].value"),
                Some(json!("q"))
            ),
            Err(PatchError::NoTarget(_))
        ));
    }
}
