use crate::error::ImapError;
use crate::session::{ImapSession, Stream};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS (port 143).
    StartTls,
    /// No encryption: only to a loopback address.
    Plain,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// A CA certificate (PEM) to trust besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// The longest any one network step may take.
    pub timeout: Duration,
}

impl Server {
    pub fn new(host: &str, port: u16, security: Security) -> Self {
        Self {
            host: host.to_owned(),
            port,
            security,
            ca_file: None,
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthMechanism {
    XOAuth2,
    OAuthBearer,
}

#[derive(Clone)]
pub enum Login {
    Password {
        user: String,
        password: String,
    },
    OAuth2 {
        user: String,
        token: String,
        mechanism: OAuthMechanism,
    },
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log.
        match self {
            Self::Password { user, .. } => write!(f, "Password {{ user: {user:?} }}"),
            Self::OAuth2 {
                user, mechanism, ..
            } => write!(f, "OAuth2 {{ user: {user:?}, {mechanism:?} }}"),
        }
    }
}

impl Login {
    fn user(&self) -> &str {
        match self {
            Self::Password { user, .. } | Self::OAuth2 { user, .. } => user,
        }
    }
}

/// Connects, secures the connection as `server.security` says, and logs in.
pub async fn connect(server: &Server, login: &Login) -> Result<ImapSession, ImapError> {
    if server.security == Security::Plain && !is_loopback(&server.host) {
        return Err(ImapError::PlainRefused {
            host: server.host.clone(),
        });
    }
    let timeout = server.timeout;
    let tcp = within(
        timeout,
        "connecting",
        TcpStream::connect((server.host.as_str(), server.port)),
    )
    .await?
    .map_err(|source| ImapError::Connect {
        host: server.host.clone(),
        port: server.port,
        source,
    })?;
    let _ = tcp.set_nodelay(true);
    let client = match server.security {
        Security::Plain => greeted(Stream::Plain(tcp), timeout).await?,
        Security::Tls => {
            let tls = tls_handshake(server, tcp).await?;
            greeted(Stream::Tls(Box::new(tls)), timeout).await?
        }
        Security::StartTls => {
            let mut plain = greeted(Stream::Plain(tcp), timeout).await?;
            within(
                timeout,
                "asking for STARTTLS",
                plain.run_command_and_check_ok("STARTTLS", None),
            )
            .await?
            .map_err(|source| ImapError::Protocol {
                what: "asking for STARTTLS".into(),
                source,
            })?;
            let tcp = match plain.into_inner() {
                Stream::Plain(tcp) => tcp,
                Stream::Tls(_) => {
                    return Err(ImapError::Tls {
                        host: server.host.clone(),
                        reason: "the connection was already encrypted before STARTTLS".into(),
                    })
                }
            };
            let tls = tls_handshake(server, tcp).await?;
            async_imap::Client::new(Stream::Tls(Box::new(tls)))
        }
    };
    let session = match login {
        Login::Password { user, password } => {
            within(timeout, "logging in", client.login(user, password)).await?
        }
        Login::OAuth2 {
            user,
            token,
            mechanism,
        } => {
            let (name, auth) = match mechanism {
                OAuthMechanism::XOAuth2 => (
                    "XOAUTH2",
                    format!("user={user}\x01auth=Bearer {token}\x01\x01"),
                ),
                OAuthMechanism::OAuthBearer => (
                    "OAUTHBEARER",
                    format!("n,a={user},\x01auth=Bearer {token}\x01\x01"),
                ),
            };
            within(
                timeout,
                "logging in",
                client.authenticate(name, TokenAuth(auth)),
            )
            .await?
        }
    };
    let session = session.map_err(|(e, _)| match e {
        // The server said no: wrong password, locked account, …
        async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => ImapError::Login {
            user: login.user().to_owned(),
            reason: e.to_string(),
        },
        // The connection broke: not a refusal, and worth retrying.
        other => ImapError::Protocol {
            what: format!("logging in as {}", login.user()),
            source: other,
        },
    })?;
    Ok(ImapSession::new(session, timeout))
}

struct TokenAuth(String);

impl async_imap::Authenticator for TokenAuth {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        // A second challenge is the server's error report; an empty reply ends it.
        std::mem::take(&mut self.0)
    }
}

async fn greeted(
    stream: Stream,
    timeout: Duration,
) -> Result<async_imap::Client<Stream>, ImapError> {
    let mut client = async_imap::Client::new(stream);
    let greeting = within(timeout, "waiting for the greeting", client.read_response()).await?;
    match greeting {
        Ok(Some(_)) => Ok(client),
        Ok(None) => Err(ImapError::Protocol {
            what: "waiting for the greeting".into(),
            source: async_imap::error::Error::ConnectionLost,
        }),
        Err(e) => Err(ImapError::Protocol {
            what: "waiting for the greeting".into(),
            source: e.into(),
        }),
    }
}

async fn tls_handshake(
    server: &Server,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    let tls_err = |reason: String| ImapError::Tls {
        host: server.host.clone(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = &server.ca_file {
        use rustls::pki_types::pem::PemObject;
        let ca_err = |reason: String| ImapError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_err(e.to_string()))?;
        let mut added = 0;
        for cert in certs {
            roots
                .add(cert.map_err(|e| ca_err(e.to_string()))?)
                .map_err(|e| ca_err(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(ca_err("it holds no PEM certificate".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(server.host.clone()).map_err(|e| tls_err(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    within(
        server.timeout,
        "negotiating TLS",
        connector.connect(name, tcp),
    )
    .await?
    .map_err(|e| tls_err(e.to_string()))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs `step`, or fails naming `what` after `timeout`.
pub(crate) async fn within<T>(
    timeout: Duration,
    what: &str,
    step: impl std::future::Future<Output = T>,
) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, step)
        .await
        .map_err(|_| ImapError::Timeout {
            what: what.to_owned(),
            timeout,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("LOCALHOST"));
        assert!(!is_loopback("imap.example.com"));
        assert!(!is_loopback("10.0.0.1"));
    }

    #[tokio::test]
    async fn plain_is_refused_off_loopback_before_any_connection() {
        let server = Server::new("imap.example.com", 143, Security::Plain);
        let login = Login::Password {
            user: "u".into(),
            password: "p".into(),
        };
        let err = connect(&server, &login).await.err().expect("refused");
        assert!(matches!(err, ImapError::PlainRefused { .. }), "{err}");
        assert!(format!("{login:?}").contains("\"u\"") && !format!("{login:?}").contains("\"p\""));
    }
}
