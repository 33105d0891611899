//! The Ready to configure page: the plan in words, staging mode, and whether to start
//! synchronizing once configured. Nothing has been changed anywhere until this page's Next.

use crate::wizard::probe::Answer;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    PASSWORD_SYNC_NOTE,
    SUMMARY,
    SUM_SIGN_IN,
    SUM_TENANT,
    SUM_FORESTS,
    SUM_SCOPE,
    SUM_EXCEPT,
    SUM_PILOT,
    SUM_FEATURES,
    SUM_EXTENSIONS,
    SUM_EXCLUDED,
    SUM_FEDERATION,
    START_SYNC,
    START_SERVICE,
    REGISTER_SERVICE,
    STAGING,
    CONFIGURE,
    APPLY_CHANGES,
    CHANGES,
    NO_CHANGES,
    EXPORT,
    EXPORTED,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[NOT_READY, STAGING_NOTE, EXPORT_FAILED, CHANGE_FAILED];

/// A customization was refused or failed (detail: why).
pub const CHANGE_FAILED: &str = "change_failed";

/// The summary heading.
pub const SUMMARY: &str = "summary";
/// Sign-in line.
pub const SUM_SIGN_IN: &str = "sum_sign_in";
/// What password synchronization will and will not do (`{listen}`).
pub const PASSWORD_SYNC_NOTE: &str = "password_sync_note";
/// Tenant line.
pub const SUM_TENANT: &str = "sum_tenant";
/// Forests line.
pub const SUM_FORESTS: &str = "sum_forests";
/// Scope line (per forest: containers included and excluded).
pub const SUM_SCOPE: &str = "sum_scope";
/// Before the excluded containers of the scope line.
pub const SUM_EXCEPT: &str = "sum_except";
/// Pilot group line.
pub const SUM_PILOT: &str = "sum_pilot";
/// Features line.
pub const SUM_FEATURES: &str = "sum_features";
/// Directory extensions line.
pub const SUM_EXTENSIONS: &str = "sum_extensions";
/// Attributes left out line.
pub const SUM_EXCLUDED: &str = "sum_excluded";
/// Federation line: the domain federated, and where its metadata is.
pub const SUM_FEDERATION: &str = "sum_federation";
/// Start synchronizing when configured.
pub const START_SYNC: &str = "start_sync";
/// Keep synchronizing in the background: start the service.
pub const START_SERVICE: &str = "start_service";
/// Register the service with systemd.
pub const REGISTER_SERVICE: &str = "register_service";
/// Staging mode.
pub const STAGING: &str = "staging";
/// The Next button of this page, which starts configuring.
pub const CONFIGURE: &str = "configure";
/// The Next button of this page when customizing an installation.
pub const APPLY_CHANGES: &str = "apply_changes";
/// Heading of what a customization changes.
pub const CHANGES: &str = "changes";
/// A customization changes nothing.
pub const NO_CHANGES: &str = "no_changes";
/// Export the settings to a file.
pub const EXPORT: &str = "export";
/// The settings were exported (followed by where).
pub const EXPORTED: &str = "exported";
/// The settings could not be exported (detail: why).
pub const EXPORT_FAILED: &str = "export_failed";
/// An earlier page stops the plan (detail: its name).
pub const NOT_READY: &str = "not_ready";
/// Staging mode exports nothing.
pub const STAGING_NOTE: &str = "staging_note";

/// What happens to the service once configured (when synchronization starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceChoice {
    /// No service: cycles run when asked (`skybridge sync run`, or from Additional tasks).
    None,
    /// Started in the background by the wizard.
    #[default]
    Start,
    /// Registered with systemd as a user unit, which starts it (Linux).
    Register,
}

/// Whether this system can register the service (systemd, Linux).
pub const CAN_REGISTER: bool = cfg!(target_os = "linux");

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::ReadyToConfigure;
    let mut problems = Vec::new();
    if let Err(crate::wizard::plan::NotReady(stopped)) = crate::wizard::plan::resolve(draft, facts)
    {
        problems.push(
            Problem::error(page, SUMMARY, NOT_READY)
                .with_detail(crate::wizard::text::page(stopped).sidebar.clone()),
        );
    }
    if draft.tasks.customizing {
        if let Some(Err(why)) = &facts.task_change {
            problems.push(Problem::warning(page, CHANGES, CHANGE_FAILED).with_detail(why.clone()));
        }
        return problems;
    }
    if draft.staging {
        problems.push(Problem::warning(page, STAGING, STAGING_NOTE));
    }
    if let Some(Err(why)) = &facts.export {
        problems.push(Problem::warning(page, EXPORT, EXPORT_FAILED).with_detail(why.clone()));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetStaging(on) => w.draft.staging = on,
        Msg::SetStartSync(on) => w.draft.no_start_sync = !on,
        Msg::SetServiceChoice(choice) => w.draft.service = choice,
        Msg::ExportSettingsTo(path) => {
            let file = crate::wizard::settings::SettingsFile::from_draft(&w.draft, &w.facts);
            w.facts.export = None;
            return vec![
                w.operate(crate::wizard::operation::Operation::WriteSettings {
                    path,
                    file: Box::new(file),
                }),
            ];
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    if let crate::wizard::probe::Answer::WriteSettings(outcome) = result {
        w.facts.export = Some(outcome);
    }
    Vec::new()
}
