//! Reading the email and text messages the gateway sends.
//!
//! Email goes through a real SMTP server (`support/smtp_sink.py`, aiosmtpd)
//! shared by the tests of one test binary; each test uses its own recipient
//! addresses. Without Python's aiosmtpd the gateway falls back to lettre's file
//! transport (the development default), which writes the same messages, so
//! the suite still runs on a bare machine; under `CI=true` a missing
//! aiosmtpd is a failure.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// A running SMTP sink.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:<port>`.
    pub url: String,
    /// Where delivered messages appear.
    pub dir: PathBuf,
    _child: Mutex<(Child, ChildStdin)>,
    _tmp: tempfile::TempDir,
}

/// The binary-wide SMTP sink, started on first use; `None` without aiosmtpd.
#[allow(clippy::panic)]
pub fn smtp_sink() -> Option<&'static SmtpSink> {
    static SINK: OnceLock<Option<SmtpSink>> = OnceLock::new();
    SINK.get_or_init(|| match start_sink() {
        Ok(sink) => Some(sink),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true needs a real SMTP server for the tests: {reason} (pip install aiosmtpd)"
            )
        }
        Err(reason) => {
            eprintln!("no SMTP sink ({reason}); emails go to lettre's file transport instead");
            None
        }
    })
    .as_ref()
}

fn start_sink() -> Result<SmtpSink, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/smtp_sink.py");
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path().join("inbox");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port: u16 = line
        .trim()
        .parse()
        .map_err(|_| "aiosmtpd did not start".to_string())?;
    Ok(SmtpSink {
        url: format!("smtp://127.0.0.1:{port}"),
        dir,
        _child: Mutex::new((child, stdin)),
        _tmp: tmp,
    })
}

/// A delivered email, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `To:` addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// The plain-text body, transfer encoding undone.
    pub text: String,
    /// The HTML body, if the message has one.
    pub html: Option<String>,
}

impl Mail {
    /// The value of `token=` in the first link of the body.
    pub fn link_token(&self) -> Option<String> {
        let start = self.text.find("token=")? + "token=".len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

fn read_mails(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|raw| {
            let message = mail_parser::MessageParser::default().parse(&raw)?;
            let to = message
                .to()
                .map(|list| {
                    list.iter()
                        .filter_map(|a| a.address().map(str::to_lowercase))
                        .collect()
                })
                .unwrap_or_default();
            Some(Mail {
                to,
                subject: message.subject().unwrap_or_default().to_string(),
                text: message
                    .body_text(0)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                // mail-parser renders a text-only message as HTML too:
                // only a real HTML part counts.
                html: (message.html_body_count() > 0
                    && message.text_body_count() > 0
                    && message.html_body.first() != message.text_body.first())
                .then(|| message.body_html(0).map(|h| h.to_string()))
                .flatten(),
            })
        })
        .collect()
}

/// Waits (up to 10 s) for a message to `to` in `dir` whose subject contains `subject`.
pub async fn wait_for_mail(dir: &Path, to: &str, subject: &str) -> Option<Mail> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let to = to.to_lowercase();
    loop {
        let found = read_mails(dir)
            .into_iter()
            .find(|m| m.to.contains(&to) && m.subject.contains(subject));
        if found.is_some() {
            return found;
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every email to `to` in `dir` right now.
pub fn mails_to(dir: &Path, to: &str) -> Vec<Mail> {
    let to = to.to_lowercase();
    read_mails(dir)
        .into_iter()
        .filter(|m| m.to.contains(&to))
        .collect()
}

/// The six-digit codes of the text messages to `phone` in the outbox, oldest first.
pub fn codes(sms_dir: &Path, phone: &str) -> Vec<String> {
    let digits = phone.trim_start_matches('+');
    let Ok(entries) = std::fs::read_dir(sms_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&format!("-{digits}.txt")))
        })
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter_map(|text| {
            let body = text.split("\n\n").nth(1)?.to_string();
            first_code(&body)
        })
        .collect()
}

/// The first run of exactly six digits in `text`.
fn first_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
}

/// Waits (up to 10 s) for the `n`th text (from 1) to `phone` and returns its code.
pub async fn wait_for_code(sms_dir: &Path, phone: &str, n: usize) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = codes(sms_dir, phone).get(n.saturating_sub(1)) {
            return Some(code.clone());
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
