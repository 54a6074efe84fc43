//! The admins' Status page settings: whether `/status` may be read without signing in, and the
//! service catalogue it lists.

use crate::api::status::{status_settings_view, AddService, RemoveService, SetStatusPublic};
use crate::app::components::{typed, Failure, FieldError, FormError};
use crate::domain::status::Service;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn StatusSettingsPage() -> impl IntoView {
    let add = ServerAction::<AddService>::new();
    let remove = ServerAction::<RemoveService>::new();
    let public = ServerAction::<SetStatusPublic>::new();
    let data = Resource::new(
        move || (add.version().get(), remove.version().get(), public.version().get()),
        |_| status_settings_view(),
    );
    view! {
        <Title text="Status page"/>
        <h1>"Status page"</h1>
        <crate::app::components::SettingsNav/>
        <p class="hint"><a href="/status">"The status page"</a>" shows each service's state from its open incidents."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok((is_public, services)) => view! {
                        <ActionForm action=public attr:class="narrow" attr:aria-label="Who may read the status page">
                            <label class="check"><input type="checkbox" name="public" value="on" checked=is_public/>
                                "Anyone may read the status page, its API and its feed without signing in"</label>
                            <button type="submit" class="button">"Save"</button>
                        </ActionForm>
                        <Catalogue services remove/>
                        <NewServiceForm add/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Catalogue(services: Vec<Service>, remove: ServerAction<RemoveService>) -> impl IntoView {
    let err = Signal::derive(move || remove.value().get().and_then(Result::err));
    if services.is_empty() {
        return view! { <p class="empty">"No services yet. Services named on incidents show on the status page anyway."</p> }.into_any();
    }
    view! {
        <FormError error=err/>
        <table class="list" data-testid="catalogue">
            <thead><tr><th>"Service"</th><th>"Team"</th><th>"Description"</th><th></th></tr></thead>
            <tbody>
                {services.into_iter().map(|s| view! {
                    <tr>
                        <td>{s.name.clone()}</td><td>{s.team.clone()}</td><td>{s.description.clone()}</td>
                        <td><ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="id" value=s.id/>
                            <button type="submit" class="button small danger">{format!("Remove {}", s.name)}</button>
                        </ActionForm></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewServiceForm(add: ServerAction<AddService>) -> impl IntoView {
    let err = Signal::derive(move || add.value().get().and_then(Result::err));
    view! {
        <h2>"Add a service"</h2>
        <ActionForm action=add attr:class="grid-form" attr:aria-label="Add a service">
            <FormError error=err/>
            <label for="service-name">"Name (as incidents name it)"</label>
            <input id="service-name" name="name" required maxlength="64" placeholder="checkout" value=typed(err, "name")/>
            <FieldError error=err field="name"/>
            <label for="service-team">"Owning team"</label>
            <input id="service-team" name="team" maxlength="80" placeholder="Payments" value=typed(err, "team")/>
            <FieldError error=err field="team"/>
            <label for="service-description">"Description"</label>
            <input id="service-description" name="description" maxlength="500" value=typed(err, "description")/>
            <FieldError error=err field="description"/>
            <button type="submit" class="button primary">"Add service"</button>
        </ActionForm>
    }
}
