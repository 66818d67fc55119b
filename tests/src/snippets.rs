//! Code blocks of the README, so the suite runs exactly what the README
//! shows (the origin-side signature checks).

/// The fenced block whose first line starts with `first_line`, without
/// its fences.
///
/// # Panics
/// When the README has no such block: the README and the tests drifted.
#[must_use]
pub fn readme_block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(crate::repo_root().join("README.md")).expect("README.md");
    let start = readme
        .find(&format!("\n{first_line}"))
        .unwrap_or_else(|| panic!("README has no block starting {first_line}"))
        + 1;
    let end = readme[start..]
        .find("\n```")
        .map(|i| start + i)
        .expect("the block ends");
    readme[start..end].to_owned()
}
