//! One's own account: time zone and team, password, API tokens and where one is signed in.

use crate::api::auth::SaveProfile;
use crate::api::people::{my_security, ChangePassword, CreateApiToken, EndOtherSessions, RevokeApiToken, Security};
use crate::app::components::{typed, Failure, FieldError, FormError, When};
use crate::domain::User;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveProfile>,
    create: ServerAction<CreateApiToken>,
    revoke: ServerAction<RevokeApiToken>,
    end: ServerAction<EndOtherSessions>,
}

/// One resource for the whole page, so the secret made just now is read (and shown) exactly once.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let a = Actions {
        save: ServerAction::new(),
        create: ServerAction::new(),
        revoke: ServerAction::new(),
        end: ServerAction::new(),
    };
    let page = Resource::new(
        move || (a.save.version().get(), a.create.version().get(), a.revoke.version().get(), a.end.version().get()),
        |_| my_security(),
    );
    view! {
        <Title text="Profile"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Security { user, tokens, sign_ins, new_secret, email_reminders }) => view! {
                        <section class="narrow">
                            <h1>{user.name.clone()}</h1>
                            <p>{user.email.clone()} " · " {user.role.as_str()}</p>
                            <ProfileForm user reminders=email_reminders action=a.save/>
                            <PasswordForm/>
                        </section>
                        {new_secret.map(|(what, value)| view! { <ShownOnce what value/> })}
                        <super::tokens::TokenTable tokens revoke=a.revoke/>
                        <super::tokens::NewTokenForm create=a.create/>
                        <super::tokens::SessionTable sign_ins end=a.end/>
                    }
                    .into_any(),
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileForm(user: User, reminders: bool, action: ServerAction<SaveProfile>) -> impl IntoView {
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ActionForm action attr:class="grid-form">
            <label for="time_zone">"Time zone (IANA name)"</label>
            <input id="time_zone" name="time_zone" required aria-describedby="time_zone-hint"
                value=move || {
                    let typed = typed(err, "time_zone")();
                    if typed.is_empty() { user.time_zone.clone() } else { typed }
                }/>
            <p class="hint" id="time_zone-hint">"Times show in UTC and in this zone; your action items fall due by its calendar."</p>
            <FieldError error=err field="time_zone"/>
            <label for="team">"Team"</label>
            <input id="team" name="team"
                value=move || match err.get() {
                    Some(_) => typed(err, "team")(),
                    None => user.team.clone(),
                }/>
            <FieldError error=err field="team"/>
            <label class="check"><input type="checkbox" name="reminders" value="on" checked=reminders/>
                "Email me my overdue action items each morning"</label>
            <button type="submit" class="button">"Save"</button>
            {move || (action.value().get().is_some_and(|r| r.is_ok()))
                .then(|| view! { <span class="saved" role="status">"Saved"</span> })}
        </ActionForm>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <h2>"Password"</h2>
        <ActionForm action attr:class="grid-form" attr:aria-label="Change your password">
            <FormError error=err/>
            <label for="current_password">"Current password"</label>
            <input id="current_password" name="current_password" type="password" required autocomplete="current-password"/>
            <FieldError error=err field="current_password"/>
            <label for="new_password">"New password (at least 12 characters)"</label>
            <input id="new_password" name="new_password" type="password" required minlength="12" autocomplete="new-password"/>
            <FieldError error=err field="new_password"/>
            <label for="confirm">"New password again"</label>
            <input id="confirm" name="confirm" type="password" required autocomplete="new-password"/>
            <FieldError error=err field="confirm"/>
            <button type="submit" class="button">"Change password"</button>
            {move || (action.value().get().is_some_and(|r| r.is_ok())).then(|| view! {
                <span class="saved" role="status">"Password changed; your other sessions were signed out"</span>
            })}
        </ActionForm>
    }
}

/// A secret made just now: shown this once, never again.
#[component]
pub fn ShownOnce(what: String, value: String) -> impl IntoView {
    view! {
        <div class="notice" role="status" data-testid="secret">
            <p><strong>{what}</strong>": copy it now, it will not be shown again."</p>
            <p><code class="secret">{value}</code></p>
        </div>
    }
}

/// `When` for an optional instant.
#[component]
pub fn MaybeWhen(stamp: Option<crate::domain::Stamp>, #[prop(into)] none: String) -> impl IntoView {
    match stamp {
        Some(stamp) => view! { <When stamp/> }.into_any(),
        None => view! { <span class="hint">{none}</span> }.into_any(),
    }
}
