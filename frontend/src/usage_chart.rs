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

// Saturating throughout: the counts come from the server, and no
// number in an answer may wrap the chart's arithmetic.
fn rejected(day: &UsageDay) -> u64 {
    day.rejected.values().fold(0, |a, n| a.saturating_add(*n))
}

/// `n` out of `peak` as a bar height in the view box.
fn scaled(n: u64, peak: u64) -> u64 {
    u64::try_from(u128::from(n) * u128::from(HEIGHT) / u128::from(peak.max(1))).unwrap_or(HEIGHT)
}

fn title(day: &UsageDay) -> String {
    let mut parts = vec![format!("{}: {} valid", day.date, day.valid)];
    parts.extend(day.rejected.iter().map(|(code, n)| format!("{n} {code}")));
    parts.join(", ")
}

/// `text` with the characters that mean something in markup escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The bars as SVG markup: one `<g>` per day with its title and two
/// rects. Written as text (every value from the server escaped) because
/// a typed view of five elements and ten attributes per day was 9 KB of
/// wasm for this one chart.
fn bars_markup(report: &UsageReport, peak: u64, slot: u64) -> String {
    let w = slot.saturating_sub(2).max(1);
    let mut out = String::new();
    for (i, day) in report.days.iter().enumerate() {
        let x = i as u64 * slot + 1;
        let hv = scaled(day.valid, peak);
        let hr = scaled(rejected(day), peak);
        out.push_str(&format!(
            "<g class=\"day\" data-date=\"{}\"><title>{}</title>\
             <rect class=\"valid\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{hv}\"/>\
             <rect class=\"rejected\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{hr}\"/></g>",
            escaped(&day.date),
            escaped(&title(day)),
            HEIGHT.saturating_sub(hv),
            HEIGHT.saturating_sub(hv + hr),
        ));
    }
    out
}

/// Refusals over all days by code, in code order: a sorted `Vec` kept by
/// hand, as a `BTreeMap` of its own type would add its code for this.
fn refused_by_code(report: &UsageReport) -> Vec<(&str, u64)> {
    let mut codes: Vec<(&str, u64)> = Vec::new();
    for day in &report.days {
        for (code, n) in &day.rejected {
            match codes.iter().position(|(c, _)| *c >= code.as_str()) {
                Some(i) if codes[i].0 == code => codes[i].1 = codes[i].1.saturating_add(*n),
                Some(i) => codes.insert(i, (code, *n)),
                None => codes.push((code, *n)),
            }
        }
    }
    codes
}

/// The chart of `report`: integer coordinates in a 600 × 120 view box
/// (no float formatting in the app).
fn chart(report: &UsageReport) -> impl IntoView {
    let peak = report
        .days
        .iter()
        .map(|d| d.valid.saturating_add(rejected(d)))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / (report.days.len() as u64).max(1);
    let (valid, refused) = report.days.iter().fold((0u64, 0u64), |(v, r), d| {
        (v.saturating_add(d.valid), r.saturating_add(rejected(d)))
    });
    let codes = refused_by_code(report);
    let refused_text = codes
        .iter()
        .map(|(c, n)| format!("{n} {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let summary =
        format!("{valid} valid and {refused} refused verifications in the last {DAYS} days");
    let bars = bars_markup(report, peak, slot);
    view! {
        <figure class="usage" id="usage-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%" height="120" role="img" aria-label=summary.clone() preserveAspectRatio="none"
                inner_html=bars />
            <figcaption>
                <span id="usage-summary">{summary}</span>
                {(!codes.is_empty()).then(|| view! {
                    <span class="sub" id="usage-codes">{format!(" (refused: {refused_text})")}</span>
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, valid: u64, rejected: &[(&str, u64)]) -> UsageDay {
        UsageDay {
            date: date.to_owned(),
            valid,
            rejected: rejected
                .iter()
                .map(|(c, n)| ((*c).to_owned(), *n))
                .collect(),
        }
    }

    #[test]
    fn refusals_are_summed_by_code_in_code_order() {
        let report = UsageReport {
            days: vec![
                day(
                    "2026-12-01",
                    1,
                    &[("KEY_EXPIRED", 1), ("USAGE_EXCEEDED", 2)],
                ),
                day("2026-12-02", 0, &[]),
                day(
                    "2026-12-03",
                    0,
                    &[("ROLE_REQUIRED", 4), ("USAGE_EXCEEDED", 3)],
                ),
                day("2026-12-04", 0, &[("A_FIRST", 1), ("KEY_EXPIRED", 5)]),
            ],
        };
        assert_eq!(
            refused_by_code(&report),
            [
                ("A_FIRST", 1),
                ("KEY_EXPIRED", 6),
                ("ROLE_REQUIRED", 4),
                ("USAGE_EXCEEDED", 5)
            ]
        );
        assert!(refused_by_code(&UsageReport { days: vec![] }).is_empty());
    }

    #[test]
    fn bars_are_scaled_and_escaped() {
        let report = UsageReport {
            days: vec![
                day("2026-12-01", 3, &[("KEY_EXPIRED", 1)]),
                day("<x>&\"'", 0, &[]),
            ],
        };
        let svg = bars_markup(&report, 4, 300);
        assert!(svg.starts_with(
            "<g class=\"day\" data-date=\"2026-12-01\"><title>2026-12-01: 3 valid, 1 KEY_EXPIRED</title>\
             <rect class=\"valid\" x=\"1\" y=\"30\" width=\"298\" height=\"90\"/>\
             <rect class=\"rejected\" x=\"1\" y=\"0\" width=\"298\" height=\"30\"/></g>"
        ));
        assert!(svg.contains("data-date=\"&lt;x&gt;&amp;&quot;&#39;\"><title>&lt;x&gt;&amp;&quot;&#39;: 0 valid</title>"));
        assert!(!svg.contains("<x>"));
        assert_eq!(svg.matches("<g ").count(), 2);
    }

    #[test]
    fn counts_near_the_top_of_u64_do_not_wrap() {
        let report = UsageReport {
            days: vec![day("2026-12-01", u64::MAX, &[("A", u64::MAX), ("B", 1)])],
        };
        assert_eq!(rejected(&report.days[0]), u64::MAX);
        let svg = bars_markup(&report, u64::MAX, 600);
        assert!(svg.contains(r#"y="0" width="598" height="120"/>"#), "{svg}");
        assert_eq!(
            svg.matches(r#"y="0""#).count(),
            2,
            "no wrapped coordinate: {svg}"
        );
        assert_eq!(refused_by_code(&report), [("A", u64::MAX), ("B", 1)]);
    }
}
