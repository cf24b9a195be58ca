//! bag-schema: relation databags checked against JSON schemas, for the tests of the
//! workspace's interface libraries (dev-only, not published).
//!
//! Each interface crate keeps its schemas in `tests/schemas/` and says which schema fits
//! which bag; this crate holds what they share:
//!
//! | Need | Item |
//! | --- | --- |
//! | a schema file read and compiled, its errors for an instance, one line each | [`Schema`] |
//! | a databag as the JSON object a schema describes (values as text, or decoded) | [`decode`], [`Values`] |
//! | both bags a unit wrote on a relation, against one schema of `{"unit", "app"}` | [`relation_errors`], [`assert_relation_valid`] |
//!
//! ```
//! use bag_schema::{Schema, Values, decode};
//! use serde_json::json;
//!
//! let schema = Schema::new(
//!     "requirer.json",
//!     &json!({"type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}}}),
//! )?;
//! let bag = [("port".to_owned(), "8080".to_owned())].into();
//! let instance = decode(&bag, Values::Json).map_err(|e| e.join("\n"))?;
//! assert!(schema.errors(&instance).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bag;
mod error;
mod relation;
mod schema;

pub use bag::{JUJU_KEYS, Values, decode};
pub use error::SchemaError;
pub use relation::{assert_relation_valid, relation_errors};
pub use schema::Schema;
