//! Headless Chromium, driven over the DevTools protocol, for the tests and tools that look at the
//! course's HTML pages (run views, linearizability timelines) the way a person would.
//!
//! Chromium speaks the protocol over a pipe when started with `--remote-debugging-pipe`: it reads
//! requests from file descriptor 3 and writes replies and events to descriptor 4, each one JSON
//! message ended by a NUL byte. That needs no port, no websocket and no crate beyond the
//! workspace's own: the few methods used here (open a page, evaluate a script, dispatch a mouse
//! click, take a screenshot, collect console errors) are a short client, where the crates that
//! drive Chrome bring a websocket stack and the whole protocol's generated types.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

/// How long any one protocol request may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// The flags every start uses: headless, and nothing that reaches for the network (a closed
/// network refuses those connections, and a test must not depend on one).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
];

/// The Chromium executable: `CHROMIUM` if set, else the first of Debian's `chromium` or
/// `chromium-browser`, `google-chrome` on the `PATH`.
pub fn executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// One headless Chromium with one page. Killed when dropped.
pub struct Browser {
    child: Child,
    to_browser: std::io::PipeWriter,
    from_browser: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events that arrived while waiting for something else, oldest first.
    backlog: std::collections::VecDeque<Value>,
    /// Script errors and console errors seen so far, as text.
    errors: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with a fresh profile and a page of `width` x `height` CSS pixels.
    pub fn launch(executable: &Path, width: u32, height: u32) -> anyhow::Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile")
            .tempdir()?;
        let (from_us, to_browser) = std::io::pipe()?;
        let (from_browser, to_us) = std::io::pipe()?;
        let (child_in, child_out): (OwnedFd, OwnedFd) = (from_us.into(), to_us.into());
        let mut cmd = Command::new(executable);
        cmd.args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (fd_in, fd_out) = (child_in.as_raw_fd(), child_out.as_raw_fd());
        // SAFETY: between fork and exec the closure only calls dup2 and fcntl, which are
        // async-signal-safe, and touches no memory the parent's other threads could hold.
        unsafe {
            cmd.pre_exec(move || {
                // Out of the way first, so that moving one onto 3 or 4 cannot close the other.
                let (a, b) = (
                    libc::fcntl(fd_in, libc::F_DUPFD, 10),
                    libc::fcntl(fd_out, libc::F_DUPFD, 10),
                );
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", executable.display()))?;
        drop((child_in, child_out));
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_browser);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                message.pop_if(|b| *b == 0);
                if let Ok(value) = serde_json::from_slice::<Value>(&message)
                    && tx.send(value).is_err()
                {
                    return;
                }
                message.clear();
            }
        });
        let mut browser = Browser {
            child,
            to_browser,
            from_browser: rx,
            next_id: 0,
            session: String::new(),
            backlog: Default::default(),
            errors: Vec::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let target = target["targetId"]
            .as_str()
            .ok_or_else(|| anyhow!("no target id"))?;
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )?;
        browser.session = (attached["sessionId"].as_str())
            .ok_or_else(|| anyhow!("no session id"))?
            .to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}))?;
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(browser)
    }

    /// Sends one request (to the page, once attached) and waits for its reply.
    fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            request["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&request)?;
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .context("Chromium closed its DevTools pipe")?;
        let reply = self.wait_for(REPLY_TIMEOUT, |m| m["id"] == id)?;
        if let Some(error) = reply.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(reply["result"].clone())
    }

    /// Waits for a message that `wanted` accepts, noting every error event on the way and keeping
    /// the other events for a later wait.
    fn wait_for(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        if let Some(i) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(i).expect("found"));
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.from_browser.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => bail!("Chromium did not answer within {limit:?}"),
                Err(RecvTimeoutError::Disconnected) => bail!("Chromium exited"),
            };
            self.note_error(&message);
            if wanted(&message) {
                return Ok(message);
            }
            if message.get("method").is_some() {
                if self.backlog.len() == 1000 {
                    self.backlog.pop_front();
                }
                self.backlog.push_back(message);
            }
        }
    }

    fn note_error(&mut self, message: &Value) {
        let params = &message["params"];
        match message["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let details = &params["exceptionDetails"];
                let text = details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or("an exception");
                self.errors.push(format!("script error: {text}"));
            }
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                let args: Vec<String> = (params["args"].as_array().into_iter().flatten())
                    .map(|a| {
                        a["value"]
                            .as_str()
                            .map_or_else(|| a["description"].to_string(), String::from)
                    })
                    .collect();
                self.errors
                    .push(format!("console.error: {}", args.join(" ")));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                let text = params["entry"]["text"].as_str().unwrap_or("");
                self.errors.push(format!("console: {text}"));
            }
            _ => {}
        }
    }

    /// Opens `url` and waits for its load event.
    pub fn open(&mut self, url: &str) -> anyhow::Result<()> {
        self.backlog
            .retain(|m| m["method"] != "Page.loadEventFired");
        let navigated = self.call("Page.navigate", json!({"url": url}))?;
        if let Some(error) = navigated["errorText"].as_str() {
            bail!("cannot open {url}: {error}");
        }
        self.wait_for_load()
    }

    /// Waits for the page's next load event (after a click that follows a link).
    pub fn wait_for_load(&mut self) -> anyhow::Result<()> {
        self.wait_for(REPLY_TIMEOUT, |m| m["method"] == "Page.loadEventFired")?;
        Ok(())
    }

    /// Clicks the element `selector` finds, a link to another page, and waits for that page.
    pub fn follow(&mut self, selector: &str) -> anyhow::Result<()> {
        self.backlog
            .retain(|m| m["method"] != "Page.loadEventFired");
        self.click_element(selector)?;
        self.wait_for_load()
    }

    /// Opens the file at `path`, with `fragment` (`#t=...`) if not empty.
    pub fn open_file(&mut self, path: &Path, fragment: &str) -> anyhow::Result<()> {
        let path =
            std::fs::canonicalize(path).with_context(|| format!("no file {}", path.display()))?;
        self.open(&format!("file://{}{fragment}", path.display()))
    }

    /// Evaluates `expression` in the page (awaiting it if it is a promise) and returns its value.
    pub fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let text = details["exception"]["description"]
                .as_str()
                .unwrap_or_else(|| details["text"].as_str().unwrap_or("an exception"));
            bail!("evaluating `{expression}` threw: {text}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Waits until `condition` (a script expression) is true in the page.
    pub fn wait_until(&mut self, condition: &str, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        while self.eval(condition)? != Value::Bool(true) {
            if Instant::now() > deadline {
                bail!("`{condition}` did not become true within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Clicks with the left button at (x, y) of the page, as a person's mouse would.
    pub fn click(&mut self, x: f64, y: f64) -> anyhow::Result<()> {
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// Clicks the middle of the element `selector` finds.
    pub fn click_element(&mut self, selector: &str) -> anyhow::Result<()> {
        let quoted = serde_json::to_string(selector)?;
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({quoted}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ))?;
        let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else {
            bail!("no element {selector} to click");
        };
        self.click(x, y)
    }

    /// A PNG of what the page shows.
    pub fn screenshot(&mut self) -> anyhow::Result<Vec<u8>> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}))?;
        let data = shot["data"]
            .as_str()
            .ok_or_else(|| anyhow!("no screenshot data"))?;
        base64_decode(data)
    }

    /// Script and console errors seen so far.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64 (the protocol's encoding of binary data).
pub(crate) fn base64_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let value = |c: u8| -> anyhow::Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("not base64: {:?}", c as char),
        }
        .into())
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut word = 0;
        for (i, &c) in chunk.iter().enumerate() {
            word |= value(c)? << (18 - 6 * i);
        }
        out.extend_from_slice(&word.to_be_bytes()[1..chunk.len()]);
    }
    Ok(out)
}

/// Standard base64, for handing binary data to a page.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |w, (i, &b)| w | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_with_every_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a*").is_err());
        for text in ["", "h", "hi", "hello", "hello!"] {
            let encoded = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&encoded).unwrap(), text.as_bytes());
        }
    }
}
