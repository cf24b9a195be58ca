//! `/v1/files`: pull, push, list, make-dir, remove.

use bytes::Bytes;
use serde::Deserialize;

use super::{Client, with_query};
use crate::envelope::Envelope;
use crate::error::{Error, PathError};
use crate::multipart::{self, Part};
use crate::retry::Call;
use crate::transport::{RawRequest, RawResponse};
use crate::types::notice::QueryBuilder;
use crate::types::{
    FileInfo, FileResult, ListFilesOptions, MakeDirOptions, PushOptions, RemoveOptions,
};

/// One file from [`Client::pull_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    /// The path asked for.
    pub path: String,
    /// Its content, or why it could not be read.
    pub content: Result<Bytes, PathError>,
}

#[derive(Deserialize)]
struct ResponseEnvelope {
    #[serde(default)]
    result: Vec<FileResult>,
}

pub(super) fn first_path_error(results: Vec<FileResult>) -> Result<(), Error> {
    for r in results {
        if let Some(e) = r.error {
            return Err(PathError {
                kind: e.kind,
                path: r.path,
                message: e.message,
            }
            .into());
        }
    }
    Ok(())
}

fn parse_pull(paths: &[&str], resp: RawResponse) -> Result<Vec<PulledFile>, Error> {
    let ct = resp.content_type.as_deref().unwrap_or("");
    if multipart::boundary_of(ct).is_none() {
        // Errors (e.g. 400 "must accept multipart/form-data") come as a JSON envelope.
        Envelope::parse(resp.status, resp.content_type.as_deref(), &resp.body)?;
        return Err(Error::protocol(format!(
            "file read answered {ct:?} instead of multipart/form-data"
        )));
    }
    let parts = multipart::parse(ct, &resp.body)?;
    let response = parts
        .iter()
        .find(|p| p.name == "response")
        .ok_or_else(|| Error::protocol("multipart file read without a \"response\" part"))?;
    let env = Envelope::parse(200, Some("application/json"), &response.body)?;
    let results: ResponseEnvelope =
        serde_json::from_value(serde_json::json!({"result": env.result})).map_err(|e| {
            Error::protocol(format!(
                "file read \"response\" part has the wrong shape: {e}"
            ))
        })?;
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let result = results.result.iter().find(|r| r.path == *path);
        let content = match result.and_then(|r| r.error.as_ref()) {
            Some(e) => Err(PathError {
                kind: e.kind.clone(),
                path: (*path).to_owned(),
                message: e.message.clone(),
            }),
            None => {
                let part = parts
                    .iter()
                    .find(|p| p.name == "files" && p.filename.as_deref() == Some(path))
                    .ok_or_else(|| {
                        Error::protocol(format!("file read returned no content part for {path:?}"))
                    })?;
                Ok(part.body.clone())
            }
        };
        out.push(PulledFile {
            path: (*path).to_owned(),
            content,
        });
    }
    Ok(out)
}

impl Client {
    /// Reads several files in one request; each has its content or its [`PathError`].
    /// Contents are held in memory.
    pub async fn pull_many(&self, paths: &[&str]) -> Result<Vec<PulledFile>, Error> {
        if paths.is_empty() {
            return Err(Error::InvalidArgument {
                message: "pull needs at least one path".into(),
            });
        }
        let mut q = QueryBuilder::default();
        q.push("action", "read");
        for p in paths {
            q.push("path", p);
        }
        let mut req = RawRequest::get(with_query("/v1/files", q.finish()));
        // Pebble compares this header for equality.
        req.accept = "multipart/form-data";
        req.max_body = crate::transport::MAX_PULL_BODY;
        self.run(Call::Pull, req, |r| parse_pull(paths, r)).await
    }

    /// Reads one file ([`Error::Path`] if it cannot be read).
    pub async fn pull(&self, path: &str) -> Result<Bytes, Error> {
        let mut files = self.pull_many(&[path]).await?;
        match files.pop() {
            Some(f) => f.content.map_err(Error::from),
            None => Err(Error::protocol("file read returned nothing")),
        }
    }

    /// Writes a file atomically ([`Error::Path`] if Pebble cannot write it).
    pub async fn push(
        &self,
        path: &str,
        content: impl Into<Bytes>,
        options: &PushOptions,
    ) -> Result<(), Error> {
        let request = serde_json::json!({"action": "write", "files": [options.to_metadata(path)?]});
        let boundary = multipart::random_boundary();
        let body = multipart::build(
            &boundary,
            &[
                Part::field("request", "application/json", request.to_string()),
                Part::file(path, content),
            ],
        )?;
        let req = RawRequest {
            method: crate::transport::Method::Post,
            path_and_query: "/v1/files".into(),
            accept: "application/json",
            content_type: Some(format!("multipart/form-data; boundary=\"{boundary}\"")),
            body,
            extra_timeout: std::time::Duration::ZERO,
            max_body: crate::transport::DEFAULT_MAX_BODY,
        };
        let results: Vec<FileResult> = self.result(Call::Push, req).await?;
        first_path_error(results)
    }

    /// Lists a directory (or, with `itself`, the path itself). Errors come as API errors
    /// (404 not-found, 403 permission-denied).
    pub async fn list_files(
        &self,
        path: &str,
        options: &ListFilesOptions,
    ) -> Result<Vec<FileInfo>, Error> {
        let mut q = QueryBuilder::default();
        q.push("action", "list");
        q.push("path", path);
        if let Some(p) = &options.pattern {
            q.push("pattern", p);
        }
        if options.itself {
            q.push("itself", "true");
        }
        let r: Option<Vec<FileInfo>> = self
            .result(
                Call::ListFiles,
                RawRequest::get(with_query("/v1/files", q.finish())),
            )
            .await?;
        Ok(r.unwrap_or_default())
    }

    /// Creates a directory.
    pub async fn make_dir(&self, path: &str, options: &MakeDirOptions) -> Result<(), Error> {
        let body = serde_json::json!({"action": "make-dirs", "dirs": [options.to_entry(path)?]});
        let call = if options.make_parents {
            Call::MakeDirParents
        } else {
            Call::MakeDir
        };
        let results: Vec<FileResult> = self
            .result(call, RawRequest::post_json("/v1/files", &body))
            .await?;
        first_path_error(results)
    }

    /// Removes a file or directory (with `recursive`, its contents too, and a missing path
    /// is not an error).
    pub async fn remove_path(&self, path: &str, options: &RemoveOptions) -> Result<(), Error> {
        let body = serde_json::json!({"action": "remove", "paths": [{"path": path, "recursive": options.recursive}]});
        let call = if options.recursive {
            Call::RemoveRecursive
        } else {
            Call::Remove
        };
        let results: Vec<FileResult> = self
            .result(call, RawRequest::post_json("/v1/files", &body))
            .await?;
        first_path_error(results)
    }
}
