//! `GET /v1/logs`: the services' output as JSON lines, whole or followed.
//!
//! The output is what the process backend captured; with the simulated backend no service
//! writes anything, so the answer is empty, as Pebble's is for services that never ran.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;
use serde_json::json;
use time::OffsetDateTime;

use crate::testing::process::LogLine;
use crate::testing::response::{ApiResult, ErrorReply, Reply, raw_response};
use crate::testing::router::Ctx;
use crate::types::Timestamp;

type Ring = Arc<crate::testing::process::logs::LogRing>;

/// `GET /v1/logs?services=&n=&follow=`.
pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    let follow = match ctx.query.get("follow") {
        "" | "false" => false,
        "true" => true,
        _ => {
            return Err(ErrorReply::bad_request(
                r#"follow parameter must be "true" or "false""#,
            ));
        }
    };
    let n: i64 = match ctx.query.get("n") {
        "" if follow => 0,
        "" => 30,
        s => match s.parse::<i64>() {
            Ok(n) if n >= -1 => n,
            _ => {
                return Err(ErrorReply::bad_request(
                    "n must be -1, 0, or a positive integer",
                ));
            }
        },
    };
    let mut services = ctx.query.list("services");
    if services.is_empty() {
        services = ctx
            .shared
            .with(|st, _| st.plan.plan.services.keys().cloned().collect());
    }
    let rings: Vec<(String, Ring)> = ctx
        .shared
        .processes
        .as_ref()
        .map(|p| p.log_rings(&services))
        .unwrap_or_default();
    // What is kept now, merged in time order, the last n in all.
    let mut seen = Vec::with_capacity(rings.len());
    let mut all: Vec<(String, LogLine)> = Vec::new();
    for (name, ring) in &rings {
        let (lines, last) = ring.lines_after(0);
        seen.push(last);
        all.extend(lines.into_iter().map(|l| (name.clone(), l)));
    }
    all.sort_by_key(|(_, l)| l.time);
    let keep = match n {
        -1 => all.len(),
        n => usize::try_from(n).unwrap_or(usize::MAX).min(all.len()),
    };
    let first = encode(&all[all.len() - keep..]);
    if !follow {
        return Ok(Reply::Raw(raw_response(
            StatusCode::OK,
            "application/x-ndjson",
            first,
        )));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(follow_rings(rings, seen, first, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| {
            (
                Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(b)),
                rx,
            )
        })
    });
    let body = http_body_util::StreamBody::new(stream).boxed_unsync();
    let mut resp = http::Response::new(body);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(Reply::Raw(resp))
}

/// Sends `first`, then every new line of the rings, until the client goes.
async fn follow_rings(
    rings: Vec<(String, Ring)>,
    mut seen: Vec<u64>,
    first: Bytes,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    if !first.is_empty() && tx.send(first).await.is_err() {
        return;
    }
    let mut watches: Vec<_> = rings.iter().map(|(_, r)| r.subscribe()).collect();
    loop {
        let mut new: Vec<(String, LogLine)> = Vec::new();
        for (i, (name, ring)) in rings.iter().enumerate() {
            watches[i].borrow_and_update();
            let (lines, last) = ring.lines_after(seen[i]);
            seen[i] = last;
            new.extend(lines.into_iter().map(|l| (name.clone(), l)));
        }
        new.sort_by_key(|(_, l)| l.time);
        if !new.is_empty() && tx.send(encode(&new)).await.is_err() {
            return;
        }
        let changed =
            futures_util::future::select_all(watches.iter_mut().map(|w| Box::pin(w.changed())));
        tokio::select! {
            () = tx.closed() => return,
            (r, _, _) = changed => if r.is_err() { return },
        }
    }
}

/// Pebble's JSON lines: time to the millisecond, the message without its newline.
fn encode(lines: &[(String, LogLine)]) -> Bytes {
    let mut out = Vec::new();
    for (service, line) in lines {
        let line = json!({
            "time": Timestamp::new(to_millis(line.time)),
            "service": service,
            "message": line.message,
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    Bytes::from(out)
}

fn to_millis(t: OffsetDateTime) -> OffsetDateTime {
    let ms = t.nanosecond() / 1_000_000 * 1_000_000;
    t.replace_nanosecond(ms).unwrap_or(t)
}
