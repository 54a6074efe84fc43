use crate::api::auth::{list_users, AddUser, SetUserTeam};
use crate::app::components::{typed, Failure, FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

/// Admins add and see users.
#[component]
pub fn UsersPage() -> impl IntoView {
    let action = ServerAction::<AddUser>::new();
    let set_team = ServerAction::<SetUserTeam>::new();
    let team_err = Signal::derive(move || set_team.value().get().and_then(Result::err));
    let users = Resource::new(move || (action.version().get(), set_team.version().get()), |_| list_users());
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(list) => view! {
                        <FormError error=team_err/>
                        <FieldError error=team_err field="team"/>
                        <table class="list">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Team"</th><th>"Time zone"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| view! {
                                    <tr><td>{u.name.clone()}</td><td>{u.email}</td><td>{u.role.as_str()}</td>
                                        <td>
                                            <ActionForm action=set_team attr:class="inline">
                                                <input type="hidden" name="user_id" value=u.id/>
                                                <label class="visually-hidden" for=format!("team-{}", u.id)>{format!("Team of {}", u.name)}</label>
                                                <input id=format!("team-{}", u.id) name="team" size="12" value=u.team/>
                                                <button type="submit" class="button small">"Set"</button>
                                            </ActionForm>
                                        </td>
                                        <td>{u.time_zone}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
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
                                <option value="member" selected=move || typed(err, "role")() != "admin">"Member"</option>
                                <option value="admin" selected=move || typed(err, "role")() == "admin">"Admin"</option>
                            </select>
                            <label for="team">"Team (optional)"</label>
                            <input id="team" name="team" value=typed(err, "team")/>
                            <FieldError error=err field="team"/>
                            <label for="password">"Initial password"</label>
                            <input id="password" name="password" type="password" required minlength="10"
                                autocomplete="new-password"/>
                            <FieldError error=err field="password"/>
                            <button type="submit" class="button primary">"Add user"</button>
                        </ActionForm>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}
