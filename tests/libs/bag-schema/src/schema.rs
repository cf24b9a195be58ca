//! [`Schema`]: a JSON schema compiled, giving an instance's errors one line each.

use std::path::Path;

use serde_json::Value;

use crate::SchemaError;

/// A JSON schema, compiled, with the name its errors are reported under. `format` keywords
/// are assertions (a `uri` that is not one is an error), whatever the schema's draft.
#[derive(Debug)]
pub struct Schema {
    name: String,
    document: Value,
    validator: jsonschema::Validator,
}

impl Schema {
    /// Compiles `document`, naming it `name` in its errors.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Compile`]: the document is not a schema jsonschema compiles.
    ///
    /// ```
    /// let schema = bag_schema::Schema::new("port.json", &serde_json::json!({"type": "integer"}))?;
    /// assert_eq!(schema.name(), "port.json");
    /// assert!(bag_schema::Schema::new("bad.json", &serde_json::json!({"type": 3})).is_err());
    /// # Ok::<(), bag_schema::SchemaError>(())
    /// ```
    pub fn new(name: &str, document: &Value) -> Result<Schema, SchemaError> {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(document)
            .map_err(|e| SchemaError::Compile {
                name: name.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Schema {
            name: name.to_owned(),
            document: document.clone(),
            validator,
        })
    }

    /// Reads and compiles the schema file at `path`, naming it by its file name.
    ///
    /// # Errors
    ///
    /// The file cannot be read ([`SchemaError::Read`]), is not JSON
    /// ([`SchemaError::NotJson`]), or is not a schema ([`SchemaError::Compile`]).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("bag-schema-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("port.json");
    /// std::fs::write(&path, r#"{"type": "integer"}"#)?;
    /// let schema = bag_schema::Schema::load(&path)?;
    /// assert_eq!(schema.name(), "port.json");
    /// assert!(bag_schema::Schema::load(dir.join("missing.json")).is_err());
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Schema, SchemaError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        let document: Value =
            serde_json::from_str(&text).map_err(|source| SchemaError::NotJson {
                path: path.to_owned(),
                source,
            })?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Schema::new(&name, &document)
    }

    /// The name the schema's errors are reported under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema document, for keywords of our own such as `x-databag-values`.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The errors of `instance` against the schema, one line each
    /// (`<name>: <error> at <where in the instance>`); empty when it is valid.
    ///
    /// ```
    /// let schema = bag_schema::Schema::new(
    ///     "port.json",
    ///     &serde_json::json!({"properties": {"port": {"type": "integer"}}}),
    /// )?;
    /// assert!(schema.errors(&serde_json::json!({"port": 8080})).is_empty());
    /// assert_eq!(
    ///     schema.errors(&serde_json::json!({"port": "8080"})),
    ///     [r#"port.json: "8080" is not of type "integer" at /port"#]
    /// );
    /// # Ok::<(), bag_schema::SchemaError>(())
    /// ```
    pub fn errors(&self, instance: &Value) -> Vec<String> {
        self.validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e} at {}", self.name, e.instance_path()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_are_asserted_whatever_the_draft() {
        for draft in [
            "https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft-07/schema#",
        ] {
            let schema =
                Schema::new("url.json", &json!({"$schema": draft, "format": "uri"})).unwrap();
            assert!(schema.errors(&json!("http://a/")).is_empty(), "{draft}");
            assert_eq!(schema.errors(&json!("not a uri")).len(), 1, "{draft}");
        }
    }

    #[test]
    fn a_file_that_is_not_json_or_not_a_schema_says_which() {
        let dir = std::env::temp_dir().join(format!("bag-schema-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = dir.join("text.json");
        std::fs::write(&text, "{not json").unwrap();
        let err = Schema::load(&text).unwrap_err();
        assert!(matches!(err, SchemaError::NotJson { .. }), "{err}");
        assert!(err.to_string().contains("text.json"), "{err}");
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"type": 3}"#).unwrap();
        let err = Schema::load(&bad).unwrap_err();
        assert!(matches!(err, SchemaError::Compile { .. }), "{err}");
        assert!(err.to_string().starts_with("the schema bad.json"), "{err}");
        let err = Schema::load(dir.join("missing.json")).unwrap_err();
        assert!(matches!(err, SchemaError::Read { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
