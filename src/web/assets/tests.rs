use super::*;
use actix_web::{test as web_test, App};
use std::collections::BTreeSet;

const LANGUAGES: [&str; 3] = ["en", "fi", "sv"];

/// Keys built at run time: `t(`prefix${...}`)`. A new prefix in the code must
/// be added here, so someone looks at which keys it can reach.
const RUNTIME_PREFIXES: &[&str] = &[
    // tn(): `${key}.one` and `${key}.other`, checked with tn's literal keys.
    "",
    "access.dev_",
    "access.key_",
    "actor.",
    "backup.",
    "ch.",
    "dev.",
    "ds.",
    "err.",
    "hardware.kind_",
    "health.",
    "live.",
    "live.conn_",
    "login.note_",
    "member.",
    "member.channel.",
    "member.severity.",
    "outcome.",
    "page.",
    "people.tab_",
    "perm.",
    "review.d_",
    "review.flag.",
    "review.kind_",
    "review.sf_",
    "settings.rule.",
    "settings.strength_",
    "sev.",
    "state.",
    "tlk.",
];

fn text(path: &str) -> &'static str {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is served"));
    std::str::from_utf8(asset.body).unwrap()
}

/// The keys of one dictionary module: one `"key": "text",` a line.
fn keys(lang: &str) -> BTreeSet<String> {
    text(&format!("/ui/i18n/{lang}.js"))
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('"')?;
            let (key, _) = rest.split_once("\": ")?;
            Some(key.to_owned())
        })
        .collect()
}

fn scripts() -> impl Iterator<Item = (&'static str, &'static str)> {
    ASSETS
        .iter()
        .filter(|a| {
            a.content_type == JS
                && !a.path.starts_with("/ui/i18n/")
                // Minified libraries: their `t(` calls are not ours.
                && !a.path.starts_with("/vendor/")
        })
        .map(|a| (a.path, std::str::from_utf8(a.body).unwrap()))
}

/// What follows every call of `name(` (not `x.name(` nor `otherName(`).
fn calls<'a>(code: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}(");
    code.match_indices(&needle)
        .filter(|(at, _)| {
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        })
        .map(|(at, _)| &code[at + needle.len()..])
        .collect()
}

fn quoted(rest: &str, quote: char) -> Option<&str> {
    let rest = rest.strip_prefix(quote)?;
    rest.find(quote).map(|end| &rest[..end])
}

#[test]
fn every_language_has_the_same_keys() {
    let english = keys("en");
    assert!(english.len() > 600, "the English dictionary is read");
    for lang in LANGUAGES {
        let these = keys(lang);
        let missing: Vec<_> = english.difference(&these).collect();
        let extra: Vec<_> = these.difference(&english).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, not in English {extra:?}"
        );
    }
}

#[test]
fn every_key_the_code_uses_exists() {
    let known = keys("en");
    let mut unknown = Vec::new();
    let mut prefixes_used = BTreeSet::new();
    for (path, code) in scripts() {
        for rest in calls(code, "t") {
            if let Some(key) = quoted(rest, '"') {
                if !known.contains(key) {
                    unknown.push(format!("{path}: t(\"{key}\")"));
                }
            } else if let Some(template) = quoted(rest, '`') {
                let prefix = template.split("${").next().unwrap_or_default();
                if !RUNTIME_PREFIXES.contains(&prefix) {
                    unknown.push(format!(
                        "{path}: t(`{template}`) builds keys from an unlisted prefix"
                    ));
                }
                prefixes_used.insert(prefix);
            }
        }
        for rest in calls(code, "tn") {
            if let Some(key) = quoted(rest, '"') {
                for form in ["one", "other"] {
                    if !known.contains(&format!("{key}.{form}")) {
                        unknown.push(format!("{path}: tn(\"{key}\") has no {key}.{form}"));
                    }
                }
            }
        }
    }
    assert!(unknown.is_empty(), "keys without a text: {unknown:#?}");
    for prefix in RUNTIME_PREFIXES.iter().filter(|p| !p.is_empty()) {
        assert!(
            prefixes_used.contains(prefix),
            "{prefix} is no longer used: drop it from the list"
        );
        assert!(
            known.iter().any(|k| k.starts_with(prefix)),
            "no key starts with {prefix}"
        );
    }
}

#[test]
fn the_service_worker_keeps_every_module_of_the_app() {
    let worker = text("/app/sw.js");
    for asset in ASSETS {
        let needed = (asset.path.starts_with("/app/") || asset.path.starts_with("/ui/"))
            && asset.path != "/app/sw.js"
            // The old address of the sealing code; the app imports it from /ui/.
            && asset.path != "/app/seal.js";
        assert!(
            !needed || worker.contains(&format!("\"{}\"", asset.path)),
            "{} is not in the service worker's shell",
            asset.path
        );
    }
}

#[test]
fn every_served_module_imports_only_served_files() {
    for (path, code) in scripts() {
        for line in code.lines().filter(|l| l.starts_with("import ")) {
            let target = line
                .rsplit(" from ")
                .next()
                .and_then(|rest| quoted(rest, '"'))
                .unwrap_or_else(|| panic!("{path}: unreadable import {line}"));
            assert!(
                ASSETS.iter().any(|a| a.path == target),
                "{path} imports {target}, which is not served"
            );
        }
    }
}

#[actix_web::test]
async fn a_file_carries_a_strong_etag_and_an_unchanged_one_is_not_sent_again() {
    let app = web_test::init_service(App::new().configure(routes)).await;
    let first = web_test::call_service(
        &app,
        web_test::TestRequest::get()
            .uri("/console/app.js")
            .to_request(),
    )
    .await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers().get("cache-control").unwrap(), "no-cache");
    assert_eq!(first.headers().get("content-type").unwrap(), JS);
    let etag = first
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");

    let again = web_test::TestRequest::get()
        .uri("/console/app.js")
        .insert_header(("If-None-Match", format!("\"x\", W/{etag}")))
        .to_request();
    let again = web_test::call_service(&app, again).await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers().get("etag").unwrap().to_str().unwrap(), etag);
    assert!(web_test::read_body(again).await.is_empty());

    let changed = web_test::TestRequest::get()
        .uri("/console/app.js")
        .insert_header(("If-None-Match", "\"older\""))
        .to_request();
    assert_eq!(web_test::call_service(&app, changed).await.status(), 200);

    for path in [
        "/console/",
        "/app/",
        "/app/sw.js",
        "/app/seal.js",
        "/app/icon-192.png",
        "/app/manifest.webmanifest",
    ] {
        let res =
            web_test::call_service(&app, web_test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(res.status(), 200, "{path}");
    }
}
