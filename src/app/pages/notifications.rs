//! The admins' Notifications page: destinations (Slack, Teams, signed JSON) with their rules, each
//! one's recent deliveries, *Send test* and *Remove*; a signing secret is shown once.

use super::profile::{MaybeWhen, ShownOnce};
use crate::api::notifications::{
    notifications_view, CreateDestination, DeliveryRow, DestinationRow, NotificationsData, RemoveDestination,
    TestDestination,
};
use crate::app::components::{typed, Failure, FieldError, FormError, When};
use crate::domain::notify::{DeliveryState, DestinationKind, NotifyEvent};
use crate::domain::Severity;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let create = ServerAction::<CreateDestination>::new();
    let remove = ServerAction::<RemoveDestination>::new();
    let test = ServerAction::<TestDestination>::new();
    let page = Resource::new(
        move || (create.version().get(), remove.version().get(), test.version().get()),
        |_| notifications_view(),
    );
    view! {
        <Title text="Notifications"/>
        <h1>"Notifications"</h1>
        <crate::app::components::SettingsNav/>
        <p class="hint">
            "Destinations hear of incidents as they happen: each chooses its events and the least severe "
            "incident it is told about. Private incidents are never sent. Every notification is retried "
            "with backoff for 24 hours until the receiver takes it."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(NotificationsData { destinations, new_secret }) => view! {
                        {new_secret.map(|(what, value)| view! { <ShownOnce what value/> <SigningHint/> })}
                        <Destinations list=destinations remove test/>
                        <NewDestinationForm create/>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// How a receiver checks a signed JSON request, shown beside a new secret.
#[component]
fn SigningHint() -> impl IntoView {
    view! {
        <p class="hint">
            "Each request carries " <code>"Debrief-Timestamp"</code> " and " <code>"Debrief-Signature: v1=\u{2026}"</code>
            ", the hex HMAC-SHA256 of " <code>"{timestamp}.{body}"</code> " keyed with this secret; the README has a test vector."
        </p>
    }
}

#[component]
fn Destinations(
    list: Vec<DestinationRow>,
    remove: ServerAction<RemoveDestination>,
    test: ServerAction<TestDestination>,
) -> impl IntoView {
    let err =
        Signal::derive(move || remove.value().get().and_then(Result::err).or(test.value().get().and_then(Result::err)));
    if list.is_empty() {
        return view! { <p class="empty">"No destinations yet: add one below."</p> }.into_any();
    }
    view! {
        <FormError error=err/>
        {list.into_iter().map(|row| view! { <DestinationCard row remove test/> }).collect_view()}
    }
    .into_any()
}

#[component]
fn DestinationCard(
    row: DestinationRow,
    remove: ServerAction<RemoveDestination>,
    test: ServerAction<TestDestination>,
) -> impl IntoView {
    let d = row.destination;
    let events = d.events.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ");
    let (test_label, remove_label) = (format!("Send test to {}", d.name), format!("Remove {}", d.name));
    view! {
        <section class="card" data-testid="destination">
            <h2>{d.name.clone()}</h2>
            <p class="hint">
                {format!("{} to {} \u{b7} {events} \u{b7} {} and more severe \u{b7} added by {} ", d.kind.label(), d.host,
                    d.min_severity, d.created_by.name)}
                <When stamp=row.created/>
            </p>
            {match d.removed_at {
                Some(_) => view! { <p class="hint">"Removed: nothing more is sent to it."</p> }.into_any(),
                None => view! {
                    <ActionForm action=test attr:class="inline">
                        <input type="hidden" name="id" value=d.id/>
                        <button type="submit" class="button small">{test_label}</button>
                    </ActionForm>
                    <ActionForm action=remove attr:class="inline">
                        <input type="hidden" name="id" value=d.id/>
                        <button type="submit" class="button small danger">{remove_label}</button>
                    </ActionForm>
                }.into_any(),
            }}
            <DeliveryTable rows=row.recent total=row.total/>
        </section>
    }
}

#[component]
fn DeliveryTable(rows: Vec<DeliveryRow>, total: i64) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"Nothing sent yet."</p> }.into_any();
    }
    let shown = rows.len();
    view! {
        <table class="list" data-testid="deliveries">
            <caption class="hint">{format!("Recent deliveries ({shown} of {total})")}</caption>
            <thead><tr><th>"Event"</th><th>"Incident"</th><th>"Queued"</th><th>"Attempts"</th><th>"State"</th><th>"Last error"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let d = r.delivery;
                    let state = match d.state {
                        DeliveryState::Delivered => "delivered",
                        DeliveryState::GivenUp => "given up",
                        DeliveryState::Pending => "retrying",
                    };
                    view! {
                        <tr>
                            <td>{d.event.label()}</td>
                            <td>{d.incident.clone().map(|r| view! { <a href=format!("/incidents/{r}")>{r.clone()}</a> })}</td>
                            <td><When stamp=r.created/></td>
                            <td>{d.attempts}</td>
                            <td>{state} {(d.state == DeliveryState::Pending).then(|| view! { " " <MaybeWhen stamp=r.next_attempt none=""/> })}</td>
                            <td>{d.last_error.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The events a new destination starts with ticked.
const DEFAULT_EVENTS: &[NotifyEvent] = &[
    NotifyEvent::Declared,
    NotifyEvent::SeverityChanged,
    NotifyEvent::UpdatePosted,
    NotifyEvent::Resolved,
    NotifyEvent::Published,
];

#[component]
fn NewDestinationForm(create: ServerAction<CreateDestination>) -> impl IntoView {
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    let ticked = move |e: NotifyEvent| match err.get().and_then(|x| x.value("events")) {
        Some(typed) => typed.split(',').any(|t| t == e.as_str()),
        None => DEFAULT_EVENTS.contains(&e),
    };
    let kind = typed(err, "kind");
    let min = typed(err, "min_severity");
    view! {
        <h2>"New destination"</h2>
        <ActionForm action=create attr:class="grid-form" attr:aria-label="Add a destination">
            <FormError error=err/>
            <label for="destination-name">"Name"</label>
            <input id="destination-name" name="name" required maxlength="80" placeholder="#incidents" value=typed(err, "name")/>
            <FieldError error=err field="name"/>
            <label for="destination-kind">"Kind"</label>
            <select id="destination-kind" name="kind">
                {DestinationKind::ALL.iter().map(|k| {
                    view! { <option value=k.as_str() selected=move || kind() == k.as_str()>{k.label()}</option> }
                }).collect_view()}
            </select>
            <FieldError error=err field="kind"/>
            <label for="destination-url">"Webhook address (a secret: only its host is shown), or the email address for Email"</label>
            <input id="destination-url" name="url" type="text" inputmode="url" required placeholder="https://hooks.slack.com/services/\u{2026}"/>
            <FieldError error=err field="url"/>
            <fieldset>
                <legend>"Events"</legend>
                {NotifyEvent::CHOICES.iter().map(|&e| view! {
                    <label class="check"><input type="checkbox" name="events[]" value=e.as_str() checked=move || ticked(e)/>{e.label()}</label>
                }).collect_view()}
            </fieldset>
            <FieldError error=err field="events"/>
            <label for="destination-min">"Least severe incident told"</label>
            <select id="destination-min" name="min_severity">
                {Severity::ALL.iter().map(|s| {
                    view! { <option value=s.as_str() selected=move || min() == s.as_str() || (min().is_empty() && *s == Severity::Sev4)>{s.as_str()}</option> }
                }).collect_view()}
            </select>
            <FieldError error=err field="min_severity"/>
            <button type="submit" class="button primary">"Add destination"</button>
        </ActionForm>
    }
}
