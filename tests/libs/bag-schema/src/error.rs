//! [`SchemaError`]: a schema that cannot be used.

use std::path::PathBuf;

/// A schema that cannot be used: the file cannot be read, is not JSON, or is not a schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema file cannot be read.
    #[error(
        "cannot read the schema {path}: {source}; is the path relative to the crate's manifest?"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The schema file is not JSON.
    #[error("the schema {path} is not JSON: {source}; fix the file")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// Where and why.
        #[source]
        source: serde_json::Error,
    },
    /// The document is JSON but not a schema jsonschema compiles.
    #[error("the schema {name} does not compile: {message}; fix the schema")]
    Compile {
        /// The schema's name (its file name, or the name given).
        name: String,
        /// What jsonschema said.
        message: String,
    },
}
