//! What a page's validator reports: a problem names its page, its field, how serious it is,
//! and the id of the message that explains it (the words live in `wizard-pages/`).

use super::page::PageId;
use super::text;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Shown; never blocks.
    Warning,
    /// Blocks Next until it is fixed.
    Error,
}

/// One thing a validator found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The page it belongs to.
    pub page: PageId,
    /// The field it is about (an id from [`PageId::fields`]).
    pub field: &'static str,
    /// Whether it blocks.
    pub severity: Severity,
    /// The message id (from [`PageId::messages`]).
    pub message: &'static str,
}

impl Problem {
    /// An error: Next stays disabled while it stands.
    pub fn error(page: PageId, field: &'static str, message: &'static str) -> Self {
        Problem {
            page,
            field,
            severity: Severity::Error,
            message,
        }
    }

    /// A warning: shown, never blocking.
    pub fn warning(page: PageId, field: &'static str, message: &'static str) -> Self {
        Problem {
            page,
            field,
            severity: Severity::Warning,
            message,
        }
    }

    /// The message in words.
    pub fn text(&self) -> &'static str {
        text::page(self.page).message(self.message)
    }
}
