//! A profile: values the wizard's forms start with (where the tenant is, which domain
//! controller and account), read from a JSON file with `skybridge wizard --profile FILE`. The
//! demo uses one to point the wizard at its local servers. A profile never holds a password.

use serde::Deserialize;

use super::Msg;

/// A message that sets one form field.
type FormMsg = fn(String) -> Msg;

/// The tenant page's starting values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantProfile {
    /// Sign-in authority.
    pub authority: Option<String>,
    /// Microsoft Graph address.
    pub graph: Option<String>,
    /// Application (client) id.
    pub client_id: Option<String>,
    /// CA file.
    pub ca_file: Option<String>,
    /// The administrator's sign-in name.
    pub user: Option<String>,
}

/// The directories page's starting values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryProfile {
    /// Domain controller.
    pub server: Option<String>,
    /// CA file.
    pub ca_file: Option<String>,
    /// Connector account.
    pub account: Option<String>,
}

/// A profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// The tenant page.
    #[serde(default)]
    pub tenant: TenantProfile,
    /// The directories page.
    #[serde(default)]
    pub directory: DirectoryProfile,
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file cannot be read.
    #[error("cannot read the profile {}: {detail}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        detail: String,
    },
    /// The file is not a profile.
    #[error("{} is not a wizard profile: {detail}", path.display())]
    Invalid {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        detail: String,
    },
}

impl Profile {
    /// Reads a profile; the error names the file and what is wrong with it.
    pub fn load(path: &std::path::Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| ProfileError::Invalid {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }

    /// The messages that fill the forms, as if typed.
    pub fn messages(&self) -> Vec<Msg> {
        let t = &self.tenant;
        let d = &self.directory;
        let typed: [(Option<&String>, FormMsg); 8] = [
            (t.authority.as_ref(), Msg::SetTenantAuthority),
            (t.graph.as_ref(), Msg::SetTenantGraph),
            (t.client_id.as_ref(), Msg::SetTenantClientId),
            (t.ca_file.as_ref(), Msg::SetTenantCaFile),
            (t.user.as_ref(), Msg::SetTenantUser),
            (d.server.as_ref(), Msg::SetDirectoryServer),
            (d.ca_file.as_ref(), Msg::SetDirectoryCaFile),
            (d.account.as_ref(), Msg::SetDirectoryAccount),
        ];
        typed
            .into_iter()
            .filter_map(|(value, msg)| value.map(|v| msg(v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_fills_the_forms_and_refuses_what_it_does_not_know() {
        let profile: Profile = serde_json::from_str(
            r#"{"tenant": {"authority": "https://127.0.0.1:9/t", "user": "admin@t.onmicrosoft.com"},
                "directory": {"server": "ldaps://127.0.0.2"}}"#,
        )
        .unwrap();
        let mut wizard = super::super::Wizard::new();
        for msg in profile.messages() {
            wizard.update(msg);
        }
        let draft = wizard.draft();
        assert_eq!(draft.tenant.authority, "https://127.0.0.1:9/t");
        assert_eq!(draft.tenant.user, "admin@t.onmicrosoft.com");
        assert_eq!(draft.directory_form.server, "ldaps://127.0.0.2");
        assert!(draft.directory_form.account.is_empty());
        // A password has no place in a profile.
        let refused = serde_json::from_str::<Profile>(r#"{"tenant": {"password": "x"}}"#);
        assert!(refused.unwrap_err().to_string().contains("password"));
    }
}
