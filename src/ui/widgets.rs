//! Small widgets the pages share.

/// A labelled single-line text box in a two-column grid (the label is bound to the box, so
/// assistive technology and tests find it by its label); returns the new text when it changed.
pub fn text_row(ui: &mut egui::Ui, label: &str, value: &str, password: bool) -> Option<String> {
    let label = ui.label(label);
    let mut edit = value.to_string();
    let response = ui
        .add(
            egui::TextEdit::singleline(&mut edit)
                .password(password)
                .desired_width(380.0),
        )
        .labelled_by(label.id);
    ui.end_row();
    response.changed().then_some(edit)
}

/// A two-column grid for [`text_row`]s.
pub fn form_grid(id: impl std::hash::Hash + std::fmt::Debug) -> egui::Grid {
    egui::Grid::new(id).num_columns(2).spacing([12.0, 6.0])
}

/// A button that can be pressed when `enabled` and nothing is `busy`, with a spinner beside it
/// while something is; whether it was pressed.
pub fn action_button(ui: &mut egui::Ui, label: &str, enabled: bool, busy: bool) -> bool {
    ui.horizontal(|ui| {
        let pressed = ui
            .add_enabled(enabled && !busy, egui::Button::new(label))
            .clicked();
        if busy {
            ui.spinner();
        }
        pressed
    })
    .inner
}

/// A failure in the error colour: the message's words, then why.
pub fn failure(ui: &mut egui::Ui, message: &str, why: &dyn std::fmt::Display) {
    ui.colored_label(ui.visuals().error_fg_color, format!("{message} {why}"));
}
