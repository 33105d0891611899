//! The install wizard as data, with no user interface in it.
//!
//! A [`Wizard`] holds the administrator's [`Draft`], what probes learned ([`Facts`]), the page
//! being shown and whether a dialog is open. Front ends send it [`Msg`]s through
//! [`Wizard::update`] and carry out the [`Effect`]s it returns; they never change the state
//! themselves. Which pages exist is a pure function of the draft ([`flow::flow`]) and each page
//! has a pure validator, so the whole walk is testable without a window.
//!
//! - [`registry`]: [`PageId`] and one exhaustive match per question (key, fields, messages,
//!   validator); [`flow`]: the pages of a walk.
//! - [`pages`]: one module per page, named after its key: its ids, its slice of the state, its
//!   validator, and what it does with its messages and its probes' answers.
//! - [`federation`]: what the eight federation pages share: their state, the walk's federation
//!   part, the plan's, and their messages and probes' answers.
//! - [`state`], [`msg`]: the state ([`Draft`], [`Facts`]) and what flows in and out
//!   ([`Msg`], [`Effect`]); `navigate`: Next, Back, Cancel.
//! - [`probe`]: the questions the wizard asks servers and their answers, run through
//!   [`crate::ops`]; [`operation`]: the work that writes (a connector account, a change, the
//!   service, a saved file), answered the same way; [`apply`]: the Configuring steps; [`plan`]: the resolved install plan.
//! - [`installed_choices`]: an installation's settings as a settings file (what customizing
//!   starts from and applies, what Export settings writes) and the wizard's choices kept beside
//!   them; not a page, so any page may use it.
//! - [`settings`]: settings files (the format and their import); [`headless`]: the wizard
//!   driven without a window (`skybridge plan` and `apply`); [`profile`]: a demo's pre-filled
//!   forms; [`problem`]: what a validator reports; [`text`]: every word, from `wizard-pages/`.

pub mod apply;
pub mod federation;
pub mod flow;
pub mod headless;
pub mod installed_choices;
pub mod msg;
mod navigate;
pub mod operation;
pub mod pages;
pub mod plan;
pub mod probe;
pub mod problem;
pub mod profile;
pub mod registry;
pub mod settings;
pub mod state;
pub mod text;

pub use problem::{Problem, Severity};
pub use registry::PageId;
pub use state::choices::InstallMode;
pub use state::choices::SignInMethod;

/// Where the walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// On a page.
    Page(PageId),
    /// Past the last page this build contains.
    EndOfBuild,
}

/// Whether a problem stops Next: an error, or a warning not confirmed with "continue anyway".
pub fn blocks(problem: &Problem, draft: &Draft) -> bool {
    match problem.severity {
        Severity::Error => true,
        Severity::Confirm => !draft.confirmed.contains(&(problem.page, problem.message)),
        Severity::Warning => false,
    }
}

pub use msg::{Effect, Msg, PathFor, Ticket};
pub use registry::problems_of;
pub use state::{Draft, Facts};

/// The wizard's whole state.
#[derive(Debug, Clone)]
pub struct Wizard {
    draft: Draft,
    facts: Facts,
    position: Position,
    confirming_cancel: bool,
    /// The awaited answer of each kind of probe.
    awaited: std::collections::BTreeMap<probe::ProbeKind, Ticket>,
    /// The awaited answer of the running configuring step.
    applying: Option<Ticket>,
    next_ticket: u64,
}

impl Default for Wizard {
    fn default() -> Self {
        Self::new()
    }
}

impl Wizard {
    /// A wizard on its first page with an empty draft.
    pub fn new() -> Self {
        Wizard {
            draft: Draft::default(),
            facts: Facts::default(),
            position: Position::Page(PageId::Welcome),
            confirming_cancel: false,
            awaited: std::collections::BTreeMap::new(),
            applying: None,
            next_ticket: 1,
        }
    }

    /// A wizard that installs into `data_dir`; when the folder already holds an installation,
    /// one that opens on Additional tasks for it.
    pub fn with_data_dir(data_dir: std::path::PathBuf) -> Self {
        let mut wizard = Self::new();
        if data_dir.join("settings.json").is_file() {
            wizard.draft.additional = true;
            wizard.position = Position::Page(PageId::AdditionalTasks);
            // One window at a time changes an installation.
            wizard.facts.config_lock =
                Some(crate::service::lock::ConfigLock::acquire(&data_dir).map(std::sync::Arc::new));
        }
        wizard.draft.data_dir = data_dir;
        wizard
    }

    /// What has been entered.
    pub fn draft(&self) -> &Draft {
        &self.draft
    }

    /// What probes have learned.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Whether a probe of this kind is under way.
    pub fn probing(&self, kind: probe::ProbeKind) -> bool {
        self.awaited.contains_key(&kind)
    }

    /// Where the walk is.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Whether the "leave setup?" dialog is open.
    pub fn confirming_cancel(&self) -> bool {
        self.confirming_cancel
    }

    /// The pages of this walk, in order.
    pub fn flow(&self) -> Vec<PageId> {
        flow::flow(&self.draft)
    }

    /// Whether a page of the flow lies before the current one (it is shown as done).
    pub fn is_completed(&self, page: PageId) -> bool {
        let flow = self.flow();
        let index = |p| flow.iter().position(|&q| q == p);
        match self.position {
            Position::EndOfBuild => index(page).is_some(),
            Position::Page(current) => {
                matches!((index(page), index(current)), (Some(a), Some(b)) if a < b)
            }
        }
    }

    /// The problems of a page as the draft stands.
    pub fn problems(&self, page: PageId) -> Vec<Problem> {
        problems_of(page, &self.draft, &self.facts)
    }

    /// The plan the draft resolves into, or the first page that stops it.
    pub fn plan(&self) -> Result<plan::InstallPlan, plan::NotReady> {
        plan::resolve(&self.draft, &self.facts)
    }

    /// Whether Next may be pressed now.
    pub fn can_go_next(&self) -> bool {
        match self.position {
            Position::Page(page) => !self.problems(page).iter().any(|p| blocks(p, &self.draft)),
            Position::EndOfBuild => false,
        }
    }

    /// Whether Back may be pressed now: not once configuring has begun.
    pub fn can_go_back(&self) -> bool {
        match self.position {
            Position::Page(PageId::Configuring | PageId::Complete) => false,
            Position::Page(page) => self.flow().first() != Some(&page),
            Position::EndOfBuild => true,
        }
    }

    /// A ticket never handed out before.
    fn fresh_ticket(&mut self) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        ticket
    }

    /// A probe with a fresh ticket, which becomes the awaited one of its kind.
    fn ask(&mut self, probe: probe::Probe) -> Effect {
        let ticket = self.fresh_ticket();
        self.awaited.insert(probe.kind(), ticket);
        Effect::Probe(ticket, Box::new(probe))
    }

    /// An operation with a fresh ticket, which becomes the awaited answer of its kind.
    fn operate(&mut self, operation: operation::Operation) -> Effect {
        let ticket = self.fresh_ticket();
        self.awaited.insert(operation.kind(), ticket);
        Effect::Operate(ticket, Box::new(operation))
    }

    /// Applies what the administrator did and returns the work to carry out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.apply_msg(msg);
        effects.extend(self.continue_import());
        effects
    }

    /// Applies one message: the page that owns it takes it ([`pages::update`]).
    fn apply_msg(&mut self, msg: Msg) -> Vec<Effect> {
        pages::update(self, msg)
    }

    /// Takes a probe's answer when it is the one awaited, and hands it to its page.
    fn probe_done(&mut self, ticket: Ticket, result: probe::Answer) -> Vec<Effect> {
        let kind = result.kind();
        // An answer to a question that has since changed is of no use.
        if self.awaited.get(&kind) != Some(&ticket) {
            return Vec::new();
        }
        self.awaited.remove(&kind);
        pages::answered(self, result)
    }
}

#[cfg(test)]
mod tests;
