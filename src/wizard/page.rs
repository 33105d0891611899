//! The registry of wizard pages: their ids, the fields and messages each one owns, and the
//! order they come in (a pure function of the draft).

use super::Draft;

/// One page of the wizard. Adding a variant makes every exhaustive `match` over pages fail to
/// compile until the new page has its validator, its words and its view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageId {
    /// Licence acceptance.
    Welcome,
}

impl PageId {
    /// Every page, in registry order.
    pub const ALL: &'static [PageId] = &[PageId::Welcome];

    /// The page's key: its text file is `wizard-pages/<key>.toml`.
    pub fn key(self) -> &'static str {
        match self {
            PageId::Welcome => "welcome",
        }
    }

    /// The ids of the page's labelled fields.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            PageId::Welcome => super::welcome::FIELDS,
        }
    }

    /// The ids of the messages the page's validator can produce.
    pub fn messages(self) -> &'static [&'static str] {
        match self {
            PageId::Welcome => super::welcome::MESSAGES,
        }
    }
}

/// The pages the administrator walks through for this draft, in order.
pub fn flow(_draft: &Draft) -> Vec<PageId> {
    vec![PageId::Welcome]
}
