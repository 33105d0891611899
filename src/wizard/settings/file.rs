//! The settings file format: [`SettingsFile`] and its parts, where its secrets are
//! ([`SecretRef`]) and the environment variables an exported file names for them, reading and
//! writing a file, a file made from the wizard's draft, and the JSON Schema of the format.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SettingsError;
use crate::engine::rules::{AnchorMode, Matching};
use crate::secret::Secret;
use crate::wizard::state::choices::Feature;
use crate::wizard::{Draft, Facts, SignInMethod};

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The schema's file name; an exported file names it in `$schema` and it is written beside it.
pub const SCHEMA_FILE: &str = "settings.schema.json";

/// The environment variable an exported file names for the tenant administrator's password.
pub const TENANT_PASSWORD_ENV: &str = "SKYBRIDGE_TENANT_PASSWORD";

/// Where a secret is kept: settings files name it, never hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum SecretRef {
    /// An environment variable of the process that reads the file.
    Env(String),
    /// An entry of the OS keychain.
    Keychain {
        /// The keychain service (`skybridge` for the default installation).
        service: String,
        /// The entry's name (`directory:contoso.com`).
        entry: String,
    },
}

impl SecretRef {
    /// Reads the secret. Blocking (the keychain client runs a runtime of its own: call it
    /// outside any async runtime).
    pub fn resolve(&self) -> Result<Secret, SettingsError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                Ok(_) => Err(SettingsError::EnvEmpty(name.clone())),
                Err(_) => Err(SettingsError::EnvUnset(name.clone())),
            },
            SecretRef::Keychain { service, entry } => {
                match crate::secret::Keychain::new(service).load(entry) {
                    Ok(Some(secret)) => Ok(secret),
                    Ok(None) => Err(SettingsError::NoKeychainEntry {
                        service: service.clone(),
                        entry: entry.clone(),
                    }),
                    Err(e) => Err(SettingsError::Keychain(e.to_string())),
                }
            }
        }
    }

    /// The environment variable an exported file names for a forest's connector password:
    /// `SKYBRIDGE_DIRECTORY_PASSWORD_` and the forest's name in capitals, other characters `_`.
    pub fn directory_env(forest: &str) -> SecretRef {
        SecretRef::Env(format!("SKYBRIDGE_DIRECTORY_PASSWORD_{}", env_part(forest)))
    }

    /// The environment variable an exported file names for a forest's single sign-on
    /// administrator: `SKYBRIDGE_SSO_PASSWORD_` and the forest's name, as above.
    pub fn sso_env(forest: &str) -> SecretRef {
        SecretRef::Env(format!("SKYBRIDGE_SSO_PASSWORD_{}", env_part(forest)))
    }
}

/// A forest's name as part of an environment variable: capitals, other characters `_`.
fn env_part(forest: &str) -> String {
    forest
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The environment variable the database account's password is named by in files the
/// wizard writes.
pub const DATABASE_PASSWORD_ENV: &str = "SKYBRIDGE_DATABASE_PASSWORD";

/// The PostgreSQL server that keeps the synchronization store (Required components).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "postgres_port")]
    pub port: u16,
    /// Database name.
    pub database: String,
    /// The account.
    pub user: String,
    /// Where its password is.
    pub password: SecretRef,
    /// Connect without TLS (a server on the same computer only).
    #[serde(default)]
    pub tls_off: bool,
    /// CA certificate file for the server's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Reuse the data in the database on purpose: this file rebuilds the installation that
    /// wrote it (its `settingsVersion` must be the database's).
    #[serde(default)]
    pub reuse: bool,
}

fn postgres_port() -> u16 {
    5432
}

/// The tenant and how its administrator signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSettings {
    /// The identity platform authority (`https://login.microsoftonline.com/organizations`).
    pub authority: String,
    /// The Microsoft Graph root (`https://graph.microsoft.com/v1.0/`).
    pub graph: String,
    /// The application (client) id the wizard signs in with.
    pub client_id: String,
    /// A CA file that replaces the system's trust store for the tenant (an emulator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// The administrator's sign-in name.
    #[serde(default)]
    pub user: String,
    /// Sign in with a code entered in a browser (accounts with multi-factor authentication);
    /// the code is shown on the page, or printed by `skybridge plan|apply`.
    #[serde(default)]
    pub device_code: bool,
    /// Where the administrator's password is (with a password sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretRef>,
}

/// The containers of a forest that are synchronized: the nearest listed one above an object
/// decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OuFilter {
    /// Domains and OUs synchronized with what is below them.
    pub included: Vec<String>,
    /// Domains and OUs left out with what is below them.
    #[serde(default)]
    pub excluded: Vec<String>,
}

/// One forest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectorySettings {
    /// The forest's DNS name when the file was written (checked against what the server says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forest: Option<String>,
    /// The domain controller (`ldaps://dc1.contoso.com`).
    pub server: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starttls: bool,
    /// A CA file for the domain controller's certificate, when not in the system's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// The connector account (`CONTOSO\sky-sync` or `sky-sync@contoso.com`).
    pub account: String,
    /// Where the connector account's password is.
    pub password: SecretRef,
    /// The synchronized domains and OUs, when not everything (with `syncSelected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_filter: Option<OuFilter>,
    /// The pilot group (name or DN), with `pilot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot_group: Option<String>,
    /// The domain administrator who creates this forest's single sign-on account (with
    /// `singleSignOn`), used once while configuring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_admin: Option<SsoAdmin>,
    /// Leave this forest without single sign-on (with `singleSignOn`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sso_skip: bool,
}

/// A forest's single sign-on administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SsoAdmin {
    /// The administrator (`CONTOSO\admin`).
    pub account: String,
    /// Where their password is.
    pub password: SecretRef,
}

fn yes() -> bool {
    true
}

/// A settings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Skybridge settings",
    description = "The choices of a Skybridge installation, without secrets. Read by the setup wizard (import synchronization settings), `skybridge plan` and `skybridge apply`."
)]
pub struct SettingsFile {
    /// The schema this file follows (for editors; not checked).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The format version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The settings version of the installation this file was exported from (its database
    /// may be reused by an installation rebuilt from this file only if the versions match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_version: Option<u64>,
    /// Keep the synchronization store on this PostgreSQL server (else in the data folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseSettings>,
    /// How people sign in.
    pub sign_in: SignInMethod,
    /// Seamless single sign-on (with password hash synchronization).
    #[serde(default)]
    pub single_sign_on: bool,
    /// Password synchronization: where the service listens for the domain controllers'
    /// agents (default `0.0.0.0:7390`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_sync: Option<crate::passwords::PasswordSyncSettings>,
    /// The tenant.
    pub tenant: TenantSettings,
    /// The forests, in the order they are added.
    pub directories: Vec<DirectorySettings>,
    /// The attribute people sign in with, when not userPrincipalName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_sign_in: Option<String>,
    /// Synchronize only each forest's `ouFilter` (else every domain and OU).
    #[serde(default)]
    pub sync_selected: bool,
    /// How the same person is recognised across forests.
    pub matching: Matching,
    /// Where the immutable anchor (sourceAnchor) comes from.
    pub anchor: AnchorMode,
    /// Synchronize only the members of each forest's `pilotGroup`.
    #[serde(default)]
    pub pilot: bool,
    /// Optional features.
    #[serde(default)]
    pub features: Vec<Feature>,
    /// The cloud services in use (with the `appAttributeFiltering` feature; all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<crate::engine::attributes::Service>>,
    /// Attributes the chosen services read that are not synchronized (with the
    /// `appAttributeFiltering` feature), by their LDAP names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_attributes: Vec<String>,
    /// Attributes copied to the tenant as directory extensions (with the
    /// `directoryExtensions` feature), by their LDAP names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_extensions: Vec<String>,
    /// Staging mode: import and synchronize, export nothing.
    #[serde(default)]
    pub staging: bool,
    /// Run the first synchronization once configured.
    #[serde(default = "yes")]
    pub start_sync: bool,
    /// Warnings accepted with "continue anyway", as `page/message` (`sign_in_configuration/unverified_suffixes`).
    #[serde(default)]
    pub acknowledged: Vec<String>,
}

/// The JSON Schema of the format, as published in `assets/settings.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(SettingsFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

impl SettingsFile {
    /// What the draft says, with each password named by where it should be found: the tenant
    /// administrator's by [`TENANT_PASSWORD_ENV`], a forest's by
    /// [`SecretRef::directory_env`].
    pub fn from_draft(draft: &Draft, facts: &Facts) -> SettingsFile {
        let t = &draft.tenant;
        let directories = draft
            .directories
            .iter()
            .map(|added| {
                let form = &added.form;
                let pilot_group = match facts.pilot_groups.get(&added.forest) {
                    Some(Ok(found)) => Some(found.dn.clone()),
                    _ => draft
                        .pilot_groups
                        .get(&added.forest)
                        .map(|typed| typed.trim().to_string())
                        .filter(|typed| !typed.is_empty()),
                };
                DirectorySettings {
                    forest: Some(added.forest.clone()),
                    server: form.server.trim().to_string(),
                    starttls: form.starttls,
                    ca_file: Some(form.ca_file.trim().to_string()).filter(|c| !c.is_empty()),
                    account: form.account.trim().to_string(),
                    password: SecretRef::directory_env(&added.forest),
                    ou_filter: draft.ou_filters.get(&added.forest).map(|s| OuFilter {
                        included: s.included.clone(),
                        excluded: s.excluded.clone(),
                    }),
                    pilot_group,
                    sso_admin: (crate::wizard::pages::single_sign_on::wanted(draft)
                        && !crate::wizard::state::sso::entry(draft, &added.forest).skip)
                        .then(|| SsoAdmin {
                            account: crate::wizard::state::sso::entry(draft, &added.forest)
                                .account
                                .trim()
                                .to_string(),
                            password: SecretRef::sso_env(&added.forest),
                        }),
                    sso_skip: crate::wizard::pages::single_sign_on::wanted(draft)
                        && crate::wizard::state::sso::entry(draft, &added.forest).skip,
                }
            })
            .collect();
        SettingsFile {
            schema: Some(SCHEMA_FILE.into()),
            version: VERSION,
            settings_version: None,
            database: draft
                .database
                .connection()
                .map(|c| DatabaseSettings {
                    host: c.host,
                    port: c.port,
                    database: c.database,
                    user: c.user,
                    password: SecretRef::Env(DATABASE_PASSWORD_ENV.into()),
                    tls_off: c.tls_off,
                    ca_file: c.ca_file.map(|f| f.display().to_string()),
                    reuse: false,
                })
                .filter(|_| draft.database.enabled),
            sign_in: draft.sign_in,
            single_sign_on: draft.single_sign_on,
            password_sync: (draft.sign_in == SignInMethod::PasswordHashSync).then(|| {
                crate::passwords::PasswordSyncSettings {
                    listen: draft.password_listen.trim().to_string(),
                }
            }),
            tenant: TenantSettings {
                authority: t.authority.trim().to_string(),
                graph: t.graph.trim().to_string(),
                client_id: t.client_id.trim().to_string(),
                ca_file: Some(t.ca_file.trim().to_string()).filter(|c| !c.is_empty()),
                user: t.user.trim().to_string(),
                device_code: t.device_code,
                password: (!t.device_code).then(|| SecretRef::Env(TENANT_PASSWORD_ENV.into())),
            },
            directories,
            alternate_sign_in: draft.alternate_sign_in.clone(),
            sync_selected: draft.sync_selected,
            matching: draft.matching.clone(),
            anchor: draft.anchor.clone(),
            pilot: draft.pilot_enabled,
            features: draft.features.iter().copied().collect(),
            services: (draft.services.len() != crate::engine::attributes::Service::ALL.len())
                .then(|| draft.services.iter().copied().collect()),
            excluded_attributes: draft.unticked_attributes.iter().cloned().collect(),
            directory_extensions: draft.extensions.iter().cloned().collect(),
            staging: draft.staging,
            start_sync: !draft.no_start_sync,
            acknowledged: draft
                .confirmed
                .iter()
                .map(|(page, message)| format!("{}/{message}", page.key()))
                .collect(),
        }
    }

    /// The file as an installation keeps it: each connector password named by its entry in
    /// the installation's keychain `service`, no tenant administrator password, and no single
    /// sign-on administrator (used once while configuring).
    pub fn kept_in(&self, service: &str) -> SettingsFile {
        let mut kept = self.clone();
        kept.tenant.password = None;
        for d in &mut kept.directories {
            if let Some(forest) = &d.forest {
                d.password = SecretRef::Keychain {
                    service: service.to_string(),
                    entry: format!("directory:{forest}"),
                };
            }
            d.sso_admin = None;
        }
        kept
    }

    /// Reads a settings file. A file of another format version, or with fields this version
    /// does not know (a misspelt name, or a password put in it), is refused with the reason.
    pub fn parse(text: &str) -> Result<SettingsFile, SettingsError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SettingsError::NotJson(e.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(SettingsError::NotAnObject);
        };
        match object.get("version").map(|v| (v, v.as_u64())) {
            None => {
                return Err(SettingsError::NoVersion);
            }
            Some((_, Some(v))) if v == u64::from(VERSION) => {}
            Some((_, Some(v))) if v > u64::from(VERSION) => {
                return Err(SettingsError::Newer(v));
            }
            Some((v, _)) => {
                return Err(SettingsError::OtherVersion(v.to_string()));
            }
        }
        serde_json::from_str(text).map_err(|e| SettingsError::NotTheFormat(without_values(&e)))
    }

    /// Reads a settings file from disk; the error names the file.
    pub fn load(path: &Path) -> Result<SettingsFile, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|e| SettingsError::NotImportable {
            path: path.to_path_buf(),
            reason: Box::new(e),
        })
    }

    /// Writes the file, and the schema beside it; neither holds a secret.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let fail = |path: &Path, e: std::io::Error| SettingsError::Unwritable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| SettingsError::Unserializable(e.to_string()))?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| fail(path, e))?;
        let schema_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(SCHEMA_FILE);
        std::fs::write(&schema_path, schema()).map_err(|e| fail(&schema_path, e))
    }
}

/// A JSON error in words without the values it quotes: a password typed where a reference
/// belongs must not end up in a message or a log.
fn without_values(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let mut out = String::new();
    let mut rest = text.as_str();
    // serde quotes the offending value after these words, up to ", expected …" or the position;
    // field names and what was expected are kept.
    while let Some((at, marker)) = ["invalid type: ", "invalid value: ", "unknown variant "]
        .iter()
        .filter_map(|m| rest.find(m).map(|at| (at, *m)))
        .min()
    {
        let value = &rest[at + marker.len()..];
        let end = [", expected", " at line "]
            .iter()
            .filter_map(|t| value.find(t))
            .min()
            .unwrap_or(value.len());
        out.push_str(&rest[..at]);
        out.push_str(marker.trim_end_matches([':', ' ']));
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn a_file_round_trips_and_holds_no_password() {
        let file = sample();
        let text = serde_json::to_string_pretty(&file).expect("json");
        assert_eq!(SettingsFile::parse(&text), Ok(file));
        assert!(
            text.contains("\"env\": \"SKYBRIDGE_TEST_UNSET_VARIABLE_1\""),
            "{text}"
        );
    }

    #[test]
    fn other_versions_unknown_fields_and_garbage_are_refused_with_a_reason() {
        let mut value = serde_json::to_value(sample()).expect("json");
        value["version"] = 2.into();
        let newer = SettingsFile::parse(&value.to_string())
            .unwrap_err()
            .to_string();
        assert!(newer.contains("newer Skybridge"), "{newer}");
        value["version"] = 0.into();
        let older = SettingsFile::parse(&value.to_string())
            .unwrap_err()
            .to_string();
        assert!(older.contains("format 0"), "{older}");
        value["version"] = "one".into();
        assert!(SettingsFile::parse(&value.to_string()).is_err());
        value["version"] = 1.into();
        value["tenant"]["passwordText"] = "hunter2".into();
        let unknown = SettingsFile::parse(&value.to_string())
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("passwordText"), "{unknown}");
        assert!(
            SettingsFile::parse("[1]")
                .unwrap_err()
                .to_string()
                .contains("not a JSON object")
        );
        assert!(
            SettingsFile::parse("{")
                .unwrap_err()
                .to_string()
                .contains("not JSON")
        );
        assert!(
            SettingsFile::parse("{}")
                .unwrap_err()
                .to_string()
                .contains("no \"version\"")
        );
    }

    #[test]
    fn the_published_schema_is_the_one_this_build_reads() {
        let published = include_str!("../../../assets/settings.schema.json");
        assert!(
            published == schema(),
            "assets/settings.schema.json is out of date: run `cargo run -- settings schema > assets/settings.schema.json`"
        );
        let schema: serde_json::Value = serde_json::from_str(published).expect("json");
        assert_eq!(schema["additionalProperties"], false);
        let required = schema["required"].as_array().expect("required");
        assert!(required.contains(&"version".into()));
    }

    #[test]
    fn a_password_typed_where_a_reference_belongs_is_not_repeated_in_the_message() {
        let mut value = serde_json::to_value(sample()).expect("json");
        for typed in ["hun`ter\"2, expected", "hunter2"] {
            value["tenant"]["password"] = typed.into();
            let why = SettingsFile::parse(&value.to_string())
                .unwrap_err()
                .to_string();
            assert!(!why.contains("hun"), "{why}");
            assert!(why.contains("line 1"), "{why}");
            value["tenant"]["password"] = serde_json::json!({"vault": typed});
            let why = SettingsFile::parse(&value.to_string())
                .unwrap_err()
                .to_string();
            assert!(!why.contains("hun"), "{why}");
            assert!(why.contains("expected `env` or `keychain`"), "{why}");
        }
    }
}
