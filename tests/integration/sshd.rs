//! A real OpenSSH server (Debian's openssh-server) on a free port, with a
//! throw-away host key and a user key that only this test holds.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SshServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
    /// The private key that logs in.
    pub identity: PathBuf,
    /// The server's host key line ("ssh-ed25519 AAAA…").
    pub host_key: String,
    child: Child,
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl SshServer {
    pub fn start() -> SshServer {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host_ed25519");
        let identity = dir.path().join("user_ed25519");
        keygen(&host);
        keygen(&identity);
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(identity.with_extension("pub"), &authorized).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {auth}\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPidFile {pid}\n\
                 Subsystem sftp internal-sftp\n",
                host = host.display(),
                auth = authorized.display(),
                pid = dir.path().join("sshd.pid").display(),
            ),
        )
        .unwrap();
        // sshd's privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("sshd.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let public = std::fs::read_to_string(host.with_extension("pub")).unwrap();
        let host_key = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        SshServer {
            dir,
            port,
            user,
            identity,
            host_key,
            child,
        }
    }

    /// A directory on the server (the same machine) for backups.
    pub fn area(&self) -> PathBuf {
        let area = self.dir.path().join("backups");
        std::fs::create_dir_all(&area).unwrap();
        area
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
