//! Setting the agent up on a Samba domain controller, and taking it away again
//! (`skybridge password-agent install | status | uninstall`).
//!
//! What install changes, each step only when it is not already so:
//! 1. a GnuPG key for the agent (`Skybridge password agent`) in the GnuPG home the domain
//!    controller runs with: Samba encrypts each new password to it (`Primary:SambaGPG`);
//! 2. `password hash gpg key ids` in smb.conf's `[global]` (Samba reads it when it starts:
//!    restart it once after this changed);
//! 3. enrolment with the installation's service (a one-time code);
//! 4. the hook script the loop calls, and the loop's cache (`samba-tool user syncpasswords
//!    --cache-ldb-initialize … --decrypt-samba-gpg --script=…`);
//! 5. a systemd unit that runs the loop and starts it again when it stops (a change the
//!    service did not take is handed over again on the next run).
//!
//! Only passwords set after step 2 took effect are readable: Samba cannot decrypt what it
//! never encrypted.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::PasswordError;
use super::agent;

/// The GnuPG user id of the agent's key.
pub const KEY_UID: &str = "Skybridge password agent";
/// The systemd unit's name.
pub const UNIT: &str = "skybridge-password-agent.service";
/// The smb.conf parameter that names the key.
const PARAMETER: &str = "password hash gpg key ids";
/// The PATH the Samba tools run with (Samba's Python must be the system's).
const SYSTEM_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Where things are on the domain controller.
#[derive(Debug, Clone)]
pub struct DcLayout {
    /// The agent's folder.
    pub dir: PathBuf,
    /// smb.conf.
    pub smb_conf: PathBuf,
    /// The GnuPG home the domain controller runs with.
    pub gnupg_home: PathBuf,
    /// Where the systemd unit goes.
    pub unit_dir: PathBuf,
}

impl DcLayout {
    /// The hook script the loop calls.
    pub fn hook(&self) -> PathBuf {
        self.dir.join("password-hook")
    }

    /// The loop's cache (in Samba's private folder).
    pub fn cache(&self) -> PathBuf {
        private_dir(&self.smb_conf).join("user-syncpasswords-cache.ldb")
    }

    /// The unit file.
    pub fn unit(&self) -> PathBuf {
        self.unit_dir.join(UNIT)
    }
}

/// What install was asked to do beyond the layout.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// Enrol with this service (`host:port`) and code; `None` keeps an existing enrolment.
    pub enrol: Option<(String, crate::secret::Secret)>,
    /// This agent's name.
    pub name: String,
    /// Enable and start the unit with systemctl.
    pub start: bool,
    /// The program the hook runs (this binary).
    pub program: PathBuf,
}

fn failed(what: &str, detail: impl std::fmt::Display) -> PasswordError {
    PasswordError::Io {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

fn run(what: &str, command: &mut Command) -> Result<String, PasswordError> {
    let output = command.output().map_err(|e| failed(what, e))?;
    if !output.status.success() {
        let mut why = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if why.is_empty() {
            why = String::from_utf8_lossy(&output.stdout).trim().to_string();
        }
        return Err(failed(what, format!("{} ({})", why, output.status)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The file's permission bits, to keep them when it is rewritten (0644 when unknown).
fn mode_of(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            return meta.permissions().mode() & 0o7777;
        }
    }
    let _ = path;
    0o644
}

/// A program run with a clean environment: nothing of this process's (an enrolment code read
/// from a variable, say) reaches it.
fn program(name: &str) -> Command {
    let mut c = Command::new(name);
    c.env_clear().env("PATH", SYSTEM_PATH).env("LC_ALL", "C");
    c
}

fn gpg(layout: &DcLayout) -> Command {
    let mut c = program("gpg");
    c.arg("--homedir")
        .arg(&layout.gnupg_home)
        .args(["--batch", "--with-colons"]);
    c
}

/// The fingerprint of the agent's GnuPG key, if there is one.
pub fn key_fingerprint(layout: &DcLayout) -> Option<String> {
    let out = gpg(layout)
        .args(["--list-secret-keys", KEY_UID])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .map(str::to_string)
}

/// The value of `password hash gpg key ids` in smb.conf's `[global]`, if set.
pub fn configured_key(smb_conf: &Path) -> Option<String> {
    let text = std::fs::read_to_string(smb_conf).ok()?;
    global_lines(&text)
        .find_map(|l| parameter_value(l, PARAMETER))
        .map(str::to_string)
}

fn private_dir(smb_conf: &Path) -> PathBuf {
    std::fs::read_to_string(smb_conf)
        .ok()
        .and_then(|t| {
            global_lines(&t)
                .find_map(|l| parameter_value(l, "private dir"))
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("/var/lib/samba/private"))
}

fn global_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut in_global = false;
    text.lines().filter(move |l| {
        let t = l.trim();
        if t.starts_with('[') {
            in_global = t.eq_ignore_ascii_case("[global]");
            return false;
        }
        in_global
    })
}

fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn parameter_value<'a>(line: &'a str, parameter: &str) -> Option<&'a str> {
    let t = line.trim();
    if t.starts_with('#') || t.starts_with(';') {
        return None;
    }
    let (name, value) = t.split_once('=')?;
    (normalize_name(name) == parameter).then_some(value.trim())
}

/// smb.conf with `parameter = value` set in `[global]` (`None` removes it). Other lines stay
/// as they are.
pub fn with_parameter(text: &str, parameter: &str, value: Option<&str>) -> String {
    let mut out = Vec::new();
    let mut in_global = false;
    let mut done = value.is_none();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            if in_global && !done {
                out.push(format!("\t{parameter} = {}", value.unwrap_or_default()));
                done = true;
            }
            in_global = t.eq_ignore_ascii_case("[global]");
            out.push(line.to_string());
            continue;
        }
        if in_global && parameter_value(line, parameter).is_some() {
            if let (Some(v), false) = (value, done) {
                out.push(format!("\t{parameter} = {v}"));
                done = true;
            }
            continue;
        }
        out.push(line.to_string());
    }
    if !done {
        if !in_global {
            out.push("[global]".into());
        }
        out.push(format!("\t{parameter} = {}", value.unwrap_or_default()));
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

/// Sets the agent up. Returns what it changed, one line each.
pub fn install(layout: &DcLayout, request: &InstallRequest) -> Result<Vec<String>, PasswordError> {
    let mut changed = Vec::new();
    std::fs::create_dir_all(&layout.gnupg_home).map_err(|e| failed("the GnuPG home", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ =
            std::fs::set_permissions(&layout.gnupg_home, std::fs::Permissions::from_mode(0o700));
    }
    // 1. The key.
    let fingerprint = match key_fingerprint(layout) {
        Some(f) => f,
        None => {
            run(
                "creating the agent's GnuPG key",
                gpg(layout).args([
                    "--passphrase",
                    "",
                    "--quick-gen-key",
                    &format!("{KEY_UID} <password-agent@{}>", request.name),
                    "rsa3072",
                    "encr",
                    "never",
                ]),
            )?;
            let f = key_fingerprint(layout)
                .ok_or_else(|| failed("creating the agent's GnuPG key", "gpg made no key"))?;
            changed.push(format!(
                "created the GnuPG key {f} in {}",
                layout.gnupg_home.display()
            ));
            f
        }
    };
    // 2. smb.conf.
    if configured_key(&layout.smb_conf).as_deref() != Some(fingerprint.as_str()) {
        let text = std::fs::read_to_string(&layout.smb_conf)
            .map_err(|e| failed(&layout.smb_conf.display().to_string(), e))?;
        let new = with_parameter(&text, PARAMETER, Some(&fingerprint));
        agent::write_file(&layout.smb_conf, new.as_bytes(), mode_of(&layout.smb_conf))?;
        changed.push(format!(
            "set '{PARAMETER} = {fingerprint}' in {} — restart Samba once so that it encrypts new passwords to the key",
            layout.smb_conf.display()
        ));
    }
    // 3. Enrolment.
    if let Some((service, code)) = &request.enrol {
        let config = agent::enroll(&layout.dir, service, code.expose(), &request.name)?;
        changed.push(format!(
            "enrolled with the service at {} (its certificate {})",
            config.service, config.service_fingerprint
        ));
    } else {
        agent::load(&layout.dir)?;
    }
    // 4. The hook and the loop's cache.
    let hook = format!(
        "#!/bin/sh\n# Written by skybridge password-agent install: Samba's password sync loop runs this for each changed user.\nexec '{}' password-agent hook --dir '{}'\n",
        request.program.display(),
        layout.dir.display()
    );
    if std::fs::read_to_string(layout.hook()).ok().as_deref() != Some(hook.as_str()) {
        agent::write_file(&layout.hook(), hook.as_bytes(), 0o700)?;
        changed.push(format!("wrote the hook {}", layout.hook().display()));
    }
    if !layout.cache().exists() {
        run(
            "setting up Samba's password sync loop",
            program("samba-tool")
                .env("GNUPGHOME", &layout.gnupg_home)
                .args(["user", "syncpasswords", "-s"])
                .arg(&layout.smb_conf)
                .arg("--cache-ldb-initialize")
                .arg(format!("--attributes={}", super::ldif::ATTRIBUTES))
                .arg("--decrypt-samba-gpg")
                .arg(format!("--script={}", layout.hook().display())),
        )?;
        changed.push(format!(
            "set up Samba's password sync loop (its cache {})",
            layout.cache().display()
        ));
    }
    // 5. The unit.
    let unit = unit_text(layout);
    if std::fs::read_to_string(layout.unit()).ok().as_deref() != Some(unit.as_str()) {
        agent::write_file(&layout.unit(), unit.as_bytes(), 0o644)?;
        changed.push(format!(
            "wrote the systemd unit {}",
            layout.unit().display()
        ));
    }
    if request.start {
        run(
            "systemctl daemon-reload",
            program("systemctl").arg("daemon-reload"),
        )?;
        run(
            "starting the loop",
            program("systemctl").args(["enable", "--now", UNIT]),
        )?;
        changed.push(format!("enabled and started {UNIT}"));
    }
    Ok(changed)
}

/// The command line the unit runs: the loop, in the foreground.
pub fn loop_command(layout: &DcLayout) -> Vec<String> {
    vec![
        "/usr/bin/samba-tool".into(),
        "user".into(),
        "syncpasswords".into(),
        "-s".into(),
        layout.smb_conf.display().to_string(),
    ]
}

fn unit_text(layout: &DcLayout) -> String {
    format!(
        "# Written by skybridge password-agent install.\n[Unit]\nDescription=Skybridge password agent (Samba's password sync loop)\nAfter=samba-ad-dc.service\n\n[Service]\nEnvironment=GNUPGHOME={}\nEnvironment=PATH={SYSTEM_PATH}\nExecStart={}\nRestart=always\nRestartSec=5\n\n[Install]\nWantedBy=multi-user.target\n",
        layout.gnupg_home.display(),
        loop_command(layout).join(" ")
    )
}

/// What status reports, one line each.
pub fn status(layout: &DcLayout) -> Vec<String> {
    let mut lines = Vec::new();
    match agent::load(&layout.dir) {
        Ok((config, _)) => lines.push(format!(
            "enrolled as {} with the service at {} (certificate {})",
            config.name, config.service, config.service_fingerprint
        )),
        Err(e) => lines.push(format!("not enrolled: {e}")),
    }
    let key = key_fingerprint(layout);
    match (&key, configured_key(&layout.smb_conf)) {
        (Some(k), Some(c)) if *k == c => lines.push(format!(
            "Samba encrypts new passwords to the agent's key {k}"
        )),
        (Some(k), other) => lines.push(format!(
            "the agent's key {k} exists, but {} names {}: run install again",
            layout.smb_conf.display(),
            other.unwrap_or_else(|| "no key".into())
        )),
        (None, _) => lines.push(format!("no agent key in {}", layout.gnupg_home.display())),
    }
    lines.push(if layout.cache().exists() {
        "Samba's password sync loop is set up".into()
    } else {
        "Samba's password sync loop is not set up".into()
    });
    lines.push(if layout.unit().exists() {
        let active = program("systemctl")
            .args(["is-active", UNIT])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| "unknown (no systemctl)".into());
        format!(
            "the unit {} is installed ({active})",
            layout.unit().display()
        )
    } else {
        "no systemd unit installed".into()
    });
    lines
}

/// Takes the agent away: the unit, the loop's cache, the smb.conf line, the key, the folder.
/// Returns what it removed.
pub fn uninstall(layout: &DcLayout, stop: bool) -> Result<Vec<String>, PasswordError> {
    let mut removed = Vec::new();
    if layout.unit().exists() {
        if stop {
            let _ = program("systemctl")
                .args(["disable", "--now", UNIT])
                .output();
        }
        std::fs::remove_file(layout.unit()).map_err(|e| failed("the unit", e))?;
        removed.push(format!("removed the unit {}", layout.unit().display()));
    }
    for file in [
        layout.cache(),
        PathBuf::from(format!("{}.pid", layout.cache().display())),
    ] {
        if file.exists() {
            std::fs::remove_file(&file).map_err(|e| failed(&file.display().to_string(), e))?;
            removed.push(format!("removed {}", file.display()));
        }
    }
    if configured_key(&layout.smb_conf).is_some() {
        let text = std::fs::read_to_string(&layout.smb_conf)
            .map_err(|e| failed(&layout.smb_conf.display().to_string(), e))?;
        agent::write_file(
            &layout.smb_conf,
            with_parameter(&text, PARAMETER, None).as_bytes(),
            mode_of(&layout.smb_conf),
        )?;
        removed.push(format!(
            "removed '{PARAMETER}' from {} — restart Samba once",
            layout.smb_conf.display()
        ));
    }
    if let Some(f) = key_fingerprint(layout) {
        run(
            "deleting the agent's GnuPG key",
            gpg(layout).args(["--yes", "--delete-secret-and-public-key", &f]),
        )?;
        removed.push(format!("deleted the GnuPG key {f}"));
    }
    if layout.dir.exists() {
        std::fs::remove_dir_all(&layout.dir)
            .map_err(|e| failed(&layout.dir.display().to_string(), e))?;
        removed.push(format!("removed {}", layout.dir.display()));
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_is_set_once_in_global_and_removed_again() {
        let conf = "# top\n[global]\n\tworkgroup = X\n\tPassword  Hash GPG Key IDs = OLD\n[netlogon]\n\tpath = /x\n";
        let set = with_parameter(conf, PARAMETER, Some("ABC"));
        assert_eq!(set.matches("gpg key ids").count(), 1, "{set}");
        assert!(
            set.contains("\tpassword hash gpg key ids = ABC\n[netlogon]") || set.contains("ABC")
        );
        assert!(set.contains("path = /x"));
        let again = with_parameter(&set, PARAMETER, Some("ABC"));
        assert_eq!(again, set);
        let none = with_parameter(&set, PARAMETER, None);
        assert!(!none.to_ascii_lowercase().contains("gpg key ids"), "{none}");
        assert!(none.contains("workgroup = X") && none.contains("[netlogon]"));
        let only_share = with_parameter("[data]\n\tpath = /d\n", PARAMETER, Some("K"));
        assert!(
            only_share.contains("[global]\n\tpassword hash gpg key ids = K"),
            "{only_share}"
        );
    }
}
