//! The Connect your directories page: each forest is added with the account Skybridge reads it
//! with. Adding one signs in to a domain controller, discovers the forest and checks the
//! account; only a forest whose account is acceptable is added.

use crate::directory::{AccountName, ServerSpec};
use crate::wizard::probe::Answer;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::directories::DirectoryForm;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    SERVER,
    ACCOUNT,
    PASSWORD,
    STARTTLS,
    CA_FILE,
    ADD,
    ADDED,
    REMOVE,
    USE_EXISTING,
    CREATE_NEW,
    ADMIN_ACCOUNT,
    ADMIN_PASSWORD,
    CREATED,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    ADD_A_DIRECTORY,
    ENTER_SERVER,
    BAD_SERVER,
    ENTER_ACCOUNT,
    BAD_ACCOUNT,
    ENTER_PASSWORD,
    CONNECTING,
    CONNECT_FAILED,
    ACCOUNT_REFUSED,
    ALREADY_ADDED,
    EXPRESS_ONE_FOREST,
];

/// The domain controller (`ldaps://dc1.contoso.com`).
pub const SERVER: &str = "server";
/// The account Skybridge reads the forest with.
pub const ACCOUNT: &str = "account";
/// Its password.
pub const PASSWORD: &str = "password";
/// Use StartTLS on port 389 instead of LDAPS.
pub const STARTTLS: &str = "starttls";
/// CA file for the domain controller's certificate.
pub const CA_FILE: &str = "ca_file";
/// The Add directory button.
pub const ADD: &str = "add";
/// The list of added forests.
pub const ADDED: &str = "added";
/// The Remove button of an added forest.
pub const REMOVE: &str = "remove";
/// Nothing added yet.
pub const ADD_A_DIRECTORY: &str = "add_a_directory";
/// No server.
pub const ENTER_SERVER: &str = "enter_server";
/// The server address cannot be used (the detail says why).
pub const BAD_SERVER: &str = "bad_server";
/// No account.
pub const ENTER_ACCOUNT: &str = "enter_account";
/// The account name cannot be used (the detail says why).
pub const BAD_ACCOUNT: &str = "bad_account";
/// No password.
pub const ENTER_PASSWORD: &str = "enter_password";
/// Adding is under way.
pub const CONNECTING: &str = "connecting";
/// The domain controller could not be used (the detail says why).
pub const CONNECT_FAILED: &str = "connect_failed";
/// The account may not be Skybridge's connector account (the detail says why).
pub const ACCOUNT_REFUSED: &str = "account_refused";
/// The forest is in the list already.
pub const ALREADY_ADDED: &str = "already_added";
/// Use an existing connector account.
pub const USE_EXISTING: &str = "use_existing";
/// Create a new connector account with an enterprise administrator's sign-in.
pub const CREATE_NEW: &str = "create_new";
/// The enterprise administrator (the account field while creating).
pub const ADMIN_ACCOUNT: &str = "admin_account";
/// Their password.
pub const ADMIN_PASSWORD: &str = "admin_password";
/// A connector account was created (followed by which, and where).
pub const CREATED: &str = "created";
/// The express install connects one forest.
pub const EXPRESS_ONE_FOREST: &str = "express_one_forest";

impl DirectoryForm {
    /// The server and account this form describes, or the problems that stop it.
    pub fn parsed(&self) -> Result<(ServerSpec, AccountName), Vec<Problem>> {
        let page = PageId::ConnectDirectories;
        let mut problems = Vec::new();
        let server = if self.server.trim().is_empty() {
            problems.push(Problem::error(page, SERVER, ENTER_SERVER));
            None
        } else {
            match ServerSpec::parse(self.server.trim(), self.starttls, false) {
                Ok(spec) => Some(
                    spec.with_ca_file(
                        Some(self.ca_file.trim())
                            .filter(|f| !f.is_empty())
                            .map(std::path::PathBuf::from),
                    ),
                ),
                Err(e) => {
                    problems
                        .push(Problem::error(page, SERVER, BAD_SERVER).with_detail(e.to_string()));
                    None
                }
            }
        };
        let account = if self.account.trim().is_empty() {
            problems.push(Problem::error(page, ACCOUNT, ENTER_ACCOUNT));
            None
        } else {
            match AccountName::parse(self.account.trim()) {
                Ok(a) => Some(a),
                Err(e) => {
                    problems.push(
                        Problem::error(page, ACCOUNT, BAD_ACCOUNT).with_detail(e.to_string()),
                    );
                    None
                }
            }
        };
        if self.password.expose().is_empty() {
            problems.push(Problem::error(page, PASSWORD, ENTER_PASSWORD));
        }
        match (server, account) {
            (Some(s), Some(a)) if problems.is_empty() => Ok((s, a)),
            _ => Err(problems),
        }
    }
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::ConnectDirectories;
    let mut problems = Vec::new();
    let form = &draft.directory_form;
    // The form matters while something is typed in it, or when nothing was added yet.
    if !form.is_empty() || draft.directories.is_empty() {
        if let Err(found) = form.parsed() {
            if !form.is_empty() {
                problems.extend(found);
            }
        } else if facts.adding_directory {
            problems.push(Problem::error(page, ADD, CONNECTING));
        } else {
            match &facts.directory_probe {
                Some(Err(reason)) => problems
                    .push(Problem::error(page, ADD, CONNECT_FAILED).with_detail(reason.clone())),
                Some(Ok(found)) if !found.account.acceptable => {
                    // The groups say it in a line; the findings repeat the advice per group.
                    let groups: Vec<&str> = found
                        .account
                        .privileged_groups
                        .iter()
                        .map(|g| g.name())
                        .collect();
                    let detail = if groups.is_empty() {
                        found.account.findings.join(" ")
                    } else {
                        groups.join(", ")
                    };
                    problems
                        .push(Problem::error(page, ACCOUNT, ACCOUNT_REFUSED).with_detail(detail))
                }
                Some(Ok(found))
                    if draft
                        .directories
                        .iter()
                        .any(|d| d.forest.eq_ignore_ascii_case(&found.forest.name)) =>
                {
                    problems.push(
                        Problem::error(page, ADD, ALREADY_ADDED)
                            .with_detail(found.forest.name.clone()),
                    )
                }
                _ => {}
            }
        }
    }
    if draft.directories.is_empty() {
        problems.push(Problem::error(page, ADDED, ADD_A_DIRECTORY));
    }
    if draft.mode == Some(crate::wizard::InstallMode::Express) && draft.directories.len() > 1 {
        problems.push(Problem::error(page, ADDED, EXPRESS_ONE_FOREST));
    }
    problems
}

/// Whether adding the form's forest creates a connector account (the express install always
/// does: it asks for an enterprise administrator only).
pub fn creates_account(draft: &Draft) -> bool {
    draft.directory_form.create_account || draft.mode == Some(crate::wizard::InstallMode::Express)
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetDirectoryServer(v) => w.directory_input(|f| f.server = v),
        Msg::SetDirectoryAccount(v) => w.directory_input(|f| f.account = v),
        Msg::SetDirectoryPassword(v) => w.directory_input(|f| f.password = v),
        Msg::SetDirectoryStartTls(v) => w.directory_input(|f| f.starttls = v),
        Msg::SetDirectoryCaFile(v) => w.directory_input(|f| f.ca_file = v),
        Msg::SetDirectoryCreateAccount(v) => w.directory_input(|f| f.create_account = v),
        Msg::AddDirectory => {
            let Ok((server, account)) = w.draft.directory_form.parsed() else {
                return Vec::new();
            };
            let password = w.draft.directory_form.password.clone();
            w.facts.created_connector = None;
            w.facts.directory_probe = None;
            w.facts.adding_directory = true;
            let effect = if creates_account(&w.draft) {
                w.operate(crate::wizard::operation::Operation::CreateConnector {
                    server,
                    admin: account,
                    password,
                })
            } else {
                w.ask(crate::wizard::probe::Probe::Directory {
                    server,
                    account,
                    password,
                })
            };
            return vec![effect];
        }
        Msg::RemoveDirectory(forest) => {
            w.draft.directories.retain(|d| d.forest != forest);
            w.draft.ou_filters.remove(&forest);
            w.draft.sso.remove(&forest);
            w.facts.sso_checks.remove(&forest);
            w.facts.forests.remove(&forest);
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        crate::wizard::probe::Answer::Directory(outcome) => {
            w.facts.adding_directory = false;
            w.directory_found(outcome.map(|found| *found));
        }
        crate::wizard::probe::Answer::ConnectorCreated(outcome) => {
            w.facts.adding_directory = false;
            match outcome {
                Ok(created) => {
                    // From here on the forest is read with the new account; the
                    // administrator's password is forgotten.
                    let created = *created;
                    let form = &mut w.draft.directory_form;
                    form.account = created.account.clone();
                    form.password = created.password;
                    form.create_account = false;
                    w.facts.created_connector =
                        Some(format!("{} ({})", created.account, created.dn));
                    w.directory_found(Ok(created.facts));
                }
                Err(why) => w.facts.directory_probe = Some(Err(why)),
            }
        }
        // Answers for other pages never come here.
        _ => {}
    }
    Vec::new()
}

impl Wizard {
    /// Changes the forest form: an earlier outcome no longer holds.
    pub(crate) fn directory_input(
        &mut self,
        change: impl FnOnce(&mut crate::wizard::state::directories::DirectoryForm),
    ) {
        change(&mut self.draft.directory_form);
        self.facts.directory_probe = None;
        self.facts.adding_directory = false;
        self.awaited
            .remove(&crate::wizard::probe::ProbeKind::Directory);
    }

    /// A forest was read: added when its account is acceptable and it is new; otherwise the
    /// outcome stays on the page with the form as it was.
    pub(crate) fn directory_found(
        &mut self,
        outcome: Result<crate::ops::discover::ForestFacts, crate::ops::Failure>,
    ) {
        if let Ok(found) = &outcome
            && found.account.acceptable
            && !self
                .draft
                .directories
                .iter()
                .any(|d| d.forest.eq_ignore_ascii_case(&found.forest.name))
        {
            let form = std::mem::take(&mut self.draft.directory_form);
            self.draft
                .directories
                .push(crate::wizard::state::directories::AddedDirectory {
                    forest: found.forest.name.clone(),
                    form,
                });
            self.draft.ou_filters.insert(
                found.forest.name.clone(),
                crate::wizard::state::scope::OuSelection::everything(found),
            );
            self.facts
                .forests
                .insert(found.forest.name.clone(), found.clone());
            self.facts.directory_probe = None;
            return;
        }
        self.facts.directory_probe = Some(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::wizard::state::directories::AddedDirectory;

    fn form(server: &str, account: &str, password: &str) -> DirectoryForm {
        DirectoryForm {
            server: server.into(),
            account: account.into(),
            password: Secret::new(password),
            ..DirectoryForm::default()
        }
    }

    fn messages(draft: &Draft) -> Vec<&'static str> {
        validate(draft, &Facts::default())
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn the_express_install_creates_the_account_and_connects_one_forest() {
        let mut draft = Draft::default();
        assert!(!creates_account(&draft));
        draft.directory_form.create_account = true;
        assert!(creates_account(&draft));
        draft.directory_form.create_account = false;
        draft.mode = Some(crate::wizard::InstallMode::Express);
        assert!(creates_account(&draft));
        draft.directories = vec![
            AddedDirectory::for_tests("contoso.test"),
            AddedDirectory::for_tests("fabrikam.test"),
        ];
        assert_eq!(messages(&draft), [EXPRESS_ONE_FOREST]);
        draft.mode = Some(crate::wizard::InstallMode::Custom);
        assert!(messages(&draft).is_empty());
    }

    #[test]
    fn an_empty_page_asks_for_a_directory() {
        assert_eq!(messages(&Draft::default()), [ADD_A_DIRECTORY]);
    }

    #[test]
    fn the_form_names_what_cannot_be_used() {
        let mut draft = Draft {
            directory_form: form("ldaps://dc1.contoso.com", "CONTOSO\\sky-sync", ""),
            ..Draft::default()
        };
        assert_eq!(messages(&draft), [ENTER_PASSWORD, ADD_A_DIRECTORY]);
        draft.directory_form = form("ftp://dc1", "a\\b\\c", "pw");
        let problems = validate(&draft, &Facts::default());
        assert_eq!(problems[0].message, BAD_SERVER);
        assert!(problems[0].detail.is_some());
        assert_eq!(problems[1].message, BAD_ACCOUNT);
        draft.directory_form = form("ldaps://dc1.contoso.com", "CONTOSO\\sky-sync", "pw");
        assert_eq!(messages(&draft), [ADD_A_DIRECTORY]);
    }

    #[test]
    fn an_added_forest_is_enough_and_an_empty_form_then_says_nothing() {
        let draft = Draft {
            directories: vec![AddedDirectory {
                forest: "contoso.com".into(),
                form: form("ldaps://dc1.contoso.com", "CONTOSO\\sky-sync", "pw"),
            }],
            ..Draft::default()
        };
        assert!(messages(&draft).is_empty());
    }
}
