//! A private D-Bus system bus with BlueZoo (a BlueZ emulator) on it, for the
//! tests that put the farm's radio on BlueZ: tests/integration/bluetooth.rs and
//! sim/tests/integration/bluez_radio.rs include this file by path.
//!
//! BlueZoo comes from `.tools/bluez-venv` (made by `bash tests/install/bluez-env.sh`,
//! which tests/run calls), or from the venv `MITID_BLUEZ_VENV` names (a
//! copy of the tree, as `tests/mutants --radio` tests in, has no `.tools`); `dbus-daemon` and `dbus-send` from the system
//! (Debian: dbus-daemon, dbus-bin). Both processes are stopped by their PIDs
//! on drop, also when a test fails: BlueZoo outlives its bus otherwise.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One bus with BlueZoo, its adapters hci0..hci{n-1} at 00:00:00:00:00:01..
pub struct Bluezoo {
    pub dir: PathBuf,
    /// `unix:path=...`: what DBUS_SYSTEM_BUS_ADDRESS (or `[farm.air]`) takes.
    pub address: String,
    dbus: Child,
    zoo: Option<Child>,
}

impl Bluezoo {
    /// Starts a bus in a fresh temp folder named after `name`, and BlueZoo on
    /// it with `adapters` adapters, powered and discovering every second;
    /// returns when the last adapter is powered.
    pub fn start(root: &Path, name: &str, adapters: u8) -> Bluezoo {
        let venv = std::env::var_os("MITID_BLUEZ_VENV").map_or_else(|| root.join(".tools/bluez-venv"), PathBuf::from);
        let bluezoo = venv.join("bin/bluezoo");
        assert!(
            bluezoo.exists(),
            "{} is missing: run `bash tests/install/bluez-env.sh` first (tests/run does)",
            bluezoo.display()
        );
        let dir = std::env::temp_dir().join(format!("mitid-e2e-bt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("system_bus_socket");
        let config = dir.join("dbus-system.conf");
        std::fs::write(&config, bus_config(&socket)).unwrap();
        let dbus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("dbus.log")).unwrap())
            .spawn()
            .expect("dbus-daemon runs (Debian: apt-get install dbus-daemon)");
        let address = format!("unix:path={}", socket.display());
        let mut me = Bluezoo { dir, address, dbus, zoo: None };
        wait_until("the private dbus-daemon's socket", Duration::from_secs(5), || socket.exists());
        let mut zoo = Command::new(&bluezoo);
        zoo.args(["--auto-enable", "--scan-interval", "1"]);
        for i in 0..adapters {
            zoo.args(["-a", &format!("00:00:00:00:00:{:02X}", i + 1)]);
        }
        let log = std::fs::File::create(me.dir.join("bluezoo.log")).unwrap();
        me.zoo = Some(
            zoo.env("DBUS_SYSTEM_BUS_ADDRESS", &me.address)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("bluezoo runs"),
        );
        let last = format!("/org/bluez/hci{}", adapters - 1);
        wait_until("BlueZoo's adapters", Duration::from_secs(15), || {
            me.get(&last, "Powered").is_some_and(|v| v.contains("true"))
        });
        me
    }

    /// `dbus-send` to org.bluez on this bus; its output, or None when it failed.
    pub fn send(&self, args: &[&str]) -> Option<String> {
        let out: Output = Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args(["--print-reply", "--reply-timeout=2000", "--dest=org.bluez"])
            .args(args)
            .output()
            .expect("dbus-send runs (Debian: dbus-bin)");
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// An Adapter1 property of the adapter at `path` (`/org/bluez/hci0`).
    pub fn get(&self, path: &str, property: &str) -> Option<String> {
        self.send(&[
            path,
            "org.freedesktop.DBus.Properties.Get",
            "string:org.bluez.Adapter1",
            &format!("string:{property}"),
        ])
    }

    pub fn power_off(&self, adapter: u8) {
        self.send(&[
            &format!("/org/bluez/hci{adapter}"),
            "org.freedesktop.DBus.Properties.Set",
            "string:org.bluez.Adapter1",
            "string:Powered",
            "variant:boolean:false",
        ])
        .expect("Powered=false");
    }

    /// BlueZoo's own manager interface: the adapter is unplugged.
    pub fn remove_adapter(&self, adapter: u8) {
        self.send(&["/org/bluezoo", "org.bluezoo.Manager1.RemoveAdapter", &format!("byte:{adapter}")])
            .expect("RemoveAdapter");
    }
}

impl Drop for Bluezoo {
    fn drop(&mut self) {
        if let Some(zoo) = &mut self.zoo {
            let _ = zoo.kill();
            let _ = zoo.wait();
        }
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

pub fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "{what} not ready within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
