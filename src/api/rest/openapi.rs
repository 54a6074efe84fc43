//! The API's OpenAPI 3.1 description, derived from the handlers' `#[utoipa::path]` attributes and the
//! types they read and answer with, so it cannot drift from them; `router_and_document_agree` checks
//! that every served route is in it.

use crate::error::ErrorBody;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Debrief API",
        description = "Incidents, their timelines, postmortems, action items, alerts in and notifications out. \
Send `Authorization: Bearer <token>` (Profile → API tokens). Lists are paged: the total is in \
`X-Total-Count` and the next page in `Link`. Every error is `{\"error\": {\"code\", \"message\", …}}`.",
        license(name = "MIT")
    ),
    servers((url = "/api/v1")),
    paths(
        document,
        super::me,
        super::incidents::list,
        super::incidents::create,
        super::incidents::show,
        super::incidents::update,
        super::incidents::timeline,
        super::incidents::add_event,
        super::incidents::add_participant,
        super::incidents::remove_participant,
        super::incidents::post_update,
        super::incidents::list_updates,
        super::incidents::milestones,
        super::incidents::correct_milestone,
        super::integrations::accept,
        super::integrations::decline,
        super::postmortems::close,
        super::actions::create,
        super::actions::list,
        super::actions::show,
        super::actions::update,
        super::actions::check,
        super::actions::follow_up,
        super::postmortems::start,
        super::postmortems::show,
        super::postmortems::save_section,
        super::postmortems::revisions,
        super::postmortems::toggle_timeline_event,
        super::postmortems::add_factor,
        super::postmortems::remove_factor,
        super::postmortems::submit,
        super::postmortems::approve,
        super::postmortems::request_changes,
        super::postmortems::comments,
        super::postmortems::comment,
        super::postmortems::publish,
        super::postmortems::markdown,
        super::postmortems::template,
        super::postmortems::replace_template,
        super::postmortems::library,
        super::postmortems::settings,
        super::postmortems::save_settings,
        super::people::create_token,
        super::people::list_tokens,
        super::people::revoke_token,
        super::people::list_users,
        super::people::change_user,
        super::people::audit_log,
        super::insights::figures,
        super::integrations::list,
        super::integrations::create,
        super::integrations::revoke,
        super::integrations::rules,
        super::integrations::set_rules,
        super::integrations::alertmanager,
        super::integrations::generic,
        super::destinations::list,
        super::destinations::create,
        super::destinations::update,
        super::destinations::remove,
        super::destinations::deliveries,
        super::destinations::send_test,
        super::status::page,
        super::status::services,
        super::status::add_service,
        super::status::remove_service,
    ),
    components(schemas(ErrorBody, crate::domain::milestones::Moment)),
    modifiers(&Security, &Errors),
    security(("token" = [])),
    tags(
        (name = "incidents", description = "Declare, follow and close incidents; triage what alerts opened"),
        (name = "actions", description = "Action items and whether they worked"),
        (name = "postmortems", description = "Write-ups, their review and the library"),
        (name = "integrations", description = "Alerts in: Alertmanager and the generic webhook"),
        (name = "destinations", description = "Notifications out: Slack, Teams, signed JSON, email"),
        (name = "status", description = "The status page and the service catalogue"),
        (name = "insights", description = "Incident figures as distributions, and whether follow-ups worked"),
        (name = "people", description = "Users and the audit log (admins)"),
        (name = "account", description = "Who you are and your API tokens"),
        (name = "settings", description = "The organisation's settings (admins)"),
        (name = "api", description = "This description"),
    )
)]
pub struct ApiDoc;

/// The two kinds of bearer token: a person's API token and an alert source's integration token.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme("token", bearer("An API token, made under Profile → API tokens"));
        components.add_security_scheme(
            "integration_token",
            bearer("An integration's token, shown once when an admin creates it (Settings → Integrations)"),
        );
    }
}

/// Every operation can be refused (a 4xx) or find the database away (503), always in the one error
/// shape; written once here rather than on each handler.
struct Errors;

impl Modify for Errors {
    fn modify(&self, doc: &mut Document) {
        let answer = |description: &str| {
            let json = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            ResponseBuilder::new().description(description).content("application/json", json).build()
        };
        let refused = answer("Refused: `error.code` says why (unauthorized, forbidden, not_found, conflict, invalid with `fields`, too_large, too_many_requests)");
        let away = answer("The database is unreachable for a moment; nothing was lost, try again");
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                op.responses.responses.insert("4XX".into(), refused.clone().into());
                op.responses.responses.insert("503".into(), away.clone().into());
            }
        }
    }
}

static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serialises"));

/// The document as the reference page and tools read it.
pub fn json() -> &'static str {
    &DOCUMENT
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "api",
    operation_id = "openapi",
    responses((status = 200, description = "This document", content_type = "application/json")),
    security(())
)]
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn router_and_document_agree() {
        let doc: serde_json::Value = serde_json::from_str(json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| item.as_object().unwrap().keys().map(|m| (m.to_uppercase(), path.clone())))
            .collect();
        let served: BTreeSet<(String, String)> =
            super::super::api_routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(
            served.difference(&documented).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "served but not described"
        );
        assert_eq!(
            documented.difference(&served).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "described but not served"
        );
    }

    #[test]
    fn every_operation_answers_errors_in_the_one_shape() {
        let doc: serde_json::Value = serde_json::from_str(json()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let refused = &op["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(refused, "#/components/schemas/ErrorBody", "{method} {path}");
                assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
            }
        }
        assert!(doc["components"]["schemas"]["ErrorDetail"]["properties"]["fields"].is_object());
    }

    /// Limits written into schema attributes (which take literals) are the ones the rules apply.
    #[test]
    fn documented_limits_are_the_rules() {
        use crate::domain::validate::{SERVICES_MAX, SUMMARY_MAX, TITLE_MAX};
        let doc: serde_json::Value = serde_json::from_str(json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let declare = &schemas["DeclareInput"]["properties"];
        assert_eq!(declare["title"]["maxLength"], TITLE_MAX);
        assert_eq!(declare["summary"]["maxLength"], SUMMARY_MAX);
        assert_eq!(declare["services"]["maxItems"], SERVICES_MAX);
        assert_eq!(schemas["IncidentPatch"]["properties"]["title"]["maxLength"], TITLE_MAX);
        assert_eq!(schemas["NewActionInput"]["properties"]["title"]["maxLength"], TITLE_MAX);
        assert_eq!(schemas["DeclareInput"]["required"], serde_json::json!(["title", "severity"]));
    }
}
