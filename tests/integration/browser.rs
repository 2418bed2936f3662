//! A small W3C WebDriver client for Debian's chromium + chromium-driver,
//! driven from the tests over HTTP, so the console is tested in a real
//! browser with no extra crates. Screenshots go to `target/screenshots/`.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WAIT: Duration = Duration::from_secs(15);

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// A headless Chromium window of `width` × `height`.
    pub fn start(width: u32, height: u32) -> Browser {
        Self::start_with(width, height, &[], None)
    }

    /// A phone-sized window (390 × 844) that trusts the appliance whose TLS
    /// key is in `data_dir` as a real certificate would be trusted, so its
    /// service worker may register, and lets alarms sound without a tap.
    pub fn phone(data_dir: &std::path::Path) -> Browser {
        let key = std::fs::read_to_string(data_dir.join("tls/key.pem")).unwrap();
        let spki = rcgen::KeyPair::from_pem(&key).unwrap().public_key_der();
        use base64::Engine;
        use sha2::Digest;
        let pin = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&spki));
        Self::start_with(
            390,
            844,
            &[
                format!("--ignore-certificate-errors-spki-list={pin}"),
                "--autoplay-policy=no-user-gesture-required".to_owned(),
            ],
            Some(
                json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1.0, "touch": true, "mobile": true}}),
            ),
        )
    }

    fn start_with(width: u32, height: u32, extra: &[String], mobile: Option<Value>) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; `make test` installs it)");
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let deadline = Instant::now() + WAIT;
        while agent.get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let args: Vec<String> = args.into_iter().chain(extra.iter().cloned()).collect();
        let mut chrome_options = json!({"binary": "/usr/bin/chromium", "args": args});
        if let Some(metrics) = mobile {
            chrome_options["mobileEmulation"] = metrics;
        }
        let created: Value = agent
            .post(&format!("{base}/session"))
            .send_json(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "acceptInsecureCerts": true,
                "goog:chromeOptions": chrome_options,
            }}}))
            .unwrap()
            .into_json()
            .unwrap();
        let session = created["value"]["sessionId"].as_str().unwrap().to_owned();
        Browser {
            driver,
            base,
            session,
            agent,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.agent.request(method, &url);
        let response = match body {
            Some(b) => request.send_json(b),
            None => request.call(),
        };
        match response {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].take(),
            Err(ureq::Error::Status(_, r)) => {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                json!({"error": v["value"]["error"], "message": v["value"]["message"]})
            }
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// The first element matching `css`, waiting for it to appear.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(id) = self.try_find(css) {
                return id;
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} on {}",
                self.eval("return location.href + ' ' + document.body.innerText.slice(0, 800)")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn try_find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT].as_str().map(str::to_owned)
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        // Clear of the sticky header, as a person would scroll to it.
        self.call(
            "POST",
            "/execute/sync",
            Some(
                json!({"script": "arguments[0].scrollIntoView({block: 'center'}); return true",
                        "args": [{ ELEMENT: id }]}),
            ),
        );
        let deadline = Instant::now() + WAIT;
        loop {
            let r = self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
            if r.get("error").is_none() || r["error"].is_null() {
                return;
            }
            assert!(Instant::now() < deadline, "cannot click {css}: {r}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Moves the mouse `dx`, `dy` pixels from the centre of the element
    /// matching `css` and clicks there `times` times (2: a double-click), as
    /// a person would: for maps and canvases, where the place matters.
    pub fn click_at(&self, css: &str, dx: i64, dy: i64, times: usize) {
        let id = self.find(css);
        let mut actions = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": { ELEMENT: id }, "x": dx, "y": dy}),
        ];
        for _ in 0..times {
            actions.push(json!({"type": "pointerDown", "button": 0}));
            actions.push(json!({"type": "pointerUp", "button": 0}));
        }
        let r = self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "pointer", "id": "mouse",
                "parameters": {"pointerType": "mouse"}, "actions": actions}]})),
        );
        assert!(r.get("error").is_none() || r["error"].is_null(), "{r}");
        self.call("DELETE", "/actions", None);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs an async function body and returns what it resolves to.
    pub fn eval_async(&self, body: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": format!("const done = arguments[arguments.length - 1]; (async () => {{ {body} }})().then(done, (e) => done('error: ' + e));"),
                "args": []
            })),
        )
    }

    /// Waits until `script` (a JavaScript expression) is true.
    pub fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        while self.eval(&format!("return !!({script})")) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; page: {}",
                self.eval("return location.href + ' ' + document.body.innerText.slice(0, 1500)")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One Chrome DevTools Protocol command, through chromedriver, for what
    /// WebDriver can't do (a position, a permission).
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        let answer = self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": command, "params": params})),
        );
        assert!(
            answer.get("error").is_none_or(Value::is_null),
            "{command}: {answer}"
        );
        answer
    }

    /// The page may ask for the position, and gets this one (accuracy in
    /// metres) as if from the phone's GPS.
    pub fn set_position(&self, lat: f64, lon: f64, accuracy: f64) {
        self.cdp(
            "Browser.grantPermissions",
            json!({"permissions": ["geolocation"]}),
        );
        self.cdp(
            "Emulation.setGeolocationOverride",
            json!({"latitude": lat, "longitude": lon, "accuracy": accuracy}),
        );
    }

    /// Saves a PNG of the window as `target/screenshots/<name>.png`, once
    /// passing notes (toasts) have gone.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.wait_for(
            "notes gone",
            "!document.querySelector('.toast:not(.toast-error)')",
        );
        use base64::Engine;
        let data = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        let path = screenshots_dir().join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.agent.delete(&url).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
