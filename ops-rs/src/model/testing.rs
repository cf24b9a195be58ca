//! Test helpers: a fake Juju answering by exact command line.

use std::collections::HashMap;
use std::sync::Arc;

use super::Model;
use crate::hookcmds::{HookToolFailure, RecordingRunner};
use crate::metadata::CharmMeta;

/// A runner answering each exact command line from `answers`; a line starting with `!` as the
/// answer makes the tool fail with the rest as stderr; unknown lines answer empty.
pub fn juju(answers: &[(&str, &str)]) -> RecordingRunner {
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
                stderr: a[1..].to_owned(),
            }),
            Some(a) => Ok(a.as_bytes().to_vec()),
            None => Ok(Vec::new()),
        }
    })
}

pub const META: &str = r#"
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

/// A model for `web/0` with [`META`].
pub fn model(r: &RecordingRunner) -> Model {
    let meta = CharmMeta::from_charmcraft_yaml(META).unwrap_or_default();
    Model::new(Arc::new(r.clone()), "web/0").with_meta(Arc::new(meta))
}
