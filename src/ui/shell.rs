//! The frame every page shares: the page list on the left (current page marked, finished pages
//! ticked), the page's heading and help on top, its body, and Back / Next / Cancel at the bottom.
//! Enter presses Next when it is enabled; Escape asks to leave.

use crate::wizard::text::{self, ShellText};
use crate::wizard::{Msg, PageId, Position, Severity, Wizard};

/// Draws the whole wizard and returns what the administrator did this frame.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let mut msgs = Vec::new();
    egui::Panel::left("pages")
        .resizable(false)
        .exact_size(210.0)
        .show(ui, |ui| page_list(ui, wizard));
    egui::Panel::bottom("navigation").show(ui, |ui| navigation(ui, wizard, &mut msgs));
    egui::CentralPanel::default().show(ui, |ui| match wizard.position() {
        Position::Page(page) => {
            let words = text::page(page);
            ui.heading(&words.title);
            ui.add_space(4.0);
            ui.label(&words.help);
            ui.separator();
            msgs.extend(body(ui, wizard, page));
            problems(ui, wizard, page, &mut msgs);
        }
        Position::EndOfBuild => {
            ui.heading(ShellText::EndOfBuildTitle.get());
            ui.add_space(4.0);
            ui.label(ShellText::EndOfBuildBody.get());
        }
    });
    if wizard.confirming_cancel() {
        cancel_dialog(ui, wizard, &mut msgs);
    } else {
        keys(ui, wizard, &mut msgs);
    }
    msgs
}

fn body(ui: &mut egui::Ui, wizard: &Wizard, page: PageId) -> Vec<Msg> {
    match page {
        PageId::Welcome => super::pages::welcome::show(ui, wizard),
        PageId::AdditionalTasks => super::pages::additional_tasks::show(ui, wizard),
        PageId::Express => super::pages::express::show(ui, wizard),
        PageId::RequiredComponents => super::pages::required_components::show(ui, wizard),
        PageId::UserSignIn => super::pages::user_sign_in::show(ui, wizard),
        PageId::ConnectTenant => super::pages::connect_tenant::show(ui, wizard),
        PageId::ConnectDirectories => super::pages::connect_directories::show(ui, wizard),
        PageId::SignInConfiguration => super::pages::sign_in_configuration::show(ui, wizard),
        PageId::DomainOuFiltering => super::pages::domain_ou_filtering::show(ui, wizard),
        PageId::IdentifyingUsers => super::pages::identifying_users::show(ui, wizard),
        PageId::FilterUsers => super::pages::filter_users::show(ui, wizard),
        PageId::OptionalFeatures => super::pages::optional_features::show(ui, wizard),
        PageId::AppFiltering => super::pages::app_filtering::apps(ui, wizard),
        PageId::AttributeFiltering => super::pages::app_filtering::attributes(ui, wizard),
        PageId::DirectoryExtensions => super::pages::directory_extensions::show(ui, wizard),
        PageId::SingleSignOn => super::pages::single_sign_on::show(ui, wizard),
        PageId::AdfsFarm => super::pages::adfs_farm::show(ui, wizard),
        PageId::FederationServers => super::pages::federation_servers::show(ui, wizard),
        PageId::ProxyServers => super::pages::proxy_servers::show(ui, wizard),
        PageId::AdfsServiceAccount => super::pages::adfs_service_account::show(ui, wizard),
        PageId::FederatedDomain => super::pages::federated_domain::show(ui, wizard),
        PageId::FederationVerification => super::pages::federation_verification::show(ui, wizard),
        PageId::PingFederate => super::pages::ping_federate::show(ui, wizard),
        PageId::ConvertDomains => super::pages::convert_domains::show(ui, wizard),
        PageId::ReadyToConfigure => super::pages::ready_to_configure::show(ui, wizard),
        PageId::Configuring => super::pages::configuring::show(ui, wizard),
        PageId::Complete => super::pages::configuring::complete(ui, wizard),
    }
}

fn page_list(ui: &mut egui::Ui, wizard: &Wizard) {
    ui.add_space(8.0);
    ui.heading(ShellText::ProductName.get());
    ui.add_space(8.0);
    ui.label(egui::RichText::new(ShellText::PagesHeading.get()).weak());
    for page in wizard.flow() {
        let name = &text::page(page).sidebar;
        let current = wizard.position() == Position::Page(page);
        let mark = if current {
            Mark::Current
        } else if wizard.is_completed(page) {
            Mark::Done
        } else {
            Mark::Ahead
        };
        ui.horizontal(|ui| {
            step_marker(ui, mark);
            let line = egui::RichText::new(name.as_str());
            ui.label(if current { line.strong() } else { line });
        });
    }
}

/// How a page (or a configuring step) appears in a list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Where the walk is.
    Current,
    /// Finished.
    Done,
    /// Still to come.
    Ahead,
    /// Failed.
    Failed,
}

/// Paints the marker beside a page name (shapes, not glyphs: the default fonts lack ticks).
pub(crate) fn step_marker(ui: &mut egui::Ui, mark: Mark) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let painter = ui.painter();
    let colour = ui.visuals().strong_text_color();
    let c = rect.center();
    match mark {
        Mark::Current => {
            painter.circle_filled(c, 4.0, ui.visuals().selection.bg_fill);
        }
        Mark::Done => {
            let stroke = egui::Stroke::new(2.0, colour);
            painter.line_segment(
                [c + egui::vec2(-5.0, 0.0), c + egui::vec2(-1.5, 4.0)],
                stroke,
            );
            painter.line_segment(
                [c + egui::vec2(-1.5, 4.0), c + egui::vec2(5.0, -4.0)],
                stroke,
            );
        }
        Mark::Ahead => {
            let stroke = egui::Stroke::new(1.0, ui.visuals().weak_text_color());
            painter.circle_stroke(c, 3.5, stroke);
        }
        Mark::Failed => {
            let stroke = egui::Stroke::new(2.0, ui.visuals().error_fg_color);
            painter.line_segment(
                [c + egui::vec2(-4.0, -4.0), c + egui::vec2(4.0, 4.0)],
                stroke,
            );
            painter.line_segment(
                [c + egui::vec2(-4.0, 4.0), c + egui::vec2(4.0, -4.0)],
                stroke,
            );
        }
    }
}

fn navigation(ui: &mut egui::Ui, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // On the last page Exit is the way out; there is nothing left to cancel.
            if !matches!(
                wizard.position(),
                Position::Page(PageId::Complete | PageId::AdditionalTasks)
            ) && ui.button(ShellText::Cancel.get()).clicked()
            {
                msgs.push(Msg::Cancel);
            }
            if ui
                .add_enabled(wizard.can_go_next(), egui::Button::new(next_label(wizard)))
                .clicked()
            {
                msgs.push(Msg::Next);
            }
            if ui
                .add_enabled(
                    wizard.can_go_back(),
                    egui::Button::new(ShellText::Back.get()),
                )
                .clicked()
            {
                msgs.push(Msg::Back);
            }
        });
    });
    ui.add_space(6.0);
}

/// Next reads "Configure" where it starts changing things and "Exit" on the last page.
fn next_label(wizard: &Wizard) -> &'static str {
    match wizard.position() {
        Position::Page(PageId::ReadyToConfigure) if wizard.draft().tasks.customizing => {
            text::page(PageId::ReadyToConfigure)
                .field(crate::wizard::pages::ready_to_configure::APPLY_CHANGES)
        }
        Position::Page(PageId::ReadyToConfigure) => text::page(PageId::ReadyToConfigure)
            .field(crate::wizard::pages::ready_to_configure::CONFIGURE),
        Position::Page(PageId::Complete | PageId::AdditionalTasks) => {
            text::page(PageId::Complete).field(crate::wizard::pages::configuring::EXIT)
        }
        _ => ShellText::Next.get(),
    }
}

fn problems(ui: &mut egui::Ui, wizard: &Wizard, page: PageId, msgs: &mut Vec<Msg>) {
    let problems = wizard.problems(page);
    if problems.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(egui::RichText::new(ShellText::ProblemsHeading.get()).strong());
    for problem in problems {
        // What still blocks Next reads as a to-do, not an alarm; warnings stand out.
        let colour = match problem.severity {
            Severity::Error => ui.visuals().text_color(),
            Severity::Warning | Severity::Confirm => ui.visuals().warn_fg_color,
        };
        ui.label(egui::RichText::new(format!("• {}", problem.text())).color(colour));
        if problem.severity == Severity::Confirm {
            let key = (problem.page, problem.message);
            let mut confirmed = wizard.draft().confirmed.contains(&key);
            if ui
                .checkbox(&mut confirmed, ShellText::ContinueAnyway.get())
                .changed()
            {
                msgs.push(Msg::Confirm(key.0, key.1, confirmed));
            }
        }
    }
}

fn cancel_dialog(ui: &mut egui::Ui, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    let body = if wizard.facts().configuring.is_some() {
        ShellText::CancelBodyConfigured
    } else {
        ShellText::CancelBody
    };
    let modal = egui::Modal::new(egui::Id::unique("leave-setup")).show(ui.ctx(), |ui| {
        ui.heading(ShellText::CancelTitle.get());
        ui.label(body.get());
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button(ShellText::CancelConfirm.get()).clicked() {
                msgs.push(Msg::CancelConfirmed);
            }
            if ui.button(ShellText::CancelDismiss.get()).clicked() {
                msgs.push(Msg::CancelDismissed);
            }
        });
    });
    if modal.should_close() && msgs.is_empty() {
        msgs.push(Msg::CancelDismissed);
    }
}

fn keys(ui: &mut egui::Ui, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    let (enter, escape) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Escape),
        )
    });
    if enter && wizard.can_go_next() {
        msgs.push(Msg::Next);
    }
    if escape {
        msgs.push(Msg::Cancel);
    }
}
