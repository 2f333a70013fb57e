//! A real PostgreSQL 15 (Debian's) for a test: a cluster made with `initdb`
//! in a temp folder owned by `nobody` (PostgreSQL refuses to run as root),
//! listening on a free port on 127.0.0.1 (its socket in that folder), and
//! stopped by its PID when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts PostgreSQL 15's server programs.
pub const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running server.
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn as_nobody(program: &Path) -> Command {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Makes a cluster and starts it; panics, saying what to install, when
    /// PostgreSQL 15 is not there.
    pub fn start(name: &str) -> Postgres {
        let bin = Path::new(BIN);
        assert!(
            bin.join("initdb").exists(),
            "PostgreSQL 15 is not installed ({BIN}/initdb): run tests/run, or apt-get install postgresql-15"
        );
        let dir = std::env::temp_dir().join(format!("mitid-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } == 0 {
            std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        }
        let data = dir.join("data");
        let out = as_nobody(&bin.join("initdb"))
            .args(["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = as_nobody(&bin.join("postgres"))
            .args(["-D", data.to_str().unwrap(), "-p", &port.to_string(), "-k", dir.to_str().unwrap()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(std::env::temp_dir().join(format!("mitid-pg-{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let pg = Postgres { child, dir, port };
        let started = Instant::now();
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "PostgreSQL did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        pg
    }

    /// The URL of database `db` (made by [`Postgres::create_db`], or `postgres`).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Makes an empty database.
    pub fn create_db(&self, db: &str) -> String {
        let out = Command::new(Path::new(BIN).join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-q", "-c"])
            .arg(format!("CREATE DATABASE {db}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "CREATE DATABASE {db}: {}", String::from_utf8_lossy(&out.stderr));
        self.url(db)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown.
        // SAFETY: the PID is our child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
