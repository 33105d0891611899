//! Registering an installation's service with systemd, as a **user** unit.
//!
//! The service reads its secrets from the keychain of the account that configured it (the
//! Secret Service on that account's session bus), which a system unit cannot reach: so the
//! unit lives in the account's `systemd/user` folder, starts with the account's user manager
//! and is started again when it fails. To run it without anyone logged in, the account needs
//! lingering (`loginctl enable-linger`) and a keychain that is unlocked without a login; the
//! Additional tasks page says so.
//!
//! macOS (a launchd agent) and Windows (a service) are not registered in this build; the
//! service can still be started from the wizard or with `skybridge service run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::ServiceError;

/// The user manager to register with: where its unit files are and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserManager {
    /// `$XDG_CONFIG_HOME` (else `~/.config`): units go into its `systemd/user`.
    pub config_home: PathBuf,
    /// `$XDG_RUNTIME_DIR`, where `systemctl --user` finds the manager (inherited when `None`).
    pub runtime_dir: Option<PathBuf>,
}

impl UserManager {
    /// The manager of the account this process runs as, from its environment.
    pub fn from_env() -> UserManager {
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from(".config"));
        UserManager {
            config_home,
            runtime_dir: None,
        }
    }

    /// The unit file of the installation in `data`.
    pub fn unit_path(&self, data: &Path) -> PathBuf {
        self.config_home
            .join("systemd")
            .join("user")
            .join(unit_name(data))
    }

    /// Whether the installation in `data` has a unit file.
    pub fn is_registered(&self, data: &Path) -> bool {
        self.unit_path(data).is_file()
    }

    /// Runs `systemctl --user` with `args`; its complaint becomes the error.
    pub fn systemctl(&self, args: &[&str]) -> Result<String, ServiceError> {
        let mut command = Command::new("systemctl");
        command
            .arg("--user")
            .args(args)
            .env("XDG_CONFIG_HOME", &self.config_home);
        if let Some(runtime) = &self.runtime_dir {
            command.env("XDG_RUNTIME_DIR", runtime);
        }
        let output = command.output().map_err(|e| ServiceError::Io {
            what: format!("running systemctl --user {}", args.join(" ")),
            detail: format!("{e} (is systemd installed?)"),
        })?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(ServiceError::Io {
            what: format!("systemctl --user {}", args.join(" ")),
            detail: if said.is_empty() {
                format!("it failed ({})", output.status)
            } else {
                said
            },
        })
    }

    /// Writes the unit of the installation in `data`, enables it (started with the user
    /// manager) and starts it. A service already running outside the manager is stopped first
    /// (after its cycle), so that the manager's copy is the only one. Returns the unit file.
    pub fn register(
        &self,
        program: &Path,
        data: &Path,
        interval_minutes: u64,
    ) -> Result<PathBuf, ServiceError> {
        let path = self.unit_path(data);
        let io = |e: std::io::Error| ServiceError::Io {
            what: format!("the unit file {}", path.display()),
            detail: e.to_string(),
        };
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(io)?;
        }
        let text = unit_text(program, data, interval_minutes);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
        if !unchanged {
            if super::launch::running(data)?.is_some() && !self.is_registered(data) {
                super::launch::stop(data, self)?;
            }
            let partial = path.with_extension("service.partial");
            std::fs::write(&partial, &text).map_err(io)?;
            std::fs::rename(&partial, &path).map_err(io)?;
        }
        let unit = unit_name(data);
        let registered = self
            .systemctl(&["daemon-reload"])
            .and_then(|_| self.systemctl(&["enable", "--now", &unit]));
        if let Err(error) = registered {
            if !unchanged {
                // Nothing half-registered stays behind.
                let _ = std::fs::remove_file(&path);
                let _ = self.systemctl(&["daemon-reload"]);
            }
            return Err(error);
        }
        Ok(path)
    }

    /// Stops and disables the unit of the installation in `data` and removes its file. The
    /// service is not left running.
    pub fn unregister(&self, data: &Path) -> Result<(), ServiceError> {
        let path = self.unit_path(data);
        if !path.is_file() {
            return Ok(());
        }
        self.systemctl(&["disable", "--now", &unit_name(data)])?;
        std::fs::remove_file(&path).map_err(|e| ServiceError::Io {
            what: format!("the unit file {}", path.display()),
            detail: e.to_string(),
        })?;
        self.systemctl(&["daemon-reload"])?;
        Ok(())
    }
}

/// The unit's name for the installation in `data`: `skybridge-` and a digest of the folder,
/// so that each installation on the machine has its own.
pub fn unit_name(data: &Path) -> String {
    let data = absolute(data);
    let digest = Sha256::digest(data.as_os_str().as_encoded_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("skybridge-{hex}.service")
}

/// The unit file's text.
pub fn unit_text(program: &Path, data: &Path, interval_minutes: u64) -> String {
    let data = &absolute(data);
    format!(
        "# Written by Skybridge for the installation in {data}.\n\
         # Remove it from the wizard's Additional tasks or with `skybridge service unregister`.\n\
         [Unit]\n\
         Description=Skybridge directory synchronization ({data})\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={program} service run --data {data_arg} --interval-minutes {interval_minutes}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        data = escape_specifiers(&data.display().to_string()).replace('\n', " "),
        program = quote(program),
        data_arg = quote(data),
    )
}

/// An `ExecStart=` argument: double-quoted, with backslashes, quotes and `%` escaped, so that
/// any path (spaces included) reaches the program as one argument.
fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The folder as the service sees it, however it was typed.
fn absolute(data: &Path) -> PathBuf {
    std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf())
}

/// `%` starts a specifier in any unit setting.
fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_folder_has_its_own_unit_and_odd_paths_stay_one_argument() {
        let a = unit_name(Path::new("/srv/sky one"));
        let b = unit_name(Path::new("/srv/sky two"));
        assert_ne!(a, b);
        assert!(a.starts_with("skybridge-") && a.ends_with(".service"));
        let text = unit_text(
            Path::new("/opt/sky bridge/skybridge"),
            Path::new("/srv/100% \"sky\"\\data"),
            15,
        );
        assert!(
            text.contains(
                "ExecStart=\"/opt/sky bridge/skybridge\" service run --data \"/srv/100%% \\\"sky\\\"\\\\data\" --interval-minutes 15\n"
            ),
            "{text}"
        );
        assert!(text.contains("Restart=on-failure"));
    }
}
