//! Files: push, pull, list, make-dir, remove, permissions and ownership.

use std::os::unix::fs::MetadataExt;

use pebble_client::{
    Error, FileErrorKind, FileType, ListFilesOptions, MakeDirOptions, PushOptions, RemoveOptions,
};

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        push_and_pull,
        pull_many_with_a_missing_file,
        list_files,
        make_dir,
        remove,
        ownership_by_id,
        ownership_by_name,
        push_and_pull_paths,
        streamed_file_errors,
    ]
}

async fn push_and_pull(p: &Pebble) {
    let client = p.client();
    let path = p.path("a/b/data.bin");
    let content: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    // Without make-dirs the parent must exist.
    let err = client
        .push(&path, content.clone(), &PushOptions::new())
        .await
        .unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.kind, FileErrorKind::NotFound, "{e}");
    client
        .push(
            &path,
            content.clone(),
            &PushOptions::new().make_dirs(true).permissions(0o600),
        )
        .await
        .unwrap();
    assert_eq!(&client.pull(&path).await.unwrap()[..], &content[..]);
    let info = client
        .list_files(&path, &ListFilesOptions::new())
        .await
        .unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].permissions, "600");
    assert_eq!(info[0].size, Some(200_000));
    assert_eq!(info[0].file_type, FileType::File);
    // Parents made by make-dirs are 0755.
    let parent = client
        .list_files(&p.path("a/b"), &ListFilesOptions::new().itself(true))
        .await
        .unwrap();
    assert_eq!(parent[0].permissions, "755");
    assert_eq!(parent[0].file_type, FileType::Directory);
    // The default mode is 0644; an empty file is fine.
    let empty = p.path("empty");
    client
        .push(&empty, Vec::new(), &PushOptions::new())
        .await
        .unwrap();
    assert!(client.pull(&empty).await.unwrap().is_empty());
    let info = client
        .list_files(&empty, &ListFilesOptions::new())
        .await
        .unwrap();
    assert_eq!(info[0].permissions, "644");
}

async fn pull_many_with_a_missing_file(p: &Pebble) {
    let client = p.client();
    let here = p.path("here");
    let missing = p.path("missing");
    client.push(&here, "x", &PushOptions::new()).await.unwrap();
    let got = client.pull_many(&[&here, &missing]).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(&got[0].content.as_ref().unwrap()[..], b"x");
    let e = got[1].content.as_ref().unwrap_err();
    assert_eq!(e.kind, FileErrorKind::NotFound);
    assert_eq!(
        e.message,
        format!("stat {missing}: no such file or directory")
    );
    // A directory cannot be pulled.
    let err = client.pull(&p.path("")).await.unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.kind, FileErrorKind::GenericFileError, "{e}");
}

async fn list_files(p: &Pebble) {
    let client = p.client();
    for name in ["b.txt", "a.txt", "c.log"] {
        client
            .push(
                &p.path(&format!("dir/{name}")),
                name,
                &PushOptions::new().make_dirs(true),
            )
            .await
            .unwrap();
    }
    client
        .make_dir(&p.path("dir/sub"), &MakeDirOptions::new())
        .await
        .unwrap();
    let all = client
        .list_files(&p.path("dir"), &ListFilesOptions::new())
        .await
        .unwrap();
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.txt", "b.txt", "c.log", "sub"], "sorted by name");
    assert_eq!(all[0].path, p.path("dir/a.txt"));
    assert_eq!(all[0].size, Some(5));
    assert_eq!(all[3].file_type, FileType::Directory);
    assert_eq!(all[3].size, None, "only regular files have a size");
    let txt = client
        .list_files(&p.path("dir"), &ListFilesOptions::new().pattern("*.txt"))
        .await
        .unwrap();
    assert_eq!(txt.len(), 2);
    let itself = client
        .list_files(&p.path("dir"), &ListFilesOptions::new().itself(true))
        .await
        .unwrap();
    assert_eq!(itself.len(), 1);
    assert_eq!(itself[0].name, "dir");
    let err = client
        .list_files(&p.path("nope"), &ListFilesOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(404), "{err}");
    assert_eq!(err.api_kind(), Some("not-found"));
    let err = client
        .list_files("relative", &ListFilesOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
}

async fn make_dir(p: &Pebble) {
    let client = p.client();
    let deep = p.path("x/y/z");
    let err = client
        .make_dir(&deep, &MakeDirOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.path_error().map(|e| e.kind.clone()),
        Some(FileErrorKind::NotFound),
        "{err}"
    );
    client
        .make_dir(
            &deep,
            &MakeDirOptions::new().make_parents(true).permissions(0o700),
        )
        .await
        .unwrap();
    let info = client
        .list_files(&deep, &ListFilesOptions::new().itself(true))
        .await
        .unwrap();
    assert_eq!(info[0].permissions, "700");
    // Existing: fine with make-parents, an error without.
    client
        .make_dir(&deep, &MakeDirOptions::new().make_parents(true))
        .await
        .unwrap();
    let err = client
        .make_dir(&deep, &MakeDirOptions::new())
        .await
        .unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert!(e.message.contains("file exists"), "{e}");
}

async fn remove(p: &Pebble) {
    let client = p.client();
    let file = p.path("d/f");
    client
        .push(&file, "x", &PushOptions::new().make_dirs(true))
        .await
        .unwrap();
    let err = client
        .remove_path(&p.path("d"), &RemoveOptions::new())
        .await
        .unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert!(e.message.contains("directory not empty"), "{e}");
    client
        .remove_path(&file, &RemoveOptions::new())
        .await
        .unwrap();
    let err = client
        .remove_path(&file, &RemoveOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.path_error().map(|e| e.kind.clone()),
        Some(FileErrorKind::NotFound)
    );
    client.push(&file, "x", &PushOptions::new()).await.unwrap();
    client
        .remove_path(&p.path("d"), &RemoveOptions::new().recursive(true))
        .await
        .unwrap();
    // A missing path is fine when recursive.
    client
        .remove_path(&p.path("d"), &RemoveOptions::new().recursive(true))
        .await
        .unwrap();
    let err = client
        .list_files(&p.path("d"), &ListFilesOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err}");
}

fn root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Ownership by uid and gid is applied (both servers run as root here; as another user
/// Pebble could not chown, so the test checks only as root).
async fn ownership_by_id(p: &Pebble) {
    if !root() {
        return;
    }
    let client = p.client();
    let file = p.path("owned");
    client
        .push(&file, "x", &PushOptions::new().user_id(1).group_id(1))
        .await
        .unwrap();
    let meta = std::fs::metadata(p.host_path(&file)).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1, 1));
    let info = client
        .list_files(&file, &ListFilesOptions::new())
        .await
        .unwrap();
    assert_eq!(info[0].user_id, Some(1));
    assert_eq!(info[0].user.as_deref(), Some("daemon"));
    let dir = p.path("owned-dir");
    client
        .make_dir(&dir, &MakeDirOptions::new().user_id(2).group_id(2))
        .await
        .unwrap();
    let meta = std::fs::metadata(p.host_path(&dir)).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (2, 2));
}

/// Names are looked up as Pebble does: a user alone gets its primary group; an unknown name
/// is a per-path error.
async fn ownership_by_name(p: &Pebble) {
    if !root() {
        return;
    }
    let client = p.client();
    let file = p.path("by-name");
    client
        .push(&file, "x", &PushOptions::new().user("daemon"))
        .await
        .unwrap();
    let meta = std::fs::metadata(p.host_path(&file)).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (1, 1),
        "daemon and its primary group"
    );
    client
        .push(&file, "y", &PushOptions::new().user("bin").group("daemon"))
        .await
        .unwrap();
    let meta = std::fs::metadata(p.host_path(&file)).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (2, 1));
    let dir = p.path("dir-by-name");
    client
        .make_dir(&dir, &MakeDirOptions::new().user("bin"))
        .await
        .unwrap();
    let meta = std::fs::metadata(p.host_path(&dir)).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (2, 2));
    let err = client
        .push(
            &p.path("nobody-knows"),
            "x",
            &PushOptions::new().user("no-such-user-xyz"),
        )
        .await
        .unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(
        e.message,
        "cannot look up user and group: user: unknown user no-such-user-xyz"
    );
    assert_eq!(e.kind, FileErrorKind::GenericFileError);
}

/// Python ops' push_path/pull_path: files and directory trees, streamed both ways.
async fn push_and_pull_paths(p: &Pebble) {
    use std::os::unix::fs::PermissionsExt;
    let client = p.client();
    let local = tempfile::tempdir().unwrap();
    let tree = local.path().join("tree");
    std::fs::create_dir_all(tree.join("sub/deeper")).unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(tree.join("big.bin"), &big).unwrap();
    std::fs::write(tree.join("sub/a.txt"), "a").unwrap();
    std::fs::write(tree.join("sub/deeper/b.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        tree.join("sub/deeper/b.sh"),
        std::fs::Permissions::from_mode(0o750),
    )
    .unwrap();
    let remote = p.path("remote");
    client.push_path(&tree, &remote).await.unwrap();
    assert_eq!(
        &client
            .pull(&format!("{remote}/tree/big.bin"))
            .await
            .unwrap()[..],
        &big[..]
    );
    assert_eq!(
        &client
            .pull(&format!("{remote}/tree/sub/a.txt"))
            .await
            .unwrap()[..],
        b"a"
    );
    let info = client
        .list_files(
            &format!("{remote}/tree/sub/deeper/b.sh"),
            &ListFilesOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(info[0].permissions, "750", "modes are kept");
    // A single file goes under its name.
    client
        .push_path(tree.join("sub/a.txt"), &remote)
        .await
        .unwrap();
    assert_eq!(
        &client.pull(&format!("{remote}/a.txt")).await.unwrap()[..],
        b"a"
    );

    let back = tempfile::tempdir().unwrap();
    client
        .pull_path(&format!("{remote}/tree"), back.path())
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(back.path().join("tree/big.bin")).unwrap(),
        big
    );
    assert_eq!(
        std::fs::read(back.path().join("tree/sub/a.txt")).unwrap(),
        b"a"
    );
    assert_eq!(
        std::fs::read(back.path().join("tree/sub/deeper/b.sh")).unwrap(),
        b"#!/bin/sh\n"
    );
    client
        .pull_path(&format!("{remote}/a.txt"), back.path().join("one"))
        .await
        .unwrap();
    assert_eq!(std::fs::read(back.path().join("one/a.txt")).unwrap(), b"a");
    // pull_file replaces a local file whole.
    let dest = back.path().join("replaced");
    std::fs::write(&dest, "old content that is longer").unwrap();
    client
        .pull_file(&format!("{remote}/a.txt"), &dest)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"a");
}

async fn streamed_file_errors(p: &Pebble) {
    let client = p.client();
    let local = tempfile::tempdir().unwrap();
    let dest = local.path().join("never");
    std::fs::write(&dest, "kept").unwrap();
    let missing = p.path("missing");
    let err = client.pull_file(&missing, &dest).await.unwrap_err();
    let e = err.path_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.kind, FileErrorKind::NotFound);
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        b"kept",
        "a failed pull leaves the file"
    );
    let leftovers = std::fs::read_dir(local.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
    let err = client
        .push_file(local.path().join("nope"), &p.path("x"), &PushOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LocalFile { .. }), "{err}");
    let err = client
        .push_file(&dest, &p.path("no/such/dir/x"), &PushOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.path_error().map(|e| e.kind.clone()),
        Some(FileErrorKind::NotFound),
        "{err}"
    );
}
