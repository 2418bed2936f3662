//! A real SMTP server for the email tests: aiosmtpd (`tests/smtp_server.py`),
//! printing every message it accepts with how Python's MIME parser read it;
//! the test reads them back. Addresses starting with "busy" get one 451,
//! those starting with "nobody" a 550.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// "<type> <leaf part types> defects=<n>", from Python's email parser.
    pub mime: String,
    pub body: String,
}

pub struct SmtpServer {
    pub port: u16,
    child: Child,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("/usr/bin/python3")
            .arg("-u")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py"))
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (Debian package python3-aiosmtpd) is needed for the email tests");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = mails.clone();
        std::thread::spawn(move || {
            let mut current: Option<Mail> = None;
            let mut in_body = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if line.starts_with("---------- MESSAGE FOLLOWS") {
                    current = Some(Mail::default());
                    in_body = false;
                } else if line.starts_with("------------ END MESSAGE") {
                    if let Some(mail) = current.take() {
                        sink.lock().unwrap().push(mail);
                    }
                } else if let Some(mail) = current.as_mut() {
                    if in_body {
                        mail.body.push_str(&line);
                        mail.body.push('\n');
                    } else if line.is_empty() {
                        in_body = true;
                    } else if let Some(v) = line.strip_prefix("To: ") {
                        mail.to = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("Subject: ") {
                        mail.subject = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("X-Mime-Check: ") {
                        mail.mime = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("Message-ID: ") {
                        mail.message_id = v.to_owned();
                    }
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { port, child, mails }
    }

    /// An appliance in process whose email channel sends through this server.
    pub fn appliance(&self) -> crate::inprocess::Server {
        let url = self.url();
        crate::inprocess::Server::start_with(move |config| {
            config.email = Some(tocsin::config::EmailConfig {
                smtp_url: tocsin::config::Secret::new(url),
                from: "Tocsin <alerts@acme.example>".to_owned(),
                per_minute: 600,
            });
        })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + within;
        loop {
            let mails = self.mails();
            if mails.len() >= count || Instant::now() > deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
