//! The token and session tables of the profile page (and the admins' view of every token).

use super::profile::MaybeWhen;
use crate::api::people::{CreateApiToken, EndOtherSessions, RevokeApiToken, SignInRow, TokenRow};
use crate::app::components::{typed, FieldError, FormError, When};
use leptos::prelude::*;

#[component]
pub fn TokenTable(
    tokens: Vec<TokenRow>,
    revoke: ServerAction<RevokeApiToken>,
    #[prop(optional)] owners: bool,
) -> impl IntoView {
    let err = Signal::derive(move || revoke.value().get().and_then(Result::err));
    view! {
        <h2>{if owners { "Everyone's API tokens" } else { "API tokens" }}</h2>
        <p class="hint">"What a token can do: the "<a href="/api-docs">"API reference"</a>"."</p>
        <FormError error=err/>
        {if tokens.is_empty() {
            view! { <p class="empty">"No API tokens yet."</p> }.into_any()
        } else {
            view! {
                <table class="list" data-testid="tokens">
                    <thead><tr>
                        <th>"Name"</th>{owners.then(|| view! { <th>"Holder"</th> })}<th>"Scope"</th><th>"Created"</th>
                        <th>"Last used"</th><th>"Expires"</th><th></th>
                    </tr></thead>
                    <tbody>
                        {tokens.into_iter().map(|t| view! {
                            <tr>
                                <td>{t.token.name.clone()}</td>
                                {owners.then(|| view! { <td>{t.token.user.name.clone()}</td> })}
                                <td>{t.token.scope.as_str()}</td>
                                <td><When stamp=t.created/></td>
                                <td><MaybeWhen stamp=t.last_used none="never"/></td>
                                <td><MaybeWhen stamp=t.expires none="never"/></td>
                                <td>{if t.token.revoked_at.is_some() {
                                    view! { <span class="hint">"revoked"</span> }.into_any()
                                } else {
                                    view! {
                                        {(!t.usable).then(|| view! { <span class="hint">"expired "</span> })}
                                        <ActionForm action=revoke attr:class="inline">
                                            <input type="hidden" name="id" value=t.token.id/>
                                            <button type="submit" class="button small danger">{format!("Revoke {}", t.token.name)}</button>
                                        </ActionForm>
                                    }.into_any()
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
pub fn NewTokenForm(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <h3>"New API token"</h3>
        <ActionForm action=create attr:class="grid-form" attr:aria-label="Create an API token">
            <FormError error=err/>
            <label for="token-name">"Name"</label>
            <input id="token-name" name="name" required maxlength="80" placeholder="CI deploys" value=typed(err, "name")/>
            <FieldError error=err field="name"/>
            <label for="token-scope">"Scope"</label>
            <select id="token-scope" name="scope">
                <option value="read" selected=move || typed(err, "scope")() != "write">"Read only"</option>
                <option value="write" selected=move || typed(err, "scope")() == "write">"Read and write"</option>
            </select>
            <FieldError error=err field="scope"/>
            <label for="token-expires">"Expires after (optional)"</label>
            <input id="token-expires" name="expires_at" type="date" value=typed(err, "expires_at")/>
            <FieldError error=err field="expires_at"/>
            <button type="submit" class="button">"Create token"</button>
        </ActionForm>
    }
}

#[component]
pub fn SessionTable(sign_ins: Vec<SignInRow>, end: ServerAction<EndOtherSessions>) -> impl IntoView {
    let others = sign_ins.iter().filter(|s| !s.sign_in.current).count();
    view! {
        <h2>"Your sessions"</h2>
        <p class="hint">"Where you are signed in. A session ends after 14 days unused, and 30 days after signing in."</p>
        <table class="list" data-testid="sessions">
            <thead><tr><th>"Browser"</th><th>"Address"</th><th>"Signed in"</th><th>"Last seen"</th></tr></thead>
            <tbody>
                {sign_ins.into_iter().map(|s| view! {
                    <tr>
                        <td>{s.sign_in.user_agent.clone()}{s.sign_in.current.then(|| view! { " " <strong>"(this one)"</strong> })}</td>
                        <td>{s.sign_in.address.clone().unwrap_or_default()}</td>
                        <td><When stamp=s.started/></td>
                        <td><When stamp=s.last_seen/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(others > 0).then(|| view! {
            <ActionForm action=end attr:class="inline">
                <button type="submit" class="button">{format!("Sign out the other {others}")}</button>
            </ActionForm>
        })}
    }
}
