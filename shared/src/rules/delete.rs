//! Deleting keys (§4): an Administrator deletes keys of its subtree, one
//! or up to 1,000 at once; a bulk delete names each id once, in the order
//! given, and reports ids it does not find (or may not see) as not found.

use super::caller::Caller;
use crate::api::{BulkDeleteRequest, MAX_BULK_IDS};
use crate::error::ApiError;
use crate::ids::Organization;

/// Whether `caller` sees a stored key of `organization` (`None`: its
/// record is unreadable, which counts as the root's: only a root caller
/// sees it, so that it can be deleted).
#[must_use]
pub fn sees_entry(caller: &Caller, organization: Option<&Organization>) -> bool {
    organization.map_or(caller.organization.is_root(), |o| caller.sees(o))
}

/// Whether `caller` may delete a stored key of `organization`: an
/// Administrator who sees it.
#[must_use]
pub fn may_delete(caller: &Caller, organization: Option<&Organization>) -> bool {
    caller.can_write && sees_entry(caller, organization)
}

/// The ids a bulk delete removes, without repeats, in the order given.
///
/// # Errors
/// `INVALID_FIELD` on `ids` when missing, empty or over 1,000.
pub fn bulk_ids(body: &BulkDeleteRequest) -> Result<Vec<String>, ApiError> {
    let ids = body
        .ids
        .as_ref()
        .ok_or_else(|| ApiError::invalid("ids", "ids is a list of key ids."))?;
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(ApiError::invalid(
            "ids",
            format!("ids holds 1 to {MAX_BULK_IDS} key ids."),
        ));
    }
    let mut once: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !once.contains(id) {
            once.push(id.clone());
        }
    }
    Ok(once)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::caller::tests::caller;

    #[test]
    fn administrators_delete_what_they_see_and_unreadable_keys_are_roots() {
        let (acme, emea, other) = (
            "acme".parse().unwrap(),
            "acme/emea".parse().unwrap(),
            "other".parse().unwrap(),
        );
        let admin = caller("acme", true);
        assert!(may_delete(&admin, Some(&acme)) && may_delete(&admin, Some(&emea)));
        assert!(!may_delete(&admin, Some(&other)));
        assert!(!may_delete(&admin, None), "an unreadable key is the root's");
        assert!(may_delete(&caller("", true), None));
        assert!(
            !may_delete(&caller("acme", false), Some(&acme)),
            "Readers delete nothing"
        );
        assert!(sees_entry(&caller("acme", false), Some(&acme)));
    }

    #[test]
    fn ids_once_in_order_and_bounded() {
        let body = |ids: Option<Vec<&str>>| BulkDeleteRequest {
            ids: ids.map(|v| v.into_iter().map(str::to_owned).collect()),
        };
        assert_eq!(
            bulk_ids(&body(Some(vec!["b", "a", "b"]))).unwrap(),
            ["b", "a"]
        );
        for bad in [None, Some(vec![]), Some(vec!["x"; MAX_BULK_IDS + 1])] {
            assert_eq!(
                bulk_ids(&body(bad)).unwrap_err().field.as_deref(),
                Some("ids")
            );
        }
    }
}
