//! The Required components page: where the installation keeps its data (its folder, and
//! optionally a database server for the engine's state: [`crate::wizard::pages::required_components::database`]), and importing
//! the settings of an earlier installation (a settings file).
//!
//! The data folder is checked by a probe ([`check_folder`]) each time it changes and when
//! the page is entered: it must be a full path, creatable and writable, and must not already
//! hold an installation or someone else's files (configuring restricts the folder to its
//! owner).

use crate::wizard::probe::Answer;
use crate::wizard::{Effect, Msg, Wizard};
pub mod database;

use std::path::{Path, PathBuf};

use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    DATA_FOLDER,
    BROWSE,
    IMPORT_FILE,
    IMPORT,
    IMPORTED_FROM,
    IMPORT_NOTES,
    crate::wizard::pages::required_components::database::DB_USE,
    crate::wizard::pages::required_components::database::DB_HOST,
    crate::wizard::pages::required_components::database::DB_PORT,
    crate::wizard::pages::required_components::database::DB_NAME,
    crate::wizard::pages::required_components::database::DB_USER,
    crate::wizard::pages::required_components::database::DB_PASSWORD,
    crate::wizard::pages::required_components::database::DB_TLS_OFF,
    crate::wizard::pages::required_components::database::DB_CA_FILE,
    crate::wizard::pages::required_components::database::DB_TEST,
    crate::wizard::pages::required_components::database::DB_REUSE,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    FOLDER_RELATIVE,
    FOLDER_CHECKING,
    FOLDER_INSTALLED,
    FOLDER_NOT_EMPTY,
    FOLDER_UNUSABLE,
    IMPORT_RUNNING,
    IMPORT_FAILED,
    IMPORT_NOTED,
    crate::wizard::pages::required_components::database::DB_INCOMPLETE,
    crate::wizard::pages::required_components::database::DB_PORT_INVALID,
    crate::wizard::pages::required_components::database::DB_NOT_TESTED,
    crate::wizard::pages::required_components::database::DB_TESTING,
    crate::wizard::pages::required_components::database::DB_USABLE,
    crate::wizard::pages::required_components::database::DB_UNREACHABLE,
    crate::wizard::pages::required_components::database::DB_AUTH_FAILED,
    crate::wizard::pages::required_components::database::DB_NO_DATABASE,
    crate::wizard::pages::required_components::database::DB_NO_CREATE,
    crate::wizard::pages::required_components::database::DB_HOLDS_DATA,
    crate::wizard::pages::required_components::database::DB_REUSE_MISMATCH,
    crate::wizard::pages::required_components::database::DB_REUSED,
    crate::wizard::pages::required_components::database::DB_FAILED,
    crate::wizard::pages::required_components::database::DB_TLS_OFF_WARNING,
];

/// The data folder.
pub const DATA_FOLDER: &str = "data_folder";
/// The buttons that open a folder or file dialog.
pub const BROWSE: &str = "browse";
/// The settings file to import.
pub const IMPORT_FILE: &str = "import_file";
/// The Import button.
pub const IMPORT: &str = "import";
/// Where the imported settings came from.
pub const IMPORTED_FROM: &str = "imported_from";
/// Heading of what could not be imported.
pub const IMPORT_NOTES: &str = "import_notes";
/// The folder is not a full path.
pub const FOLDER_RELATIVE: &str = "folder_relative";
/// The folder is being checked.
pub const FOLDER_CHECKING: &str = "folder_checking";
/// The folder holds an installation already.
pub const FOLDER_INSTALLED: &str = "folder_installed";
/// The folder holds other files.
pub const FOLDER_NOT_EMPTY: &str = "folder_not_empty";
/// The folder cannot be created or written (detail: why).
pub const FOLDER_UNUSABLE: &str = "folder_unusable";
/// An import is under way.
pub const IMPORT_RUNNING: &str = "import_running";
/// The file could not be imported (detail: why).
pub const IMPORT_FAILED: &str = "import_failed";
/// Parts of the file could not be imported (they are listed on the page).
pub const IMPORT_NOTED: &str = "import_noted";

/// What the folder check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderCheck {
    /// It can be installed into.
    Usable,
    /// It holds an installation already.
    Installed,
    /// It holds files that are not Skybridge's.
    NotEmpty,
    /// It cannot be created or written (why, in words).
    Unusable(String),
}

/// Checks a data folder (blocking: reads the file system, and creates and removes a scratch
/// file in the nearest existing folder to learn whether it can be written).
pub fn check_folder(path: &Path) -> FolderCheck {
    if path.join("settings.json").exists() {
        return FolderCheck::Installed;
    }
    if path.exists() {
        if !path.is_dir() {
            return FolderCheck::Unusable("it is a file, not a folder".into());
        }
        match std::fs::read_dir(path) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return FolderCheck::NotEmpty;
                }
            }
            Err(e) => return FolderCheck::Unusable(format!("it cannot be read ({e})")),
        }
    }
    let Some(existing) = path.ancestors().find(|a| a.exists()) else {
        return FolderCheck::Unusable("no part of the path exists".into());
    };
    if !existing.is_dir() {
        return FolderCheck::Unusable(format!("{} is a file, not a folder", existing.display()));
    }
    let scratch = existing.join(format!(".skybridge-check-{}", uuid::Uuid::new_v4()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&scratch)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&scratch);
            FolderCheck::Usable
        }
        Err(e) => FolderCheck::Unusable(format!("{} cannot be written ({e})", existing.display())),
    }
}

/// Whether a folder check answered for this folder.
pub fn checked<'a>(facts: &'a Facts, path: &PathBuf) -> Option<&'a FolderCheck> {
    facts
        .data_folder
        .as_ref()
        .filter(|(p, _)| p == path)
        .map(|(_, c)| c)
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::RequiredComponents;
    let mut problems = Vec::new();
    if !draft.data_dir.is_absolute() {
        problems.push(Problem::error(page, DATA_FOLDER, FOLDER_RELATIVE));
    } else {
        match checked(facts, &draft.data_dir) {
            None => problems.push(Problem::error(page, DATA_FOLDER, FOLDER_CHECKING)),
            Some(FolderCheck::Usable) => {}
            Some(FolderCheck::Installed) => {
                problems.push(Problem::error(page, DATA_FOLDER, FOLDER_INSTALLED));
            }
            Some(FolderCheck::NotEmpty) => {
                problems.push(Problem::error(page, DATA_FOLDER, FOLDER_NOT_EMPTY));
            }
            Some(FolderCheck::Unusable(why)) => problems
                .push(Problem::error(page, DATA_FOLDER, FOLDER_UNUSABLE).with_detail(why.clone())),
        }
    }
    match (&facts.import, &facts.settings_file) {
        (Some(run), _) if !run.finished() => {
            problems.push(Problem::error(page, IMPORT_FILE, IMPORT_RUNNING));
        }
        (Some(run), _) if !run.notes.is_empty() => {
            problems.push(Problem::warning(page, IMPORT_FILE, IMPORT_NOTED));
        }
        (_, Some(Err(why))) => problems
            .push(Problem::warning(page, IMPORT_FILE, IMPORT_FAILED).with_detail(why.clone())),
        _ => {}
    }
    problems.extend(
        crate::wizard::pages::required_components::database::validate(
            &draft.database,
            facts.database.as_ref(),
            facts
                .import
                .as_ref()
                .and_then(crate::wizard::settings::ImportRun::settings_version),
        ),
    );
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetDataDir(path) => {
            w.draft.data_dir = path;
            return w.check_data_folder();
        }
        Msg::Database(input) => {
            let changed = w.draft.database.apply(input);
            if changed {
                // A test of other values says nothing about these.
                w.facts.database = None;
                w.awaited.remove(&crate::wizard::probe::ProbeKind::Database);
            }
        }
        Msg::TestDatabase => {
            w.facts.database = None;
            if let Some(server) = w.draft.database.server() {
                return vec![w.ask(crate::wizard::probe::Probe::TestDatabase { server })];
            }
        }
        Msg::SetImportFile(text) => w.draft.import_file = text,
        Msg::ImportSettingsFrom(path) => {
            w.draft.import_file = path.display().to_string();
            w.facts.settings_file = None;
            return vec![w.ask(crate::wizard::probe::Probe::ReadSettings { path })];
        }
        Msg::ImportSettings(imported) => {
            // An import starts from a clean slate: forests added before are removed, so
            // the result is the file's configuration, not a mixture.
            w.draft.directories.clear();
            w.draft.ou_filters.clear();
            w.draft.pilot_groups.clear();
            w.draft.confirmed.clear();
            w.draft.features.clear();
            w.draft.extensions.clear();
            w.draft.unticked_attributes.clear();
            w.draft.services = crate::engine::attributes::Service::ALL
                .iter()
                .copied()
                .collect();
            w.facts.forests.clear();
            w.facts.pilot_groups.clear();
            w.facts.settings_file = None;
            w.draft.mode = Some(crate::wizard::InstallMode::Custom);
            w.facts.import = Some(crate::wizard::settings::ImportRun::new(*imported));
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        crate::wizard::probe::Answer::DatabaseTested(test) => {
            w.facts.database = Some(test);
        }
        crate::wizard::probe::Answer::DataFolder(path, check) => {
            w.facts.data_folder = Some((path, check));
        }
        crate::wizard::probe::Answer::ReadSettings(Ok(imported)) => {
            return w.apply_msg(Msg::ImportSettings(imported));
        }
        crate::wizard::probe::Answer::ReadSettings(Err(why)) => {
            w.facts.settings_file = Some(Err(why));
        }
        // Answers for other pages never come here.
        _ => {}
    }
    Vec::new()
}

impl Wizard {
    /// Checks the data folder as it now stands (a relative one needs no asking).
    pub(crate) fn check_data_folder(&mut self) -> Vec<Effect> {
        if !self.draft.data_dir.is_absolute() {
            self.awaited
                .remove(&crate::wizard::probe::ProbeKind::DataFolder);
            return Vec::new();
        }
        let path = self.draft.data_dir.clone();
        vec![self.ask(crate::wizard::probe::Probe::DataFolder { path })]
    }

    /// Sends the next stages of a settings import while nothing it asked is unanswered.
    pub(crate) fn continue_import(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        while self.awaited.is_empty() {
            let Some(mut import) = self.facts.import.take() else {
                break;
            };
            let msgs = import.next_stage(&self.draft, &self.facts);
            self.facts.import = Some(import);
            let Some(msgs) = msgs else {
                break;
            };
            for msg in msgs {
                effects.extend(self.apply_msg(msg));
            }
        }
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "skybridge-components-{label}-{}",
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn a_new_or_empty_folder_is_usable_and_others_are_refused_with_their_reason() {
        let dir = scratch("check");
        assert_eq!(check_folder(&dir.join("a/b/c")), FolderCheck::Usable);
        assert_eq!(check_folder(&dir), FolderCheck::Usable);
        std::fs::write(dir.join("notes.txt"), "x").expect("write");
        assert_eq!(check_folder(&dir), FolderCheck::NotEmpty);
        assert!(matches!(
            check_folder(&dir.join("notes.txt")),
            FolderCheck::Unusable(_)
        ));
        assert!(matches!(
            check_folder(&dir.join("notes.txt/below")),
            FolderCheck::Unusable(_)
        ));
        std::fs::write(dir.join("settings.json"), "{}").expect("write");
        assert_eq!(check_folder(&dir), FolderCheck::Installed);
        // The check leaves nothing behind.
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_page_waits_for_the_check_of_the_folder_shown_and_refuses_a_relative_one() {
        let mut draft = Draft {
            data_dir: PathBuf::from("relative/folder"),
            ..Draft::default()
        };
        let mut facts = Facts::default();
        let messages = |d: &Draft, f: &Facts| -> Vec<&str> {
            validate(d, f).iter().map(|p| p.message).collect()
        };
        assert_eq!(messages(&draft, &facts), [FOLDER_RELATIVE]);
        draft.data_dir = PathBuf::from("/srv/skybridge");
        assert_eq!(messages(&draft, &facts), [FOLDER_CHECKING]);
        facts.data_folder = Some((PathBuf::from("/srv/other"), FolderCheck::Usable));
        assert_eq!(messages(&draft, &facts), [FOLDER_CHECKING]);
        facts.data_folder = Some((draft.data_dir.clone(), FolderCheck::Usable));
        assert!(messages(&draft, &facts).is_empty());
        facts.data_folder = Some((draft.data_dir.clone(), FolderCheck::Installed));
        assert_eq!(messages(&draft, &facts), [FOLDER_INSTALLED]);
    }
}
