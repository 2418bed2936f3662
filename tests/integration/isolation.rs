//! An admin of one organisation gets nothing of another's, on any path.

use crate::inprocess::{Server, PASSWORD};
use serde_json::{json, Value};

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
