use crate::api::auth::{login_options, needs_setup, CreateFirstAdmin, SignIn};
use crate::app::components::{typed, Failure, FieldError, FormError, TIME_ZONE_SCRIPT};
use crate::domain::sso::SsoProblem;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// First run: an empty database asks for the first admin.
#[component]
pub fn SetupPage() -> impl IntoView {
    let needed = Resource::new(|| (), |_| needs_setup());
    let action = ServerAction::<CreateFirstAdmin>::new();
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Set up"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match needed.await {
                    Ok(false) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(true) => view! {
                        <section class="narrow">
                            <h1>"Welcome to Debrief"</h1>
                            <p>"Create the first admin account. Admins add everyone else."</p>
                            <ActionForm action>
                                <FormError error=err/>
                                <label for="email">"Email"</label>
                                <input id="email" name="email" type="email" required autocomplete="username"
                                    value=typed(err, "email")/>
                                <FieldError error=err field="email"/>
                                <label for="name">"Name"</label>
                                <input id="name" name="name" required autocomplete="name" value=typed(err, "name")/>
                                <FieldError error=err field="name"/>
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" required minlength="12"
                                    autocomplete="new-password"/>
                                <FieldError error=err field="password"/>
                                <input type="hidden" name="time_zone" value=""/>
                                <button type="submit" class="button primary">"Create admin account"</button>
                            </ActionForm>
                            <script nonce=leptos::nonce::use_nonce() inner_html=TIME_ZONE_SCRIPT></script>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let needed = Resource::new(|| (), |_| needs_setup());
    let options = Resource::new(|| (), |_| login_options());
    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (needed.await, options.await) {
                    (Ok(true), _) => view! { <Redirect path="/setup"/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <Failure error=e/> }.into_any(),
                    (Ok(false), Ok(options)) => view! {
                        <section class="narrow">
                            <h1>"Sign in to Debrief"</h1>
                            <LoginNotices/>
                            {options.sso.map(|label| {
                                let href = format!("/sso/start?next={}", urlencoding_min(&next()));
                                view! { <p><a class="button primary" href=href data-testid="sso">{label}</a></p> }
                            })}
                            {options.passwords.then(|| view! { <PasswordSignIn next=next()/> })}
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the address says happened: a password just reset, or why single sign-on did not sign one in.
#[component]
fn LoginNotices() -> impl IntoView {
    let query = use_query_map();
    let reset = query.read_untracked().get("reset").as_deref() == Some("done");
    let problem = query.read_untracked().get("sso").and_then(|p| p.parse::<SsoProblem>().ok());
    view! {
        {reset.then(|| view! { <p class="notice" role="status">"Your password is set. Sign in with it."</p> })}
        {problem.map(|p| view! {
            <div class="notice error" role="alert" data-testid="sso-problem"><p>{p.message()}</p></div>
        })}
    }
}

#[component]
fn PasswordSignIn(next: String) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ActionForm action>
            <FormError error=err/>
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" required autocomplete="username"
                autofocus value=typed(err, "email")/>
            <FieldError error=err field="email"/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" required
                autocomplete="current-password"/>
            <FieldError error=err field="password"/>
            <input type="hidden" name="next" value=next/>
            <input type="hidden" name="time_zone" value=""/>
            <button type="submit" class="button primary">"Sign in"</button>
        </ActionForm>
        <script nonce=leptos::nonce::use_nonce() inner_html=TIME_ZONE_SCRIPT></script>
    }
}

/// `next` as a query value: it is a local path, so only the few characters that would end it
/// need escaping.
fn urlencoding_min(path: &str) -> String {
    path.replace('%', "%25").replace('&', "%26").replace('#', "%23").replace('+', "%2B").replace(' ', "%20")
}
