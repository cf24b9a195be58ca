//! Every `Container` method through a real socket.

use std::collections::BTreeMap;

use pebble_client::retry::RetryPolicy;
use pebble_client::{
    AddNotice, CheckStatus, FileErrorKind, FileType, ListFilesOptions, MakeDirOptions, NoticeType,
    NoticesQuery, PushOptions, ServiceStatus,
};

use super::{LAYER, container, my_uid, sim_in};
use crate::container::{ContainerError, Layer};

fn statuses(c: &crate::container::Container) -> BTreeMap<String, ServiceStatus> {
    c.get_services(&[])
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.current))
        .collect()
}

#[test]
fn layers_plan_and_services() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let c = container(&sim);
    assert!(c.can_connect());

    c.add_layer("base", &Layer::from_yaml(LAYER).unwrap(), false)
        .unwrap();
    c.add_layer_yaml(
        "base",
        "services:\n  db:\n    override: merge\n    environment:\n      A: b\n",
        true,
    )
    .unwrap();
    let e = c.add_layer_yaml("base", LAYER, false).unwrap_err();
    assert_eq!(e.api().map(|a| a.status_code), Some(400), "{e}");
    let plan = c.get_plan().unwrap();
    assert_eq!(plan.services.keys().collect::<Vec<_>>(), ["db", "web"]);
    assert_eq!(sim.layer_labels(), ["base"]);

    c.replan().unwrap();
    assert_eq!(statuses(&c)["web"], ServiceStatus::Active);
    assert_eq!(statuses(&c)["db"], ServiceStatus::Inactive);
    c.start(&["db"]).unwrap();
    assert!(c.get_service("db").unwrap().is_running());
    c.stop(&["web", "db"]).unwrap();
    assert_eq!(statuses(&c)["web"], ServiceStatus::Inactive);
    c.restart(&["web"]).unwrap();
    assert!(c.get_service("web").unwrap().is_running());
    c.stop(&["web"]).unwrap();
    c.autostart().unwrap();
    assert!(c.get_service("web").unwrap().is_running());
    c.send_signal("SIGHUP", &["web"]).unwrap();

    let e = c.get_service("nope").unwrap_err();
    assert!(matches!(e, ContainerError::ServiceNotFound { .. }), "{e}");
    assert!(e.is_not_found());
    assert!(c.get_services(&["web"]).unwrap().contains_key("web"));
    // No names: refused before anything is sent.
    assert!(c.start(&[]).is_err());
}

#[test]
fn a_failed_change_is_the_change_error_with_its_logs() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let c = container(&sim);
    sim.fail_next_start("db", "exited quickly with code 1");
    let e = c.start(&["db"]).unwrap_err();
    assert!(e.change().is_some(), "{e:?}");
    assert!(!e.is_unreachable());
    let chain = crate::error_chain::error_chain(&e);
    assert!(
        chain.starts_with("cannot start services [db] in container web"),
        "{chain}"
    );
    assert!(chain.contains("exited quickly with code 1"), "{chain}");
}

#[test]
fn a_zero_change_timeout_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let c = container(&sim).with_change_timeout(std::time::Duration::ZERO);
    c.replan().unwrap();
    assert_eq!(sim.requests("/v1/services"), 1);
    assert_eq!(sim.total_requests(), 1, "no /wait request");
}

#[test]
fn restart_falls_back_to_stop_and_start_on_an_old_pebble() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let c = container(&sim);
    c.replan().unwrap();
    sim.inject(
        pebble_client::testing::FaultRule::new(pebble_client::testing::Fault::error(
            400,
            "action \"restart\" is unsupported",
        ))
        .path("/v1/services")
        .times(1),
    );
    c.restart(&["web"]).unwrap();
    assert!(c.get_service("web").unwrap().is_running());
    let summaries: Vec<String> = sim.changes().into_iter().map(|c| c.summary).collect();
    assert!(
        summaries.iter().any(|s| s.starts_with("Stop")),
        "{summaries:?}"
    );
}

#[test]
fn checks() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let c = container(&sim);
    let all = c.get_checks(&[]).unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["up"]);
    assert_eq!(c.get_check("up").unwrap().status, CheckStatus::Up);
    sim.fail_check("up", "connection refused").unwrap();
    assert_eq!(c.get_check("up").unwrap().status, CheckStatus::Down);
    assert!(
        c.get_checks_at(pebble_client::CheckLevel::Ready, &[])
            .unwrap()
            .is_empty()
    );
    let e = c.get_check("nope").unwrap_err();
    assert!(matches!(e, ContainerError::CheckNotFound { .. }), "{e}");
    assert_eq!(c.stop_checks(&["up"]).unwrap(), ["up"]);
    assert_eq!(c.stop_checks(&["up"]).unwrap(), Vec::<String>::new());
    assert_eq!(c.start_checks(&["up"]).unwrap(), ["up"]);
}

#[test]
fn files() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let c = container(&sim);

    let e = c
        .push("/etc/web/web.conf", "port = 1\n", &PushOptions::new())
        .unwrap_err();
    assert_eq!(
        e.path_error().map(|p| p.kind.clone()),
        Some(FileErrorKind::NotFound),
        "{e}"
    );
    c.push(
        "/etc/web/web.conf",
        "port = 8080\n",
        &PushOptions::new().make_dirs(true).permissions(0o600),
    )
    .unwrap();
    assert_eq!(c.pull_string("/etc/web/web.conf").unwrap(), "port = 8080\n");
    let bytes = vec![0xff_u8, 0, 1];
    c.push("/etc/web/blob", &bytes, &PushOptions::new())
        .unwrap();
    assert_eq!(c.pull("/etc/web/blob").unwrap(), bytes);
    let e = c.pull_string("/etc/web/blob").unwrap_err();
    assert!(matches!(e, ContainerError::NotUtf8 { .. }), "{e}");

    let listed = c.list_files("/etc/web", &ListFilesOptions::new()).unwrap();
    let names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["blob", "web.conf"]);
    let conf = listed.iter().find(|f| f.name == "web.conf").unwrap();
    assert_eq!(conf.permissions, "600");
    let only = c
        .list_files("/etc/web", &ListFilesOptions::new().pattern("*.conf"))
        .unwrap();
    assert_eq!(only.len(), 1);

    assert!(c.exists("/etc/web/web.conf").unwrap());
    assert!(!c.exists("/etc/web/missing").unwrap());
    assert!(c.is_dir("/etc/web").unwrap());
    assert!(!c.is_dir("/etc/web/web.conf").unwrap());
    assert!(!c.is_dir("/nowhere").unwrap());

    c.make_dir(
        "/var/lib/web/data",
        &MakeDirOptions::new().make_parents(true),
    )
    .unwrap();
    assert!(c.is_dir("/var/lib/web/data").unwrap());
    assert!(
        c.make_dir("/var/lib/web/data", &MakeDirOptions::new())
            .is_err()
    );

    c.remove_path("/etc/web/blob", false).unwrap();
    assert!(!c.exists("/etc/web/blob").unwrap());
    assert!(c.remove_path("/etc/web", false).is_err(), "not empty");
    c.remove_path("/etc/web", true).unwrap();
    assert!(!c.exists("/etc/web").unwrap());
    let e = c.pull("/etc/web/web.conf").unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(
        crate::error_chain::error_chain(&e)
            .starts_with("cannot pull /etc/web/web.conf in container web"),
        "{e}"
    );
    assert!(sim.host_path("/var/lib/web/data").unwrap().is_dir());
}

#[test]
fn notices_and_the_raw_client() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let c = container(&sim);
    let id = sim
        .notify(my_uid(&sim), "example.com/ready", &[("port", "80")], None)
        .unwrap();
    let n = c.get_notice(&id).unwrap();
    assert_eq!(n.key, "example.com/ready");
    assert_eq!(n.last_data.get("port").map(String::as_str), Some("80"));

    let other = c
        .pebble()
        .notify(&AddNotice::new("example.com/other"))
        .unwrap();
    let found = c
        .get_notices(
            &NoticesQuery::new()
                .types([NoticeType::Custom])
                .keys(["example.com/other"]),
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, other);

    let e = c.get_notice("12345").unwrap_err();
    assert!(matches!(e, ContainerError::NoticeNotFound { .. }), "{e}");
}

#[test]
fn can_connect_is_a_point_in_time_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    // A fresh connection each time: an open connection outlives the socket file.
    let fresh = || container(&sim).with_retry(RetryPolicy::never());
    assert!(fresh().can_connect());
    sim.remove_socket(None);
    assert!(!fresh().can_connect());
    sim.refuse_connections(None);
    assert!(!fresh().can_connect());
    sim.restore_socket();
    let c = fresh();
    assert!(c.can_connect());
    sim.inject(pebble_client::testing::FaultRule::new(
        pebble_client::testing::Fault::error(500, "boom"),
    ));
    assert!(!c.can_connect());
}

#[test]
fn file_types_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let c = container(&sim);
    c.make_dir("/d", &MakeDirOptions::new()).unwrap();
    let me = c
        .list_files("/d", &ListFilesOptions::new().itself(true))
        .unwrap();
    assert_eq!(me[0].file_type, FileType::Directory);
}
