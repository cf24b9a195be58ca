//! The charm's metadata: what `charmcraft.yaml` (or the packed `metadata.yaml`, `config.yaml` and
//! `actions.yaml`) declares — endpoints, containers, storage, resources, config options, actions.
//!
//! The model uses it for config defaults and types, action parameter checks, and to know which
//! endpoints are peer relations.
//!
//! # Example
//!
//! ```
//! use ops::metadata::CharmMeta;
//! let meta = CharmMeta::from_charmcraft_yaml(r#"
//! name: web
//! summary: a web server
//! containers:
//!   nginx: {resource: nginx-image}
//! resources:
//!   nginx-image: {type: oci-image}
//! requires:
//!   db: {interface: postgresql_client, limit: 1}
//! peers:
//!   cluster: {interface: web_peers}
//! config:
//!   options:
//!     port: {type: int, default: 8080, description: the port}
//! actions:
//!   backup:
//!     params:
//!       target: {type: string}
//!     required: [target]
//! "#).unwrap();
//! assert_eq!(meta.name, "web");
//! assert!(meta.is_peer("cluster"));
//! assert_eq!(meta.relation("db").unwrap().limit, Some(1));
//! assert_eq!(meta.config.options["port"].default, Some(serde_json::json!(8080)));
//! assert_eq!(meta.actions["backup"].required, vec!["target".to_string()]);
//! ```

mod action;
mod action_format;
mod cache;
mod config;
mod container;
mod relation;
mod storage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use action::{ActionMeta, ParamProblem};
pub use cache::CACHE_FILE;
pub use config::{ConfigMeta, ConfigOption, ConfigType};
pub use container::{ContainerMeta, Mount, ResourceMeta, ResourceType};
pub use relation::{RelationMeta, RelationRole, RelationScope};
pub use storage::{StorageMeta, StorageType};

/// Metadata that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// A metadata file could not be read.
    #[error("cannot read charm metadata file {path}: {source}; is this the charm directory?")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither `metadata.yaml` nor `charmcraft.yaml` is in the charm directory.
    #[error("no charm metadata in {dir}: expected metadata.yaml (packed charm) or charmcraft.yaml")]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// A file is not valid YAML, or does not have the shape charm metadata has.
    #[error("invalid charm metadata in {file}{}: {detail}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Invalid {
        /// The file (or `<string>` for YAML given in memory).
        file: String,
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
        /// What was wrong.
        detail: String,
    },
}

/// A charm's metadata, merged from metadata, config and actions.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CharmMeta {
    /// The charm's name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// Long description.
    pub description: String,
    /// Whether the charm is a subordinate.
    pub subordinate: bool,
    /// Juju features the charm needs (`assumes`).
    pub assumes: Vec<Assumes>,
    /// Workload containers by name (Kubernetes sidecar charms).
    pub containers: BTreeMap<String, ContainerMeta>,
    /// Resources by name.
    pub resources: BTreeMap<String, ResourceMeta>,
    /// `requires` endpoints by name.
    pub requires: BTreeMap<String, RelationMeta>,
    /// `provides` endpoints by name.
    pub provides: BTreeMap<String, RelationMeta>,
    /// `peers` endpoints by name.
    pub peers: BTreeMap<String, RelationMeta>,
    /// Storage by name.
    pub storage: BTreeMap<String, StorageMeta>,
    /// Extra bindings (names only).
    pub extra_bindings: Vec<String>,
    /// Config options.
    pub config: ConfigMeta,
    /// Actions by name.
    pub actions: BTreeMap<String, ActionMeta>,
}

/// One `assumes` entry: a feature expression, or a group of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Assumes {
    /// A feature such as `k8s-api` or `juju >= 3.4`.
    Feature(String),
    /// All of these must hold.
    AllOf {
        /// The entries.
        #[serde(rename = "all-of")]
        all_of: Vec<Assumes>,
    },
    /// At least one of these must hold.
    AnyOf {
        /// The entries.
        #[serde(rename = "any-of")]
        any_of: Vec<Assumes>,
    },
}

/// The metadata part of the YAML, as written (charmcraft.yaml has more keys; they are ignored).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct RawMeta {
    name: String,
    summary: String,
    description: String,
    subordinate: bool,
    assumes: Vec<Assumes>,
    containers: BTreeMap<String, ContainerMeta>,
    resources: BTreeMap<String, ResourceMeta>,
    requires: BTreeMap<String, relation::RawRelation>,
    provides: BTreeMap<String, relation::RawRelation>,
    peers: BTreeMap<String, relation::RawRelation>,
    storage: BTreeMap<String, StorageMeta>,
    extra_bindings: Option<BTreeMap<String, serde_norway::Value>>,
    config: Option<ConfigMeta>,
    actions: Option<BTreeMap<String, ActionMeta>>,
}

fn parse_yaml<T: serde::de::DeserializeOwned + Default>(
    file: &str,
    text: &str,
) -> Result<T, MetadataError> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    // One pass: an empty document (only comments, or `~`) is `None`, "nothing declared".
    // Parsing is most of a cold dispatch's own work, so the text is not parsed twice.
    match serde_norway::from_str::<Option<T>>(text) {
        Ok(value) => Ok(value.unwrap_or_default()),
        // The typed pass stops at the first value of the wrong type, which can be the first
        // symptom of a syntax error further on (an unclosed `[`): report the syntax error
        // if there is one, as it is the thing to fix.
        Err(typed) => Err(match serde_norway::from_str::<serde_norway::Value>(text) {
            Err(syntax) => yaml_error(file, &syntax),
            Ok(_) => yaml_error(file, &typed),
        }),
    }
}

/// `metadata.yaml` with what `config.yaml` and `actions.yaml` declare in place of its own
/// `config` and `actions` (checked as the files they came from).
fn parse_packed(
    metadata: &str,
    config: Option<&str>,
    actions: Option<&str>,
) -> Result<RawMeta, MetadataError> {
    let mut raw: RawMeta = parse_yaml("metadata.yaml", metadata)?;
    if let Some(c) = config {
        let config: ConfigMeta = parse_yaml("config.yaml", c)?;
        config.check_defaults("config.yaml")?;
        raw.config = Some(config);
    }
    if let Some(a) = actions {
        raw.actions = Some(parse_yaml("actions.yaml", a)?);
    }
    Ok(raw)
}

/// A unified `charmcraft.yaml`.
fn parse_unified(text: &str) -> Result<RawMeta, MetadataError> {
    const FILE: &str = "charmcraft.yaml";
    let raw: RawMeta = parse_yaml(FILE, text)?;
    if let Some(config) = &raw.config {
        config.check_defaults(FILE)?;
    }
    Ok(raw)
}

/// The metadata files of a charm directory, as read: the packed form when `metadata.yaml`
/// exists, else the unified `charmcraft.yaml`.
#[derive(Debug)]
enum Sources {
    Packed {
        metadata: String,
        config: Option<String>,
        actions: Option<String>,
    },
    Unified(String),
}

impl Sources {
    fn read(dir: &Path) -> Result<Sources, MetadataError> {
        let read = |name: &str| -> Result<Option<String>, MetadataError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(s) => Ok(Some(s)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(MetadataError::Read { path, source }),
            }
        };
        if let Some(metadata) = read("metadata.yaml")? {
            return Ok(Sources::Packed {
                metadata,
                config: read("config.yaml")?,
                actions: read("actions.yaml")?,
            });
        }
        match read("charmcraft.yaml")? {
            Some(text) => Ok(Sources::Unified(text)),
            None => Err(MetadataError::NotFound {
                dir: dir.to_path_buf(),
            }),
        }
    }

    /// Each file by name, with its text (`None`: not there).
    fn files(&self) -> Vec<(&'static str, Option<&str>)> {
        match self {
            Sources::Packed {
                metadata,
                config,
                actions,
            } => vec![
                ("metadata.yaml", Some(metadata.as_str())),
                ("config.yaml", config.as_deref()),
                ("actions.yaml", actions.as_deref()),
            ],
            Sources::Unified(text) => vec![("charmcraft.yaml", Some(text.as_str()))],
        }
    }

    fn parse(&self) -> Result<RawMeta, MetadataError> {
        match self {
            Sources::Packed {
                metadata,
                config,
                actions,
            } => parse_packed(metadata, config.as_deref(), actions.as_deref()),
            Sources::Unified(text) => parse_unified(text),
        }
    }
}

fn yaml_error(file: &str, e: &serde_norway::Error) -> MetadataError {
    MetadataError::Invalid {
        file: file.to_owned(),
        line: e.location().map(|l| l.line()),
        detail: e.to_string(),
    }
}

impl CharmMeta {
    /// Reads the metadata of the charm in `dir`.
    ///
    /// A packed charm (what `charmcraft pack` writes) has `metadata.yaml` with optional
    /// `config.yaml` and `actions.yaml`: these are preferred when `metadata.yaml` exists.
    /// Otherwise the charmcraft 3 unified `charmcraft.yaml` is read (with its `config.options`
    /// and `actions` sections).
    pub fn from_charm_dir(dir: impl AsRef<Path>) -> Result<CharmMeta, MetadataError> {
        let raw = Sources::read(dir.as_ref())?.parse()?;
        Ok(Self::from_raw(raw))
    }

    /// [`from_charm_dir`](Self::from_charm_dir) for the charm being dispatched: reads the
    /// parsed copy that an earlier dispatch left in [`CACHE_FILE`] when it was made
    /// from exactly these files, and otherwise parses them and (if the directory is writable)
    /// leaves such a copy. Parsing YAML was most of a dispatch's own work.
    pub(crate) fn from_charm_dir_cached(dir: &Path) -> Result<CharmMeta, MetadataError> {
        let sources = Sources::read(dir)?;
        if let Some(raw) = cache::load(dir, &sources) {
            return Ok(Self::from_raw(raw));
        }
        let raw = sources.parse()?;
        cache::store(dir, &sources, &raw);
        Ok(Self::from_raw(raw))
    }

    /// Parses a charmcraft 3 unified `charmcraft.yaml`.
    pub fn from_charmcraft_yaml(text: &str) -> Result<CharmMeta, MetadataError> {
        Ok(Self::from_raw(parse_unified(text)?))
    }

    /// Parses the packed form: `metadata.yaml`, and optionally `config.yaml` (with an `options`
    /// map) and `actions.yaml` (action name → definition).
    pub fn from_packed_yaml(
        metadata: &str,
        config: Option<&str>,
        actions: Option<&str>,
    ) -> Result<CharmMeta, MetadataError> {
        Ok(Self::from_raw(parse_packed(metadata, config, actions)?))
    }

    fn from_raw(raw: RawMeta) -> CharmMeta {
        let rel = |m: BTreeMap<String, relation::RawRelation>, role| {
            m.into_iter()
                .map(|(k, v)| (k, v.with_role(role)))
                .collect::<BTreeMap<_, _>>()
        };
        CharmMeta {
            name: raw.name,
            summary: raw.summary,
            description: raw.description,
            subordinate: raw.subordinate,
            assumes: raw.assumes,
            containers: raw.containers,
            resources: raw.resources,
            requires: rel(raw.requires, RelationRole::Requires),
            provides: rel(raw.provides, RelationRole::Provides),
            peers: rel(raw.peers, RelationRole::Peer),
            storage: raw.storage,
            extra_bindings: raw
                .extra_bindings
                .map(|m| m.into_keys().collect())
                .unwrap_or_default(),
            config: raw.config.unwrap_or_default(),
            actions: raw.actions.unwrap_or_default(),
        }
    }

    /// The endpoint `name`, whichever of requires, provides or peers declares it.
    pub fn relation(&self, name: &str) -> Option<&RelationMeta> {
        self.requires
            .get(name)
            .or_else(|| self.provides.get(name))
            .or_else(|| self.peers.get(name))
    }

    /// Every endpoint: requires, then provides, then peers.
    pub fn relations(&self) -> impl Iterator<Item = (&str, &RelationMeta)> {
        self.requires
            .iter()
            .chain(&self.provides)
            .chain(&self.peers)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Whether `endpoint` is a peer relation.
    pub fn is_peer(&self, endpoint: &str) -> bool {
        self.peers.contains_key(endpoint)
    }
}

#[cfg(test)]
mod tests;
