//! What every dialog does: take focus when it opens, keep Tab inside it,
//! close on Escape (where closing needs no confirmation), and give focus
//! back to the control that opened it when it closes.

use std::cell::RefCell;

use leptos::html::ElementType;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// What Tab can reach inside a dialog.
/// Hidden controls (a "Load more" with nothing left) are not reachable.
const FOCUSABLE: &str = "a[href]:not([hidden]), button:not([disabled]):not([hidden]), input:not([disabled]):not([hidden]), select:not([disabled]):not([hidden]), textarea:not([disabled]):not([hidden]), [tabindex]:not([tabindex='-1']):not([hidden])";

thread_local! {
    /// The control outside any dialog that opened the current one: a
    /// dialog opened from another (the token after create) hands focus
    /// back to the first one's opener.
    static OPENER: RefCell<Option<HtmlElement>> = const { RefCell::new(None) };
}

fn active_element() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}

/// The control to return to: the focused one, unless it is inside a
/// dialog (then the opener of that dialog).
fn remember_opener() -> Option<HtmlElement> {
    let active = active_element()?;
    let in_dialog = active.closest(".backdrop").ok().flatten().is_some();
    if in_dialog {
        OPENER.with_borrow(Clone::clone)
    } else {
        let el = active.dyn_into::<HtmlElement>().ok()?;
        OPENER.with_borrow_mut(|o| *o = Some(el.clone()));
        Some(el)
    }
}

/// Focuses the element behind `node` once it is in the page, and gives
/// focus back to the opener when the dialog goes.
pub fn focus_when_mounted<E>(node: NodeRef<E>)
where
    E: ElementType + 'static,
    E::Output: JsCast + Clone + 'static,
{
    // Only this reader is per element type: the effect is compiled once.
    focus_on_mount(Box::new(move || {
        node.get().map(|el| el.unchecked_into::<HtmlElement>())
    }));
}

fn focus_on_mount(element: Box<dyn Fn() -> Option<HtmlElement>>) {
    let opener = SendWrapper::new(remember_opener());
    on_cleanup(move || {
        if let Some(el) = opener.take() {
            if el.is_connected() {
                let _ = el.focus();
            }
        }
    });
    Effect::new(move |_| {
        if let Some(el) = element() {
            let _ = el.focus();
        }
    });
}

/// Tab and Shift+Tab cycle through the dialog's controls (the page
/// behind it is not reachable while it is open).
pub fn keep_tab_inside(ev: &leptos::ev::KeyboardEvent) {
    if ev.key() != "Tab" {
        return;
    }
    let Some(backdrop) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<Element>().ok())
    else {
        return;
    };
    let Ok(list) = backdrop.query_selector_all(FOCUSABLE) else {
        return;
    };
    let controls: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        ev.prevent_default();
        return;
    };
    let active = active_element();
    let is = |el: &HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<Element>())
    };
    let inside = active.as_ref().is_some_and(|a| backdrop.contains(Some(a)));
    if ev.shift_key() && (is(first) || !inside) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && (is(last) || !inside) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// The keydown handler of a dialog that closes on Escape.
pub fn close_on_escape(close: impl Fn() + 'static) -> impl Fn(leptos::ev::KeyboardEvent) + 'static {
    move |ev| {
        if ev.key() == "Escape" {
            close();
        } else {
            keep_tab_inside(&ev);
        }
    }
}

/// A text field's two halves for `signal`: `prop:value` and `on:input`.
/// Every field shares these two closure types, so the view code for
/// them is compiled once rather than once per field (Leptos's
/// `bind:value` was 2.9 KB gzip larger across the app: BENCHMARKS.md).
pub fn text_field(
    signal: RwSignal<String>,
) -> (
    impl Fn() -> String + Copy + Send + 'static,
    impl Fn(leptos::ev::Event) + Copy + Send + 'static,
) {
    (
        move || signal.get(),
        move |ev: leptos::ev::Event| signal.set(event_target_value(&ev)),
    )
}
