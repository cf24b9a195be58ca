//! The private key never shows: not in a log line, a status, a hook tool's arguments or
//! input, an emitted event, the deferred queue, the stored state, nor the `Debug` output of
//! anything a run gives back, on every path (key generated, replaced when unreadable,
//! regenerated, certificates stored and renewed, the relation broken), in both modes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::juju::{SecretOwnership, SecretState};
use ops::testing::{Output, State};
use ops_interface_tls_certificates::v1::{Mode, PrivateKey, TlsError, TlsRequirer, labels};
use support::provider::{Ca, answer_all, certificates_bag};
use support::*;

/// The key material in `state`'s key secrets (every revision): each base64 line of the body
/// cut in pieces of 16 characters, so that any 31 characters of a line, shown anywhere,
/// are caught.
fn key_material(state: &State, into: &mut Vec<String>) {
    for secret in &state.juju.secrets {
        let is_key = secret
            .label
            .as_deref()
            .is_some_and(|l| l.contains("-private-key-"));
        if !is_key {
            continue;
        }
        for revision in &secret.revisions {
            let Some(pem) = revision.content.get("private-key") else {
                continue;
            };
            for line in pem.lines().filter(|l| !l.starts_with("-----")) {
                let chars: Vec<char> = line.chars().collect();
                into.extend(
                    chars
                        .chunks(16)
                        .filter(|c| c.len() == 16)
                        .map(|c| c.iter().collect::<String>()),
                );
            }
        }
    }
}

/// Everything a run shows: logs, statuses, tool calls, events, queue, stored state, and the
/// `Debug` of the whole output.
fn everything_shown(out: &Output) -> String {
    let mut shown = String::new();
    for l in &out.juju_log {
        shown.push_str(&l.message);
        shown.push('\n');
    }
    for c in &out.tool_calls {
        shown.push_str(&c.line());
        shown.push('\n');
        if let Some(stdin) = &c.stdin {
            shown.push_str(stdin);
            shown.push('\n');
        }
    }
    for e in &out.emitted_events {
        shown.push_str(&e.payload.to_string());
    }
    let st = &out.state;
    shown.push_str(&format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        st.juju.unit_status,
        st.juju.unit_status_history,
        st.juju.app_status,
        st.deferred,
        st.components,
        st.stored
    ));
    shown.push_str(&format!("{out:?}\n{out:#?}\n"));
    shown
}

struct Recorder {
    outputs: Vec<Output>,
    keys: Vec<String>,
}

impl Recorder {
    fn record(&mut self, out: Output) -> State {
        key_material(&out.state, &mut self.keys);
        let state = out.state.clone();
        self.outputs.push(out);
        state
    }

    fn check(&self) {
        // An RSA or EC private key holds its public half, which the CSRs carry by design: a
        // piece also found in relation data (CSRs, certificates) is public, and not checked.
        let mut public = String::new();
        for out in &self.outputs {
            for r in &out.state.juju.relations {
                for bag in [&r.local_unit_data, &r.local_app_data, &r.remote_app_data] {
                    for v in bag.values() {
                        public.push_str(&v.replace("\\n", "\n"));
                    }
                }
            }
        }
        let private: Vec<&String> = self
            .keys
            .iter()
            .filter(|k| !public.contains(k.as_str()))
            .collect();
        assert!(
            private.len() * 2 > self.keys.len(),
            "most of a private key is private: {} of {} pieces",
            private.len(),
            self.keys.len()
        );
        for (i, out) in self.outputs.iter().enumerate() {
            let shown = everything_shown(out);
            for k in &private {
                assert!(
                    !shown.contains(k.as_str()),
                    "run {i} shows private key material ({} characters of it)",
                    k.len()
                );
            }
        }
    }
}

#[test]
fn the_key_never_shows_on_any_path() {
    for (build, leader, mode) in [
        (unit_requirer as fn() -> TlsRequirer, false, Mode::Unit),
        (app_requirer as fn() -> TlsRequirer, true, Mode::App),
    ] {
        let ctx = context(build);
        let ca = Ca::root("ca");
        let rel = relation();
        let mut r = Recorder {
            outputs: Vec::new(),
            keys: Vec::new(),
        };
        // A first key, generated.
        let fresh = State::new().leader(leader).relation(rel.clone());
        r.record(ctx.run(ctx.on.relation_created(&rel), &fresh).unwrap());
        // A key secret that cannot be read is replaced (and that line is an error).
        let label = labels::private_key(mode, "web/0", ENDPOINT);
        let owner = match mode {
            Mode::Unit => SecretOwnership::Unit,
            Mode::App => SecretOwnership::Application,
        };
        let broken = SecretState::new(
            "secret:cqbrokenk3s3cret0000",
            owner,
            [("private-key", "junk")],
        )
        .label(&label);
        let state = State::new()
            .leader(leader)
            .relation(rel.clone())
            .secret(broken);
        let state = r.record(ctx.run(ctx.on.relation_created(&rel), &state).unwrap());
        let bag = certificates_bag(&answer_all(&ca, &csrs(&state, mode)));
        let state = with_relation(&state, |x| x.remote_app_data(bag));
        let state = r.record(ctx.run(ctx.on.relation_changed(&rel), &state).unwrap());
        let cert = state
            .juju
            .secrets
            .iter()
            .find(|s| {
                s.label
                    .as_deref()
                    .is_some_and(|l| l.contains("-certificate-"))
            })
            .unwrap()
            .clone();
        let state = r.record(ctx.run(ctx.on.secret_expired(&cert, 1), &state).unwrap());
        let params = serde_json::json!({"mode": mode.to_string()});
        let state = r.record(
            ctx.run(ctx.on.action("regenerate-key", params), &state)
                .unwrap(),
        );
        let state = r.record(ctx.run(ctx.on.relation_changed(&rel), &state).unwrap());
        r.record(ctx.run(ctx.on.relation_broken(&rel), &state).unwrap());
        r.check();
    }
}

#[test]
fn debug_and_errors_of_the_librarys_own_types_never_show_the_key() {
    let key =
        PrivateKey::generate(ops_interface_tls_certificates::v1::KeyAlgorithm::Rsa2048).unwrap();
    let body: Vec<&str> = key
        .pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let requirer = unit_requirer();
    let error = TlsError::StoredKey {
        mode: Mode::Unit,
        label: "l".into(),
        reason: "r".into(),
    };
    for shown in [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{requirer:?}"),
        format!("{error} {error:?}"),
    ] {
        for line in &body {
            assert!(!shown.contains(line), "{shown}");
        }
    }
}
