//! `webkv-server`: the example charm's workload — a small key-value store over HTTP.
//!
//! It reads a JSON configuration file (written by the charm into the container), serves:
//!
//! - `GET /` — the configured greeting;
//! - `GET /health` — `ok` once serving;
//! - `GET /stats` — `{"keys": N, "requests": N}`;
//! - `GET|PUT|DELETE /kv/<key>` — the store; writes need `Authorization: Bearer <token>` when an
//!   admin token is configured;
//!
//! and keeps its data in `<data-dir>/data.json` (`$WEBKV_DATA_DIR` wins over the file's
//! `data-dir`), rewritten atomically on every change.
//! `webkv-server probe URL` exits 0 once `URL` answers 200: the start wrapper uses it to know
//! when to tell Pebble the service is ready (no curl needed in the image).
//!
//! `webkv-server backup --data-dir DIR --out FILE` copies the store to `FILE` (mode 0600,
//! written atomically, parent directories created), after checking it is a valid store,
//! and prints `{"keys": N, "bytes": N, "path": FILE}` on stdout. The charm's `backup`
//! action runs it in the container through Pebble's exec. Its exit codes are a contract
//! with the charm: 0 done, 2 bad usage, 3 nothing to back up (no data file yet), 4 the data
//! file is not a valid store, 1 any other failure (the reason on stderr).
//!
//! Standard library only: the image needs nothing else.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The configuration file the charm writes.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Config {
    port: u16,
    #[serde(default = "default_greeting")]
    greeting: String,
    data_dir: PathBuf,
    #[serde(default)]
    max_keys: Option<usize>,
    #[serde(default)]
    admin_token: Option<String>,
}

fn default_greeting() -> String {
    "hello from webkv".to_owned()
}

struct Server {
    config: Config,
    data: Mutex<BTreeMap<String, String>>,
    requests: AtomicU64,
}

/// `backup` exit code: bad usage.
const EXIT_USAGE: u8 = 2;
/// `backup` exit code: no data file yet.
const EXIT_NO_DATA: u8 = 3;
/// `backup` exit code: the data file is not a valid store.
const EXIT_CORRUPT: u8 = 4;

fn main() -> ExitCode {
    let Some(args) = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect::<Option<Vec<String>>>()
    else {
        eprintln!("webkv-server: arguments must be UTF-8 (paths included)");
        return ExitCode::from(EXIT_USAGE);
    };
    if args.first().map(String::as_str) == Some("backup") {
        return match backup_command(&args[1..]) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("webkv-server backup: {}", e.message);
                ExitCode::from(e.code)
            }
        };
    }
    let result = match args.first().map(String::as_str) {
        Some("probe") => probe(args.get(1).map(String::as_str)),
        Some("--config") => match args.get(1) {
            Some(path) => serve(Path::new(path)),
            None => Err("--config needs a file".to_owned()),
        },
        Some("--help") | Some("-h") => {
            println!(
                "usage: webkv-server --config FILE   serve the key-value store\n       \
                 webkv-server probe URL       exit 0 once URL answers 200\n       \
                 webkv-server backup --data-dir DIR --out FILE\n                                    \
                 copy the store to FILE (0600)"
            );
            Ok(())
        }
        _ => Err(
            "usage: webkv-server --config FILE | probe URL | backup --data-dir DIR --out FILE (see --help)"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webkv-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exits 0 if `url` (`http://host:port/path`) answers 200.
fn probe(url: Option<&str>) -> Result<(), String> {
    let url = url.ok_or("probe needs a URL, e.g. http://127.0.0.1:8080/health")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs can be probed, not {url}"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("{authority}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut status = String::new();
    BufReader::new(stream)
        .read_line(&mut status)
        .map_err(|e| e.to_string())?;
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{url} answered {:?}", status.trim()))
    }
}

fn serve(config_path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| format!("cannot read {}: {e}", config_path.display()))?;
    let mut config: Config = serde_json::from_str(&text)
        .map_err(|e| format!("invalid config {}: {e}", config_path.display()))?;
    // `WEBKV_DATA_DIR`, when set, wins over `data-dir`: the charm's layer sets it, so a
    // simulator running the workload outside a container can map the path.
    if let Some(dir) = std::env::var_os("WEBKV_DATA_DIR").filter(|d| !d.is_empty()) {
        config.data_dir = PathBuf::from(dir);
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let data = load(&config.data_dir)?;
    let listener = TcpListener::bind(("0.0.0.0", config.port))
        .map_err(|e| format!("cannot listen on port {}: {e}", config.port))?;
    eprintln!(
        "webkv-server: serving {} keys on port {}",
        data.len(),
        config.port
    );
    let server = Arc::new(Server {
        config,
        data: Mutex::new(data),
        requests: AtomicU64::new(0),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let server = server.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle(&server, stream) {
                eprintln!("webkv-server: {e}");
            }
        });
    }
    Ok(())
}

/// Why `backup` failed: its exit code and message.
#[derive(Debug)]
struct BackupError {
    code: u8,
    message: String,
}

impl BackupError {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// `backup --data-dir DIR --out FILE`: parses the arguments, then [`backup`].
fn backup_command(args: &[String]) -> Result<String, BackupError> {
    let (mut data_dir, mut out) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let slot = match arg.as_str() {
            "--data-dir" => &mut data_dir,
            "--out" => &mut out,
            other => {
                return Err(BackupError::new(
                    EXIT_USAGE,
                    format!("unknown argument {other:?}; usage: backup --data-dir DIR --out FILE"),
                ));
            }
        };
        *slot = Some(
            it.next()
                .ok_or_else(|| BackupError::new(EXIT_USAGE, format!("{arg} needs a value")))?,
        );
    }
    let (Some(data_dir), Some(out)) = (data_dir, out) else {
        return Err(BackupError::new(
            EXIT_USAGE,
            "both --data-dir DIR and --out FILE are needed",
        ));
    };
    backup(Path::new(data_dir), Path::new(out))
}

/// Copies the store in `data_dir` to `out` after checking it parses as a store; returns the
/// JSON summary for stdout. The copy is written to a temporary file (0600) beside `out` and
/// renamed over it, so `out` is either absent or complete.
fn backup(data_dir: &Path, out: &Path) -> Result<String, BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let source = data_file(data_dir);
    let text = match std::fs::read(&source) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::new(
                EXIT_NO_DATA,
                format!("nothing to back up: {} does not exist", source.display()),
            ));
        }
        Err(e) => {
            return Err(BackupError::new(
                1,
                format!("cannot read {}: {e}", source.display()),
            ));
        }
    };
    let keys = serde_json::from_slice::<BTreeMap<String, String>>(&text)
        .map_err(|e| {
            BackupError::new(
                EXIT_CORRUPT,
                format!("{} is not a valid store: {e}", source.display()),
            )
        })?
        .len();
    let io = |what: &str, path: &Path, e: std::io::Error| {
        BackupError::new(1, format!("cannot {what} {}: {e}", path.display()))
    };
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    let name = out
        .file_name()
        .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp"));
    // A leftover from a run that was killed may have other permissions: start afresh.
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(&text)?;
            f.sync_all()
        });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, out)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("write", out, e));
    }
    Ok(serde_json::json!({
        "keys": keys,
        "bytes": text.len(),
        "path": out.display().to_string(),
    })
    .to_string())
}

fn data_file(dir: &Path) -> PathBuf {
    dir.join("data.json")
}

fn load(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    match std::fs::read_to_string(data_file(dir)) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| format!("corrupt data file {}: {e}", data_file(dir).display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("cannot read {}: {e}", data_file(dir).display())),
    }
}

fn save(dir: &Path, data: &BTreeMap<String, String>) -> Result<(), String> {
    let tmp = dir.join(".data.json.tmp");
    let text = serde_json::to_string_pretty(data).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, data_file(dir)).map_err(|e| format!("cannot save data: {e}"))
}

struct Request {
    method: String,
    path: String,
    token: Option<String>,
    body: String,
}

fn read_request(stream: &mut BufReader<TcpStream>) -> Result<Request, String> {
    let mut line = String::new();
    stream.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut length, mut token) = (0usize, None);
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).map_err(|e| e.to_string())?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => token = value.trim().strip_prefix("Bearer ").map(str::to_owned),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    stream.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(Request {
        method,
        path,
        token,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn handle(server: &Server, stream: TcpStream) -> Result<(), String> {
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let req = read_request(&mut reader)?;
    server.requests.fetch_add(1, Ordering::Relaxed);
    let (status, body) = respond(server, &req);
    // One write: `write!` on the socket would send each piece separately, and a client that
    // closes after the status line (the probe) would make the later pieces fail.
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    stream
        .write_all(response.as_bytes())
        .map_err(|e| e.to_string())
}

fn respond(server: &Server, req: &Request) -> (&'static str, String) {
    let mut data = server.data.lock().unwrap_or_else(|p| p.into_inner());
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") => ("200 OK", format!("{}\n", server.config.greeting)),
        ("GET", "/health") => ("200 OK", "ok\n".to_owned()),
        // Prometheus' text exposition format, scraped through the charm's metrics-endpoint.
        ("GET", "/metrics") => (
            "200 OK",
            format!(
                "# HELP webkv_keys Keys in the store.\n# TYPE webkv_keys gauge\nwebkv_keys {}\n\
                 # HELP webkv_requests_total Requests served.\n# TYPE webkv_requests_total counter\n\
                 webkv_requests_total {}\n",
                data.len(),
                server.requests.load(Ordering::Relaxed)
            ),
        ),
        ("GET", "/stats") => (
            "200 OK",
            format!(
                "{{\"keys\": {}, \"requests\": {}}}\n",
                data.len(),
                server.requests.load(Ordering::Relaxed)
            ),
        ),
        (method, path) if path.starts_with("/kv/") && path.len() > 4 => {
            let key = path[4..].to_owned();
            if method != "GET"
                && server.config.admin_token.is_some()
                && req.token != server.config.admin_token
            {
                return ("401 Unauthorized", "a valid admin token is needed\n".into());
            }
            match method {
                "GET" => match data.get(&key) {
                    Some(v) => ("200 OK", v.clone()),
                    None => ("404 Not Found", format!("no key {key}\n")),
                },
                "PUT" => {
                    if !data.contains_key(&key)
                        && server.config.max_keys.is_some_and(|m| data.len() >= m)
                    {
                        return ("507 Insufficient Storage", "the store is full\n".into());
                    }
                    data.insert(key, req.body.clone());
                    persist(server, &data)
                }
                "DELETE" => {
                    data.remove(&key);
                    persist(server, &data)
                }
                _ => ("405 Method Not Allowed", String::new()),
            }
        }
        _ => ("404 Not Found", String::new()),
    }
}

fn persist(server: &Server, data: &BTreeMap<String, String>) -> (&'static str, String) {
    match save(&server.config.data_dir, data) {
        Ok(()) => ("200 OK", "stored\n".to_owned()),
        Err(e) => ("500 Internal Server Error", format!("{e}\n")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn metrics_are_in_prometheus_text_format() {
        let server = Server {
            config: Config {
                port: 8080,
                greeting: "hi".into(),
                data_dir: PathBuf::from("/nonexistent"),
                max_keys: None,
                admin_token: None,
            },
            data: Mutex::new(BTreeMap::from([("a".to_owned(), "1".to_owned())])),
            requests: AtomicU64::new(7),
        };
        let req = Request {
            method: "GET".into(),
            path: "/metrics".into(),
            token: None,
            body: String::new(),
        };
        let (status, body) = respond(&server, &req);
        assert_eq!(status, "200 OK");
        assert!(
            body.contains("# TYPE webkv_keys gauge\nwebkv_keys 1\n"),
            "{body}"
        );
        assert!(body.contains("webkv_requests_total 7\n"), "{body}");
    }

    #[test]
    fn backup_copies_a_valid_store_privately_and_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let data = r#"{"a": "1", "b": "2"}"#;
        std::fs::write(dir.path().join("data.json"), data).unwrap();
        let out = dir.path().join("backups/nested/b.json");
        let summary = backup_command(&args(&[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]))
        .unwrap();
        let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
        assert_eq!(summary["keys"], 2);
        assert_eq!(summary["bytes"], data.len());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), data);
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let left: Vec<_> = std::fs::read_dir(out.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            [std::ffi::OsString::from("b.json")],
            "no temp file left"
        );
    }

    #[test]
    fn backup_failures_have_their_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.json");
        let e = backup(dir.path(), &out).unwrap_err();
        assert_eq!(e.code, EXIT_NO_DATA);
        assert!(e.message.starts_with("nothing to back up"), "{}", e.message);

        std::fs::write(dir.path().join("data.json"), "[1, 2]").unwrap();
        let e = backup(dir.path(), &out).unwrap_err();
        assert_eq!(e.code, EXIT_CORRUPT);
        assert!(e.message.contains("is not a valid store"), "{}", e.message);
        assert!(!out.exists());

        std::fs::write(dir.path().join("data.json"), "{}").unwrap();
        std::fs::write(dir.path().join("file"), "").unwrap();
        let e = backup(dir.path(), &dir.path().join("file/b.json")).unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.message.starts_with("cannot create"), "{}", e.message);

        for bad in [
            &["--data-dir"][..],
            &["--out", "x"],
            &["--data-dir", "d", "--out", "x", "--force"],
        ] {
            assert_eq!(
                backup_command(&args(bad)).unwrap_err().code,
                EXIT_USAGE,
                "{bad:?}"
            );
        }
    }
}
