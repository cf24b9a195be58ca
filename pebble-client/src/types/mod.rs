//! Pebble's data types, free of any I/O.
//!
//! Everything the API sends or receives, one concept per module. The simulated Pebble and the
//! client share these types, so both speak the same JSON and YAML.

mod string_enum;

pub mod change;
pub mod check;
pub mod duration;
pub mod file;
pub mod identity;
pub mod layer;
pub mod log;
pub mod notice;
pub mod service;
pub mod system;
pub mod time;

pub use change::{Change, ChangeId, ChangeSelect, ChangeStatus, Task, TaskProgress};
pub use check::{CheckInfo, CheckLevel, CheckStartup, CheckStatus, RefreshedCheck};
pub use duration::{DurationError, GoDuration};
pub use file::{
    FileErrorKind, FileInfo, FileResult, FileResultError, FileType, ListFilesOptions,
    MakeDirOptions, Ownership, PermissionsError, PushOptions, RemoveOptions,
};
pub use identity::{
    BasicIdentity, CertIdentity, IdentitiesAction, Identity, IdentityAccess, LocalIdentity,
};
pub use layer::{
    Check, ExecCheck, HttpCheck, Layer, LogTarget, LogTargetType, Override, Plan, PlanError,
    Service, ServiceAction, TcpCheck, combine_labelled_layers, combine_layers, validate_label,
};
pub use log::LogEntry;
pub use notice::{
    AddNotice, MAX_NOTICE_DATA_BYTES, MAX_NOTICE_KEY_BYTES, Notice, NoticeError, NoticeId,
    NoticeType, NoticeUsers, NoticesQuery, NotifyOptions, validate_custom_key,
};
pub use service::{ServiceInfo, ServiceStartup, ServiceStatus};
pub use system::{Health, SystemInfo};
pub use time::{Timestamp, TimestampError};
