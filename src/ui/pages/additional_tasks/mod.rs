//! The Additional tasks page: the service's state (`service`), the task list, then the chosen
//! task's pane, one module each — the configuration with its locked settings and reasons
//! (`configuration`), staging mode with the change shown before it is applied (`staging`),
//! the run history with a small chart of adds, updates and deletes per run (`history`), the
//! pending exports with each object's changes (`pending`), search (`search`), single sign-on
//! (`sso`), password synchronization's agents and enrolment codes (`passwords`), the directory schema refresh (`schema`), the troubleshooting checklist
//! (`troubleshoot`), export (`export`), and the walks through the install's pages
//! (`change`: customize, sign-in, federation).

mod change;
mod configuration;
mod export;
mod history;
mod passwords;
mod pending;
mod schema;
mod search;
mod service;
mod sso;
mod staging;
mod troubleshoot;

use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    APPLIED, CYCLE_DONE, CYCLE_FAILED, LOAD_FAILED, LOADING, PASS_THROUGH_RECORDED, RUN_NOW, Task,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::{self, PageText};
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AdditionalTasks);
    let mut msgs = Vec::new();
    if let Some(Err(held)) = &wizard.facts().config_lock {
        ui.colored_label(ui.visuals().warn_fg_color, held.to_string());
        return msgs;
    }
    let installed = match &wizard.facts().installed {
        None => {
            if !wizard.probing(ProbeKind::Installed) {
                msgs.push(Msg::RefreshInstalled);
            }
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(words.field(LOADING));
            });
            return msgs;
        }
        Some(Err(why)) => {
            ui.label(format!("{} {why}", words.message(LOAD_FAILED)));
            return msgs;
        }
        Some(Ok(installed)) => installed,
    };
    service::show(ui, words, wizard, installed, &mut msgs);
    // A method recorded by an earlier build that Skybridge cannot set up is said at once.
    if installed.settings.sign_in.as_deref() == Some(crate::wizard::SignInMethod::PassThrough.key())
    {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            words.field(PASS_THROUGH_RECORDED),
        );
    }
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        for task in Task::ALL {
            if ui
                .selectable_label(wizard.draft().tasks.task == task, words.field(task.field()))
                .clicked()
            {
                msgs.push(Msg::ChooseTask(task));
            }
        }
    });
    ui.separator();
    match wizard.draft().tasks.task {
        Task::Configuration => {
            // A customization comes back here: say what it applied.
            if let Some(Ok(applied)) = &wizard.facts().task_change {
                ui.label(words.field_with(APPLIED, &[("version", &applied.version.to_string())]));
                ui.add_space(4.0);
            }
            configuration::show(ui, words, installed)
        }
        Task::Staging => staging::show(ui, words, wizard, installed, &mut msgs),
        Task::History => {
            run_now(ui, words, wizard, &mut msgs);
            history::show(ui, words, installed);
        }
        Task::Pending => {
            run_now(ui, words, wizard, &mut msgs);
            pending::show(ui, words, installed);
        }
        Task::Troubleshoot => troubleshoot::show(ui, words, wizard, &mut msgs),
        Task::Customize => change::customize(ui, words, wizard, &mut msgs),
        Task::SignIn => change::sign_in(ui, words, wizard, installed, &mut msgs),
        Task::Search => search::show(ui, words, wizard, &mut msgs),
        Task::SingleSignOn => sso::show(ui, words, wizard, &mut msgs),
        Task::Passwords => passwords::show(ui, words, wizard, &installed.settings, &mut msgs),
        Task::RefreshSchema => schema::show(ui, words, wizard, &mut msgs),
        Task::Export => export::show(ui, words, wizard, &mut msgs),
        Task::Federation => change::federation(ui, words, wizard, &mut msgs),
    }
    msgs
}

/// Run a cycle now (History and Pending exports), with what the last one did or why it failed.
fn run_now(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    if action_button(
        ui,
        words.field(RUN_NOW),
        true,
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::RunCycleNow);
    }
    // Below the button, where a long summary can wrap.
    match &wizard.facts().task_cycle {
        Some(Ok(summary)) => {
            ui.label(format!(
                "{} {}",
                words.field(CYCLE_DONE),
                summary.replace('\n', "; ")
            ));
        }
        Some(Err(why)) => {
            failure(ui, words.message(CYCLE_FAILED), why);
        }
        None => {}
    }
    ui.add_space(6.0);
}
