//! The per-dispatch cache of hook-tool answers.
//!
//! Within one hook Juju's answers to these questions cannot change except through the charm's
//! own writes, so each is asked at most once; every write through the model invalidates what
//! it could have changed:
//!
//! | Cached | Invalidated by |
//! |---|---|
//! | `is-leader` | a true answer, after [`LEADERSHIP_LEASE`](super::LEADERSHIP_LEASE) (30 s; see [`Model::is_leader`](super::Model::is_leader)) |
//! | `config-get` | — |
//! | `relation-ids`, `relation-list`, remote app | — |
//! | a relation data bag (`relation-get`) | `relation-set` on that bag |
//! | `goal-state` | — |
//! | `secret-info-get` (by id and by label) | `secret-set`, `secret-remove` of that secret |
//! | `opened-ports` | `open-port`, `close-port` |
//! | `action-get` | — |
//! | `storage-list`, `storage-get` | `storage-add` (the list) |
//! | `network-get`, `resource-get` | — |

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::hookcmds::goal_state::GoalState;
use crate::hookcmds::network::Network;
use crate::hookcmds::port::Port;
use crate::hookcmds::secret::SecretInfo;
use crate::hookcmds::storage::StorageDetails;

/// Identifies a relation data bag: relation id, member (unit or app name), app bag or not.
pub(crate) type BagKey = (u32, String, bool);

#[derive(Debug, Default)]
pub(crate) struct Cache {
    /// The answer and when it was asked for (before the tool ran).
    pub leader: Option<(bool, Instant)>,
    pub config: Option<Map<String, Value>>,
    pub relation_ids: HashMap<String, Vec<u32>>,
    pub relation_units: HashMap<u32, Vec<String>>,
    pub remote_app: HashMap<u32, Option<String>>,
    pub bags: HashMap<BagKey, BTreeMap<String, String>>,
    pub goal_state: Option<GoalState>,
    /// Keyed by `id:<id>` and `label:<label>`.
    pub secret_info: HashMap<String, SecretInfo>,
    pub opened_ports: Option<Vec<Port>>,
    pub action_params: Option<Map<String, Value>>,
    pub storage_ids: HashMap<String, Vec<u32>>,
    pub storage: HashMap<(String, u32), StorageDetails>,
    pub networks: HashMap<(String, Option<u32>), Network>,
    pub resources: HashMap<String, PathBuf>,
}

impl Cache {
    /// Forgets what is cached about a secret.
    pub fn forget_secret(&mut self, id: Option<&str>, label: Option<&str>) {
        let mut labels: Vec<String> = label.map(str::to_owned).into_iter().collect();
        if let Some(id) = id {
            if let Some(info) = self.secret_info.remove(&format!("id:{id}")) {
                labels.extend(info.label);
            }
        }
        for l in labels {
            if let Some(info) = self.secret_info.remove(&format!("label:{l}")) {
                self.secret_info.remove(&format!("id:{}", info.id));
            }
        }
    }
}
