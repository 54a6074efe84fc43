use crate::api::postmortems::{get_settings, SaveSettings};
use crate::app::components::{Failure, FieldError};
use leptos::prelude::*;

/// Debrief's own address, for links in messages (where messages go is under Notifications).
#[component]
pub fn SettingsForm() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <h2>"Publishing"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(public) => view! {
                        <p class="hint">"Publications and the daily digest go to the destinations under "
                            <a href="/settings/notifications">"Notifications"</a> "."</p>
                        <ActionForm action=save attr:class="narrow">
                            <label for="public_url">"Debrief's address, for links in messages"</label>
                            <input id="public_url" name="public_url" type="url" required
                                value=move || err.get().and_then(|e| e.value("public_url")).unwrap_or_else(|| public.clone())/>
                            <FieldError error=err field="public_url"/>
                            <button type="submit" class="button primary">"Save"</button>
                            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <span class="saved" role="status">"Saved"</span> })}
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Password sign-in, which admins turn off once single sign-on works.
#[component]
pub fn SignInSettings() -> impl IntoView {
    let save = ServerAction::<crate::api::auth::SetLocalPasswords>::new();
    let options = Resource::new(move || save.version().get(), |_| crate::api::auth::login_options());
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <h2>"Signing in"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                options.await.ok().map(|o| {
                    let (now, flip, button) = match o.passwords {
                        true => ("Passwords are accepted.", "off", "Turn passwords off"),
                        false => ("Passwords are off: everyone signs in with single sign-on.", "on", "Turn passwords on"),
                    };
                    view! {
                        <p>{now} " " {o.sso.map(|l| format!("Single sign-on: \u{201c}{l}\u{201d}.")).unwrap_or_else(|| "Single sign-on is not set up.".into())}</p>
                        <ActionForm action=save attr:class="inline">
                            <crate::app::components::FormError error=err/>
                            <FieldError error=err field="local_passwords"/>
                            <input type="hidden" name="on" value=flip/>
                            <button type="submit" class="button">{button}</button>
                        </ActionForm>
                    }
                })
            })}
        </Suspense>
    }
}
