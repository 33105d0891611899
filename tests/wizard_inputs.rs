//! Every text field of the wizard fed arbitrary text: no panic, and each page either accepts
//! the input or names a problem with its words (never an empty message).

use proptest::prelude::*;
use skybridge::engine::rules::{AnchorMode, Matching};
use skybridge::secret::Secret;
use skybridge::wizard::state::choices::Feature;
use skybridge::wizard::{Msg, PageId, Wizard};

/// The messages that put arbitrary text into the draft.
fn text_messages(text: &str) -> Vec<Msg> {
    let t = text.to_string();
    vec![
        Msg::SetTenantUser(t.clone()),
        Msg::SetTenantPassword(Secret::new(t.clone())),
        Msg::SetTenantAuthority(t.clone()),
        Msg::SetTenantGraph(t.clone()),
        Msg::SetTenantClientId(t.clone()),
        Msg::SetTenantCaFile(t.clone()),
        Msg::SetDirectoryServer(t.clone()),
        Msg::SetDirectoryAccount(t.clone()),
        Msg::SetDirectoryPassword(Secret::new(t.clone())),
        Msg::SetDirectoryCaFile(t.clone()),
        Msg::SetAlternateSignIn(Some(t.clone())),
        Msg::SetOuSearch(t.clone()),
        Msg::SetMatching(Matching::Attribute(t.clone())),
        Msg::SetAnchor(AnchorMode::Attribute(t.clone())),
        Msg::SetPilotGroup("contoso.test".into(), t.clone()),
        Msg::SetImportFile(t.clone()),
        Msg::SetExtensionSearch(t.clone()),
        Msg::SetExtension(t.clone(), true),
        Msg::SetAttribute(t.clone(), false),
        Msg::SetSsoAccount("contoso.test".into(), t.clone()),
        Msg::SetSsoPassword("contoso.test".into(), Secret::new(t.clone())),
        Msg::TickContainer("contoso.test".into(), t, true),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_in_any_field_is_accepted_or_explained(text in any::<String>()) {
        let mut wizard = Wizard::new();
        // The feature pages in the walk, so their checks see the text too.
        let _ = wizard.update(Msg::SetSingleSignOn(true));
        let _ = wizard.update(Msg::SetFeature(Feature::DirectoryExtensions, true));
        let _ = wizard.update(Msg::SetFeature(Feature::AppAttributeFiltering, true));
        for msg in text_messages(&text) {
            // Pressing the buttons with that input must not start anything unreasonable either:
            // effects are only data here, nothing runs.
            let _ = wizard.update(msg);
        }
        let _ = wizard.update(Msg::SignInTenant);
        let _ = wizard.update(Msg::AddDirectory);
        let _ = wizard.update(Msg::FindPilotGroup("contoso.test".into()));
        let _ = wizard.update(Msg::VerifySso("contoso.test".into()));
        for &page in PageId::ALL {
            for problem in wizard.problems(page) {
                prop_assert!(!problem.text().trim().is_empty(), "{page:?}: {problem:?}");
            }
        }
        let _ = wizard.plan();
    }
}
