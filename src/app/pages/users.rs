use crate::api::auth::{list_users, AddUser};
use crate::app::components::{typed, Failure, FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

/// Admins add and see users.
#[component]
pub fn UsersPage() -> impl IntoView {
    let action = ServerAction::<AddUser>::new();
    let users = Resource::new(move || action.version().get(), |_| list_users());
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(list) => view! {
                        <table class="list">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Team"</th><th>"Time zone"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| view! {
                                    <tr><td>{u.name}</td><td>{u.email}</td><td>{u.role.as_str()}</td><td>{u.team}</td><td>{u.time_zone}</td></tr>
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
