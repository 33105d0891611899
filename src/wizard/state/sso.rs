//! Single sign-on's per-forest entries ([`SsoEntry`]): the administrator typed for each
//! forest (in memory only) or the forest skipped.

use super::Draft;
use crate::secret::Secret;

/// What was entered for one forest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoEntry {
    /// A domain administrator (`CONTOSO\admin`).
    pub account: String,
    /// Their password.
    pub password: Secret,
    /// Leave this forest without single sign-on.
    pub skip: bool,
}

/// The entry of a forest (empty when nothing was typed).
pub fn entry<'a>(draft: &'a Draft, forest: &str) -> std::borrow::Cow<'a, SsoEntry> {
    draft.sso.get(forest).map_or_else(
        || std::borrow::Cow::Owned(SsoEntry::default()),
        std::borrow::Cow::Borrowed,
    )
}
