//! Settings files: what the administrator chose in the wizard, as versioned JSON that can be
//! kept, reviewed, put under change control and used again — by the wizard's "import
//! synchronization settings", by `skybridge plan` and by `skybridge apply`.
//!
//! A settings file never holds a secret. Where a password is needed it says where to find it:
//! an environment variable or a keychain entry ([`SecretRef`]). The format is described by a
//! JSON Schema generated from these types and published as `assets/settings.schema.json`;
//! a file of another format version is refused with a message saying what to do.
//!
//! Importing does not fill the draft behind the wizard's back: it becomes the messages the
//! pages send ([`ImportRun`]), in stages, so every value goes through the same checks and
//! probes as typed input — a forest is read and its account checked, the tenant signed in to,
//! a pilot group looked up.
//!
//! - `file`: the format — [`SettingsFile`] and its parts, [`SecretRef`], the environment
//!   variables an exported file names, reading ([`SettingsFile::load`]) and writing
//!   ([`SettingsFile::save`]) a file, a file from the wizard's draft
//!   ([`SettingsFile::from_draft`]) and the JSON Schema ([`schema`]).
//! - `import`: the import machine — a file read with its secrets ([`read`], [`resolve`],
//!   [`Imported`]) and the stages that fill the pages from it ([`ImportRun`]).
//!
//! Everything the submodules offer is re-exported here: callers use `settings::SettingsFile`,
//! `settings::read`, `settings::ImportRun` and so on.

mod file;
mod import;

use std::path::PathBuf;

pub use file::{
    DATABASE_PASSWORD_ENV, DatabaseSettings, DirectorySettings, OuFilter, SCHEMA_FILE, SecretRef,
    SettingsFile, SsoAdmin, TENANT_PASSWORD_ENV, TenantSettings, VERSION, schema,
};
pub use import::{ImportRun, Imported, read, resolve};

/// Why a settings file, or a secret it names, cannot be used: each message is the one the
/// administrator reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A secret's environment variable is set, but empty.
    #[error("the environment variable {0} is empty")]
    EnvEmpty(String),
    /// A secret's environment variable is not set.
    #[error("the environment variable {0} is not set")]
    EnvUnset(String),
    /// The keychain has no entry for a secret.
    #[error("the keychain has no entry '{entry}' in service '{service}'")]
    NoKeychainEntry {
        /// The keychain service.
        service: String,
        /// The entry's name.
        entry: String,
    },
    /// The keychain could not be read (its error, in words).
    #[error("the keychain cannot be read: {0}")]
    Keychain(String),
    /// The text is not JSON (the parser's words).
    #[error("it is not JSON ({0})")]
    NotJson(String),
    /// The text is JSON, but not an object.
    #[error("it is not a Skybridge settings file (not a JSON object)")]
    NotAnObject,
    /// The object has no format version.
    #[error("it is not a Skybridge settings file (it has no \"version\")")]
    NoVersion,
    /// The file is of a newer format (its version).
    #[error(
        "it was written by a newer Skybridge (settings format {0}); this build reads format {version}. Use the newer Skybridge, or export the settings again from it in format {version}.",
        version = VERSION
    )]
    Newer(u64),
    /// The file's format version is not one this build reads (the version as written).
    #[error(
        "its settings format {0} is not one this build reads (format {version})",
        version = VERSION
    )]
    OtherVersion(String),
    /// The file does not follow the format (what is wrong, without the values it holds).
    #[error("it does not follow the settings format: {0}")]
    NotTheFormat(String),
    /// The file cannot be read from disk.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The system's words.
        reason: String,
    },
    /// The file was read but cannot be used.
    #[error("{path} cannot be imported: {reason}")]
    NotImportable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: Box<SettingsError>,
    },
    /// The file could not be put into words (the serializer's words).
    #[error("{0}")]
    Unserializable(String),
    /// A file cannot be written.
    #[error("cannot write {path}: {reason}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The system's words.
        reason: String,
    },
}

/// A settings file for the tests of both halves: a password in the environment, one in the
/// keychain, neither there.
#[cfg(test)]
fn sample() -> SettingsFile {
    use crate::engine::rules::{AnchorMode, Matching};
    use crate::wizard::SignInMethod;
    use crate::wizard::state::choices::Feature;

    SettingsFile {
        schema: None,
        version: VERSION,
        settings_version: None,
        database: None,
        sign_in: SignInMethod::PasswordHashSync,
        single_sign_on: false,
        password_sync: None,
        tenant: TenantSettings {
            authority: "https://login.example/t".into(),
            graph: "https://graph.example/v1.0/".into(),
            client_id: "c".into(),
            ca_file: None,
            user: "admin@contoso.onmicrosoft.com".into(),
            device_code: false,
            password: Some(SecretRef::Env("SKYBRIDGE_TEST_UNSET_VARIABLE_1".into())),
        },
        directories: vec![DirectorySettings {
            forest: Some("contoso.com".into()),
            server: "ldaps://dc1.contoso.com".into(),
            starttls: false,
            ca_file: None,
            account: "CONTOSO\\sky-sync".into(),
            password: SecretRef::Keychain {
                service: "skybridge-test-nothing-here".into(),
                entry: "directory:contoso.com".into(),
            },
            ou_filter: Some(OuFilter {
                included: vec!["DC=contoso,DC=com".into()],
                excluded: vec!["OU=Lab,DC=contoso,DC=com".into()],
            }),
            pilot_group: None,
            sso_admin: None,
            sso_skip: false,
        }],
        alternate_sign_in: None,
        sync_selected: true,
        matching: Matching::Mail,
        anchor: AnchorMode::Managed,
        pilot: false,
        features: vec![Feature::PasswordHashSync],
        services: None,
        excluded_attributes: Vec::new(),
        directory_extensions: Vec::new(),
        staging: false,
        start_sync: true,
        acknowledged: vec!["sign_in_configuration/unverified_suffixes".into()],
    }
}
