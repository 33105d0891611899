//! The Configuring and Complete pages: the state of the steps that apply the plan (pending,
//! running, done with what they did, failed with why), and their checks. The steps themselves
//! are in [`crate::wizard::apply`].

use std::collections::BTreeMap;

use crate::wizard::apply::{
    Carried, DONE_CONNECTORS, DONE_CREDENTIALS, DONE_EXTENSIONS, DONE_NOT_STARTED, DONE_RULES,
    DONE_RUN, DONE_RUN_ERRORS, DONE_RUN_OUTCOME, DONE_SERVICE, DONE_SERVICE_REGISTERED,
    DONE_SSO_CREATED, DONE_SSO_RENEWED, DONE_STORE, DONE_TENANT, STEP_CONNECTORS, STEP_CREDENTIALS,
    STEP_FIRST_SYNC, STEP_RULES, STEP_SERVICE, STEP_SSO, STEP_STORE, STEP_TENANT, Step,
};
use crate::wizard::apply::{
    DONE_FEDERATED, DONE_FEDERATION_METADATA, DONE_SCRIPT, STEP_FEDERATE, STEP_FEDERATION_METADATA,
};
use crate::wizard::plan::InstallPlan;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of the Configuring page.
pub const FIELDS: &[&str] = &[
    STEP_STORE,
    STEP_TENANT,
    STEP_CREDENTIALS,
    STEP_CONNECTORS,
    STEP_SSO,
    STEP_RULES,
    STEP_FIRST_SYNC,
    STEP_SERVICE,
    STEP_FEDERATION_METADATA,
    STEP_FEDERATE,
    DONE_FEDERATION_METADATA,
    DONE_SCRIPT,
    DONE_FEDERATED,
    DONE_SERVICE,
    DONE_SERVICE_REGISTERED,
    DONE_STORE,
    DONE_TENANT,
    DONE_EXTENSIONS,
    DONE_CREDENTIALS,
    DONE_CONNECTORS,
    DONE_SSO_CREATED,
    DONE_SSO_RENEWED,
    DONE_RULES,
    DONE_NOT_STARTED,
    DONE_RUN,
    DONE_RUN_ERRORS,
    DONE_RUN_OUTCOME,
    RETRY,
    STOP,
    PROGRESS_IMPORT,
    PROGRESS_SYNC,
    PROGRESS_EXPORT,
    PROGRESS_OBJECTS,
];
/// Message ids of the Configuring page.
pub const MESSAGES: &[&str] = &[WORKING, FAILED, STOPPED];

/// Field ids of the Complete page.
pub const COMPLETE_FIELDS: &[&str] = &[
    DONE_LIST,
    NEXT_STEPS,
    SSO_NEXT,
    PASSWORDS_NEXT,
    FEDERATION_CHECKS,
    EXIT,
];
/// The heading of the federation checks (only when a domain was federated).
pub const FEDERATION_CHECKS: &str = "federation_checks";
/// Message ids of the Complete page.
pub const COMPLETE_MESSAGES: &[&str] = &[];

/// Progress: importing a forest (followed by its name).
pub const PROGRESS_IMPORT: &str = "progress_import";
/// Progress: synchronizing.
pub const PROGRESS_SYNC: &str = "progress_sync";
/// Progress: exporting to the tenant.
pub const PROGRESS_EXPORT: &str = "progress_export";
/// Progress: after the count of objects.
pub const PROGRESS_OBJECTS: &str = "progress_objects";
/// The Retry button.
pub const RETRY: &str = "retry";
/// The Stop button.
pub const STOP: &str = "stop";
/// Steps are still running.
pub const WORKING: &str = "working";
/// A step failed (detail: which and why).
pub const FAILED: &str = "failed";
/// The administrator stopped after a step.
pub const STOPPED: &str = "stopped";
/// The list of what was done.
pub const DONE_LIST: &str = "done_list";
/// What to do next.
pub const NEXT_STEPS: &str = "next_steps";
/// What single sign-on still needs (only when it was set up).
pub const SSO_NEXT: &str = "sso_next";
/// Complete: what password synchronization still needs (`{listen}`).
pub const PASSWORDS_NEXT: &str = "passwords_next";
/// The Exit button.
pub const EXIT: &str = "exit";

/// A running step's progress in words: "Importing contoso.com — 1250 objects so far".
pub fn progress_text(phase: &crate::engine::install::CyclePhase, handled: u64) -> String {
    use crate::engine::install::CyclePhase;
    let words = crate::wizard::text::page(PageId::Configuring);
    let doing = match phase {
        CyclePhase::Import(forest) => format!("{} {forest}", words.field(PROGRESS_IMPORT)),
        CyclePhase::Synchronize => words.field(PROGRESS_SYNC).to_string(),
        CyclePhase::Export => words.field(PROGRESS_EXPORT).to_string(),
    };
    format!("{doing} — {handled} {}", words.field(PROGRESS_OBJECTS))
}

/// Where a step is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    /// Not started.
    Pending,
    /// Under way.
    Running,
    /// Done: what it did.
    Done(String),
    /// Failed: why.
    Failed(String),
}

/// The Configuring page's state.
#[derive(Debug, Clone)]
pub struct Configuring {
    /// The plan being applied (resolved when Configure was pressed).
    pub plan: Box<InstallPlan>,
    /// Each step's state.
    pub steps: BTreeMap<Step, StepState>,
    /// What finished steps produced.
    pub carried: Carried,
    /// The administrator asked to stop after the running step.
    pub stopping: bool,
    /// How far the running step has got: what it does and how many objects it has handled.
    pub progress: Option<(crate::engine::install::CyclePhase, u64)>,
}

impl Configuring {
    /// Every step pending.
    pub fn new(plan: InstallPlan) -> Configuring {
        let steps = Step::of(&plan)
            .into_iter()
            .map(|s| (s, StepState::Pending))
            .collect();
        Configuring {
            plan: Box::new(plan),
            steps,
            carried: Carried::default(),
            stopping: false,
            progress: None,
        }
    }

    /// The state of a step.
    pub fn state(&self, step: Step) -> &StepState {
        self.steps.get(&step).unwrap_or(&StepState::Pending)
    }

    /// The first step that has not succeeded.
    pub fn next_to_run(&self) -> Option<Step> {
        self.steps
            .iter()
            .find(|(_, state)| !matches!(state, StepState::Done(_)))
            .map(|(&s, _)| s)
    }

    /// A step is under way.
    pub fn running(&self) -> bool {
        self.steps.values().any(|s| *s == StepState::Running)
    }

    /// Every step succeeded.
    pub fn finished(&self) -> bool {
        self.next_to_run().is_none()
    }

    /// The failed step and why, if one failed.
    pub fn failure(&self) -> Option<(Step, &str)> {
        self.steps.iter().find_map(|(&s, state)| match state {
            StepState::Failed(why) => Some((s, why.as_str())),
            _ => None,
        })
    }
}

/// Checks the Configuring page: Next (to Complete) waits for every step.
pub fn validate(_draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::Configuring;
    let Some(configuring) = &facts.configuring else {
        return vec![Problem::error(page, STOP, WORKING)];
    };
    if let Some((step, why)) = configuring.failure() {
        let label = crate::wizard::text::page(page)
            .field(step.field())
            .to_string();
        return vec![Problem::error(page, RETRY, FAILED).with_detail(format!("{label}: {why}"))];
    }
    if configuring.finished() {
        Vec::new()
    } else if configuring.stopping && !configuring.running() {
        vec![Problem::error(page, RETRY, STOPPED)]
    } else {
        vec![Problem::error(page, STOP, WORKING)]
    }
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ApplyDone(ticket, done) => {
            if w.applying != Some(ticket) {
                return Vec::new();
            }
            w.applying = None;
            if let Some(configuring) = &mut w.facts.configuring {
                configuring.progress = None;
                let state = match done.outcome {
                    Ok((carried, line)) => {
                        configuring.carried = carried;
                        crate::wizard::pages::configuring::StepState::Done(line)
                    }
                    Err(why) => {
                        crate::wizard::pages::configuring::StepState::Failed(why.to_string())
                    }
                };
                configuring.steps.insert(done.step, state);
            }
            return w.next_step();
        }
        Msg::StepProgress(ticket, phase, handled) => {
            if w.applying == Some(ticket)
                && let Some(configuring) = &mut w.facts.configuring
            {
                configuring.progress = Some((phase, handled));
            }
        }
        Msg::RetryApply => {
            if let Some(configuring) = &mut w.facts.configuring
                && !configuring.running()
            {
                configuring.stopping = false;
                for state in configuring.steps.values_mut() {
                    if matches!(
                        state,
                        crate::wizard::pages::configuring::StepState::Failed(_)
                    ) {
                        *state = crate::wizard::pages::configuring::StepState::Pending;
                    }
                }
            }
            return w.next_step();
        }
        Msg::StopApply => {
            if let Some(configuring) = &mut w.facts.configuring {
                configuring.stopping = true;
            }
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

impl Wizard {
    /// Starts the first step not done yet, unless one runs or the administrator stopped.
    pub(crate) fn next_step(&mut self) -> Vec<Effect> {
        let Some(configuring) = &mut self.facts.configuring else {
            return Vec::new();
        };
        if configuring.running() || configuring.stopping || configuring.failure().is_some() {
            return Vec::new();
        }
        let Some(step) = configuring.next_to_run() else {
            return Vec::new();
        };
        configuring
            .steps
            .insert(step, crate::wizard::pages::configuring::StepState::Running);
        let job = crate::wizard::apply::Job {
            step,
            plan: configuring.plan.clone(),
            carried: configuring.carried.clone(),
        };
        let ticket = self.fresh_ticket();
        self.applying = Some(ticket);
        vec![Effect::Apply(ticket, Box::new(job))]
    }
}
