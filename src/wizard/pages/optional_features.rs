//! The Optional features page: each feature with whether it can be chosen here, and why not.

use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::choices::Feature;
use crate::wizard::{Draft, Facts, SignInMethod};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    EXCHANGE_HYBRID,
    EXCHANGE_PUBLIC_FOLDERS,
    APP_ATTRIBUTE_FILTERING,
    PASSWORD_HASH_SYNC,
    PASSWORD_WRITEBACK,
    GROUP_WRITEBACK,
    DEVICE_WRITEBACK,
    DIRECTORY_EXTENSIONS,
    NEEDS_EXCHANGE,
    LOCKED_BY_SIGN_IN,
    ONLY_AS_SIGN_IN,
    NOT_IN_BUILD,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[FEATURE_NOT_IN_BUILD, FEATURE_NEEDS_EXCHANGE];

/// Exchange hybrid deployment.
pub const EXCHANGE_HYBRID: &str = "exchange_hybrid";
/// Exchange mail public folders.
pub const EXCHANGE_PUBLIC_FOLDERS: &str = "exchange_public_folders";
/// App and attribute filtering.
pub const APP_ATTRIBUTE_FILTERING: &str = "app_attribute_filtering";
/// Password synchronization.
pub const PASSWORD_HASH_SYNC: &str = "password_hash_sync";
/// Password writeback.
pub const PASSWORD_WRITEBACK: &str = "password_writeback";
/// Group writeback.
pub const GROUP_WRITEBACK: &str = "group_writeback";
/// Device writeback.
pub const DEVICE_WRITEBACK: &str = "device_writeback";
/// Directory extension attributes.
pub const DIRECTORY_EXTENSIONS: &str = "directory_extensions";
/// Why a feature is greyed: no Exchange schema.
pub const NEEDS_EXCHANGE: &str = "needs_exchange";
/// Why password hash sync is locked on.
pub const LOCKED_BY_SIGN_IN: &str = "locked_by_sign_in";
/// Why password synchronization is greyed with another sign-in method.
pub const ONLY_AS_SIGN_IN: &str = "only_as_sign_in";
/// Why a feature is greyed: not in this build.
pub const NOT_IN_BUILD: &str = "not_in_build";
/// A ticked feature is not in this build.
pub const FEATURE_NOT_IN_BUILD: &str = "feature_not_in_build";
/// A ticked feature needs the Exchange schema.
pub const FEATURE_NEEDS_EXCHANGE: &str = "feature_needs_exchange";

/// Whether a feature can be ticked, and if not why (a field id naming the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// It can be ticked or cleared.
    Open,
    /// It is on and cannot be cleared (the reason's field id).
    LockedOn(&'static str),
    /// It cannot be ticked (the reason's field id).
    Unavailable(&'static str),
}

impl Feature {
    /// Its field id.
    pub fn field(self) -> &'static str {
        match self {
            Feature::ExchangeHybrid => EXCHANGE_HYBRID,
            Feature::ExchangePublicFolders => EXCHANGE_PUBLIC_FOLDERS,
            Feature::AppAttributeFiltering => APP_ATTRIBUTE_FILTERING,
            Feature::PasswordHashSync => PASSWORD_HASH_SYNC,
            Feature::PasswordWriteback => PASSWORD_WRITEBACK,
            Feature::GroupWriteback => GROUP_WRITEBACK,
            Feature::DeviceWriteback => DEVICE_WRITEBACK,
            Feature::DirectoryExtensions => DIRECTORY_EXTENSIONS,
        }
    }

    fn needs_exchange(self) -> bool {
        matches!(
            self,
            Feature::ExchangeHybrid | Feature::ExchangePublicFolders | Feature::GroupWriteback
        )
    }

    /// Whether this build carries the feature out: app and attribute filtering and directory
    /// extensions are; password synchronization is, as the sign-in method (see
    /// [`Feature::availability`]); the others need engine work that comes later.
    fn in_build(self) -> bool {
        matches!(
            self,
            Feature::DirectoryExtensions | Feature::AppAttributeFiltering
        )
    }

    /// Whether it can be chosen with this draft and what the forests offer.
    pub fn availability(self, draft: &Draft, facts: &Facts) -> Availability {
        if self == Feature::PasswordHashSync && draft.sign_in == SignInMethod::PasswordHashSync {
            return Availability::LockedOn(LOCKED_BY_SIGN_IN);
        }
        // The service listens for agents only when passwords are how people sign in; beside
        // federation (a fallback) it is not carried out in this build.
        if self == Feature::PasswordHashSync {
            return Availability::Unavailable(ONLY_AS_SIGN_IN);
        }
        if self.needs_exchange() && !exchange_everywhere(draft, facts) {
            return Availability::Unavailable(NEEDS_EXCHANGE);
        }
        if !self.in_build() {
            return Availability::Unavailable(NOT_IN_BUILD);
        }
        Availability::Open
    }

    /// Whether it is on.
    pub fn is_on(self, draft: &Draft, facts: &Facts) -> bool {
        matches!(self.availability(draft, facts), Availability::LockedOn(_))
            || draft.features.contains(&self)
    }
}

/// Whether every added forest has the Exchange schema.
fn exchange_everywhere(draft: &Draft, facts: &Facts) -> bool {
    !draft.directories.is_empty()
        && draft.directories.iter().all(|d| {
            facts
                .forests
                .get(&d.forest)
                .is_some_and(|f| f.forest.exchange_schema)
        })
}

/// Checks the page (a settings file can tick what the page would grey out).
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::OptionalFeatures;
    let mut problems = Vec::new();
    for &feature in &draft.features {
        match feature.availability(draft, facts) {
            Availability::Unavailable(NEEDS_EXCHANGE) => problems.push(Problem::error(
                page,
                feature.field(),
                FEATURE_NEEDS_EXCHANGE,
            )),
            Availability::Unavailable(_) => {
                problems.push(Problem::error(page, feature.field(), FEATURE_NOT_IN_BUILD))
            }
            Availability::Open | Availability::LockedOn(_) => {}
        }
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if let Msg::SetFeature(feature, on) = msg {
        if on {
            w.draft.features.insert(feature);
        } else {
            w.draft.features.remove(&feature);
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_sync_is_locked_on_with_its_sign_in_and_unavailable_otherwise() {
        let mut draft = Draft::default();
        let facts = Facts::default();
        assert_eq!(
            Feature::PasswordHashSync.availability(&draft, &facts),
            Availability::LockedOn(LOCKED_BY_SIGN_IN)
        );
        assert!(Feature::PasswordHashSync.is_on(&draft, &facts));
        draft.sign_in = SignInMethod::PassThrough;
        assert_eq!(
            Feature::PasswordHashSync.availability(&draft, &facts),
            Availability::Unavailable(ONLY_AS_SIGN_IN)
        );
        assert!(!Feature::PasswordHashSync.is_on(&draft, &facts));
    }

    #[test]
    fn exchange_features_need_the_exchange_schema_and_a_ticked_unavailable_one_is_refused() {
        let mut draft = Draft::default();
        let facts = Facts::default();
        assert_eq!(
            Feature::ExchangeHybrid.availability(&draft, &facts),
            Availability::Unavailable(NEEDS_EXCHANGE)
        );
        assert_eq!(
            Feature::PasswordWriteback.availability(&draft, &facts),
            Availability::Unavailable(NOT_IN_BUILD)
        );
        draft.features.insert(Feature::ExchangeHybrid);
        draft.features.insert(Feature::DeviceWriteback);
        let messages: Vec<&str> = validate(&draft, &facts).iter().map(|p| p.message).collect();
        assert_eq!(messages, [FEATURE_NEEDS_EXCHANGE, FEATURE_NOT_IN_BUILD]);
    }
}
