use crate::{free_port, wait_for_port};
use std::fs;
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A private Dovecot IMAP server: passwd-file users, Maildir storage, a
/// `Sent` folder marked `\Sent`, plain IMAP on one loopback port and, when
/// started with TLS, IMAPS and STARTTLS with a self-signed certificate.
pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Child,
    /// Plain IMAP (STARTTLS offered when TLS is on).
    pub port: u16,
    /// Implicit TLS, when started with [`Dovecot::start_with_tls`].
    pub tls_port: Option<u16>,
    /// The self-signed certificate clients must trust, with TLS.
    pub ca_file: Option<PathBuf>,
    owner: (u32, u32),
}

const DOVECOT: &str = "/usr/sbin/dovecot";
/// Mail processes may not run as root; as root the tests hand the mail to
/// `nobody`, otherwise to the user running the tests.
const NOBODY: (u32, u32) = (65534, 65534);

impl Dovecot {
    pub fn start(users: &[(&str, &str)]) -> Self {
        Self::launch(users, false, None)
    }

    pub fn start_with_tls(users: &[(&str, &str)]) -> Self {
        Self::launch(users, true, None)
    }

    /// Also accepts XOAUTH2 and OAUTHBEARER logins, asking the token
    /// introspection endpoint at `introspection_url` whether a token is
    /// valid (Dovecot's oauth2 passdb), as a Microsoft 365 or Gmail
    /// gateway does.
    pub fn start_with_oauth(users: &[(&str, &str)], introspection_url: &str) -> Self {
        Self::launch(users, false, Some(introspection_url))
    }

    fn launch(users: &[(&str, &str)], tls: bool, oauth: Option<&str>) -> Self {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: run scripts/test, which installs dovecot-imapd"
        );
        let dir = tempfile::tempdir().expect("temp dir for dovecot");
        let root = dir.path();
        let owner = if is_root() { NOBODY } else { current_ids() };
        for sub in ["run", "state", "mail", "home"] {
            fs::create_dir_all(root.join(sub)).expect("dovecot dirs");
        }
        chown(root.join("mail"), Some(owner.0), Some(owner.1)).expect("chown mail");
        chown(root.join("home"), Some(owner.0), Some(owner.1)).expect("chown home");
        let passwd: String = users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}\n"))
            .collect();
        fs::write(root.join("passwd"), passwd).expect("passwd file");

        let port = free_port();
        let tls_port = tls.then(free_port);
        let ca_file = tls.then(|| crate::make_certificate(root));
        let mut config = config(root, port, tls_port, owner);
        if let Some(url) = oauth {
            fs::write(
                root.join("oauth2.conf.ext"),
                format!(
                    "introspection_mode = post\nintrospection_url = {url}\nforce_introspection = yes\n\
                     username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                ),
            )
            .expect("oauth2 config");
            config = config.replace(
                "auth_mechanisms = plain login\n",
                &format!(
                    "auth_mechanisms = plain login xoauth2 oauthbearer\n\
                     passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}/oauth2.conf.ext\n}}\n",
                    root.display()
                ),
            );
        }
        fs::write(root.join("dovecot.conf"), config).expect("dovecot.conf");
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot starts");
        let server = Self {
            dir,
            child,
            port,
            tls_port,
            ca_file,
            owner,
        };
        wait_for_port(port, Duration::from_secs(20), "dovecot");
        if let Some(p) = tls_port {
            wait_for_port(p, Duration::from_secs(20), "dovecot (imaps)");
        }
        server
    }

    /// The Maildir of `user`'s `folder` (`INBOX` or another folder name).
    pub fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        let base = self.dir.path().join("mail").join(user);
        if folder == "INBOX" {
            base
        } else {
            base.join(format!(".{folder}"))
        }
    }

    /// Puts a message straight into a folder's Maildir `new/`, as a local
    /// delivery would (for large sets, faster than IMAP APPEND).
    pub fn deliver(&self, user: &str, folder: &str, bytes: &[u8]) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = self.maildir(user, folder);
        for sub in ["cur", "new", "tmp"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).expect("maildir");
            chown_tree(&dir, self.owner);
            let _ = chown(&d, Some(self.owner.0), Some(self.owner.1));
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir
            .join("new")
            .join(format!("{}.{n}.casebook-test", std::process::id()));
        fs::write(&path, bytes).expect("deliver");
        chown(&path, Some(self.owner.0), Some(self.owner.1)).expect("chown message");
        path
    }

    /// Gives a folder a new UIDVALIDITY, as a server does after losing or
    /// rebuilding its UID list: Dovecot's index and UID list are replaced by
    /// an empty list carrying `uid_validity`, and every message gets a new UID.
    pub fn reset_uid_validity(&self, user: &str, folder: &str, uid_validity: u32) {
        let dir = self.maildir(user, folder);
        for entry in fs::read_dir(&dir).expect("maildir").flatten() {
            if entry.file_name().to_string_lossy().starts_with("dovecot") {
                fs::remove_file(entry.path()).expect("remove dovecot index file");
            }
        }
        let uidlist = dir.join("dovecot-uidlist");
        fs::write(&uidlist, format!("3 V{uid_validity} N1\n")).expect("write uidlist");
        chown(&uidlist, Some(self.owner.0), Some(self.owner.1)).expect("chown uidlist");
    }

    /// Copies a whole Maildir tree (with Dovecot `.Sub` folders) in as
    /// `user`'s mail, owned by the mail user.
    pub fn load_maildir(&self, user: &str, source: &Path) -> std::io::Result<()> {
        let target = self.maildir(user, "INBOX");
        copy_tree(source, &target, self.owner)
    }

    /// How many of a folder's messages carry the \\Seen flag (`:2,…S…` in
    /// their Maildir file name).
    pub fn seen_count(&self, user: &str, folder: &str) -> usize {
        let dir = self.maildir(user, folder);
        ["cur", "new"]
            .iter()
            .flat_map(|sub| fs::read_dir(dir.join(sub)).into_iter().flatten().flatten())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .split_once(":2,")
                    .is_some_and(|(_, flags)| flags.contains('S'))
            })
            .count()
    }

    /// Puts a message into `folder` with IMAP APPEND, as a mail client
    /// would, over a plain loopback connection.
    pub fn append(&self, user: &str, password: &str, folder: &str, bytes: &[u8]) {
        use std::io::{BufRead, BufReader, Write};
        let stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect for APPEND");
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut writer = stream;
        let mut line = String::new();
        let mut expect = |reader: &mut BufReader<std::net::TcpStream>, prefix: &str| loop {
            line.clear();
            assert!(
                reader.read_line(&mut line).expect("read") > 0,
                "server closed during APPEND"
            );
            if line.starts_with(prefix) {
                assert!(
                    !line.contains(" NO ") && !line.contains(" BAD "),
                    "APPEND failed: {line}"
                );
                return;
            }
        };
        expect(&mut reader, "* OK");
        write!(writer, "a LOGIN {user} {password}\r\n").expect("write");
        expect(&mut reader, "a ");
        write!(writer, "b APPEND \"{folder}\" {{{}}}\r\n", bytes.len()).expect("write");
        expect(&mut reader, "+");
        writer.write_all(bytes).expect("write message");
        writer.write_all(b"\r\n").expect("write");
        expect(&mut reader, "b ");
        writer.write_all(b"c LOGOUT\r\n").expect("write");
    }

    /// Stops the server (the process this value started) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Stops and starts the server again on the same ports and mail.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot restarts");
        wait_for_port(self.port, Duration::from_secs(20), "dovecot");
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

fn copy_tree(from: &Path, to: &Path, owner: (u32, u32)) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    chown(to, Some(owner.0), Some(owner.1))?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target, owner)?;
        } else {
            fs::copy(entry.path(), &target)?;
            chown(&target, Some(owner.0), Some(owner.1))?;
        }
    }
    Ok(())
}

fn chown_tree(dir: &Path, owner: (u32, u32)) {
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.file_name().is_some_and(|n| n == "mail") {
            break;
        }
        let _ = chown(d, Some(owner.0), Some(owner.1));
        at = d.parent();
    }
}

fn is_root() -> bool {
    current_ids().0 == 0
}

fn current_ids() -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    // The owner of a file this process creates is this process's user.
    let probe = tempfile::tempfile().expect("probe file");
    let meta = probe.metadata().expect("probe metadata");
    (meta.uid(), meta.gid())
}

fn config(root: &Path, port: u16, tls_port: Option<u16>, owner: (u32, u32)) -> String {
    let r = root.display();
    let (uid, gid) = owner;
    let internal_user = if is_root() {
        "dovecot".to_owned()
    } else {
        user_name()
    };
    let login_user = if is_root() {
        "dovenull".to_owned()
    } else {
        user_name()
    };
    let ssl = match tls_port {
        Some(_) => format!("ssl = yes\nssl_cert = <{r}/cert.pem\nssl_key = <{r}/key.pem\n"),
        None => "ssl = no\n".to_owned(),
    };
    let imaps = tls_port.unwrap_or(0);
    format!(
        "base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
instance_name = casebook-test-{port}
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{r}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"
    )
}

fn user_name() -> String {
    std::env::var("USER").unwrap_or_else(|_| "nobody".to_owned())
}
