//! The desktop wizard (egui/eframe). It only draws the [`crate::wizard::Wizard`] state and
//! turns clicks and keys into [`crate::wizard::Msg`]s; it does no I/O of its own.
//!
//! - [`shell`]: the frame every page shares (page list, heading, Back / Next / Cancel).
//! - [`pages`]: the bodies of the pages, one module each, named after the page's key;
//!   [`widgets`]: what they share; [`federation`]: what the federation pages share (check
//!   rows, the metadata form, server lists).
//! - [`Probes`]: runs the wizard's probes and configuring steps on a tokio runtime it is given
//!   and hands their answers back on a bounded channel; [`dispatch`] feeds messages to the
//!   wizard and starts what it asks for.

pub mod federation;
pub mod pages;
pub mod shell;
pub mod widgets;

use crate::wizard::text::ShellText;
use crate::wizard::{Effect, Msg, Wizard, probe};

/// Answers that may wait for the window to read them; past that, work waits to hand its
/// answer over (and progress reports are dropped: the step's outcome still arrives).
const ANSWER_QUEUE: usize = 256;

/// Carries out probes off the drawing thread: each runs on a tokio runtime and its answer
/// comes back as a message on a bounded channel, with a repaint so it is shown at once.
#[derive(Debug)]
pub struct Probes {
    runtime: tokio::runtime::Handle,
    sender: tokio::sync::mpsc::Sender<Msg>,
    receiver: std::sync::Mutex<tokio::sync::mpsc::Receiver<Msg>>,
}

impl Probes {
    /// A runner whose work runs on `runtime` (owned by the caller, who keeps it running).
    pub fn new(runtime: tokio::runtime::Handle) -> Probes {
        let (sender, receiver) = tokio::sync::mpsc::channel(ANSWER_QUEUE);
        Probes {
            runtime,
            sender,
            receiver: std::sync::Mutex::new(receiver),
        }
    }

    /// Starts a probe; its answer arrives through [`Probes::answers`].
    pub fn start(
        &self,
        ticket: crate::wizard::Ticket,
        probe: Box<probe::Probe>,
        ctx: &egui::Context,
    ) {
        self.spawn(ctx, async move {
            Msg::Answered(ticket, probe::run(*probe).await)
        });
    }

    /// Starts an operation; its answer arrives through [`Probes::answers`].
    pub fn start_operation(
        &self,
        ticket: crate::wizard::Ticket,
        operation: Box<crate::wizard::operation::Operation>,
        ctx: &egui::Context,
    ) {
        self.spawn(ctx, async move {
            Msg::Answered(ticket, crate::wizard::operation::run(*operation).await)
        });
    }

    /// Starts a configuring step; its outcome arrives through [`Probes::answers`].
    pub fn start_step(
        &self,
        ticket: crate::wizard::Ticket,
        job: Box<crate::wizard::apply::Job>,
        ctx: &egui::Context,
    ) {
        let sender = self.sender.clone();
        let repaint = ctx.clone();
        let report: crate::wizard::apply::Report = std::sync::Arc::new(move |phase, handled| {
            // Progress is only shown: when the window is behind, a report can be dropped.
            let _ = sender.try_send(Msg::StepProgress(ticket, phase, handled));
            repaint.request_repaint();
        });
        self.spawn(ctx, async move {
            Msg::ApplyDone(
                ticket,
                Box::new(crate::wizard::apply::run_reporting(*job, report).await),
            )
        });
    }

    /// Opens the system's folder or file dialog without blocking the window; the chosen path
    /// arrives through [`Probes::answers`] (nothing when the dialog is cancelled or the system
    /// has none — the path can always be typed).
    pub fn choose_path(&self, what: crate::wizard::PathFor, ctx: &egui::Context) {
        use crate::wizard::PathFor;
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let json = [("JSON", ["json"])];
            let dialog = rfd::AsyncFileDialog::new();
            let picked = match what {
                PathFor::DataFolder => dialog.pick_folder().await,
                PathFor::ImportSettings => {
                    let (name, ext) = &json[0];
                    dialog.add_filter(*name, ext).pick_file().await
                }
                PathFor::FarmCertificate => {
                    dialog
                        .add_filter("PKCS#12 or PEM", &["pfx", "p12", "pem", "crt"])
                        .pick_file()
                        .await
                }
                PathFor::ExportSettings | PathFor::ExportInstalled => {
                    let (name, ext) = &json[0];
                    dialog
                        .add_filter(*name, ext)
                        .set_file_name("skybridge-settings.json")
                        .save_file()
                        .await
                }
            };
            if let Some(file) = picked {
                let _ = sender.send(what.chosen(file.path().to_path_buf())).await;
                ctx.request_repaint();
            }
        });
    }

    /// Runs work on the runtime and sends its answer back, with a repaint so it shows at once.
    fn spawn(&self, ctx: &egui::Context, work: impl Future<Output = Msg> + Send + 'static) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            // The window may be gone; then nobody waits for the answer.
            let _ = sender.send(work.await).await;
            ctx.request_repaint();
        });
    }

    /// The answers that have arrived.
    pub fn answers(&self) -> Vec<Msg> {
        let mut receiver = self
            .receiver
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::iter::from_fn(|| receiver.try_recv().ok()).collect()
    }
}

/// Feeds messages to the wizard and starts the probes and configuring steps it asks for.
/// Returns what is the window's own business ([`Effect::Close`], [`Effect::ChoosePath`]), for
/// [`window_effect`] (or a test) to carry out.
#[must_use]
pub fn dispatch(
    wizard: &mut Wizard,
    probes: &Probes,
    ctx: &egui::Context,
    msgs: Vec<Msg>,
) -> Vec<Effect> {
    let mut window = Vec::new();
    for msg in msgs {
        for effect in wizard.update(msg) {
            match effect {
                Effect::Probe(ticket, probe) => probes.start(ticket, probe, ctx),
                Effect::Operate(ticket, operation) => {
                    probes.start_operation(ticket, operation, ctx)
                }
                Effect::Apply(ticket, job) => probes.start_step(ticket, job, ctx),
                other @ (Effect::Close | Effect::ChoosePath(_)) => window.push(other),
            }
        }
    }
    window
}

/// Carries out an effect that concerns the window: closing it, or a file dialog.
pub fn window_effect(effect: Effect, probes: &Probes, ctx: &egui::Context) {
    match effect {
        Effect::Close => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        Effect::ChoosePath(what) => probes.choose_path(what, ctx),
        Effect::Probe(ticket, probe) => probes.start(ticket, probe, ctx),
        Effect::Operate(ticket, operation) => probes.start_operation(ticket, operation, ctx),
        Effect::Apply(ticket, job) => probes.start_step(ticket, job, ctx),
    }
}

/// The eframe application: a wizard and the runner of its probes.
#[derive(Debug)]
pub struct SkybridgeApp {
    wizard: Wizard,
    probes: Probes,
}

impl SkybridgeApp {
    /// A wizard at its first page, installing into `data_dir`, its forms filled from
    /// `profile`; its probes run on `runtime`.
    pub fn new(
        data_dir: std::path::PathBuf,
        profile: &crate::wizard::profile::Profile,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        let mut wizard = Wizard::with_data_dir(data_dir);
        for msg in profile.messages() {
            wizard.update(msg);
        }
        SkybridgeApp {
            wizard,
            probes: Probes::new(runtime),
        }
    }
}

impl eframe::App for SkybridgeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // Answers first, so the page drawn shows them.
        let answers = self.probes.answers();
        let mut window = dispatch(&mut self.wizard, &self.probes, &ctx, answers);
        let msgs = shell::show(ui, &self.wizard);
        window.extend(dispatch(&mut self.wizard, &self.probes, &ctx, msgs));
        for effect in window {
            window_effect(effect, &self.probes, &ctx);
        }
    }
}

/// The window icon (64×64 PNG).
pub const ICON: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the wizard window, installing into `data_dir` with the forms filled from `profile`,
/// and returns when it is closed.
pub fn run(
    data_dir: std::path::PathBuf,
    profile: crate::wizard::profile::Profile,
) -> eframe::Result {
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
    // The probes' runtime lives as long as the window.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| eframe::Error::AppCreation(Box::new(e)))?;
    let handle = runtime.handle().clone();
    eframe::run_native(
        ShellText::WindowTitle.get(),
        options,
        Box::new(move |_creation| Ok(Box::new(SkybridgeApp::new(data_dir, &profile, handle)))),
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
