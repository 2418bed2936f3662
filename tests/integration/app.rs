//! The members' app (`/app/`) in real headless Chromium at phone size: live
//! critical alerts with sound, answers seen by the sender's console, alarm
//! buttons, sealed (password-encrypted) alerts, the installable shell that
//! works offline, and a remote wipe. Screenshots are saved in
//! `target/screenshots/app-*-390.png`.

use crate::browser::Browser;
use crate::devices::{wait_until, WAIT};
use crate::inprocess::{Login, Server, PASSWORD};
use serde_json::{json, Value};

pub(crate) fn open_app(browser: &Browser, server: &Server, username: &str) {
    browser.goto(&format!("https://{}/app/", server.addr));
    browser.type_into("[data-test=login] [name=org]", "acme");
    browser.type_into("[data-test=login] [name=username]", username);
    browser.type_into("[data-test=login] [name=password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.wait_for(
        "the live feed",
        "document.querySelector('[data-test=live].on')",
    );
}

/// The admin console, signed in as the organisation's admin.
fn console(server: &Server) -> Browser {
    let browser = Browser::start(1366, 768);
    browser.goto(&format!("https://{}/console/", server.addr));
    browser.type_into("[data-test=login-org]", "acme");
    browser.type_into("[data-test=login-username]", "root");
    browser.type_into("[data-test=login-password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.find("[data-test=logout]");
    browser
}

fn console_live_view(server: &Server, alert: &str) -> Browser {
    let browser = console(server);
    browser.goto(&format!("https://{}/console/#/alerts/{alert}", server.addr));
    browser.find("[data-page=live]");
    browser
}

fn recipient<'v>(view: &'v Value, name: &str) -> &'v Value {
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
}

fn alerts_titled(admin: &Login<'_>, title: &str) -> Vec<Value> {
    admin.get("/api/v1/alerts").json()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"] == title)
        .cloned()
        .collect()
}

#[test]
fn a_member_gets_a_critical_alert_full_screen_answers_coming_and_the_sender_sees_it() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "threat", "button": "Threat", "button_roles": ["member"],
               "alert": {"title": "Threat at the main entrance", "severity": "critical", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);

    let phone = Browser::phone(server.dir.path());
    open_app(&phone, &server, "aino");
    phone.find("[data-test=button-threat]");
    phone.find("[data-test=no-alerts]");
    phone.screenshot("app-home-390");

    let sending = std::time::Instant::now();
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Fire at depot 3", "body": "Smoke from hall B. Bring breathing apparatus.",
               "severity": "critical", "channels": ["app"], "allow_eta": true,
               "location": {"lat": 60.171, "lon": 24.941, "label": "Depot 3, Hall B"},
               "recipients": {"users": ["aino"]}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let id = sent.json()["id"].as_str().unwrap().to_owned();

    // Full screen, with the siren on, at once.
    phone.find("[data-test=critical]");
    println!(
        "critical alert on the phone's screen {} ms after the send was accepted",
        sending.elapsed().as_millis()
    );
    let sender = console_live_view(&server, &id);
    assert!(sender
        .text("[data-test=live-location]")
        .contains("Depot 3, Hall B"));
    assert_eq!(phone.text("[data-test=critical-title]"), "Fire at depot 3");
    phone.wait_for(
        "the siren",
        "document.querySelector('[data-test=critical]').dataset.sound === 'on'",
    );
    let navigate = phone.eval(
        "return document.querySelector('[data-test=critical] [data-test=navigate]').getAttribute('href')",
    );
    assert!(
        navigate
            .as_str()
            .unwrap()
            .starts_with("geo:60.171000,24.941000"),
        "{navigate}"
    );
    phone.screenshot("app-critical-390");

    phone.type_into("[data-test=critical] [data-test=answer-eta]", "7");
    phone.click("[data-test=critical] [data-test=answer-0]");
    phone.wait_for(
        "the siren stops once answered",
        "document.querySelector('[data-test=critical]').dataset.sound === 'off'",
    );
    sender.wait_for(
        "Coming in the sender's live view",
        "document.querySelector('[data-test=live-coming]').innerText.trim() === '1'",
    );
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    let aino = recipient(&view, "Member aino");
    assert_eq!(aino["response"]["choice"], "Coming");
    assert_eq!(aino["response"]["eta_minutes"], 7);
    assert_eq!(aino["response"]["channel"], "app");
    assert_eq!(aino["deliveries"][0]["state"], "delivered");
    sender.screenshot("app-sender-live-1366");
    phone.click("[data-test=critical-close]");
    phone.find("[data-test=alert-detail]");
    phone.screenshot("app-alert-390");

    // The alarm button fires its template, for a member who may not send alerts.
    phone.click("[data-test=back]");
    phone.click("[data-test=button-threat]");
    phone.find("[data-test=button-confirm]");
    phone.screenshot("app-button-confirm-390");
    phone.click("[data-test=button-send]");
    let fired = wait_until("the button's alert", WAIT, || {
        alerts_titled(&admin, "Threat at the main entrance")
            .into_iter()
            .next()
    });
    assert_eq!(fired["created_by"], "aino");
    assert_eq!(fired["severity"], "critical");
    let forbidden = admin.create_member("elias", &[]);
    assert_eq!(forbidden["username"], "elias");
    let elias = server.login("acme", "elias", PASSWORD);
    assert_eq!(elias.get("/api/v1/me/buttons").json()["buttons"], json!([]));
    assert_eq!(elias.post("/api/v1/oneclick/threat", json!({})).status, 403);

    // The member's own settings: Finnish, and reached by app and SMS.
    phone.click("[data-test=open-settings]");
    // The view follows the click a moment later, on the hash change.
    phone.find("[data-test=settings-language]");
    phone.eval("const s = document.querySelector('[data-test=settings-language]'); s.value = 'fi'; return true");
    phone.click("[data-test=channel-sms]");
    phone.click("[data-test=settings-save]");
    phone.wait_for(
        "the app in Finnish",
        "document.querySelector('[data-test=logout]').innerText.includes('Kirjaudu ulos')",
    );
    let me = admin.get("/api/v1/users/aino").json();
    assert_eq!(me["language"], "fi");
    assert_eq!(me["channels"], json!(["app", "sms"]));
    phone.eval("window.scrollTo(0, 0); return true");
    phone.screenshot("app-settings-390");

    // The three languages have the same words.
    let keys = phone.eval_async(
        "const block = async (lang) => (await (await fetch(`/ui/i18n/${lang}.js`)).text()) \
         .match(/^  \"[^\"]+\":/gm).sort().join(); \
         return [await block('en'), await block('fi'), await block('sv')];",
    );
    assert_eq!(keys[0], keys[1], "fi has the English keys");
    assert_eq!(keys[0], keys[2], "sv has the English keys");
}

#[test]
fn a_sealed_alert_opens_only_with_the_password_and_the_appliance_never_holds_the_text() {
    let smtp = crate::smtp::SmtpServer::start();
    let server = smtp.appliance();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    assert_eq!(
        admin
            .patch(
                "/api/v1/users/aino",
                json!({"email": "aino@acme.example", "channels": ["app", "email"]})
            )
            .status,
        200
    );
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "covert", "alert": {"title": "Operation notice", "severity": "warning",
               "channels": ["app", "email"], "recipients": {"users": ["aino"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    const SECRET: &str = "Code word ORCHID: meet at gate 4 at 02:30";

    // The sender seals the text in the console.
    let sender = console(&server);
    sender.click("[data-test=nav-send]");
    sender.click("[data-test=template-covert]");
    sender.wait_for(
        "the template in the form",
        "document.querySelector('[data-test=send-title]').value === 'Operation notice'",
    );
    sender.type_into("[data-test=send-body]", SECRET);
    sender.type_into("[data-test=send-seal]", "blue heron 7");
    sender.click("[data-test=send-submit]");
    sender.click("[data-test=send-confirm]");
    sender.find("[data-test=live-sealed]");
    let sent = wait_until("the sealed alert", WAIT, || {
        alerts_titled(&admin, "Operation notice").into_iter().next()
    });
    let id = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(sent["body"], "");
    assert_eq!(
        sent["sealed"]["scheme"],
        "PBKDF2-SHA256/AES-256-GCM/bound-v1"
    );

    // The member opens it with the password, and only with it.
    let phone = Browser::phone(server.dir.path());
    phone.goto(&format!("https://{}/app/#alert={id}", server.addr));
    phone.type_into("[data-test=login] [name=org]", "acme");
    phone.type_into("[data-test=login] [name=username]", "aino");
    phone.type_into("[data-test=login] [name=password]", PASSWORD);
    phone.click("[data-test=login-submit]");
    phone.find("[data-test=alert-detail] [data-test=sealed]");
    phone.type_into("[data-test=sealed-password]", "wrong horse");
    phone.click("[data-test=sealed-open]");
    phone.find("[data-test=sealed-error]:not([hidden])");
    assert!(!phone
        .eval("return document.body.innerText")
        .as_str()
        .unwrap()
        .contains("ORCHID"));
    phone.screenshot("app-sealed-390");
    phone.type_into("[data-test=sealed-password]", "blue heron 7");
    phone.click("[data-test=sealed-open]");
    phone.wait_for(
        "the opened text",
        &format!("document.querySelector('[data-test=alert-body]') && document.querySelector('[data-test=alert-body]').innerText === '{SECRET}'"),
    );
    phone.screenshot("app-sealed-open-390");
    // Bound to its alert: the same body under another title does not open.
    let moved = phone.eval_async(&format!(
        "const sealed = {sealed}; \
         try {{ await window.TocsinSeal.open(sealed, 'blue heron 7', {{org: '{org}', title: 'Another alert'}}); return 'opened'; }} \
         catch (_) {{ return 'refused'; }}",
        sealed = sent["sealed"],
        org = server.store.org_by_slug("acme").unwrap().unwrap().id,
    ));
    assert_eq!(moved, "refused");
    let timing = phone.eval_async(
        "const ctx = {org: 'o', title: 't'}; \
         const t0 = performance.now(); const sealed = await window.TocsinSeal.seal('x', 'pw', ctx); \
         const t1 = performance.now(); await window.TocsinSeal.open(sealed, 'pw', ctx); \
         return [Math.round(t1 - t0), Math.round(performance.now() - t1)];",
    );
    println!(
        "PBKDF2 (600,000 rounds) and AES-GCM in this browser: seal {} ms, open {} ms",
        timing[0], timing[1]
    );

    // The email has a link to the app, not the text.
    let mails = smtp.wait_for(1, WAIT);
    assert_eq!(mails.len(), 1);
    let body = mails[0].body.replace("=\n", "").replace("=3D", "=");
    assert!(body.contains(&format!("/app/#alert={id}")), "{body}");
    assert!(!body.contains("ORCHID"), "{body}");

    // Nothing the appliance stored holds the text: not the alert record, not
    // any byte of its database or logs.
    let org = server.store.org_by_slug("acme").unwrap().unwrap();
    let record = server
        .store
        .org(org.id)
        .alert(id.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(record.body, "");
    assert!(record.sealed.as_ref().unwrap().ciphertext.len() > 40);
    server.store.flush_blocking().unwrap();
    let mut files = vec![server.dir.path().to_path_buf()];
    let mut scanned = 0;
    let mut found_ciphertext = false;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        // Not the daemon's control socket: it holds nothing.
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        assert!(
            !bytes.windows(6).any(|w| w == b"ORCHID"),
            "the text is in {}",
            path.display()
        );
        let ciphertext = record.sealed.as_ref().unwrap().ciphertext.as_bytes();
        found_ciphertext |= bytes.windows(ciphertext.len()).any(|w| w == ciphertext);
    }
    assert!(
        found_ciphertext,
        "the ciphertext is stored ({scanned} files scanned)"
    );
}

#[test]
fn the_app_installs_keeps_its_shell_offline_and_obeys_a_remote_wipe() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let phone = Browser::phone(server.dir.path());
    open_app(&phone, &server, "aino");

    // Installable: a manifest with the icons a phone needs, under a strict CSP.
    let manifest = phone.eval_async(
        "const href = document.querySelector('link[rel=manifest]').href; return await (await fetch(href)).json();",
    );
    assert_eq!(manifest["start_url"], "/app/");
    assert_eq!(manifest["display"], "standalone");
    let sizes: Vec<&str> = manifest["icons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sizes"].as_str().unwrap())
        .collect();
    assert!(sizes.contains(&"192x192") && sizes.contains(&"512x512"));
    let icons = phone.eval_async(
        "const m = await (await fetch(document.querySelector('link[rel=manifest]').href)).json(); \
         const out = []; for (const i of m.icons) { const r = await fetch(i.src); out.push(r.status + ' ' + r.headers.get('content-type')); } return out;",
    );
    assert_eq!(icons, json!(["200 image/png", "200 image/png"]));
    let page = server.send("GET", "/app/", &[], None);
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .starts_with("default-src 'self'"));

    // The service worker holds the shell and nothing else.
    phone.wait_for(
        "the service worker in control",
        "navigator.serviceWorker.controller !== null",
    );
    let cached = phone.eval_async(
        "const names = []; for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) names.push(new URL(r.url).pathname); return names.sort();",
    );
    let cached: Vec<&str> = cached
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(cached.contains(&"/app/") && cached.contains(&"/app/app.js"));
    assert!(cached.iter().all(|p| !p.starts_with("/api/")), "{cached:?}");

    // An alert arrives; nothing of it is kept in the browser's storage.
    admin.post(
        "/api/v1/alerts",
        json!({"title": "Water leak in the server room", "severity": "warning", "channels": ["app"],
               "recipients": {"users": ["aino"]}}),
    );
    phone.wait_for(
        "the alert listed",
        "document.body.innerText.includes('Water leak in the server room')",
    );
    let kept = phone.eval(
        "return Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)).join(';') + '|' + sessionStorage.length",
    );
    assert!(!kept.as_str().unwrap().contains("Water leak"), "{kept}");

    // No request left for another host.
    let foreign = phone.eval(
        "return performance.getEntriesByType('resource').map((e) => e.name).filter((u) => new URL(u).origin !== location.origin)",
    );
    assert_eq!(foreign, json!([]));

    // A critical alert cancelled before anyone answered silences the phone.
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Gas leak, evacuate hall C", "severity": "critical", "channels": ["app"],
               "recipients": {"users": ["aino"]}}),
    );
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    phone.wait_for(
        "the siren",
        "document.querySelector('[data-test=critical]') && document.querySelector('[data-test=critical]').dataset.sound === 'on'",
    );
    let cancelled = admin.post(&format!("/api/v1/alerts/{id}/cancel"), json!({}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    phone.wait_for(
        "silence once cancelled",
        "document.querySelector('[data-test=critical]').dataset.sound === 'off' && !document.querySelector('[data-test=critical] [data-test=answer-0]')",
    );
    phone.click("[data-test=critical-close]");

    // The remote wipe: the next call brings Clear-Site-Data, the app clears
    // what is left and signs out.
    let devices = admin.get("/api/v1/devices").json();
    let device = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["platform"] == "web-app")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wiped = admin.post(&format!("/api/v1/devices/{device}/wipe"), json!({}));
    assert_eq!(wiped.status, 200, "{}", wiped.body);
    phone.wait_for(
        "the wipe notice",
        "document.querySelector('[data-test=session-notice]')",
    );
    phone.screenshot("app-wiped-390");
    let left = phone.eval_async(
        "return { local: localStorage.length, session: sessionStorage.length, caches: (await caches.keys()).length, \
                  workers: (await navigator.serviceWorker.getRegistrations()).length, \
                  me: (await fetch('/api/v1/me')).status };",
    );
    assert_eq!(
        left,
        json!({"local": 0, "session": 0, "caches": 0, "workers": 0, "me": 401})
    );
    phone.find("[data-test=login]");
    let device_after = admin.get("/api/v1/devices").json();
    let record = device_after["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device.as_str())
        .unwrap()
        .clone();
    assert!(!record["wipe_delivered_at"].is_null(), "{record}");
}

#[test]
fn the_shell_opens_with_the_appliance_down() {
    let server = Server::start();
    let addr = server.addr;
    let phone = Browser::phone(server.dir.path());
    phone.goto(&format!("https://{addr}/app/"));
    phone.find("[data-test=login]");
    phone.wait_for(
        "the service worker in control",
        "navigator.serviceWorker.controller !== null",
    );
    drop(server);
    phone.goto(&format!("https://{addr}/app/"));
    phone.find("[data-test=login]");
    phone.wait_for(
        "the offline notice",
        "document.querySelector('[data-test=login-error]') && !document.querySelector('[data-test=login-error]').hidden",
    );
    phone.screenshot("app-offline-390");
}

type Change<'f> = &'f dyn Fn(&mut Value);

#[test]
fn bad_sealed_bodies_locations_preferences_and_button_roles_name_the_field_and_change_nothing() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let sealed = json!({"scheme": "PBKDF2-SHA256/AES-256-GCM/bound-v1", "iterations": 600000,
                        "salt": "AAECAwQFBgcICQoLDA0ODw==", "iv": "AAECAwQFBgcICQoL",
                        "ciphertext": "q83vASNFZ4mrze8BI0VniavN7wEjRWeJ"});
    let alert = |change: &dyn Fn(&mut Value)| {
        let mut body = json!({"title": "Sealed", "severity": "info", "channels": ["app"],
                              "recipients": {"users": ["aino"]}, "sealed": sealed.clone()});
        change(&mut body);
        admin.post("/api/v1/alerts", body)
    };
    let cases: [(&str, Change); 6] = [
        ("body", &|b| b["body"] = json!("the plaintext")),
        ("sealed.iterations", &|b| {
            b["sealed"]["iterations"] = json!(1000)
        }),
        ("sealed.iv", &|b| b["sealed"]["iv"] = json!("AAEC")),
        ("sealed.ciphertext", &|b| {
            b["sealed"]["ciphertext"] = json!("not base64!")
        }),
        ("location.lat", &|b| {
            b["location"] = json!({"lat": 91.0, "lon": 24.9})
        }),
        ("location.lon", &|b| {
            b["location"] = json!({"lat": 60.1, "lon": -181.0})
        }),
    ];
    for (field, change) in cases {
        let refused = alert(change);
        assert_eq!(refused.status, 422, "{field}: {}", refused.body);
        assert_eq!(refused.json()["field"], field, "{}", refused.body);
    }
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"],
        json!([]),
        "nothing stored"
    );
    let sent = alert(&|_| {});
    assert_eq!(sent.status, 202);
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let plain = admin.patch(
        &format!("/api/v1/alerts/{id}"),
        json!({"body": "the plaintext"}),
    );
    assert_eq!(
        plain.status, 422,
        "a sealed text is not replaced by plain text"
    );
    assert_eq!(plain.json()["field"], "body");

    let aino = server.login("acme", "aino", PASSWORD);
    let bad_language = aino.patch("/api/v1/me", json!({"language": "de"}));
    assert_eq!(bad_language.status, 422);
    assert_eq!(bad_language.json()["field"], "language");
    let bad_channel = aino.patch("/api/v1/me", json!({"channels": ["app", "pigeon"]}));
    assert_eq!(bad_channel.status, 422);
    assert_eq!(bad_channel.json()["field"], "channels[1]");
    let unknown = aino.patch("/api/v1/me", json!({"roles": ["admin"]}));
    assert_eq!(unknown.status, 422, "members can't give themselves roles");
    assert_eq!(unknown.json()["field"], "roles", "{}", unknown.body);
    let me = admin.get("/api/v1/users/aino").json();
    assert_eq!(me["language"], Value::Null);
    assert_eq!(me["roles"], json!(["member"]));
    // A session that must first change its password reads and changes nothing.
    let oliver = admin.post(
        "/api/v1/users",
        json!({"username": "oliver", "name": "Oliver", "password": PASSWORD, "roles": ["member"], "must_change_password": true}),
    );
    assert_eq!(oliver.status, 201, "{}", oliver.body);
    let oliver = server.login("acme", "oliver", PASSWORD);
    for path in [
        "/api/v1/me/alerts",
        "/api/v1/me/alerts/stream",
        "/api/v1/me/buttons",
    ] {
        let refused = oliver.get(path);
        assert_eq!(
            refused.json()["code"],
            "password_change_required",
            "{path}: {}",
            refused.body
        );
    }
    assert_eq!(
        oliver.patch("/api/v1/me", json!({"language": "fi"})).json()["code"],
        "password_change_required"
    );
    let ok = aino.patch(
        "/api/v1/me",
        json!({"language": "sv", "channels": ["sms", "app"]}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        admin.get("/api/v1/users/aino").json()["channels"],
        json!(["sms", "app"])
    );

    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "medical", "button": "Medical emergency", "button_roles": ["medics"],
               "alert": {"title": "Medical emergency", "severity": "critical", "channels": ["app"],
                         "recipients": {"users": ["root"]}}}),
    );
    assert_eq!(template.status, 422, "{}", template.body);
    assert_eq!(template.json()["field"], "button_roles[0]");
    let audit = admin
        .get("/api/v1/audit?action=user.preferences_changed")
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
}
