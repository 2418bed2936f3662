//! An admin of one organisation gets nothing of another's, on any path.

use crate::inprocess::{Login, Server, PASSWORD};
use crate::support::Response;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[test]
fn an_admin_of_a_reaches_none_of_bs_records_on_any_path() {
    let server = Server::start();
    let clock: tocsin::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
    tocsin::provisioning::create_admin(&server.store, &clock, "rival", "boss", PASSWORD).unwrap();

    // Organisation B's records, made by B's own admin.
    let b = server.login("rival", "boss", PASSWORD);
    let b_user = b.create_member("victim", &["member"]);
    let b_group = b
        .post(
            "/api/v1/groups",
            json!({"name": "b-crew", "members": ["victim"]}),
        )
        .json();
    let b_role = b
        .post(
            "/api/v1/roles",
            json!({"name": "b-role", "permissions": ["read_directory"]}),
        )
        .json();
    let b_key = b
        .post(
            "/api/v1/apikeys",
            json!({"name": "b-key", "role": "member"}),
        )
        .json();
    let victim = server.login("rival", "victim", PASSWORD);
    let b_session = victim.get("/api/v1/me").json()["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_device = victim.device_id();
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let (user, group, role, key) = (id(&b_user), id(&b_group), id(&b_role), id(&b_key["apikey"]));

    let a = server.admin();
    let reads = [
        format!("/api/v1/users/{user}"),
        "/api/v1/users/victim".to_owned(),
        format!("/api/v1/groups/{group}"),
        "/api/v1/groups/b-crew".to_owned(),
        format!("/api/v1/roles/{role}"),
        "/api/v1/roles/b-role".to_owned(),
    ];
    for path in &reads {
        assert_eq!(a.get(path).status, 404, "GET {path}");
    }
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "PATCH",
            format!("/api/v1/users/{user}"),
            Some(json!({"name": "Hacked"})),
        ),
        (
            "PATCH",
            "/api/v1/users/victim".to_owned(),
            Some(json!({"roles": ["admin"]})),
        ),
        ("DELETE", format!("/api/v1/users/{user}"), None),
        ("DELETE", format!("/api/v1/users/{user}/sessions"), None),
        (
            "POST",
            format!("/api/v1/users/{user}/reset-second-factor"),
            Some(json!({})),
        ),
        (
            "PATCH",
            format!("/api/v1/groups/{group}"),
            Some(json!({"name": "hacked"})),
        ),
        ("DELETE", format!("/api/v1/groups/{group}"), None),
        (
            "PATCH",
            format!("/api/v1/roles/{role}"),
            Some(json!({"permissions": ["manage_users"]})),
        ),
        ("DELETE", format!("/api/v1/roles/{role}"), None),
        ("DELETE", format!("/api/v1/apikeys/{key}"), None),
        (
            "POST",
            format!("/api/v1/devices/{b_device}/block"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/api/v1/devices/{b_device}/wipe"),
            Some(json!({})),
        ),
        ("DELETE", format!("/api/v1/me/sessions/{b_session}"), None),
    ];
    for (method, path, body) in &writes {
        let status = a.send(method, path, body.clone()).status;
        assert!(
            status == 404 || status == 403,
            "{method} {path} answered {status}"
        );
    }
    // B's ids as references inside A's own writes.
    let smuggled = a.post("/api/v1/groups", json!({"name": "mine", "members": [user]}));
    assert_eq!(smuggled.json()["field"], "members[0]");
    let smuggled = a.post(
        "/api/v1/users",
        json!({"username": "xx-user", "name": "X", "groups": [group]}),
    );
    assert_eq!(smuggled.json()["field"], "groups[0]");
    let smuggled = a.post(
        "/api/v1/roles",
        json!({"name": "role-r", "permissions": [], "alert_groups": [group]}),
    );
    assert_eq!(smuggled.json()["field"], "alert_groups[0]");
    let smuggled = a.post("/api/v1/apikeys", json!({"name": "x", "role": "b-role"}));
    assert_eq!(smuggled.json()["field"], "role");

    // A's listings show none of B; B's records are untouched.
    for (path, field, b_name) in [
        ("/api/v1/users", "users", "victim"),
        ("/api/v1/groups", "groups", "b-crew"),
        ("/api/v1/roles", "roles", "b-role"),
    ] {
        let listed = a.get(path).json();
        assert!(
            !listed[field].to_string().contains(b_name),
            "{path} shows {b_name}"
        );
    }
    assert!(a.get("/api/v1/devices").json()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"] != b_device.as_str()));
    assert!(!a.get("/api/v1/audit?limit=1000").body.contains("victim"));
    assert_eq!(
        b.get("/api/v1/users/victim").json()["name"],
        "Member victim"
    );
    assert_eq!(
        b.get("/api/v1/groups/b-crew").json()["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        victim.get("/api/v1/me").status,
        200,
        "B's session and device live on"
    );
    let key = b_key["key"].as_str().unwrap();
    assert_eq!(
        server
            .send(
                "GET",
                "/api/v1/me",
                &[("Authorization", &format!("Bearer {key}"))],
                None
            )
            .status,
        200
    );

    // A cookie minted for B can't be bent to A by editing its organisation part.
    let forged = victim.cookie.replacen(
        &victim.body["org"]["id"].as_str().unwrap().to_string(),
        a.body["org"]["id"].as_str().unwrap(),
        1,
    );
    assert_eq!(
        server
            .send("GET", "/api/v1/me", &[("Cookie", &forged)], None)
            .status,
        401
    );
}

// ---------------------------------------------------------------------------
// Every documented endpoint, tried by organisation A on organisation B.
//
// `probes()` is a table: for each (method, path template) of openapi.json, the
// cross-organisation probe that A's admin runs. `every_endpoint_in_openapi_has_a_cross_organisation_check`
// fails when openapi.json gains an endpoint the table lacks (or the table
// keeps one openapi.json dropped). The probe run then checks, for every call
// A makes, that the status is one openapi.json documents for the endpoint,
// that nothing of B's (ids, names, texts, numbers, secrets) is in the
// answer, and, after every probe, that B's records read the same as before.
// ---------------------------------------------------------------------------

/// The public API description, as the server serves it.
const OPENAPI: &str = include_str!("../../src/web/api/openapi.json");
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

const B_ORG: &str = "rival";
const B_ADMIN: &str = "boss";
const B_USER: &str = "victim";
const B_GROUP: &str = "b-crew";
const B_ROLE: &str = "b-role";
const B_TEMPLATE: &str = "b-tpl";
const B_BUTTON: &str = "B button";
const B_RULE: &str = "b-ecc";
/// In every text B writes (alert titles, the inbound message), so any of
/// them showing to A is caught.
const B_TEXT: &str = "B-only";
const B_PHONE: &str = "+358402000001";
const B_EMAIL: &str = "victim@rival.example";
const B_NUMBER: &str = "+358402222222";
const B_SSI: u32 = 4712;
const B_IDEMPOTENCY_KEY: &str = "rival-drill-1";
/// A name B gives a user, a group, a role and a template: names are each
/// organisation's own, so A may take it too (a 409 would tell A that B has
/// it).
const TWIN: &str = "twin";
const OTHER_PASSWORD: &str = "quartz lantern meadow 77 violin";

type Probe = fn(&World<'_>, &Endpoint);

/// The cross-organisation probes, one per documented (method, path).
#[derive(Default)]
struct Table(Vec<(&'static str, &'static str, Probe)>);

impl Table {
    fn add(&mut self, method: &'static str, path: &'static str, probe: Probe) {
        self.0.push((method, path, probe));
    }
}

/// (METHOD, path) → the response codes openapi.json documents for it.
fn documented_endpoints() -> BTreeMap<(String, String), Vec<String>> {
    let spec: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    let paths = spec["paths"].as_object().expect("openapi.json has paths");
    let mut endpoints = BTreeMap::new();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("a path item is an object") {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let responses = operation["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            endpoints.insert((method.to_uppercase(), path.clone()), responses);
        }
    }
    assert!(!endpoints.is_empty(), "openapi.json lists no endpoints");
    endpoints
}

/// The table covers exactly what openapi.json lists.
fn assert_covers_openapi(table: &Table) {
    let documented = documented_endpoints();
    let mut covered = BTreeSet::new();
    let mut problems = Vec::new();
    for (method, path, _) in &table.0 {
        if !covered.insert(((*method).to_owned(), (*path).to_owned())) {
            problems.push(format!(
                "{method} {path} has two cross-organisation checks in tests/integration/isolation.rs"
            ));
        }
    }
    for (method, path) in documented.keys() {
        if !covered.contains(&(method.clone(), path.clone())) {
            problems.push(format!(
                "endpoint {method} {path} in openapi.json has no cross-organisation check in tests/integration/isolation.rs (add one to probes())"
            ));
        }
    }
    for (method, path) in &covered {
        if !documented.contains_key(&(method.clone(), path.clone())) {
            problems.push(format!(
                "the cross-organisation check for {method} {path} in tests/integration/isolation.rs matches no endpoint in openapi.json"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_endpoint_in_openapi_has_a_cross_organisation_check() {
    assert_covers_openapi(&probes());
}

/// One documented endpoint, as a probe sees it.
struct Endpoint {
    method: &'static str,
    template: &'static str,
    responses: Vec<String>,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

impl Endpoint {
    /// The path with every `{parameter}` filled, so a probe can't call
    /// anything but its own endpoint.
    fn path(&self, params: &[(&str, &str)]) -> String {
        let mut path = self.template.to_owned();
        for (name, value) in params {
            let slot = format!("{{{name}}}");
            assert!(path.contains(&slot), "{self} has no parameter {slot}");
            path = path.replace(&slot, value);
        }
        assert!(!path.contains('{'), "{self}: a parameter is left in {path}");
        path
    }
}

/// Organisations A ("acme", the server's own) and B ("rival"), B's records,
/// and the appliance operator.
struct World<'s> {
    server: &'s Server,
    agent: ureq::Agent,
    /// A's admin: the one who probes.
    a: Login<'s>,
    a_org: String,
    /// B's admin, its member and the operator: they only look.
    b: Login<'s>,
    victim: Login<'s>,
    op: Login<'s>,
    b_org: String,
    b_user: String,
    b_group: String,
    b_role: String,
    b_key: String,
    b_key_token: String,
    b_webhook: String,
    b_webhook_secret: String,
    b_session: String,
    b_boss_session: String,
    b_device: String,
    b_alert: String,
    b_template: String,
    b_inbound: String,
    /// Ids of B's user, group, role and template named [`TWIN`].
    b_twins: Vec<String>,
    /// B's open access review and one of its items.
    b_review: String,
    b_review_item: String,
    /// B's alerts so far: made in setup, or by B during a probe.
    b_alerts: RefCell<BTreeSet<String>>,
    /// What of B's must never show to A: (what it is, the text).
    traces: Vec<(&'static str, String)>,
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

fn created(r: &Response) -> Value {
    assert!(
        r.status == 200 || r.status == 201,
        "{}: {}",
        r.status,
        r.body
    );
    r.json()
}

impl<'s> World<'s> {
    fn new(server: &'s Server) -> World<'s> {
        let clock: tocsin::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
        tocsin::provisioning::create_admin(&server.store, &clock, B_ORG, B_ADMIN, PASSWORD)
            .unwrap();
        tocsin::provisioning::create_operator(&server.store, &clock, "op", PASSWORD).unwrap();
        let op = server.login("appliance", "op", PASSWORD);
        let b = server.login(B_ORG, B_ADMIN, PASSWORD);
        let b_org = b.body["org"]["id"].as_str().unwrap().to_owned();

        // B's people, groups, roles and key, made by B's own admin.
        let b_user = id_of(&b.create_member(B_USER, &["member"]));
        created(&b.patch(
            &format!("/api/v1/users/{B_USER}"),
            json!({"phones": [B_PHONE], "email": B_EMAIL, "channels": ["app"]}),
        ));
        let b_group = id_of(&created(&b.post(
            "/api/v1/groups",
            json!({"name": B_GROUP, "members": [B_USER]}),
        )));
        let b_role = id_of(&created(&b.post(
            "/api/v1/roles",
            json!({"name": B_ROLE, "permissions": ["read_directory"]}),
        )));
        let key = created(&b.post(
            "/api/v1/apikeys",
            json!({"name": "b-key", "role": "member"}),
        ));
        let b_key = id_of(&key["apikey"]);
        let b_key_token = key["key"].as_str().unwrap().to_owned();
        let hook = created(&b.post(
            "/api/v1/webhooks",
            json!({"url": "https://hooks.rival.example/b-only", "events": ["alert.created"]}),
        ));
        let b_webhook = id_of(&hook["webhook"]);
        let b_webhook_secret = hook["secret"].as_str().unwrap().to_owned();

        // B's senders, assigned by the operator, and B's rules using them.
        let r = op.send(
            "PUT",
            &format!("/api/v1/system/assignments/{B_ORG}"),
            Some(json!({"sms_numbers": [B_NUMBER], "tetra_ssis": [B_SSI]})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let b_template = id_of(&created(&b.post(
            "/api/v1/templates",
            json!({"name": B_TEMPLATE, "button": B_BUTTON, "button_roles": ["member"],
                   "alert": {"title": format!("{B_TEXT} template alert"), "severity": "warning",
                             "channels": ["app"], "recipients": {"users": [B_USER]}}}),
        )));
        created(&b.patch(
            "/api/v1/settings",
            json!({"tetra_rules": [{"name": B_RULE, "from": [B_SSI], "pattern": "^ALARM", "template": B_TEMPLATE}],
                   "sms_triggers": [{"number": B_NUMBER, "pin": "246810", "templates": []}]}),
        ));

        // B's member: logged in on a device, with an app second factor.
        let victim = server.login(B_ORG, B_USER, PASSWORD);
        let secret =
            created(&victim.post("/api/v1/me/totp", json!({"current_password": PASSWORD})))
                ["secret"]
                .as_str()
                .unwrap()
                .to_owned();
        let code = tocsin::auth::second_factor::current_code(&secret, server.now()).unwrap();
        created(&victim.post("/api/v1/me/totp/confirm", json!({"code": code})));
        let b_session = victim.body["session"]["id"].as_str().unwrap().to_owned();
        let b_boss_session = b.body["session"]["id"].as_str().unwrap().to_owned();
        let b_device = victim.device_id();

        let b_twins = vec![
            id_of(&b.create_member(TWIN, &[])),
            id_of(&created(&b.post("/api/v1/groups", json!({"name": TWIN})))),
            id_of(&created(&b.post(
                "/api/v1/roles",
                json!({"name": TWIN, "permissions": []}),
            ))),
            id_of(&created(&b.post(
                "/api/v1/templates",
                json!({"name": TWIN, "alert": {"title": "Twin", "severity": "info",
                       "channels": ["app"], "recipients": {"users": [TWIN]}}}),
            ))),
        ];

        // B's access review, open, its items B's people and keys.
        let review = created(&b.post("/api/v1/access-reviews", json!({})));
        let b_review = id_of(&review);
        let b_review_item = id_of(&review["items"][0]);

        // A message received for B: filed as the inbox files it (no modem
        // here to receive it on).
        let b_inbound = tocsin::ids::Id::new();
        server
            .store
            .finish_inbound(
                b_org.parse().unwrap(),
                &tocsin::store::InboundMessage {
                    id: b_inbound,
                    channel: tocsin::store::Channel::Sms,
                    from: B_NUMBER.to_owned(),
                    to: "gsm1".to_owned(),
                    received_at: server.now(),
                    text: format!("{B_TEXT} inbound text"),
                    parts: 1,
                    incomplete: false,
                    said: tocsin::store::Said::Text,
                    handling: tocsin::store::Handling::Ignored {
                        why: "test".to_owned(),
                    },
                },
            )
            .unwrap();

        let a = server.admin();
        let a_org = a.body["org"]["id"].as_str().unwrap().to_owned();
        let agent = ureq::AgentBuilder::new()
            .tls_config(std::sync::Arc::new(crate::support::client_tls(
                server.dir.path(),
                None,
            )))
            .timeout(Duration::from_secs(20))
            .build();
        let mut world = World {
            server,
            agent,
            a,
            a_org,
            b,
            victim,
            op,
            b_org,
            b_user,
            b_group,
            b_role,
            b_key,
            b_key_token,
            b_webhook,
            b_webhook_secret,
            b_session,
            b_boss_session,
            b_device,
            b_alert: String::new(),
            b_template,
            b_inbound: b_inbound.to_string(),
            b_twins,
            b_review,
            b_review_item,
            b_alerts: RefCell::default(),
            traces: Vec::new(),
        };
        // B's alert to its member, sent with an idempotency key.
        world.b_alert = world.b_sends_alert(&format!("{B_TEXT} drill"), Some(B_IDEMPOTENCY_KEY));
        world.traces = vec![
            ("organisation id", world.b_org.clone()),
            ("organisation slug", B_ORG.to_owned()),
            ("admin's username", B_ADMIN.to_owned()),
            ("user id", world.b_user.clone()),
            ("username", B_USER.to_owned()),
            ("phone number", B_PHONE.to_owned()),
            ("email address", B_EMAIL.to_owned()),
            ("group id", world.b_group.clone()),
            ("group name", B_GROUP.to_owned()),
            ("role id", world.b_role.clone()),
            ("role name", B_ROLE.to_owned()),
            ("API key id", world.b_key.clone()),
            ("API key", world.b_key_token.clone()),
            ("webhook id", world.b_webhook.clone()),
            ("webhook secret", world.b_webhook_secret.clone()),
            ("webhook URL", "hooks.rival.example".to_owned()),
            ("member's session id", world.b_session.clone()),
            ("admin's session id", world.b_boss_session.clone()),
            ("member's CSRF token", world.victim.csrf.clone()),
            ("device id", world.b_device.clone()),
            ("alert id", world.b_alert.clone()),
            ("template id", world.b_template.clone()),
            ("template name", B_TEMPLATE.to_owned()),
            ("button", B_BUTTON.to_owned()),
            ("TETRA rule", B_RULE.to_owned()),
            ("texts", B_TEXT.to_owned()),
            ("sender number", B_NUMBER.to_owned()),
            ("inbound message id", world.b_inbound.clone()),
            ("twin user's id", world.b_twins[0].clone()),
            ("twin group's id", world.b_twins[1].clone()),
            ("twin role's id", world.b_twins[2].clone()),
            ("twin template's id", world.b_twins[3].clone()),
            ("access review id", world.b_review.clone()),
            ("access review item id", world.b_review_item.clone()),
        ];
        world
    }

    /// B alerts its member (B's own doing, not A's).
    fn b_sends_alert(&self, title: &str, idempotency_key: Option<&str>) -> String {
        let mut headers = vec![
            ("Cookie", self.b.cookie.as_str()),
            ("X-CSRF-Token", self.b.csrf.as_str()),
        ];
        if let Some(key) = idempotency_key {
            headers.push(("Idempotency-Key", key));
        }
        let r = self.server.send(
            "POST",
            "/api/v1/alerts",
            &headers,
            Some(
                json!({"title": title, "severity": "warning", "channels": ["app"],
                        "recipients": {"users": [B_USER]}}),
            ),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let id = id_of(&r.json());
        self.b_alerts.borrow_mut().insert(id.clone());
        id
    }

    /// What A's call got must be documented and carry nothing of B's
    /// (what A itself sent may come back: "no group b-crew").
    fn check(&self, ep: &Endpoint, path: &str, sent: &str, response: &Response) {
        let status = response.status.to_string();
        assert!(
            ep.responses.contains(&status),
            "{ep}: {path} answered {status}, which openapi.json doesn't document for it: {}",
            response.body
        );
        let headers: String = response
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        for (what, trace) in &self.traces {
            let shown = response.body.contains(trace.as_str()) || headers.contains(trace.as_str());
            assert!(
                !shown || sent.contains(trace.as_str()),
                "LEAK: {ep} ({path}) shows organisation B's {what} {trace:?} to organisation A's admin: {}{}",
                headers,
                response.body
            );
        }
    }

    /// A's admin calls the endpoint.
    fn call(&self, ep: &Endpoint, params: &[(&str, &str)], body: Option<Value>) -> Response {
        self.call_as(&self.a, ep, params, "", body)
    }

    /// A's admin calls the endpoint with a query string.
    fn call_query(
        &self,
        ep: &Endpoint,
        params: &[(&str, &str)],
        query: &str,
        body: Option<Value>,
    ) -> Response {
        self.call_as(&self.a, ep, params, query, body)
    }

    /// Another of A's logins calls the endpoint.
    fn call_as(
        &self,
        who: &Login<'_>,
        ep: &Endpoint,
        params: &[(&str, &str)],
        query: &str,
        body: Option<Value>,
    ) -> Response {
        let path = ep.path(params) + query;
        let sent = body.as_ref().map(Value::to_string).unwrap_or_default();
        let response = who.send(ep.method, &path, body);
        self.check(ep, &path, &sent, &response);
        response
    }

    /// A's admin calls the endpoint with more headers.
    fn call_headers(
        &self,
        ep: &Endpoint,
        params: &[(&str, &str)],
        extra: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response {
        let path = ep.path(params);
        let mut headers = vec![
            ("Cookie", self.a.cookie.as_str()),
            ("X-CSRF-Token", self.a.csrf.as_str()),
        ];
        headers.extend_from_slice(extra);
        let sent = format!(
            "{extra:?} {}",
            body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        let response = self.server.send(ep.method, &path, &headers, body);
        self.check(ep, &path, &sent, &response);
        response
    }

    /// The endpoint called without any login (logging in).
    fn call_anonymous(&self, ep: &Endpoint, body: Value) -> Response {
        let path = ep.path(&[]);
        let sent = body.to_string();
        let response = self.server.send(ep.method, &path, &[], Some(body));
        self.check(ep, &path, &sent, &response);
        response
    }

    /// A's admin sends a body that is not JSON.
    fn call_text(&self, ep: &Endpoint, query: &str, content_type: &str, text: &str) -> Response {
        let path = ep.path(&[]) + query;
        let result = self
            .agent
            .request(ep.method, &format!("https://{}{path}", self.server.addr))
            .set("Cookie", &self.a.cookie)
            .set("X-CSRF-Token", &self.a.csrf)
            .set("Content-Type", content_type)
            .send_string(text);
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => Response::from(r),
            Err(e) => panic!("{ep}: {e}"),
        };
        self.check(ep, &path, text, &response);
        response
    }

    /// A's admin opens a Server-Sent Events endpoint; an answer that is a
    /// stream is read only up to its first event.
    fn call_stream(&self, ep: &Endpoint, params: &[(&str, &str)]) -> Response {
        use std::io::BufRead;
        let path = ep.path(params);
        let result = self
            .agent
            .request(ep.method, &format!("https://{}{path}", self.server.addr))
            .set("Cookie", &self.a.cookie)
            .set("Accept", "text/event-stream")
            .call();
        let response = match result {
            Err(ureq::Error::Status(_, r)) => Response::from(r),
            Ok(r) => {
                let status = r.status();
                let headers = crate::support::headers_of(&r);
                let mut reader = std::io::BufReader::new(r.into_reader());
                let mut body = String::new();
                for _ in 0..20 {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    body.push_str(&line);
                    if line.trim().is_empty() && body.contains("data:") {
                        break;
                    }
                }
                Response {
                    status,
                    headers,
                    body,
                }
            }
            Err(e) => panic!("{ep}: {e}"),
        };
        self.check(ep, &path, "", &response);
        response
    }

    /// A problem document of the route's own handler: the record wasn't
    /// found in A's organisation (not "resource not found": no route).
    fn not_found(&self, ep: &Endpoint, what: &str, response: &Response) {
        assert_eq!(
            (response.status, response.header("content-type")),
            (404, Some("application/problem+json")),
            "LEAK? {ep} answered A's admin with {}: {}",
            response.status,
            response.body
        );
        assert_eq!(
            response.json()["detail"],
            format!("{what} not found"),
            "{ep}: {}",
            response.body
        );
    }

    fn forbidden(&self, ep: &Endpoint, response: &Response) {
        assert_eq!(
            response.status, 403,
            "LEAK? {ep} answered A's admin with {}: {}",
            response.status, response.body
        );
        assert_eq!(
            response.json()["code"],
            "forbidden",
            "{ep}: {}",
            response.body
        );
    }

    /// Refused naming `field`, with `status`.
    fn refused(&self, ep: &Endpoint, status: u16, field: &str, response: &Response) {
        assert_eq!(
            response.status, status,
            "LEAK? {ep} answered A's admin with {}: {}",
            response.status, response.body
        );
        assert_eq!(response.json()["field"], field, "{ep}: {}", response.body);
    }

    /// B's member has a last known position (B's policy keeps none, so it
    /// is put in B's store directly).
    fn b_position(&self) {
        let org: tocsin::ids::Id = self.b_org.parse().unwrap();
        let user: tocsin::ids::Id = self.b_user.parse().unwrap();
        self.server
            .store
            .org(org)
            .set_position(&tocsin::store::Position {
                user,
                lat: 60.0,
                lon: 25.0,
                accuracy_m: 5.0,
                at: tocsin::clock::Clock::now(&self.server.clock),
            })
            .unwrap();
    }

    /// B's member runs a check-in timer of their own.
    fn b_timer(&self) {
        let r = self.victim.post(
            "/api/v1/me/timer",
            json!({"minutes": 60, "note": "B's own"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    fn b_timer_note(&self) -> String {
        self.victim.get("/api/v1/me/timer").json()["timer"]["note"]
            .as_str()
            .unwrap_or("none")
            .to_owned()
    }

    fn ok(&self, ep: &Endpoint, status: u16, response: &Response) -> Value {
        assert_eq!(response.status, status, "{ep}: {}", response.body);
        response.json()
    }

    /// B's records as B (and the operator) read them, without what moves on
    /// its own (last seen, last used, delivery progress).
    fn b_state(&self) -> Value {
        fn look(who: &Login<'_>, path: &str) -> Value {
            let r = who.get(path);
            if r.status == 200 {
                r.json()
            } else {
                json!({"status": r.status, "body": r.body})
            }
        }
        fn without(mut list: Value, fields: &[&str]) -> Value {
            for item in list.as_array_mut().into_iter().flatten() {
                if let Some(item) = item.as_object_mut() {
                    for field in fields {
                        item.remove(*field);
                    }
                }
            }
            list
        }
        let known = self.b_alerts.borrow();
        let listed = look(&self.b, "/api/v1/alerts?limit=500");
        let stray: Vec<Value> = listed["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| !a["id"].as_str().is_some_and(|id| known.contains(id)))
            .cloned()
            .collect();
        let view = look(&self.b, &format!("/api/v1/alerts/{}", self.b_alert));
        let recipients: Vec<Value> = view["recipients"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let deliveries: Vec<Value> = r["deliveries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| json!({"id": d["id"], "channel": d["channel"], "read_at": d["read_at"]}))
                    .collect();
                json!({"id": r["id"], "user_id": r["user_id"], "response": r["response"], "deliveries": deliveries})
            })
            .collect();
        let key = self.server.send(
            "GET",
            "/api/v1/me",
            &[("Authorization", &format!("Bearer {}", self.b_key_token))],
            None,
        );
        json!({
            "users": look(&self.b, "/api/v1/users")["users"],
            "groups": look(&self.b, "/api/v1/groups")["groups"],
            "roles": look(&self.b, "/api/v1/roles")["roles"],
            "apikeys": without(look(&self.b, "/api/v1/apikeys")["apikeys"].clone(), &["last_used_at"]),
            "api key works": key.status,
            "webhooks": without(
                look(&self.b, "/api/v1/webhooks")["webhooks"].clone(),
                &["last_error", "failing_since", "backlog", "last_success_at"],
            ),
            "devices": without(look(&self.b, "/api/v1/devices")["devices"].clone(), &["last_seen_at"]),
            "member's sessions": without(look(&self.victim, "/api/v1/me/sessions")["sessions"].clone(), &["last_seen_at"]),
            "admin's sessions": without(look(&self.b, "/api/v1/me/sessions")["sessions"].clone(), &["last_seen_at"]),
            "templates": look(&self.b, "/api/v1/templates")["templates"],
            "settings": look(&self.b, "/api/v1/settings"),
            "inbound": look(&self.b, "/api/v1/inbound?limit=1000")["messages"],
            "assignments": look(&self.op, &format!("/api/v1/system/assignments/{B_ORG}")),
            "alert": view["alert"],
            "alert recipients": recipients,
            "alerts B didn't send": stray,
            "access review": look(&self.b, &format!("/api/v1/access-reviews/{}", self.b_review)),
        })
    }
}

/// What differs between two of B's states, part by part.
fn differences(before: &Value, after: &Value) -> Vec<String> {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return vec![format!("{before} → {after}")];
    };
    before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(*v))
        .map(|(k, v)| format!("B's {k}: {v} → {}", after.get(k).unwrap_or(&Value::Null)))
        .collect()
}

/// A's listings and views must simply not show B: `check` finds any trace.
fn listing(w: &World<'_>, ep: &Endpoint, query: &str, field: &str) -> Value {
    let body = w.ok(ep, 200, &w.call_query(ep, &[], query, None));
    assert!(body[field].is_array(), "{ep}: no {field} in {body}");
    body
}

#[allow(clippy::too_many_lines)]
fn probes() -> Table {
    let mut t = Table::default();

    // Monitoring and the API description: no login, no organisation.
    t.add("GET", "/healthz", |w, ep| {
        w.ok(ep, 200, &w.call(ep, &[], None));
    });
    t.add("GET", "/readyz", |w, ep| {
        w.ok(ep, 200, &w.call(ep, &[], None));
    });
    t.add("GET", "/metrics", |w, ep| {
        assert_eq!(w.call(ep, &[], None).status, 200, "{ep}");
    });
    t.add("GET", "/api/v1/openapi.json", |w, ep| {
        let r = w.call(ep, &[], None);
        assert_eq!((r.status, r.body.as_str()), (200, OPENAPI), "{ep}");
    });

    // Logging in and out.
    t.add("POST", "/api/v1/session", |w, ep| {
        // A's credentials open nothing in B.
        let r = w.call_anonymous(
            ep,
            json!({"org": B_ORG, "username": "root", "password": PASSWORD}),
        );
        assert_eq!(r.status, 401, "{ep}: {}", r.body);
        // A login to A naming B's device gets a device of A's own.
        let r = w.call_anonymous(
            ep,
            json!({"org": "acme", "username": "root", "password": PASSWORD,
                   "device_id": w.b_device, "device_name": "A phone", "platform": "android"}),
        );
        let body = w.ok(ep, 200, &r);
        assert_ne!(body["device"]["id"], w.b_device.as_str(), "{ep}: {body}");
        assert_eq!(body["org"]["id"], w.a_org.as_str(), "{ep}: {body}");
    });
    t.add("DELETE", "/api/v1/session", |w, ep| {
        let fresh = w.server.admin();
        let r = w.call_as(&fresh, ep, &[], "", None);
        assert_eq!(r.status, 204, "{ep}: {}", r.body);
        assert_eq!(
            fresh.get("/api/v1/me").status,
            401,
            "{ep}: A's own session ends"
        );
    });

    // What A's admin does for themself: only A's admin is touched.
    t.add("GET", "/api/v1/me", |w, ep| {
        let me = w.ok(ep, 200, &w.call(ep, &[], None));
        assert_eq!(me["org"]["id"], w.a_org.as_str(), "{ep}: {me}");
    });
    t.add("PATCH", "/api/v1/me", |w, ep| {
        w.ok(
            ep,
            200,
            &w.call(ep, &[], Some(json!({"channels": ["app"]}))),
        );
    });
    t.add("POST", "/api/v1/me/password", |w, ep| {
        // Changing it ends A's admin's other sessions, none of B's; and back.
        for (current, new) in [(PASSWORD, OTHER_PASSWORD), (OTHER_PASSWORD, PASSWORD)] {
            let r = w.call(
                ep,
                &[],
                Some(json!({"current_password": current, "new_password": new})),
            );
            w.ok(ep, 200, &r);
        }
    });
    t.add("GET", "/api/v1/me/sessions", |w, ep| {
        let mine = listing(w, ep, "", "sessions");
        assert!(
            mine["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["current"] == true),
            "{ep}: {mine}"
        );
    });
    t.add("DELETE", "/api/v1/me/sessions/{id}", |w, ep| {
        for id in [&w.b_session, &w.b_boss_session] {
            w.not_found(ep, "session", &w.call(ep, &[("id", id)], None));
        }
    });
    t.add("POST", "/api/v1/me/totp", |w, ep| {
        let r = w.call(ep, &[], Some(json!({"current_password": PASSWORD})));
        w.ok(ep, 200, &r);
    });
    t.add("POST", "/api/v1/me/totp/confirm", |w, ep| {
        let begun =
            w.a.post("/api/v1/me/totp", json!({"current_password": PASSWORD}));
        assert_eq!(begun.status, 200, "{}", begun.body);
        let r = w.call(ep, &[], Some(json!({"code": "000000"})));
        w.refused(ep, 422, "code", &r);
    });
    t.add("DELETE", "/api/v1/me/totp", |w, ep| {
        let r = w.call(ep, &[], Some(json!({"code": "000000"})));
        w.refused(ep, 422, "code", &r);
    });
    t.add("POST", "/api/v1/me/sms-second-factor", |w, ep| {
        // B's member's number is not A's admin's.
        let r = w.call(
            ep,
            &[],
            Some(json!({"phone": B_PHONE, "current_password": PASSWORD})),
        );
        w.refused(ep, 422, "phone", &r);
    });
    t.add("POST", "/api/v1/me/sms-second-factor/confirm", |w, ep| {
        let r = w.call(ep, &[], Some(json!({"code": "123456"})));
        w.refused(ep, 422, "code", &r);
    });
    t.add("GET", "/api/v1/me/alerts", |w, ep| {
        listing(w, ep, "", "alerts");
    });
    t.add("GET", "/api/v1/me/alerts/stream", |w, ep| {
        // Resuming after B's alert, then B alerts its member while A
        // listens: A's stream carries only A's own alert.
        let path = ep.path(&[]);
        let stream = w.a.stream(&format!("{path}?after={}", w.b_alert), None);
        let b_live = w.b_sends_alert(&format!("{B_TEXT} live drill"), None);
        let own = w.a.post(
            "/api/v1/alerts",
            json!({"title": "A's own drill", "severity": "info", "channels": ["app"],
                   "recipients": {"users": ["root"]}}),
        );
        assert_eq!(own.status, 202, "{}", own.body);
        let own = id_of(&own.json());
        let mut seen_own = false;
        while let Some(event) = stream.next(Duration::from_millis(if seen_own { 500 } else { 10_000 })) {
            let data = event.data.to_string();
            for (what, trace) in w.traces.iter().chain([&("live alert id", b_live.clone())]) {
                assert!(
                    !data.contains(trace.as_str()),
                    "LEAK: {ep} streams organisation B's {what} {trace:?} to organisation A's admin: {data}"
                );
            }
            seen_own |= event.kind == "alert" && event.data["alert"]["id"] == own.as_str();
        }
        assert!(seen_own, "{ep}: A's own alert never came on A's stream");
    });
    t.add("POST", "/api/v1/me/alerts/{id}/read", |w, ep| {
        let r = w.call(ep, &[("id", &w.b_alert)], Some(json!({})));
        let body = w.ok(ep, 200, &r);
        assert_eq!(body["marked"], 0, "{ep}: {body}");
    });
    t.add("GET", "/api/v1/me/buttons", |w, ep| {
        listing(w, ep, "", "buttons");
    });

    // CAP: A's messages and feed are A's alone.
    t.add("POST", "/api/v1/cap", |w, ep| {
        // Cancelling B's alert by naming it: nothing of B's is found.
        let cancel = format!(
            "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x-1</identifier><sender>a@example.org</sender><sent>2026-01-01T00:00:00+00:00</sent><status>Actual</status><msgType>Cancel</msgType><scope>Public</scope><references>tocsin-{B_ORG},{},2026-01-01T00:00:00+00:00</references></alert>",
            w.b_alert
        );
        let r = w.server.send_raw(
            "POST",
            "/api/v1/cap",
            &[("Cookie", &w.a.cookie), ("X-CSRF-Token", &w.a.csrf)],
            cancel.as_bytes(),
        );
        assert_eq!(r.status, 200, "{ep}: {}", r.body);
        assert!(r.body.contains("no alert started"), "{ep}: {}", r.body);
    });
    t.add("GET", "/api/v1/cap/feed", |w, ep| {
        let r = w.call(ep, &[], None);
        assert_eq!(r.status, 200, "{ep}: {}", r.body);
        assert!(!r.body.contains(&w.b_alert), "{ep}: B's alert in A's feed");
    });

    // Places: B's member's position and timer stay B's.
    t.add("GET", "/api/v1/locations", |w, ep| {
        w.b_position();
        let body = listing(w, ep, "", "locations");
        assert!(
            !body.to_string().contains(&w.b_user),
            "{ep}: B's member's position shows: {body}"
        );
    });
    t.add("POST", "/api/v1/areas/count", |w, ep| {
        w.b_position();
        let r = w.call(
            ep,
            &[],
            Some(json!({"area": {"circle": {"lat": 60.0, "lon": 25.0, "radius_m": 1000}}})),
        );
        assert_eq!(w.ok(ep, 200, &r)["count"], 0, "{ep}: B's member counted");
    });
    t.add("POST", "/api/v1/me/location", |w, ep| {
        // A's policy is "never": refused, and nothing lands anywhere.
        let r = w.call(ep, &[], Some(json!({"lat": 60.0, "lon": 25.0})));
        assert_eq!(r.status, 403, "{ep}: {}", r.body);
    });
    t.add("GET", "/api/v1/me/timer", |w, ep| {
        w.b_timer();
        let body = w.ok(ep, 200, &w.call(ep, &[], None));
        assert!(body["timer"].is_null(), "{ep}: B's timer shows: {body}");
    });
    t.add("POST", "/api/v1/me/timer", |w, ep| {
        w.b_timer();
        let r = w.call(ep, &[], Some(json!({"minutes": 30, "note": "A's own"})));
        w.ok(ep, 201, &r);
        assert_eq!(w.b_timer_note(), "B's own", "{ep}: B's timer changed");
        w.a.delete("/api/v1/me/timer");
    });
    t.add("POST", "/api/v1/me/timer/check-in", |w, ep| {
        w.b_timer();
        assert_eq!(w.call(ep, &[], None).status, 404, "{ep}");
        assert_eq!(w.b_timer_note(), "B's own", "{ep}: B's timer changed");
    });
    t.add("DELETE", "/api/v1/me/timer", |w, ep| {
        w.b_timer();
        assert_eq!(w.call(ep, &[], None).status, 404, "{ep}");
        assert_eq!(w.b_timer_note(), "B's own", "{ep}: B's timer ended");
    });

    // People.
    t.add("GET", "/api/v1/users", |w, ep| {
        listing(w, ep, "", "users");
    });
    t.add("POST", "/api/v1/users", |w, ep| {
        for (body, field) in [
            (
                json!({"username": "a-one", "name": "A One", "groups": [w.b_group]}),
                "groups[0]",
            ),
            (
                json!({"username": "a-one", "name": "A One", "groups": [B_GROUP]}),
                "groups[0]",
            ),
            (
                json!({"username": "a-one", "name": "A One", "roles": [B_ROLE]}),
                "roles[0]",
            ),
        ] {
            w.refused(ep, 422, field, &w.call(ep, &[], Some(body)));
        }
        let r = w.call(ep, &[], Some(json!({"username": TWIN, "name": "A's twin"})));
        assert_ne!(id_of(&w.ok(ep, 201, &r)), w.b_twins[0], "{ep}");
    });
    t.add("GET", "/api/v1/users/{user}", |w, ep| {
        for user in [w.b_user.as_str(), B_USER, B_ADMIN] {
            w.not_found(ep, "user", &w.call(ep, &[("user", user)], None));
        }
    });
    t.add("PATCH", "/api/v1/users/{user}", |w, ep| {
        for user in [w.b_user.as_str(), B_USER, B_ADMIN] {
            let r = w.call(ep, &[("user", user)], Some(json!({"name": "Hacked"})));
            w.not_found(ep, "user", &r);
            let r = w.call(
                ep,
                &[("user", user)],
                Some(json!({"roles": ["admin"], "password": OTHER_PASSWORD})),
            );
            w.not_found(ep, "user", &r);
        }
    });
    t.add("DELETE", "/api/v1/users/{user}", |w, ep| {
        for user in [w.b_user.as_str(), B_USER] {
            w.not_found(ep, "user", &w.call(ep, &[("user", user)], None));
        }
    });
    t.add("DELETE", "/api/v1/users/{user}/sessions", |w, ep| {
        for user in [w.b_user.as_str(), B_USER, B_ADMIN] {
            w.not_found(ep, "user", &w.call(ep, &[("user", user)], None));
        }
    });
    t.add(
        "POST",
        "/api/v1/users/{user}/reset-second-factor",
        |w, ep| {
            for user in [w.b_user.as_str(), B_USER] {
                let r = w.call(ep, &[("user", user)], Some(json!({})));
                w.not_found(ep, "user", &r);
            }
        },
    );
    t.add("GET", "/api/v1/users/{user}/export", |w, ep| {
        for user in [w.b_user.as_str(), B_USER, B_ADMIN] {
            w.not_found(ep, "user", &w.call(ep, &[("user", user)], None));
        }
    });
    t.add("POST", "/api/v1/users/{user}/erase", |w, ep| {
        for user in [w.b_user.as_str(), B_USER] {
            let r = w.call(ep, &[("user", user)], Some(json!({})));
            w.not_found(ep, "user", &r);
        }
    });
    t.add("GET", "/api/v1/recipients/export", |w, ep| {
        // B's people, by the addresses B's alerts and inbox hold: A's own
        // export of them is empty.
        for address in ["%2B358402000001", "%2B358402222222"] {
            let body = w.ok(
                ep,
                200,
                &w.call_query(ep, &[], &format!("?address={address}"), None),
            );
            for part in ["alerts_received", "messages_sent_in", "audit_events"] {
                assert_eq!(body[part], json!([]), "{ep}: {body}");
            }
        }
    });
    t.add("POST", "/api/v1/recipients/erase", |w, ep| {
        // Erases nothing of B's: B's records read the same afterwards.
        for address in [B_PHONE, B_EMAIL, B_NUMBER] {
            let body = w.ok(ep, 200, &w.call(ep, &[], Some(json!({"address": address}))));
            assert_eq!(body["alerts"], 0, "{ep}: {body}");
            assert_eq!(body["messages"], 0, "{ep}: {body}");
        }
    });
    t.add("POST", "/api/v1/users/import", |w, ep| {
        let csv = format!(
            "username,name,groups,roles\na-imp-one,Imported One,{B_GROUP},\na-imp-two,Imported Two,,{B_ROLE}\n"
        );
        let r = w.call_text(ep, "?dry_run=false", "text/csv", &csv);
        let body = w.ok(ep, 200, &r);
        assert_eq!(body["imported"], 0, "{ep}: {body}");
        assert_eq!(body["rows"][0]["errors"][0]["field"], "groups[0]", "{ep}: {body}");
        assert_eq!(body["rows"][1]["errors"][0]["field"], "roles[0]", "{ep}: {body}");
        // B's usernames are free in A.
        let r = w.call_text(ep, "?dry_run=true", "text/csv", &format!("username,name\n{B_ADMIN},Boss\n"));
        let body = w.ok(ep, 200, &r);
        assert_eq!(body["rows"][0]["ok"], true, "{ep}: {body}");
    });

    // Groups.
    t.add("GET", "/api/v1/groups", |w, ep| {
        listing(w, ep, "", "groups");
    });
    t.add("POST", "/api/v1/groups", |w, ep| {
        for member in [w.b_user.as_str(), B_USER] {
            let r = w.call(
                ep,
                &[],
                Some(json!({"name": "a-crew", "members": [member]})),
            );
            w.refused(ep, 422, "members[0]", &r);
        }
        let r = w.call(ep, &[], Some(json!({"name": TWIN})));
        assert_ne!(id_of(&w.ok(ep, 201, &r)), w.b_twins[1], "{ep}");
    });
    t.add("GET", "/api/v1/groups/{group}", |w, ep| {
        for group in [w.b_group.as_str(), B_GROUP] {
            w.not_found(ep, "group", &w.call(ep, &[("group", group)], None));
        }
    });
    t.add("PATCH", "/api/v1/groups/{group}", |w, ep| {
        for group in [w.b_group.as_str(), B_GROUP] {
            let r = w.call(
                ep,
                &[("group", group)],
                Some(json!({"name": "hacked", "members": []})),
            );
            w.not_found(ep, "group", &r);
        }
    });
    t.add("DELETE", "/api/v1/groups/{group}", |w, ep| {
        for group in [w.b_group.as_str(), B_GROUP] {
            w.not_found(ep, "group", &w.call(ep, &[("group", group)], None));
        }
    });

    // Roles.
    t.add("GET", "/api/v1/roles", |w, ep| {
        listing(w, ep, "", "roles");
    });
    t.add("POST", "/api/v1/roles", |w, ep| {
        for group in [w.b_group.as_str(), B_GROUP] {
            let r = w.call(
                ep,
                &[],
                Some(json!({"name": "a-role", "permissions": [], "alert_groups": [group]})),
            );
            w.refused(ep, 422, "alert_groups[0]", &r);
        }
        let r = w.call(ep, &[], Some(json!({"name": TWIN, "permissions": []})));
        assert_ne!(id_of(&w.ok(ep, 201, &r)), w.b_twins[2], "{ep}");
    });
    t.add("GET", "/api/v1/roles/{role}", |w, ep| {
        for role in [w.b_role.as_str(), B_ROLE] {
            w.not_found(ep, "role", &w.call(ep, &[("role", role)], None));
        }
    });
    t.add("PATCH", "/api/v1/roles/{role}", |w, ep| {
        for role in [w.b_role.as_str(), B_ROLE] {
            let r = w.call(
                ep,
                &[("role", role)],
                Some(json!({"description": "hacked", "permissions": ["manage_users"]})),
            );
            w.not_found(ep, "role", &r);
        }
    });
    t.add("DELETE", "/api/v1/roles/{role}", |w, ep| {
        for role in [w.b_role.as_str(), B_ROLE] {
            w.not_found(ep, "role", &w.call(ep, &[("role", role)], None));
        }
    });

    // API keys, devices, audit, settings.
    t.add("GET", "/api/v1/apikeys", |w, ep| {
        listing(w, ep, "", "apikeys");
    });
    t.add("POST", "/api/v1/apikeys", |w, ep| {
        let r = w.call(ep, &[], Some(json!({"name": "a-key", "role": B_ROLE})));
        w.refused(ep, 422, "role", &r);
    });
    t.add("DELETE", "/api/v1/apikeys/{id}", |w, ep| {
        w.not_found(ep, "api key", &w.call(ep, &[("id", &w.b_key)], None));
    });
    t.add("GET", "/api/v1/access-review", |w, ep| {
        listing(w, ep, "", "users");
    });
    t.add("GET", "/api/v1/access-reviews", |w, ep| {
        listing(w, ep, "", "reviews");
    });
    t.add("POST", "/api/v1/access-reviews", |w, ep| {
        // A's own review: B's open one is no reason to refuse it.
        w.ok(ep, 201, &w.call(ep, &[], Some(json!({}))));
    });
    t.add("GET", "/api/v1/access-reviews/{id}", |w, ep| {
        w.not_found(
            ep,
            "access review",
            &w.call(ep, &[("id", &w.b_review)], None),
        );
    });
    t.add(
        "PUT",
        "/api/v1/access-reviews/{id}/items/{item_id}",
        |w, ep| {
            let r = w.call(
                ep,
                &[("id", &w.b_review), ("item_id", &w.b_review_item)],
                Some(json!({"decision": "revoke"})),
            );
            w.not_found(ep, "access review", &r);
        },
    );
    t.add("POST", "/api/v1/access-reviews/{id}/close", |w, ep| {
        w.not_found(
            ep,
            "access review",
            &w.call(ep, &[("id", &w.b_review)], None),
        );
    });
    t.add("GET", "/api/v1/webhooks", |w, ep| {
        listing(w, ep, "", "webhooks");
    });
    t.add("POST", "/api/v1/webhooks", |w, ep| {
        let body = json!({"url": "https://hooks.acme.example/a", "events": ["answer"]});
        w.ok(ep, 201, &w.call(ep, &[], Some(body)));
    });
    t.add("GET", "/api/v1/webhooks/{id}", |w, ep| {
        w.not_found(ep, "webhook", &w.call(ep, &[("id", &w.b_webhook)], None));
    });
    t.add("PATCH", "/api/v1/webhooks/{id}", |w, ep| {
        let r = w.call(
            ep,
            &[("id", &w.b_webhook)],
            Some(json!({"state": "paused"})),
        );
        w.not_found(ep, "webhook", &r);
    });
    t.add("DELETE", "/api/v1/webhooks/{id}", |w, ep| {
        w.not_found(ep, "webhook", &w.call(ep, &[("id", &w.b_webhook)], None));
    });
    t.add("POST", "/api/v1/webhooks/{id}/test", |w, ep| {
        let r = w.call(ep, &[("id", &w.b_webhook)], Some(json!({})));
        w.not_found(ep, "webhook", &r);
    });
    t.add("GET", "/api/v1/devices", |w, ep| {
        listing(w, ep, "", "devices");
    });
    t.add("POST", "/api/v1/devices/{id}/block", |w, ep| {
        let r = w.call(ep, &[("id", &w.b_device)], Some(json!({})));
        w.not_found(ep, "device", &r);
    });
    t.add("POST", "/api/v1/devices/{id}/wipe", |w, ep| {
        let r = w.call(ep, &[("id", &w.b_device)], Some(json!({})));
        w.not_found(ep, "device", &r);
    });
    t.add("GET", "/api/v1/audit", |w, ep| {
        listing(w, ep, "?limit=1000", "events");
    });
    t.add("GET", "/api/v1/settings", |w, ep| {
        let body = w.ok(ep, 200, &w.call(ep, &[], None));
        assert_eq!(body["org"]["id"], w.a_org.as_str(), "{ep}: {body}");
    });
    t.add("PATCH", "/api/v1/settings", |w, ep| {
        for (body, field) in [
            (
                json!({"tetra_rules": [{"name": "a-rule", "pattern": "^ALARM", "template": B_TEMPLATE}]}),
                "tetra_rules[0].template",
            ),
            (
                json!({"tetra_rules": [{"name": "a-rule", "from": [B_SSI], "pattern": "^ALARM"}]}),
                "tetra_rules[0].template",
            ),
            (
                json!({"sms_triggers": [{"number": B_NUMBER, "pin": "135790", "templates": []}]}),
                "sms_triggers[0].number",
            ),
            (json!({"require_second_factor_for": [B_ROLE]}), "require_second_factor_for[0]"),
        ] {
            w.refused(ep, 422, field, &w.call(ep, &[], Some(body)));
        }
    });
    t.add("POST", "/api/v1/settings/tetra-rules/test", |w, ep| {
        // B's radio and B's alarm text fire none of B's rules for A.
        let body = json!({"from": B_SSI, "text": "ALARM B3 Hauptstr 5"});
        let seen_by_b = w.b.post(ep.template, body.clone()).json();
        assert_eq!(
            seen_by_b["rule"], B_RULE,
            "B's own rule fires for B: {seen_by_b}"
        );
        let r = w.call(ep, &[], Some(body));
        let seen_by_a = w.ok(ep, 200, &r);
        assert_eq!(
            seen_by_a,
            json!({"assigned": false, "rule": null, "template": null, "fields": {}}),
            "{ep}"
        );
    });

    // Alerts.
    t.add("POST", "/api/v1/alerts", |w, ep| {
        let to = |recipients: Value| {
            json!({"title": "A drill", "severity": "info", "channels": ["app"], "recipients": recipients})
        };
        for (body, field) in [
            (to(json!({"users": [w.b_user]})), "recipients.users[0]"),
            (to(json!({"users": [B_USER]})), "recipients.users[0]"),
            (to(json!({"groups": [w.b_group]})), "recipients.groups[0]"),
            (to(json!({"groups": [B_GROUP]})), "recipients.groups[0]"),
            (to(json!({"roles": [B_ROLE]})), "recipients.roles[0]"),
            (
                json!({"title": "A drill", "severity": "info", "channels": ["app"],
                       "recipients": {"users": ["root"]}, "escalation": {"then_groups": [B_GROUP]}}),
                "escalation.then_groups[0]",
            ),
        ] {
            w.refused(ep, 422, field, &w.call(ep, &[], Some(body)));
        }
        // B's idempotency key is no way to B's alert.
        let r = w.call_headers(
            ep,
            &[],
            &[("Idempotency-Key", B_IDEMPOTENCY_KEY)],
            Some(to(json!({"users": ["root"]}))),
        );
        let sent = w.ok(ep, 202, &r);
        assert_eq!(sent["duplicate"], false, "{ep}: {sent}");
    });
    t.add("GET", "/api/v1/alerts", |w, ep| {
        listing(w, ep, "?limit=500", "alerts");
    });
    t.add("GET", "/api/v1/alerts/{id}", |w, ep| {
        for query in ["", "?for=export", "?for=print"] {
            let r = w.call_query(ep, &[("id", &w.b_alert)], query, None);
            w.not_found(ep, "alert", &r);
        }
    });
    t.add("PATCH", "/api/v1/alerts/{id}", |w, ep| {
        let r = w.call(
            ep,
            &[("id", &w.b_alert)],
            Some(json!({"title": "Hacked", "body": "Hacked"})),
        );
        w.not_found(ep, "alert", &r);
    });
    t.add("GET", "/api/v1/alerts/{id}/events", |w, ep| {
        w.not_found(ep, "alert", &w.call_stream(ep, &[("id", &w.b_alert)]));
    });
    t.add("POST", "/api/v1/alerts/{id}/cancel", |w, ep| {
        for query in ["", "?all_clear=false"] {
            let r = w.call_query(ep, &[("id", &w.b_alert)], query, None);
            w.not_found(ep, "alert", &r);
        }
    });
    t.add("POST", "/api/v1/alerts/{id}/response", |w, ep| {
        let r = w.call(ep, &[("id", &w.b_alert)], Some(json!({"choice": "Coming"})));
        w.not_found(ep, "alert", &r);
    });

    // Templates and their buttons.
    t.add("GET", "/api/v1/templates", |w, ep| {
        listing(w, ep, "", "templates");
    });
    t.add("POST", "/api/v1/templates", |w, ep| {
        let r = w.call(
            ep,
            &[],
            Some(
                json!({"name": "a-tpl", "button": "A", "button_roles": [B_ROLE],
                        "alert": {"title": "A", "severity": "info", "channels": ["app"],
                                  "recipients": {"users": ["root"]}}}),
            ),
        );
        w.refused(ep, 422, "button_roles[0]", &r);
        let r = w.call(
            ep,
            &[],
            Some(
                json!({"name": TWIN, "alert": {"title": "A's twin", "severity": "info",
                        "channels": ["app"], "recipients": {"users": ["root"]}}}),
            ),
        );
        assert_ne!(id_of(&w.ok(ep, 201, &r)), w.b_twins[3], "{ep}");
    });
    t.add("GET", "/api/v1/templates/{template}", |w, ep| {
        for template in [w.b_template.as_str(), B_TEMPLATE] {
            w.not_found(ep, "template", &w.call(ep, &[("template", template)], None));
        }
    });
    t.add("PATCH", "/api/v1/templates/{template}", |w, ep| {
        for template in [w.b_template.as_str(), B_TEMPLATE] {
            let r = w.call(
                ep,
                &[("template", template)],
                Some(json!({"button": "Hacked"})),
            );
            w.not_found(ep, "template", &r);
        }
    });
    t.add("DELETE", "/api/v1/templates/{template}", |w, ep| {
        for template in [w.b_template.as_str(), B_TEMPLATE] {
            w.not_found(ep, "template", &w.call(ep, &[("template", template)], None));
        }
    });
    t.add("POST", "/api/v1/oneclick/{template}", |w, ep| {
        for template in [w.b_template.as_str(), B_TEMPLATE] {
            let r = w.call(ep, &[("template", template)], Some(json!({})));
            w.not_found(ep, "template", &r);
        }
    });

    // The shared hardware and what came in on it.
    t.add("GET", "/api/v1/devices/hardware", |w, ep| {
        w.ok(ep, 200, &w.call(ep, &[], None));
    });
    t.add("POST", "/api/v1/devices/hardware/{name}/test", |w, ep| {
        // On a shared appliance, A tests towards its own people and senders.
        for to in [B_PHONE.to_owned(), B_NUMBER.to_owned(), B_SSI.to_string()] {
            let r = w.call(ep, &[("name", "gsm1")], Some(json!({"to": to})));
            w.refused(ep, 422, "to", &r);
        }
    });
    t.add("GET", "/api/v1/inbound", |w, ep| {
        listing(w, ep, "?limit=1000", "messages");
        let from_b = listing(w, ep, "?from=%2B358402222222", "messages");
        assert_eq!(from_b["messages"], json!([]), "{ep}");
    });

    // The appliance operator's: refused to organisations.
    t.add("GET", "/api/v1/system/organisations", |w, ep| {
        w.forbidden(ep, &w.call(ep, &[], None));
        assert_eq!(w.op.get(ep.template).status, 200, "the operator's own view");
    });
    t.add("GET", "/api/v1/system/assignments/{org}", |w, ep| {
        for org in [B_ORG, "acme"] {
            w.forbidden(ep, &w.call(ep, &[("org", org)], None));
        }
    });
    t.add("PUT", "/api/v1/system/assignments/{org}", |w, ep| {
        // Neither taking B's senders away nor giving them to A.
        let r = w.call(
            ep,
            &[("org", B_ORG)],
            Some(json!({"sms_numbers": [], "tetra_ssis": []})),
        );
        w.forbidden(ep, &r);
        let r = w.call(
            ep,
            &[("org", "acme")],
            Some(json!({"sms_numbers": [B_NUMBER], "tetra_ssis": [B_SSI]})),
        );
        w.forbidden(ep, &r);
    });
    t.add("GET", "/api/v1/system/inbound", |w, ep| {
        w.forbidden(ep, &w.call_query(ep, &[], "?limit=1000", None));
    });

    t
}

#[test]
fn an_admin_of_a_gets_none_of_bs_records_on_any_documented_endpoint() {
    let table = probes();
    assert_covers_openapi(&table);
    let documented = documented_endpoints();
    let server = Server::start();
    let started = std::time::Instant::now();
    let w = World::new(&server);
    // Setting B up (its API key, roles) makes security findings for B's
    // own admins a sweep later; they must land before B's records are
    // taken as the baseline.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let mut before = w.b_state();
    let mut failures = Vec::new();
    for (method, template, probe) in &table.0 {
        let ep = Endpoint {
            method,
            template,
            responses: documented[&((*method).to_owned(), (*template).to_owned())].clone(),
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe(&w, &ep)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{ep}: {message}"));
        }
        let after = w.b_state();
        let changed = differences(&before, &after);
        if !changed.is_empty() {
            failures.push(format!(
                "LEAK: {ep}, called by organisation A's admin, changed organisation B's records:\n  {}",
                changed.join("\n  ")
            ));
        }
        before = after;
    }
    println!(
        "{} endpoints probed across organisations in {:?}",
        table.0.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
