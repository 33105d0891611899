//! The App filtering and Attribute filtering pages (with the "app and attribute filtering"
//! feature): the cloud services in use, then the attributes they read, each of which can be
//! left out unless the object cannot be made without it.
//!
//! Owns both pages' ids and checks and what the plan excludes: every optional attribute of the
//! catalogue no chosen service reads, and every one the administrator unticked.

use std::collections::BTreeSet;

use crate::engine::attributes::{FLOWS, Flow, Service, flow};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of the App filtering page.
pub const APP_FIELDS: &[&str] = &[
    EXCHANGE_ONLINE,
    SHAREPOINT_ONLINE,
    TEAMS,
    INTUNE,
    DYNAMICS_365,
    RIGHTS_MANAGEMENT,
    OTHER_APPLICATIONS,
    SERVICES,
];
/// Message ids of the App filtering page.
pub const APP_MESSAGES: &[&str] = &[CHOOSE_SERVICE];
/// Field ids of the Attribute filtering page.
pub const ATTRIBUTE_FIELDS: &[&str] = &[
    ATTRIBUTE, TARGET, OBJECTS, USERS, GROUPS, REQUIRED, ATTRIBUTES,
];
/// Message ids of the Attribute filtering page.
pub const ATTRIBUTE_MESSAGES: &[&str] = &[REMOVED_IN_USE, UNKNOWN_ATTRIBUTE];

/// Exchange Online.
pub const EXCHANGE_ONLINE: &str = "exchange_online";
/// SharePoint Online.
pub const SHAREPOINT_ONLINE: &str = "sharepoint_online";
/// Teams.
pub const TEAMS: &str = "teams";
/// Intune.
pub const INTUNE: &str = "intune";
/// Dynamics 365.
pub const DYNAMICS_365: &str = "dynamics_365";
/// Rights management.
pub const RIGHTS_MANAGEMENT: &str = "rights_management";
/// Other vendors' applications.
pub const OTHER_APPLICATIONS: &str = "other_applications";
/// The services as a whole.
pub const SERVICES: &str = "services";
/// No service is chosen.
pub const CHOOSE_SERVICE: &str = "choose_service";
/// Column: the Active Directory attribute.
pub const ATTRIBUTE: &str = "attribute";
/// Column: the tenant property.
pub const TARGET: &str = "target";
/// Column: the objects.
pub const OBJECTS: &str = "objects";
/// Users.
pub const USERS: &str = "users";
/// Groups.
pub const GROUPS: &str = "groups";
/// Why a box cannot be cleared.
pub const REQUIRED: &str = "required";
/// The attributes as a whole.
pub const ATTRIBUTES: &str = "attributes";
/// Attributes a chosen service reads are left out (detail: which).
pub const REMOVED_IN_USE: &str = "removed_in_use";
/// A settings file names an attribute outside the catalogue (detail: which).
pub const UNKNOWN_ATTRIBUTE: &str = "unknown_attribute";

/// A service's field id.
pub fn service_field(service: Service) -> &'static str {
    match service {
        Service::ExchangeOnline => EXCHANGE_ONLINE,
        Service::SharePointOnline => SHAREPOINT_ONLINE,
        Service::Teams => TEAMS,
        Service::Intune => INTUNE,
        Service::Dynamics365 => DYNAMICS_365,
        Service::RightsManagement => RIGHTS_MANAGEMENT,
        Service::OtherApplications => OTHER_APPLICATIONS,
    }
}

/// The attributes the Attribute filtering page lists: the required ones and those the chosen
/// services read, in catalogue order.
pub fn listed(draft: &Draft) -> Vec<&'static Flow> {
    FLOWS
        .iter()
        .filter(|f| f.required || f.used_by(&draft.services))
        .collect()
}

/// Whether a listed attribute is ticked.
pub fn ticked(draft: &Draft, f: &Flow) -> bool {
    f.required
        || !draft
            .unticked_attributes
            .iter()
            .any(|u| u.eq_ignore_ascii_case(f.source))
}

/// What the plan leaves out: every optional attribute no chosen service reads, and every
/// listed one unticked.
pub fn excluded(draft: &Draft) -> BTreeSet<String> {
    FLOWS
        .iter()
        .filter(|f| !f.required && (!f.used_by(&draft.services) || !ticked(draft, f)))
        .map(|f| f.source.to_string())
        .collect()
}

/// Checks the App filtering page.
pub fn validate_apps(draft: &Draft, _facts: &Facts) -> Vec<Problem> {
    if draft.services.is_empty() {
        vec![Problem::error(
            PageId::AppFiltering,
            SERVICES,
            CHOOSE_SERVICE,
        )]
    } else {
        Vec::new()
    }
}

/// Checks the Attribute filtering page: a name outside the catalogue (from a settings file)
/// stops it; leaving out what a chosen service reads is allowed, with a warning.
pub fn validate_attributes(draft: &Draft, _facts: &Facts) -> Vec<Problem> {
    let page = PageId::AttributeFiltering;
    let mut problems = Vec::new();
    for name in &draft.unticked_attributes {
        if flow(name).is_none() {
            problems.push(
                Problem::error(page, ATTRIBUTES, UNKNOWN_ATTRIBUTE).with_detail(name.clone()),
            );
        }
    }
    let removed: Vec<&str> = listed(draft)
        .into_iter()
        .filter(|f| !ticked(draft, f))
        .map(|f| f.source)
        .collect();
    if !removed.is_empty() {
        problems.push(
            Problem::warning(page, ATTRIBUTES, REMOVED_IN_USE).with_detail(removed.join(", ")),
        );
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetService(service, on) => {
            if on {
                w.draft.services.insert(service);
            } else {
                w.draft.services.remove(&service);
            }
        }
        Msg::SetAttribute(name, on) => {
            if on {
                w.draft
                    .unticked_attributes
                    .retain(|u| !u.eq_ignore_ascii_case(&name));
            } else {
                w.draft.unticked_attributes.insert(name);
            }
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_decide_what_is_listed_and_unticking_leaves_the_rest_out() {
        let mut draft = Draft::default();
        let facts = Facts::default();
        // All services, as the page starts: everything is listed, nothing left out.
        assert_eq!(listed(&draft).len(), FLOWS.len());
        assert!(excluded(&draft).is_empty());
        assert!(validate_apps(&draft, &facts).is_empty());
        // Rights management alone reads mail: the profile attributes go, required ones stay.
        draft.services = [Service::RightsManagement].into();
        let names: Vec<&str> = listed(&draft).iter().map(|f| f.source).collect();
        assert!(names.contains(&"mail") && names.contains(&"userPrincipalName"));
        assert!(!names.contains(&"department"));
        let out = excluded(&draft);
        assert!(out.contains("department") && !out.contains("mail"));
        assert!(!out.contains("userPrincipalName"));
        // Unticking mail leaves it out too, with a warning; a required one cannot be unticked.
        draft.unticked_attributes.insert("mail".into());
        draft.unticked_attributes.insert("userPrincipalName".into());
        let out = excluded(&draft);
        assert!(out.contains("mail") && !out.contains("userPrincipalName"));
        let problems = validate_attributes(&draft, &facts);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, REMOVED_IN_USE);
        assert_eq!(problems[0].detail.as_deref(), Some("mail"));
        // No service: the page says to choose one; an unknown name from a file is refused.
        draft.services.clear();
        assert_eq!(validate_apps(&draft, &facts)[0].message, CHOOSE_SERVICE);
        draft.unticked_attributes.insert("favouriteColour".into());
        assert!(
            validate_attributes(&draft, &facts)
                .iter()
                .any(|p| p.message == UNKNOWN_ATTRIBUTE
                    && p.detail.as_deref() == Some("favouriteColour"))
        );
    }
}
