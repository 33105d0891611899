//! What a page's validator reports: a problem names its page, its field, how serious it is,
//! and the id of the message that explains it (the words live in `wizard-pages/`).

use super::registry::PageId;
use super::text;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Shown; never blocks.
    Warning,
    /// Blocks Next until the administrator confirms it ("continue anyway").
    Confirm,
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
    /// What a server said, when the problem comes from one (shown after the message).
    pub detail: Option<String>,
}

impl Problem {
    /// An error: Next stays disabled while it stands.
    pub fn error(page: PageId, field: &'static str, message: &'static str) -> Self {
        Problem {
            page,
            field,
            severity: Severity::Error,
            message,
            detail: None,
        }
    }

    /// A warning: shown, never blocking.
    pub fn warning(page: PageId, field: &'static str, message: &'static str) -> Self {
        Problem {
            page,
            field,
            severity: Severity::Warning,
            message,
            detail: None,
        }
    }

    /// A warning the administrator must confirm before Next.
    pub fn confirm(page: PageId, field: &'static str, message: &'static str) -> Self {
        Problem {
            page,
            field,
            severity: Severity::Confirm,
            message,
            detail: None,
        }
    }

    /// The same problem with what a server said.
    pub fn with_detail(mut self, detail: impl std::fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The message in words, with the server's words after it.
    pub fn text(&self) -> String {
        let message = text::page(self.page).message(self.message);
        match &self.detail {
            Some(detail) => format!("{message} {detail}"),
            None => message.to_string(),
        }
    }
}
