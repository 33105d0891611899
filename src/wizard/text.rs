//! The words of the wizard, kept outside the code in `wizard-pages/` (one TOML file per page,
//! plus `shell.toml` for what every page shares) and compiled into the binary.
//!
//! Lookups never fail at run time: an id without text shows the id itself. The tests in this
//! module make sure that cannot happen in a build: every page, field and message id in code has
//! its text, and every text in the files is used.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::registry::PageId;

/// The words of one page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageText {
    /// Heading at the top of the page.
    pub title: String,
    /// Short name in the page list on the left.
    pub sidebar: String,
    /// Explanation under the heading.
    pub help: String,
    /// Labels of the page's fields, by field id.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Problem messages, by message id.
    #[serde(default)]
    pub messages: BTreeMap<String, String>,
}

impl PageText {
    /// The label of a field (the id itself if it has none).
    pub fn field<'a>(&'a self, id: &'a str) -> &'a str {
        self.fields.get(id).map_or(id, String::as_str)
    }

    /// A message (the id itself if it has none).
    pub fn message<'a>(&'a self, id: &'a str) -> &'a str {
        self.messages.get(id).map_or(id, String::as_str)
    }

    /// A field whose words name values in braces (`{path}`), with the values put in.
    pub fn field_with(&self, id: &str, values: &[(&str, &str)]) -> String {
        fill(self.field(id), values)
    }
}

pub use crate::template::fill;

/// Words shared by every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellText {
    /// The window's title.
    WindowTitle,
    /// The product's name, shown above the page list.
    ProductName,
    /// The Back button.
    Back,
    /// The Next button.
    Next,
    /// The Cancel button.
    Cancel,
    /// Title of the "leave setup?" dialog.
    CancelTitle,
    /// Body of the "leave setup?" dialog.
    CancelBody,
    /// Body of that dialog once configuring has begun.
    CancelBodyConfigured,
    /// The button that leaves setup.
    CancelConfirm,
    /// The button that stays.
    CancelDismiss,
    /// Heading of the page list.
    PagesHeading,
    /// Heading of the list of problems on a page.
    ProblemsHeading,
    /// The box that confirms a warning.
    ContinueAnyway,
    /// Title shown when the walk reaches the end of what this build contains.
    EndOfBuildTitle,
    /// Explanation shown then.
    EndOfBuildBody,
}

impl ShellText {
    /// Every shell text.
    pub const ALL: &'static [ShellText] = &[
        ShellText::WindowTitle,
        ShellText::ProductName,
        ShellText::Back,
        ShellText::Next,
        ShellText::Cancel,
        ShellText::CancelTitle,
        ShellText::CancelBody,
        ShellText::CancelBodyConfigured,
        ShellText::CancelConfirm,
        ShellText::CancelDismiss,
        ShellText::PagesHeading,
        ShellText::ProblemsHeading,
        ShellText::ContinueAnyway,
        ShellText::EndOfBuildTitle,
        ShellText::EndOfBuildBody,
    ];

    /// Its key in `shell.toml`.
    pub fn key(self) -> &'static str {
        match self {
            ShellText::WindowTitle => "window_title",
            ShellText::ProductName => "product_name",
            ShellText::Back => "back",
            ShellText::Next => "next",
            ShellText::Cancel => "cancel",
            ShellText::CancelTitle => "cancel_title",
            ShellText::CancelBody => "cancel_body",
            ShellText::CancelBodyConfigured => "cancel_body_configured",
            ShellText::CancelConfirm => "cancel_confirm",
            ShellText::CancelDismiss => "cancel_dismiss",
            ShellText::PagesHeading => "pages_heading",
            ShellText::ProblemsHeading => "problems_heading",
            ShellText::ContinueAnyway => "continue_anyway",
            ShellText::EndOfBuildTitle => "end_of_build_title",
            ShellText::EndOfBuildBody => "end_of_build_body",
        }
    }

    /// The words.
    pub fn get(self) -> &'static str {
        TEXTS
            .shell
            .get(self.key())
            .map_or(self.key(), String::as_str)
    }
}

/// The source of a page's text file.
fn source(page: PageId) -> &'static str {
    match page {
        PageId::Welcome => include_str!("../../wizard-pages/welcome.toml"),
        PageId::AdditionalTasks => include_str!("../../wizard-pages/additional_tasks.toml"),
        PageId::Express => include_str!("../../wizard-pages/express.toml"),
        PageId::RequiredComponents => include_str!("../../wizard-pages/required_components.toml"),
        PageId::UserSignIn => include_str!("../../wizard-pages/user_sign_in.toml"),
        PageId::ConnectTenant => include_str!("../../wizard-pages/connect_tenant.toml"),
        PageId::ConnectDirectories => include_str!("../../wizard-pages/connect_directories.toml"),
        PageId::SignInConfiguration => {
            include_str!("../../wizard-pages/sign_in_configuration.toml")
        }
        PageId::DomainOuFiltering => include_str!("../../wizard-pages/domain_ou_filtering.toml"),
        PageId::IdentifyingUsers => include_str!("../../wizard-pages/identifying_users.toml"),
        PageId::FilterUsers => include_str!("../../wizard-pages/filter_users.toml"),
        PageId::OptionalFeatures => include_str!("../../wizard-pages/optional_features.toml"),
        PageId::AppFiltering => include_str!("../../wizard-pages/app_filtering.toml"),
        PageId::AttributeFiltering => include_str!("../../wizard-pages/attribute_filtering.toml"),
        PageId::SingleSignOn => include_str!("../../wizard-pages/single_sign_on.toml"),
        PageId::AdfsFarm => include_str!("../../wizard-pages/adfs_farm.toml"),
        PageId::FederationServers => include_str!("../../wizard-pages/federation_servers.toml"),
        PageId::ProxyServers => include_str!("../../wizard-pages/proxy_servers.toml"),
        PageId::AdfsServiceAccount => {
            include_str!("../../wizard-pages/adfs_service_account.toml")
        }
        PageId::FederatedDomain => include_str!("../../wizard-pages/federated_domain.toml"),
        PageId::FederationVerification => {
            include_str!("../../wizard-pages/federation_verification.toml")
        }
        PageId::PingFederate => include_str!("../../wizard-pages/ping_federate.toml"),
        PageId::ConvertDomains => include_str!("../../wizard-pages/convert_domains.toml"),
        PageId::DirectoryExtensions => {
            include_str!("../../wizard-pages/directory_extensions.toml")
        }
        PageId::ReadyToConfigure => include_str!("../../wizard-pages/ready_to_configure.toml"),
        PageId::Configuring => include_str!("../../wizard-pages/configuring.toml"),
        PageId::Complete => include_str!("../../wizard-pages/complete.toml"),
    }
}

const SHELL_SOURCE: &str = include_str!("../../wizard-pages/shell.toml");

struct Texts {
    pages: BTreeMap<&'static str, PageText>,
    shell: BTreeMap<String, String>,
}

/// Parses every text file; the error names the file and what is wrong in it.
fn load() -> Result<Texts, String> {
    let mut pages = BTreeMap::new();
    for &page in PageId::ALL {
        let text: PageText = toml::from_str(source(page))
            .map_err(|e| format!("wizard-pages/{}.toml: {e}", page.key()))?;
        pages.insert(page.key(), text);
    }
    let shell =
        toml::from_str(SHELL_SOURCE).map_err(|e| format!("wizard-pages/shell.toml: {e}"))?;
    Ok(Texts { pages, shell })
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    load().unwrap_or_else(|_| Texts {
        pages: BTreeMap::new(),
        shell: BTreeMap::new(),
    })
});

static MISSING: LazyLock<PageText> = LazyLock::new(|| PageText {
    title: String::new(),
    sidebar: String::new(),
    help: String::new(),
    fields: BTreeMap::new(),
    messages: BTreeMap::new(),
});

/// The words of a page.
pub fn page(page: PageId) -> &'static PageText {
    TEXTS.pages.get(page.key()).unwrap_or(&MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_text_file_parses() {
        if let Err(e) = load() {
            panic!("{e}");
        }
    }

    #[test]
    fn every_page_field_and_message_in_code_has_text_and_every_text_is_used() {
        let texts = load().unwrap();
        for &page in PageId::ALL {
            let text = &texts.pages[page.key()];
            assert!(!text.title.trim().is_empty(), "{page:?} has no title");
            assert!(
                !text.sidebar.trim().is_empty(),
                "{page:?} has no sidebar label"
            );
            assert!(!text.help.trim().is_empty(), "{page:?} has no help");
            let in_code: BTreeSet<&str> = page.fields().iter().copied().collect();
            let in_file: BTreeSet<&str> = text.fields.keys().map(String::as_str).collect();
            assert_eq!(in_code, in_file, "fields of {page:?}: code vs wizard-pages");
            let in_code: BTreeSet<&str> = page.messages().iter().copied().collect();
            let in_file: BTreeSet<&str> = text.messages.keys().map(String::as_str).collect();
            assert_eq!(
                in_code, in_file,
                "messages of {page:?}: code vs wizard-pages"
            );
            for value in text.fields.values().chain(text.messages.values()) {
                assert!(!value.trim().is_empty(), "{page:?} has an empty text");
            }
        }
        let in_code: BTreeSet<&str> = ShellText::ALL.iter().map(|t| t.key()).collect();
        let in_file: BTreeSet<&str> = texts.shell.keys().map(String::as_str).collect();
        assert_eq!(
            in_code, in_file,
            "shell texts: code vs wizard-pages/shell.toml"
        );
    }

    #[test]
    fn every_file_in_wizard_pages_belongs_to_a_page() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/wizard-pages");
        let mut expected: BTreeSet<String> = PageId::ALL
            .iter()
            .map(|p| format!("{}.toml", p.key()))
            .collect();
        expected.insert("shell.toml".into());
        let found: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(expected, found);
    }
}
