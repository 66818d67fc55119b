//! One row of the keys table (a card below 640 px).

use keygate_shared::KeyView;
use leptos::prelude::*;

use crate::format;
use crate::keys_state::KeysState;
use crate::session::Session;

/// The row of `key`.
#[component]
pub fn KeyRow(key: KeyView, state: KeysState) -> impl IntoView {
    let session = Session::get();
    let k = key;
    let id = k.id.clone();
    let checked = {
        let id = id.clone();
        move || state.selected.with(|s| s.contains(&id))
    };
    let toggle = {
        let id = id.clone();
        move |ev| {
            let on = event_target_checked(&ev);
            let id = id.clone();
            state.selected.update(|s| {
                s.retain(|other| *other != id);
                if on {
                    s.push(id);
                }
            });
        }
    };
    let (row_key, edit_key, roll_key) = (k.clone(), k.clone(), k.clone());
    let del = (k.id.clone(), k.name.clone());
    let soon = format::expires_soon(&k.expires_at);
    view! {
        <tr data-id=id.to_string()>
            <td><input type="checkbox" aria-label=format!("Select {}", k.name) prop:checked=checked on:change=toggle /></td>
            <td class="name" data-label="Name"><button class="link" on:click=move |_| state.details.set(Some(row_key.clone()))>{k.name.clone()}</button></td>
            // The group, when there is one, on a muted second line.
            <td class="org" data-label="Organization">{if k.organization.is_empty() { "(root)".to_owned() } else { k.organization.to_string() }}
                {k.group.clone().map(|g| view! { <span class="sub group" title="Group">{g}</span> })}
            </td>
            <td class="roles" data-label="Roles">{keygate_shared::ids::join_roles(&k.roles, ", ")}</td>
            <td data-label="Status"><span class=format!("badge {}", k.status.as_str())>{k.status.as_str()}</span>
                {k.credits.map(|c| view! { <span class="sub credits nowrap" title="Credits left">{format!("{} credits", c.remaining)}</span> })}
                {k.rolled_to.as_ref().map(|to| view! { <span class="sub rolled nowrap" title=format!("Rolled to {to}")>"rolled"</span> })}
            </td>
            // Dates on one line, the relative time on a muted second one.
            <td class="date" class:soon=soon data-label="Expires">{match &k.expires_at {
                Some(at) => view! { <span class="nowrap">{format::date(at)}</span><span class="sub">{format::relative(at)}</span> }.into_any(),
                None => view! { <span>"never"</span> }.into_any(),
            }}</td>
            <td class="date" data-label="Created">
                <span class="nowrap">{format::date(&k.created_at)}</span>
                <span class="sub creator" title=format!("Created by {} ({})", crate::describe::creator(&k), k.created_by)>{crate::describe::creator(&k)}</span>
            </td>
            <td class="date last-used" data-label="Last used">{match &k.last_used_at {
                Some(at) => view! { <span class="nowrap">{format::date(at)}</span><span class="sub">{format::ago(at)}</span> }.into_any(),
                None => view! { <span class="sub">"never"</span> }.into_any(),
            }}</td>
            <td class="mono nowrap" data-label="Key">{k.hint.clone()}</td>
            <td class="row-actions">
                {session.can_write().then(|| view! {
                    <button on:click={ let k = edit_key.clone(); move |_| state.editing.set(Some(k.clone())) }
                        aria-label=format!("Edit {}", edit_key.name) title="Edit"><span aria-hidden="true">"✎"</span></button>
                    // A rolled key is not rolled again (the server says 422):
                    // its successor is the one to roll. `aria-disabled`, not
                    // `disabled`, so the button keeps its focus and its title.
                    <button on:click={ let k = roll_key.clone(); move |_| if k.rolled_to.is_none() { state.rolling.set(Some(k.clone())) } }
                        aria-disabled=roll_key.rolled_to.is_some().to_string()
                        aria-label=format!("Roll {}", roll_key.name)
                        title=if roll_key.rolled_to.is_some() { "Rolled already: roll the newer key of this name" } else { "Roll" }>
                        <span aria-hidden="true">"↻"</span></button>
                    <button class="danger" on:click={ let d = del.clone(); move |_| state.confirming.set(Some(vec![d.clone()])) }
                        aria-label=format!("Delete {}", del.1) title="Delete"><span aria-hidden="true">"✕"</span></button>
                })}
            </td>
        </tr>
    }
}
