//! A real rsyslog (Debian `rsyslog` and `rsyslog-gnutls`) with a TLS
//! listener (RFC 5425) and a throw-away CA, writing each message as
//! received to a file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Rsyslog {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Rsyslog {
    pub fn start() -> Rsyslog {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        write_certificates(dir.path());
        let conf = format!(
            r#"global(workDirectory="{d}"
       DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="{d}/ca.pem"
       DefaultNetstreamDriverCertFile="{d}/server.pem"
       DefaultNetstreamDriverKeyFile="{d}/server.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="{port}")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{d}/received.log" template="raw")
"#,
            d = dir.path().display()
        );
        std::fs::write(dir.path().join("rsyslog.conf"), conf).unwrap();
        let mut server = Rsyslog {
            port,
            dir,
            child: None,
        };
        server.resume();
        server
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Starts (again) on the same port, appending to the same file.
    pub fn resume(&mut self) {
        let child = Command::new("/usr/sbin/rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(self.dir.path().join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.path().join("rsyslog.pid"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("rsyslog.err")).unwrap())
            .spawn()
            .expect("rsyslog (Debian packages rsyslog and rsyslog-gnutls) is needed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "rsyslog did not start: {}",
                std::fs::read_to_string(self.dir.path().join("rsyslog.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let _ = child.wait();
        }
    }

    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("received.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until `count` received lines satisfy `keep`; returns them all.
    pub fn wait_for(
        &self,
        count: usize,
        keep: impl Fn(&str) -> bool,
        within: Duration,
    ) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let lines = self.lines();
            if lines.iter().filter(|l| keep(l)).count() >= count || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_certificates(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Throw-away log CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = vec![
        SanType::IpAddress("127.0.0.1".parse().unwrap()),
        SanType::DnsName("localhost".try_into().unwrap()),
    ];
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}
