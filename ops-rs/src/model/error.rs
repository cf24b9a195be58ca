//! The model's error type, and the one place where hook-tool failures are classified.

use crate::hookcmds::{HookToolError, HookToolFailure};

/// An error from the model: a hook tool failed, answered something unexpected, or the charm
/// asked for something Juju would refuse (checked before any tool runs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A hook tool failed (and the failure is none of the more specific kinds below).
    #[error(transparent)]
    HookTool(#[from] HookToolFailure),
    /// A hook tool's answer could not be understood.
    #[error("unexpected answer from `{tool}`: {detail}")]
    BadAnswer {
        /// The tool.
        tool: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The charm asked for something the model does not allow (e.g. setting `error` status).
    #[error("{0}")]
    Invalid(String),
    /// The relation is gone (removed, or being removed): Juju no longer knows it.
    #[error("relation not found: {failure}")]
    RelationNotFound {
        /// The hook-tool failure that said so.
        failure: HookToolFailure,
    },
    /// The secret does not exist, or this unit cannot see it.
    #[error("secret not found: {failure}")]
    SecretNotFound {
        /// The hook-tool failure that said so.
        failure: HookToolFailure,
    },
    /// Juju refused: access denied, permission denied, or not the leader.
    #[error("permission denied by Juju: {failure}")]
    PermissionDenied {
        /// The hook-tool failure that said so.
        failure: HookToolFailure,
    },
    /// The running Juju lacks this, or Juju refuses it in this kind of model (checked before
    /// any tool runs; the model module's docs list what needs which Juju).
    #[error("cannot {action}: {reason}")]
    Unsupported {
        /// What was attempted, e.g. "open port range 8000-8099/tcp".
        action: String,
        /// Why not, and what to do instead.
        reason: String,
    },
    /// Only the leader may do this, and this unit is not the leader.
    #[error(
        "only the leader unit may {action}; this unit is not the leader (check `is_leader()` first)"
    )]
    NotLeader {
        /// What was attempted, e.g. "set the application status".
        action: String,
    },
    /// Reading or writing a relation data bag that this unit may not access.
    #[error("cannot {access} the {bag} data bag of relation {relation}: {reason}")]
    RelationDataAccess {
        /// `read` or `write`.
        access: &'static str,
        /// Whose bag, e.g. `app 'web'` or `unit 'db/0'`.
        bag: String,
        /// The relation, as `endpoint:id`.
        relation: String,
        /// Why not.
        reason: String,
    },
    /// `relation()` or `single_relation()` found more than one relation on an endpoint.
    #[error(
        "expected at most one '{endpoint}' relation, found {count} (ids {ids:?}): use relations() and pick one by id"
    )]
    TooManyRelations {
        /// The endpoint.
        endpoint: String,
        /// How many.
        count: usize,
        /// Their ids.
        ids: Vec<u32>,
    },
    /// A config option's value does not fit: wrong type for the metadata, or for the charm's
    /// config struct.
    #[error("config option '{option}': expected {expected}, got {value}{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    Config {
        /// The option.
        option: String,
        /// The expected type (from metadata, or the charm's struct).
        expected: String,
        /// The value received (JSON); `<secret id>` is never content.
        value: String,
        /// More detail, if any.
        detail: String,
    },
    /// Action parameters do not match the action's metadata or the charm's params struct.
    #[error("action '{action}': invalid parameters: {detail}")]
    ActionParams {
        /// The action.
        action: String,
        /// What is wrong.
        detail: String,
    },
}

/// What Juju's relation tools print when the relation is gone: the hook context's
/// `Relation(id)` fails with `relation not found` (`errors.NotFoundf("relation")`), which
/// the `-r` option reports as `invalid value "db:7" for option -r: relation not found`.
const RELATION_NOT_FOUND: &str = "relation not found";

const RELATION_TOOLS: &[&str] = &[
    "relation-ids",
    "relation-list",
    "relation-get",
    "relation-set",
    "relation-model-get",
    "network-get",
];

const DENIED: &[&str] = &[
    "access denied",
    "permission denied",
    "not the leader",
    "cannot write relation settings",
];

/// A hook tool's error, as the model sees it: a failure is classified
/// ([`ModelError::from_failure`]), the rest keep their meaning.
impl From<HookToolError> for ModelError {
    fn from(e: HookToolError) -> ModelError {
        match e {
            HookToolError::Failed(failure) => ModelError::from_failure(failure),
            HookToolError::BadAnswer { tool, detail } => ModelError::BadAnswer { tool, detail },
            HookToolError::Invalid(message) => ModelError::Invalid(message),
            // `HookToolError` is non-exhaustive for users; every variant is handled above,
            // and a new one must choose its meaning here.
        }
    }
}

impl ModelError {
    /// Classifies a hook-tool failure (the single place this is decided):
    ///
    /// 1. a relation tool (`relation-*`, `network-get`) whose stderr says
    ///    `relation not found` → [`ModelError::RelationNotFound`] (exactly Python ops' test:
    ///    that is what Juju prints for a relation it no longer knows; `permission denied`
    ///    is a refusal, not a missing relation);
    /// 2. a `secret-*` tool whose stderr says `not found` → [`ModelError::SecretNotFound`];
    /// 3. stderr says access denied, permission denied, not the leader, or cannot write
    ///    relation settings → [`ModelError::PermissionDenied`];
    /// 4. anything else → [`ModelError::HookTool`].
    ///
    /// Only a tool that ran and answered ([`HookToolFailure::answered`]) is classified: one
    /// that could not be started (not executable: `Permission denied`) or was ended by a
    /// signal said nothing about what Juju allows, whatever its error text.
    ///
    /// `action-set` arguments are redacted to their keys (results may be sensitive; see
    /// [`HookToolFailure::redact`]).
    pub fn from_failure(mut failure: HookToolFailure) -> ModelError {
        failure.redact();
        if !failure.answered() {
            return ModelError::HookTool(failure);
        }
        let stderr = failure.stderr.to_lowercase();
        if RELATION_TOOLS.contains(&failure.tool.as_str()) && stderr.contains(RELATION_NOT_FOUND) {
            return ModelError::RelationNotFound { failure };
        }
        if failure.tool.starts_with("secret-") && stderr.contains("not found") {
            return ModelError::SecretNotFound { failure };
        }
        if DENIED.iter().any(|d| stderr.contains(d)) {
            return ModelError::PermissionDenied { failure };
        }
        ModelError::HookTool(failure)
    }

    /// Whether this says the relation is gone.
    pub fn is_relation_not_found(&self) -> bool {
        matches!(self, ModelError::RelationNotFound { .. })
    }

    /// Whether this says the secret does not exist (or cannot be seen).
    pub fn is_secret_not_found(&self) -> bool {
        matches!(self, ModelError::SecretNotFound { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(tool: &str, stderr: &str) -> ModelError {
        ModelError::from_failure(HookToolFailure {
            tool: tool.into(),
            args: vec!["x".into()],
            exit_code: Some(1),
            signal: None,
            stderr: stderr.into(),
        })
    }

    #[test]
    fn classification_table() {
        let cases: &[(&str, &str, &str)] = &[
            // What Juju's relation tools print for a relation they no longer know.
            (
                "relation-get",
                "ERROR invalid value \"db:7\" for option -r: relation not found",
                "RelationNotFound",
            ),
            (
                "relation-get",
                "ERROR relation not found",
                "RelationNotFound",
            ),
            (
                "relation-list",
                "ERROR Relation Not Found",
                "RelationNotFound",
            ),
            (
                "relation-model-get",
                "relation not found",
                "RelationNotFound",
            ),
            (
                "network-get",
                "ERROR invalid value \"9\" for option -r: relation not found",
                "RelationNotFound",
            ),
            // Juju never says this of a relation; it is no relation-not-found.
            ("relation-get", "ERROR relation 7 not found", "HookTool"),
            ("relation-ids", "ERROR relation 3x not found", "HookTool"),
            // A refusal is a refusal, on the relation tools too.
            (
                "relation-set",
                "ERROR permission denied",
                "PermissionDenied",
            ),
            (
                "relation-get",
                "ERROR permission denied",
                "PermissionDenied",
            ),
            (
                "relation-set",
                "ERROR cannot write relation settings",
                "PermissionDenied",
            ),
            // Only the relation tools say a relation is gone.
            ("storage-get", "relation not found", "HookTool"),
            (
                "secret-get",
                "ERROR secret \"x\" not found",
                "SecretNotFound",
            ),
            ("secret-info-get", "not found", "SecretNotFound"),
            ("secret-set", "ERROR permission denied", "PermissionDenied"),
            (
                "status-set",
                "ERROR this unit is not the leader",
                "PermissionDenied",
            ),
            (
                "leader-set",
                "cannot write relation settings",
                "PermissionDenied",
            ),
            ("config-get", "access denied", "PermissionDenied"),
            ("storage-get", "storage not found", "HookTool"),
            ("status-set", "boom", "HookTool"),
        ];
        for (tool, stderr, want) in cases {
            let got = match fail(tool, stderr) {
                ModelError::RelationNotFound { .. } => "RelationNotFound",
                ModelError::SecretNotFound { .. } => "SecretNotFound",
                ModelError::PermissionDenied { .. } => "PermissionDenied",
                ModelError::HookTool(_) => "HookTool",
                other => panic!("{other}"),
            };
            assert_eq!(&got, want, "{tool}: {stderr}");
        }
    }

    #[test]
    fn a_tool_that_did_not_answer_is_not_classified_by_its_error_text() {
        let not_started = ModelError::from_failure(HookToolFailure::not_started(
            "relation-get",
            &[],
            std::path::Path::new("/bin/relation-get"),
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        ));
        assert!(
            matches!(not_started, ModelError::HookTool(_)),
            "{not_started}"
        );
        assert!(
            !not_started.to_string().contains("by Juju"),
            "{not_started}"
        );
        let killed = ModelError::from_failure(HookToolFailure {
            tool: "secret-get".into(),
            args: vec![],
            exit_code: None,
            signal: Some(9),
            stderr: "secret not found; permission denied".into(),
        });
        assert!(matches!(killed, ModelError::HookTool(_)), "{killed}");
    }

    #[test]
    fn action_set_values_are_redacted() {
        let e = ModelError::from_failure(HookToolFailure {
            tool: "action-set".into(),
            args: vec!["password=hunter2".into(), "a.b=c".into()],
            exit_code: Some(1),
            signal: None,
            stderr: "bad".into(),
        });
        let text = format!("{e} {e:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("password=<redacted>"), "{text}");
    }

    #[test]
    fn error_is_send_sync() {
        fn assert_impls<T: Send + Sync + 'static>() {}
        assert_impls::<ModelError>();
    }
}
