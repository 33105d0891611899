//! The forests as several pages read them: the form of the forest being added
//! ([`DirectoryForm`]) and the forests added ([`AddedDirectory`]).

use crate::secret::Secret;

/// The form of the forest being added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryForm {
    /// Domain controller address.
    pub server: String,
    /// Account (`CONTOSO\sky-sync` or `sky-sync@contoso.com`).
    pub account: String,
    /// Its password.
    pub password: Secret,
    /// StartTLS instead of LDAPS.
    pub starttls: bool,
    /// CA file (empty: the system's trust store).
    pub ca_file: String,
    /// Create a new connector account: `account` and `password` are then an enterprise
    /// administrator's, used once to create it and never kept.
    pub create_account: bool,
}

/// A forest that was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedDirectory {
    /// The forest's DNS name (the connector's name).
    pub forest: String,
    /// What was entered to reach it.
    pub form: DirectoryForm,
}

impl DirectoryForm {
    /// Whether nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.server.trim().is_empty()
            && self.account.trim().is_empty()
            && self.password.expose().is_empty()
    }
}

#[cfg(test)]
impl AddedDirectory {
    /// A forest added with an empty form, for unit tests of later pages.
    pub(crate) fn for_tests(forest: &str) -> AddedDirectory {
        AddedDirectory {
            forest: forest.into(),
            form: DirectoryForm::default(),
        }
    }
}
