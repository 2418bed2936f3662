//! Importing people from CSV: a dry run shows, row by row, what would be
//! created and what is wrong; the real run creates the good rows and
//! reports the bad ones the same way. Imported people get no password:
//! they receive alerts; an admin gives a login to those who need one.

use super::directory::UserFields;
use crate::auth::Permission;
use crate::store::{NewUser, Outcome, StoreError};
use crate::validate;
use crate::web::extract::Principal;
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// More rows than this is a job for several files.
const MAX_ROWS: usize = 5000;
const COLUMNS: [&str; 8] = [
    "username",
    "name",
    "phones",
    "email",
    "tetra_issi",
    "groups",
    "roles",
    "language",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Serialize)]
struct RowError {
    field: String,
    detail: String,
}

#[derive(Debug, Serialize)]
struct RowResult {
    /// The line in the file, counting the header as 1.
    row: usize,
    username: String,
    ok: bool,
    errors: Vec<RowError>,
}

struct Row {
    username: String,
    fields: UserFields,
    groups: Vec<String>,
}

fn list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn problem(field: &str, detail: impl Into<String>) -> RowError {
    RowError {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// Reads one CSV record into a row, or says what is wrong with it.
fn read_row(header: &[String], record: &csv::StringRecord) -> Result<Row, Vec<RowError>> {
    let cell = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .unwrap_or("")
    };
    let mut errors = Vec::new();
    let username = cell("username").to_lowercase();
    if let Err(why) = validate::handle(&username) {
        errors.push(problem("username", why));
    }
    let tetra_issi = match cell("tetra_issi") {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(issi) => Some(issi),
            Err(_) => {
                errors.push(problem("tetra_issi", "must be a number"));
                None
            }
        },
    };
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    let fields = UserFields {
        name: Some(cell("name").to_owned()),
        phones: Some(list(cell("phones"))),
        email: Some(optional(cell("email"))),
        tetra_issi: Some(tetra_issi),
        language: Some(optional(cell("language"))),
        channels: None,
        roles: Some(list(cell("roles"))),
        password: None,
        must_change_password: None,
    };
    if errors.is_empty() {
        Ok(Row {
            username,
            fields,
            groups: list(cell("groups")),
        })
    } else {
        Err(errors)
    }
}

#[post("/users/import")]
async fn import_users(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::field("body", "must be UTF-8 text"))?
        .to_owned();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::field("body", format!("the header line can't be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    for required in ["username", "name"] {
        if !header.iter().any(|h| h == required) {
            return Err(ApiError::field(
                "body",
                format!(
                    "the header line must name a {required} column (columns: {})",
                    COLUMNS.join(",")
                ),
            ));
        }
    }
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(ApiError::field(
            "body",
            format!("unknown column {unknown} (columns: {})", COLUMNS.join(",")),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() >= MAX_ROWS {
            return Err(ApiError::field(
                "body",
                format!("more than {MAX_ROWS} rows"),
            ));
        }
        let line = i + 2;
        rows.push((line, record.map_err(|e| e.to_string())));
    }
    let needs_roles = rows.iter().any(|(_, r)| {
        r.as_ref().is_ok_and(|r| {
            header
                .iter()
                .position(|h| h == "roles")
                .and_then(|i| r.get(i))
                .is_some_and(|c| !c.trim().is_empty())
        })
    });
    if needs_roles {
        principal.require(Permission::ManageRoles)?;
    }
    let dry_run = query.dry_run;
    let now = state.clock.now();
    let (results, imported) = blocking(move || {
        let org = &principal.org;
        let mut seen = HashSet::new();
        let mut results = Vec::new();
        let mut imported = 0usize;
        for (line, record) in rows {
            let mut username = String::new();
            let row = match record {
                Ok(record) => {
                    // Named even when refused, so a person finds the row.
                    username = header
                        .iter()
                        .position(|h| h == "username")
                        .and_then(|i| record.get(i))
                        .unwrap_or("")
                        .to_owned();
                    read_row(&header, &record)
                }
                Err(e) => Err(vec![problem("row", format!("can't be read: {e}"))]),
            };
            let outcome = match row {
                Err(errors) => Err(errors),
                Ok(row) => {
                    username = row.username.clone();
                    let mut errors = Vec::new();
                    if let Err(e) = row.fields.validate(org)? {
                        errors.push(problem_from(&e));
                    }
                    let roles = row.fields.roles.clone().unwrap_or_default();
                    if let Err(e) = super::directory::may_grant(&principal, org, &roles)? {
                        errors.push(problem("roles", e.to_string()));
                    }
                    if !seen.insert(row.username.clone()) {
                        errors.push(problem("username", "appears twice in this file"));
                    } else if org.user_by_username(&row.username)?.is_some() {
                        errors.push(problem("username", "is already taken"));
                    }
                    let mut groups = Vec::new();
                    for (i, name) in row.groups.iter().enumerate() {
                        match org.find_group(name)? {
                            Some(g) => groups.push(g.id),
                            None => errors
                                .push(problem(&format!("groups[{i}]"), format!("no group {name}"))),
                        }
                    }
                    if errors.is_empty() {
                        Ok((row, groups))
                    } else {
                        Err(errors)
                    }
                }
            };
            match outcome {
                Ok((row, groups)) => {
                    if !dry_run {
                        let f = row.fields;
                        org.create_user(
                            NewUser {
                                username: row.username.clone(),
                                name: f.name.unwrap_or_default(),
                                phones: f.phones.unwrap_or_default(),
                                email: f.email.flatten(),
                                tetra_issi: f.tetra_issi.flatten(),
                                language: f.language.flatten(),
                                channels: Vec::new(),
                                roles: f.roles.unwrap_or_default(),
                                password_hash: None,
                                must_change_password: false,
                                groups,
                            },
                            now,
                        )?;
                        imported += 1;
                    }
                    results.push(RowResult {
                        row: line,
                        username,
                        ok: true,
                        errors: Vec::new(),
                    });
                }
                Err(errors) => results.push(RowResult {
                    row: line,
                    username,
                    ok: false,
                    errors,
                }),
            }
        }
        if !dry_run {
            let bad = results.iter().filter(|r| !r.ok).count();
            principal
                .audit("user.imported", Outcome::Success)
                .detail(format!("{imported} imported, {bad} rows refused"))
                .write(org, now)?;
        }
        Ok::<_, StoreError>((results, imported))
    })
    .await?;
    if !dry_run {
        state.store.flush().await?;
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "dry_run": dry_run, "imported": imported, "rows": results,
    })))
}

fn problem_from(e: &ApiError) -> RowError {
    match e {
        ApiError::InvalidField { field, detail } => problem(field, detail.clone()),
        other => problem("row", other.to_string()),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(import_users);
}
