//! Property tests for everything that parses what Pebble (or a charm author) hands the client:
//! the response envelope, change and notice JSON, multipart bodies, layer YAML, Go durations
//! and notice keys. None may panic on any input; where a value is written and read back, it
//! must round-trip.
//!
//! CI runs proptest's default 256 cases per property. A longer pass:
//! `PROPTEST_CASES=100000 cargo test -p pebble-client --all-features --test prop_parsers`
//! (proptest prints the seed and the minimal failing input on failure; failures are saved
//! under `proptest-regressions/`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use pebble_client::envelope::Envelope;
use pebble_client::multipart::{self, Part};
use pebble_client::{Change, GoDuration, Layer, Notice, validate_custom_key};
use proptest::prelude::*;

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".{0,12}".prop_map(serde_json::Value::String),
        prop::sample::select(vec![
            "sync",
            "async",
            "error",
            "Done",
            "Error",
            "custom",
            "warning",
            "2024-01-02T03:04:05Z",
            "1s",
            "",
            "id",
            "1",
        ])
        .prop_map(|s| serde_json::Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names Pebble uses, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "type",
            "status-code",
            "status",
            "result",
            "change",
            "maintenance",
            "kind",
            "message",
            "value",
            "id",
            "summary",
            "tasks",
            "ready",
            "spawn-time",
            "ready-time",
            "err",
            "log",
            "progress",
            "data",
            "key",
            "occurrences",
            "first-occurred",
            "last-occurred",
            "last-repeated",
            "user-id",
            "expire-after",
            "repeat-after",
            "last-data",
            "label",
        ])
        .prop_map(str::to_owned),
        "[a-z-]{1,8}",
    ]
}

fn envelope_json() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(vec!["sync", "async", "error", "other"]),
        prop::sample::select(vec![200u16, 202, 400, 401, 404, 500]),
        json(),
        prop::option::of(json()),
    )
        .prop_map(|(t, code, result, maint)| {
            let mut v = serde_json::json!({"type": t, "status-code": code, "status": "x", "result": result});
            if let Some(m) = maint {
                v["maintenance"] = m;
            }
            v
        })
}

proptest! {
    #[test]
    fn envelope_never_panics_on_bytes(
        status in any::<u16>(),
        ct in prop::option::of(prop::sample::select(vec!["application/json", "text/html", "application/json; charset=utf-8", ""])),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = Envelope::parse(status, ct, &body);
    }

    #[test]
    fn envelope_and_results_never_panic_on_json(v in envelope_json(), status in prop::sample::select(vec![200u16, 202, 400, 404, 500])) {
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(env) = Envelope::parse(status, Some("application/json"), &body) {
            let _ = env.change_id();
            let _ = env.clone().decode::<Change>();
            let _ = env.clone().decode::<Vec<Notice>>();
            let _ = env.decode::<Vec<Change>>();
        }
    }

    #[test]
    fn change_and_notice_json_never_panic(v in json()) {
        if let Ok(c) = serde_json::from_value::<Change>(v.clone()) {
            let _ = c.failed_task_logs();
            // What was read can be written and read back unchanged.
            let again: Change = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
            prop_assert_eq!(again, c);
        }
        if let Ok(n) = serde_json::from_value::<Notice>(v) {
            let again: Notice = serde_json::from_value(serde_json::to_value(&n).unwrap()).unwrap();
            prop_assert_eq!(again, n);
        }
    }

    #[test]
    fn multipart_round_trips(
        parts in prop::collection::vec(
            (
                "[a-z]{1,10}",
                prop::option::of("/[a-z0-9/._-]{1,30}"),
                prop::option::of(prop::sample::select(vec!["application/json", "application/octet-stream", "text/plain"])),
                prop::collection::vec(any::<u8>(), 0..200),
            ),
            1..5,
        )
    ) {
        let parts: Vec<Part> = parts
            .into_iter()
            .map(|(name, filename, ct, body)| Part {
                name,
                filename,
                content_type: ct.map(str::to_owned),
                body: Bytes::from(body),
            })
            .collect();
        let boundary = multipart::random_boundary();
        let body = multipart::build(&boundary, &parts).unwrap();
        let ct = format!("multipart/form-data; boundary=\"{boundary}\"");
        prop_assert_eq!(multipart::boundary_of(&ct), Some(boundary.clone()));
        let back = multipart::parse(&ct, &body).unwrap();
        prop_assert_eq!(back, parts);
    }

    #[test]
    fn multipart_never_panics_on_bytes(
        ct in prop_oneof![".{0,60}", Just("multipart/form-data; boundary=0123456789abcdef0123456789abcdef".to_owned())],
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            // Something that looks like a body, cut anywhere.
            (0usize..200).prop_map(|cut| {
                let b = b"--0123456789abcdef0123456789abcdef\r\nContent-Disposition: form-data; name=\"response\"\r\nContent-Type: application/json\r\n\r\n{\"type\":\"sync\"}\r\n--0123456789abcdef0123456789abcdef--\r\n";
                b[..cut.min(b.len())].to_vec()
            }),
        ],
    ) {
        let _ = multipart::boundary_of(&ct);
        let _ = multipart::parse(&ct, &Bytes::from(body));
    }

    #[test]
    fn layer_yaml_never_panics(text in prop_oneof![
        ".{0,200}",
        // YAML-ish text built from layer words.
        prop::collection::vec(
            prop::sample::select(vec![
                "services:", "checks:", "log-targets:", "  web:", "    override: replace",
                "    override: merge", "    command: /bin/web", "    startup: enabled",
                "    after: [db]", "    http:", "      url: http://x", "    threshold: 0",
                "    period: 10x", "summary: s", "  - a", "{", "]", ":", "    environment: {A: 1}",
                "    user-id: -1", "    kill-delay: 1h", "    backoff-factor: 0.5",
            ]),
            0..16,
        ).prop_map(|lines| lines.join("\n")),
    ]) {
        if let Ok(layer) = Layer::from_yaml(&text) {
            let yaml = layer.to_yaml().unwrap();
            prop_assert_eq!(Layer::from_yaml(&yaml).unwrap(), layer);
        }
    }

    #[test]
    fn generated_layers_round_trip(
        services in prop::collection::btree_map(
            "[a-z][a-z0-9-]{0,10}",
            ("/bin/[a-z]{1,8}( --[a-z]{1,5})?", prop::collection::btree_map("[A-Z]{1,5}", "[ -~]{0,12}", 0..3)),
            1..4,
        ),
        summary in prop::option::of("[a-zA-Z ]{0,20}"),
    ) {
        let mut yaml = String::new();
        if let Some(s) = &summary {
            yaml.push_str(&format!("summary: {}\n", serde_json::to_string(s).unwrap()));
        }
        yaml.push_str("services:\n");
        for (name, (cmd, env)) in &services {
            yaml.push_str(&format!("  {name}:\n    override: replace\n    command: {}\n", serde_json::to_string(cmd).unwrap()));
            if !env.is_empty() {
                let env: BTreeMap<_, _> = env.iter().collect();
                yaml.push_str(&format!("    environment: {}\n", serde_json::to_string(&env).unwrap()));
            }
        }
        let layer = Layer::from_yaml(&yaml).unwrap();
        prop_assert_eq!(layer.services.len(), services.len());
        let back = Layer::from_yaml(&layer.to_yaml().unwrap()).unwrap();
        prop_assert_eq!(back, layer);
    }

    #[test]
    fn go_durations_parse_any_text_and_round_trip(text in ".{0,24}", nanos in 0u64..=u64::MAX / 2) {
        let _ = GoDuration::parse(&text);
        let d = GoDuration::from(Duration::from_nanos(nanos));
        let back = GoDuration::parse(&d.to_string()).unwrap();
        prop_assert_eq!(back, d);
    }

    #[test]
    fn notice_keys_never_panic_and_valid_ones_pass(
        text in ".{0,300}",
        labels in prop::collection::vec("[a-z0-9]{1,6}(-[a-z0-9]{1,4})?", 2..4),
        path in prop::collection::vec("[a-z0-9]{1,6}", 1..4),
    ) {
        let _ = validate_custom_key(&text);
        let key = format!("{}/{}", labels.join("."), path.join("/"));
        prop_assert!(validate_custom_key(&key).is_ok(), "{}", key);
    }
}
