use crate::api::postmortems::list_library;
use crate::app::components::Failure;
use crate::app::components::{PageLinks, SeverityBadge};
use crate::domain::time::format_utc;
use crate::domain::Severity;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Published write-ups, newest first, searchable; filters are a plain GET form.
#[component]
pub fn LibraryPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let entries = Resource::new(
        move || (get("q"), get("severity"), get("service"), get("month"), get("cursor")),
        |(q, sev, svc, m, c)| list_library(q, sev, svc, m, c),
    );
    view! {
        <Title text="Library"/>
        <div class="page-head">
            <h1>"Library"</h1>
            <a href="/library/feed.xml" class="hint">"Atom feed"</a>
        </div>
        <FeedLink/>
        <form method="get" action="/library" class="filters" role="search">
            <label for="q">"Search"</label>
            <input id="q" name="q" type="search" value=move || get("q").unwrap_or_default()/>
            <label for="f-severity">"Severity"</label>
            <select id="f-severity" name="severity">
                <option value="">"Any"</option>
                {Severity::ALL.iter().map(|s| {
                    let v = s.as_str();
                    view! { <option value=v selected=move || get("severity").as_deref() == Some(v)>{v}</option> }
                }).collect_view()}
            </select>
            <label for="service">"Service"</label>
            <input id="service" name="service" value=move || get("service").unwrap_or_default()/>
            <label for="month">"Month"</label>
            <input id="month" name="month" type="month" value=move || get("month").unwrap_or_default()/>
            <button type="submit" class="button">"Find"</button>
        </form>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! { <p class="empty">"No published postmortems match."</p> }.into_any(),
                    Ok(page) => view! {
                        <PageLinks shown=page.items.len() total=page.total next=page.next.clone()/>
                        <ul class="library" data-testid="library">
                            {page.items.into_iter().map(|e| view! {
                                <li>
                                    <a href=e.url.clone()>{format!("{} {}", e.reference, e.title)}</a>" "
                                    <SeverityBadge severity=e.severity/>
                                    <span class="hint">
                                        {format!(" published {} by {}", format_utc(e.published_at), e.published_by)}
                                        {(e.revision > 1).then(|| format!(" (revision {})", e.revision))}
                                        {(!e.services.is_empty()).then(|| format!(" · {}", e.services.join(", ")))}
                                    </span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A feed reader cannot sign in: it gets an address with a feed-only token, shown once.
#[component]
fn FeedLink() -> impl IntoView {
    let make = ServerAction::<crate::api::people::CreateFeedLink>::new();
    let secret = Resource::new(move || make.version().get(), |_| crate::api::people::take_new_secret("feed".into()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                secret.await.ok().flatten().map(|(what, value)| {
                    view! { <crate::app::pages::ShownOnce what value/> }
                })
            })}
        </Suspense>
        <ActionForm action=make attr:class="inline">
            <button type="submit" class="button small">"Make a feed link for a feed reader"</button>
        </ActionForm>
    }
}
