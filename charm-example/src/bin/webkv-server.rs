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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("probe") => probe(args.get(1).map(String::as_str)),
        Some("--config") => match args.get(1) {
            Some(path) => serve(Path::new(path)),
            None => Err("--config needs a file".to_owned()),
        },
        Some("--help") | Some("-h") => {
            println!(
                "usage: webkv-server --config FILE   serve the key-value store\n       \
                 webkv-server probe URL       exit 0 once URL answers 200"
            );
            Ok(())
        }
        _ => Err("usage: webkv-server --config FILE | probe URL (see --help)".to_owned()),
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
