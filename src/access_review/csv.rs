//! The report as CSV (RFC 4180): one row per account or key, lists joined
//! with "; ". Spreadsheets run a cell that starts with `=`, `+`, `-` or `@`
//! as a formula (and some do after a tab or carriage return), and names and notes come from people (OWASP "CSV
//! injection"), so such cells get a leading `'`.

use super::{Flag, KeyEntry, Report, SecondFactor, UserEntry};
use time::OffsetDateTime;

const HEADER: [&str; 21] = [
    "kind",
    "id",
    "name",
    "full_name",
    "roles",
    "permissions",
    "alert_groups",
    "groups",
    "second_factor",
    "last_login_at",
    "last_alert_answered_at",
    "device_count",
    "devices",
    "deactivated",
    "created_by",
    "created_at",
    "age_days",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "flags",
];

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    row(&mut out, HEADER.iter().map(|h| (*h).to_owned()));
    for user in &report.users {
        row(&mut out, user_cells(user));
    }
    for key in &report.keys {
        row(&mut out, key_cells(key));
    }
    out
}

fn user_cells(u: &UserEntry) -> [String; 21] {
    let second = match u.second_factor {
        SecondFactor::Totp => "totp",
        SecondFactor::Sms => "sms",
        SecondFactor::None => "none",
    };
    let permissions: Vec<String> = u
        .permissions
        .iter()
        .filter_map(|p| serde_json::to_value(p).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    [
        "user".to_owned(),
        u.id.to_string(),
        u.username.clone(),
        u.name.clone(),
        u.roles.join("; "),
        permissions.join("; "),
        u.alert_groups
            .as_ref()
            .map(|g| g.join("; "))
            .unwrap_or_default(),
        u.groups.join("; "),
        second.to_owned(),
        time_of(u.last_login_at),
        time_of(u.last_alert_answered_at),
        u.device_count.to_string(),
        u.devices.join("; "),
        u.deactivated.to_string(),
        String::new(),
        time_of(Some(u.created_at)),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        flags(&u.flags),
    ]
}

fn key_cells(k: &KeyEntry) -> [String; 21] {
    [
        "api_key".to_owned(),
        k.id.to_string(),
        k.name.clone(),
        String::new(),
        k.role.clone(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        k.created_by.clone().unwrap_or_default(),
        time_of(Some(k.created_at)),
        k.age_days.to_string(),
        time_of(k.last_used_at),
        time_of(k.expires_at),
        time_of(k.revoked_at),
        flags(&k.flags),
    ]
}

fn flags(flags: &[Flag]) -> String {
    flags
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join("; ")
}

fn time_of(at: Option<OffsetDateTime>) -> String {
    at.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_default()
}

fn row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// One field: defused when a spreadsheet would run it, quoted when it
/// holds a comma, quote or line break.
pub fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("a=b"), "a=b");
    }
}
