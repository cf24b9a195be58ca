//! Workload containers and resources.

use serde::{Deserialize, Serialize};

/// A workload container (Kubernetes sidecar charms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ContainerMeta {
    /// The `oci-image` resource the container runs, if declared.
    pub resource: Option<String>,
    /// Storage mounted into the container.
    pub mounts: Vec<Mount>,
}

/// A storage mount in a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Mount {
    /// The storage name.
    pub storage: String,
    /// Where it is mounted in the container.
    #[serde(default)]
    pub location: Option<String>,
}

/// The kind of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceType {
    /// A container image.
    OciImage,
    /// A file attached to the application.
    File,
}

/// A resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceMeta {
    /// oci-image or file.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// For a file resource, the file name.
    #[serde(default)]
    pub filename: Option<String>,
    /// What the resource is.
    #[serde(default)]
    pub description: String,
}
