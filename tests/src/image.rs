//! An "image" without a container engine: an empty root holding only the binaries an image's build copies in,
//! the C libraries they link (what a slim base image has) and the CA certificates, entered with `chroot` as the
//! user `nobody` (as root, which CI is) or in a user namespace of one's own. The commands run inside it see no
//! sources, no `migrate.toml`, no cargo, no home folder, and only the environment they are given.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `PATH` of a Debian-based image (`debian:bookworm-slim`), which resolves a manifest's bare command name.
pub const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An empty root with binaries copied in, removed when dropped.
pub struct Root {
    dir: tempfile::TempDir,
}

/// What a command run in the root printed, and its exit code.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Asserts the exit code, showing what was printed otherwise.
    #[track_caller]
    pub fn expect(self, code: i32, what: &str) -> Ran {
        assert_eq!(
            self.code, code,
            "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl Root {
    /// A root with each `(binary, path inside)` copied in, and the libraries each links.
    pub fn with(files: &[(&Path, &str)]) -> Root {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = Root { dir };
        // The user the commands run as must reach the files: a temporary folder is its owner's only.
        set_mode(root.path(), 0o755);
        for (binary, inside) in files {
            root.copy_in(binary, inside);
            for library in linked_libraries(binary) {
                let inside = library.to_str().expect("a UTF-8 library path").to_owned();
                root.copy_in(&library, &inside);
            }
        }
        let certs = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if certs.is_file() {
            root.copy_in(certs, "/etc/ssl/certs/ca-certificates.crt");
        }
        root
    }

    /// The root's folder on this machine.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `from` to the absolute path `inside` of the root, making its folders (readable by everyone).
    pub fn copy_in(&self, from: &Path, inside: &str) {
        let to = self.host_path(inside);
        self.make_folders(&to);
        std::fs::copy(from, &to)
            .unwrap_or_else(|e| panic!("copy {} to {inside}: {e}", from.display()));
    }

    /// Writes `text` to the absolute path `inside` of the root.
    pub fn write(&self, inside: &str, text: &str) {
        let to = self.host_path(inside);
        self.make_folders(&to);
        std::fs::write(&to, text).unwrap_or_else(|e| panic!("write {inside}: {e}"));
    }

    /// Where the root's absolute path `inside` is on this machine.
    pub fn host_path(&self, inside: &str) -> PathBuf {
        self.path().join(
            inside
                .strip_prefix('/')
                .expect("an absolute path inside the root"),
        )
    }

    fn make_folders(&self, file: &Path) {
        let parent = file.parent().expect("a folder");
        std::fs::create_dir_all(parent).expect("the folders inside the root");
        // Folders made under a umask of 077 would hide the binaries from the unprivileged user.
        let mut folder = parent;
        while folder != self.path() {
            set_mode(folder, 0o755);
            folder = folder.parent().expect("inside the root");
        }
    }

    /// The command that runs `argv` inside the root (a bare name is found on [`IMAGE_PATH`]) with only `env`
    /// in its environment, as an unprivileged user.
    pub fn command(&self, argv: &[&str], env: &[(&str, &str)]) -> Command {
        let root = self.path().to_str().expect("a UTF-8 path");
        let mut cmd = if is_root() {
            let mut cmd = Command::new("chroot");
            cmd.args(["--userspec=65534:65534", root]);
            cmd
        } else {
            let mut cmd = Command::new("unshare");
            cmd.args(["--map-root-user", "chroot", root]);
            cmd
        };
        cmd.args(argv).env_clear();
        // chroot itself and the command inside are found on an image's usual path; nothing else is passed.
        cmd.env("PATH", IMAGE_PATH).envs(env.iter().copied());
        cmd
    }

    /// Runs `argv` inside the root to its end.
    pub fn run(&self, argv: &[&str], env: &[(&str, &str)]) -> Ran {
        let out = self.command(argv, env).output().expect("chroot runs");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `argv` inside the root, its output piped; `chroot` execs it, so the child's id is the command's.
    pub fn spawn(&self, argv: &[&str], env: &[(&str, &str)]) -> Child {
        self.command(argv, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chroot starts")
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The shared libraries `binary` loads, as `ldd` lists them (the dynamic loader included).
fn linked_libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(binary).output().expect("ldd runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}
