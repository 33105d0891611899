//! Refresh tokens and secrets go to the OS keychain and only there. Runs against the real
//! Secret Service (GNOME Keyring, started and unlocked by scripts/test in a private session).

use skybridge::secret::Keychain;
use skybridge::secret::Secret;

#[test]
fn the_keychain_stores_reads_and_forgets_a_secret() {
    let keychain = Keychain::new(&format!("skybridge-test-{}", std::process::id()));
    let name = "tenant-refresh-token";
    keychain.remove(name).expect("removing nothing is fine");
    assert!(keychain.load(name).expect("reading works").is_none());
    let token = Secret::new("0.AAAA-refresh-token-value");
    keychain.store(name, &token).expect("stored");
    assert_eq!(keychain.load(name).expect("read").expect("present"), token);
    keychain
        .store(name, &Secret::new("rotated"))
        .expect("replaced");
    assert_eq!(
        keychain
            .load(name)
            .expect("read")
            .expect("present")
            .expose(),
        "rotated"
    );
    keychain.remove(name).expect("removed");
    assert!(keychain.load(name).expect("read").is_none());
}
