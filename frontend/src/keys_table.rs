//! The keys table: sortable headers, the select-all box and the rows.

use leptos::prelude::*;

use crate::key_row::KeyRow;
use crate::keys_state::KeysState;

/// `column`'s state in `sort` (`name`, `-name`…), for `aria-sort`.
fn sort_mark(sort: &str, column: &str) -> &'static str {
    match sort.strip_prefix('-') {
        Some(c) if c == column => "descending",
        None if sort == column => "ascending",
        _ => "none",
    }
}

/// The table of `state.keys`.
#[component]
pub fn KeysTable(state: KeysState) -> impl IntoView {
    let filters = state.filters;
    let header = move |column: &'static str, label: &'static str| {
        let mark = move || sort_mark(&filters.get().sort, column);
        let sort_by = move |_| {
            filters.update(|f| {
                f.sort = if f.sort == column {
                    format!("-{column}")
                } else {
                    column.to_owned()
                };
            });
        };
        view! {
            <th scope="col" aria-sort=mark>
                <button class="sort" on:click=sort_by>{label}
                    {move || match mark() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}
                </button>
            </th>
        }
    };
    let all_selected = move || {
        let k = state.keys.get();
        !k.is_empty()
            && state
                .selected
                .with(|s| k.iter().all(|key| s.contains(&key.id)))
    };
    let select_all = move |ev| {
        let on = event_target_checked(&ev);
        let mut all = Vec::new();
        if on {
            // Each once: a key renamed between two pages can be in both.
            for key in state.keys.get_untracked() {
                if !all.contains(&key.id) {
                    all.push(key.id);
                }
            }
        }
        state.selected.set(all);
    };
    view! {
        <div class="table-wrap">
            <table id="keys-table" aria-busy=move || state.loading.get().to_string()>
                <thead>
                    <tr>
                        <th scope="col">
                            <input type="checkbox" id="select-all" aria-label="Select all keys on this page"
                                prop:checked=all_selected on:change=select_all />
                        </th>
                        {header("name", "Name")}
                        <th scope="col">"Organization"</th>
                        <th scope="col">"Roles"</th>
                        <th scope="col">"Status"</th>
                        {header("expires_at", "Expires")}
                        {header("created_at", "Created")}
                        {header("last_used_at", "Last used")}
                        <th scope="col">"Key"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {move || state.keys.get().into_iter().map(|key| view! { <KeyRow key=key state=state /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::sort_mark;

    #[test]
    fn sort_marks() {
        assert_eq!(sort_mark("name", "name"), "ascending");
        assert_eq!(sort_mark("-name", "name"), "descending");
        assert_eq!(sort_mark("-name_x", "name"), "none");
        assert_eq!(sort_mark("created_at", "name"), "none");
    }
}
