//! The admins' Users page: add people, set teams and roles, deactivate, hand out reset links, and
//! see everyone's API tokens.

use super::profile::ShownOnce;
use crate::api::auth::{list_users, AddUser, SetUserTeam};
use crate::api::people::{all_tokens, take_new_secret, ChangeUser, CreateResetLink, RevokeApiToken};
use crate::app::components::{typed, Failure, FieldError, FormError};
use crate::domain::{User, UserRole};
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct Actions {
    team: ServerAction<SetUserTeam>,
    change: ServerAction<ChangeUser>,
    reset: ServerAction<CreateResetLink>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let acts = Actions { team: ServerAction::new(), change: ServerAction::new(), reset: ServerAction::new() };
    let revoke = ServerAction::<RevokeApiToken>::new();
    let errs = Signal::derive(move || {
        acts.team.value().get().and_then(Result::err).or_else(|| acts.change.value().get().and_then(Result::err))
    });
    let versions = move || {
        (add.version().get(), acts.team.version().get(), acts.change.version().get(), acts.reset.version().get())
    };
    let query = leptos_router::hooks::use_query_map();
    let q = move || query.read().get("q").filter(|q| !q.is_empty());
    let users = Resource::new(move || (versions(), q()), |(_, q)| list_users(q));
    let secret = Resource::new(move || acts.reset.version().get(), |_| take_new_secret("reset".into()));
    let tokens = Resource::new(move || (versions(), revoke.version().get()), |_| all_tokens());
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let secret = secret.await.ok().flatten();
                match users.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok((list, total)) => view! {
                        {secret.map(|(what, value)| view! { <ShownOnce what value/> })}
                        <form method="get" action="/users" class="filters" role="search">
                            <label for="user-q">"Find people"</label>
                            <input id="user-q" name="q" type="search" placeholder="a name or an email" value=q().unwrap_or_default()/>
                            <button type="submit" class="button">"Find"</button>
                        </form>
                        <p class="hint" data-testid="users-shown">{format!("Showing {} of {total} people", list.len())}</p>
                        <FormError error=errs/>
                        <FieldError error=errs field="team"/>
                        <FieldError error=errs field="active"/>
                        <FieldError error=errs field="role"/>
                        <UserTable list acts/>
                        <AddUserForm action=add/>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                tokens.await.ok().map(|tokens| view! { <super::tokens::TokenTable tokens revoke owners=true/> })
            })}
        </Suspense>
    }
}

#[component]
fn UserTable(list: Vec<User>, acts: Actions) -> impl IntoView {
    view! {
        <table class="list" data-testid="users">
            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Team"</th><th>"Status"</th><th>"Time zone"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|u| view! { <UserRow u acts/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn UserRow(u: User, acts: Actions) -> impl IntoView {
    let role = u.role;
    let (id, name, active) = (u.id, u.name.clone(), u.active);
    let role_label = format!("Role of {name}");
    let team_label = format!("Team of {name}");
    let toggle = format!("{} {name}", if active { "Deactivate" } else { "Reactivate" });
    let reset = format!("Reset link for {name}");
    view! {
        <tr class:inactive=!u.active>
            <td>{u.name.clone()}</td><td>{u.email.clone()}</td>
            <td>
                <ActionForm action=acts.change attr:class="inline">
                    <input type="hidden" name="user_id" value=u.id/>
                    <label class="visually-hidden" for=format!("role-{}", u.id)>{role_label}</label>
                    <select id=format!("role-{}", u.id) name="role">
                        {UserRole::ALL.iter().map(|r| view! {
                            <option value=r.as_str() selected=*r == role>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button small">"Set"</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=acts.team attr:class="inline">
                    <input type="hidden" name="user_id" value=u.id/>
                    <label class="visually-hidden" for=format!("team-{}", u.id)>{team_label}</label>
                    <input id=format!("team-{}", u.id) name="team" size="12" value=u.team.clone()/>
                    <button type="submit" class="button small">"Set"</button>
                </ActionForm>
            </td>
            <td>
                {if u.active { "Active" } else { "Deactivated" }}
                <ActionForm action=acts.change attr:class="inline">
                    <input type="hidden" name="user_id" value=u.id/>
                    <input type="hidden" name="active" value=if u.active { "false" } else { "true" }/>
                    <button type="submit" class="button small">
                        {toggle}
                    </button>
                </ActionForm>
                {active.then(|| view! {
                    <ActionForm action=acts.reset attr:class="inline">
                        <input type="hidden" name="user_id" value=id/>
                        <button type="submit" class="button small">{reset}</button>
                    </ActionForm>
                })}
            </td>
            <td>{u.time_zone.clone()}</td>
        </tr>
    }
}

#[component]
fn AddUserForm(action: ServerAction<AddUser>) -> impl IntoView {
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <h2>"Add a user"</h2>
        <ActionForm action attr:class="grid-form">
            <FormError error=err/>
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" required value=typed(err, "email")/>
            <FieldError error=err field="email"/>
            <label for="name">"Name"</label>
            <input id="name" name="name" required value=typed(err, "name")/>
            <FieldError error=err field="name"/>
            <label for="role">"Role"</label>
            <select id="role" name="role">
                {UserRole::ALL.iter().map(|r| view! {
                    <option value=r.as_str() selected=move || {
                        let t = typed(err, "role")();
                        if t.is_empty() { *r == UserRole::Member } else { t == r.as_str() }
                    }>{r.as_str()}</option>
                }).collect_view()}
            </select>
            <FieldError error=err field="role"/>
            <label for="team">"Team (optional)"</label>
            <input id="team" name="team" value=typed(err, "team")/>
            <FieldError error=err field="team"/>
            <label for="password">"Initial password"</label>
            <input id="password" name="password" type="password" required minlength="12"
                autocomplete="new-password"/>
            <FieldError error=err field="password"/>
            <button type="submit" class="button primary">"Add user"</button>
        </ActionForm>
    }
}
