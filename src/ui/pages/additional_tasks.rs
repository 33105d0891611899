//! The Additional tasks page: the task list, then the chosen task — the configuration with its
//! locked settings and reasons, staging mode with the change shown before it is applied, the
//! run history with a small chart of adds, updates and deletes per run, and the pending exports
//! with each object's changes.

use crate::engine::config::{differences, locks};
use crate::engine::model::ExportChange;
use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::Change;
use crate::wizard::pages::additional_tasks::{
    ADDS, ANCHOR, APPLIED, APPLY, CHANGE_FAILED, CHANGES, CHECK_FAIL, CHECK_PASS, CHECK_WARN,
    CUSTOMIZE_HELP, CUSTOMIZE_START, CYCLE_DONE, CYCLE_FAILED, DELETES, DOMAIN_ADDED, DOMAIN_GONE,
    EXPORT_TO, EXPORTED, FEDERATION_HELP, FEDERATION_START, FORESTS, FOUND, HISTORY_CHART, HIT_CS,
    HIT_DELETED, HIT_ERROR, HIT_JOINED, HIT_MV, HIT_NOT_EXPORTED, HIT_NOT_IN_TENANT,
    HIT_NOT_JOINED, HIT_PENDING, HIT_TENANT, Installed, LINGER_NOTE, LOAD_FAILED, LOADING, LOCKED,
    MATCHING, NO_CHANGES, NOTHING_PENDING, PILOT, REFRESH, REGISTER, REGISTERED, RELEASES,
    RUN_CHECKS, RUN_NOW, SCHEMA_APPLIED, SCHEMA_FAILED, SCHEMA_FIRST, SCHEMA_FOREST, SCHEMA_HELP,
    SCHEMA_NEW, SCHEMA_NOTHING_NEW, SCOPE, SEARCH, SEARCH_BOX, SEARCH_FAILED, SEARCH_HINT,
    SERVICE_FAILED, SERVICE_RUNNING, SERVICE_STALE, SERVICE_STOPPED, SETTING, SIGN_IN_HELP,
    SIGN_IN_NOW, SIGN_IN_START, SSO_ACCOUNT, SSO_ADMIN, SSO_CREATE, SSO_FAILED, SSO_HELP,
    SSO_IS_OFF, SSO_IS_ON, SSO_KEY_DAYS, SSO_NONE, SSO_OLD, SSO_PASSWORD, SSO_RENEW,
    SSO_UNREADABLE, STAGING, STAGING_BOX, START_AGAIN, START_SERVICE, STOP_SERVICE, ServiceAction,
    Task, UNREGISTER, UPDATES, VALUE, VERSION, staging_change,
};
use crate::wizard::pages::ready_to_configure::CAN_REGISTER;
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
    service(ui, words, wizard, installed, &mut msgs);
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
            configuration(ui, words, installed)
        }
        Task::Staging => staging(ui, words, wizard, installed, &mut msgs),
        Task::History => {
            run_now(ui, words, wizard, &mut msgs);
            history(ui, words, installed);
        }
        Task::Pending => {
            run_now(ui, words, wizard, &mut msgs);
            pending(ui, words, installed);
        }
        Task::Troubleshoot => troubleshoot(ui, words, wizard, &mut msgs),
        Task::Customize => customize(ui, words, wizard, &mut msgs),
        Task::SignIn => sign_in(ui, words, wizard, installed, &mut msgs),
        Task::Search => search(ui, words, wizard, &mut msgs),
        Task::SingleSignOn => single_sign_on(ui, words, wizard, &mut msgs),
        Task::RefreshSchema => refresh_schema(ui, words, wizard, &mut msgs),
        Task::Export => export(ui, words, wizard, &mut msgs),
        Task::Federation => {
            ui.label(words.field(FEDERATION_HELP));
            ui.add_space(6.0);
            begin_change(
                ui,
                words,
                wizard,
                Change::Federation,
                FEDERATION_START,
                &mut msgs,
            );
        }
    }
    msgs
}

/// The service's state, with what can be done to it: start (again, after a crash), stop,
/// register with systemd or unregister.
fn service(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    let busy = wizard.probing(ProbeKind::TaskChange);
    ui.horizontal_wrapped(|ui| {
        match (&installed.service, installed.stale) {
            (Some(status), _) => {
                ui.label(words.field_with(SERVICE_RUNNING, &[("pid", &status.pid.to_string())]));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(STOP_SERVICE)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Stop));
                }
            }
            (None, true) => {
                ui.colored_label(ui.visuals().warn_fg_color, words.field(SERVICE_STALE));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(START_AGAIN)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Start));
                }
            }
            (None, false) => {
                ui.label(egui::RichText::new(words.field(SERVICE_STOPPED)).weak());
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(START_SERVICE)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Start));
                }
            }
        }
        if busy {
            ui.spinner();
        }
    });
    if CAN_REGISTER {
        ui.horizontal_wrapped(|ui| match &installed.registered {
            Some(unit) => {
                ui.label(words.field_with(REGISTERED, &[("unit", unit)]));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(UNREGISTER)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Unregister));
                }
            }
            None => {
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(REGISTER)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Register));
                }
                ui.label(egui::RichText::new(words.field(LINGER_NOTE)).weak());
            }
        });
    }
    match &wizard.facts().service_action {
        Some(Ok(done)) => {
            ui.label(done);
        }
        Some(Err(why)) => {
            failure(ui, words.message(SERVICE_FAILED), why);
        }
        None => {}
    }
}

/// Customize synchronization options: what it changes, and the button that opens the pages.
fn customize(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(CUSTOMIZE_HELP));
    ui.add_space(6.0);
    begin_change(
        ui,
        words,
        wizard,
        Change::SyncOptions,
        CUSTOMIZE_START,
        msgs,
    );
}

/// The button that opens a change's pages (busy while the installation is read), and why the
/// last change failed.
fn begin_change(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    change: Change,
    label: &str,
    msgs: &mut Vec<Msg>,
) {
    let busy = wizard.probing(ProbeKind::SettingsFile);
    if action_button(ui, words.field(label), true, busy) {
        msgs.push(Msg::BeginChange(change));
    }
    if let Some(Err(why)) = &wizard.facts().task_change {
        failure(ui, words.message(CHANGE_FAILED), why);
    }
}

/// Search: connector-space objects and metaverse identities whose names or values hold the
/// text typed, each with what it is joined to, whether it is exported and why not.
fn search(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    use crate::engine::search::Hit;
    let busy = wizard.probing(ProbeKind::Search);
    ui.horizontal(|ui| {
        let mut text = wizard.draft().tasks.search.clone();
        let label = ui.label(words.field(SEARCH_BOX));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text(words.field(SEARCH_HINT))
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        if field.changed() {
            msgs.push(Msg::SetTaskSearch(text.clone()));
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = !text.trim().is_empty() && !busy;
        let pressed = ui
            .add_enabled(ready, egui::Button::new(words.field(SEARCH)))
            .clicked();
        if pressed || (entered && ready) {
            msgs.push(Msg::SearchInstalled);
        }
        if busy {
            ui.spinner();
        }
    });
    ui.add_space(6.0);
    let hits = match &wizard.facts().found {
        None => return,
        Some(Err(why)) => {
            failure(ui, words.message(SEARCH_FAILED), why);
            return;
        }
        Some(Ok(hits)) => hits,
    };
    ui.label(words.field_with(FOUND, &[("n", &hits.len().to_string())]));
    egui::ScrollArea::vertical().show(ui, |ui| {
        for hit in hits {
            match hit {
                Hit::ConnectorSpace {
                    connector,
                    dn,
                    class,
                    deleted,
                    joined_to,
                } => {
                    ui.label(
                        egui::RichText::new(words.field_with(
                            HIT_CS,
                            &[("connector", connector), ("class", class), ("dn", dn)],
                        ))
                        .strong(),
                    );
                    let state = match (deleted, joined_to) {
                        (true, _) => words.field(HIT_DELETED).to_string(),
                        (false, Some(id)) => words.field_with(HIT_JOINED, &[("id", id)]),
                        (false, None) => words.field(HIT_NOT_JOINED).to_string(),
                    };
                    ui.label(egui::RichText::new(format!("    {state}")).weak());
                }
                Hit::Metaverse {
                    id,
                    desired,
                    tenant_id,
                    not_exportable,
                    error,
                    pending,
                } => {
                    let name = desired["userPrincipalName"]
                        .as_str()
                        .or_else(|| desired["displayName"].as_str())
                        .unwrap_or_default();
                    ui.label(
                        egui::RichText::new(
                            words.field_with(HIT_MV, &[("id", id), ("name", name)]),
                        )
                        .strong(),
                    );
                    let mut lines = Vec::new();
                    match tenant_id {
                        Some(t) => lines.push(words.field_with(HIT_TENANT, &[("id", t)])),
                        None => lines.push(words.field(HIT_NOT_IN_TENANT).to_string()),
                    }
                    if let Some(why) = not_exportable {
                        lines.push(words.field_with(HIT_NOT_EXPORTED, &[("why", why)]));
                    }
                    if let Some(e) = error {
                        lines.push(words.field_with(HIT_ERROR, &[("error", e)]));
                    }
                    if let Some(p) = pending {
                        lines.push(words.field_with(HIT_PENDING, &[("change", p)]));
                    }
                    for line in lines {
                        ui.label(egui::RichText::new(format!("    {line}")).weak());
                    }
                }
            }
        }
    });
}

/// Manage single sign-on: each forest's AZUREADSSOACC with the age of its key, and a domain
/// administrator to create it or renew its key.
fn single_sign_on(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(SSO_HELP));
    ui.add_space(6.0);
    let states = match &wizard.facts().sso_states {
        None => {
            if !wizard.probing(ProbeKind::SsoStates) {
                msgs.push(Msg::ReadSsoStates);
            }
            ui.spinner();
            return;
        }
        Some(Err(why)) => {
            ui.label(format!("{} {why}", words.message(LOAD_FAILED)));
            return;
        }
        Some(Ok(states)) => states,
    };
    let busy = wizard.probing(ProbeKind::SsoAdmin);
    for f in states {
        let forest = f.forest.as_str();
        let exists = match &f.state {
            Ok(Some(state)) => {
                let date = state
                    .key_set
                    .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                    .map(|t| t.date().to_string())
                    .unwrap_or_else(|| "?".into());
                let days = f.key_age_days.map(|d| d.to_string()).unwrap_or_default();
                ui.label(
                    egui::RichText::new(words.field_with(
                        SSO_ACCOUNT,
                        &[
                            ("forest", forest),
                            ("dn", &state.dn),
                            ("date", &date),
                            ("days", &days),
                        ],
                    ))
                    .strong(),
                );
                if f.key_age_days.is_some_and(|d| d > SSO_KEY_DAYS) {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        words.field_with(SSO_OLD, &[("days", &days)]),
                    );
                }
                true
            }
            Ok(None) => {
                ui.label(
                    egui::RichText::new(words.field_with(SSO_NONE, &[("forest", forest)])).strong(),
                );
                false
            }
            Err(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{forest}: {} {why}", words.message(SSO_UNREADABLE)),
                );
                continue;
            }
        };
        let entry = crate::wizard::pages::single_sign_on::entry(wizard.draft(), forest);
        crate::ui::widgets::form_grid(("sso-task", forest)).show(ui, |ui| {
            if let Some(account) =
                crate::ui::widgets::text_row(ui, words.field(SSO_ADMIN), &entry.account, false)
            {
                msgs.push(Msg::SetSsoAccount(forest.to_string(), account));
            }
            if let Some(password) = crate::ui::widgets::text_row(
                ui,
                words.field(SSO_PASSWORD),
                entry.password.expose(),
                true,
            ) {
                msgs.push(Msg::SetSsoPassword(
                    forest.to_string(),
                    crate::secret::Secret::new(password),
                ));
            }
        });
        let action = if exists { SSO_RENEW } else { SSO_CREATE };
        let ready = !entry.account.trim().is_empty() && !entry.password.expose().is_empty();
        if action_button(ui, words.field(action), ready, busy) {
            msgs.push(Msg::RenewSso(forest.to_string()));
        }
        match wizard.facts().sso_renewed.get(forest) {
            Some(Ok(done)) => {
                ui.label(done);
            }
            Some(Err(why)) => failure(ui, words.message(SSO_FAILED), why),
            None => {}
        }
        ui.add_space(8.0);
    }
}

/// Refresh directory schema: read the forests again; what changed in their domains and
/// schemas.
fn refresh_schema(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(SCHEMA_HELP));
    ui.add_space(6.0);
    if action_button(
        ui,
        words.field(REFRESH),
        true,
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::RefreshSchema);
    }
    let refresh = match &wizard.facts().schema_refresh {
        None => return,
        Some(Err(why)) => {
            failure(ui, words.message(SCHEMA_FAILED), why);
            return;
        }
        Some(Ok(refresh)) => refresh,
    };
    for (forest, outcome) in &refresh.forests {
        match outcome {
            Err(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{forest}: {} {why}", words.message(SCHEMA_FAILED)),
                );
            }
            Ok(found) => {
                ui.label(
                    egui::RichText::new(words.field_with(
                        SCHEMA_FOREST,
                        &[
                            ("forest", forest),
                            ("attributes", &found.attributes.to_string()),
                            ("candidates", &found.extension_candidates.to_string()),
                        ],
                    ))
                    .strong(),
                );
                for domain in &found.domains_added {
                    ui.label(words.field_with(DOMAIN_ADDED, &[("domain", domain)]));
                }
                for domain in &found.domains_gone {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        words.field_with(DOMAIN_GONE, &[("domain", domain)]),
                    );
                }
                match &found.new_attributes {
                    None => ui.label(words.field(SCHEMA_FIRST)),
                    Some(names) if names.is_empty() => ui.label(words.field(SCHEMA_NOTHING_NEW)),
                    Some(names) => {
                        ui.label(words.field_with(SCHEMA_NEW, &[("names", &names.join(", "))]))
                    }
                };
            }
        }
    }
    if let Some(applied) = &refresh.applied {
        ui.label(words.field_with(SCHEMA_APPLIED, &[("version", &applied.version.to_string())]));
    }
}

/// Change user sign-in: the method in use, and the button that opens its pages.
fn sign_in(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    ui.label(words.field(SIGN_IN_HELP));
    ui.add_space(6.0);
    let method = installed
        .settings
        .sign_in
        .as_deref()
        .and_then(crate::wizard::SignInMethod::from_key)
        .unwrap_or_default();
    let page = text::page(PageId::UserSignIn);
    let sso = words.field(if installed.settings.single_sign_on {
        SSO_IS_ON
    } else {
        SSO_IS_OFF
    });
    ui.label(words.field_with(
        SIGN_IN_NOW,
        &[("method", page.field(method.field())), ("sso", sso)],
    ));
    ui.add_space(6.0);
    begin_change(ui, words, wizard, Change::SignIn, SIGN_IN_START, msgs);
}

/// Export settings: a settings file for a rebuild, without secrets.
fn export(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    if ui.button(words.field(EXPORT_TO)).clicked() {
        msgs.push(Msg::Browse(crate::wizard::PathFor::ExportInstalled));
    }
    match &wizard.facts().export {
        Some(Ok(path)) => {
            ui.label(format!("{} {path}", words.field(EXPORTED)));
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        None => {}
    }
}

fn configuration(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
    let s = &installed.settings;
    let [anchor, matching, pilot] = locks();
    let scope: Vec<String> = s
        .sync
        .connectors
        .iter()
        .map(|c| {
            let mut line = format!("{}: {}", c.name, c.included.join("; "));
            if !c.excluded.is_empty() {
                line += &format!(" (not {})", c.excluded.join("; "));
            }
            line
        })
        .collect();
    let rows: Vec<(&str, String, Option<String>)> = vec![
        (
            FORESTS,
            s.directories
                .iter()
                .map(|d| format!("{} ({})", d.connector, d.account))
                .collect::<Vec<_>>()
                .join(", "),
            None,
        ),
        (SCOPE, scope.join("\n"), None),
        (ANCHOR, format!("{:?}", s.sync.anchor), Some(anchor.reason)),
        (
            MATCHING,
            format!("{:?}", s.sync.matching),
            Some(matching.reason),
        ),
        (
            PILOT,
            if s.sync.pilot_groups.is_empty() {
                "-".to_string()
            } else {
                s.sync
                    .pilot_groups
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            Some(pilot.reason),
        ),
        (
            STAGING,
            if s.sync.staging { "on" } else { "off" }.to_string(),
            None,
        ),
    ];
    egui::ScrollArea::vertical().show(ui, |ui| {
        if let Some(last) = installed.versions.last() {
            ui.label(
                egui::RichText::new(
                    words.field_with(VERSION, &[("version", &last.version.to_string())]),
                )
                .weak(),
            );
        }
        egui::Grid::new("installed-settings")
            .num_columns(2)
            .spacing([16.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                ui.label(egui::RichText::new(words.field(SETTING)).strong());
                ui.label(egui::RichText::new(words.field(VALUE)).strong());
                ui.end_row();
                for (field, value, why) in rows {
                    ui.label(words.field(field));
                    ui.vertical(|ui| {
                        ui.label(value);
                        if let Some(why) = why.filter(|w| !w.is_empty()) {
                            ui.label(
                                egui::RichText::new(format!("{} {why}", words.field(LOCKED)))
                                    .weak(),
                            );
                        }
                    });
                    ui.end_row();
                }
            });
    });
}

fn staging(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    let mut on = wizard
        .draft()
        .tasks
        .staging
        .unwrap_or(installed.settings.sync.staging);
    if ui.checkbox(&mut on, words.field(STAGING_BOX)).changed() {
        msgs.push(Msg::SetTaskStaging(on));
    }
    ui.add_space(6.0);
    let change = staging_change(wizard.draft(), installed);
    match &change {
        Some(new) => {
            ui.label(egui::RichText::new(words.field(CHANGES)).strong());
            for line in differences(&installed.settings, new) {
                ui.label(format!("• {line}"));
            }
            // Staging off: what has waited is written by the next cycle; show it first.
            if !new.sync.staging && !installed.pending.is_empty() {
                ui.add_space(6.0);
                ui.label(
                    words.field_with(RELEASES, &[("n", &installed.pending.len().to_string())]),
                );
                egui::ScrollArea::vertical()
                    .id_salt("released")
                    .max_height(160.0)
                    .show(ui, |ui| pending(ui, words, installed));
            }
        }
        None => {
            ui.label(egui::RichText::new(words.field(NO_CHANGES)).weak());
        }
    }
    ui.add_space(6.0);
    if action_button(
        ui,
        words.field(APPLY),
        change.is_some(),
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::ApplyTaskChange);
    }
    match &wizard.facts().task_change {
        Some(Ok(applied)) => {
            ui.label(words.field_with(APPLIED, &[("version", &applied.version.to_string())]));
        }
        Some(Err(why)) => {
            failure(ui, words.message(CHANGE_FAILED), why);
        }
        None => {}
    }
}

fn troubleshoot(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    use crate::engine::troubleshoot::Outcome;
    if action_button(
        ui,
        words.field(RUN_CHECKS),
        true,
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::RunChecks);
    }
    ui.add_space(6.0);
    match &wizard.facts().checks {
        Some(Ok(checks)) => {
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("checks")
                    .num_columns(3)
                    .spacing([12.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for c in checks {
                            let (field, colour) = match c.outcome {
                                Outcome::Pass => (CHECK_PASS, ui.visuals().text_color()),
                                Outcome::Warn => (CHECK_WARN, ui.visuals().warn_fg_color),
                                Outcome::Fail => (CHECK_FAIL, ui.visuals().error_fg_color),
                            };
                            ui.colored_label(colour, words.field(field));
                            ui.label(&c.name);
                            ui.label(&c.detail);
                            ui.end_row();
                        }
                    });
            });
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        None => {}
    }
}

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

fn history(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
    let exports: Vec<_> = installed
        .history
        .iter()
        .filter(|r| r.profile == "export")
        .rev()
        .take(24)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    ui.label(egui::RichText::new(words.field(HISTORY_CHART)).weak());
    chart(ui, words, &exports);
    ui.add_space(8.0);
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("run-history")
            .num_columns(5)
            .spacing([14.0, 4.0])
            .striped(true)
            .show(ui, |ui| {
                for r in installed.history.iter().rev() {
                    ui.label(format!("{} {}", r.profile, r.connector));
                    ui.label(format!("{} {}", r.counts.adds, words.field(ADDS)));
                    ui.label(format!("{} {}", r.counts.updates, words.field(UPDATES)));
                    ui.label(format!("{} {}", r.counts.deletes, words.field(DELETES)));
                    ui.label(&r.outcome);
                    ui.end_row();
                }
            });
    });
}

/// Bars per export run: adds, updates and deletes side by side, scaled to the largest.
fn chart(ui: &mut egui::Ui, words: &PageText, runs: &[&crate::engine::model::RunRecord]) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(560.0), 90.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_stroke(
        rect,
        2.0,
        egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
        egui::StrokeKind::Inside,
    );
    let largest = runs
        .iter()
        .map(|r| r.counts.adds.max(r.counts.updates).max(r.counts.deletes))
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let colours = [
        egui::Color32::from_rgb(80, 170, 100),
        egui::Color32::from_rgb(80, 130, 200),
        egui::Color32::from_rgb(210, 90, 80),
    ];
    let slot = rect.width() / runs.len().max(1) as f32;
    let bar = (slot / 4.0).min(10.0);
    for (i, r) in runs.iter().enumerate() {
        let x = rect.left() + slot * i as f32 + slot / 2.0 - bar * 1.5;
        for (k, n) in [r.counts.adds, r.counts.updates, r.counts.deletes]
            .into_iter()
            .enumerate()
        {
            let h = (rect.height() - 8.0) * (n as f32 / largest);
            let left = x + bar * k as f32;
            painter.rect_filled(
                egui::Rect::from_min_max(
                    egui::pos2(left, rect.bottom() - 4.0 - h),
                    egui::pos2(left + bar - 1.0, rect.bottom() - 4.0),
                ),
                0.0,
                colours[k],
            );
        }
    }
    ui.horizontal(|ui| {
        for (k, field) in [ADDS, UPDATES, DELETES].into_iter().enumerate() {
            ui.colored_label(colours[k], words.field(field));
        }
    });
}

fn pending(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
    if installed.pending.is_empty() {
        ui.label(egui::RichText::new(words.field(NOTHING_PENDING)).weak());
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for p in &installed.pending {
            let what = match &p.change {
                ExportChange::Add { .. } => "add",
                ExportChange::Update { .. } => "update",
                ExportChange::Delete => "delete",
            };
            ui.label(
                egui::RichText::new(format!(
                    "{what} {:?} {} ({})",
                    p.kind, p.name, p.display_name
                ))
                .strong(),
            );
            if let ExportChange::Update { changes } = &p.change {
                for (property, (was, will)) in changes {
                    ui.label(format!("    {property}: {was} -> {will}"));
                }
            }
            if !p.members_added.is_empty() || !p.members_removed.is_empty() {
                ui.label(format!(
                    "    members +{} -{}",
                    p.members_added.len(),
                    p.members_removed.len()
                ));
            }
            ui.label(egui::RichText::new(format!("    {}", p.reason)).weak());
        }
    });
}
