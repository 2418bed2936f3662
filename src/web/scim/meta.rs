//! What the service provider supports and the schemas it speaks (RFC 7643
//! §5–7): the description identity providers and conformance tools read
//! before they provision.

use super::filter::{CORE_GROUP, CORE_USER, ENTERPRISE, TETRA};
use super::*;
use actix_web::get;

fn attribute(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut value: Value, changes: Value) -> Value {
    if let (Some(object), Value::Object(changes)) = (value.as_object_mut(), changes) {
        object.extend(changes);
    }
    value
}

fn multi(name: &str, description: &str, sub: Vec<Value>) -> Value {
    with(
        attribute(name, "complex", description),
        json!({"multiValued": true, "subAttributes": sub}),
    )
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

fn schemas(base: &str) -> Vec<Value> {
    let value_type_primary = |what: &str| {
        vec![
            with(
                attribute("value", "string", what),
                json!({"required": true}),
            ),
            attribute("type", "string", "A label such as work or mobile"),
            attribute("primary", "boolean", "The one used first"),
        ]
    };
    vec![
        schema(
            CORE_USER,
            "User",
            "A person Tocsin alerts",
            vec![
                with(
                    attribute("userName", "string", "Unique; the Tocsin username is made from it (lowercased, characters a username can't hold become _)"),
                    json!({"required": true, "uniqueness": "server"}),
                ),
                with(
                    attribute("name", "complex", "The person's name"),
                    json!({"subAttributes": [
                        attribute("formatted", "string", "The full name"),
                        attribute("givenName", "string", "Given name"),
                        attribute("familyName", "string", "Family name"),
                    ]}),
                ),
                attribute("displayName", "string", "The name shown and spoken; wins over name"),
                attribute("preferredLanguage", "string", "fi, sv or en, or a tag such as fi-FI"),
                attribute("active", "boolean", "False: can't log in and isn't alerted"),
                multi("emails", "The primary (or first) is where alerts by email go", value_type_primary("The address")),
                multi("phoneNumbers", "E.164 numbers (+358401234567); the primary first", value_type_primary("The number in E.164")),
                with(
                    multi("groups", "Groups the user is in", vec![
                        attribute("value", "string", "The group's id"),
                        attribute("display", "string", "The group's name"),
                        with(attribute("$ref", "reference", "The group"), json!({"referenceTypes": ["Group"]})),
                    ]),
                    json!({"mutability": "readOnly"}),
                ),
            ],
            base,
        ),
        schema(
            CORE_GROUP,
            "Group",
            "A group alerts can be sent to",
            vec![
                with(
                    attribute("displayName", "string", "The group's name, unique"),
                    json!({"required": true, "uniqueness": "server"}),
                ),
                multi("members", "The users in the group", vec![
                    with(attribute("value", "string", "The user's id"), json!({"mutability": "immutable", "caseExact": true})),
                    with(attribute("display", "string", "The user's name"), json!({"mutability": "readOnly"})),
                    with(attribute("$ref", "reference", "The user"), json!({"mutability": "immutable", "referenceTypes": ["User"]})),
                    with(attribute("type", "string", "User"), json!({"mutability": "immutable", "canonicalValues": ["User"]})),
                ]),
            ],
            base,
        ),
        schema(
            ENTERPRISE,
            "EnterpriseUser",
            "Kept as sent, shown back; Tocsin does not act on them",
            vec![
                attribute("employeeNumber", "string", "Kept"),
                attribute("department", "string", "Kept"),
            ],
            base,
        ),
        schema(
            TETRA,
            "TetraUser",
            "Tocsin's extension: how the user is reached over TETRA",
            vec![attribute("issi", "integer", "The radio's ISSI (1 to 16777215)")],
            base,
        ),
    ]
}

fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": CORE_USER,
            "schemaExtensions": [
                {"schema": ENTERPRISE, "required": false},
                {"schema": TETRA, "required": false},
            ],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups",
            "schema": CORE_GROUP,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[get("/ServiceProviderConfig")]
async fn service_provider_config(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    provisioner(&req).await?;
    let base = base_url(&req);
    Ok(respond(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "API key",
                "description": "An API key whose role holds the provision permission, as a bearer token",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
        }),
    ))
}

#[get("/Schemas")]
async fn list_schemas(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    provisioner(&req).await?;
    Ok(respond(StatusCode::OK, &list(schemas(&base_url(&req)))))
}

#[get("/Schemas/{id}")]
async fn get_schema(req: HttpRequest, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    provisioner(&req).await?;
    schemas(&base_url(&req))
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .map(|s| respond(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("schema"))
}

#[get("/ResourceTypes")]
async fn list_resource_types(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    provisioner(&req).await?;
    Ok(respond(
        StatusCode::OK,
        &list(resource_types(&base_url(&req))),
    ))
}

#[get("/ResourceTypes/{id}")]
async fn get_resource_type(
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    provisioner(&req).await?;
    resource_types(&base_url(&req))
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .map(|s| respond(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("resource type"))
}

/// The discovery endpoints are read-only (RFC 7644 §4).
#[actix_web::route(
    "/ServiceProviderConfig",
    method = "POST",
    method = "PUT",
    method = "PATCH",
    method = "DELETE"
)]
async fn config_read_only() -> HttpResponse {
    read_only()
}

#[actix_web::route(
    "/Schemas",
    method = "POST",
    method = "PUT",
    method = "PATCH",
    method = "DELETE"
)]
async fn schemas_read_only() -> HttpResponse {
    read_only()
}

#[actix_web::route(
    "/ResourceTypes",
    method = "POST",
    method = "PUT",
    method = "PATCH",
    method = "DELETE"
)]
async fn resource_types_read_only() -> HttpResponse {
    read_only()
}

fn read_only() -> HttpResponse {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this endpoint can only be read",
    )
    .error_response()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(config_read_only)
        .service(schemas_read_only)
        .service(resource_types_read_only)
        .service(service_provider_config)
        .service(list_schemas)
        .service(get_schema)
        .service(list_resource_types)
        .service(get_resource_type);
}
