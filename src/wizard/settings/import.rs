//! The import machine: a settings file read with its secrets looked up ([`Imported`]), and the
//! stages of messages that fill the wizard's pages from it ([`ImportRun`]), each sent once the
//! probes the previous stage started have answered.

use std::collections::BTreeMap;
use std::path::Path;

use super::{SecretRef, SettingsError, SettingsFile};
use crate::secret::Secret;
use crate::wizard::registry::PageId;
use crate::wizard::state::scope::OuSelection;
use crate::wizard::{Draft, Facts, Msg};

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
pub fn read(path: &Path) -> Result<Imported, SettingsError> {
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
            Some(Err(reason)) => reason.to_string(),
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
        use crate::wizard::pages::required_components::database::DatabaseInput as In;
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
            Msg::SetPasswordListen(file.password_sync.as_ref().map_or_else(
                || crate::passwords::DEFAULT_LISTEN.to_string(),
                |p| p.listen.clone(),
            )),
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
    use super::super::sample;
    use super::*;

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
    fn acknowledgements_name_known_warnings_only() {
        assert!(acknowledgement("sign_in_configuration/unverified_suffixes").is_some());
        assert!(acknowledgement("sign_in_configuration/nonsense").is_none());
        assert!(acknowledgement("nowhere/unverified_suffixes").is_none());
        assert!(acknowledgement("").is_none());
    }
}
