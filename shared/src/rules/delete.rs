//! Deleting keys (§4): an Administrator deletes keys of its subtree, one
//! or up to 1,000 at once; a bulk delete names each id once, in the order
//! given, and reports ids it does not find (or may not see) as not found.

use crate::api::{BulkDeleteRequest, MAX_BULK_IDS};
use crate::error::ApiError;

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
