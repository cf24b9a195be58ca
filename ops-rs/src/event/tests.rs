use super::*;

fn m() -> EventMeta {
    EventMeta::default()
}

fn rel(endpoint: &str) -> (String, u32, Option<String>, Option<String>, Option<String>) {
    (
        endpoint.to_owned(),
        7,
        Some("pg".into()),
        Some("pg/1".into()),
        Some("pg/2".into()),
    )
}

macro_rules! r {
    ($t:ident) => {{
        let (endpoint, relation_id, remote_app, remote_unit, departing_unit) = rel("db");
        Event::$t($t {
            endpoint,
            relation_id,
            remote_app,
            remote_unit,
            departing_unit,
            meta: m(),
        })
    }};
}

/// One event of every type, with every field set.
pub(crate) fn samples() -> Vec<Event> {
    let label = Some("db-password".to_owned());
    let id = "secret:cq1a2b".to_owned();
    vec![
        Event::Install(Install { meta: m() }),
        Event::Start(Start { meta: m() }),
        Event::Stop(Stop { meta: m() }),
        Event::Remove(Remove { meta: m() }),
        Event::UpgradeCharm(UpgradeCharm { meta: m() }),
        Event::ConfigChanged(ConfigChanged { meta: m() }),
        Event::UpdateStatus(UpdateStatus { meta: m() }),
        Event::LeaderElected(LeaderElected { meta: m() }),
        Event::LeaderSettingsChanged(LeaderSettingsChanged { meta: m() }),
        Event::PreSeriesUpgrade(PreSeriesUpgrade { meta: m() }),
        Event::PostSeriesUpgrade(PostSeriesUpgrade { meta: m() }),
        Event::CollectMetrics(CollectMetrics { meta: m() }),
        r!(RelationCreated),
        r!(RelationJoined),
        r!(RelationChanged),
        r!(RelationDeparted),
        r!(RelationBroken),
        Event::StorageAttached(StorageAttached {
            storage_name: "data".into(),
            index: 3,
            location: Some("/srv/data".into()),
            meta: m(),
        }),
        Event::StorageDetaching(StorageDetaching {
            storage_name: "data".into(),
            index: 3,
            location: None,
            meta: m(),
        }),
        Event::SecretChanged(SecretChanged {
            secret_id: id.clone(),
            label: label.clone(),
            meta: m(),
        }),
        Event::SecretExpired(SecretExpired {
            secret_id: id.clone(),
            label: label.clone(),
            revision: 4,
            meta: m(),
        }),
        Event::SecretRotate(SecretRotate {
            secret_id: id.clone(),
            label: None,
            meta: m(),
        }),
        Event::SecretRemove(SecretRemove {
            secret_id: id,
            label,
            revision: 2,
            meta: m(),
        }),
        Event::Action(ActionEvent {
            name: "backup".into(),
            uuid: "42".into(),
            params: serde_json::json!({"target": "s3", "compress": true, "n": 3}),
            meta: m(),
        }),
        Event::PebbleReady(PebbleReady {
            container: "web".into(),
            meta: m(),
        }),
        Event::PebbleCustomNotice(PebbleCustomNotice {
            container: "web".into(),
            notice_id: "12".into(),
            notice_type: "custom".into(),
            notice_key: "example.com/ready".into(),
            meta: m(),
        }),
        Event::PebbleCheckFailed(PebbleCheckFailed {
            container: "web".into(),
            check_name: "http".into(),
            meta: m(),
        }),
        Event::PebbleCheckRecovered(PebbleCheckRecovered {
            container: "web".into(),
            check_name: "http".into(),
            meta: m(),
        }),
        Event::PreCommit(PreCommit { meta: m() }),
        Event::Commit(Commit { meta: m() }),
        Event::CollectStatus(CollectStatus {
            application: true,
            meta: m(),
        }),
        Event::CollectStatus(CollectStatus {
            application: false,
            meta: m(),
        }),
    ]
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let all = samples();
    assert_eq!(all.len(), 32);
    for ev in all {
        let kind = ev.kind();
        let data = ev.encode().unwrap();
        let back = Event::decode(kind.generic_name(), kind.source(), &data).unwrap();
        assert_eq!(back, ev, "{kind}");
        assert_eq!(back.kind(), kind);
    }
}

#[test]
fn stored_data_never_carries_the_id_or_defer_flag() {
    let mut ev = Event::ConfigChanged(ConfigChanged {
        meta: EventMeta {
            id: 9,
            deferred: true,
        },
    });
    assert_eq!(ev.encode().unwrap(), "{}");
    ev.meta_mut().id = 10;
    assert_eq!(ev.event_id(), 10);
}

#[test]
fn secret_events_stored_before_the_rename_still_decode() {
    // Queues stored by an earlier version name the secret's id `id`; today's say `secret_id`.
    for (generic, data) in [
        ("secret-changed", r#"{"id":"secret:abc","label":null}"#),
        (
            "secret-changed",
            r#"{"secret_id":"secret:abc","label":null}"#,
        ),
    ] {
        let Event::SecretChanged(ev) = Event::decode(generic, None, data).unwrap() else {
            panic!("not a secret-changed event");
        };
        assert_eq!(ev.secret_id, "secret:abc");
    }
    let Event::SecretRemove(ev) = Event::decode(
        "secret-remove",
        None,
        r#"{"id":"secret:abc","label":null,"revision":3}"#,
    )
    .unwrap() else {
        panic!("not a secret-remove event");
    };
    assert_eq!((ev.secret_id.as_str(), ev.revision), ("secret:abc", 3));
    // And what is stored now uses the new name.
    let data = Event::SecretChanged(ev_changed()).encode().unwrap();
    assert!(data.contains(r#""secret_id":"secret:abc""#), "{data}");
}

fn ev_changed() -> SecretChanged {
    SecretChanged {
        secret_id: "secret:abc".into(),
        label: None,
        meta: m(),
    }
}

#[test]
fn decoding_refuses_data_of_another_kind_without_echoing_it() {
    let e = Event::decode("relation-changed", Some("db"), r#"{"endpoint":"cache","relation_id":1,"remote_app":null,"remote_unit":null,"departing_unit":null}"#).unwrap_err();
    assert!(e.reason.contains("db-relation-changed") || e.reason.contains("cache"));
    let e = Event::decode("secret-changed", None, r#"{"id": 5, "label": "hunter2"}"#).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = Event::decode("no-such-kind", None, "{}").unwrap_err();
    assert_eq!(e.kind, "no-such-kind");
    assert!(Event::decode("install", None, "not json").is_err());
}

#[test]
fn runtime_guard_names_the_event_and_the_reason() {
    let cases = [
        ("backup-action", "must answer its caller now"),
        ("secret-expired", "fires it again until a new revision"),
        ("secret-rotate", "fires it again until a new revision"),
        ("stop", "no event will follow"),
        ("remove", "no event will follow"),
        ("pre-commit", "framework events are part of this dispatch"),
        ("commit", "framework events are part of this dispatch"),
        (
            "collect-app-status",
            "framework events are part of this dispatch",
        ),
        (
            "collect-unit-status",
            "framework events are part of this dispatch",
        ),
    ];
    let mut refused = 0;
    for mut ev in samples() {
        let kind = ev.kind().to_string();
        match cases.iter().find(|(k, _)| *k == kind) {
            Some((_, reason)) => {
                let e = ev.defer().unwrap_err();
                let msg = e.to_string();
                assert!(msg.starts_with(&format!("cannot defer {kind}: ")), "{msg}");
                assert!(msg.contains(reason), "{msg}");
                assert!(!ev.is_deferred());
                refused += 1;
            }
            None => {
                ev.defer().unwrap();
                assert!(ev.is_deferred(), "{kind}");
            }
        }
    }
    assert_eq!(refused, cases.len());
}

#[test]
fn typed_defer_sets_the_flag() {
    let mut ev = ConfigChanged { meta: m() };
    assert!(!ev.is_deferred());
    assert_eq!(ev.defer(), Ok(())); // one signature with Event::defer, never an error here
    assert!(ev.is_deferred());
    assert!(EventType::is_deferred(&ev));
    // The trait's `defer` (what the prelude brings) does the same.
    let mut again = ConfigChanged { meta: m() };
    assert_eq!(EventType::defer(&mut again), Ok(()));
    assert!(again.is_deferred());
}

#[test]
fn action_debug_hides_parameter_values() {
    let ev = samples()
        .into_iter()
        .find_map(ActionEvent::from_event)
        .unwrap();
    let dbg = format!("{ev:?}");
    assert!(dbg.contains("target") && !dbg.contains("s3"), "{dbg}");
    #[derive(serde::Deserialize)]
    struct P {
        target: String,
    }
    assert_eq!(ev.params::<P>().unwrap().target, "s3");
    let e = ev.params::<u32>().unwrap_err();
    assert!(e.to_string().contains("action backup") && !e.to_string().contains("s3"));
}
