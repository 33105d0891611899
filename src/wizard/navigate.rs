//! Moving through the pages: Next, Back, Cancel (asked first), "continue anyway" and file
//! dialogs. What Next does on Ready to configure (start configuring, or apply a change) and on
//! the last pages is decided here too.

use super::registry::PageId;
use super::{Effect, Msg, Position, Wizard, probe};

impl Wizard {
    /// Applies a navigation message.
    pub(crate) fn navigate(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Browse(what) => return vec![Effect::ChoosePath(what)],
            Msg::Next
                if self.position == Position::Page(PageId::ConvertDomains)
                    && self.draft.tasks.customizing =>
            {
                // Each conversion is done when pressed: Next returns to the tasks.
                self.end_customizing();
                return self.reload_installed();
            }
            Msg::Confirm(page, message, yes) => {
                if yes {
                    self.draft.confirmed.insert((page, message));
                } else {
                    self.draft.confirmed.remove(&(page, message));
                }
            }
            Msg::Next
                if matches!(
                    self.position,
                    Position::Page(PageId::Complete | PageId::AdditionalTasks)
                ) =>
            {
                return vec![Effect::Close];
            }
            Msg::Next
                if self.position == Position::Page(PageId::ReadyToConfigure)
                    && self.draft.tasks.customizing =>
            {
                if !self.can_go_next() || self.probing(probe::ProbeKind::TaskChange) {
                    return Vec::new();
                }
                let (Ok(plan), Some(Ok(installed))) = (self.plan(), &self.facts.installed) else {
                    return Vec::new();
                };
                let settings = super::installed_choices::customized(
                    &installed.settings,
                    &plan,
                    self.draft.tasks.change,
                );
                self.facts.task_change = None;
                let data = self.draft.data_dir.clone();
                return vec![
                    self.operate(crate::wizard::operation::Operation::ApplyCustomized {
                        data,
                        settings: Box::new(settings),
                        plan: Box::new(plan),
                    }),
                ];
            }
            Msg::Next
                if self.position == Position::Page(PageId::ReadyToConfigure)
                    && self.can_go_next() =>
            {
                let Ok(plan) = self.plan() else {
                    return Vec::new();
                };
                self.facts.configuring = Some(super::pages::configuring::Configuring::new(plan));
                self.position = Position::Page(PageId::Configuring);
                return self.next_step();
            }
            Msg::Next => {
                if self.can_go_next()
                    && let Position::Page(page) = self.position
                {
                    let flow = self.flow();
                    let next = flow
                        .iter()
                        .position(|&p| p == page)
                        .and_then(|i| flow.get(i + 1));
                    self.position = next.map_or(Position::EndOfBuild, |&p| Position::Page(p));
                    if self.position == Position::Page(PageId::RequiredComponents) {
                        return self.check_data_folder();
                    }
                }
            }
            Msg::Back if self.can_go_back() => {
                let flow = self.flow();
                self.position = match self.position {
                    Position::EndOfBuild => {
                        flow.last().map_or(self.position, |&p| Position::Page(p))
                    }
                    Position::Page(page) => flow
                        .iter()
                        .position(|&p| p == page)
                        .and_then(|i| i.checked_sub(1))
                        .and_then(|i| flow.get(i))
                        .map_or(self.position, |&p| Position::Page(p)),
                };
                if self.position == Position::Page(PageId::AdditionalTasks) {
                    self.end_customizing();
                }
            }
            // While a step runs, Cancel stops after it rather than leaving half-way through.
            Msg::Cancel
                if self
                    .facts
                    .configuring
                    .as_ref()
                    .is_some_and(super::pages::configuring::Configuring::running) =>
            {
                return self.apply_msg(Msg::StopApply);
            }
            Msg::Cancel => self.confirming_cancel = true,
            Msg::CancelDismissed => self.confirming_cancel = false,
            Msg::CancelConfirmed if self.draft.tasks.customizing => {
                // Leaving a customization goes back to the tasks; nothing was applied.
                self.confirming_cancel = false;
                self.end_customizing();
            }
            Msg::CancelConfirmed => {
                self.confirming_cancel = false;
                return vec![Effect::Close];
            }
            // Messages of the pages never come here.
            _ => {}
        }
        Vec::new()
    }
}
