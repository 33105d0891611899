//! The installed service against real servers: installed by `skybridge apply`, started with
//! `skybridge service run`, its first cycle brings the users into the tenant; while it runs it
//! alone holds the store and the CLI asks it (history, run now); a second service is refused;
//! `service stop` ends it cleanly; a service killed outright leaves a stale socket that is
//! recognised, and the CLI then opens the store itself.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Forest;
use common::tenant::Tenant;
use serde_json::{Value, json};

fn skybridge(args: &[&str]) -> (bool, String, String) {
    run(Command::new(env!("CARGO_BIN_EXE_skybridge")).args(args))
}

/// Runs a command: whether it succeeded, its output and its errors.
fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("the command runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn start_service(data: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["service", "run", "--interval-minutes", "60", "--data", data])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the service starts")
}

/// The service's status, once it answers.
fn status(data: &str) -> Option<Value> {
    let (ok, out, _) = skybridge(&["service", "status", "--json", "--data", data]);
    ok.then(|| serde_json::from_str(&out).expect("status JSON"))
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "{what} took longer than {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_service_holds_the_store_runs_cycles_and_answers_the_cli() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("service");
    // Installed without the first synchronization: the service's first cycle does it.
    let common::Installed {
        created: _,
        users_ou,
        dir,
        data,
    } = common::install_users_ou(&forest, &tenant, "svc-01", &["--no-first-sync"]);
    let data_arg = data.to_str().expect("utf-8 path");
    let (ok, _, err) = skybridge(&["service", "status", "--data", data_arg]);
    assert!(!ok && err.contains("no Skybridge service runs"), "{err}");

    let mut service = start_service(data_arg);
    wait_for("the service's socket", Duration::from_secs(30), || {
        status(data_arg).is_some()
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("skybridge.sock"))
            .expect("socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may connect");
    }
    // The first cycle runs at once and brings the OU's users into the tenant.
    wait_for("the first cycle", Duration::from_secs(180), || {
        status(data_arg).is_some_and(|s| s["cyclesDone"].as_u64() >= Some(1))
    });
    let first = status(data_arg).expect("status");
    assert_eq!(first["lastCycle"]["error"], Value::Null, "{first}");
    assert_eq!(first["pid"].as_u64(), Some(u64::from(service.id())));
    let expected = common::seeded_under("contoso", "user", &users_ou).len();
    let synced = tenant
        .users()
        .into_iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .count();
    assert_eq!(synced, expected);

    // The service holds the store: the CLI's reads and "run now" go through it.
    let (ok, out, err) = skybridge(&["sync", "history", "--json", "--data", data_arg]);
    assert!(ok, "{err}");
    let history: Vec<Value> = serde_json::from_str(&out).expect("history JSON");
    assert!(history.iter().any(|r| r["profile"] == "export"), "{out}");
    let (ok, out, err) = skybridge(&["search", "--json", "--data", data_arg, "Corp"]);
    assert!(ok, "{err}");
    assert!(
        !serde_json::from_str::<Vec<Value>>(&out)
            .expect("hits")
            .is_empty()
    );
    let (ok, out, err) = skybridge(&["sync", "run", "--data", data_arg]);
    assert!(
        ok && out.contains("the running service starts the cycle now"),
        "{out}{err}"
    );
    wait_for("the asked-for cycle", Duration::from_secs(180), || {
        status(data_arg).is_some_and(|s| s["cyclesDone"].as_u64() >= Some(2))
    });
    // A change of scope through the change API (what Additional tasks uses): one more OU.
    // Its users arrive with the next (full) cycle; nobody already there is created again.
    let before = common::tenant_ids(&tenant);
    let sales_ou = format!("OU=Sales,OU=Staff,{}", forest.base_dn);
    let sales = common::seeded_under("contoso", "user", &sales_ou).len();
    assert!(sales > 0);
    let mut changed: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("settings.json")).expect("settings.json"),
    )
    .expect("JSON");
    changed["sync"]["connectors"][0]["included"]
        .as_array_mut()
        .expect("included")
        .push(json!(sales_ou));
    let change_file = dir.join("changed.json");
    std::fs::write(&change_file, changed.to_string()).expect("write");
    let change_arg = change_file.to_str().expect("utf-8");
    let cycles = status(data_arg).expect("status")["cyclesDone"]
        .as_u64()
        .expect("count");
    let (ok, out, err) = skybridge(&["config", "apply", change_arg, "--data", data_arg]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("applied as settings version 2"), "{out}");
    assert!(
        out.contains(&format!("now synchronizes {sales_ou}")),
        "{out}"
    );
    wait_for(
        "the cycle after the change",
        Duration::from_secs(180),
        || {
            status(data_arg).is_some_and(|s| {
                s["cyclesDone"].as_u64() > Some(cycles) && s["cycleRunning"] == false
            })
        },
    );
    let after = tenant.users();
    let synced: Vec<&Value> = after
        .iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .collect();
    assert_eq!(synced.len(), expected + sales);
    for u in &synced {
        let anchor = u["onPremisesImmutableId"].as_str().expect("anchor");
        if let Some(id) = before.get(anchor) {
            assert_eq!(
                u["id"].as_str(),
                Some(id.as_str()),
                "{anchor} was recreated"
            );
        }
    }
    let (ok, out, err) = skybridge(&["config", "history", "--json", "--data", data_arg]);
    assert!(ok, "{err}");
    let versions: Vec<Value> = serde_json::from_str(&out).expect("versions");
    assert_eq!(versions.len(), 2, "{out}");
    assert_eq!(versions[1]["version"], 2);
    assert!(
        versions[1]["changes"][0]
            .as_str()
            .is_some_and(|c| c.contains("OU=Sales"))
    );
    // A locked setting is refused with its reason, and nothing changes.
    changed["sync"]["anchor"] = json!({"mode": "attribute", "attribute": "employeeID"});
    std::fs::write(&change_file, changed.to_string()).expect("write");
    let (ok, _, err) = skybridge(&["config", "apply", change_arg, "--data", data_arg]);
    assert!(
        !ok && err.contains("sourceAnchor cannot change after install"),
        "{err}"
    );
    let (_, out, _) = skybridge(&["config", "history", "--json", "--data", data_arg]);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&out)
            .expect("versions")
            .len(),
        2
    );

    // The troubleshooting checklist, asked of the running service: everything passes.
    let contoso = forest.dns.to_lowercase();
    every_check_passes(data_arg, &contoso);

    // A second service for the same folder is refused.
    let (ok, _, err) = skybridge(&["service", "run", "--data", data_arg]);
    assert!(!ok && err.contains("already runs"), "{err}");

    // Stop: the service ends by itself and takes its socket with it.
    let (ok, out, err) = skybridge(&["service", "stop", "--data", data_arg]);
    assert!(ok && out.contains("stopped"), "{out}{err}");
    let ended = service.wait().expect("the service ends");
    assert!(ended.success(), "{ended:?}");
    assert!(!data.join("skybridge.sock").exists());

    // Killed outright: the socket stays, is recognised as stale, and the CLI opens the store.
    killed_then_replaced(&data, data_arg);

    // Without the application's secret the checklist fails the tenant check, and says why.
    let installed: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("settings.json")).expect("settings.json"),
    )
    .expect("JSON");
    let keychain =
        skybridge::secret::Keychain::new(installed["keychainService"].as_str().expect("service"));
    keychain.remove("tenant:client-secret").expect("removed");
    let (ok, out, err) = skybridge(&["troubleshoot", "--data", data_arg]);
    assert!(!ok && err.contains("check(s) failed"), "{err}");
    assert!(
        out.contains("FAIL  tenant token: the keychain has no application secret"),
        "{out}"
    );
    assert!(
        out.contains(&format!("ok    {contoso}: reading changes")),
        "{out}"
    );
}

/// The troubleshooting checklist of the installation in `data` passes every check, for the
/// forest `contoso` too.
fn every_check_passes(data_arg: &str, contoso: &str) {
    let (ok, out, err) = skybridge(&["troubleshoot", "--json", "--data", data_arg]);
    assert!(ok, "{out}{err}");
    let checks: Vec<Value> = serde_json::from_str(&out).expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    for expected in ["settings", "tenant token", "write budget", "last runs"] {
        assert!(names.contains(&expected), "{expected}: {names:?}");
    }
    for part in [
        "domain controller and sign-in",
        "reading changes",
        "delta cookie",
        "clock",
    ] {
        let name = format!("{contoso}: {part}");
        let found = checks.iter().find(|c| c["name"] == name.as_str());
        assert_eq!(
            found.map(|c| c["outcome"].clone()),
            Some(json!("pass")),
            "{name}: {out}"
        );
    }
}

/// A service killed outright leaves its socket, which is recognised as stale (the CLI then
/// opens the store), and a new service replaces it.
fn killed_then_replaced(data: &std::path::Path, data_arg: &str) {
    let mut service = start_service(data_arg);
    wait_for("the service's socket", Duration::from_secs(30), || {
        status(data_arg).is_some()
    });
    service.kill().expect("SIGKILL");
    service.wait().expect("reaped");
    assert!(data.join("skybridge.sock").exists());
    let (ok, _, err) = skybridge(&["service", "status", "--data", data_arg]);
    assert!(!ok && err.contains("stopped unexpectedly"), "{err}");
    let (ok, out, err) = skybridge(&["sync", "history", "--json", "--data", data_arg]);
    assert!(
        ok,
        "the store opens once the dead service let go of it: {err}"
    );
    assert!(
        !serde_json::from_str::<Vec<Value>>(&out)
            .expect("history")
            .is_empty()
    );
    // And a new service replaces the stale socket.
    let mut service = start_service(data_arg);
    wait_for("the restarted service", Duration::from_secs(30), || {
        status(data_arg).is_some()
    });
    let (ok, _, err) = skybridge(&["service", "stop", "--data", data_arg]);
    assert!(ok, "{err}");
    assert!(service.wait().expect("ends").success());
}

/// A systemd user manager of our own, for one test: started in a mount namespace of its own
/// (where `/run/systemd/system` exists, as on a machine booted with systemd), with its unit
/// folder and runtime folder in `dir`. Asked to exit, and then killed, when dropped.
struct UserManager {
    process: Child,
    config_home: std::path::PathBuf,
    runtime_dir: std::path::PathBuf,
}

impl UserManager {
    fn start(dir: &std::path::Path) -> UserManager {
        let config_home = dir.join("config");
        let runtime_dir = dir.join("runtime");
        std::fs::create_dir_all(&config_home).expect("config home");
        std::fs::create_dir_all(&runtime_dir).expect("runtime dir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
                .expect("runtime dir mode");
        }
        let process = Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                "mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd && \
                 mkdir /run/systemd/system && exec /lib/systemd/systemd --user",
            ])
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare and systemd (util-linux, systemd; run as root)");
        let manager = UserManager {
            process,
            config_home,
            runtime_dir,
        };
        wait_for("the systemd user manager", Duration::from_secs(20), || {
            // (`is-system-running` looks for a booted systemd outside the namespace.)
            let (_, state) = manager.systemctl(&["show", "-p", "SystemState", "--value"]);
            matches!(state.trim(), "running" | "degraded")
        });
        // As a desktop session does: the units reach the session bus (and its keychain).
        let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a session bus");
        let (ok, out) = manager.systemctl(&[
            "set-environment",
            &format!("DBUS_SESSION_BUS_ADDRESS={bus}"),
        ]);
        assert!(ok, "{out}");
        manager
    }

    fn systemctl(&self, args: &[&str]) -> (bool, String) {
        let (ok, out, err) =
            run(self.in_session(Command::new("systemctl").arg("--user").args(args)));
        (ok, out + &err)
    }

    /// `skybridge` with this manager's environment.
    fn skybridge(&self, args: &[&str]) -> (bool, String, String) {
        run(self.in_session(Command::new(env!("CARGO_BIN_EXE_skybridge")).args(args)))
    }

    /// The command with this manager's environment.
    fn in_session<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        // The manager stops its units as it exits.
        let _ = self.systemctl(&["exit"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn kill(pid: u64) {
    let ok = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {pid}");
}

fn pid_of(data: &str) -> Option<u64> {
    status(data).and_then(|s| s["pid"].as_u64())
}

#[test]
fn the_service_is_started_in_the_background_comes_back_after_a_crash_and_registers_with_systemd() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("service-start");
    // Its data folder has a space: the unit file must still pass it as one argument.
    let common::Installed { data, dir, .. } =
        common::install_users_ou(&forest, &tenant, "svc-02", &["--no-first-sync"]);
    let data_arg = data.to_str().expect("utf-8 path");
    let manager = UserManager::start(&dir);
    let _stop_it = common::StopsService(data.clone());

    // Started in the background: it answers, and it outlives the command that started it.
    let (ok, out, err) = manager.skybridge(&["service", "start", "--data", data_arg]);
    assert!(ok && out.contains("started (process"), "{out}{err}");
    let first = pid_of(data_arg).expect("the started service answers");
    assert!(out.contains(&format!("process {first})")), "{out}");
    let (ok, out, _) = manager.skybridge(&["service", "start", "--data", data_arg]);
    assert!(ok && out.contains("already runs"), "{out}");

    // Crashed: its socket stays behind; starting it again replaces it.
    kill(first);
    wait_for("the killed service to go", Duration::from_secs(10), || {
        status(data_arg).is_none()
    });
    let (ok, _, err) = skybridge(&["service", "status", "--data", data_arg]);
    assert!(!ok && err.contains("stopped unexpectedly"), "{err}");
    let (ok, out, err) = manager.skybridge(&["service", "start", "--data", data_arg]);
    assert!(ok && out.contains("started (process"), "{out}{err}");
    let second = pid_of(data_arg).expect("answers again");
    assert_ne!(first, second);

    // Registered: the background copy makes way for systemd's, which then runs its cycles
    // with the secrets from the keychain.
    let (ok, out, err) = manager.skybridge(&["service", "register", "--data", data_arg]);
    assert!(ok && out.contains("registered and started"), "{out}{err}");
    let unit = skybridge::service::systemd::unit_name(&data);
    let unit_file = manager.config_home.join("systemd/user").join(&unit);
    assert!(unit_file.is_file());
    let (ok, _, err) = run(manager.in_session(
        Command::new("systemd-analyze")
            .args(["verify", "--user"])
            .arg(&unit_file),
    ));
    assert!(ok, "{err}");
    let (ok, enabled) = manager.systemctl(&["is-enabled", &unit]);
    assert!(ok && enabled.trim() == "enabled", "{enabled}");
    wait_for("systemd's copy", Duration::from_secs(30), || {
        pid_of(data_arg).is_some_and(|p| p != second)
    });
    let (_, main_pid) = manager.systemctl(&["show", "-p", "MainPID", "--value", &unit]);
    let third = pid_of(data_arg).expect("answers");
    assert_eq!(main_pid.trim(), third.to_string());
    wait_for("its first cycle", Duration::from_secs(180), || {
        status(data_arg).is_some_and(|s| s["cyclesDone"].as_u64() >= Some(1))
    });
    let cycled = status(data_arg).expect("status");
    assert_eq!(cycled["lastCycle"]["error"], Value::Null, "{cycled}");
    assert!(
        tenant
            .users()
            .iter()
            .any(|u| u["onPremisesImmutableId"].is_string())
    );

    // Killed under systemd: systemd starts it again by itself.
    kill(third);
    wait_for("systemd to restart it", Duration::from_secs(60), || {
        pid_of(data_arg).is_some_and(|p| p != third)
    });
    // Stopped through systemd (which would otherwise restart it), started through it again.
    let (ok, out, err) = manager.skybridge(&["service", "stop", "--data", data_arg]);
    assert!(ok && out.contains("stopped"), "{out}{err}");
    assert!(pid_of(data_arg).is_none());
    let (ok, active) = manager.systemctl(&["is-active", &unit]);
    assert!(!ok, "{active}");
    let (ok, out, err) = manager.skybridge(&["service", "start", "--data", data_arg]);
    assert!(
        ok && out.contains(&format!("started by systemd as {unit}")),
        "{out}{err}"
    );
    // Unregistered: stopped, and the unit is gone.
    let (ok, out, err) = manager.skybridge(&["service", "unregister", "--data", data_arg]);
    assert!(ok && out.contains("unregistered"), "{out}{err}");
    assert!(!unit_file.exists());
    assert!(pid_of(data_arg).is_none());
}
