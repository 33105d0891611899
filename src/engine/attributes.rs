//! The attributes the default rules copy to the tenant, as a catalogue: for each, its Active
//! Directory source, the tenant property it fills, the objects it is on, whether the object
//! cannot be made without it (required), and which cloud services read it.
//!
//! App and attribute filtering choose from this catalogue; the rules in [`super::sync`] leave
//! out what the settings exclude. A required attribute is never excluded.

use serde::{Deserialize, Serialize};

/// A cloud service that reads synchronized attributes (app filtering).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Service {
    /// Mail, calendars and the address list.
    ExchangeOnline,
    /// Sites, files and people search.
    SharePointOnline,
    /// Chat, meetings and calls.
    Teams,
    /// Device and app management.
    Intune,
    /// Customer relationship management.
    Dynamics365,
    /// Information protection (rights management).
    RightsManagement,
    /// Applications of other vendors that read the directory: every attribute.
    OtherApplications,
}

impl Service {
    /// Every service, in page order.
    pub const ALL: &'static [Service] = &[
        Service::ExchangeOnline,
        Service::SharePointOnline,
        Service::Teams,
        Service::Intune,
        Service::Dynamics365,
        Service::RightsManagement,
        Service::OtherApplications,
    ];
}

/// One attribute of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// The Active Directory attribute.
    pub source: &'static str,
    /// The tenant property.
    pub target: &'static str,
    /// On users.
    pub users: bool,
    /// On groups.
    pub groups: bool,
    /// The object cannot be made without it: never excluded.
    pub required: bool,
    /// The services that read it (besides other vendors' applications, which read them all).
    pub services: &'static [Service],
}

use Service::{Dynamics365, ExchangeOnline, Intune, RightsManagement, SharePointOnline, Teams};

/// People-facing profile attributes, read by most services.
const PROFILE: &[Service] = &[ExchangeOnline, SharePointOnline, Teams, Dynamics365];

/// The catalogue, users first.
pub const FLOWS: &[Flow] = &[
    Flow {
        source: "userPrincipalName",
        target: "userPrincipalName",
        users: true,
        groups: false,
        required: true,
        services: &[],
    },
    Flow {
        source: "sAMAccountName",
        target: "mailNickname",
        users: true,
        groups: true,
        required: true,
        services: &[],
    },
    Flow {
        source: "displayName",
        target: "displayName",
        users: true,
        groups: true,
        required: true,
        services: &[],
    },
    Flow {
        source: "userAccountControl",
        target: "accountEnabled",
        users: true,
        groups: false,
        required: true,
        services: &[],
    },
    Flow {
        source: "groupType",
        target: "securityEnabled",
        users: false,
        groups: true,
        required: true,
        services: &[],
    },
    Flow {
        source: "member",
        target: "members",
        users: false,
        groups: true,
        required: true,
        services: &[],
    },
    Flow {
        source: "givenName",
        target: "givenName",
        users: true,
        groups: false,
        required: false,
        services: PROFILE,
    },
    Flow {
        source: "sn",
        target: "surname",
        users: true,
        groups: false,
        required: false,
        services: PROFILE,
    },
    Flow {
        source: "mail",
        target: "mail",
        users: true,
        groups: false,
        required: false,
        services: &[
            ExchangeOnline,
            SharePointOnline,
            Teams,
            Intune,
            Dynamics365,
            RightsManagement,
        ],
    },
    Flow {
        source: "department",
        target: "department",
        users: true,
        groups: false,
        required: false,
        services: PROFILE,
    },
    Flow {
        source: "title",
        target: "jobTitle",
        users: true,
        groups: false,
        required: false,
        services: PROFILE,
    },
    Flow {
        source: "company",
        target: "companyName",
        users: true,
        groups: false,
        required: false,
        services: &[ExchangeOnline, SharePointOnline, Dynamics365],
    },
    Flow {
        source: "physicalDeliveryOfficeName",
        target: "officeLocation",
        users: true,
        groups: false,
        required: false,
        services: PROFILE,
    },
    Flow {
        source: "mobile",
        target: "mobilePhone",
        users: true,
        groups: false,
        required: false,
        services: &[ExchangeOnline, SharePointOnline, Teams, Intune, Dynamics365],
    },
    Flow {
        source: "employeeID",
        target: "employeeId",
        users: true,
        groups: false,
        required: false,
        services: &[SharePointOnline, Dynamics365],
    },
    Flow {
        source: "description",
        target: "description",
        users: false,
        groups: true,
        required: false,
        services: &[ExchangeOnline, SharePointOnline, Teams, Intune],
    },
];

/// The catalogue entry of an Active Directory attribute (any case).
pub fn flow(source: &str) -> Option<&'static Flow> {
    FLOWS.iter().find(|f| f.source.eq_ignore_ascii_case(source))
}

impl Flow {
    /// Whether one of these services reads it.
    pub fn used_by(&self, services: &std::collections::BTreeSet<Service>) -> bool {
        services.contains(&Service::OtherApplications)
            || self.services.iter().any(|s| services.contains(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_each_source_once_and_optional_ones_have_a_reader() {
        let mut seen = std::collections::BTreeSet::new();
        for f in FLOWS {
            assert!(seen.insert(f.source.to_lowercase()), "{} twice", f.source);
            assert!(f.users || f.groups, "{} is on nothing", f.source);
            assert!(f.required || !f.services.is_empty(), "{}", f.source);
        }
        assert_eq!(flow("MAIL").map(|f| f.target), Some("mail"));
        let only_rms: std::collections::BTreeSet<Service> = [RightsManagement].into();
        assert!(flow("mail").unwrap().used_by(&only_rms));
        assert!(!flow("department").unwrap().used_by(&only_rms));
        let others: std::collections::BTreeSet<Service> = [Service::OtherApplications].into();
        assert!(FLOWS.iter().all(|f| f.used_by(&others) || f.required));
    }
}
