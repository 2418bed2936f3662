use crate::support::*;
use serde_json::json;

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("strict-transport-security", "max-age="),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

#[test]
fn security_headers_on_every_kind_of_response() {
    let mut appliance = Appliance::new();
    appliance.start();
    let responses = [
        appliance.request("GET", "/healthz", None, None),
        appliance.request("GET", "/api/v1/users", None, None),
        appliance.request("GET", "/no/such/page", None, None),
        appliance.post("/api/v1/users", json!({"username": "x"})),
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 404, 422]);
    for response in &responses {
        for (name, expected) in SECURITY_HEADERS {
            let value = response
                .header(name)
                .unwrap_or_else(|| panic!("{name} missing on {}", response.status));
            assert!(value.contains(expected), "{name}: {value}");
        }
    }
}

#[test]
fn api_needs_a_valid_key_and_the_right_role() {
    let mut appliance = Appliance::new();
    let member_key = appliance.new_key("acme", "member");
    appliance.start();

    let none = appliance.request("GET", "/api/v1/me", None, None);
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        none.header("content-type"),
        Some("application/problem+json")
    );

    let mut forged = appliance.key.clone();
    forged.replace_range(forged.len() - 4.., "0000");
    assert_eq!(
        appliance
            .request("GET", "/api/v1/me", Some(&forged), None)
            .status,
        401
    );
    assert_eq!(
        appliance
            .request("GET", "/api/v1/me", Some("tocsin_garbage"), None)
            .status,
        401
    );

    let me = appliance.get("/api/v1/me");
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["roles"], serde_json::json!(["admin"]));

    let denied = appliance.request(
        "POST",
        "/api/v1/users",
        Some(&member_key),
        Some(json!({"username": "x1", "name": "X"})),
    );
    assert_eq!(denied.status, 403);
    assert_eq!(denied.json()["code"], "forbidden");
    assert_eq!(
        appliance.get("/api/v1/users/x1").status,
        404,
        "a refused write must change nothing"
    );
}

#[test]
fn bad_input_gets_a_problem_naming_the_field_and_changes_nothing() {
    let mut appliance = Appliance::new();
    appliance.start();
    let cases = [
        (json!({"name": "No Username"}), "username"),
        (
            json!({"username": "jdoe", "name": "J", "usrname": "x"}),
            "usrname",
        ),
        (
            json!({"username": "jdoe", "name": "J", "phones": ["+358401234567", "0401"]}),
            "phones[1]",
        ),
        (
            json!({"username": "jdoe", "name": "J", "tetra_issi": 99999999}),
            "tetra_issi",
        ),
        (
            json!({"username": "jdoe", "name": "J", "tetra_issi": "x"}),
            "tetra_issi",
        ),
        (
            json!({"username": "jdoe", "name": "J", "email": "nope"}),
            "email",
        ),
        (
            json!({"username": "jdoe", "name": "J", "roles": ["king"]}),
            "roles[0]",
        ),
        (
            json!({"username": "jdoe", "name": "J", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "jdoe", "name": "J", "groups": ["nosuch"]}),
            "groups[0]",
        ),
        (json!({"username": "Bad Name", "name": "J"}), "username"),
        (json!("just text"), "body"),
    ];
    for (body, field) in cases {
        let response = appliance.post("/api/v1/users", body.clone());
        assert_eq!(response.status, 422, "{body}: {}", response.body);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let problem = response.json();
        assert_eq!(problem["field"], field, "{body}: {problem}");
        assert_eq!(problem["status"], 422);
    }
    let not_json = appliance
        .client()
        .post(&appliance.url("/api/v1/users"))
        .set("Authorization", &format!("Bearer {}", appliance.key))
        .set("Content-Type", "text/plain")
        .send_string("username=jdoe");
    assert!(matches!(not_json, Err(ureq::Error::Status(415, _))));
    let users = appliance.get("/api/v1/users").json();
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        1,
        "only the admin: {users}"
    );

    assert_eq!(
        appliance
            .post("/api/v1/users", json!({"username": "jdoe", "name": "J"}))
            .status,
        201
    );
    let again = appliance.post("/api/v1/users", json!({"username": "jdoe", "name": "J"}));
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["code"], "conflict");
}

#[test]
fn another_organisations_key_cannot_see_our_records() {
    let mut appliance = Appliance::new();
    appliance.add_org("rival");
    let rival_key = appliance.new_key("rival", "admin");
    appliance.start();
    let created = appliance
        .post(
            "/api/v1/users",
            json!({"username": "jdoe", "name": "J Doe", "email": "j@acme.example"}),
        )
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        appliance
            .post(
                "/api/v1/groups",
                json!({"name": "crew", "members": ["jdoe"]})
            )
            .status,
        201
    );

    let as_rival = |path: &str| appliance.request("GET", path, Some(&rival_key), None);
    assert_eq!(as_rival(&format!("/api/v1/users/{id}")).status, 404);
    assert_eq!(as_rival("/api/v1/users/jdoe").status, 404);
    assert_eq!(as_rival("/api/v1/groups/crew").status, 404);
    let listed = as_rival("/api/v1/users").json();
    let names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root"], "the rival sees only its own admin");
    let stolen = appliance.request(
        "POST",
        "/api/v1/groups",
        Some(&rival_key),
        Some(json!({"name": "x", "members": [id]})),
    );
    assert_eq!(stolen.status, 422);
    assert_eq!(stolen.json()["field"], "members[0]");
}

#[test]
fn health_readiness_metrics_and_openapi() {
    let mut appliance = Appliance::new();
    appliance.start();
    let ready = appliance.request("GET", "/readyz", None, None);
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["checks"]["store"], "ok");

    appliance.get("/api/v1/users");
    let metrics = appliance.request("GET", "/metrics", None, None);
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("application/openmetrics-text"));
    for needle in [
        "tocsin_http_requests_total{method=\"GET\",route=\"/api/v1/users\",status=\"200\"} 1",
        "tocsin_http_request_duration_seconds_bucket{",
        "tocsin_store_size_bytes ",
        "tocsin_outbox_depth{channel=\"sms\"} 0",
        "tocsin_live_streams 0",
        "tocsin_build_info{version=",
    ] {
        assert!(
            metrics.body.contains(needle),
            "{needle} missing from:\n{}",
            metrics.body
        );
    }

    let openapi = appliance
        .request("GET", "/api/v1/openapi.json", None, None)
        .json();
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/sessions",
        "/api/v1/me/totp",
        "/api/v1/me/totp/confirm",
        "/api/v1/users",
        "/api/v1/users/{user}",
        "/api/v1/users/{user}/sessions",
        "/api/v1/groups",
        "/api/v1/groups/{group}",
        "/api/v1/roles",
        "/api/v1/roles/{role}",
        "/api/v1/apikeys",
        "/api/v1/devices/{id}/wipe",
        "/api/v1/audit",
        "/api/v1/settings",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/{id}/events",
        "/api/v1/alerts/{id}/response",
        "/api/v1/me/alerts/stream",
        "/api/v1/templates",
        "/api/v1/oneclick/{template}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} missing from openapi.json"
        );
    }
}
