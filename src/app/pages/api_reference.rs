//! `/api-docs`: the JSON API's reference, read from the same OpenAPI document tools fetch, so the
//! page and the document never disagree. Readable signed out and without JavaScript.

use crate::api::reference::{api_reference, FieldDoc, OperationDoc, SchemaDoc};
use crate::app::components::Failure;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| api_reference());
    view! {
        <Title text="API reference"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(r) => view! {
                        <h1>{r.title}</h1>
                        <p>{r.description}</p>
                        <p class="hint">"Machine-readable: "<a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>" (OpenAPI 3.1)."</p>
                        <nav class="subnav" aria-label="API sections">
                            {r.groups.iter().map(|g| view! { <a href=format!("#{}", g.tag)>{g.tag.clone()}</a> }).collect_view()}
                            <a href="#schemas">"schemas"</a>
                        </nav>
                        {r.groups.into_iter().map(|g| view! {
                            <section id=g.tag.clone() class="api-group">
                                <h2>{g.tag.clone()}</h2>
                                <p class="hint">{g.description}</p>
                                {g.operations.into_iter().map(|op| view! { <Operation op/> }).collect_view()}
                            </section>
                        }).collect_view()}
                        <section id="schemas" class="api-group">
                            <h2>"Schemas"</h2>
                            {r.schemas.into_iter().map(|s| view! { <Schema s/> }).collect_view()}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Operation(op: OperationDoc) -> impl IntoView {
    view! {
        <article class="api-op" id=op.id.clone() data-testid="operation">
            <h3><code class="method">{op.method}</code>" "<code>{op.path}</code></h3>
            <p>{op.summary}</p>
            <p class="hint">"Authentication: "{op.auth}</p>
            {(!op.params.is_empty()).then(|| view! { <Fields caption="Parameters" fields=op.params/> })}
            {op.body.map(|b| view! { <p>"Body: "<TypeName kind=b/></p> })}
            <table class="list api-fields">
                <caption>"Answers"</caption>
                <thead><tr><th>"Status"</th><th>"Meaning"</th><th>"Body"</th></tr></thead>
                <tbody>
                    {op.responses.into_iter().map(|(status, meaning, body)| view! {
                        <tr><td>{status}</td><td>{meaning}</td><td><TypeName kind=body/></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}

#[component]
fn Schema(s: SchemaDoc) -> impl IntoView {
    view! {
        <article class="api-op" id=format!("schema-{}", s.name)>
            <h3><code>{s.name.clone()}</code></h3>
            {(!s.description.is_empty()).then(|| view! { <p>{s.description.clone()}</p> })}
            {(!s.values.is_empty()).then(|| view! { <p>"One of: "<code>{s.values.join(", ")}</code></p> })}
            {(!s.fields.is_empty()).then(|| view! { <Fields caption="Fields" fields=s.fields/> })}
        </article>
    }
}

#[component]
fn Fields(caption: &'static str, fields: Vec<FieldDoc>) -> impl IntoView {
    view! {
        <table class="list api-fields">
            <caption>{caption}</caption>
            <thead><tr><th>"Name"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
            <tbody>
                {fields.into_iter().map(|f| view! {
                    <tr>
                        <td><code>{f.name}</code></td><td><TypeName kind=f.kind/></td>
                        <td>{if f.required { "yes" } else { "" }}</td><td>{f.description}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A type as text, each schema it names a link to that schema.
#[component]
fn TypeName(kind: String) -> impl IntoView {
    let parts: Vec<String> = kind.split(" or ").map(str::to_string).collect();
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let name = part.trim_matches(|c| c == '[' || c == ']').to_string();
            let sep = (i + 1 < count).then_some(" or ");
            let shown = if name.starts_with(char::is_uppercase) {
                view! { <a href=format!("#schema-{name}")><code>{part}</code></a> }.into_any()
            } else {
                view! { <code>{part}</code> }.into_any()
            };
            view! { {shown}{sep} }
        })
        .collect_view()
}
