//! A one-time password reset link: `/reset/<secret>`, made by an admin, valid for an hour.

use crate::api::people::{check_reset_link, ResetPassword};
use crate::app::components::{FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let secret = move || params.read().get("secret").unwrap_or_default();
    let usable = Resource::new(secret, check_reset_link);
    let action = ServerAction::<ResetPassword>::new();
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Choose a new password"/>
        <section class="narrow">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match usable.await {
                        Err(e) => view! {
                            <div class="notice error" role="alert"><p>{e.to_string()}</p><p><a href="/login">"Sign in"</a></p></div>
                        }.into_any(),
                        Ok(()) => view! {
                            <ActionForm action attr:class="grid-form">
                                <FormError error=err/>
                                <FieldError error=err field="link"/>
                                <input type="hidden" name="secret" value=secret/>
                                <label for="new_password">"New password (at least 12 characters)"</label>
                                <input id="new_password" name="new_password" type="password" required minlength="12"
                                    autocomplete="new-password"/>
                                <FieldError error=err field="new_password"/>
                                <label for="confirm">"New password again"</label>
                                <input id="confirm" name="confirm" type="password" required autocomplete="new-password"/>
                                <FieldError error=err field="confirm"/>
                                <button type="submit" class="button primary">"Set password"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
