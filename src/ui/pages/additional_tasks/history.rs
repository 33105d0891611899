//! The run history: a small chart of adds, updates and deletes per export run, then every run
//! with its counts and outcome, newest first.

use crate::engine::model::RunRecord;
use crate::ops::installed::Installed;
use crate::wizard::pages::additional_tasks::{ADDS, DELETES, HISTORY_CHART, UPDATES};
use crate::wizard::text::PageText;

/// Draws the chart of the last export runs and the table of every run.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
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
fn chart(ui: &mut egui::Ui, words: &PageText, runs: &[&RunRecord]) {
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
