//! The desktop wizard (egui/eframe). It only draws the [`crate::wizard::Wizard`] state and
//! turns clicks and keys into [`crate::wizard::Msg`]s; it does no I/O of its own.
//!
//! - [`shell`]: the frame every page shares (page list, heading, Back / Next / Cancel).
//! - [`welcome`], [`express`], [`signin`]: the bodies of the pages, one module each.

pub mod express;
pub mod shell;
pub mod signin;
pub mod welcome;

use crate::wizard::text::ShellText;
use crate::wizard::{Effect, Wizard};

/// The eframe application: a wizard and the effects it asks for.
#[derive(Debug, Default)]
pub struct SkybridgeApp {
    wizard: Wizard,
}

impl SkybridgeApp {
    /// A wizard at its first page.
    pub fn new() -> Self {
        Self::default()
    }
}

impl eframe::App for SkybridgeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        for msg in shell::show(ui, &self.wizard) {
            for effect in self.wizard.update(msg) {
                match effect {
                    Effect::Close => ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close),
                }
            }
        }
    }
}

/// The window icon (64×64 PNG).
pub const ICON: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the wizard window and returns when it is closed.
pub fn run() -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(ShellText::WindowTitle.get())
        .with_app_id("skybridge")
        .with_inner_size([920.0, 640.0])
        .with_min_inner_size([720.0, 480.0]);
    // A window without its icon is still a working window.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        ShellText::WindowTitle.get(),
        options,
        Box::new(|_creation| Ok(Box::new(SkybridgeApp::new()))),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_decodes() {
        let icon = eframe::icon_data::from_png_bytes(super::ICON).unwrap();
        assert_eq!((icon.width, icon.height), (64, 64));
    }
}
