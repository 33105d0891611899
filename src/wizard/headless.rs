//! The wizard without a window: `skybridge plan` and `skybridge apply` drive the same state
//! machine the pages drive, carrying out its effects one at a time on this thread and sending
//! the answers back, so a settings file meets exactly the checks and steps of the GUI.

use super::apply;
use super::settings::{ImportRun, Imported};
use super::{Effect, Msg, PageId, Position, Problem, Wizard, probe};

/// What the driver tells its caller while it works (a device code to enter, a step done).
pub trait Observer {
    /// A device-code sign-in waits: open `uri` and enter `code`.
    fn device_code(&mut self, uri: &str, code: &str);
    /// A configuring step finished: its name and what it did, or why it failed.
    fn step(&mut self, step: apply::Step, outcome: &Result<String, apply::StepError>);
    /// The running step got further: what it does and how many objects it has handled.
    fn progress(&mut self, phase: &crate::engine::install::CyclePhase, handled: u64);
}

/// Progress reports a running step may have queued before the driver reads them.
const PROGRESS_QUEUE: usize = 64;

/// A wizard driven headless.
pub struct Headless {
    wizard: Wizard,
    runtime: tokio::runtime::Handle,
    shown_prompt: Option<(String, String)>,
}

impl Headless {
    /// A wizard that installs into `data_dir`, with the licence accepted when `licence` is set;
    /// its probes and steps run on `runtime` (called from outside it).
    pub fn new(
        data_dir: std::path::PathBuf,
        licence: bool,
        runtime: tokio::runtime::Handle,
    ) -> Headless {
        let mut headless = Headless {
            wizard: Wizard::new(),
            runtime,
            shown_prompt: None,
        };
        headless.send(Msg::SetLicenceAccepted(licence), &mut Quiet);
        headless.send(Msg::SetMode(super::InstallMode::Custom), &mut Quiet);
        // Setting the folder checks it, as entering Required components does.
        headless.send(Msg::SetDataDir(data_dir), &mut Quiet);
        headless
    }

    /// The wizard's state.
    pub fn wizard(&self) -> &Wizard {
        &self.wizard
    }

    /// Sends a message and carries out every effect that follows, until none is left.
    pub fn send(&mut self, msg: Msg, observer: &mut dyn Observer) {
        let mut pending = std::collections::VecDeque::from(self.wizard.update(msg));
        while let Some(effect) = pending.pop_front() {
            self.show_prompt(observer);
            let answer = match effect {
                // Headless, paths come from the command line, never from a dialog.
                Effect::Close | Effect::ChoosePath(_) => continue,
                Effect::Probe(ticket, question) => {
                    Msg::Answered(ticket, self.runtime.block_on(probe::run(*question)))
                }
                Effect::Operate(ticket, work) => {
                    Msg::Answered(ticket, self.runtime.block_on(super::operation::run(*work)))
                }
                Effect::Apply(ticket, job) => {
                    // Progress arrives while the step runs; the channel closes when it ends.
                    // This thread reads it all the while, so a full channel only waits a moment.
                    let (send, receive) = std::sync::mpsc::sync_channel(PROGRESS_QUEUE);
                    let report: apply::Report = std::sync::Arc::new(move |phase, handled| {
                        let _ = send.send((phase, handled));
                    });
                    let step = job.step;
                    let running = self.runtime.spawn(apply::run_reporting(*job, report));
                    for (phase, handled) in receive {
                        observer.progress(&phase, handled);
                    }
                    // A step that panicked has failed, like any other failure.
                    let done = self.runtime.block_on(running).unwrap_or(apply::Done {
                        step,
                        outcome: Err("the step stopped unexpectedly (see the log)".into()),
                    });
                    let outcome = done.outcome.as_ref().map(|(_, line)| line.clone());
                    observer.step(done.step, &outcome.map_err(Clone::clone));
                    Msg::ApplyDone(ticket, Box::new(done))
                }
            };
            pending.extend(self.wizard.update(answer));
        }
    }

    fn show_prompt(&mut self, observer: &mut dyn Observer) {
        let prompt = self.wizard.facts().device_prompt.clone();
        if prompt.is_some() && prompt != self.shown_prompt {
            if let Some((uri, code)) = &prompt {
                observer.device_code(uri, code);
            }
            self.shown_prompt = prompt;
        }
    }

    /// Imports a settings file read with its secrets, reading forests and signing in as the
    /// pages would. Returns what could not be imported, in words.
    pub fn import(&mut self, imported: Imported, observer: &mut dyn Observer) -> Vec<String> {
        self.send(Msg::ImportSettings(Box::new(imported)), observer);
        self.wizard
            .facts()
            .import
            .as_ref()
            .map(|run: &ImportRun| run.notes.clone())
            .unwrap_or_default()
    }

    /// Every problem of every page of the walk before Ready to configure, in page order.
    pub fn problems(&self) -> Vec<Problem> {
        self.wizard
            .flow()
            .into_iter()
            .take_while(|&p| p != PageId::ReadyToConfigure)
            .flat_map(|p| self.wizard.problems(p))
            .collect()
    }

    /// Whether a problem stops the walk (an error, or a warning not acknowledged).
    pub fn blocks(&self, problem: &Problem) -> bool {
        super::blocks(problem, self.wizard.draft())
    }

    /// Walks with Next to Ready to configure; the page it stopped on when something blocks.
    pub fn walk_to_ready(&mut self) -> Result<(), PageId> {
        loop {
            match self.wizard.position() {
                Position::Page(PageId::ReadyToConfigure) => return Ok(()),
                Position::Page(page) => {
                    self.send(Msg::Next, &mut Quiet);
                    if self.wizard.position() == Position::Page(page) {
                        return Err(page);
                    }
                }
                Position::EndOfBuild => return Err(PageId::ReadyToConfigure),
            }
        }
    }

    /// Presses Configure on Ready to configure and runs every step; each step is reported as
    /// it finishes. Stops at the first step that fails (returns its reason).
    pub fn configure(&mut self, observer: &mut dyn Observer) -> Result<(), ConfigureError> {
        self.walk_to_ready()
            .map_err(|page| ConfigureError::NeedsAttention(page.key()))?;
        self.send(Msg::Next, observer);
        let configuring = self
            .wizard
            .facts()
            .configuring
            .as_ref()
            .ok_or(ConfigureError::NotStarted)?;
        match configuring.failure() {
            Some((step, why)) => Err(ConfigureError::StepFailed {
                step: super::text::page(PageId::Configuring)
                    .field(step.field())
                    .to_string(),
                why: why.to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// Why a headless install stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    /// A page still has a problem that blocks Next (its key).
    #[error("the page {0} still needs attention")]
    NeedsAttention(&'static str),
    /// Configure was pressed but nothing started.
    #[error("configuring did not start")]
    NotStarted,
    /// A step failed.
    #[error("{step}: {why}")]
    StepFailed {
        /// The step, as the Configuring page names it.
        step: String,
        /// Why it failed.
        why: String,
    },
}

/// An observer that shows nothing.
struct Quiet;

impl Observer for Quiet {
    fn device_code(&mut self, _: &str, _: &str) {}
    fn step(&mut self, _: apply::Step, _: &Result<String, apply::StepError>) {}
    fn progress(&mut self, _: &crate::engine::install::CyclePhase, _: u64) {}
}
