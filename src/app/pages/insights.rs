//! `/insights`: durations as distributions with their sample sizes, incidents per week, and how the
//! follow-ups did. Charts are SVG drawn on the server, each with its numbers in a table beneath.

use crate::api::insights::insights;
use crate::app::components::{set_status, Failure, FieldError};
use crate::domain::insights::{human, Figure, FollowUps, InsightsView, Metric, MetricView, MIN_SAMPLE};
use crate::domain::Severity;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

#[component]
pub fn InsightsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &str| query.read().get(k).filter(|s| !s.is_empty());
    let filters = move || [q("from"), q("to"), q("severity"), q("service"), q("team")];
    let data =
        Resource::new(filters, |[from, to, severity, service, team]| insights(from, to, severity, service, team));
    view! {
        <Title text="Insights"/>
        <h1>"Insights"</h1>
        <p class="hint">"Medians and 90th percentiles rather than averages, with how many incidents stand behind each figure. Incidents declined from triage are left out."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <InsightsFilters error=None/><Figures v=v/> }.into_any(),
                    Err(e @ AppError::Invalid { .. }) => {
                        set_status(422);
                        view! { <InsightsFilters error=Some(e)/> }.into_any()
                    }
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Definitions/>
    }
}

/// A plain GET form: what was typed stays in the fields, each refusal beside its field.
#[component]
fn InsightsFilters(error: Option<AppError>) -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &'static str| query.read().get(k).unwrap_or_default();
    let error = Signal::derive(move || error.clone());
    view! {
        <form method="get" action="/insights" class="filters wrap" aria-label="Choose the period and incidents">
            <label>"From "<input name="from" type="date" value=q("from")/></label>
            <FieldError error field="from"/>
            <label>"To "<input name="to" type="date" value=q("to")/></label>
            <FieldError error field="to"/>
            <label>"Severity "<select name="severity">
                <option value="">"Any"</option>
                {Severity::ALL.iter().map(|s| view! {
                    <option value=s.as_str() selected=move || q("severity") == s.as_str()>{s.as_str()}</option>
                }).collect_view()}
            </select></label>
            <FieldError error field="severity"/>
            <label>"Service "<input name="service" size="14" value=q("service")/></label>
            <FieldError error field="service"/>
            <label>"Team "<input name="team" size="14" value=q("team")/></label>
            <FieldError error field="team"/>
            <button type="submit" class="button">"Show"</button>
        </form>
    }
    .into_any()
}

#[component]
fn Figures(v: InsightsView) -> impl IntoView {
    let location = use_location();
    let search = move || location.search.get();
    let p = v.period.clone();
    view! {
        <p data-testid="insights-period">
            {format!("{} {} whose impact started from {} to {} (UTC)", v.counted, if v.counted == 1 { "incident" } else { "incidents" }, p.from, p.to)}
        </p>
        <p class="downloads">
            "Download: "<a href=move || format!("/insights.csv?{}", search()) download="">"figures (CSV)"</a>", "
            <a href=move || format!("/insights.csv?rows=incidents&{}", search()) download="">"incidents (CSV)"</a>", "
            <a href=move || format!("/insights.json?{}", search())>"everything (JSON)"</a>
        </p>
        {v.metrics.into_iter().map(|m| view! { <MetricSection m=m/> }).collect_view()}
        <Weekly chart=v.weekly_chart weeks=v.weekly/>
        <FollowUpsSection f=v.follow_ups/>
    }.into_any()
}

#[component]
fn MetricSection(m: MetricView) -> impl IntoView {
    let id = m.metric.as_str();
    let chart = m.chart.clone();
    view! {
        <section class="insight" id=id data-testid=format!("metric-{id}")>
            <h2>{m.metric.label()}</h2>
            <p class="hint">{m.metric.definition()}</p>
            {match chart {
                Some(svg) => view! {
                    <figure class="chart" role="img" aria-label=format!("{} by severity: box plot", m.metric.label())>
                        <div inner_html=svg></div>
                        <figcaption>"Box: the middle half of incidents; bar: the median; whiskers: 10th to 90th percentile."</figcaption>
                    </figure>
                }.into_any(),
                None => view! { <p class="empty">{format!("No group has {MIN_SAMPLE} incidents with this measure yet, so there is no chart.")}</p> }.into_any(),
            }}
            <FigureTable figures=m.figures/>
        </section>
    }.into_any()
}

#[component]
fn FigureTable(figures: Vec<Figure>) -> impl IntoView {
    let rows = figures.into_iter().map(|f| {
        let (kind, name) = f.group.split_once(':').unwrap_or(("", "All incidents"));
        let few = f.count < MIN_SAMPLE;
        let cell = move |v: Option<f64>| v.map(human).unwrap_or_else(|| "—".into());
        view! {
            <tr>
                <td>{kind.to_string()}</td><td>{name.to_string()}</td><td class="num">{f.count}</td>
                {if few {
                    view! { <td colspan="2" class="few">{format!("fewer than {MIN_SAMPLE} incidents: no percentile")}</td> }.into_any()
                } else {
                    view! { <td class="num">{cell(f.median_s)}</td><td class="num">{cell(f.p90_s)}</td> }.into_any()
                }}
            </tr>
        }
    });
    view! {
        <div class="table-scroll">
            <table class="list figures">
                <thead><tr><th>"Group"</th><th></th><th>"Incidents"</th><th>"Median"</th><th>"90th percentile"</th></tr></thead>
                <tbody>{rows.collect_view()}</tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
fn Weekly(chart: String, weeks: Vec<(chrono::NaiveDate, Vec<usize>)>) -> impl IntoView {
    view! {
        <section class="insight" data-testid="per-week">
            <h2>"Incidents per week"</h2>
            <figure class="chart" role="img" aria-label="Incidents per week by severity: line chart">
                <div inner_html=chart></div>
            </figure>
            <details>
                <summary>"The numbers, week by week"</summary>
                <div class="table-scroll">
                    <table class="list">
                        <thead><tr><th>"Week of"</th>{Severity::ALL.iter().map(|s| view! { <th>{s.as_str()}</th> }).collect_view()}</tr></thead>
                        <tbody>
                            {weeks.into_iter().map(|(w, c)| view! {
                                <tr><td>{w.to_string()}</td>{c.into_iter().map(|n| view! { <td class="num">{n}</td> }).collect_view()}</tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>
    }.into_any()
}

#[component]
fn FollowUpsSection(f: FollowUps) -> impl IntoView {
    let rate = f.completion_rate.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into());
    let median = f.overdue_median_days.map(|d| format!("{d:.0} days")).unwrap_or_else(|| "—".into());
    let oldest = f.overdue_oldest_days.map(|d| format!("{d} days")).unwrap_or_else(|| "—".into());
    view! {
        <section class="insight" data-testid="follow-ups">
            <h2>"Follow-ups"</h2>
            <dl class="counts">
                <dt>"Action items"</dt><dd>{f.total}</dd>
                <dt>"Completed"</dt><dd>{format!("{rate} ({} done, {} won't do)", f.done, f.wont_do)}</dd>
                <dt>"Overdue"</dt><dd>{format!("{} (median {median} past due, oldest {oldest})", f.overdue)}</dd>
            </dl>
            <h3>"Did they work?"</h3>
            <Effect rows=f.effectiveness/>
            <h3>{format!("Waiting for an answer ({})", f.awaiting_count)}</h3>
            {if f.awaiting.is_empty() {
                view! { <p class="empty">"No check-back is waiting."</p> }.into_any()
            } else {
                view! { <ul>{f.awaiting.into_iter().map(|a| view! {
                    <li><a href=format!("/actions/{}", a.id)>{a.title}</a>{format!(" ({}, {}, check back on {})", a.incident, a.owner, a.check_back_on)}</li>
                }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }.into_any()
}

#[component]
fn Effect(rows: Vec<crate::domain::insights::Effectiveness>) -> impl IntoView {
    let rows: Vec<_> = rows.into_iter().filter(|r| r.worked + r.did_not_work + r.unclear > 0).collect();
    if rows.is_empty() {
        return view! { <p class="empty">"No check-back has been answered yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="list" data-testid="effectiveness">
                <thead><tr><th>"Group"</th><th></th><th>"Worked"</th><th>"Did not work"</th><th>"Unclear"</th></tr></thead>
                <tbody>{rows.into_iter().map(|r| {
                    let (kind, name) = r.group.split_once(':').unwrap_or(("", ""));
                    let name = if name.is_empty() { "(no team)".to_string() } else { name.to_string() };
                    view! { <tr><td>{kind.to_string()}</td><td>{name}</td><td class="num">{r.worked}</td><td class="num">{r.did_not_work}</td><td class="num">{r.unclear}</td></tr> }
                }).collect_view()}</tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
fn Definitions() -> impl IntoView {
    view! {
        <section class="insight" id="definitions">
            <h2>"How these are counted"</h2>
            <ul class="hint">
                <li>"An incident counts in the period when its impact started in it (UTC days, both ends included). Incidents declined from triage, or still in triage, are left out. Private incidents count only for the people who may see them."</li>
                {Metric::ALL.iter().map(|m| view! { <li><strong>{m.label()}</strong>": "{m.definition()}" A pair out of order is left out."</li> }).collect_view()}
                <li>"Each moment is the one on the incident page: set from the evidence, or corrected by hand with a reason."</li>
                <li>{format!("Median and 90th percentile interpolate between the two nearest incidents (as spreadsheets and Postgres's percentile_cont do). A group of fewer than {MIN_SAMPLE} incidents shows its count only.")}</li>
                <li>"Completed: done ÷ (all − won't do). Overdue: open or in progress past the due date, counted today."</li>
                <li>"Did they work: the answered \u{201c}did it work?\u{201d} check-backs, by action type and by the owner's team. Waiting: done items whose check-back date has come with no answer."</li>
            </ul>
        </section>
    }.into_any()
}
