//! A key's last 30 days of use (§9) as an inline SVG bar chart drawn by
//! the app: one bar per day, valid verifications below and refused ones
//! stacked on top, each bar titled with its day and counts by code.

use keygate_shared::api::{UsageDay, UsageReport};
use keygate_shared::KeyId;
use leptos::prelude::*;

use crate::session::Session;

/// Days shown.
const DAYS: u32 = 30;
const WIDTH: u64 = 600;
const HEIGHT: u64 = 120;

fn rejected(day: &UsageDay) -> u64 {
    day.rejected.values().sum()
}

fn title(day: &UsageDay) -> String {
    let mut parts = vec![format!("{}: {} valid", day.date, day.valid)];
    parts.extend(day.rejected.iter().map(|(code, n)| format!("{n} {code}")));
    parts.join(", ")
}

/// The chart of `report`: integer coordinates in a 600 × 120 view box
/// (no float formatting in the app).
fn chart(report: &UsageReport) -> impl IntoView {
    let peak = report
        .days
        .iter()
        .map(|d| d.valid + rejected(d))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / (report.days.len() as u64).max(1);
    let (valid, refused) = report
        .days
        .iter()
        .fold((0, 0), |(v, r), d| (v + d.valid, r + rejected(d)));
    let mut codes: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for day in &report.days {
        for (code, n) in &day.rejected {
            *codes.entry(code.as_str()).or_insert(0) += n;
        }
    }
    let refused_by_code = codes
        .iter()
        .map(|(c, n)| format!("{n} {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let summary =
        format!("{valid} valid and {refused} refused verifications in the last {DAYS} days");
    let bars = report
        .days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let x = i as u64 * slot + 1;
            let w = slot.saturating_sub(2).max(1);
            let hv = day.valid * HEIGHT / peak;
            let hr = rejected(day) * HEIGHT / peak;
            view! {
                <g class="day" data-date=day.date.clone()>
                    <title>{title(day)}</title>
                    <rect class="valid" x=x.to_string() y=(HEIGHT - hv).to_string() width=w.to_string() height=hv.to_string() />
                    <rect class="rejected" x=x.to_string() y=(HEIGHT - hv - hr).to_string() width=w.to_string() height=hr.to_string() />
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
                    <span class="sub" id="usage-codes">{format!(" (refused: {refused_by_code})")}</span>
                })}
            </figcaption>
        </figure>
    }
}

/// The last 30 days of key `id`.
#[component]
pub fn UsageChart(id: KeyId) -> impl IntoView {
    let session = Session::get();
    let usage = RwSignal::new(None::<Result<UsageReport, String>>);
    leptos::task::spawn_local(async move {
        let answer = crate::api::usage(&session.token(), id.as_str(), DAYS).await;
        usage.set(Some(answer.map_err(|f| session.message_for(&f))));
    });
    move || match usage.get() {
        None => view! { <p class="sub">"Loading usage…"</p> }.into_any(),
        Some(Ok(report)) => chart(&report).into_any(),
        Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
    }
}
