//! Rate limit and credits inputs (§9), shared by the create and edit
//! dialogs, checked as typed with the worker's own rules.

use keygate_shared::usage::{self, Credits, Interval, RateLimit, Refill};
use keygate_shared::KeyView;
use leptos::prelude::*;

/// The inputs' text, as typed.
#[derive(Debug, Clone, Copy)]
pub struct LimitInputs {
    limit: RwSignal<String>,
    period: RwSignal<String>,
    remaining: RwSignal<String>,
    refill_amount: RwSignal<String>,
    refill_interval: RwSignal<String>,
}

/// A whole number as the worker takes it (`108` or `108.0`).
fn number<T: TryFrom<u64>>(raw: &str, what: &str) -> Result<T, String> {
    let raw = raw.trim();
    let whole = raw
        .parse::<u64>()
        .ok()
        .or_else(|| raw.strip_suffix(".0").and_then(|r| r.parse::<u64>().ok()));
    whole
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{what} is a whole number (and not too large)."))
}

impl LimitInputs {
    /// Empty: no rate limit, no credits.
    #[must_use]
    pub fn new() -> Self {
        Self {
            limit: RwSignal::new(String::new()),
            period: RwSignal::new(String::new()),
            remaining: RwSignal::new(String::new()),
            refill_amount: RwSignal::new(String::new()),
            refill_interval: RwSignal::new(String::new()),
        }
    }

    /// Filled from `key`'s limits (credits: what is left now).
    #[must_use]
    pub fn of(key: &KeyView) -> Self {
        let inputs = Self::new();
        if let Some(r) = key.rate_limit {
            inputs.limit.set(r.limit.to_string());
            inputs.period.set(r.period_seconds.to_string());
        }
        if let Some(c) = key.credits {
            inputs.remaining.set(c.remaining.to_string());
            if let Some(refill) = c.refill {
                inputs.refill_amount.set(refill.amount.to_string());
                inputs.refill_interval.set(refill.interval.as_str().into());
            }
        }
        inputs
    }

    /// The rate limit typed (both fields empty: none).
    ///
    /// # Errors
    /// A sentence for the user.
    pub fn rate_limit(&self) -> Result<Option<RateLimit>, String> {
        let (limit, period) = (self.limit.get(), self.period.get());
        if limit.trim().is_empty() && period.trim().is_empty() {
            return Ok(None);
        }
        let r = RateLimit {
            limit: number(&limit, "The limit")?,
            period_seconds: number(&period, "The period")?,
        };
        usage::check_rate_limit(&r).map_err(|e| e.message)?;
        Ok(Some(r))
    }

    /// The credits typed (remaining empty: none).
    ///
    /// # Errors
    /// A sentence for the user.
    pub fn credits(&self) -> Result<Option<Credits>, String> {
        let remaining = self.remaining.get();
        let (amount, interval) = (self.refill_amount.get(), self.refill_interval.get());
        if remaining.trim().is_empty() {
            if amount.trim().is_empty() && interval.is_empty() {
                return Ok(None);
            }
            return Err("Give the credits to start with, or clear the refill.".into());
        }
        let refill = match (amount.trim().is_empty(), interval.parse::<Interval>()) {
            (true, _) if interval.is_empty() => None,
            (false, Ok(interval)) => Some(Refill {
                amount: number(&amount, "The refill")?,
                interval,
            }),
            _ => return Err("A refill needs both an amount and daily or monthly.".into()),
        };
        let c = Credits {
            remaining: number(&remaining, "Credits")?,
            refill,
        };
        usage::check_credits(&c).map_err(|e| e.message)?;
        Ok(Some(c))
    }

    /// Whether either part has an error.
    #[must_use]
    pub fn invalid(&self) -> bool {
        self.rate_limit().is_err() || self.credits().is_err()
    }
}

/// The inputs, with ids under `prefix` (`c` for create, `e` for edit).
#[component]
pub fn LimitFields(inputs: LimitInputs, prefix: &'static str) -> impl IntoView {
    let id = move |name: &str| format!("{prefix}-{name}");
    let text = crate::dialog::text_field;
    let (limit_value, limit_input) = text(inputs.limit);
    let (period_value, period_input) = text(inputs.period);
    let (remaining_value, remaining_input) = text(inputs.remaining);
    let (amount_value, amount_input) = text(inputs.refill_amount);
    view! {
        <fieldset class="limits">
            <legend>"Rate limit (optional)"</legend>
            <label for=id("rl-limit")>"Verifications"</label>
            <input id=id("rl-limit") inputmode="numeric" placeholder="e.g. 100" prop:value=limit_value on:input=limit_input />
            <label for=id("rl-period")>"per seconds"</label>
            <input id=id("rl-period") inputmode="numeric" placeholder="e.g. 60" prop:value=period_value on:input=period_input />
            <p class="error" role="alert" id=id("rl-error")>{move || inputs.rate_limit().err()}</p>
        </fieldset>
        <fieldset class="limits">
            <legend>"Credits (optional)"</legend>
            <label for=id("cr-remaining")>"Credits left"</label>
            <input id=id("cr-remaining") inputmode="numeric" placeholder="e.g. 1000" prop:value=remaining_value on:input=remaining_input />
            <label for=id("cr-amount")>"Refill to"</label>
            <input id=id("cr-amount") inputmode="numeric" placeholder="none" prop:value=amount_value on:input=amount_input />
            <label for=id("cr-interval")>"Refill"</label>
            <select id=id("cr-interval") on:change=move |ev| inputs.refill_interval.set(event_target_value(&ev))>
                <option value="" selected=move || inputs.refill_interval.get().is_empty()>"never"</option>
                <option value="daily" selected=move || inputs.refill_interval.get() == "daily">"daily (00:00 UTC)"</option>
                <option value="monthly" selected=move || inputs.refill_interval.get() == "monthly">"monthly (the 1st)"</option>
            </select>
            <p class="error" role="alert" id=id("cr-error")>{move || inputs.credits().err()}</p>
        </fieldset>
    }
}
