//! The admins' Integrations page: alert senders with their tokens (shown once, revocable) and the
//! rules that turn alert labels into a severity and services.

use super::profile::{MaybeWhen, ShownOnce};
use crate::api::integrations::{
    integrations_view, CreateIntegration, IntegrationRow, IntegrationsData, RevokeIntegration, SaveAlertRules,
};
use crate::app::components::{raw_text, typed, Failure, FieldError, FormError, When};
use crate::domain::Severity;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let create = ServerAction::<CreateIntegration>::new();
    let revoke = ServerAction::<RevokeIntegration>::new();
    let save = ServerAction::<SaveAlertRules>::new();
    let page = Resource::new(
        move || (create.version().get(), revoke.version().get(), save.version().get()),
        |_| integrations_view(),
    );
    view! {
        <Title text="Integrations"/>
        <h1>"Integrations"</h1>
        <crate::app::components::SettingsNav/>
        <p class="hint">
            "Alerts open incidents in " <strong>"triage"</strong> ": a responder accepts or declines each. "
            "Prometheus Alertmanager posts to " <code>"/api/v1/integrations/alertmanager"</code>
            "; anything else (Grafana, scripts) to " <code>"/api/v1/integrations/generic"</code> ". "
            "Each sender has its own token, sent as " <code>"Authorization: Bearer \u{2026}"</code> "."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(IntegrationsData { integrations, rules, default_severity, service_labels, new_secret }) => view! {
                        {new_secret.map(|(what, value)| view! { <ShownOnce what value/> <AlertmanagerHint/> })}
                        <IntegrationTable list=integrations revoke/>
                        <NewIntegrationForm create/>
                        <RulesForm save rules default_severity service_labels/>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// How to point Alertmanager at Debrief, shown beside a new token.
#[component]
fn AlertmanagerHint() -> impl IntoView {
    let yaml = "receivers:\n  - name: debrief\n    webhook_configs:\n      - url: https://DEBRIEF/api/v1/integrations/alertmanager\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: TOKEN";
    view! {
        <details class="hint">
            <summary>"Alertmanager configuration"</summary>
            <pre class="mono">{yaml}</pre>
        </details>
    }
}

#[component]
fn IntegrationTable(list: Vec<IntegrationRow>, revoke: ServerAction<RevokeIntegration>) -> impl IntoView {
    let err = Signal::derive(move || revoke.value().get().and_then(Result::err));
    if list.is_empty() {
        return view! { <p class="empty">"No integrations yet: create one below."</p> }.into_any();
    }
    view! {
        <FormError error=err/>
        <table class="list" data-testid="integrations">
            <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Created"</th><th>"Last alert"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|row| {
                    let i = row.integration;
                    view! {
                        <tr>
                            <td>{i.name.clone()}<br/><span class="hint">{format!("by {}", i.created_by.name)}</span></td>
                            <td>{i.kind.as_str()}</td>
                            <td><When stamp=row.created/></td>
                            <td><MaybeWhen stamp=row.last_used none="never"/></td>
                            <td>{match i.revoked_at {
                                Some(_) => view! { <span class="hint">"revoked"</span> }.into_any(),
                                None => view! {
                                    <ActionForm action=revoke attr:class="inline">
                                        <input type="hidden" name="id" value=i.id/>
                                        <button type="submit" class="button small danger">{format!("Revoke {}", i.name)}</button>
                                    </ActionForm>
                                }.into_any(),
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewIntegrationForm(create: ServerAction<CreateIntegration>) -> impl IntoView {
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <h2>"New integration"</h2>
        <ActionForm action=create attr:class="grid-form" attr:aria-label="Create an integration">
            <FormError error=err/>
            <label for="integration-name">"Name"</label>
            <input id="integration-name" name="name" required maxlength="80" placeholder="Production Alertmanager"
                value=typed(err, "name")/>
            <FieldError error=err field="name"/>
            <label for="integration-kind">"Sends"</label>
            <select id="integration-kind" name="kind">
                <option value="alertmanager" selected=move || typed(err, "kind")() != "generic">"Prometheus Alertmanager"</option>
                <option value="generic" selected=move || typed(err, "kind")() == "generic">"Generic JSON (Grafana and others)"</option>
            </select>
            <FieldError error=err field="kind"/>
            <button type="submit" class="button">"Create integration"</button>
        </ActionForm>
    }
}

#[component]
fn RulesForm(
    save: ServerAction<SaveAlertRules>,
    rules: String,
    default_severity: String,
    service_labels: String,
) -> impl IntoView {
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    let or_typed = move |field: &'static str, stored: String| {
        move || err.get().and_then(|e| e.value(field)).unwrap_or_else(|| stored.clone())
    };
    let chosen = or_typed("default_severity", default_severity);
    view! {
        <h2>"Alert rules"</h2>
        <ActionForm action=save attr:class="narrow" attr:aria-label="Alert rules">
            <FormError error=err/>
            <label for="rules">"Severity by label, first match wins: " <code>"label=value SEVn"</code> ", one per line"</label>
            <textarea id="rules" name="rules" rows="6" class="mono" placeholder="severity=critical SEV1">
                {let text = or_typed("rules", rules); move || raw_text(text())}
            </textarea>
            <FieldError error=err field="rules"/>
            <label for="default_severity">"When no rule matches"</label>
            <select id="default_severity" name="default_severity">
                {Severity::ALL.iter().map(|s| {
                    let chosen = chosen.clone();
                    view! { <option value=s.as_str() selected=move || chosen() == s.as_str()>{s.as_str()}</option> }
                }).collect_view()}
            </select>
            <FieldError error=err field="default_severity"/>
            <label for="service_labels">"Labels naming the services, separated by commas"</label>
            <input id="service_labels" name="service_labels" placeholder="service, job" value=or_typed("service_labels", service_labels)/>
            <FieldError error=err field="service_labels"/>
            <button type="submit" class="button primary">"Save rules"</button>
            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <span class="saved" role="status">"Saved"</span> })}
        </ActionForm>
    }
}
