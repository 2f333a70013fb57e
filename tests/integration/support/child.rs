//! Processes a test starts: they die with the test process, also when it is
//! killed before its guards run (a harness timeout, Ctrl-C), rather than
//! leave a server holding a port.

use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// Makes the kernel kill the child when the test process dies
/// (`PR_SET_PDEATHSIG`).
pub fn dies_with_the_test(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and
    // exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
