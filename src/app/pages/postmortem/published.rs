use crate::api::postmortems::get_publication;
use crate::app::components::{Failure, SeverityBadge};
use crate::domain::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The permanent page of a published write-up: clean, and made to print.
#[component]
pub fn PublishedPage() -> impl IntoView {
    let params = use_params_map();
    let publication = Resource::new(move || params.read().get("reference").unwrap_or_default(), get_publication);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match publication.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(p) => {
                        let e = p.entry;
                        view! {
                            <Title text=format!("{} {}", e.reference, e.title)/>
                            <article class="published" data-testid="published">
                                <p class="ref">{e.reference.clone()}" · " <SeverityBadge severity=e.severity/></p>
                                <h1>{e.title.clone()}</h1>
                                <p class="hint">
                                    {format!("Published {} by {}", format_utc(e.published_at), e.published_by)}
                                    {(e.revision > 1).then(|| format!(" · revision {}", e.revision))}
                                    " · " <a href=format!("/incidents/{}/postmortem.md", e.reference) download>"Markdown"</a>
                                </p>
                                {e.override_reason.clone().map(|r| view! {
                                    <p class="notice" data-testid="override-reason">
                                        <strong>"Published without an independent review. "</strong>
                                        {format!("{}: {r}", e.published_by)}
                                    </p>
                                })}
                                // Rendered and sanitised (pulldown-cmark + ammonia) when it was published.
                                <div class="md" inner_html=p.html></div>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
