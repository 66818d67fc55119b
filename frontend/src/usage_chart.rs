//! A key's last 30 days of use (§9) as an inline SVG bar chart drawn by
//! the app: one bar per day, valid verifications below and refused ones
//! stacked on top, each bar titled with its day and counts by code.

use keygate_shared::api::{UsageDay, UsageReport};
use keygate_shared::KeyId;
use leptos::prelude::*;

use crate::session::Session;

/// Days shown.
const DAYS: u32 = 30;
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;

fn rejected(day: &UsageDay) -> u64 {
    day.rejected.values().sum()
}

fn title(day: &UsageDay) -> String {
    let mut parts = vec![format!("{}: {} valid", day.date, day.valid)];
    parts.extend(day.rejected.iter().map(|(code, n)| format!("{n} {code}")));
    parts.join(", ")
}

/// The chart of `report`.
fn chart(report: &UsageReport) -> impl IntoView {
    let peak = report
        .days
        .iter()
        .map(|d| d.valid + rejected(d))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / report.days.len().max(1) as f64;
    let (valid, refused) = report
        .days
        .iter()
        .fold((0, 0), |(v, r), d| (v + d.valid, r + rejected(d)));
    let mut codes: Vec<(String, u64)> = Vec::new();
    for day in &report.days {
        for (code, n) in &day.rejected {
            match codes.iter_mut().find(|(c, _)| c == code) {
                Some((_, total)) => *total += n,
                None => codes.push((code.clone(), *n)),
            }
        }
    }
    let summary =
        format!("{valid} valid and {refused} refused verifications in the last {DAYS} days");
    let bars = report
        .days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let x = i as f64 * slot + 1.0;
            let w = (slot - 2.0).max(1.0);
            let hv = day.valid as f64 / peak * HEIGHT;
            let hr = rejected(day) as f64 / peak * HEIGHT;
            view! {
                <g class="day" data-date=day.date.clone()>
                    <title>{title(day)}</title>
                    <rect class="valid" x=format!("{x:.1}") y=format!("{:.1}", HEIGHT - hv) width=format!("{w:.1}") height=format!("{hv:.1}") />
                    <rect class="rejected" x=format!("{x:.1}") y=format!("{:.1}", HEIGHT - hv - hr) width=format!("{w:.1}") height=format!("{hr:.1}") />
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="usage" id="usage-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%" height="120" role="img" aria-label=summary.clone() preserveAspectRatio="none">
                {bars}
            </svg>
            <figcaption>
                <span id="usage-summary">{summary}</span>
                {(!codes.is_empty()).then(|| view! {
                    <span class="sub" id="usage-codes">{format!(" (refused: {})", codes.iter().map(|(c, n)| format!("{n} {c}")).collect::<Vec<_>>().join(", "))}</span>
                })}
            </figcaption>
        </figure>
    }
}

/// The last 30 days of key `id`.
#[component]
pub fn UsageChart(id: KeyId) -> impl IntoView {
    let session = Session::get();
    let usage = LocalResource::new(move || {
        let id = id.clone();
        async move { crate::api::usage(&session.token(), id.as_str(), DAYS).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="sub">"Loading usage…"</p> }>
            {move || usage.get().map(|r| match r {
                Ok(report) => chart(&report).into_any(),
                Err(f) => view! { <p class="error" role="alert">{session.message_for(&f)}</p> }.into_any(),
            })}
        </Suspense>
    }
}
