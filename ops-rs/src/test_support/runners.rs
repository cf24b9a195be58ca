//! Hook-tool runners for tests: answering everything alike, failing, a small Juju answering
//! by exact command line, and the model over it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::hookcmds::{HookToolFailure, RecordingRunner};
use crate::juju_version::JujuVersion;
use crate::metadata::CharmMeta;
use crate::model::Model;

/// A runner answering each exact command line from `answers`; a line starting with `!` as the
/// answer makes the tool fail with the rest as stderr; unknown lines answer empty.
pub(crate) fn juju(answers: &[(&str, &str)]) -> RecordingRunner {
    let map: HashMap<String, String> = answers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    RecordingRunner::new(move |c| {
        let line = c.line();
        // keys ending in `#file=` match any line they begin (secret file paths vary)
        let answer = map.get(&line).or_else(|| {
            map.iter()
                .find(|(k, _)| k.ends_with("#file=") && line.starts_with(k.as_str()))
                .map(|(_, v)| v)
        });
        match answer {
            Some(a) if a.starts_with('!') => Err(HookToolFailure {
                tool: c.tool.clone(),
                args: c.args.clone(),
                exit_code: Some(1),
                signal: None,
                stderr: a[1..].to_owned(),
            }),
            Some(a) => Ok(a.as_bytes().to_vec()),
            None => Ok(Vec::new()),
        }
    })
}

pub(crate) const META: &str = r#"
name: web
requires:
  db: {interface: pg}
peers:
  cluster: {interface: web_peers}
config:
  options:
    port: {type: int, default: 8080}
    name: {type: string}
    ratio: {type: float, default: 0.5}
    debug: {type: boolean, default: false}
actions:
  backup:
    params:
      target: {type: string}
      level: {type: integer, default: 1}
    required: [target]
    additionalProperties: false
"#;

/// A model for `web/0` with [`META`], on Juju 3.6.4 (the testing API's default).
pub(crate) fn model(r: &RecordingRunner) -> Model {
    let meta = CharmMeta::from_charmcraft_yaml(META).unwrap_or_default();
    Model::new(Arc::new(r.clone()), "web/0")
        .with_meta(Arc::new(meta))
        .with_juju_version(JujuVersion::new(3, 6, 4))
}

/// A runner answering every call with `answer` (stdout) and recording calls.
pub(crate) fn answering(answer: &'static str) -> RecordingRunner {
    RecordingRunner::new(move |_| Ok(answer.as_bytes().to_vec()))
}

/// A runner whose every call fails with `stderr`.
pub(crate) fn failing(stderr: &'static str) -> RecordingRunner {
    RecordingRunner::new(move |c| {
        Err(HookToolFailure {
            tool: c.tool.clone(),
            args: c.args.clone(),
            exit_code: Some(1),
            signal: None,
            stderr: stderr.to_owned(),
        })
    })
}

/// The runner a dispatch test needs: `is-leader` answers `leader`, `action-get` answers
/// `{"target": "s3"}`, everything else answers nothing.
pub(crate) fn dispatch_runner(leader: bool) -> RecordingRunner {
    RecordingRunner::new(move |c| {
        Ok(match c.tool.as_str() {
            "is-leader" => {
                if leader {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            }
            "action-get" => br#"{"target": "s3"}"#.to_vec(),
            _ => Vec::new(),
        })
    })
}
