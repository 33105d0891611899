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

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pages::domain_ou_filtering::OuSelection;
use super::pages::optional_features::Feature;
use super::registry::PageId;
use super::{Draft, Facts, Msg, SignInMethod};
use crate::engine::rules::{AnchorMode, Matching};
use crate::secret::Secret;

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
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                Ok(_) => Err(format!("the environment variable {name} is empty")),
                Err(_) => Err(format!("the environment variable {name} is not set")),
            },
            SecretRef::Keychain { service, entry } => {
                match crate::secret::Keychain::new(service).load(entry) {
                    Ok(Some(secret)) => Ok(secret),
                    Ok(None) => Err(format!(
                        "the keychain has no entry '{entry}' in service '{service}'"
                    )),
                    Err(e) => Err(format!("the keychain cannot be read: {e}")),
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
    /// Seamless single sign-on (with password hash sync or pass-through authentication).
    #[serde(default)]
    pub single_sign_on: bool,
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
                    sso_admin: (super::pages::single_sign_on::wanted(draft)
                        && !super::pages::single_sign_on::entry(draft, &added.forest).skip)
                        .then(|| SsoAdmin {
                            account: super::pages::single_sign_on::entry(draft, &added.forest)
                                .account
                                .trim()
                                .to_string(),
                            password: SecretRef::sso_env(&added.forest),
                        }),
                    sso_skip: super::pages::single_sign_on::wanted(draft)
                        && super::pages::single_sign_on::entry(draft, &added.forest).skip,
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
    pub fn parse(text: &str) -> Result<SettingsFile, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
        let Some(object) = value.as_object() else {
            return Err("it is not a Skybridge settings file (not a JSON object)".into());
        };
        match object.get("version").map(|v| (v, v.as_u64())) {
            None => {
                return Err("it is not a Skybridge settings file (it has no \"version\")".into());
            }
            Some((_, Some(v))) if v == u64::from(VERSION) => {}
            Some((_, Some(v))) if v > u64::from(VERSION) => {
                return Err(format!(
                    "it was written by a newer Skybridge (settings format {v}); this build reads format {VERSION}. Use the newer Skybridge, or export the settings again from it in format {VERSION}."
                ));
            }
            Some((v, _)) => {
                return Err(format!(
                    "its settings format {v} is not one this build reads (format {VERSION})"
                ));
            }
        }
        serde_json::from_str(text).map_err(|e| {
            format!(
                "it does not follow the settings format: {}",
                without_values(&e)
            )
        })
    }

    /// Reads a settings file from disk; the error names the file.
    pub fn load(path: &Path) -> Result<SettingsFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{} cannot be imported: {e}", path.display()))
    }

    /// Writes the file, and the schema beside it; neither holds a secret.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(fail)?;
        let schema_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(SCHEMA_FILE);
        std::fs::write(&schema_path, schema())
            .map_err(|e| format!("cannot write {}: {e}", schema_path.display()))
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

/// A settings file read, with its secrets looked up where it says.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Where it was read from (for messages).
    pub source: String,
    /// The file.
    pub file: SettingsFile,
    /// The tenant administrator's password, when found.
    pub tenant_password: Option<Secret>,
    /// Each forest's connector password, when found (same order as the file).
    pub directory_passwords: Vec<Option<Secret>>,
    /// Each forest's single sign-on administrator's password, when the file names one and it
    /// was found (same order as the file).
    pub sso_passwords: Vec<Option<Secret>>,
    /// The database account's password, when the file names a database and it was found.
    pub database_password: Option<Secret>,
    /// What could not be found, in words.
    pub notes: Vec<String>,
}

/// Reads a settings file and looks up its secrets. Blocking (files, environment, keychain).
pub fn read(path: &Path) -> Result<Imported, String> {
    let file = SettingsFile::load(path)?;
    Ok(resolve(file, &path.display().to_string()))
}

/// Looks up a file's secrets. What cannot be found becomes a note; the password stays empty.
pub fn resolve(file: SettingsFile, source: &str) -> Imported {
    let mut notes = Vec::new();
    let mut look_up = |what: String, reference: &SecretRef| match reference.resolve() {
        Ok(secret) => Some(secret),
        Err(why) => {
            notes.push(format!("{what}: {why}"));
            None
        }
    };
    let tenant_password = match (&file.tenant.password, file.tenant.device_code) {
        (Some(reference), false) => look_up(
            format!("the tenant administrator's password ({})", file.tenant.user),
            reference,
        ),
        _ => None,
    };
    let directory_passwords = file
        .directories
        .iter()
        .map(|d| {
            look_up(
                format!("the password of {} on {}", d.account, d.server),
                &d.password,
            )
        })
        .collect();
    let sso_passwords = file
        .directories
        .iter()
        .map(|d| {
            d.sso_admin.as_ref().and_then(|admin| {
                look_up(
                    format!("the password of {} (single sign-on)", admin.account),
                    &admin.password,
                )
            })
        })
        .collect();
    let database_password = file.database.as_ref().and_then(|db| {
        look_up(
            format!(
                "the password of {} on the database server {}",
                db.user, db.host
            ),
            &db.password,
        )
    });
    Imported {
        source: source.to_string(),
        file,
        tenant_password,
        directory_passwords,
        sso_passwords,
        database_password,
        notes,
    }
}

/// One stage of an import: its messages are sent once the previous stage's probes answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The database server: fill it in and test the connection.
    Database,
    /// Sign-in method and the tenant, then sign in.
    Tenant,
    /// Forest `i` of the file: fill the form and add it.
    Directory(usize),
    /// Every choice that needs the forests read.
    Choices,
    /// Forest `i`'s pilot group: look it up.
    Pilot(usize),
    /// Forest `i`'s single sign-on administrator: verify them, or skip the forest.
    Sso(usize),
    /// Nothing to send: reached once the last stage's probes have answered, so that an import
    /// counts as finished only then.
    Settled,
}

/// An import under way: the wizard sends each stage's messages when nothing it asked is still
/// unanswered.
#[derive(Debug, Clone)]
pub struct ImportRun {
    imported: Box<Imported>,
    stages: std::collections::VecDeque<Stage>,
    /// The forest added for each directory of the file (by index), once read.
    forests: BTreeMap<usize, String>,
    /// How many forests were added before the directory stage under way.
    added_before: Option<(usize, usize)>,
    /// What could not be imported, in words.
    pub notes: Vec<String>,
}

impl ImportRun {
    /// The settings version of the installation the file was exported from, when it says.
    pub fn settings_version(&self) -> Option<u64> {
        self.imported.file.settings_version
    }

    /// Starts an import of a file read with its secrets.
    pub fn new(imported: Imported) -> ImportRun {
        let n = imported.file.directories.len();
        let mut stages: std::collections::VecDeque<Stage> = [Stage::Tenant].into();
        if imported.file.database.is_some() {
            stages.push_front(Stage::Database);
        }
        stages.extend((0..n).map(Stage::Directory));
        stages.push_back(Stage::Choices);
        if imported.file.pilot {
            stages.extend((0..n).map(Stage::Pilot));
        }
        if imported.file.single_sign_on {
            stages.extend((0..n).map(Stage::Sso));
        }
        stages.push_back(Stage::Settled);
        let notes = imported.notes.clone();
        ImportRun {
            imported: Box::new(imported),
            stages,
            forests: BTreeMap::new(),
            added_before: None,
            notes,
        }
    }

    /// Where the file came from.
    pub fn source(&self) -> &str {
        &self.imported.source
    }

    /// Whether every stage has been sent and answered.
    pub fn finished(&self) -> bool {
        self.stages.is_empty()
    }

    /// The next stage's messages, given the draft and facts as the previous stage left them;
    /// `None` once finished.
    pub fn next_stage(&mut self, draft: &Draft, facts: &Facts) -> Option<Vec<Msg>> {
        self.settle_directory(draft, facts);
        let stage = self.stages.pop_front()?;
        let file = &self.imported.file;
        Some(match stage {
            Stage::Database => self.database_messages(),
            Stage::Tenant => self.tenant_messages(),
            Stage::Directory(i) => {
                self.added_before = Some((i, draft.directories.len()));
                let d = &file.directories[i];
                let mut msgs = vec![
                    Msg::SetDirectoryServer(d.server.clone()),
                    Msg::SetDirectoryStartTls(d.starttls),
                    Msg::SetDirectoryCaFile(d.ca_file.clone().unwrap_or_default()),
                    Msg::SetDirectoryAccount(d.account.clone()),
                    Msg::SetDirectoryPassword(
                        self.imported.directory_passwords[i]
                            .clone()
                            .unwrap_or_default(),
                    ),
                ];
                if self.imported.directory_passwords[i].is_some() {
                    msgs.push(Msg::AddDirectory);
                }
                msgs
            }
            Stage::Choices => self.choice_messages(),
            Stage::Pilot(i) => match (self.forests.get(&i), &file.directories[i].pilot_group) {
                (Some(forest), Some(group)) => vec![
                    Msg::SetPilotGroup(forest.clone(), group.clone()),
                    Msg::FindPilotGroup(forest.clone()),
                ],
                _ => Vec::new(),
            },
            Stage::Sso(i) => {
                let d = &file.directories[i];
                match (self.forests.get(&i), &d.sso_admin) {
                    (Some(forest), _) if d.sso_skip => vec![Msg::SetSsoSkip(forest.clone(), true)],
                    (Some(forest), Some(admin)) => {
                        let mut msgs =
                            vec![Msg::SetSsoAccount(forest.clone(), admin.account.clone())];
                        if let Some(password) = &self.imported.sso_passwords[i] {
                            msgs.push(Msg::SetSsoPassword(forest.clone(), password.clone()));
                            msgs.push(Msg::VerifySso(forest.clone()));
                        }
                        msgs
                    }
                    _ => Vec::new(),
                }
            }
            Stage::Settled => Vec::new(),
        })
    }

    /// After a directory stage: which forest it added, or why none.
    fn settle_directory(&mut self, draft: &Draft, facts: &Facts) {
        let Some((i, before)) = self.added_before.take() else {
            return;
        };
        let d = &self.imported.file.directories[i];
        if draft.directories.len() > before
            && let Some(added) = draft.directories.last()
        {
            if let Some(expected) = &d.forest
                && !expected.eq_ignore_ascii_case(&added.forest)
            {
                self.notes.push(format!(
                    "{} answered for the forest {}, not {expected} as the file says; its settings were applied to {}",
                    d.server, added.forest, added.forest
                ));
            }
            self.forests.insert(i, added.forest.clone());
            return;
        }
        let why = match &facts.directory_probe {
            Some(Err(reason)) => reason.clone(),
            Some(Ok(found)) if !found.account.acceptable => {
                format!("{} cannot be the connector account", d.account)
            }
            Some(Ok(found)) => format!("the forest {} is already added", found.forest.name),
            None => "no password was found for it".into(),
        };
        self.notes.push(format!(
            "the forest at {} was not added: {why}. Its values are in the form on the Connect your directories page.",
            d.server
        ));
    }

    fn database_messages(&self) -> Vec<Msg> {
        use super::pages::required_components::database::DatabaseInput as In;
        let Some(db) = &self.imported.file.database else {
            return Vec::new();
        };
        let mut msgs: Vec<Msg> = [
            In::Use(true),
            In::Host(db.host.clone()),
            In::Port(db.port.to_string()),
            In::Database(db.database.clone()),
            In::User(db.user.clone()),
            In::TlsOff(db.tls_off),
            In::CaFile(db.ca_file.clone().unwrap_or_default()),
            In::Password(self.imported.database_password.clone().unwrap_or_default()),
            In::Reuse(db.reuse),
        ]
        .into_iter()
        .map(Msg::Database)
        .collect();
        if self.imported.database_password.is_some() {
            msgs.push(Msg::TestDatabase);
        }
        msgs
    }

    fn tenant_messages(&self) -> Vec<Msg> {
        let file = &self.imported.file;
        let t = &file.tenant;
        let mut msgs = vec![
            Msg::SetSignIn(file.sign_in),
            Msg::SetSingleSignOn(file.single_sign_on),
            Msg::SetTenantAuthority(t.authority.clone()),
            Msg::SetTenantGraph(t.graph.clone()),
            Msg::SetTenantClientId(t.client_id.clone()),
            Msg::SetTenantCaFile(t.ca_file.clone().unwrap_or_default()),
            Msg::SetTenantUser(t.user.clone()),
            Msg::SetTenantDeviceCode(t.device_code),
        ];
        match (&self.imported.tenant_password, t.device_code) {
            (_, true) => msgs.push(Msg::SignInTenant),
            (Some(password), false) => {
                msgs.push(Msg::SetTenantPassword(password.clone()));
                msgs.push(Msg::SignInTenant);
            }
            (None, false) => {}
        }
        msgs
    }

    fn choice_messages(&mut self) -> Vec<Msg> {
        let file = &self.imported.file;
        let mut msgs = vec![
            Msg::SetAlternateSignIn(file.alternate_sign_in.clone()),
            Msg::SetSyncSelected(file.sync_selected),
            Msg::SetMatching(file.matching.clone()),
            Msg::SetAnchor(file.anchor.clone()),
            Msg::SetPilotEnabled(file.pilot),
            Msg::SetStaging(file.staging),
            Msg::SetStartSync(file.start_sync),
        ];
        for (i, forest) in &self.forests {
            if let Some(filter) = &file.directories[*i].ou_filter {
                msgs.push(Msg::SetOuSelection(
                    forest.clone(),
                    OuSelection {
                        included: filter.included.clone(),
                        excluded: filter.excluded.clone(),
                    },
                ));
            }
        }
        for feature in &file.features {
            msgs.push(Msg::SetFeature(*feature, true));
        }
        if let Some(services) = &file.services {
            for &service in crate::engine::attributes::Service::ALL {
                msgs.push(Msg::SetService(service, services.contains(&service)));
            }
        }
        for attribute in &file.excluded_attributes {
            msgs.push(Msg::SetAttribute(attribute.clone(), false));
        }
        for attribute in &file.directory_extensions {
            msgs.push(Msg::SetExtension(attribute.clone(), true));
        }
        for acknowledged in &file.acknowledged {
            match acknowledgement(acknowledged) {
                Some((page, message)) => msgs.push(Msg::Confirm(page, message, true)),
                None => self.notes.push(format!(
                    "\"{acknowledged}\" in acknowledged is not a warning this build knows; it was ignored"
                )),
            }
        }
        msgs
    }
}

/// The page and message id of an acknowledged warning written as `page/message`.
fn acknowledgement(text: &str) -> Option<(PageId, &'static str)> {
    let (page_key, message) = text.split_once('/')?;
    let page = PageId::ALL.iter().copied().find(|p| p.key() == page_key)?;
    let id = page.messages().iter().copied().find(|m| *m == message)?;
    Some((page, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SettingsFile {
        SettingsFile {
            schema: None,
            version: VERSION,
            settings_version: None,
            database: None,
            sign_in: SignInMethod::PasswordHashSync,
            single_sign_on: false,
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
        let newer = SettingsFile::parse(&value.to_string()).unwrap_err();
        assert!(newer.contains("newer Skybridge"), "{newer}");
        value["version"] = 0.into();
        let older = SettingsFile::parse(&value.to_string()).unwrap_err();
        assert!(older.contains("format 0"), "{older}");
        value["version"] = "one".into();
        assert!(SettingsFile::parse(&value.to_string()).is_err());
        value["version"] = 1.into();
        value["tenant"]["passwordText"] = "hunter2".into();
        let unknown = SettingsFile::parse(&value.to_string()).unwrap_err();
        assert!(unknown.contains("passwordText"), "{unknown}");
        assert!(
            SettingsFile::parse("[1]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(SettingsFile::parse("{").unwrap_err().contains("not JSON"));
        assert!(
            SettingsFile::parse("{}")
                .unwrap_err()
                .contains("no \"version\"")
        );
    }

    #[test]
    fn the_published_schema_is_the_one_this_build_reads() {
        let published = include_str!("../../assets/settings.schema.json");
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
    fn secrets_that_cannot_be_found_become_notes_and_empty_passwords() {
        let imported = resolve(sample(), "sample.json");
        assert!(imported.tenant_password.is_none());
        assert_eq!(imported.directory_passwords, vec![None]);
        assert_eq!(imported.notes.len(), 2, "{:?}", imported.notes);
        assert!(imported.notes[0].contains("SKYBRIDGE_TEST_UNSET_VARIABLE_1 is not set"));
    }

    #[test]
    fn an_import_sends_the_tenant_then_each_forest_then_the_choices() {
        let mut imported = resolve(sample(), "sample.json");
        imported.tenant_password = Some(Secret::new("pw"));
        imported.directory_passwords = vec![Some(Secret::new("dpw"))];
        let mut run = ImportRun::new(imported);
        let draft = Draft::default();
        let facts = Facts::default();
        let tenant = run.next_stage(&draft, &facts).expect("tenant stage");
        assert!(matches!(tenant.last(), Some(Msg::SignInTenant)));
        let forest = run.next_stage(&draft, &facts).expect("forest stage");
        assert!(matches!(forest.last(), Some(Msg::AddDirectory)));
        // The forest was not added (nothing answered): a note says so, and the choices follow.
        let choices = run.next_stage(&draft, &facts).expect("choices");
        assert!(
            run.notes.iter().any(|n| n.contains("was not added")),
            "{:?}",
            run.notes
        );
        assert!(
            choices
                .iter()
                .any(|m| matches!(m, Msg::Confirm(PageId::SignInConfiguration, _, true)))
        );
        assert!(
            !run.finished(),
            "not before the choices' probes have answered"
        );
        assert_eq!(run.next_stage(&draft, &facts).map(|m| m.len()), Some(0));
        assert!(run.finished());
        assert!(run.next_stage(&draft, &facts).is_none());
    }

    #[test]
    fn a_password_typed_where_a_reference_belongs_is_not_repeated_in_the_message() {
        let mut value = serde_json::to_value(sample()).expect("json");
        for typed in ["hun`ter\"2, expected", "hunter2"] {
            value["tenant"]["password"] = typed.into();
            let why = SettingsFile::parse(&value.to_string()).unwrap_err();
            assert!(!why.contains("hun"), "{why}");
            assert!(why.contains("line 1"), "{why}");
            value["tenant"]["password"] = serde_json::json!({"vault": typed});
            let why = SettingsFile::parse(&value.to_string()).unwrap_err();
            assert!(!why.contains("hun"), "{why}");
            assert!(why.contains("expected `env` or `keychain`"), "{why}");
        }
    }

    #[test]
    fn acknowledgements_name_known_warnings_only() {
        assert!(acknowledgement("sign_in_configuration/unverified_suffixes").is_some());
        assert!(acknowledgement("sign_in_configuration/nonsense").is_none());
        assert!(acknowledgement("nowhere/unverified_suffixes").is_none());
        assert!(acknowledgement("").is_none());
    }
}
