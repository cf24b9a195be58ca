//! The OTLP receiver (`juju-sim run --otlp-receiver`): a small HTTP endpoint on loopback
//! that accepts OTLP/HTTP protobuf traces (`POST /v1/traces`), as a Tempo charm's receiver
//! would, decodes each request with OTLP's own messages, and keeps the spans for the trace
//! to show under the hook that sent them (and, with `--otlp-out FILE`, appends them to FILE
//! as JSON lines).
//!
//! A charm built with `ops-tracing` sends its spans at the end of each hook, before its
//! process exits, so the spans of a hook are here by the time juju-sim reports the hook.
//! Scenarios point the charm at it through the built-in variable `${otlp-receiver}` (its
//! base URL), as a `tracing` provider's `receivers` databag:
//!
//! ```yaml
//! - relate:
//!     endpoint: charm-tracing
//!     app: tempo
//!     app-data:
//!       receivers: '[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "${otlp-receiver}"}]'
//! ```
//!
//! With `--otlp-tls` it speaks HTTPS instead ([`OtlpReceiver::start_https`]), with a
//! certificate for `127.0.0.1` and `localhost` issued through an intermediate by a CA of its
//! own, made for the run ([`tls`]); `${otlp-ca-certificates}` is that CA as a
//! `certificate_transfer` provider publishes it, for the charm to trust.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead as _, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

pub mod tls;

/// What `${otlp-receiver}` is without `--otlp-receiver`: OTLP/HTTP's standard port on this
/// host, where a collector of your own may listen.
pub const DEFAULT_RECEIVER: &str = "http://127.0.0.1:4318";

/// The largest request body accepted (a charm sends at most 1 MiB at once).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the receiver got and not yet shown.
pub type Inbox = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

/// A running receiver.
#[derive(Debug)]
pub struct OtlpReceiver {
    addr: SocketAddr,
    inbox: Inbox,
    authority: Option<tls::Authority>,
}

impl OtlpReceiver {
    /// Listens on `addr` (a loopback address; port 0 picks a free one) and serves plain HTTP
    /// on a background thread for the life of the process. Each request is also appended to
    /// `save` as one JSON line, if given.
    pub fn start(addr: SocketAddr, save: Option<PathBuf>) -> io::Result<OtlpReceiver> {
        Self::start_with(addr, save, None)
    }

    /// [`start`](Self::start), serving HTTPS with a certificate from a CA made for this
    /// receiver ([`OtlpReceiver::ca_pem`]).
    pub fn start_https(addr: SocketAddr, save: Option<PathBuf>) -> io::Result<OtlpReceiver> {
        let authority = tls::Authority::new(addr.ip()).map_err(io::Error::other)?;
        Self::start_with(addr, save, Some(authority))
    }

    fn start_with(
        addr: SocketAddr,
        save: Option<PathBuf>,
        authority: Option<tls::Authority>,
    ) -> io::Result<OtlpReceiver> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the OTLP receiver listens on loopback only, not {addr}"),
            ));
        }
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let inbox = Inbox::default();
        let shared = inbox.clone();
        let config = authority.as_ref().map(tls::Authority::server_config);
        std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let served = match &config {
                        Some(config) => tls::accept(config.clone(), stream)
                            .and_then(|mut s| serve(&mut s, &shared, save.as_ref())),
                        None => serve(&mut { stream }, &shared, save.as_ref()),
                    };
                    if let Err(e) = served {
                        eprintln!("juju-sim: OTLP receiver: {e}");
                    }
                }
            })?;
        Ok(OtlpReceiver {
            addr,
            inbox,
            authority,
        })
    }

    /// The base URL a `tracing` provider would publish (`http://127.0.0.1:PORT`, or
    /// `https://` with `--otlp-tls`).
    pub fn url(&self) -> String {
        let scheme = if self.authority.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The CA that issued an HTTPS receiver's certificate (PEM); `None` for plain HTTP.
    pub fn ca_pem(&self) -> Option<&str> {
        self.authority.as_ref().map(tls::Authority::ca_pem)
    }

    /// The intermediate between the CA and an HTTPS receiver's certificate (PEM).
    pub fn intermediate_pem(&self) -> Option<&str> {
        self.authority
            .as_ref()
            .map(tls::Authority::intermediate_pem)
    }

    /// The built-in scenario variables this receiver defines: `otlp-receiver` and, for
    /// HTTPS, `otlp-ca-certificates` (the CA as a JSON list of PEM strings, the value of a
    /// `certificate_transfer` v1 provider's `certificates` field, on one line).
    pub fn vars(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::from([("otlp-receiver".to_owned(), self.url())]);
        if let Some(ca) = self.ca_pem() {
            vars.insert(
                "otlp-ca-certificates".to_owned(),
                serde_json::json!([ca]).to_string(),
            );
        }
        vars
    }

    /// What was received and not yet taken.
    pub fn inbox(&self) -> Inbox {
        self.inbox.clone()
    }
}

/// Takes everything in `inbox`.
pub fn take(inbox: &Inbox) -> Vec<ExportTraceServiceRequest> {
    std::mem::take(&mut *inbox.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Serves one request on `stream`.
fn serve<S: Read + Write>(stream: &mut S, inbox: &Inbox, save: Option<&PathBuf>) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut length = 0usize;
    let mut content_type = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse().unwrap_or(0),
                "content-type" => content_type = v.trim().to_owned(),
                _ => {}
            }
        }
    }
    let reply = |out: &mut BufReader<&mut S>, status: &str, body: &str| {
        let out = out.get_mut();
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        out.flush()
    };
    if length > MAX_BODY {
        return reply(&mut reader, "413 Content Too Large", "too large\n");
    }
    // The body is read before any refusal: closing a socket with unread data resets the
    // connection, and the client could lose the answer.
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    if method != "POST" || path != "/v1/traces" {
        return reply(
            &mut reader,
            "404 Not Found",
            "POST OTLP traces to /v1/traces\n",
        );
    }
    if content_type != "application/x-protobuf" {
        return reply(
            &mut reader,
            "415 Unsupported Media Type",
            "this receiver takes application/x-protobuf\n",
        );
    }
    let request = match ExportTraceServiceRequest::decode(&*body) {
        Ok(r) => r,
        Err(e) => {
            return reply(
                &mut reader,
                "400 Bad Request",
                &format!("not an OTLP ExportTraceServiceRequest: {e}\n"),
            );
        }
    };
    if let Some(path) = save {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{}", to_json(&request))?;
    }
    inbox
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
    // An empty ExportTraceServiceResponse: full success.
    let out = reader.get_mut();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    out.flush()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn value_text(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attrs_map(attrs: &[KeyValue]) -> BTreeMap<String, String> {
    attrs
        .iter()
        .map(|a| (a.key.clone(), value_text(a.value.as_ref())))
        .collect()
}

/// Every span of `request`, with its resource's `juju_unit`.
fn spans(request: &ExportTraceServiceRequest) -> Vec<(String, &Span)> {
    let mut out = Vec::new();
    for rs in &request.resource_spans {
        let unit = rs
            .resource
            .as_ref()
            .map(|r| attrs_map(&r.attributes))
            .and_then(|m| m.get("juju_unit").cloned())
            .unwrap_or_default();
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push((unit.clone(), s));
            }
        }
    }
    out
}

/// The request as JSON: one object per span, ids in hex, times in ns.
pub fn to_json(request: &ExportTraceServiceRequest) -> serde_json::Value {
    let spans: Vec<serde_json::Value> = spans(request)
        .into_iter()
        .map(|(unit, s)| {
            serde_json::json!({
                "unit": unit,
                "trace_id": hex(&s.trace_id),
                "span_id": hex(&s.span_id),
                "parent_span_id": hex(&s.parent_span_id),
                "name": s.name,
                "start_unix_nano": s.start_time_unix_nano,
                "end_unix_nano": s.end_time_unix_nano,
                "attributes": attrs_map(&s.attributes),
                "events": s.events.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
                "error": s.status.as_ref().is_some_and(|st| st.code == 2),
            })
        })
        .collect();
    serde_json::json!({ "spans": spans })
}

/// The attributes shown beside a span's name in the tree (the rest are in `--otlp-out`).
const SHOWN: &[&str] = &[
    "juju.hook",
    "args",
    "http.request.method",
    "url.path",
    "http.response.status_code",
    "attempt",
    "deferred",
    "reemitted",
    "unit_status",
    "app_status",
    "queued",
];

/// The requests' spans as indented trees, one per dispatch (a root and what hangs from it),
/// children in the order they started: `name  1.2 ms  key=value ...`.
pub fn render(requests: &[ExportTraceServiceRequest]) -> Vec<String> {
    let all: Vec<(String, &Span)> = requests.iter().flat_map(spans).collect();
    let ids: std::collections::HashSet<&[u8]> =
        all.iter().map(|(_, s)| s.span_id.as_slice()).collect();
    let mut children: BTreeMap<&[u8], Vec<&Span>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (unit, s) in &all {
        if ids.contains(s.parent_span_id.as_slice()) {
            children.entry(&s.parent_span_id).or_default().push(s);
        } else {
            roots.push((unit, *s));
        }
    }
    for c in children.values_mut() {
        c.sort_by_key(|s| s.start_time_unix_nano);
    }
    roots.sort_by_key(|(_, s)| s.start_time_unix_nano);
    let mut lines = Vec::new();
    for (unit, root) in roots {
        lines.push(format!(
            "trace {} from {unit}:",
            hex(&root.trace_id).get(..16).unwrap_or_default()
        ));
        walk(root, 1, &children, &mut lines);
    }
    lines
}

fn walk(s: &Span, depth: usize, children: &BTreeMap<&[u8], Vec<&Span>>, out: &mut Vec<String>) {
    let ms = s.end_time_unix_nano.saturating_sub(s.start_time_unix_nano) as f64 / 1e6;
    let attrs = attrs_map(&s.attributes);
    let shown: Vec<String> = SHOWN
        .iter()
        .filter_map(|k| attrs.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    let error = if s.status.as_ref().is_some_and(|st| st.code == 2) {
        "  ERROR"
    } else {
        ""
    };
    out.push(
        format!(
            "{}{}  {ms:.1} ms{error}  {}",
            "  ".repeat(depth),
            s.name,
            shown.join(" ")
        )
        .trim_end()
        .to_owned(),
    );
    for e in &s.events {
        out.push(format!("{}! {}", "  ".repeat(depth + 1), e.name));
    }
    if let Some(kids) = children.get(s.span_id.as_slice()) {
        for k in kids {
            walk(k, depth + 1, children, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
    use std::net::TcpStream;

    fn span(id: u8, parent: u8, name: &str, start: u64) -> Span {
        Span {
            trace_id: vec![7; 16],
            span_id: vec![id; 8],
            parent_span_id: if parent == 0 { vec![] } else { vec![parent; 8] },
            name: name.into(),
            start_time_unix_nano: start,
            end_time_unix_nano: start + 1_500_000,
            ..Span::default()
        }
    }

    fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }
    }

    #[test]
    fn spans_render_as_a_tree_in_start_order() {
        let r = request(vec![
            span(3, 1, "status-set", 30),
            span(2, 1, "is-leader", 20),
            span(1, 0, "ops.main", 10),
        ]);
        assert_eq!(
            render(&[r]),
            [
                "trace 0707070707070707 from :",
                "  ops.main  1.5 ms",
                "    is-leader  1.5 ms",
                "    status-set  1.5 ms",
            ]
        );
    }

    fn post(url: &str, content_type: &str, body: &[u8]) -> String {
        let addr = url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn the_receiver_decodes_protobuf_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let save = dir.path().join("spans.jsonl");
        let rx = OtlpReceiver::start("127.0.0.1:0".parse().unwrap(), Some(save.clone())).unwrap();
        let body = request(vec![span(1, 0, "ops.main", 10)]).encode_to_vec();
        let answer = post(&rx.url(), "application/x-protobuf", &body);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let got = take(&rx.inbox());
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].resource_spans[0].scope_spans[0].spans[0].name,
            "ops.main"
        );
        let saved = std::fs::read_to_string(&save).unwrap();
        assert!(saved.contains("\"name\":\"ops.main\""), "{saved}");

        let answer = post(&rx.url(), "application/x-protobuf", b"\xff\xff\xff");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let answer = post(&rx.url(), "application/json", b"{}");
        assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");
        assert!(take(&rx.inbox()).is_empty());
        assert!(OtlpReceiver::start("0.0.0.0:0".parse().unwrap(), None).is_err());
    }
}
