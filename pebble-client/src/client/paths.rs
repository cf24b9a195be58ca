//! Files between local paths and the container, streamed: `push_file`, `pull_file`, and
//! Python ops' `push_path` / `pull_path` (directories recursively).
//!
//! A streamed transfer never holds a whole file in memory: a push reads the local file a
//! piece at a time into the request, a pull writes each piece of the response to disk as it
//! arrives. Each step (connecting, each write, each read) must progress within the client's
//! request timeout, however long the whole file takes; there is no size limit.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Client;
use super::multipart_stream::{Event, PartStream};
use crate::envelope::Envelope;
use crate::error::{Error, LocalOp, PathError};
use crate::multipart::{self, Part};
use crate::retry::Call;
use crate::transport::async_conn;
use crate::transport::http1::ResponseReader;
use crate::transport::{Method, RawRequest};
use crate::types::notice::QueryBuilder;
use crate::types::{FileInfo, FileResult, FileType, ListFilesOptions, MakeDirOptions, PushOptions};

fn local<'a>(op: LocalOp, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::LocalFile {
        op,
        path: path.into(),
        source,
    }
}

/// The last component of a path, for `push_path`/`pull_path` destinations.
fn base_name(path: &str) -> Result<&str, Error> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .ok_or_else(|| Error::InvalidArgument {
            message: format!("{path:?} has no file name to copy under the destination"),
        })
}

/// `dir/name` for container paths.
fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

impl Client {
    /// Writes the local file `source` to `dest` in the container, reading it a piece at a
    /// time (streamed: each step must progress within the request timeout, whatever the
    /// size); like [`push`](Client::push) otherwise.
    pub async fn push_file(
        &self,
        source: impl AsRef<Path>,
        dest: &str,
        options: &PushOptions,
    ) -> Result<(), Error> {
        let source = source.as_ref();
        let request = serde_json::json!({"action": "write", "files": [options.to_metadata(dest)?]});
        let boundary = multipart::random_boundary();
        // The whole body but the file: the metadata part and the file part's head, then the
        // closing delimiter.
        let mut prefix = multipart::build(
            &boundary,
            &[
                Part::field("request", "application/json", request.to_string()),
                Part::file(dest, Vec::new()),
            ],
        )?
        .to_vec();
        let tail = format!("\r\n--{boundary}--\r\n");
        prefix.truncate(prefix.len() - tail.len());
        let suffix = tail.into_bytes();
        let req = RawRequest {
            method: Method::Post,
            path_and_query: "/v1/files".into(),
            accept: "application/json",
            content_type: Some(format!("multipart/form-data; boundary=\"{boundary}\"")),
            body: bytes::Bytes::new(),
            extra_timeout: std::time::Duration::ZERO,
            max_body: crate::transport::DEFAULT_MAX_BODY,
        };
        let socket = self.socket_path();
        let idle = self.timeout();
        let (req, prefix, suffix) = (&req, &prefix, &suffix);
        let results: Vec<FileResult> = self
            .retry
            .run(Call::Push, move || async move {
                let mut file = tokio::fs::File::open(source)
                    .await
                    .map_err(local(LocalOp::Open, source))?;
                let len = file
                    .metadata()
                    .await
                    .map_err(local(LocalOp::Read, source))?
                    .len();
                let resp = async_conn::send_file_body(
                    socket,
                    idle,
                    req,
                    prefix,
                    (&mut file, source, len),
                    suffix,
                )
                .await?;
                Envelope::parse(resp.status, resp.content_type.as_deref(), &resp.body)?.decode()
            })
            .await?;
        super::files::first_path_error(results)
    }

    /// Reads `source` from the container into the local file `dest`, writing each piece to
    /// disk as it arrives (streamed, as [`push_file`](Client::push_file)). `dest` is replaced
    /// whole: the file
    /// is written beside it and renamed, so a failed pull leaves it as it was.
    pub async fn pull_file(&self, source: &str, dest: impl AsRef<Path>) -> Result<(), Error> {
        let dest = dest.as_ref();
        let mut q = QueryBuilder::default();
        q.push("action", "read");
        q.push("path", source);
        let mut req = RawRequest::get(super::with_query("/v1/files", q.finish()));
        req.accept = "multipart/form-data";
        let socket = self.socket_path();
        let idle = self.timeout();
        let req = &req;
        self.retry
            .run(Call::Pull, move || async move {
                let stream = async_conn::open_stream(socket, idle, req).await?;
                receive_file(stream, idle, source, dest).await
            })
            .await
    }

    /// Copies local files into the container, as Python ops' `push_path`: a file `source`
    /// becomes `dest_dir/<its name>`; a directory is copied recursively to
    /// `dest_dir/<its name>/...`. Files keep their permission bits; directories are made as
    /// needed. Each file is streamed ([`push_file`](Client::push_file)).
    pub async fn push_path(&self, source: impl AsRef<Path>, dest_dir: &str) -> Result<(), Error> {
        let source = source.as_ref();
        let name =
            source
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::InvalidArgument {
                    message: format!("{} has no file name that is UTF-8", source.display()),
                })?;
        let dest = join(dest_dir, name);
        let meta = std::fs::metadata(source).map_err(local(LocalOp::Read, source))?;
        if !meta.is_dir() {
            return self.push_local_file(source, &dest, &meta).await;
        }
        // Depth first, without recursion: (local dir, container dir).
        let mut dirs = vec![(source.to_path_buf(), dest)];
        while let Some((dir, remote)) = dirs.pop() {
            self.make_dir(&remote, &MakeDirOptions::new().make_parents(true))
                .await?;
            let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(&dir)
                .map_err(local(LocalOp::Read, &dir))?
                .collect::<Result<_, _>>()
                .map_err(local(LocalOp::Read, &dir))?;
            entries.sort_by_key(std::fs::DirEntry::file_name);
            for entry in entries {
                let path = entry.path();
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    return Err(Error::InvalidArgument {
                        message: format!("{} has a name that is not UTF-8", path.display()),
                    });
                };
                let meta = std::fs::metadata(&path).map_err(local(LocalOp::Read, &path))?;
                let target = join(&remote, &name);
                if meta.is_dir() {
                    dirs.push((path, target));
                } else {
                    self.push_local_file(&path, &target, &meta).await?;
                }
            }
        }
        Ok(())
    }

    async fn push_local_file(
        &self,
        source: &Path,
        dest: &str,
        meta: &std::fs::Metadata,
    ) -> Result<(), Error> {
        let mode = meta.permissions().mode() & 0o777;
        let options = PushOptions::new().make_dirs(true).permissions(mode);
        self.push_file(source, dest, &options).await
    }

    /// Copies container files to local paths, as Python ops' `pull_path`: a file `source`
    /// becomes `dest_dir/<its name>`; a directory is copied recursively to
    /// `dest_dir/<its name>/...`. Each file is streamed ([`pull_file`](Client::pull_file));
    /// local directories are made as needed.
    pub async fn pull_path(&self, source: &str, dest_dir: impl AsRef<Path>) -> Result<(), Error> {
        let dest_dir = dest_dir.as_ref();
        let name = base_name(source)?;
        let top = self
            .list_files(source, &ListFilesOptions::new().itself(true))
            .await?;
        let is_dir = top
            .first()
            .is_some_and(|f| f.file_type == FileType::Directory);
        let dest = dest_dir.join(name);
        if !is_dir {
            create_dirs(dest_dir)?;
            return self.pull_file(source, &dest).await;
        }
        let mut dirs: Vec<(String, PathBuf)> =
            vec![(source.trim_end_matches('/').to_owned(), dest)];
        while let Some((remote, local_dir)) = dirs.pop() {
            create_dirs(&local_dir)?;
            let entries: Vec<FileInfo> = self.list_files(&remote, &ListFilesOptions::new()).await?;
            for entry in entries {
                let target = local_dir.join(&entry.name);
                match entry.file_type {
                    FileType::Directory => dirs.push((entry.path, target)),
                    FileType::File => self.pull_file(&entry.path, &target).await?,
                    // Symlinks, sockets, devices: Pebble reads regular files only.
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

fn create_dirs(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(local(LocalOp::Create, dir))
}

/// Reads a file-read response from `stream`, writing the `files` part for `source` to a
/// temporary file beside `dest`, renamed over `dest` once Pebble's `response` part says the
/// read succeeded.
async fn receive_file(
    mut stream: tokio::net::UnixStream,
    idle: std::time::Duration,
    source: &str,
    dest: &Path,
) -> Result<(), Error> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dest.with_file_name(format!(".{name}.pebble-pull-{:08x}", fastrand::u32(..)));
    let result = receive_into(&mut stream, idle, source, &temp).await;
    match result {
        Ok(true) => tokio::fs::rename(&temp, dest)
            .await
            .map_err(local(LocalOp::Replace, dest)),
        Ok(false) => {
            let _ = tokio::fs::remove_file(&temp).await;
            Err(Error::protocol(format!(
                "file read returned no content part for {source:?}"
            )))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            Err(e)
        }
    }
}

/// What a streamed read has seen of its parts.
#[derive(Default)]
struct Received {
    /// Whether the content part for the path arrived (and was written).
    content: bool,
    /// The `response` part, collected (small JSON).
    response: Option<Vec<u8>>,
}

/// Streams the response body into `temp`; `Ok(true)` once the content was written and the
/// response part reports no error for `source`.
async fn receive_into(
    stream: &mut tokio::net::UnixStream,
    idle: std::time::Duration,
    source: &str,
    temp: &Path,
) -> Result<bool, Error> {
    let timed_out = || Error::Timeout {
        phase: crate::TimeoutPhase::Response,
        after: idle,
    };
    let mut reader = ResponseReader::default();
    let mut parts: Option<PartStream> = None;
    let mut error_body = Vec::new();
    let mut head: Option<(u16, Option<String>)> = None;
    let mut file: Option<tokio::fs::File> = None;
    let mut current: Option<String> = None;
    let mut got = Received::default();
    loop {
        let n = tokio::time::timeout(idle, stream.read_buf(reader.buffer()))
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| Error::ConnectionReset {
                sent: true,
                detail: format!("while reading the file: {e}"),
            })?;
        let step = reader.advance_stream(n == 0)?;
        if let Some(h) = step.head {
            let boundary = h.1.as_deref().and_then(multipart::boundary_of);
            if h.0 == 200
                && let Some(b) = boundary
            {
                parts = Some(PartStream::new(&b));
            }
            head = Some(h);
        }
        let Some(p) = parts.as_mut() else {
            // An error answer: Pebble's JSON envelope, small.
            error_body.extend_from_slice(&step.data);
            if error_body.len() > crate::transport::DEFAULT_MAX_BODY {
                return Err(Error::ResponseTooLarge {
                    limit: crate::transport::DEFAULT_MAX_BODY as u64,
                    announced: None,
                });
            }
            if step.done {
                let (status, ct) = head.clone().unwrap_or((0, None));
                Envelope::parse(status, ct.as_deref(), &error_body)?;
                return Err(Error::protocol(format!(
                    "file read answered {ct:?} instead of multipart/form-data"
                )));
            }
            continue;
        };
        let mut events = Vec::new();
        p.feed(&step.data, &mut |e| {
            events.push(e);
            Ok(())
        })?;
        for event in events {
            match event {
                Event::Start { name, filename } => {
                    if name == "files" && filename.as_deref() == Some(source) {
                        file = Some(
                            tokio::fs::File::create(temp)
                                .await
                                .map_err(local(LocalOp::Create, temp))?,
                        );
                    } else if name == "response" {
                        got.response = Some(Vec::new());
                    }
                    current = Some(name);
                }
                Event::Data(data) => match current.as_deref() {
                    Some("files") => {
                        if let Some(f) = file.as_mut() {
                            f.write_all(&data)
                                .await
                                .map_err(local(LocalOp::Write, temp))?;
                        }
                    }
                    Some("response") => {
                        if let Some(r) = got.response.as_mut() {
                            r.extend_from_slice(&data);
                            if r.len() > crate::transport::DEFAULT_MAX_BODY {
                                return Err(Error::ResponseTooLarge {
                                    limit: crate::transport::DEFAULT_MAX_BODY as u64,
                                    announced: None,
                                });
                            }
                        }
                    }
                    _ => {}
                },
                Event::End => {
                    if current.as_deref() == Some("files")
                        && let Some(mut f) = file.take()
                    {
                        f.flush().await.map_err(local(LocalOp::Write, temp))?;
                        f.sync_all().await.map_err(local(LocalOp::Write, temp))?;
                        got.content = true;
                    }
                    current = None;
                }
            }
        }
        if step.done || p.is_done() {
            break;
        }
    }
    let response = got
        .response
        .ok_or_else(|| Error::protocol("multipart file read without a \"response\" part"))?;
    let env = Envelope::parse(200, Some("application/json"), &response)?;
    let results: Vec<FileResult> = env.decode()?;
    if let Some(e) = results
        .into_iter()
        .find(|r| r.path == source)
        .and_then(|r| r.error)
    {
        return Err(PathError {
            kind: e.kind,
            path: source.to_owned(),
            message: e.message,
        }
        .into());
    }
    Ok(got.content)
}
