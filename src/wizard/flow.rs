//! The pages the administrator walks through: a pure function of the draft.

use super::Draft;
use super::registry::PageId;
use crate::wizard::state::choices::Feature;
use crate::wizard::state::choices::InstallMode;

/// The pages the optional features chosen add after Optional features.
fn feature_pages(draft: &Draft) -> Vec<PageId> {
    let mut pages = Vec::new();
    if draft.features.contains(&Feature::AppAttributeFiltering) {
        pages.extend([PageId::AppFiltering, PageId::AttributeFiltering]);
    }
    if draft.features.contains(&Feature::DirectoryExtensions) {
        pages.push(PageId::DirectoryExtensions);
    }
    pages
}

/// The pages the administrator walks through for this draft, in order. The express install
/// asks for the tenant and one forest's enterprise administrator, shows the forest's sign-in
/// suffixes, and goes on to Ready to configure.
pub fn flow(draft: &Draft) -> Vec<PageId> {
    // An installed configuration is changed from Additional tasks, never installed again;
    // customizing walks the pages of what can change, then Ready to configure.
    if draft.additional {
        let mut pages = vec![PageId::AdditionalTasks];
        if draft.tasks.customizing
            && draft.tasks.change == super::pages::additional_tasks::Change::Federation
        {
            pages.extend([PageId::ConnectTenant, PageId::ConvertDomains]);
        } else if draft.tasks.customizing
            && draft.tasks.change == super::pages::additional_tasks::Change::SignIn
        {
            pages.extend([PageId::ConnectTenant, PageId::UserSignIn]);
            if super::pages::single_sign_on::wanted(draft) {
                pages.push(PageId::SingleSignOn);
            }
            pages.push(PageId::ReadyToConfigure);
        } else if draft.tasks.customizing {
            pages.extend([
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::DomainOuFiltering,
                PageId::OptionalFeatures,
            ]);
            pages.extend(feature_pages(draft));
            pages.push(PageId::ReadyToConfigure);
        }
        return pages;
    }
    let mut pages = vec![PageId::Welcome, PageId::Express];
    match draft.mode {
        Some(InstallMode::Custom) => {
            pages.extend([
                PageId::RequiredComponents,
                PageId::UserSignIn,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::DomainOuFiltering,
                PageId::IdentifyingUsers,
                PageId::FilterUsers,
                PageId::OptionalFeatures,
            ]);
            pages.extend(feature_pages(draft));
            if super::pages::single_sign_on::wanted(draft) {
                pages.push(PageId::SingleSignOn);
            }
            pages.extend(super::federation::pages(draft));
            pages.extend([
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete,
            ]);
        }
        Some(InstallMode::Express) => pages.extend([
            PageId::ConnectTenant,
            PageId::ConnectDirectories,
            PageId::SignInConfiguration,
            PageId::ReadyToConfigure,
            PageId::Configuring,
            PageId::Complete,
        ]),
        None => {}
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_custom_walk_has_the_sign_in_page_and_the_express_walk_does_not() {
        let mut draft = Draft::default();
        assert_eq!(flow(&draft), [PageId::Welcome, PageId::Express]);
        draft.mode = Some(InstallMode::Express);
        assert_eq!(
            flow(&draft),
            [
                PageId::Welcome,
                PageId::Express,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete
            ]
        );
        draft.mode = Some(InstallMode::Custom);
        assert_eq!(
            flow(&draft),
            [
                PageId::Welcome,
                PageId::Express,
                PageId::RequiredComponents,
                PageId::UserSignIn,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::DomainOuFiltering,
                PageId::IdentifyingUsers,
                PageId::FilterUsers,
                PageId::OptionalFeatures,
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete
            ]
        );
        draft.features.insert(Feature::DirectoryExtensions);
        let pages = flow(&draft);
        let at = pages
            .iter()
            .position(|p| *p == PageId::DirectoryExtensions)
            .expect("the extensions page with its feature");
        assert_eq!(pages[at - 1], PageId::OptionalFeatures);
        assert_eq!(pages[at + 1], PageId::ReadyToConfigure);
        draft.features.insert(Feature::AppAttributeFiltering);
        let pages = flow(&draft);
        let at = pages
            .iter()
            .position(|p| *p == PageId::AppFiltering)
            .expect("the app filtering page with its feature");
        assert_eq!(
            pages[at - 1..at + 3],
            [
                PageId::OptionalFeatures,
                PageId::AppFiltering,
                PageId::AttributeFiltering,
                PageId::DirectoryExtensions
            ]
        );
    }
}
